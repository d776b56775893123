"""The questions evaluators ask, answered for (as_of, known_at).

This is the one entry point the API and the CLI use for as-of queries, so that the
implementation behind it (today the oracle replay) can change without touching them.
"""

from __future__ import annotations

from datetime import date, datetime

from domain.governance import GovernanceState
from ledger.service import Ledger
from projections import oracle


def governance_state(ledger: Ledger, as_of: date, known_at: datetime) -> GovernanceState:
    """The whole governance on `as_of`, as known at `known_at`."""
    return oracle.state(ledger.recorded(), as_of, known_at)
