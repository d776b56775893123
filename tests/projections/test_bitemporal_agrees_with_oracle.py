"""The bitemporal read model answers every (as_of, known_at) exactly as the oracle replay does.

Histories are generated (see `histories`): backdated decisions, transfers, dissolved parties,
corrections (of corrections) that move decisions in time or change whom they name,
retractions, consents, decisions recorded out of effective order. The read model is caught up
at random points while the history is recorded, so both its incremental paths (a decision in
effective order, and the recomputation of a disturbed group) run between queries.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import fields, replace
from datetime import datetime, timedelta

import psycopg
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from domain.errors import DomainError
from domain.governance import GovernanceState
from domain.knowledge import Knowledge
from domain.vocabulary import LATEST_DATE
from ledger.service import Ledger
from ledger.settings import Settings
from projections import evaluation, oracle, queries
from projections.evaluation import Moment
from projections.gaps import find_gaps
from projections.matrix import MatrixFilter, build_matrix
from projections.views import state_view
from tests.conftest import POSTGRES_URL
from tests.projections.histories import (
    DAYS,
    START,
    Step,
    StepClock,
    build,
    busy_histories,
    histories,
    prelude,
)

EXAMPLES = {"sqlite": 200, "postgresql": 50}
"""Hypothesis examples per backend (each is a fresh ledger of up to 42 decisions)."""


@contextmanager
def fresh_ledger(settings: Settings, clock: StepClock) -> Iterator[Ledger]:
    """A new, empty ledger on the backend of `settings` (one per hypothesis example)."""
    if settings.database_url is None:
        fresh = replace(settings, data_dir=settings.data_dir / uuid.uuid4().hex)
    else:
        schema = f"t_{uuid.uuid4().hex[:16]}"
        fresh = replace(settings, database_url=f"{POSTGRES_URL}?schema={schema}")
    ledger = Ledger(fresh, clock=clock)
    try:
        yield ledger
    finally:
        queries.view_for(ledger).close()
        ledger.close()
        if fresh.database_url is not None:
            with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{fresh.postgres_schema}" CASCADE')


def assert_agrees(ledger: Ledger, data: st.DataObject) -> None:
    """Compare the read model with the oracle for a few drawn (as_of, known_at)."""
    recorded = ledger.recorded()
    times = sorted({item.recorded_at for item in recorded})
    for _ in range(3):
        as_of = START + timedelta(days=data.draw(st.integers(-40, DAYS + 40), label="as_of"))
        known_at: datetime = data.draw(st.sampled_from(times), label="known_at")
        known_at += timedelta(microseconds=data.draw(st.sampled_from([-1, 0, 1])))
        fast = queries.governance_state(ledger, as_of, known_at)
        right = oracle.state(recorded, as_of, known_at)
        assert fast == right
        # the same, including the order the fold put things in
        assert state_view(fast, as_of, known_at, 0) == state_view(right, as_of, known_at, 0)
        # the matrix and the gap report (their "since" from the read model's anchoring runs)
        snap = evaluation.snapshot(ledger, Moment(as_of, known_at))
        # the state the matrix and gaps read: the same content, in no particular order
        unordered = snap.rows.unordered
        for field in fields(GovernanceState):
            mine, theirs = getattr(unordered, field.name), getattr(right, field.name)
            if field.name == "anomalies":
                mine, theirs = sorted(map(repr, mine)), sorted(map(repr, theirs))
            assert mine == theirs, field.name
        assert unordered == right
        knowledge = Knowledge.of(oracle.known_prefix(recorded, known_at))
        assert evaluation.gaps_of(snap) == find_gaps(right, knowledge, as_of)
        matrix = evaluation.matrix_of(snap)
        expected = build_matrix(
            right, knowledge, as_of=as_of, known_at=known_at, ledger_head=knowledge.head
        )
        assert matrix.cells == expected.cells
        assert (matrix.parties, matrix.subjects) == (expected.parties, expected.subjects)
        # ... and filtered to one kind of party (the cells of the others left out)
        kinds = sorted({p.kind.value for p in right.parties.values()})
        if kinds:
            only = MatrixFilter(party_kinds=frozenset({data.draw(st.sampled_from(kinds))}))
            filtered = evaluation.matrix_of(snap, only)
            expected = build_matrix(
                right,
                knowledge,
                as_of=as_of,
                known_at=known_at,
                ledger_head=knowledge.head,
                only=only,
            )
            assert (filtered.cells, filtered.parties) == (expected.cells, expected.parties)


def test_read_model_equals_oracle_for_any_date_as_known_at_any_time(settings: Settings) -> None:
    @hypothesis_settings(
        max_examples=EXAMPLES[settings.backend],
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(history=histories, data=st.data())
    def agrees(history: list[Step], data: st.DataObject) -> None:
        _record_and_compare(settings, history, data)

    agrees()


def test_read_model_equals_oracle_when_many_roles_are_held(settings: Settings) -> None:
    """The same, on histories dense in responsibilities (`busy_histories`): the matrix's
    grouping of several roles per cell, and the holders the gap rules count, compared on
    states with many roles held at once, which the general histories rarely reach."""

    @hypothesis_settings(
        max_examples=EXAMPLES[settings.backend] // 2,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(history=busy_histories, data=st.data())
    def agrees(history: list[Step], data: st.DataObject) -> None:
        _record_and_compare(settings, history, data)

    agrees()


def _record_and_compare(settings: Settings, history: list[Step], data: st.DataObject) -> None:
    """Record the history step by step, comparing at random points and at the end."""
    clock = StepClock()
    with fresh_ledger(settings, clock) as ledger:
        ledger.record(prelude(history), recorded_by="test")
        recorded = ledger.recorded()
        for step in history:
            clock.now += timedelta(seconds=step[4])
            decision = build(step, recorded, ledger)
            if decision is not None:
                with suppress(DomainError):  # refused by the invariants: not history
                    recorded.extend(ledger.record([decision], recorded_by="test"))
            if data.draw(st.integers(0, 4), label="query now") == 0:
                assert_agrees(ledger, data)
        assert_agrees(ledger, data)
        for item in recorded[8:]:
            event(item.kind)
        if oracle.state(recorded, LATEST_DATE, recorded[-1].recorded_at).anomalies:
            event("has anomalies")
