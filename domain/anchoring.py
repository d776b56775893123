"""Whether a subject's responsibilities are anchored, and since when they have not been.

Three conditions on the roles held for one subject, each a gap of the report
(`projections.gaps`):
- `no_accountable`: nobody is accountable;
- `several_accountable`: more than one party is accountable;
- `no_responsible`: a party is accountable, but nobody is responsible for carrying it out.

A gap says since when it holds: the first day of the unbroken run, up to the date asked about,
on which its condition held at the end of the day. `RoleRuns` follows one subject's holdings
decision by decision and keeps those first days, so the read model can store them as rows
(valid while the run lasts) and the gap report needs no walk through history.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence, Set
from dataclasses import dataclass, field
from datetime import date

from domain.vocabulary import EARLIEST_DATE, Role

Condition = Callable[[Set[str], int], bool]
"""(the parties accountable, how many parties are responsible) -> does the condition hold."""


def nobody_accountable(accountable: Set[str], responsible: int) -> bool:
    return not accountable


def several_accountable(accountable: Set[str], responsible: int) -> bool:
    return len(accountable) > 1


def accountable_alone(accountable: Set[str], responsible: int) -> bool:
    return bool(accountable) and responsible == 0


CONDITIONS: dict[str, Condition] = {
    "no_accountable": nobody_accountable,
    "several_accountable": several_accountable,
    "no_responsible": accountable_alone,
}
"""The gap rule each condition raises -> the condition."""


def _holding_now(accountable: Set[str], responsible: int) -> dict[str, bool]:
    return {name: holds(accountable, responsible) for name, holds in CONDITIONS.items()}


@dataclass
class RoleRuns:
    """One subject's accountable and responsible parties, and since when each condition has
    held. Told every holding gained or lost and, after each decision, the day it took effect
    on (never earlier than the day before)."""

    accountable: set[str] = field(default_factory=set)
    responsible: set[str] = field(default_factory=set)
    day: date | None = None
    """The last day a decision took effect on."""
    since: dict[str, date] = field(default_factory=dict)
    """Condition -> first day of its run, as things stand after the last decision."""
    before: dict[str, date] = field(default_factory=dict)
    """The same at the end of the day before `day` (a run that breaks and resumes within one
    day never broke: only the end of a day counts)."""
    changed: bool = False
    """A role was gained or lost since the last `end_of`."""

    def __post_init__(self) -> None:
        if self.day is None and not self.since:
            # before the first decision: what holds for no holders at all held "always"
            self.since = {
                name: EARLIEST_DATE for name, holds in _holding_now(set(), 0).items() if holds
            }
            self.before = self.since

    def gained(self, party: str, role: Role) -> None:
        holders = self._holders(role)
        if holders is not None:
            holders.add(party)
            self.changed = True

    def lost(self, party: str, role: Role) -> None:
        holders = self._holders(role)
        if holders is not None:
            holders.discard(party)
            self.changed = True

    def _holders(self, role: Role) -> set[str] | None:
        """Who holds `role`, if it is one the conditions look at."""
        if role is Role.ACCOUNTABLE:
            return self.accountable
        return self.responsible if role is Role.RESPONSIBLE else None

    def end_of(self, day: date) -> None:
        """Take in that the decisions up to now took effect up to `day`."""
        if day != self.day:
            self.before, self.day = self.since, day
        if not self.changed:
            return  # the conditions hold as they did, so their runs go on
        self.changed = False
        before = self.before
        self.since = {
            name: before.get(name, day)
            for name, holds in _holding_now(self.accountable, len(self.responsible)).items()
            if holds
        }

    def copy(self) -> RoleRuns:
        # `since` and `before` are replaced, never changed in place: they can be shared
        return RoleRuns(
            set(self.accountable),
            set(self.responsible),
            self.day,
            self.since,
            self.before,
            self.changed,
        )


Interval = tuple[date, date | None]
"""[from, to) in valid time; None: open."""


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
