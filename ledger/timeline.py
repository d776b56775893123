"""A group's timeline from a day on, and the rows that record it.

The fold never lets a decision about one thing touch another: a decision changes only the
group named by its content's `entity_keys()` (one party, one subject's responsibilities, one
risk, ...), and within a group only the entries it names. So the state on a date is the union
of the groups' states, and a new decision — or a correction, retraction or consent that moves
one — changes a group only from the first day it is in force (`since`) on.

`Refold` takes a group's entries as they stood at the end of the day before `since` (the rows
valid then) and the group's decisions in force from `since` on, folds them day by day, and
says, for each entry it looked at, its value from `since` on: the entries of the state (the
fold's own), and those derived from them — a subject's `Anchoring` (since when its
responsibilities have been unanchored), a matrix cell per party holding roles for a subject,
the coverage of acceptance criteria per subject. A row's value is the JSON of the entry with
the (date, position) of the decision that put it into the state and its link columns.

`rewrite` turns such timelines into row changes: rows as they were before `since` stay; the
row running into `since` is cut there, or carried on when the value goes on unchanged; the rest
is written anew. Rows are kept canonical — adjacent rows of one entry always differ — so the
rows known at any position are the same whatever order the decisions arrived in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import groupby
from typing import Any
from uuid import UUID

import orjson
from pydantic import TypeAdapter

from domain import decisions as d
from domain.anchoring import NEVER_DECIDED, Anchoring
from domain.cells import Source, cell_of
from domain.gaps import Identified
from domain.governance import (
    GROUPS,
    Anomaly,
    Criteria,
    GovernanceState,
    Holding,
    InForce,
    Risk,
    entity_of,
    key_of,
)
from domain.vocabulary import Role
from ledger.tables import OPEN_DAY, Row, Value

Key = tuple[str, str]
"""(kind, entity) of a row."""
Point = tuple[int, Value | None]
"""From this day on (an ordinal), this value (None: no such entry)."""

_DECODERS: dict[str, TypeAdapter[Any]] = {
    **{group.entry: TypeAdapter(group.value) for group in GROUPS.values()},
    "anomaly": TypeAdapter(Anomaly),
    "anchoring": TypeAdapter(Anchoring),
    "coverage": TypeAdapter(str),
    "identified": TypeAdapter(Identified),
}


def decode(kind: str, payload: str) -> Any:
    """An entry's value from its row's payload."""
    return _DECODERS[kind].validate_json(payload)


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def entry_value(kind: str, value: Any, order: tuple[int, int]) -> Value:
    """The row value of an entry of the state."""
    subject = party = tag = None
    if kind == "holding":
        subject, party, tag = value.subject, value.party, value.role.value
    elif kind == "risk":
        subject = value.system
    return Value(dumps(value), None, order[0], order[1], subject, party, tag)


def holding_keys(decision: d.Decision) -> tuple[tuple[str, str, Role], ...]:
    """The holdings a responsibility decision inserts or removes."""
    if isinstance(decision, d.ResponsibilityAssignment | d.ResponsibilityRelief):
        return ((decision.party, decision.subject, decision.role),)
    if isinstance(decision, d.ResponsibilityTransfer):
        return (
            (decision.from_party, decision.subject, decision.role),
            (decision.to_party, decision.subject, decision.role),
        )
    return ()


def entities_named(group: str, key: str, decision: d.Decision) -> list[Key]:
    """The rows of its group a decision's application may change (an anomaly's too), and, for
    a responsibility, the cell of each party it names with the roles that make it."""
    if group == "risk":
        return [("risk", key), ("identified", key)]
    if group != "responsibilities":
        return [(GROUPS[group].entry, key)]
    found: list[Key] = [("anchoring", key)]
    for party in sorted({p for p, _, _ in holding_keys(decision)}):
        found.append(("cell", f"{key}/{party}"))
        found.extend(("holding", entity_of("holding", (party, key, role))) for role in Role)
    return found


@dataclass
class Refold:
    """One group's fold from day `since` on (see the module's docstring)."""

    group: str
    key: str
    since: int
    rows: Sequence[Row]
    """The group's rows known now that end on or after `since` (and so include every row
    valid on the day before it), for the entries it may change."""
    items: Sequence[InForce]
    """The group's decisions in force from `since` on, in fold order."""
    source: Callable[[UUID], Source | None]
    """The source of a decision of the group (for the matrix cells)."""
    state: GovernanceState = field(default_factory=GovernanceState)
    orders: dict[Any, tuple[int, int]] = field(default_factory=dict)
    anchoring: Anchoring = NEVER_DECIDED
    points: dict[Key, list[Point]] = field(default_factory=dict)

    def run(self) -> dict[Key, list[Point]]:
        """The timeline, from `since` on, of every entry the rows or the decisions name."""
        before = self.since - 1
        entry = GROUPS[self.group].entry
        entries: dict[Any, Any] = getattr(self.state, GROUPS[self.group].attribute)
        start: dict[Key, Value | None] = {}
        for row in self.rows:
            start.setdefault((row.kind, row.entity), None)
            if row.valid_from <= before < row.valid_to:
                start[(row.kind, row.entity)] = row.value
                if row.kind == entry:
                    key = key_of(entry, row.entity)
                    entries[key] = decode(entry, row.value.payload)
                    self.orders[key] = (row.value.ord_date, row.value.ord_pos)
                elif row.kind == "anchoring":
                    self.anchoring = decode("anchoring", row.value.payload)
        for item in self.items:
            for found in entities_named(self.group, self.key, item.decision):
                start.setdefault(found, None)
            start.setdefault(("anomaly", str(item.id)), None)
        self.points = {key: [(self.since, value)] for key, value in start.items()}
        for day, today in groupby(self.items, key=lambda i: i.in_force_on):
            self._day(day, list(today))
        return self.points

    def _day(self, day: date, items: list[InForce]) -> None:
        entry = GROUPS[self.group].entry
        entries: dict[Any, Any] = getattr(self.state, GROUPS[self.group].attribute)
        accountable, responsible = self.anchoring.accountable, self.anchoring.responsible
        touched: set[Any] = set()
        parties: set[str] = set()
        for item in items:
            candidates: Iterable[Any]
            if self.group == "responsibilities":
                candidates = holding_keys(item.decision)
            else:
                candidates = (key_of(entry, self.key),)
            held = {key for key in candidates if key in entries}
            anomalies = len(self.state.anomalies)
            self.state.apply(item)
            order = (item.in_force_on.toordinal(), item.position)
            now = {key for key in candidates if key in entries}
            for key in now - held:
                self.orders[key] = order
            for key in held - now:
                del self.orders[key]
            touched |= held | now
            if self.group == "responsibilities":
                for party, _, role in (held - now) | (now - held):
                    parties.add(party)
                    change = 1 if (party, self.key, role) in now else -1
                    if role is Role.ACCOUNTABLE:
                        accountable += change
                    elif role is Role.RESPONSIBLE:
                        responsible += change
            for anomaly in self.state.anomalies[anomalies:]:
                noted = Value(dumps(anomaly), None, order[0], order[1], None, None, None)
                self._set(("anomaly", str(anomaly.decision)), day, noted)
        for key in touched:
            found = entries.get(key)
            value = None if found is None else entry_value(entry, found, self.orders[key])
            self._set((entry, entity_of(entry, key)), day, value)
        if self.group == "responsibilities":
            self._responsibilities(day, accountable, responsible, parties, entries)
        elif self.group == "criteria":
            self._coverage(day, entries.get(self.key))
        elif self.group == "risk":
            self._identified(day, entries.get(self.key))

    def _responsibilities(
        self,
        day: date,
        accountable: int,
        responsible: int,
        parties: set[str],
        entries: dict[Any, Holding],
    ) -> None:
        self.anchoring = self.anchoring.on(day, accountable, responsible)
        anchored = None
        if self.anchoring != NEVER_DECIDED:
            tag = "anchored" if self.anchoring.accountable else None
            anchored = Value(dumps(self.anchoring), None, 0, 0, self.key, None, tag)
        self._set(("anchoring", self.key), day, anchored)
        for party in parties:
            held = [entries[k] for role in Role if (k := (party, self.key, role)) in entries]
            value: Value | None = None
            if held:
                cell = cell_of(held, self.source)
                sources = dumps(cell.sources_json())[1:-1]
                letters = cell.marked_letters
                value = Value(dumps(cell.json()), sources, 0, 0, self.key, party, letters)
            self._set(("cell", f"{self.key}/{party}"), day, value)

    def _coverage(self, day: date, criteria: Criteria | None) -> None:
        covered = set() if criteria is None else set(criteria.scope)
        for kind, entity in list(self.points):
            if kind == "coverage" and entity.split("/", 1)[1] not in covered:
                self._set((kind, entity), day, None)
        for subject in covered:
            value = Value(dumps(self.key), None, 0, 0, subject, None, self.key)
            self._set(("coverage", f"{self.key}/{subject}"), day, value)

    def _identified(self, day: date, risk: Risk | None) -> None:
        """What the acceptance-criteria rule reads of a risk (which changes far less often
        than the risk)."""
        value = None
        if risk is not None:
            found = Identified.of(risk)
            value = Value(dumps(found), None, 0, 0, found.system, None, None)
        self._set(("identified", self.key), day, value)

    def _set(self, key: Key, day: date, value: Value | None) -> None:
        ordinal = day.toordinal()
        points = self.points.setdefault(key, [(self.since, None)])
        if points[-1][0] == ordinal:
            points[-1] = (ordinal, value)
        else:
            points.append((ordinal, value))


def rewrite(
    grp: str, since: int, rows: Sequence[Row], points: dict[Key, list[Point]]
) -> tuple[list[Row], list[tuple[str, str, str, Value, int, int]]]:
    """The rows to close and to insert so that each entry in `points` has that timeline from
    `since` on (and what it had before). `rows` are the entries' rows known now that end on or
    after `since`."""
    by_key: dict[Key, list[Row]] = {}
    for row in rows:
        by_key.setdefault((row.kind, row.entity), []).append(row)
    close: list[Row] = []
    insert: list[tuple[str, str, str, Value, int, int]] = []
    for key, timeline in points.items():
        old = by_key.get(key, [])
        wanted: list[tuple[Value, int, int]] = []
        for (start, value), following in zip(
            timeline, [*(p[0] for p in timeline[1:]), OPEN_DAY], strict=True
        ):
            if value is None or start == following:
                continue
            if wanted and wanted[-1][0] == value and wanted[-1][2] == start:
                wanted[-1] = (value, wanted[-1][1], following)
            else:
                wanted.append((value, start, following))
        running = next((r for r in old if r.valid_from < since), None)
        if running is not None:
            if wanted and wanted[0][1] == since and wanted[0][0] == running.value:
                wanted[0] = (running.value, running.valid_from, wanted[0][2])
            else:
                wanted.insert(0, (running.value, running.valid_from, since))
        existing = {(r.value, r.valid_from, r.valid_to): r for r in old}
        for found, row in existing.items():
            if found not in wanted:
                close.append(row)
        for value, start, end in wanted:
            if (value, start, end) not in existing:
                insert.append((grp, key[0], key[1], value, start, end))
    return close, insert
