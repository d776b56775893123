"""What the ledger holds: its head, and the tables made from its events."""

from __future__ import annotations

from typing import Any

from ledger.service import Ledger
from ledger.tables import MODEL


def status(ledger: Ledger) -> dict[str, Any]:
    """The ledger head and the tables' model and size. The tables are written in the
    transaction that records each decision, so they are never behind the head."""
    with ledger.reading() as tables:
        head = tables.head()
        rows = tables.one("SELECT count(*) FROM {p}ledger_rows")[0]
        model = tables.model()
    return {
        "backend": ledger.settings.backend,
        "head": head,
        "model": model,
        "model_expected": MODEL,
        "rows": int(rows),
    }
