"""`ledger projections status|rebuild`: the tables made from the events, and their rebuild."""

from __future__ import annotations

import time

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from api.cli import _json, _open, app, err
from projections import status as projection_status

projections_app = typer.Typer(
    name="projections",
    help="The tables made from the events (the read model).",
    no_args_is_help=True,
)
app.add_typer(projections_app, name="projections")


@projections_app.command("status")
def status() -> None:
    """Show the ledger head and the read model's version and size, as JSON."""
    _json(projection_status.status(_open()))


@projections_app.command("rebuild")
def rebuild() -> None:
    """Build the read model again from the first decision (the result equals the one kept
    while recording)."""
    ledger = _open(build=False)  # (not built on opening, then again)
    started = time.perf_counter()
    with Progress(
        TextColumn("rebuilding"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as progress:
        task = progress.add_task("rows", total=ledger.head)
        position = ledger.rebuild(lambda done: progress.update(task, completed=done))
    seconds = time.perf_counter() - started
    err.print(f"rebuilt the read model to position {position} in {seconds:.1f}s")
