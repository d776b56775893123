"""The demo scenario: the Minister of Justice and Security's letter of 3 February 2022
(Kamerstuk 25 124, nr. 109) and its timeline, as decisions in the import format.

The scenario is data (`demo_data/kamerstuk-25124-109.jsonl`), not code: one decision a line,
each with the document it rests on. `load_demo` records it through the same service the API
uses, one decision at a time under its own idempotency key, so loading it twice records nothing
new. So that "as known at" means something in the demo, each decision is recorded as the
secretariat would have recorded it: at the end of the day it took effect (or, if the file lists
it later than a decision of a later date, just after that one — recorded late), never after now.
A line that corrects, retracts or consents to an earlier line names it as `"line:N"` (its line
number in the file); the loader puts in the id that line was recorded under.

After the letter the file goes on with a fictional sequel, each line's source saying so, that
shows what the letter alone cannot: acceptance criteria and residual-risk acceptances (one
without criteria), a decision waiting for two ministers' consent, the recommendation closed,
a commitment kept late, a correction and a retraction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson

from domain.decisions import Decision, decode_decision
from domain.errors import FieldProblem, InvalidDecision
from domain.vocabulary import AMSTERDAM
from ledger.service import Ledger

DEMO_FILE = Path(__file__).parent / "demo_data" / "kamerstuk-25124-109.jsonl"
"""The scenario file (shipped as package data of `ledger`)."""

DEMO_RECORDED_BY = "demo"
DEMO_IDEMPOTENCY_KEY = "demo:kamerstuk-25124-109"
DEMO_AS_OF = "2022-02-03"
"""The day of the letter: where the demo's links open (its last decisions take effect then)."""


def recording_moment(day: date, now: datetime) -> datetime:
    """When the secretariat would have recorded a decision taking effect on `day`."""
    return min(datetime.combine(day, time(17), tzinfo=AMSTERDAM).astimezone(UTC), now)


def load_demo(ledger: Ledger, path: Path = DEMO_FILE) -> int:
    """Record the demo scenario; return how many decisions were NEW (0 if it was loaded before).

    Raises InvalidDecision if a line is malformed, RuleViolation if the ledger already holds
    decisions the scenario conflicts with (e.g. a party id in use), and IdempotencyConflict if
    a different version of a line was loaded earlier under the same key.
    """
    lines = [orjson.loads(raw) for raw in path.read_bytes().splitlines() if raw.strip()]
    placeholder = UUID(int=0)
    for number, data in enumerate(lines, start=1):  # the whole file is checked first
        decode_decision(_resolved(data, number, lambda _: placeholder), where=f"line {number}: ")
    ids: dict[int, UUID] = {}
    now = datetime.now(UTC)
    moment = [now]
    # A second service over the same store, whose clock is the simulated recording moment;
    # the ledger never lets recorded_at run backwards, so a late line is recorded late.
    recorder = Ledger(ledger.settings, clock=lambda: moment[0])
    new = 0
    try:
        head = recorder.head
        for number, data in enumerate(lines, start=1):
            decision: Decision = decode_decision(_resolved(data, number, ids.__getitem__))
            moment[0] = recording_moment(decision.effective_on, now)
            (item,) = recorder.record(
                [decision],
                recorded_by=DEMO_RECORDED_BY,
                idempotency_key=f"{DEMO_IDEMPOTENCY_KEY}:{number}",
            )
            ids[number] = item.id
            new += item.position > head
    finally:
        recorder.close()
    return new


_REFERENCES = ("corrects", "retracts", "decision")
"""The fields by which a decision names another one."""


def _resolved(data: Any, number: int, id_of: Callable[[int], UUID]) -> Any:
    """The line with each `"line:N"` reference to an earlier line replaced by `id_of(N)`."""
    if not isinstance(data, dict):
        return data
    found = dict(data)
    for field in _REFERENCES:
        value = found.get(field)
        if isinstance(value, str) and value.startswith("line:"):
            target = value.removeprefix("line:")
            if not target.isdigit() or not 0 < int(target) < number:
                raise InvalidDecision(
                    [FieldProblem(f"line {number}: {field}", "reference", "names no earlier line")]
                )
            found[field] = str(id_of(int(target)))
    return found
