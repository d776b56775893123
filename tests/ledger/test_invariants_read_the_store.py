"""The invariants read what they need from the store inside the recording transaction, and it
answers as a replay of the ledger would: the same decisions are refused, with the same rule."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from functools import partial

from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from domain.decisions import Decision
from domain.errors import RuleViolation
from domain.invariants import check
from domain.knowledge import Knowledge
from domain.vocabulary import Role
from ledger.known import StoreKnown
from ledger.settings import Settings
from tests.builders import assign, basics, decision
from tests.projections.test_bitemporal_agrees_with_oracle import fresh_ledger

PARTIES = ["smb", "korpschef", "minister-jenv"]
SUBJECTS = ["c2000", "informatiebeveiliging"]
ROLES = ["accountable", "responsible", "oversight"]
START = date(2020, 7, 1)

day = st.integers(min_value=0, max_value=900).map(lambda n: (START + timedelta(days=n)).isoformat())
step = st.one_of(
    st.builds(
        lambda p, s, r, on: ("assign", p, s, r, on),
        st.sampled_from(PARTIES),
        st.sampled_from(SUBJECTS),
        st.sampled_from(ROLES),
        day,
    ),
    st.builds(
        lambda p, s, r, on: ("relieve", p, s, r, on),
        st.sampled_from(PARTIES),
        st.sampled_from(SUBJECTS),
        st.sampled_from(ROLES),
        day,
    ),
    st.builds(
        lambda a, b, s, r, on: ("transfer", a, b, s, r, on),
        st.sampled_from(PARTIES),
        st.sampled_from(PARTIES),
        st.sampled_from(SUBJECTS),
        st.sampled_from(ROLES),
        day,
    ),
    st.builds(lambda i, on: ("move", i, on), st.integers(min_value=0, max_value=50), day),
    st.builds(lambda i: ("retract", i), st.integers(min_value=0, max_value=50)),
    st.builds(lambda on: ("dissolve", on), day),
)


def to_decision(knowledge: Knowledge, op: tuple[object, ...]) -> Decision | None:
    kind = op[0]
    if kind == "assign":
        return assign(str(op[1]), str(op[2]), str(op[3]), str(op[4]))
    if kind == "relieve":
        return decision(
            "responsibility.relieved", party=op[1], subject=op[2], role=op[3], effective_on=op[4]
        )
    if kind == "transfer":
        if op[1] == op[2]:
            return None
        return decision(
            "responsibility.transferred",
            from_party=op[1],
            to_party=op[2],
            subject=op[3],
            role=op[4],
            effective_on=op[5],
        )
    if kind == "dissolve":
        return decision(
            "party.dissolved", party="korpschef", decided_by=["minister-jenv"], effective_on=op[1]
        )
    targets = [r for r in knowledge.recorded if r.kind.startswith("responsibility.")]
    if not targets:
        return None
    target = targets[int(op[1]) % len(targets)]  # type: ignore[call-overload]
    if kind == "move":
        content = knowledge.current(target.id)
        if content is None:
            return None
        replacement = content.model_dump(mode="json") | {"effective_on": op[2]}
        return decision("decision.corrected", corrects=str(target.id), replacement=replacement)
    return decision("decision.retracted", retracts=str(target.id), reason="test")


def refusal(action: Callable[[], object]) -> tuple[str, str] | None:
    """The (rule, field) an action is refused by, or None if it is not."""
    try:
        action()
    except RuleViolation as violation:
        return violation.rule, violation.field
    return None


def check_the_store_answers_as_a_replay(
    settings: Settings, ops: list[tuple[object, ...]], days: list[str]
) -> None:
    with fresh_ledger(settings) as ledger:
        ledger.record(basics(), recorded_by="test")
        recorded = ledger.recorded()
        for op in ops:
            candidate = to_decision(Knowledge.of(recorded), op)
            if candidate is None:
                continue
            replayed = refusal(partial(check, candidate, Knowledge.of(recorded)))
            stored = refusal(partial(ledger.record, [candidate], recorded_by="test"))
            assert stored == replayed, candidate
            recorded = ledger.recorded()
        knowledge = Knowledge.of(recorded)
        with ledger.reading() as tables:
            store = StoreKnown(tables)
            for item in recorded:
                assert store.current(item.id) == knowledge.current(item.id)
                assert store.root(item.id) == knowledge.root(item.id)
                assert store.is_retracted(item.id) == knowledge.is_retracted(item.id)
            for on in [date.fromisoformat(x) for x in days] + [date(2200, 1, 1)]:
                for party in PARTIES:
                    assert store.entry("party", party, party, on) == knowledge.entry(
                        "party", party, party, on
                    )
                    for subject in SUBJECTS:
                        for role in ROLES:
                            key = (party, subject, Role(role))
                            assert store.entry(
                                "responsibilities", subject, key, on
                            ) == knowledge.entry("responsibilities", subject, key, on)


def test_the_invariants_read_from_the_store_decide_as_on_a_replay(settings: Settings) -> None:
    """Each decision is checked against the tables inside the recording transaction; what
    they say (an entry on a date, a decision's content now) is what a replay of the ledger
    says, and so every decision is refused or recorded as the in-memory knowledge would."""

    @hypothesis_settings(
        max_examples=60 if settings.database_url is None else 25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(ops=st.lists(step, min_size=1, max_size=30), days=st.lists(day, min_size=3, max_size=3))
    def agrees(ops: list[tuple[object, ...]], days: list[str]) -> None:
        check_the_store_answers_as_a_replay(settings, ops, days)

    agrees()
