"""Whether a subject's responsibilities are anchored, and since when they have not been.

Conditions on the roles held for one subject itself (not inherited), of which the gap rules of
`domain.gaps` are made:
- `no_accountable`: nobody is accountable;
- `several_accountable`: more than one party is accountable;
- `no_responsible`: a party is accountable, but nobody is responsible for carrying it out;
- `nobody_responsible`: nobody is responsible (what a subject below may inherit).

They depend only on how many parties are accountable and how many responsible. A gap says
since when it holds: the first day of the unbroken run, up to the date asked about, on which its
condition held at the end of the day. `Anchoring` is that, for the end of one day, made from the
previous day's: the read model keeps one per subject and day it changed (a derived entry of the
subject's responsibilities), so the gap report needs no walk through history.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from domain.vocabulary import EARLIEST_DATE

Condition = Callable[[int, int], bool]
"""(how many parties are accountable, how many responsible) -> does the condition hold."""


def nobody_accountable(accountable: int, responsible: int) -> bool:
    return accountable == 0


def several_accountable(accountable: int, responsible: int) -> bool:
    return accountable > 1


def accountable_alone(accountable: int, responsible: int) -> bool:
    return accountable > 0 and responsible == 0


def nobody_responsible(accountable: int, responsible: int) -> bool:
    return responsible == 0


CONDITIONS: dict[str, Condition] = {
    "no_accountable": nobody_accountable,
    "several_accountable": several_accountable,
    "no_responsible": accountable_alone,
    "nobody_responsible": nobody_responsible,
}
"""Each condition whose runs are kept -> the condition. The first three are the gap rules of
the same names; `nobody_responsible` is what a subject below reads of a subject above (whether
it could inherit a responsible party, `domain.inheritance`)."""


@dataclass(frozen=True)
class Anchoring:
    """One subject's accountable and responsible parties counted at the end of a day, and for
    each condition that holds, the first day of its run."""

    accountable: int = 0
    responsible: int = 0
    since: dict[str, date] = field(
        default_factory=lambda: {
            "no_accountable": EARLIEST_DATE,
            "nobody_responsible": EARLIEST_DATE,
        }
    )
    """Condition -> first day of its run. Before any decision nobody was accountable, "since
    always"."""

    def on(self, day: date, accountable: int, responsible: int) -> Anchoring:
        """The anchoring at the end of `day`, given the counts then and this one as the
        anchoring at the end of the day before: a run that held then goes on."""
        return Anchoring(
            accountable,
            responsible,
            {
                name: self.since.get(name, day)
                for name, holds in CONDITIONS.items()
                if holds(accountable, responsible)
            },
        )


NEVER_DECIDED = Anchoring()
"""A subject no responsibility was ever decided for."""


Interval = tuple[date, date | None]
"""[from, to) in valid time; None: open."""


def inherited_holding(
    chain: Sequence[tuple[Sequence[Interval], Sequence[Interval]]], as_of: date
) -> list[tuple[date, date]]:
    """The days up to `as_of` on which a party held a role for a subject, directly or by
    inheritance (`domain.inheritance`), given for the subject and each subject above it in turn
    (the party's own intervals of holding the role for it, the intervals in which anyone held
    the role for it)."""
    # the days on which no subject nearer (so far) had a holder of its own:
    free = [(EARLIEST_DATE, date.fromordinal(as_of.toordinal() + 1))]
    found: list[tuple[date, date]] = []
    for own, anyone in chain:
        found += _intersection(free, _union(own, as_of))
        free = _difference(free, _union(anyone, as_of))
    return sorted(found)


def last_held_by_all(histories: Sequence[Sequence[Interval]], as_of: date) -> date:
    """The day on which the last stretch (up to `as_of`) in which every one of several parties
    held a role ended, given each party's intervals of holding it (in any order, possibly
    adjacent); EARLIEST_DATE if they never all held it together.

    That day starts the unbroken run, up to `as_of`, in which at least one of them did not
    hold it (which must be true on `as_of`).
    """
    if not all(histories):  # one of them never held it
        return EARLIEST_DATE
    common: list[tuple[date, date]] | None = None
    for intervals in histories:
        union = _union(intervals, as_of)
        common = union if common is None else _intersection(common, union)
    ends = [end for _, end in common or [] if end <= as_of]
    return max(ends, default=EARLIEST_DATE)


def _union(intervals: Sequence[Interval], as_of: date) -> list[tuple[date, date]]:
    """Disjoint, sorted, adjacent ones merged; open ends cut just after `as_of`."""
    after = date.fromordinal(as_of.toordinal() + 1)
    merged: list[tuple[date, date]] = []
    for start, end in sorted((s, after if e is None else min(e, after)) for s, e in intervals):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _intersection(
    first: list[tuple[date, date]], second: list[tuple[date, date]]
) -> list[tuple[date, date]]:
    found: list[tuple[date, date]] = []
    i = j = 0
    while i < len(first) and j < len(second):
        start = max(first[i][0], second[j][0])
        end = min(first[i][1], second[j][1])
        if start < end:
            found.append((start, end))
        if first[i][1] < second[j][1]:
            i += 1
        else:
            j += 1
    return found


def _difference(
    first: list[tuple[date, date]], second: list[tuple[date, date]]
) -> list[tuple[date, date]]:
    """The days of `first` not in `second` (both disjoint and sorted)."""
    found: list[tuple[date, date]] = []
    for start, end in first:
        for cut_start, cut_end in second:
            if cut_end <= start or cut_start >= end:
                continue
            if cut_start > start:
                found.append((start, cut_start))
            start = max(start, cut_end)
            if start >= end:
                break
        if start < end:
            found.append((start, end))
    return found
