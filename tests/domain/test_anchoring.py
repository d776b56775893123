"""Since when a subject's roles have been unanchored: `Anchoring` (kept by the read model, day by
day) and `last_held_by_all` (from holding intervals), each against a plain day-by-day walk."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.anchoring import CONDITIONS, NEVER_DECIDED, last_held_by_all
from domain.vocabulary import EARLIEST_DATE, Role

START = date(2021, 1, 1)
PARTIES = ("smb", "korpschef", "minister-jenv")


def test_a_run_that_breaks_and_resumes_within_one_day_never_broke() -> None:
    runs = NEVER_DECIDED
    # nobody, since always
    assert runs.since == {"no_accountable": EARLIEST_DATE, "nobody_responsible": EARLIEST_DATE}
    runs = runs.on(date(2021, 3, 1), 1, 0)  # an accountable party, nobody responsible
    assert runs.since == {
        "no_responsible": date(2021, 3, 1),
        "nobody_responsible": EARLIEST_DATE,
    }
    runs = runs.on(date(2021, 4, 1), 1, 1)
    assert runs.since == {}
    # relieved and assigned again the same day: the day ends anchored as it began
    runs = runs.on(date(2021, 5, 1), 1, 1)
    assert runs.since == {}
    # a second accountable party
    runs = runs.on(date(2021, 6, 1), 2, 1)
    assert runs.since == {"several_accountable": date(2021, 6, 1)}
    assert runs.on(date(2021, 7, 1), 2, 1).since == {"several_accountable": date(2021, 6, 1)}
    assert runs.on(date(2021, 7, 1), 1, 1).since == {}


changes = st.lists(
    st.tuples(
        st.integers(0, 30),  # days after the previous change
        st.sampled_from(PARTIES),
        st.sampled_from([Role.ACCOUNTABLE, Role.RESPONSIBLE]),
        st.booleans(),  # gained or lost
    ),
    max_size=25,
)


@settings(max_examples=300, deadline=None)
@given(changes)
def test_anchoring_day_by_day_agrees_with_a_walk_over_the_days(
    steps: list[tuple[int, str, Role, bool]],
) -> None:
    """`Anchoring.on`, applied at the end of each day a role changed, keeps since when each
    condition has held as a walk back over the days finds it."""
    runs = NEVER_DECIDED
    holders: dict[Role, set[str]] = {Role.ACCOUNTABLE: set(), Role.RESPONSIBLE: set()}
    days: list[tuple[date, int, int]] = []  # the counts at the end of each day
    on = START
    previous = runs
    for gap, party, role, gained in steps:
        if gap:
            previous = runs
        on += timedelta(days=gap)
        (holders[role].add if gained else holders[role].discard)(party)
        counts = (len(holders[Role.ACCOUNTABLE]), len(holders[Role.RESPONSIBLE]))
        runs = previous.on(on, *counts)
        if days and days[-1][0] == on:
            days[-1] = (on, *counts)
        else:
            days.append((on, *counts))
    for name, holds in CONDITIONS.items():
        last = days[-1][1:] if days else (0, 0)
        expected_holds = holds(*last)
        assert (name in runs.since) == expected_holds
        if expected_holds:
            start = EARLIEST_DATE
            for day, accountable, responsible in reversed(days):
                if not holds(accountable, responsible):
                    break
                start = day
            else:
                start = EARLIEST_DATE if holds(0, 0) else start
            assert runs.since[name] == start, name


intervals = st.lists(
    st.tuples(st.integers(0, 60), st.one_of(st.none(), st.integers(1, 30))), max_size=4
).map(
    lambda pairs: [
        (START + timedelta(days=a), None if n is None else START + timedelta(days=a + n))
        for a, n in pairs
    ]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(intervals, min_size=1, max_size=3), st.integers(0, 90))
def test_last_held_by_all_is_the_end_of_the_last_day_all_held(
    histories: list[list[tuple[date, date | None]]], offset: int
) -> None:
    as_of = START + timedelta(days=offset)

    def held(intervals: list[tuple[date, date | None]], day: date) -> bool:
        return any(a <= day and (b is None or day < b) for a, b in intervals)

    if all(held(h, as_of) for h in histories):
        return  # not asked: someone must not hold the role on as_of
    expected = EARLIEST_DATE
    day = as_of
    while day >= START:
        if all(held(h, day) for h in histories):
            expected = day + timedelta(days=1)
            break
        day -= timedelta(days=1)
    assert last_held_by_all(histories, as_of) == expected
