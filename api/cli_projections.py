"""`ledger projections status|rebuild`: the bitemporal read model's position and its rebuild."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from api.cli import _json, _open, app, err
from projections import status as projection_status
from projections.queries import view_for

projections_app = typer.Typer(
    name="projections", help="The read models behind the as-of queries.", no_args_is_help=True
)
app.add_typer(projections_app, name="projections")


@projections_app.command("status")
def status(
    catch_up: Annotated[
        bool, typer.Option("--catch-up", help="Catch the read models up first")
    ] = False,
) -> None:
    """Show the ledger head, each read model's position and its lag, as JSON."""
    ledger = _open()
    if catch_up:
        view_for(ledger).catch_up(ledger)
    _json(projection_status.status(ledger))


@projections_app.command("rebuild")
def rebuild() -> None:
    """Recompute the read models from the first decision (the result equals the incremental one)."""
    ledger = _open()
    view = view_for(ledger)
    started = time.perf_counter()
    with Progress(
        TextColumn("rebuilding {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as progress:
        task = progress.add_task(view.name, total=ledger.head)
        position = view.rebuild(
            ledger, lambda done, head: progress.update(task, completed=done, total=head)
        )
    seconds = time.perf_counter() - started
    err.print(f"rebuilt {view.name} to position {position} in {seconds:.1f}s")
