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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import orjson
from pydantic import TypeAdapter

from domain import decisions as d
from domain import governance as g
from domain.governance import GovernanceState, InForce
from domain.knowledge import Knowledge
from domain.timeline import (
    ENTRY_KINDS,
    GROUP_DICTS,
    Footprint,
    GroupFold,
    entity_id,
    fold_order,
    footprint,
    group_items,
    snapshots,
    touched_roots,
)
from ledger.service import Ledger
from ledger.settings import Settings
from projections.tables import VIEW_NAME, Insert, Row, Tables, Transaction, open_tables

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NOTHING = Footprint(None, frozenset())
BATCH = 5000

Progress = Callable[[int, int], None]
"""Told (position reached, head) after each batch."""


def micros(moment: datetime) -> int:
    """A moment as microseconds since the epoch (UTC); naive moments are refused."""
    if moment.tzinfo is None:
        raise ValueError("known_at must be timezone-aware")
    return (moment - EPOCH) // timedelta(microseconds=1)


def group_name(key: d.EntityKey) -> str:
    return f"{key[0]}:{key[1]}"


@dataclass
class _Group:
    items: list[InForce]
    fold: GroupFold
    rows: dict[Row, int] = field(default_factory=dict)
    latest: dict[tuple[str, str], Row] = field(default_factory=dict)
    """The open rows still valid at the end of time, by (kind, entity)."""

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

    def position(self) -> int:
        """The ledger position the stored rows reflect."""
        return self.tables.tracking()[0]

    def catch_up(self, ledger: Ledger, progress: Progress | None = None) -> int:
        """Apply the decisions recorded since the stored position; return the new position."""
        with self._lock:
            head = ledger.head
            while True:
                position, _ = self.tables.tracking()
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
        with self._lock:
            head = ledger.head
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
        self._knowledge = Knowledge()
        self._groups: dict[d.EntityKey, _Group] = {}
        self._position = -1
        self._generation = -1
        self._fresh = False

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
        if (
            group is not None
            and len(after) == 1
            and new is not None
            and (group.fold.last is None or fold_order(new) > group.fold.last)
        ):
            group.items.append(new)
            anomalies = len(group.fold.anomaly_orders)
            group.fold.apply(new)
            if self._append(batch, key, group, since.toordinal(), anomalies, item.position):
                return
            segments, _ = _segments(key, [(since, group.fold)])
        else:
            if group is None:
                rows = [] if self._fresh else tx.open_rows(group_name(key))
                group = _Group(group_items(self._knowledge, key), GroupFold(key))
                group.set_rows({row: row_id for row_id, row in rows})
                self._groups[key] = group
            else:
                kept = [i for i in group.items if i.id not in after]
                kept.extend(f.item for f in after.values() if f.item is not None and key in f.keys)
                kept.sort(key=fold_order)
                group.items = kept
            segments, group.fold = _segments(key, snapshots(key, group.items, since))
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
    ) -> bool:
        """Record the change a decision in effective order made; False if it needs `_replace`.

        Only the entries the fold touched can have changed, and only from `start` on, which
        lies after every earlier change of the group; a change on the very day of the previous
        one (which may merge with what came before) is left to `_replace`.
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
        for entry_kind, entity, _ in changes:
            old = group.latest.get((entry_kind, entity))
            if old is not None and old[5] >= start:
                return False
        name = group_name(key)
        for entry_kind, entity, value in changes:
            old = group.latest.get((entry_kind, entity))
            if old is not None and value is not None and old[2:5] == value:
                continue
            if old is not None:
                batch.close(group.rows.pop(old), position)
                del group.latest[(entry_kind, entity)]
                clipped: Row = (*old[:6], start)
                group.rows[clipped] = batch.insert(name, clipped, position)
            if value is not None:
                row: Row = (entry_kind, entity, *value, start, None)
                group.rows[row] = batch.insert(name, row, position)
                group.latest[(entry_kind, entity)] = row
        return True

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
        """The governance on `as_of` as known at `known_at` (only `kinds`, if given)."""
        found = self.tables.find(
            kinds,
            as_of.toordinal(),
            self.position_at(known_at),
            None if group is None else group_name(group),
        )
        return assemble(found)


def _segments(
    key: d.EntityKey, folds: Iterable[tuple[date, GroupFold]]
) -> tuple[list[Row], GroupFold]:
    """Turn a group's successive folds into rows (valid from one change to the next)."""
    rows: list[Row] = []
    last = GroupFold(key)
    running: dict[tuple[str, str], tuple[tuple[str, int, int], int]] = {}
    for day, fold in folds:
        last = fold
        start = day.toordinal()
        now = {
            (e.kind, e.entity): (
                orjson.dumps(e.value).decode(),
                e.order[0].toordinal(),
                e.order[1],
            )
            for e in fold.entries()
        }
        for entry, (value, valid_from) in list(running.items()):
            if now.get(entry) != value:
                rows.append((*entry, *value, valid_from, start))
                del running[entry]
        for entry, value in now.items():
            if entry not in running:
                running[entry] = (value, start)
    rows.extend(
        (*entry, *value, valid_from, None) for entry, (value, valid_from) in running.items()
    )
    return rows, last


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
        if kind == "anomaly":
            state.anomalies.append(value)
        elif kind == "holding":
            state.holdings[(value.party, value.subject, value.role)] = value
        elif kind == "consent":
            state.consents[UUID(entity)] = value
        else:
            getattr(state, _ATTRIBUTES[kind])[entity] = value
    return state


class Follower:
    """Keep a read model in step with the ledger from a background thread, by polling.

    Polling works on both backends and sees other processes' writes within `interval`; queries
    catch up by themselves anyway, so the follower only keeps them from paying for it.
    """

    def __init__(self, view: GovernanceView, ledger: Ledger, interval: float = 0.5) -> None:
        self.view, self.ledger, self.interval = view, ledger, interval
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
                self.error = None
            except Exception as error:  # keep following: the next poll retries
                self.error = error
            self._stop.wait(self.interval)
