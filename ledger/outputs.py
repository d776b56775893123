"""The gap report as rows: each scope of gap rules (`domain.gaps.SCOPES`) swept over valid time
whenever something it reads changes.

A sweep asks a scope's rules on one day after another (`TimelineFacts` answers them from the
rows known now), from the first day a change touches: each answer says, besides its value, on
which later day it would change (the end of the row it came from, the start of the next one,
a date threshold the rule asked about through `reached`), so the sweep moves to the earliest
such day and asks again, until nothing would change any more. Each gap becomes a row valid
from the day it starts to hold to the day it stops, written like the groups' rows
(`ledger.timeline.rewrite`).

Which scopes to sweep: a scope is *owned* by the entry it is about (a subject's anchoring
scope by the subject, a risk's by the risk, a system's acceptance criteria by the risks on it,
a decision waiting for consent by the decision), and it is swept again whenever any key it
read changed (`ledger_reads` remembers each scope's reads: an entry, or a look-up such as "the
accountable roles for c2000").
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any
from uuid import UUID

from domain.anchoring import Anchoring, Interval
from domain.gaps import RULE_ABOUT, SCOPES, Gap, Identified, Scope, Waiting
from domain.governance import (
    CommitmentState,
    Criteria,
    Holding,
    Party,
    Recommendation,
    Risk,
    Subject,
    entity_of,
)
from domain.vocabulary import Role
from ledger.known import cluster
from ledger.tables import OPEN_DAY, Row, Tables, Value
from ledger.timeline import Key, Point, decode, dumps, rewrite

Timeline = list[tuple[int, int, Any]]
"""(valid_from, valid_to, value) of one entry, in order."""

_OWNERS: dict[str, str] = {
    "row/subject": "subject",
    "row/party": "party",
    "row/risk": "risk",
    "risks_on": "system",
    "row/recommendation": "recommendation",
    "row/commitment": "commitment",
    "decision": "consent",
}
"""The prefix of a changed key -> the kind of scope it owns (keyed by the key's last part)."""


def scope_name(scope: Scope) -> str:
    return f"gaps/{scope[0]}:{scope[1]}"


def _owned(key: str) -> Scope | None:
    prefix, _, name = key.rpartition("/")
    kind = _OWNERS.get(prefix)
    return None if kind is None else (kind, name)


def update(tables: Tables, changed: Mapping[str, int], position: int) -> None:
    """Sweep again every scope owned by or reading a changed key (key -> the first day it
    changed), writing its gap rows as known from `position`."""
    scopes: dict[Scope, int] = {}
    for key, day in changed.items():
        owned = _owned(key)
        if owned is not None:
            scopes[owned] = min(scopes.get(owned, day), day)
    for reader, key in tables.readers_of(changed):
        kind, _, name = reader.partition(":")
        found = (kind, name)
        scopes[found] = min(scopes.get(found, changed[key]), changed[key])
    for scope, since in sorted(scopes.items()):
        sweep(tables, scope, since, position)


def sweep(tables: Tables, scope: Scope, since: int, position: int) -> None:
    """Ask the scope's rules from day `since` on; rewrite its gap rows from that day."""
    facts = TimelineFacts(tables, since)
    rules = SCOPES[scope[0]]
    answers: list[tuple[int, list[Gap]]] = []
    day: int | None = since
    while day is not None:
        facts.at(day)
        answers.append((day, rules(facts, scope[1])))
        day = facts.next
    grp = scope_name(scope)
    rows = tables.open_rows(grp=grp, ending_after=since)
    points: dict[Key, list[Point]] = {(row.kind, row.entity): [(since, None)] for row in rows}
    for start, gaps in answers:
        present = {
            (gap_kind(RULE_ABOUT[gap.rule]), gap_entity(gap)): gap_value(gap) for gap in gaps
        }
        for key in points.keys() | present.keys():
            points.setdefault(key, [(since, None)]).append((start, present.get(key)))
    close, insert = rewrite(grp, since, rows, points)
    tables.close_rows(close, position)
    tables.insert_rows(insert, position)
    owner = {f"row/{scope[0]}/{scope[1]}", f"decision/{scope[1]}"}
    tables.add_reads(f"{scope[0]}:{scope[1]}", facts.reads - owner)


def gap_kind(about: str) -> str:
    """The kind of the rows of gaps about `about` (`domain.gaps.RULE_ABOUT`): `subject_gap` for
    a subject (the matrix reads those alone), else `gap`."""
    return "subject_gap" if about == "subject" else "gap"


def gap_entity(gap: Gap) -> str:
    """A gap's row entity, which sorts the way the report lists gaps."""
    rank, about, order = gap.sort_key
    return f"{rank:02d}\x1f{about}\x1f{order}"


def gap_value(gap: Gap) -> Value:
    parties = f" {' '.join(gap.parties)} " if gap.parties else None
    return Value(dumps(gap.json()), None, gap.sort_key[0], 0, gap.subject, parties, gap.rule)


class TimelineFacts:
    """`domain.gaps.Facts` on one day after another, from the rows known now; remembers what it
    read (`reads`) and the next day on which an answer it gave would change (`next`)."""

    def __init__(self, tables: Tables, since: int) -> None:
        self.tables = tables
        self.since = since
        self.day = since
        self.next: int | None = None
        self.reads: set[str] = set()
        self._timelines: dict[str, Any] = {}

    def at(self, day: int) -> None:
        self.day, self.next = day, None

    def _changes_on(self, day: int) -> None:
        if day > self.day and (self.next is None or day < self.next):
            self.next = day

    # --- reading rows ---

    def _load(self, read: str, make: Callable[[], Any], whole: bool = False) -> Any:
        """What `make` reads (kept for the sweep), remembered as read under the key `read`;
        `whole`: all valid time, not only from `since` on."""
        self.reads.add(read)
        kept = f"{read}#whole" if whole else read
        if kept not in self._timelines:
            self._timelines[kept] = make()
        return self._timelines[kept]

    def _rows(self, rows: list[Row]) -> dict[str, Timeline]:
        """Rows by entity, each entity's in order, values decoded."""
        found: dict[str, Timeline] = {}
        for row in sorted(rows, key=lambda r: (r.entity, r.valid_from)):
            found.setdefault(row.entity, []).append(
                (row.valid_from, row.valid_to, decode(row.kind, row.value.payload))
            )
        return found

    def _value(self, timeline: Timeline) -> Any:
        """The value on the day (None: none), noting when it changes."""
        at = bisect_right(timeline, self.day, key=lambda segment: segment[0]) - 1
        if at >= 0 and timeline[at][1] > self.day:
            if timeline[at][1] < OPEN_DAY:
                self._changes_on(timeline[at][1])
            return timeline[at][2]
        if at + 1 < len(timeline):
            self._changes_on(timeline[at + 1][0])
        return None

    def _entry(self, kind: str, entity: str) -> Any:
        timeline = self._load(
            f"row/{kind}/{entity}",
            lambda: self._rows(
                self.tables.open_rows(kind=kind, entities=[entity], ending_after=self.since)
            ).get(entity, []),
        )
        return self._value(timeline)

    def _lookup(self, read: str, **where: str) -> list[Any]:
        timelines = self._load(
            read,
            lambda: self._rows(self.tables.open_rows(ending_after=self.since, **where)),
        )
        found = [self._value(timeline) for timeline in timelines.values()]
        return [value for value in found if value is not None]

    # --- the facts ---

    def reached(self, day: date) -> bool:
        ordinal = day.toordinal()
        self._changes_on(ordinal)
        return self.day >= ordinal

    @property
    def on(self) -> date:
        return date.fromordinal(self.day)

    def subject(self, subject: str) -> Subject | None:
        found: Subject | None = self._entry("subject", subject)
        return found

    def party(self, party: str) -> Party | None:
        found: Party | None = self._entry("party", party)
        return found

    def risk(self, risk: str) -> Risk | None:
        found: Risk | None = self._entry("risk", risk)
        return found

    def criteria(self, criteria: str) -> Criteria | None:
        found: Criteria | None = self._entry("criteria", criteria)
        return found

    def recommendation(self, recommendation: str) -> Recommendation | None:
        found: Recommendation | None = self._entry("recommendation", recommendation)
        return found

    def commitment(self, commitment: str) -> CommitmentState | None:
        found: CommitmentState | None = self._entry("commitment", commitment)
        return found

    def holding(self, party: str, subject: str, role: Role) -> Holding | None:
        found: Holding | None = self._entry("holding", entity_of("holding", (party, subject, role)))
        return found

    def anchoring(self, subject: str) -> Anchoring | None:
        found: Anchoring | None = self._entry("anchoring", subject)
        return found

    def accountable(self, subject: str) -> list[Holding]:
        found: list[Holding] = self._lookup(
            f"accountable/{subject}", kind="holding", subject=subject, tag="accountable"
        )
        return sorted(found, key=lambda h: h.party)

    def holdings_of(self, party: str) -> list[Holding]:
        found: list[Holding] = self._lookup(f"holdings_of/{party}", kind="holding", party=party)
        return sorted(found, key=lambda h: (h.subject, h.role.value))

    def risks_on(self, system: str) -> list[Identified]:
        found: list[Identified] = self._lookup(
            f"risks_on/{system}", kind="identified", subject=system
        )
        return found

    def covered(self, subject: str) -> bool:
        return bool(self._lookup(f"coverage/{subject}", kind="coverage", subject=subject))

    def anchored(self, subject: str) -> Sequence[Interval]:
        return self._intervals(
            f"anchored/{subject}", kind="anchoring", entities=[subject], tag="anchored"
        ).get(None, [])

    def accountable_intervals(self, party: str, subject: str) -> Sequence[Interval]:
        entity = entity_of("holding", (party, subject, Role.ACCOUNTABLE))
        return self._intervals(f"row/holding/{entity}", kind="holding", entities=[entity]).get(
            party, []
        )

    def _intervals(self, read: str, **where: Any) -> dict[str | None, list[Interval]]:
        """The intervals of valid time of the rows `where` finds, by the rows' party, over all
        valid time (from the rows' columns: nothing decoded; read once a sweep, under the key
        `read`), noting the next day on which one starts or ends."""

        def make() -> tuple[dict[str | None, list[Interval]], list[int]]:
            found: dict[str | None, list[Interval]] = {}
            boundaries: set[int] = set()
            for row in self.tables.open_rows(**where):
                end = None if row.valid_to >= OPEN_DAY else date.fromordinal(row.valid_to)
                found.setdefault(row.value.party, []).append(
                    (date.fromordinal(row.valid_from), end)
                )
                boundaries.add(row.valid_from)
                if end is not None:
                    boundaries.add(row.valid_to)
            return found, sorted(boundaries)

        loaded: tuple[dict[str | None, list[Interval]], list[int]] = self._load(
            read, make, whole=True
        )
        found, boundaries = loaded
        at = bisect_right(boundaries, self.day)
        if at < len(boundaries):
            self._changes_on(boundaries[at])
        return found

    def waiting(self, decision: UUID) -> Waiting | None:
        found: Waiting | None = self._load(
            f"decision/{decision}", lambda: Waiting.of(cluster(self.tables, decision), decision)
        )
        return found

    def consents(self, decision: UUID) -> Mapping[str, date]:
        found: Mapping[str, date] | None = self._entry("consent", str(decision))
        return {} if found is None else found
