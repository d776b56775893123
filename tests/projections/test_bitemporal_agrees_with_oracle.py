"""The read model answers every (as_of, known_at) exactly as the oracle replay does.

Histories are generated (see `histories`): backdated decisions, transfers, dissolved parties,
corrections (of corrections) that move decisions in time or change whom they name,
retractions (of corrections, of later-dated decisions), consents, decisions recorded out of
effective order, few distinct dates with many ties. The read model is written while each
decision is recorded; it is compared at random points while the history is recorded and at
the end: the state (and its JSON, in the fold's order), the gap report, the matrix's cells with
their sources, who holds which role.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import orjson
import psycopg
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from domain.errors import DomainError
from domain.gaps import Gap
from domain.knowledge import Knowledge
from domain.vocabulary import LATEST_DATE
from ledger.service import Ledger
from ledger.settings import Settings
from projections import answers, oracle
from projections.answers import GapFilter, Moment, Question
from projections.matrix import CellRow, MatrixFilter
from projections.views import state_view
from tests import reads
from tests.builders import decision
from tests.conftest import POSTGRES_URL
from tests.projections.histories import (
    DAYS,
    START,
    Step,
    StepClock,
    authority_histories,
    build,
    busy_histories,
    histories,
    prelude,
    tangled_histories,
)

EXAMPLES = {"sqlite": 200, "postgresql": 50}
"""Hypothesis examples per backend (each is a fresh ledger of up to 42 decisions)."""


@contextmanager
def fresh_ledger(settings: Settings, clock: StepClock | None = None) -> Iterator[Ledger]:
    """A new, empty ledger on the backend of `settings` (one per hypothesis example)."""
    if settings.database_url is None:
        fresh = replace(settings, data_dir=settings.data_dir / uuid.uuid4().hex)
    else:
        schema = f"t_{uuid.uuid4().hex[:16]}"
        fresh = replace(settings, database_url=f"{POSTGRES_URL}?schema={schema}")
    ledger = Ledger(fresh, clock=clock) if clock is not None else Ledger(fresh)
    try:
        yield ledger
    finally:
        ledger.close()
        if fresh.database_url is not None:
            with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{fresh.postgres_schema}" CASCADE')


def assert_answers_agree(ledger: Ledger, as_of: date, known_at: datetime) -> None:
    """Every answer of the read model at (as_of, known_at) equals the replay's."""
    recorded = ledger.recorded()
    knowledge = Knowledge.of(oracle.known_prefix(recorded, known_at))
    right = knowledge.state(as_of)
    with ledger.reading() as tables:
        question = Question(tables, Moment(as_of, known_at))
        # the state, and its JSON (in the order the fold put things in)
        assert question.state() == right
        mine = orjson.loads(orjson.dumps(question.state_json()))
        assert mine == orjson.loads(orjson.dumps(state_view(right, as_of, known_at, question.head)))
        # the gap report, with since, decisions, messages, subjects and parties
        gaps = oracle.find_gaps(right, knowledge, as_of)
        assert question.gaps() == gaps
        assert_gap_pages_agree(question, gaps)
        # the matrix's cells, each role with since and sources as known then
        cells = {(c.party, c.subject): c for c in map(CellRow.of, oracle.cells(right, knowledge))}
        assert {(c.party, c.subject): c for c in question.cells()} == cells
        # the matrix: its parties and subjects in order, the cells shown, the gaps marked
        moment = (as_of, known_at)
        assert question.matrix() == oracle.matrix(right, knowledge, moment)
        kinds = sorted({p.kind.value for p in right.parties.values()})
        if kinds:
            only = MatrixFilter(party_kinds=frozenset(kinds[:1]))
            assert question.matrix(only) == oracle.matrix(right, knowledge, moment, only)
        # who holds which role, down the subject tree, in the matrix and in `responsibilities`
        roles = {(p, s, r.value): above for (p, s, r), above in oracle.held(right).items()}
        held = question.responsibilities()
        assert [(h["party"], h["subject"], h["role"]) for h in held] == sorted(
            roles, key=lambda k: (k[1], k[2], k[0])
        )
        assert {
            (h["party"], h["subject"], h["role"]): h.get("inherited_from") for h in held
        } == roles
        shown = {
            (p, s, role["role"]): role.get("inherited_from")
            for (p, s), row in question.matrix().cells.items()
            for role in orjson.loads(row.json)["roles"]
        }
        assert shown == {
            k: v for k, v in roles.items() if k[0] in right.parties and k[1] in right.subjects
        }
        for subject in {s for _, s, _ in roles}:
            one = question.responsibilities(subject=subject)
            assert [h for h in held if h["subject"] == subject] == one


def assert_gap_pages_agree(question: Question, gaps: list[Gap]) -> None:
    """The gap report read page by page, under each kind of filter the API offers, lists what
    the replay's report lists under the same filter, in its order, and counts it per rule."""
    first = gaps[0] if gaps else None
    filters = [
        GapFilter(),
        GapFilter(about="party"),
        GapFilter(about="subject", rules=frozenset({"no_accountable", "no_responsible"})),
    ]
    if first is not None:
        filters.append(GapFilter(rules=frozenset({first.rule})))
        if first.subject is not None:
            filters.append(GapFilter(subject=first.subject))
        if first.parties:
            filters.append(GapFilter(party=first.parties[0], about=first.about))

    def kept(gap: Gap, only: GapFilter, rules: bool = True) -> bool:
        return (
            (only.about is None or gap.about == only.about)
            and (only.subject is None or gap.subject == only.subject)
            and (only.party is None or only.party in gap.parties)
            and (not rules or only.rules is None or gap.rule in only.rules)
        )

    for only in filters:
        walked: list[Gap] = []
        after: str | None = None
        while True:
            page = question.gap_page(only, after, limit=2)
            walked += [
                answers.gap_of(orjson.loads(item), entity)
                for item, entity in zip(page.items, page.entities, strict=True)
            ]
            assert page.counts == dict(Counter(g.rule for g in gaps if kept(g, only, False)))
            if page.next is None:
                break
            after = page.next
        assert walked == [g for g in gaps if kept(g, only)], only


def assert_agrees(ledger: Ledger, data: st.DataObject) -> None:
    """Compare the read model with the oracle for a few drawn (as_of, known_at)."""
    times = sorted({item.recorded_at for item in ledger.recorded()})
    for _ in range(3):
        as_of = START + timedelta(days=data.draw(st.integers(-40, DAYS + 40), label="as_of"))
        known_at: datetime = data.draw(st.sampled_from(times), label="known_at")
        known_at += timedelta(microseconds=data.draw(st.sampled_from([-1, 0, 1])))
        assert_answers_agree(ledger, as_of, known_at)


def _record_and_compare(settings: Settings, history: list[Step], data: st.DataObject) -> None:
    """Record the history step by step, comparing at random points and at the end."""
    clock = StepClock()
    with fresh_ledger(settings, clock) as ledger:
        ledger.record(prelude(history), recorded_by="test")
        recorded = ledger.recorded()
        for step in history:
            clock.now += timedelta(seconds=step[4])
            candidate = build(step, recorded, ledger)
            if candidate is not None:
                with suppress(DomainError):  # refused by the invariants: not history
                    recorded.extend(ledger.record([candidate], recorded_by="test"))
            if data.draw(st.integers(0, 4), label="query now") == 0:
                assert_agrees(ledger, data)
        assert_agrees(ledger, data)
        # the rows known now do not depend on the order the decisions came in
        before = reads.rows_known_now(ledger)
        ledger.rebuild()
        assert reads.rows_known_now(ledger) == before
        for item in recorded[8:]:
            event(item.kind)
        last = oracle.state(recorded, LATEST_DATE, recorded[-1].recorded_at)
        if last.anomalies:
            event("has anomalies")
        gaps = oracle.find_gaps(last, Knowledge.of(recorded), LATEST_DATE)
        if any(gap.rule == "acceptance_without_authority" for gap in gaps):
            event("an acceptance without authority")
        if any(above is not None for above in oracle.held(last).values()):
            event("a role held by inheritance")
        for subject in last.subjects.values():
            if subject.parent is not None and subject.parent not in last.subjects:
                event("a parent not registered")
            seen, above = {subject.id}, subject.parent
            while above in last.subjects and above not in seen:
                seen.add(above)
                above = last.subjects[above].parent
            if above in seen:
                event("a cycle in the subject tree")


def _examples(settings: Settings, share: float = 1.0) -> hypothesis_settings:
    return hypothesis_settings(
        max_examples=int(EXAMPLES[settings.backend] * share),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )


def test_read_model_equals_oracle_for_any_date_as_known_at_any_time(settings: Settings) -> None:
    @_examples(settings)
    @given(history=histories, data=st.data())
    def agrees(history: list[Step], data: st.DataObject) -> None:
        _record_and_compare(settings, history, data)

    agrees()


def test_read_model_equals_oracle_when_many_roles_are_held(settings: Settings) -> None:
    """The same, on histories dense in responsibilities (`busy_histories`): the matrix's
    grouping of several roles per cell, and the holders the gap rules count, compared on
    states with many roles held at once, which the general histories rarely reach."""

    @_examples(settings, 0.5)
    @given(history=busy_histories, data=st.data())
    def agrees(history: list[Step], data: st.DataObject) -> None:
        _record_and_compare(settings, history, data)

    agrees()


def test_read_model_equals_oracle_on_few_dates_with_many_corrections(settings: Settings) -> None:
    """The same, on `tangled_histories`: few dates and two subjects, so that reliefs,
    transfers, corrections and retractions of later-dated decisions meet earlier-dated ones."""

    @_examples(settings, 0.75)
    @given(history=tangled_histories, data=st.data())
    def agrees(history: list[Step], data: st.DataObject) -> None:
        _record_and_compare(settings, history, data)

    agrees()


def test_read_model_equals_oracle_when_accountable_roles_move_around_acceptances(
    settings: Settings,
) -> None:
    """The same, on `authority_histories`: accountable roles assigned, relieved, transferred,
    corrected and retracted on a subject tree around acceptances of residual risk by the
    parties that hold them, so that an acceptance gains and loses its authority by a change
    on its system or above it."""

    @_examples(settings, 0.5)
    @given(history=authority_histories, data=st.data())
    def agrees(history: list[Step], data: st.DataObject) -> None:
        _record_and_compare(settings, history, data)

    agrees()


# --- a history the property tests once missed, and its variants ---------------------------


def _record(ledger: Ledger, kind: str, **fields: object) -> str:
    (item,) = ledger.record(
        [decision(kind, decided_by=["p0"], source="s", **fields)], recorded_by="clerk"
    )
    return str(item.id)


def _a_role_relieved_then_retracted_then_relieved_earlier(ledger: Ledger, remove: str) -> None:
    """p0 consulted for s0 from 2022-11-13; a later relief (2023-07-09) is put right — by
    `remove` — and p0 is relieved again from an earlier date (2023-04-28)."""
    _record(
        ledger,
        "party.registered",
        party="p0",
        name="P0",
        party_kind="board",
        effective_on="2019-01-01",
    )
    _record(
        ledger,
        "party.registered",
        party="p1",
        name="P1",
        party_kind="board",
        effective_on="2019-01-01",
    )
    for subject in ("s0", "s1"):
        _record(
            ledger,
            "subject.registered",
            subject=subject,
            name=subject.upper(),
            subject_kind="system",
            effective_on="2019-01-01",
        )
    _record(
        ledger,
        "responsibility.assigned",
        party="p0",
        subject="s0",
        role="consulted",
        effective_on="2022-11-13",
    )
    if remove == "transfer":
        later = _record(
            ledger,
            "responsibility.transferred",
            from_party="p0",
            to_party="p1",
            subject="s0",
            role="consulted",
            effective_on="2023-07-09",
        )
    else:
        later = _record(
            ledger,
            "responsibility.relieved",
            party="p0",
            subject="s0",
            role="consulted",
            effective_on="2023-07-09",
        )
    if remove == "moved":
        moved = {
            "kind": "responsibility.relieved",
            "party": "p0",
            "subject": "s1",
            "role": "consulted",
            "decided_by": ["p0"],
            "effective_on": "2023-07-09",
            "source": "s",
        }
        _record(
            ledger,
            "decision.corrected",
            corrects=later,
            replacement=moved,
            effective_on="2023-07-09",
        )
    else:
        _record(
            ledger, "decision.retracted", retracts=later, reason="wrong", effective_on="2023-07-09"
        )
    _record(
        ledger,
        "responsibility.relieved",
        party="p0",
        subject="s0",
        role="consulted",
        effective_on="2023-04-28",
    )


def test_a_role_relieved_earlier_after_a_later_relief_was_retracted_is_not_held(
    settings: Settings,
) -> None:
    """The relief retracted, then a relief from an earlier date: on 2023-05-01 p0 holds
    nothing — the same whether the later decision was a relief, a transfer, or a relief moved
    to another subject by a correction — and a relief on that date is refused."""
    for remove in ("retracted", "transfer", "moved"):
        with fresh_ledger(settings) as ledger:
            _a_role_relieved_then_retracted_then_relieved_earlier(ledger, remove)
            now = datetime.now(UTC)
            for day in (date(2023, 4, 27), date(2023, 5, 1), date(2023, 7, 9), date(2024, 1, 1)):
                assert_answers_agree(ledger, day, now)
            with ledger.reading() as tables:
                question = Question(tables, Moment(date(2023, 5, 1), now))
                assert question.responsibilities(subject="s0") == [], remove
                assert question.state().holdings == {}
            with suppress(DomainError):
                _record(
                    ledger,
                    "responsibility.relieved",
                    party="p0",
                    subject="s0",
                    role="consulted",
                    effective_on="2023-05-01",
                )
                raise AssertionError("a relief of a role not held was recorded")
