"""How far each read model is behind the ledger."""

from __future__ import annotations

from typing import Any

from ledger.service import Ledger
from projections.queries import view_for


def status(ledger: Ledger) -> dict[str, Any]:
    """The ledger head and, per read model, its stored position and lag (head - position)."""
    head = ledger.head
    view = view_for(ledger)
    position = view.position()
    return {
        "backend": ledger.settings.backend,
        "head": head,
        "views": [{"name": view.name, "position": position, "lag": head - position}],
    }
