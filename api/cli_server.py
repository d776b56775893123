"""Commands of `ledger` (registered on api.cli.app): `tokens issue|revoke|list` and `serve`."""

from __future__ import annotations

import getpass
import importlib
import multiprocessing
import os
import re
import sys
from typing import Annotated

import typer
import uvicorn
import uvicorn._subprocess
from rich.console import Console
from rich.table import Table

from api.cli import app
from api.pages import OPEN_ON_LOOPBACK_ENV
from domain.vocabulary import SLUG_PATTERN
from ledger.access import AccessError, AccessStore, Role
from ledger.service import Ledger
from ledger.settings import Settings

tokens = typer.Typer(help="Issue, revoke and list the API's bearer tokens.", no_args_is_help=True)
app.add_typer(tokens, name="tokens")
err = Console(stderr=True)

DEMO_TOKEN_NAME = "demo-evaluator"  # noqa: S105 - a name, not a secret


def _operator() -> str:
    return f"cli:{getpass.getuser()}"


def _issue(access: AccessStore, name: str, role: Role, parties: list[str] | None = None) -> str:
    try:
        return access.issue(name, role, by=_operator(), parties=parties or ())
    except AccessError as error:
        err.print(f"[red]refused[/red]: {error}", markup=True, highlight=False)
        raise typer.Exit(1) from None


@tokens.command("issue")
def issue(
    role: Annotated[Role, typer.Option(help="secretariat (records, reads), evaluator, admin")],
    name: Annotated[str, typer.Option(help="Who holds it; becomes recorded_by of decisions")],
    party: Annotated[
        list[str] | None,
        typer.Option(help="Record only decisions of this party (repeatable; default: any)"),
    ] = None,
) -> None:
    """Issue a token and print it, alone, on stdout (it is shown once; only its hash is kept)."""
    _check_slugs(party or [])
    access = AccessStore(Settings.from_env())
    try:
        token = _issue(access, name, role, party)
    finally:
        access.close()
    sys.stdout.write(token + "\n")


@tokens.command("revoke")
def revoke(name: Annotated[str, typer.Argument(help="The token's name")]) -> None:
    """Revoke a token: it stops working at once, in every server process."""
    access = AccessStore(Settings.from_env())
    try:
        access.revoke(name, by=_operator())
    except AccessError as error:
        err.print(f"[red]refused[/red]: {error}")
        raise typer.Exit(1) from None
    finally:
        access.close()
    err.print(f"revoked {name}")


@tokens.command("scope")
def scope(
    name: Annotated[str, typer.Argument(help="The token's name")],
    party: Annotated[
        list[str] | None,
        typer.Option(help="A party it may record for (repeatable); none: any party"),
    ] = None,
) -> None:
    """Change which parties a token may record decisions for (recorded, like issuing)."""
    _check_slugs(party or [])
    access = AccessStore(Settings.from_env())
    try:
        access.scope(name, party or [], by=_operator())
    except AccessError as error:
        err.print(f"[red]refused[/red]: {error}")
        raise typer.Exit(1) from None
    finally:
        access.close()
    err.print(f"{name} records for {', '.join(sorted(set(party))) if party else 'any party'}")


def _check_slugs(parties: list[str]) -> None:
    for party in parties:
        if not re.fullmatch(SLUG_PATTERN, party):
            err.print(f"[red]error[/red]: --party {party!r} is not a party id (e.g. smb)")
            raise typer.Exit(2)


@tokens.command("list")
def list_() -> None:
    """List every token ever issued: name, role, when and by whom issued and revoked."""
    access = AccessStore(Settings.from_env())
    try:
        records = access.tokens()
    finally:
        access.close()
    table = Table("name", "role", "parties", "issued", "by", "revoked", "by")
    for r in records:
        table.add_row(
            r.name,
            r.role.value,
            ", ".join(r.parties) or "(any)",
            f"{r.issued_at:%Y-%m-%d %H:%M:%S}",
            r.issued_by,
            f"{r.revoked_at:%Y-%m-%d %H:%M:%S}" if r.revoked_at else "",
            r.revoked_by or "",
        )
    Console().print(table)


def _load_demo(settings: Settings) -> int | None:
    try:
        module = importlib.import_module("ledger.demo")
    except ModuleNotFoundError:
        return None
    ledger = Ledger(settings)
    try:
        count: int = module.load_demo(ledger)
    finally:
        ledger.close()
    return count


def _fork_workers_from_a_preloaded_server() -> None:
    """Have uvicorn start its workers by forking a process that imported the application once.

    uvicorn spawns each worker as a new interpreter that imports the whole application (about
    a second of CPU) before it answers, so four workers on two cores took four seconds to
    start. The standard library's fork server imports `api.http` once, with no connection
    open, and forks every worker (and every replacement of a dead one) from there. uvicorn
    has no option for it: this sets the multiprocessing context its supervisor starts workers
    from. Should a later uvicorn move that, the workers are spawned as before.
    """
    if not hasattr(uvicorn._subprocess, "spawn"):
        return
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["api.http"])
    uvicorn._subprocess.spawn = context  # type: ignore[assignment]


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes")] = 1,
    demo: Annotated[
        bool, typer.Option("--demo", help="Load the letter's decisions; print an evaluator token")
    ] = False,
    log_level: Annotated[str, typer.Option(help="uvicorn's log level")] = "info",
) -> None:
    """Serve the HTTP API (settings from LEDGER_DATABASE_URL / LEDGER_DATA_DIR)."""
    settings = Settings.from_env()
    # Open the stores once here, so that the tables exist before the workers race to create them.
    Ledger(settings).close()
    access = AccessStore(settings)
    try:
        if demo:
            count = _load_demo(settings)
            if count is None:
                err.print("no demo data available (ledger.demo is missing); serving as is")
            else:
                err.print(f"demo: {count} decision(s) recorded")
            if access.active(DEMO_TOKEN_NAME) is not None:
                access.revoke(DEMO_TOKEN_NAME, by=_operator())
            token = access.issue(DEMO_TOKEN_NAME, Role.EVALUATOR, by=_operator())
            shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104
            day = getattr(sys.modules.get("ledger.demo"), "DEMO_AS_OF", None)
            opening = f"?as_of={day}" if day else ""  # (the day the demo's links open on)
            sys.stdout.write(
                f"pages:  http://{shown}:{port}/{opening}"
                "   (no sign-in needed from this machine)\n"
                f"matrix: http://{shown}:{port}/matrix{opening}\n"
                f"API:    http://{shown}:{port}/v1   docs: http://{shown}:{port}/docs\n"
                f"token:  {token}   (role evaluator, name {DEMO_TOKEN_NAME})\n"
            )
            sys.stdout.flush()
    finally:
        access.close()
    # The workers read it in mount_pages: only a --demo server opens its pages to loopback.
    if demo:
        os.environ[OPEN_ON_LOOPBACK_ENV] = "1"
    else:
        os.environ.pop(OPEN_ON_LOOPBACK_ENV, None)
    if workers > 1:
        _fork_workers_from_a_preloaded_server()
    uvicorn.run(
        "api.http:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        proxy_headers=False,
    )
