"""Commands of `ledger` (registered on api.cli.app): `ledger demo`."""

from __future__ import annotations

import typer

from api.cli import _fail, _open, app
from domain.errors import DomainError
from ledger.demo import DEMO_FILE, load_demo


@app.command()
def demo() -> None:
    """Record the demo scenario: the letter of 3 February 2022 (Kamerstuk 25 124, nr. 109).

    Loading it again records nothing new.
    """
    ledger = _open()
    try:
        count = load_demo(ledger)
        head = ledger.head
    except DomainError as error:
        raise _fail(error) from None
    finally:
        ledger.close()
    if count:
        typer.echo(f"recorded {count} decision(s) from {DEMO_FILE.name}; head {head}")
    else:
        typer.echo(f"recorded 0 decision(s): the demo was already loaded; head {head}")
