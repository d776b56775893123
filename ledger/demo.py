"""The demo scenario: the Minister of Justice and Security's letter of 3 February 2022
(Kamerstuk 25 124, nr. 109) and its timeline, as decisions in the import format.

The scenario is data (`demo_data/kamerstuk-25124-109.jsonl`), not code: one decision a line,
each with the document it rests on. `load_demo` records it through the same service the API
uses, atomically and under one idempotency key, so loading it twice records nothing new.
"""

from __future__ import annotations

from pathlib import Path

from ledger.service import Ledger
from ledger.transfer import read_decisions

DEMO_FILE = Path(__file__).parent / "demo_data" / "kamerstuk-25124-109.jsonl"
"""The scenario file (shipped as package data of `ledger`)."""

DEMO_RECORDED_BY = "demo"
DEMO_IDEMPOTENCY_KEY = "demo:kamerstuk-25124-109"


def load_demo(ledger: Ledger, path: Path = DEMO_FILE) -> int:
    """Record the demo scenario; return how many decisions were NEW (0 if it was loaded before).

    Raises InvalidDecision if a line is malformed, RuleViolation if the ledger already holds
    decisions the scenario conflicts with (e.g. a party id in use), and IdempotencyConflict if
    a different version of the scenario was loaded earlier under the same key.
    """
    with path.open("rb") as stream:
        decisions = read_decisions(stream)
    head = ledger.head
    recorded = ledger.record(
        decisions, recorded_by=DEMO_RECORDED_BY, idempotency_key=DEMO_IDEMPOTENCY_KEY
    )
    # A replay returns the decisions recorded earlier, all at or before the old head.
    return sum(1 for item in recorded if item.position > head)
