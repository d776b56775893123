"""The executable definition of time travel: a plain replay of the ledger.

    state(as_of=D, known_at=K) is the fold, in order of (effective_on, position), of every
    decision recorded at or before K whose effective_on is on or before D, after applying every
    correction and retraction recorded at or before K to the decision it names.

A decision that needs consents is in force from the date of the last of them. Faster read
models must agree with this function; the property tests compare them.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import date, datetime

from domain.decisions import RecordedDecision
from domain.governance import GovernanceState
from domain.knowledge import Knowledge


def known_prefix(
    recorded: Sequence[RecordedDecision], known_at: datetime
) -> Sequence[RecordedDecision]:
    """The decisions recorded at or before `known_at` (recorded_at never decreases)."""
    return recorded[: known_count(recorded, known_at)]


def known_count(recorded: Sequence[RecordedDecision], known_at: datetime) -> int:
    """How many decisions were recorded at or before `known_at`: the ledger position then."""
    return bisect_right(recorded, known_at, key=lambda item: item.recorded_at)


def state(recorded: Sequence[RecordedDecision], as_of: date, known_at: datetime) -> GovernanceState:
    """The governance on `as_of`, as the ledger knew it at `known_at`."""
    return Knowledge.of(known_prefix(recorded, known_at)).state(as_of)
