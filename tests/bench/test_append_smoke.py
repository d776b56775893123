"""The append benchmark still runs: every contender on both backends, with a tiny N."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from bench import append
from domain.decisions import RecordedDecision
from domain.invariants import check
from domain.knowledge import Knowledge


def test_generated_decisions_obey_the_invariants_and_are_of_many_kinds() -> None:
    decisions = append.generate_decisions(400)
    knowledge = Knowledge()
    now = datetime.now(UTC)
    for position, decision in enumerate(decisions, start=1):
        check(decision, knowledge)  # raises RuleViolation if the generator drifts
        knowledge.add(
            RecordedDecision(
                id=uuid4(),
                position=position,
                recorded_at=now,
                recorded_by="bench",
                decision=decision,
            )
        )
    assert len({x.kind for x in decisions}) >= 12


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_every_contender_records_on_both_backends(backend: str) -> None:
    results = append.measure([backend], n_single=5, n_batch=append.BATCH + 7, repeat=1, log=False)
    assert [(r.batch, r.n) for r in results] == [(1, 5), (append.BATCH, append.BATCH + 7)]
    for result in results:
        assert all(result.rate(target) > 0 for target in append.TARGETS)
    assert "ledger/raw" in append.report(results)
