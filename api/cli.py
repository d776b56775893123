"""`ledger`: the command line of the governance ledger."""

from __future__ import annotations

import getpass
import sys
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from domain.errors import MAX_LISTED_PROBLEMS, DomainError, InvalidDecision, RuleViolation
from ledger.database import STORE_AWAY
from ledger.service import BrokenStore, Ledger
from ledger.settings import Settings, SettingsError
from ledger.transfer import read_decisions, read_export, write_export
from projections.answers import Moment, Question
from projections.timeframe import parse_as_of, parse_known_at, today

app = typer.Typer(
    name="ledger",
    help="The governance ledger of the Dutch emergency control rooms.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)


def _open(build: bool = True) -> Ledger:
    """The ledger the environment names (`build=False`: its tables not built on opening)."""
    return Ledger(Settings.from_env(), build=build)


def _json(data: Any) -> None:
    sys.stdout.buffer.write(orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")


def _fail(error: DomainError) -> typer.Exit:
    if isinstance(error, InvalidDecision):
        count = len(error.problems)
        if error.stopped_early:
            found = f"validation stopped at the first {count} problems"
        else:
            found = f"{count} problem(s)"
        err.print(f"[red]refused[/red]: {found}, nothing was recorded")
        for problem in error.problems[:MAX_LISTED_PROBLEMS]:
            err.print(f"  {problem.field}: {problem.message}", markup=False, highlight=False)
        if count > MAX_LISTED_PROBLEMS:
            err.print(f"  and {count - MAX_LISTED_PROBLEMS} more")
    elif isinstance(error, RuleViolation):
        where = "" if error.decision_index is None else f"decision {error.decision_index + 1}: "
        err.print(f"[red]refused[/red] ({error.rule}), nothing was recorded")
        err.print(f"  {where}{error.field} = {error.value!r}: {error.explanation}", markup=False)
    else:
        err.print(f"[red]error[/red]: {escape(error.message)}")
    return typer.Exit(1)


@contextmanager
def _reading(path: str) -> Any:
    if path == "-":
        yield sys.stdin.buffer
    else:
        try:
            with open(path, "rb") as handle:
                yield handle
        except FileNotFoundError:
            err.print(f"[red]error[/red]: no such file: {path}")
            raise typer.Exit(2) from None


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )


def _count_lines(path: str) -> int | None:
    if path == "-":
        return None
    with open(path, "rb") as handle:
        return sum(1 for _ in handle)


@app.command("import")
def import_(
    file: Annotated[str, typer.Argument(help="JSON Lines file, one decision a line; - for stdin")],
    restore: Annotated[
        bool, typer.Option("--restore", help="Restore an export into an empty ledger, exactly")
    ] = False,
    recorded_by: Annotated[
        str | None, typer.Option(help="Who records (default: cli:<your user name>)")
    ] = None,
) -> None:
    """Validate a whole file, then record it atomically (all or nothing)."""
    ledger = _open()
    total = _count_lines(file) if file != "-" else None
    try:
        with _reading(file) as stream, _progress() as progress:
            task = progress.add_task("validating", total=total)
            advance = lambda n: progress.update(task, completed=n)  # noqa: E731
            if restore:
                records = read_export(stream, advance)
                progress.update(task, description="restoring")
                count = ledger.restore(records)
            else:
                decisions = read_decisions(stream, advance)
                progress.update(task, description="recording")
                count = len(
                    ledger.record(decisions, recorded_by=recorded_by or f"cli:{getpass.getuser()}")
                )
    except DomainError as error:
        raise _fail(error) from None
    err.print(f"{'restored' if restore else 'recorded'} {count} decision(s); head {ledger.head}")


@app.command()
def export(
    file: Annotated[str, typer.Argument(help="Target file; - for stdout")],
) -> None:
    """Write every decision, as stored, to JSON Lines (the format `import --restore` reads).

    A store with positions missing is still written as it is, for forensics, with a warning
    and exit code 1: such a file cannot be restored as it is."""
    ledger = _open(build=False)
    missing: list[int] = []
    if file == "-":
        count = write_export(ledger, sys.stdout.buffer, missing)
    else:
        with open(file, "wb") as out:
            count = write_export(ledger, out, missing)
    if missing:
        shown = ", ".join(str(p) for p in missing[:10]) + (", ..." if len(missing) > 10 else "")
        err.print(
            f"[red]warning[/red]: the store has no decision at {len(missing)} position(s) "
            f"({shown}): it was changed outside the ledger; exported the {count} decision(s) "
            "left, for forensics — this file cannot be restored as it is; run `ledger verify`"
        )
        raise typer.Exit(1)
    err.print(f"exported {count} decision(s)")


@app.command()
def log(
    after: Annotated[int, typer.Option(help="Start after this position")] = 0,
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object a line")] = False,
) -> None:
    """List decisions in ledger order."""
    for item in _open().log(after=after, limit=limit):
        if as_json:
            sys.stdout.buffer.write(orjson.dumps(item.model_dump(mode="json")) + b"\n")
        else:
            typer.echo(
                f"{item.position:>6}  {item.recorded_at:%Y-%m-%d %H:%M}  {item.effective_on}  "
                f"{item.kind:<38} {','.join(item.decision.decided_by):<20} {item.id}"
            )


@app.command()
def show(decision_id: Annotated[UUID, typer.Argument(help="The decision's id")]) -> None:
    """Show one decision with its corrections, retraction and consents."""
    try:
        view = _open().get(decision_id)
    except DomainError as error:
        raise _fail(error) from None
    _json(
        {
            "decision": view.recorded.model_dump(mode="json"),
            "current": view.current.model_dump(mode="json") if view.current else None,
            "corrections": [c.model_dump(mode="json") for c in view.corrections],
            "retraction": view.retraction.model_dump(mode="json") if view.retraction else None,
            "consents": [c.model_dump(mode="json") for c in view.consents],
        }
    )


@app.command()
def history(
    party: Annotated[str | None, typer.Option(help="Decisions naming this party")] = None,
    subject: Annotated[str | None, typer.Option(help="Decisions naming this subject")] = None,
) -> None:
    """List the history of one party or subject."""
    if not party and not subject:
        err.print("[red]error[/red]: give --party or --subject")
        raise typer.Exit(2)
    for item in _open().history(party=party, subject=subject):
        sys.stdout.buffer.write(orjson.dumps(item.model_dump(mode="json")) + b"\n")


@app.command()
def state(
    as_of: Annotated[
        str | None, typer.Option(help="Date the state holds on (default today)")
    ] = None,
    known_at: Annotated[
        str | None, typer.Option(help="As known at this moment (a date: its end; default now)")
    ] = None,
) -> None:
    """Print the whole governance state as JSON."""
    try:
        day = parse_as_of(as_of) if as_of else today()
        moment = parse_known_at(known_at) if known_at else datetime.now().astimezone()
    except ValueError as error:
        err.print(f"[red]error[/red]: {error}")
        raise typer.Exit(2) from None
    ledger = _open()
    with ledger.reading() as tables:
        _json(Question(tables, Moment(day, moment)).state_json())


def main() -> None:
    try:
        app()
    except SettingsError as error:  # (a bad LEDGER_* variable: no traceback, nothing touched)
        err.print(f"[red]configuration error[/red]: {escape(str(error))}")
        raise SystemExit(2) from None
    except BrokenStore as error:
        err.print(f"[red]the store is broken[/red]: {escape(str(error))}")
        raise SystemExit(1) from None
    except STORE_AWAY as error:
        err.print(
            "[red]the store is busy or cannot be reached[/red] (nothing was written; try again):"
            f" {escape(str(error).strip())}"
        )
        raise SystemExit(1) from None


# Command groups kept in their own modules register themselves on `app` when imported.
from api import cli_demo, cli_integrity, cli_outputs, cli_projections, cli_server  # noqa: E402, F401
