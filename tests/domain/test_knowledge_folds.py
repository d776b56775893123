"""The cached per-group folds the invariants use always equal a fresh fold of the same group."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.decisions import Decision
from domain.errors import RuleViolation
from domain.knowledge import Knowledge
from tests.builders import assign, basics, decision, remember

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


@settings(max_examples=150, deadline=None)
@given(st.lists(step, min_size=1, max_size=30), st.lists(day, min_size=3, max_size=3))
def test_cached_group_folds_equal_fresh_folds(
    ops: list[tuple[object, ...]], days: list[str]
) -> None:
    knowledge = Knowledge()
    for base in basics():
        remember(knowledge, base)
    keys = [("responsibilities", s) for s in SUBJECTS] + [("party", p) for p in PARTIES]
    for op in ops:
        candidate = to_decision(knowledge, op)
        if candidate is None:
            continue
        try:
            remember(knowledge, candidate)  # the check consults (and fills) the cache
        except RuleViolation:
            continue
        for key in keys:
            for on in [date.fromisoformat(x) for x in days] + [date(2200, 1, 1)]:
                cached = knowledge.state_of(key, on)
                fresh = knowledge.state(on, about=[key])
                assert cached.holdings == fresh.holdings
                assert cached.parties == fresh.parties


@settings(max_examples=60, deadline=None)
@given(st.lists(step, min_size=1, max_size=30), st.data())
def test_knowledge_cut_at_a_position_equals_a_replay_of_that_prefix(
    ops: list[tuple[object, ...]], data: st.DataObject
) -> None:
    knowledge = Knowledge()
    for base in basics():
        remember(knowledge, base)
    for op in ops:
        candidate = to_decision(knowledge, op)
        if candidate is not None:
            try:
                remember(knowledge, candidate)
            except RuleViolation:
                continue
    position = data.draw(st.integers(min_value=0, max_value=knowledge.head))
    copy = knowledge.copy_until(position)
    replay = Knowledge.of(knowledge.recorded[:position])
    for name in (
        "recorded",
        "by_id",
        "root_of",
        "corrections",
        "retracted_by",
        "consents",
        "about",
        "requests",
        "needs_consent",
    ):
        assert getattr(copy, name) == getattr(replay, name), name
    # the view shares the indexes and hides what came later; it answers as the replay does
    view = knowledge.known_until(position)
    assert view.head == replay.head
    assert list(view.recorded) == replay.recorded
    for name in ("by_id", "root_of", "corrections", "retracted_by", "consents", "about"):
        mapping = getattr(view, name)
        expected = getattr(replay, name)
        assert {k: mapping[k] for k in mapping} == expected, name
        assert len(mapping) == len(expected), name
        for key in getattr(knowledge, name):
            assert (key in mapping) == (key in expected), name
            assert mapping.get(key) == expected.get(key), name
    assert sorted(view.needs_consent) == sorted(replay.needs_consent)
    for item in knowledge.recorded:
        assert view.get(item.id) == replay.get(item.id)
        assert view.current(item.id) == replay.current(item.id)
        assert view.in_force(item.id) == replay.in_force(item.id)
        assert view.consent_dates(item.id) == replay.consent_dates(item.id)
    assert view.roots(replay.by_id) == replay.roots(replay.by_id)
    for on in (date(2019, 1, 1), date(2021, 6, 1), date(2200, 1, 1)):
        assert view.state(on) == replay.state(on)


def test_a_copy_at_the_head_is_independent_of_what_is_added_later() -> None:
    knowledge = Knowledge()
    for base in basics():
        remember(knowledge, base)
    remember(knowledge, assign("smb", "c2000", "oversight", "2021-01-01"))
    copy = knowledge.copy_until(knowledge.head)
    assert copy == Knowledge.of(knowledge.recorded)
    head = copy.head
    remember(knowledge, assign("korpschef", "c2000", "responsible", "2021-01-01"))
    assert copy.head == head and copy == Knowledge.of(knowledge.recorded[:head])
    assert len(copy.about[("responsibilities", "c2000")]) == 1


def test_readings_change_only_when_a_known_decision_may_read_otherwise() -> None:
    """The token what is derived from the decisions' content is kept by: the same while
    decisions are only added (and in a copy at the head), new after a correction, a
    retraction or a rollback (and in a copy cut earlier)."""
    knowledge = Knowledge()
    for base in basics():
        remember(knowledge, base)
    token = knowledge.readings
    first = remember(knowledge, assign("smb", "c2000", "oversight", "2021-01-01"))
    assert knowledge.readings is token
    assert knowledge.copy_until(knowledge.head).readings is token
    assert knowledge.copy_until(knowledge.head - 1).readings is not token
    assert knowledge.known_until(knowledge.head - 1).readings is token  # (a cut: its whole's)
    replacement = first.decision.model_dump(mode="json") | {"source": "Kamerbrief 2"}
    fix = remember(
        knowledge, decision("decision.corrected", corrects=str(first.id), replacement=replacement)
    )
    corrected = knowledge.readings
    assert corrected is not token
    remember(knowledge, decision("decision.retracted", retracts=str(fix.id), reason="mistake"))
    retracted = knowledge.readings
    assert retracted is not corrected
    knowledge.rollback_to(knowledge.head - 1)
    assert knowledge.readings is not retracted
