"""The application service: record decisions, read them back, move them in and out.

`Ledger` holds no history in memory. Recording is one transaction of the database under the
store's write lock (`ledger.tables`): it reads what the invariants of each decision need from
the tables, writes what each decision changes into them (`ledger.projector`), and appends the
events, hash-chained, in bounded chunks. A batch is all or nothing; concurrent writers, in any
process or on any host, wait for each other and each checks against what the one before wrote.
Reading opens one consistent snapshot of the tables (`reading`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import orjson

from domain import decisions as d
from domain import events as ev
from domain.errors import IdempotencyConflict, NotFound, RuleViolation
from domain.invariants import check
from ledger.database import Database
from ledger.known import StoreKnown, cluster
from ledger.projector import Projector, group_name, micros_of, moment_of
from ledger.settings import Settings
from ledger.storage import GovernanceApplication, open_database, open_store
from ledger.tables import MODEL, Tables

Clock = Callable[[], datetime]
Precondition = Callable[[Tables], None]

READ_PAGE = 1000
CHUNK_EVENTS = 1000
"""At most this many events are inserted by one statement (a large batch takes several)."""
CHUNK_BYTES = 2 * 1024 * 1024
"""... and at most about this many bytes of their payloads."""


def utc_now() -> datetime:
    return datetime.now(UTC)


class BrokenStore(Exception):
    """The event store is not a continuous log (a position is missing)."""


def _gap_message(missing: int, found: int) -> str:
    return (
        f"the event store has no decision at position {missing} (the next is at {found}): it "
        "was changed outside the ledger; run `ledger verify` to see where, and restore the "
        "ledger from an export (`ledger export` still saves what is left, for forensics)"
    )


@dataclass(frozen=True)
class DecisionView:
    """One decision with everything recorded about it since."""

    recorded: d.RecordedDecision
    current: d.Decision | None
    corrections: list[d.RecordedDecision]
    retraction: d.RecordedDecision | None
    consents: list[d.RecordedDecision]
    related: list[d.RecordedDecision]
    """Every decision recorded about it (corrections and their retractions, its retraction,
    consents): the last one's position is its version."""


@dataclass(frozen=True)
class ExportRecord:
    """A recorded decision with what `--restore` needs to reproduce it exactly."""

    recorded: d.RecordedDecision
    idempotency_key: str | None
    request_fingerprint: str | None

    def to_json(self) -> dict[str, Any]:
        data = self.recorded.model_dump(mode="json")
        if self.idempotency_key is not None:
            data["idempotency_key"] = self.idempotency_key
            data["request_fingerprint"] = self.request_fingerprint
        return data


def fingerprint(decisions: Sequence[d.Decision]) -> str:
    """A digest of a request's content, to tell a retry from a reuse of its idempotency key."""
    contents = [x.model_dump(mode="json") for x in decisions]
    for content in contents:  # (a field added later, at its default, leaves it as it was)
        for field, default in d.ADDED_TO_THE_ENVELOPE.items():
            if field in content and content[field] == default:
                del content[field]
    body = orjson.dumps(contents, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(body).hexdigest()


def request_key(client: str, key: str) -> str:
    """The idempotency key as stored in an event: the client and its key, unambiguously."""
    return orjson.dumps([client, key]).decode()


def _client_and_key(stored: str) -> tuple[str, str]:
    """`request_key` read back (a key stored before clients were kept apart: no client)."""
    if stored.startswith("["):
        found = orjson.loads(stored)
        return str(found[0]), str(found[1])
    return "", stored


class _Appender:
    """Inserts recorded decisions' events in the transaction of `tables`, in chunks bounded by
    count and bytes (a large batch takes several statements)."""

    def __init__(self, store: GovernanceApplication, tables: Tables) -> None:
        self._store, self._tables = store, tables
        self._chunk: list[Any] = []
        self._size = 0

    def append(self, item: d.RecordedDecision, key: str | None, request: str | None) -> None:
        event = ev.event_for(
            item.decision,
            decision_id=item.id,
            position=item.position,
            recorded_at=item.recorded_at,
            recorded_by=item.recorded_by,
            idempotency_key=key,
            request_fingerprint=request,
        )
        stored = self._store.mapper.to_stored_event(event)
        if self._chunk and (
            len(self._chunk) >= CHUNK_EVENTS or self._size + len(stored.state) > CHUNK_BYTES
        ):
            self._flush()
        self._chunk.append(stored)
        self._size += len(stored.state)

    def _flush(self) -> None:
        self._store.insert_in(self._tables, self._chunk)
        self._chunk, self._size = [], 0

    def __enter__(self) -> _Appender:
        return self

    def __exit__(self, kind: object, *_: object) -> None:
        if kind is None and self._chunk:
            self._flush()


class _Requests:
    """The idempotency keys found in events read back, with the positions each recorded."""

    def __init__(self) -> None:
        self._found: dict[tuple[str, str], list[Any]] = {}

    def note(self, key: str | None, request: str | None, position: int) -> None:
        if key is not None:
            found = self._found.setdefault(_client_and_key(key), [request or "", position, 0])
            found[2] = position

    def write(self, tables: Tables) -> None:
        for (client, key), (request, first, last) in self._found.items():
            tables.insert_request(client, key, request, first, last)


ORDERS = {
    "position": "position",
    "-position": "position DESC",
    "effective": "effective_on, position",
    "-effective": "effective_on DESC, position DESC",
}
"""The orders decisions can be listed in: by position (when recorded) or by effective date,
each ascending or (`-`) descending."""


@dataclass(frozen=True)
class DecisionFilter:
    """Which decisions: of these kinds; naming this party and this subject; effective and
    recorded between (both ends included); with this text in their content (any case)."""

    kinds: tuple[str, ...] = ()
    party: str | None = None
    subject: str | None = None
    effective: tuple[date | None, date | None] = (None, None)
    recorded: tuple[datetime | None, datetime | None] = (None, None)
    text: str | None = None

    def sql(self) -> tuple[str, list[Any]]:
        """The conditions (each preceded by AND) on `ledger_decisions`, and their parameters."""
        where: list[str] = []
        params: list[Any] = []
        if self.kinds:
            where.append(f"kind IN ({','.join('?' * len(self.kinds))})")
            params.extend(self.kinds)
        for name in ([f"party:{self.party}"] if self.party else []) + (
            [f"subject:{self.subject}"] if self.subject else []
        ):
            where.append("position IN (SELECT position FROM {p}ledger_names WHERE name = ?)")
            params.append(name)
        bounds = [
            ("effective_on", None if day is None else day.toordinal(), test)
            for day, test in zip(self.effective, (">=", "<="), strict=True)
        ] + [
            ("recorded_us", None if moment is None else micros_of(moment), test)
            for moment, test in zip(self.recorded, (">=", "<="), strict=True)
        ]
        for column, bound, test in bounds:
            if bound is not None:
                where.append(f"{column} {test} ?")
                params.append(bound)
        if self.text:
            # the content as stored is JSON: a quote or backslash in it is escaped
            needle = orjson.dumps(self.text.lower()).decode()[1:-1]
            escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            where.append("lower(payload) LIKE ? ESCAPE '\\'")
            params.append(f"%{escaped}%")
        return "".join(f" AND {w}" for w in where), params


class Ledger:
    """Record governance decisions and read them back."""

    def __init__(self, settings: Settings, clock: Clock = utc_now, *, build: bool = True) -> None:
        """Open the ledger; its tables are built from the events first if they were made by
        another version (`build=False` skips that: for reading the raw log only, as `export`
        does from a store that may be broken)."""
        self.settings = settings
        self._clock = clock
        self._store: GovernanceApplication = open_store(settings)
        self.db: Database = open_database(settings, self._store)
        if build:
            self._build_if_needed()

    @property
    def store(self) -> GovernanceApplication:
        """The event store underneath (for verification and exports of the raw log)."""
        return self._store

    def close(self) -> None:
        self.db.close()
        self._store.close()

    # --- recording ----------------------------------------------------------------------

    def record(
        self,
        decisions: Sequence[d.Decision],
        *,
        recorded_by: str,
        idempotency_key: str | None = None,
        client: str = "",
        precondition: Precondition | None = None,
    ) -> list[d.RecordedDecision]:
        """Check and record decisions atomically, in the given order; return them as recorded.

        With an `idempotency_key`, a request recorded before under the same (client, key) is
        answered as it was (and refused if its content differs). `precondition` (e.g. an HTTP
        If-Match) is checked on the tables the decisions are appended to, under the write lock,
        so it holds at the moment of writing."""
        if not decisions:
            return []
        request = fingerprint(decisions) if idempotency_key else None
        with self.db.write() as tables:
            if idempotency_key is not None:
                earlier = tables.request(client, idempotency_key)
                if earlier is not None:
                    if earlier[0] != request:
                        raise IdempotencyConflict(
                            f"the idempotency key {idempotency_key!r} was already used for a "
                            "different request"
                        )
                    return self._read_positions(tables, earlier[1], earlier[2])
            if precondition is not None:
                precondition(tables)
            head = tables.head()
            recorded_at = self._next_timestamp(tables, head)
            known, projector = StoreKnown(tables), Projector(tables)
            items: list[d.RecordedDecision] = []
            for index, decision in enumerate(decisions):
                try:
                    check(decision, known)
                except RuleViolation as violation:
                    violation.decision_index = index
                    raise
                item = d.RecordedDecision(
                    id=uuid4(),
                    position=head + index + 1,
                    recorded_at=recorded_at,
                    recorded_by=recorded_by,
                    decision=decision,
                )
                projector.apply(item)
                items.append(item)
            stored_key = None if idempotency_key is None else request_key(client, idempotency_key)
            with _Appender(self._store, tables) as appender:
                for item in items:
                    appender.append(item, stored_key, request)
            if idempotency_key is not None and request is not None:
                tables.insert_request(
                    client, idempotency_key, request, items[0].position, items[-1].position
                )
        return items

    def _next_timestamp(self, tables: Tables, head: int) -> datetime:
        """The ledger's clock, never running backwards along the ledger."""
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("the ledger clock must be timezone-aware")
        now = now.astimezone(UTC)
        if head == 0:
            return now
        found = tables.one(
            "SELECT recorded_us FROM {p}ledger_decisions WHERE position = ?", (head,)
        )
        last = moment_of(found[0])
        return max(now, last)

    # --- building the tables from the events --------------------------------------------

    def _build_if_needed(self) -> None:
        with self.db.read() as tables:
            if tables.model() == MODEL:
                return
        with self.db.write() as tables:
            if tables.model() != MODEL:  # (another process may have built them meanwhile)
                self._build(tables)

    def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        """Build every table made from the events again, in one transaction; return the head."""
        with self.db.write() as tables:
            return self._build(tables, progress)

    def _build(self, tables: Tables, progress: Callable[[int], None] | None = None) -> int:
        tables.empty()
        projector, requests = Projector(tables), _Requests()
        position = 0
        for event in self._events_after(0):
            item = ev.recorded(event)
            if item.position != position + 1:
                raise BrokenStore(_gap_message(position + 1, item.position))
            projector.apply(item)
            position = item.position
            requests.note(event.idempotency_key, event.request_fingerprint, position)
            if progress is not None and position % READ_PAGE == 0:
                progress(position)
        requests.write(tables)
        tables.set_model(MODEL)
        tables.compact()
        return position

    def _events_after(self, position: int) -> Iterator[ev.DecisionEvent[Any]]:
        while True:
            page = list(self._store.events.get(ev.LEDGER_STREAM_ID, gt=position, limit=READ_PAGE))
            yield from page  # type: ignore[misc]
            if len(page) < READ_PAGE:
                return
            position = page[-1].originator_version

    # --- reading ------------------------------------------------------------------------

    @contextmanager
    def reading(self) -> Iterator[Tables]:
        """One consistent snapshot of the tables, to answer a question from."""
        with self.db.read() as tables:
            yield tables

    @property
    def head(self) -> int:
        with self.db.read() as tables:
            return tables.head()

    def log(self, after: int = 0, limit: int = 100) -> list[d.RecordedDecision]:
        """Decisions in ledger order, `limit` at a time after position `after`."""
        with self.db.read() as tables:
            return _parsed(
                tables.all(
                    "SELECT payload FROM {p}ledger_decisions WHERE position > ?"
                    " ORDER BY position LIMIT ?",
                    (max(after, 0), limit),
                )
            )

    def recorded(self) -> list[d.RecordedDecision]:
        """Every decision, in ledger order (the whole log: for exports and tests)."""
        with self.db.read() as tables:
            return _parsed(tables.all("SELECT payload FROM {p}ledger_decisions ORDER BY position"))

    def get(self, decision_id: UUID) -> DecisionView:
        """One decision with its corrections, retraction and consents."""
        with self.db.read() as tables:
            knowledge = cluster(tables, decision_id)
        item = knowledge.get(decision_id)
        if item is None:
            raise NotFound(f"no decision with id {decision_id} is recorded")
        corrections = [knowledge.by_id[i] for i in knowledge.corrections.get(decision_id, [])]
        retraction_id = knowledge.retracted_by.get(decision_id)
        return DecisionView(
            recorded=item,
            current=knowledge.current(decision_id),
            corrections=corrections,
            retraction=knowledge.by_id[retraction_id] if retraction_id else None,
            consents=[knowledge.by_id[i] for i in knowledge.consents.get(decision_id, [])],
            related=[i for i in knowledge.recorded if i.id != decision_id],
        )

    def history(
        self, party: str | None = None, subject: str | None = None
    ) -> list[d.RecordedDecision]:
        """Every decision that names the party (as decider or otherwise) or the subject."""
        names = [f"party:{party}"] if party else []
        names += [f"subject:{subject}"] if subject else []
        if not names:
            return []
        marks = ",".join("?" * len(names))
        with self.db.read() as tables:
            return _parsed(
                tables.all(
                    "SELECT payload FROM {p}ledger_decisions WHERE position IN"  # noqa: S608
                    f" (SELECT position FROM {{p}}ledger_names WHERE name IN ({marks}))"
                    " ORDER BY position",
                    names,
                )
            )

    def search(
        self,
        match: DecisionFilter | None = None,
        *,
        after: int = 0,
        limit: int = 100,
        order: str = "position",
        offset: int = 0,
    ) -> tuple[list[d.RecordedDecision], int]:
        """Decisions that `match`, after position `after`, in `order` (one of `ORDERS`),
        `offset` of them skipped and at most `limit`; and the head."""
        where, params = (match or DecisionFilter()).sql()
        with self.db.read() as tables:
            found = _parsed(
                tables.all(
                    f"SELECT payload FROM {{p}}ledger_decisions WHERE position > ?{where}"  # noqa: S608
                    f" ORDER BY {ORDERS[order]} LIMIT ? OFFSET ?",
                    [max(after, 0), *params, limit, max(offset, 0)],
                )
            )
            return found, tables.head()

    def count(self, match: DecisionFilter | None = None) -> int:
        """How many decisions `match`."""
        where, params = (match or DecisionFilter()).sql()
        with self.db.read() as tables:
            found = tables.one(
                f"SELECT count(*) FROM {{p}}ledger_decisions WHERE 1 = 1{where}",  # noqa: S608
                params,
            )
            return int(found[0]) if found else 0

    def version(self, keys: Iterable[d.EntityKey]) -> int:
        """The last position about any of these objects (0 if none is)."""
        with self.db.read() as tables:
            return tables.version_of(group_name(key) for key in keys)

    def about(self, key: d.EntityKey) -> list[UUID]:
        """The decisions about one object, in ledger order."""
        with self.db.read() as tables:
            found = tables.all(
                "SELECT d.id FROM {p}ledger_about a JOIN {p}ledger_decisions d"
                " ON d.position = a.position WHERE a.grp = ? ORDER BY a.position",
                (group_name(key),),
            )
        return [UUID(row[0]) for row in found]

    # --- moving data ----------------------------------------------------------------------

    def export(self, missing: list[int] | None = None) -> Iterator[ExportRecord]:
        """Every decision as stored, in ledger order, read from the store itself.

        A store with positions missing (changed outside the ledger) is exported as it is, for
        forensics: the positions missing are added to `missing` if it is given; else the first
        one stops the export with BrokenStore."""
        expected = 1
        for event in self._events_after(0):
            item = ev.recorded(event)
            if item.position != expected:
                if missing is None:
                    raise BrokenStore(_gap_message(expected, item.position))
                missing.extend(range(expected, item.position))
            expected = item.position + 1
            yield ExportRecord(item, event.idempotency_key, event.request_fingerprint)

    def restore(self, records: Iterable[ExportRecord]) -> int:
        """Write an export into an empty ledger, reproducing ids, positions and times exactly."""
        with self.db.write() as tables:
            head = tables.head()
            if head != 0:
                raise RuleViolation(
                    "restore_needs_empty_ledger",
                    "ledger",
                    head,
                    "a restore writes into an empty ledger only; this one holds decisions",
                )
            self._store.restart_numbering(tables)
            known, projector, requests = StoreKnown(tables), Projector(tables), _Requests()
            count = 0
            with _Appender(self._store, tables) as appender:
                for index, record in enumerate(records):
                    item = record.recorded
                    if item.position != index + 1:
                        raise RuleViolation(
                            "restore_positions_contiguous",
                            f"line {index + 1}: position",
                            item.position,
                            f"positions must run 1, 2, 3, ...; expected {index + 1}",
                        )
                    check(item.decision, known)
                    projector.apply(item)
                    appender.append(item, record.idempotency_key, record.request_fingerprint)
                    requests.note(record.idempotency_key, record.request_fingerprint, item.position)
                    count += 1
            requests.write(tables)
            tables.compact()
            return count

    def _read_positions(self, tables: Tables, first: int, last: int) -> list[d.RecordedDecision]:
        return _parsed(
            tables.all(
                "SELECT payload FROM {p}ledger_decisions WHERE position >= ? AND position <= ?"
                " ORDER BY position",
                (first, last),
            )
        )


def _parsed(rows: Iterable[Sequence[str]]) -> list[d.RecordedDecision]:
    return [d.RecordedDecision.model_validate_json(row[0]) for row in rows]


def objects_changed_by(decision: d.Decision, tables: Tables) -> set[d.EntityKey]:
    """The objects a decision changes (a correction or retraction: those of its target too)."""
    keys = set(decision.entity_keys())
    target = d.target_of(decision)
    if isinstance(decision, d.DecisionCorrection | d.DecisionRetraction) and target is not None:
        found = tables.decisions([str(target)])
        if found:
            keys |= d.RecordedDecision.model_validate_json(found[0]).decision.entity_keys()
    return keys


def version_of(keys: Iterable[d.EntityKey], tables: Tables) -> int:
    """The last position that touched any of the objects (0 if none did)."""
    return tables.version_of(group_name(key) for key in keys)


__all__ = [
    "BrokenStore",
    "DecisionView",
    "ExportRecord",
    "Ledger",
    "fingerprint",
    "micros_of",
    "objects_changed_by",
    "version_of",
]
