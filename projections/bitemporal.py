"""The bitemporal read model of the governance: as it stood on any date, as known at any time.

Agrees with `projections.oracle` by construction: it stores, for every entity group (see
`domain.timeline`), the group's valid-time timeline as known after each ledger position.
When the decision at position p arrives, the groups it disturbs are recomputed from the date
the disturbance starts; rows that no longer hold are closed (`recorded_to = p`), new ones are
opened (`recorded_from = p`). A query for (D, K) maps K to the last position P recorded at or
before K and reads the rows open at P and valid on D.

The engine keeps, per group it has touched, the group's decisions in force, its fold after all
of them and its open rows, so the usual decision (in effective order) costs one `apply`.
Everything in memory is a cache of the tables and is dropped whenever another process moved
the tracking position or a rebuild raised the generation.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache, cached_property
from operator import attrgetter, itemgetter
from typing import Any, NamedTuple, TypeVar
from uuid import UUID

import numpy as np
import numpy.typing as npt
import orjson
from pydantic import TypeAdapter

from domain import decisions as d
from domain import governance as g
from domain.anchoring import last_held_by_all
from domain.governance import GovernanceState, InForce
from domain.knowledge import Knowledge
from domain.timeline import (
    ENTRY_KINDS,
    GROUP_DICTS,
    Checkpoints,
    Footprint,
    GroupFold,
    changes,
    entity_id,
    fold_order,
    footprint,
    group_items,
    run_entities,
    touched_roots,
)
from domain.vocabulary import EARLIEST_DATE
from ledger import collector
from ledger.service import Ledger
from ledger.settings import Settings
from projections.resident import NO_CODE, OPEN_END, HoldingColumns, Ints, Resident
from projections.tables import (
    VIEW_NAME,
    Insert,
    Reader,
    Row,
    Tables,
    Transaction,
    open_tables,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
T = TypeVar("T")
V = TypeVar("V")
DECODED_LIMIT = 1_000_000
"""At most this many decoded rows are kept per view (the cache is emptied when full)."""
NOTHING = Footprint(None, frozenset())
BATCH = 5000

Progress = Callable[[int, int], None]
"""Told (position reached, head) after each batch."""


_in_force_on = attrgetter("in_force_on")


def micros(moment: datetime) -> int:
    """A moment as microseconds since the epoch (UTC); naive moments are refused."""
    if moment.tzinfo is None:
        raise ValueError("known_at must be timezone-aware")
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def group_name(key: d.EntityKey) -> str:
    return f"{key[0]}:{key[1]}"


@dataclass
class _Group:
    items: list[InForce]
    fold: GroupFold
    rows: dict[Row, int] = field(default_factory=dict)
    latest: dict[tuple[str, str], Row] = field(default_factory=dict)
    """The open rows still valid at the end of time, by (kind, entity)."""
    checkpoints: Checkpoints = field(default_factory=Checkpoints)
    """Copies of `fold` after earlier decisions, so a re-fold need not start from scratch."""

    def set_rows(self, rows: dict[Row, int]) -> None:
        self.rows = rows
        self.latest = {(row[0], row[1]): row for row in rows if row[6] is None}


class _Batch:
    """The row changes of a run of decisions, written at the end in one go."""

    def __init__(self, next_id: int) -> None:
        self.next_id = next_id
        self.inserts: dict[int, list[Any]] = {}
        self.closes: list[tuple[int, int]] = []
        self.positions: list[tuple[int, int]] = []

    def insert(self, group: str, row: Row, position: int) -> int:
        row_id = self.next_id
        self.next_id += 1
        self.inserts[row_id] = [row_id, group, row, position, None]
        return row_id

    def close(self, row_id: int, position: int) -> None:
        pending = self.inserts.get(row_id)
        if pending is None:
            self.closes.append((row_id, position))
        elif pending[3] == position:
            del self.inserts[row_id]
        else:
            pending[4] = position

    def write(self, tx: Transaction, position: int, generation: int) -> None:
        inserts: list[Insert] = [tuple(v) for v in self.inserts.values()]
        tx.write(inserts, self.closes, self.positions, position, generation)
        self.inserts, self.closes, self.positions = {}, [], []


class GovernanceView:
    """The bitemporal read model of the whole governance state."""

    name = VIEW_NAME

    def __init__(self, settings: Settings, batch: int = BATCH) -> None:
        self.tables: Tables = open_tables(settings)
        self.batch = batch
        self._lock = threading.RLock()
        self._forget()

    def close(self) -> None:
        self.tables.close()

    # --- keeping in step ----------------------------------------------------------------

    @property
    def held(self) -> object | None:
        """Stands for the rows held in memory: another object whenever they start again (after
        a rebuild, or an error); None before they are first loaded."""
        return self._resident

    def position(self) -> int:
        """The ledger position the stored rows reflect."""
        return self.tables.tracking()[0]

    def catch_up(
        self, ledger: Ledger, progress: Progress | None = None, head: int | None = None
    ) -> int:
        """Apply the decisions recorded since the stored position (up to `head`, if given,
        such as the head of a snapshot just taken: else the ledger's); return the new
        position."""
        with self._lock:
            head = ledger.head if head is None else head
            while True:
                self._seen = self.tables.tracking()
                position = self._seen[0]
                if position >= head:
                    return position
                try:
                    with self.tables.transaction() as tx:
                        position, generation = tx.tracking()
                        if position < head:
                            self._sync(ledger, tx, position, generation)
                            items = ledger.log(
                                after=position, limit=min(self.batch, head - position)
                            )
                            self._apply(tx, items, generation)
                            position = items[-1].position
                except BaseException:
                    self._forget()
                    raise
                if progress is not None:
                    progress(position, head)

    def rebuild(self, ledger: Ledger, progress: Progress | None = None) -> int:
        """Recompute every row from the first decision, in one transaction; return the position."""
        with self._lock, collector.paused():
            head = ledger.head
            # a rebuild makes millions of objects that live on: the cyclic collector would
            # walk the whole (large) heap again and again for nothing (about a third of the
            # time at 100k decisions); the fold makes no cycles, so it is paused meanwhile
            try:
                with self.tables.transaction() as tx:
                    _, generation = tx.tracking()
                    generation += 1
                    tx.reset(generation)
                    self._forget()
                    self._position, self._generation, self._fresh = 0, generation, True
                    position = 0
                    if progress is not None:
                        progress(0, head)
                    while position < head:
                        items = ledger.log(after=position, limit=min(self.batch, head - position))
                        self._apply(tx, items, generation)
                        position = items[-1].position
                        if progress is not None:
                            progress(position, head)
            except BaseException:
                self._forget()
                raise
            finally:
                self._fresh = False
            return position

    def _forget(self) -> None:
        self._resident: Resident | None = None
        self._knowledge = Knowledge()
        self._groups: dict[d.EntityKey, _Group] = {}
        self._position = -1
        self._generation = -1
        self._fresh = False
        self._seen = (-1, -1)
        """The tables' (position, generation) as last read."""

    def _sync(self, ledger: Ledger, tx: Transaction, position: int, generation: int) -> None:
        """Make the caches reflect the stored rows at `position`."""
        if (position, generation) == (self._position, self._generation):
            return
        self._groups.clear()
        if self._knowledge.head > position:
            self._knowledge = Knowledge()
        while self._knowledge.head < position:
            for item in ledger.log(
                after=self._knowledge.head, limit=position - self._knowledge.head
            ):
                self._knowledge.add(item)
        self._position, self._generation = position, generation

    def _apply(self, tx: Transaction, items: Sequence[d.RecordedDecision], generation: int) -> None:
        batch = _Batch(tx.next_row_id())
        knowledge = self._knowledge
        for item in items:
            roots = touched_roots(knowledge, item.decision)
            before = {root: footprint(knowledge, root) for root in roots}
            knowledge.add(item)
            roots.add(item.id)
            since: dict[d.EntityKey, date] = {}
            after: dict[UUID, Footprint] = {}
            for root in roots:
                now = after[root] = footprint(knowledge, root)
                then = before.get(root, NOTHING)
                if now == then:
                    continue
                for seen in (then, now):
                    if seen.item is not None:
                        day = seen.item.in_force_on
                        for key in seen.keys:
                            since[key] = min(since.get(key, day), day)
            for key, day in since.items():
                self._update(tx, batch, key, day, after, item)
            batch.positions.append((item.position, micros(item.recorded_at)))
        self._position = items[-1].position
        batch.write(tx, self._position, generation)

    def _update(
        self,
        tx: Transaction,
        batch: _Batch,
        key: d.EntityKey,
        since: date,
        after: dict[UUID, Footprint],
        item: d.RecordedDecision,
    ) -> None:
        """Recompute one group's timeline from `since` on and record the row changes."""
        group = self._groups.get(key)
        new = after[item.id].item
        loaded = group is None
        if group is None:
            rows = [] if self._fresh else tx.open_rows(group_name(key))
            group = _Group(group_items(self._knowledge, key), GroupFold(key))
            group.set_rows({row: row_id for row_id, row in rows})
            self._groups[key] = group
            if not rows and len(after) == 1 and group.items == [new]:
                # the new decision is all there is to the group: the in-order path below
                # does what a re-fold would
                group.items, loaded = [], False
        if (
            not loaded
            and len(after) == 1
            and new is not None
            and (group.fold.last is None or fold_order(new) > group.fold.last)
        ):
            group.items.append(new)
            anomalies = len(group.fold.anomaly_orders)
            group.fold.apply(new)
            group.checkpoints.passed(group.fold)
            self._append(batch, key, group, since.toordinal(), anomalies, item.position)
            return
        if not loaded:
            # the decisions in force before `since` are unchanged (and stay in place); those
            # whose footprint did not change are taken out and put back as they are
            items = group.items
            cut = bisect_left(items, since, key=_in_force_on)
            tail = [i for i in items[cut:] if i.id not in after]
            tail.extend(
                f.item
                for f in after.values()
                if f.item is not None and key in f.keys and f.item.in_force_on >= since
            )
            tail.sort(key=fold_order)
            del items[cut:]
            items.extend(tail)
        start = group.checkpoints.resume(since, group.fold)
        segments, group.fold = _segments(key, group.items, since, start, group.checkpoints)
        self._replace(batch, key, group, since.toordinal(), segments, item.position)

    def _replace(
        self,
        batch: _Batch,
        key: d.EntityKey,
        group: _Group,
        start: int,
        segments: list[Row],
        position: int,
    ) -> None:
        wanted: set[Row] = set()
        carried: dict[tuple[str, str], Row] = {}
        for row in group.rows:
            valid_from, valid_to = row[5], row[6]
            if valid_from >= start:
                continue
            if valid_to is not None and valid_to <= start:
                wanted.add(row)
            else:
                carried[(row[0], row[1])] = (*row[:6], start)
        for row in segments:
            earlier = carried.get((row[0], row[1]))
            if row[5] == start and earlier is not None and earlier[2:5] == row[2:5]:
                del carried[(row[0], row[1])]
                row = (*earlier[:6], row[6])
            wanted.add(row)
        wanted.update(carried.values())
        name = group_name(key)
        rows: dict[Row, int] = {}
        for row, row_id in group.rows.items():
            if row in wanted:
                rows[row] = row_id
            else:
                batch.close(row_id, position)
        for row in wanted:
            if row not in rows:
                rows[row] = batch.insert(name, row, position)
        group.set_rows(rows)

    def _append(
        self,
        batch: _Batch,
        key: d.EntityKey,
        group: _Group,
        start: int,
        anomalies: int,
        position: int,
    ) -> None:
        """Record the change a decision in effective order made (what `_replace` would do).

        Only the entries the fold touched can have changed, and only from `start` on, which
        lies on or after every earlier change of the group. An entry's open row is closed and
        replaced: clipped to `start` if it began earlier; if it began on `start` (an earlier
        change the same day), not kept at all — `_replace` drops rows from `start` on and
        does not merge a new row with one that ends on `start`.
        """
        fold = group.fold
        attr, kind = GROUP_DICTS[key[0]]
        entries = getattr(fold.state, attr)
        changes: list[tuple[str, str, tuple[str, int, int] | None]] = []
        for touched in fold.touched:
            value = entries.get(touched)
            order = fold.orders.get(touched)
            changes.append(
                (
                    kind,
                    entity_id(kind, touched),
                    None
                    if value is None or order is None
                    else (orjson.dumps(value).decode(), order[0].toordinal(), order[1]),
                )
            )
        for anomaly, order in zip(
            fold.state.anomalies[anomalies:], fold.anomaly_orders[anomalies:], strict=True
        ):
            changes.append(
                (
                    "anomaly",
                    str(anomaly.decision),
                    (orjson.dumps(anomaly).decode(), order[0].toordinal(), order[1]),
                )
            )
        if fold.runs is not None and fold.touched:  # (runs change only with the holdings)
            runs = fold.run_entries()
            changes.extend(
                ("run", entity, _run_value(runs[entity]) if entity in runs else None)
                for entity in run_entities(key[1])
            )
        name = group_name(key)
        for entry_kind, entity, value in changes:
            old = group.latest.get((entry_kind, entity))
            if old is not None and value is not None and old[2:5] == value:
                continue
            if old is not None:
                batch.close(group.rows.pop(old), position)
                del group.latest[(entry_kind, entity)]
                if old[5] < start:
                    clipped: Row = (*old[:6], start)
                    group.rows[clipped] = batch.insert(name, clipped, position)
            if value is not None:
                row: Row = (entry_kind, entity, *value, start, None)
                group.rows[row] = batch.insert(name, row, position)
                group.latest[(entry_kind, entity)] = row

    # --- reading ------------------------------------------------------------------------

    def position_at(self, known_at: datetime) -> int:
        """The last position recorded at or before `known_at` (0 if none)."""
        return self.tables.position_at(micros(known_at))

    def state(
        self,
        as_of: date,
        known_at: datetime,
        kinds: Sequence[str] = ENTRY_KINDS,
        group: d.EntityKey | None = None,
    ) -> GovernanceState:
        """The governance on `as_of` as known at `known_at` (only `kinds`, if given).

        The rows in force are found in the index alone; their payloads are decoded once per
        row and kept (rows never change once written; a rebuild, which reuses row ids, raises
        the generation and empties the cache). The returned state shares those decoded
        objects with other answers: read it, do not change it.
        """
        return _state_of(self._in_force(as_of, known_at, kinds, group))

    def holdings(
        self, as_of: date, known_at: datetime, group: d.EntityKey | None = None
    ) -> list[g.Holding]:
        """The roles held on `as_of` as known at `known_at`, by subject, party and role.

        The same holdings as `state(...).holdings`, without assembling a state. Shared with
        other answers, like the state's: read them, do not change them.
        """
        entries = self._in_force(as_of, known_at, ("holding",), group)
        if any(entry[5] is None for entry in entries):
            found: list[g.Holding] = [entry[3] for entry in entries]
            found.sort(key=_BY_SUBJECT_PARTY_ROLE)
            return found
        entries.sort(key=_sort_text)
        return [entry[3] for entry in entries]

    def in_force_at(self, as_of: date, position: int) -> InForceRows:
        """Every row in force on `as_of` as known when the ledger stood at `position` (which
        the view must have reached): the state's entries and the anchoring runs, by kind.

        Found among the rows resident in memory (`projections.resident`), each kind in row-id
        order: rows are decoded in the order they are asked for, so their objects lie in
        memory roughly in that order, which is what keeps the answers' loops over them fast
        (walking them in another order made the same loops ~1.5x slower)."""
        with self._lock:
            resident = self._resident
            if (
                resident is not None
                and self._seen == (resident.position, resident.generation)
                and position <= resident.position
            ):  # the tables were last seen where the rows in memory are: read nothing if
                # every row in force is decoded (on PostgreSQL, three round trips fewer)
                found = resident.in_force(as_of.toordinal(), position)
                if resident.is_decoded[found].all():
                    return InForceRows(
                        resident.by_kind(found, resident.rows[found]), resident, found
                    )
            with self.tables.reading() as reader:
                resident = self._resident_at(reader)
                found = resident.in_force(as_of.toordinal(), position)
                kinds = resident.by_kind(found, resident.decoded(found, reader, _decode_paused))
                return InForceRows(kinds, resident, found)

    def _in_force(
        self,
        as_of: date,
        known_at: datetime,
        kinds: Sequence[str],
        group: d.EntityKey | None,
    ) -> list[Decoded]:
        """The decoded rows of `kinds` in force on `as_of` as known at `known_at`."""
        with self._lock, self.tables.reading() as reader:
            resident = self._resident_at(reader)
            position = reader.position_at(micros(known_at))
            if group is None:
                found = resident.in_force(as_of.toordinal(), position, kinds)
            else:  # (one group's rows: the database's index finds them)
                name = group_name(group)
                found = resident.at(reader.find_ids(kinds, as_of.toordinal(), position, name))
            rows: list[Decoded] = resident.decoded(found, reader, _decode_paused).tolist()
            return rows

    def warm(self) -> None:
        """Bring the rows held in memory up to the tables (the first thing the next question
        would otherwise do: ~0.3 s the first time at 140k rows, then the rows written since)."""
        with self._lock, self.tables.reading() as reader:
            self._resident_at(reader)

    def _resident_at(self, reader: Reader) -> Resident:
        """The resident rows, brought up to what `reader` sees (started again after a
        rebuild)."""
        position, generation = reader.tracking()
        resident = self._resident
        if resident is None or resident.generation != generation:
            resident = self._resident = Resident(generation, DECODED_LIMIT)
        resident.refresh(reader, position)
        return resident


@cache
def _day(ordinal: int) -> date:
    return date.fromordinal(ordinal)


def _segments(
    key: d.EntityKey,
    items: list[InForce],
    since: date,
    resume: GroupFold | None = None,
    checkpoints: Checkpoints | None = None,
) -> tuple[list[Row], GroupFold]:
    """Fold a group's items (in fold order) and turn its timeline from `since` into rows.

    The fold starts from `resume`, the fold of the first `resume.count` items, if given (see
    `changes`).

    A row is valid from one change of its entry to the next; after the fold on `since`, only
    the entries the day's decisions touched (and new anomalies) are looked at.
    """
    attr, kind = GROUP_DICTS[key[0]]
    rows: list[Row] = []
    last = GroupFold(key)
    running: dict[tuple[str, str], tuple[tuple[str, int, int], int]] = {}
    for day, fold, changed, anomalies in changes(key, items, since, resume, checkpoints):
        last = fold
        start = day.toordinal()
        if changed is None:
            for e in fold.entries():
                value = (orjson.dumps(e.value).decode(), e.order[0].toordinal(), e.order[1])
                running[(e.kind, e.entity)] = (value, start)
            continue
        entries = getattr(fold.state, attr)
        for touched in changed:
            entry = (kind, entity_id(kind, touched))
            value = entries.get(touched)
            order = fold.orders.get(touched)
            now = (
                None
                if value is None or order is None
                else (orjson.dumps(value).decode(), order[0].toordinal(), order[1])
            )
            _carry(running, rows, entry, now, start)
        for anomaly, order in zip(
            fold.state.anomalies[anomalies:], fold.anomaly_orders[anomalies:], strict=True
        ):
            value = (orjson.dumps(anomaly).decode(), order[0].toordinal(), order[1])
            running[("anomaly", str(anomaly.decision))] = (value, start)
        if fold.runs is not None and changed:  # (runs change only with the holdings)
            runs = fold.run_entries()
            for entity in run_entities(key[1]):
                entry = ("run", entity)
                now = _run_value(runs[entity]) if entity in runs else None
                _carry(running, rows, entry, now, start)
    rows.extend(
        (*entry, *value, valid_from, None) for entry, (value, valid_from) in running.items()
    )
    return rows, last


def _carry(
    running: dict[tuple[str, str], tuple[tuple[str, int, int], int]],
    rows: list[Row],
    entry: tuple[str, str],
    now: tuple[str, int, int] | None,
    start: int,
) -> None:
    """An entry's value from day `start` on (None: gone): the row it had so far is closed
    (valid up to `start`) if the value changed, and the new one is kept running."""
    current = running.get(entry)
    if current is not None:
        if current[0] == now:
            return
        rows.append((*entry, *current[0], current[1], start))
        del running[entry]
    if now is not None:
        running[entry] = (now, start)


@cache
def _run_value(on: date) -> tuple[str, int, int]:
    """A run's row value: the first day of the run (payload and order both say it)."""
    return orjson.dumps(on).decode(), on.toordinal(), 0


# --- turning rows back into a state -----------------------------------------------------------

_ADAPTERS: dict[str, TypeAdapter[Any]] = {
    "party": TypeAdapter(list[g.Party]),
    "subject": TypeAdapter(list[g.Subject]),
    "holding": TypeAdapter(list[g.Holding]),
    "framework": TypeAdapter(list[g.Framework]),
    "criteria": TypeAdapter(list[g.Criteria]),
    "risk": TypeAdapter(list[g.Risk]),
    "finding": TypeAdapter(list[g.Finding]),
    "recommendation": TypeAdapter(list[g.Recommendation]),
    "evaluation": TypeAdapter(list[g.Evaluation]),
    "commitment": TypeAdapter(list[g.CommitmentState]),
    "consent": TypeAdapter(list[dict[str, date]]),
    "anomaly": TypeAdapter(list[g.Anomaly]),
    "run": TypeAdapter(list[date]),
}

_ATTRIBUTES = {
    "party": "parties",
    "subject": "subjects",
    "holding": "holdings",
    "framework": "frameworks",
    "criteria": "criteria",
    "risk": "risks",
    "finding": "findings",
    "recommendation": "recommendations",
    "evaluation": "evaluations",
    "commitment": "commitments",
    "consent": "consents",
}


def assemble(found: Sequence[tuple[str, str, str, int, int]]) -> GovernanceState:
    """Build a state from rows in force, in the insertion order the fold would have used."""
    ordered = sorted(found, key=lambda row: (row[3], row[4], row[0], row[1]))
    by_kind: dict[str, list[tuple[str, str]]] = {}
    for kind, entity, payload, _, _ in ordered:
        by_kind.setdefault(kind, []).append((entity, payload))
    decoded: dict[tuple[str, str], Any] = {}
    for kind, entries in by_kind.items():
        values = _ADAPTERS[kind].validate_json("[" + ",".join(p for _, p in entries) + "]")
        for (entity, _), value in zip(entries, values, strict=True):
            decoded[(kind, entity)] = value
    state = GovernanceState()
    for kind, entity, _, _, _ in ordered:
        value = decoded[(kind, entity)]
        if kind == "run":
            continue  # derived, not part of the state
        if kind == "anomaly":
            state.anomalies.append(value)
        elif kind == "holding":
            state.holdings[(value.party, value.subject, value.role)] = value
        elif kind == "consent":
            state.consents[UUID(entity)] = value
        else:
            getattr(state, _ATTRIBUTES[kind])[entity] = value
    return state


class Decoded(NamedTuple):
    """A row decoded once and shared by every answer it is in force for."""

    order: int
    """(order date, order position) packed into one int: the fold's insertion order."""
    kind: str
    key: Any
    """Its key in the state's dictionary (a holding's (party, subject, role))."""
    value: Any
    entity: str
    sort_text: str | None
    """A holding's subject, party and role joined by NUL, which sorts as the tuple does (ids
    are slugs, so NUL never occurs in them; if it did, the text is None); else the entity."""


_key = itemgetter(2)
_value = itemgetter(3)

_BY_SUBJECT_PARTY_ROLE = attrgetter("subject", "party", "role")
"""A Role is a StrEnum: it compares as its value."""

_NEVER = np.iinfo(np.int64).max
"""The first day of a gap that never holds."""


def _first_day(day: date | None) -> int:
    return _NEVER if day is None else day.toordinal()


_ORDER_SHIFT = 40
"""Positions stay below 2**40, so (order date, order position) packs into one int."""


def _key_of(kind: str, entity: str, value: Any) -> Any:
    if kind == "holding":
        return (value.party, value.subject, value.role)
    if kind == "consent":
        return UUID(entity)
    if kind == "anomaly":
        return None
    return entity


def _decode_paused(rows: Sequence[tuple[int, str, str, str, int, int]]) -> dict[int, Decoded]:
    """`_decode`, with the cyclic collector paused (it makes many objects that live on)."""
    with collector.paused():
        return _decode(rows)


def _decode(rows: Sequence[tuple[int, str, str, str, int, int]]) -> dict[int, Decoded]:
    """Decode stored rows (one validation per kind), by row id."""
    by_kind: dict[str, list[tuple[int, str, str, int]]] = {}
    for row_id, kind, entity, payload, ord_date, ord_pos in rows:
        by_kind.setdefault(kind, []).append(
            (row_id, entity, payload, (ord_date << _ORDER_SHIFT) | ord_pos)
        )
    decoded: dict[int, Decoded] = {}
    for kind, found in by_kind.items():
        values = _ADAPTERS[kind].validate_json("[" + ",".join(row[2] for row in found) + "]")
        for (row_id, entity, _, order), value in zip(found, values, strict=True):
            key = _key_of(kind, entity, value)
            decoded[row_id] = Decoded(
                order, kind, key, value, entity, _sort_text_of(kind, entity, value)
            )
    return decoded


def _sort_text_of(kind: str, entity: str, value: Any) -> str | None:
    if kind != "holding":
        return entity
    parts = (value.subject, value.party, value.role.value)
    return None if any("\0" in part for part in parts) else "\0".join(parts)


def _sort_text(entry: Decoded) -> str:
    text = entry[5]
    assert text is not None
    return text


def _first(entry: Decoded) -> int:
    return entry[0]


def _full_order(entry: Decoded) -> tuple[int, str, str]:
    return entry[0], entry[1], entry[4]


def _state_of(entries: list[Decoded]) -> GovernanceState:
    """Build a state from decoded rows in force, in the insertion order the fold used.

    That order is (order date, order position, kind, entity), as in `assemble`; the entity
    only breaks ties, which are rare, so the usual sort is by one int.
    """
    entries.sort(key=_first)
    if len({entry[0] for entry in entries}) != len(entries):
        entries.sort(key=_full_order)
    state = GovernanceState()
    targets: dict[str, Any] = {kind: getattr(state, attr) for kind, attr in _ATTRIBUTES.items()}
    targets["anomaly"] = anomalies = state.anomalies
    for entry in entries:
        target = targets.get(entry[1])
        if target is anomalies:
            anomalies.append(entry[3])
        elif target is not None:  # (runs are derived, not part of the state)
            target[entry[2]] = entry[3]
    return state


class _Values(Sequence[Any]):
    """The values of decoded rows, as a sequence (without a list of them all)."""

    def __init__(self, rows: list[Decoded]) -> None:
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [row[3] for row in self.rows[i]]
        return self.rows[i][3]


class _UnorderedState(GovernanceState):
    """A state whose dictionaries (in no particular order) are made from the decoded rows in
    force when first read. Read only, like every state the read model hands out."""

    def __init__(self, kinds: dict[str, list[Decoded]]) -> None:  # (no field set yet)
        self._kinds = kinds

    def __getattr__(self, name: str) -> Any:  # (only for a field not made yet)
        kind = _KINDS.get(name)
        if kind is None:
            raise AttributeError(name)
        rows = self._kinds.get(kind, [])
        value: Any = (
            list(map(_value, rows))
            if kind == "anomaly"
            else dict(zip(map(_key, rows), map(_value, rows), strict=True))
        )
        setattr(self, name, value)
        return value

    def __eq__(self, other: object) -> bool:
        """Equal to any state with the same content, its anomalies in any order."""
        if not isinstance(other, GovernanceState):
            return NotImplemented
        mine, theirs = self.anomalies, other.anomalies
        return all(getattr(self, f) == getattr(other, f) for f in _KINDS if f != "anomalies") and (
            len(mine) == len(theirs) and all(mine.count(a) == theirs.count(a) for a in mine)
        )

    __hash__ = None  # type: ignore[assignment]


_KINDS = {attr: kind for kind, attr in [*_ATTRIBUTES.items(), ("anomaly", "anomalies")]}
"""A state's field -> the kind of the rows it is made of."""


class InForceRows:
    """The rows in force at one (as_of, position), decoded, by kind (each kind in row-id
    order): the state, assembled on first use in the fold's order or, cheaper, with its
    dictionaries in no particular order (for answers that do not depend on order), and the
    anchoring runs; the holdings with their codes (`holding_columns`); and what answers derive
    from single rows, kept beside them (`derived`). All of it is shared: read only.

    `resident` holds the rows, `found` are their indexes there."""

    def __init__(self, kinds: dict[str, list[Decoded]], resident: Resident, found: Ints) -> None:
        self.kinds = kinds
        self._resident, self._found = resident, found

    @cached_property
    def holding_columns(self) -> HoldingColumns:
        return self._resident.holding_columns(self._found, _Values(self.kinds.get("holding", [])))

    def not_accountable_since(
        self, asked: Sequence[tuple[str, tuple[str, ...]]], as_of: date, position: int
    ) -> list[date]:
        """`gaps.Anchoring.not_accountable_since` as of `as_of`, as known at `position` (at
        most the position these rows are in force at), from the accountable holdings' valid
        intervals held in memory (`Resident.accountable_intervals`).

        For one party not accountable on `as_of`, every interval that began by then has ended
        by then, so the run began at the latest of their ends; for several parties, or if an
        interval reaches past `as_of`, the intervals go to `last_held_by_all` (the definition).
        """
        resident = self._resident
        day = as_of.toordinal()
        codes, starts, ends = resident.accountable_intervals(day, position)
        if not len(codes):
            return [EARLIEST_DATE] * len(asked)
        first = np.flatnonzero(np.diff(codes, prepend=-1))  # (codes are sorted)
        cells = codes[first]
        latest = np.maximum.reduceat(ends, first)
        last = [*first[1:].tolist(), len(codes)]

        def where(party: str, subject: str) -> int | None:
            """The index in `cells` of the pair's intervals (None: it has none)."""
            code = resident.cell_code(party, subject)
            at = int(np.searchsorted(cells, code))
            return at if at < len(cells) and cells[at] == code else None

        def intervals(at: int | None) -> list[tuple[date, date | None]]:
            if at is None:
                return []
            return [
                (_day(start), None if end == OPEN_END else _day(end))
                for start, end in zip(
                    starts[first[at] : last[at]].tolist(),
                    ends[first[at] : last[at]].tolist(),
                    strict=True,
                )
            ]

        # one party (the usual case): the latest end of its intervals, found for all at once
        wanted = np.array(
            [resident.cell_code(parties[0], subject) for subject, parties in asked], np.int64
        )
        at = np.minimum(np.searchsorted(cells, wanted), len(cells) - 1)
        ended = np.where(cells[at] == wanted, latest[at], NO_CODE).tolist()
        found: list[date] = []
        for (subject, parties), end in zip(asked, ended, strict=True):
            if len(parties) == 1 and end <= day:
                found.append(EARLIEST_DATE if end == NO_CODE else _day(end))
            else:
                places = [where(party, subject) for party in parties]
                found.append(last_held_by_all([intervals(at) for at in places], as_of))
        return found

    def derived(self, kind: str, make: Callable[[Any], T]) -> list[T]:
        """`make(value)` for the value of each row of `kind`, in the order of `kinds[kind]`:
        made once per row (a row's content never changes) and kept beside it, in the resident
        rows' memo named by `make`."""
        return self.derived_with(kind, None, lambda _key, value: make(value), name=make)

    def dated(
        self,
        kind: str,
        derive: Callable[[Any], T],
        holds_from: Callable[[T], date | None],
        gap: Callable[[T], V],
        as_of: date,
    ) -> list[V]:
        """`gaps.GapContext.dated` from the rows of `kind`, each row's value seen through
        `derive` (kept as `derived` keeps it): the first day each row's gap holds (`holds_from`,
        as an ordinal) and the gap itself are made once per row and kept beside it, so a question
        compares a column with its date and gathers the gaps of the rows it picks, without
        reading the others."""
        rows = self.kinds.get(kind, [])
        resident = self._resident
        at = resident.of_kind(self._found, kind)
        derived = resident.memo(derive)

        def seen(places: Ints) -> npt.NDArray[np.object_]:
            """The derived values of the rows at `places` of `at` (made if new)."""
            derived.make(at[places], lambda j: derive(rows[int(places[j])][3]))
            found: npt.NDArray[np.object_] = derived.values[at[places]]
            return found

        first_days = resident.memo(holds_from, None, np.int64)
        new = np.flatnonzero(~first_days.made[at])
        if len(new):
            values = seen(new)
            first_days.make(at[new], lambda j: _first_day(holds_from(values[j])))
        picked = np.flatnonzero(first_days.values[at] <= as_of.toordinal())
        gaps = resident.memo(gap)
        new = picked[~gaps.made[at[picked]]]
        if len(new):
            values = seen(new)
            gaps.make(at[new], lambda j: gap(values[j]))
        found: list[V] = gaps.values[at[picked]].tolist()
        return found

    def derived_with(
        self, kind: str, token: object, make: Callable[[Any, Any], T], name: object = None
    ) -> list[T]:
        """`make(key, value)` for each row of `kind` (its key in the state's dictionary and
        its value), in the order of `kinds[kind]`: made once per row and `token` (what else
        the result depends on), kept beside the row in the memo `name` (default: `make`)."""
        rows = self.kinds.get(kind, [])
        at = self._resident.of_kind(self._found, kind)
        memo = self._resident.memo(make if name is None else name, token)
        found: list[T] = memo.at(at, lambda i: make(rows[i][2], rows[i][3])).tolist()
        return found

    @cached_property
    def state(self) -> GovernanceState:
        return _state_of([row for rows in self.kinds.values() for row in rows])

    @cached_property
    def unordered(self) -> GovernanceState:
        """The same state, its dictionaries in no particular order, each made in one go when
        first read (an answer reads only some of them: the matrix and gap report leave the
        holdings, the largest, to `holding_columns`)."""
        return _UnorderedState(self.kinds)

    @cached_property
    def runs(self) -> dict[str, date]:
        """'<subject>/<condition>' -> the first day of the condition's run (see
        `domain.anchoring`), for the conditions that hold."""
        return {entry[4]: entry[3] for entry in self.kinds.get("run", ())}


class Follower:
    """Keep a read model in step with the ledger from a background thread, by polling.

    Polling works on both backends and sees other processes' writes within `interval`; queries
    catch up by themselves anyway, so the follower only keeps them from paying for it (for the
    catch-up, and for bringing the rows held in memory up to date).
    """

    def __init__(
        self,
        view: GovernanceView,
        ledger: Ledger,
        interval: float = 0.5,
        prepare: Callable[[threading.Event], object] | None = None,
    ) -> None:
        self.view, self.ledger, self.interval = view, ledger, interval
        self.prepare = prepare
        """Called after each catch-up with the event that asks the follower to stop (such as
        `projections.evaluation.prepare`, which does its work once and returns at once after)."""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def start(self) -> None:
        """Start following (idempotent)."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._run, name="projection-follower", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        """Stop following and wait for the thread to finish its batch."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.view.catch_up(self.ledger)
                self.view.warm()
                if self.prepare is not None:
                    self.prepare(self._stop)
                self.error = None
            except Exception as error:  # keep following: the next poll retries
                self.error = error
            self._stop.wait(self.interval)
