"""Readers never see a writer's tentative decisions, and never trip over its changes."""

from __future__ import annotations

import contextlib
import threading
from datetime import UTC, date, datetime

from domain.decisions import Decision
from domain.errors import RuleViolation
from ledger.service import Ledger
from projections.answers import Moment, state_of
from tests.builders import assign, basics, party


def tentative(i: int) -> list[Decision]:
    """Decisions a refused batch holds for a while before it is refused."""
    return [party(f"never-{i}-{j}", kind="agency") for j in range(60)]


def test_readers_see_only_committed_decisions_while_batches_fail_and_succeed(
    ledger: Ledger,
) -> None:
    ledger.record(basics(), recorded_by="clerk")
    stop = threading.Event()
    problems: list[BaseException] = []
    seen_ghosts: list[str] = []

    def write() -> None:
        for i in range(40):
            good = party(f"agency-{i}", kind="agency")
            doomed = assign("ghost", "c2000", "informed", "2021-01-01")  # refused: no such party
            with contextlib.suppress(RuleViolation):
                ledger.record([good, *tentative(i), doomed], recorded_by="w")
            ledger.record([good], recorded_by="w")
        stop.set()

    def read() -> None:
        try:
            while not stop.is_set():
                state = state_of(ledger, Moment(date(2030, 1, 1), datetime.now(UTC)))
                seen_ghosts.extend(p for p in state.parties if p.startswith("never-"))
        except BaseException as error:
            problems.append(error)

    threads = [threading.Thread(target=write), threading.Thread(target=read)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert problems == []
    assert seen_ghosts == []
