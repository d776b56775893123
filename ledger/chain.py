"""The hash chain over every stored event, written in the same transaction as the events.

Every event the application stores, in commit order (notification id order), is chained:

    h(0) = 32 zero bytes
    h(n) = SHA-256(h(n-1) || canonical_bytes(event n))

`canonical_bytes` is an unambiguous, length-prefixed encoding of the notification id, the
topic, the originator id, the originator version and the stored state (see its docstring).
The chain is kept in a table of its own, `<events table>_chain (notification_id, hash)`, filled
by the recorders below inside the insert transaction. Inserts are serialised by the database
(PostgreSQL: the library's EXCLUSIVE table lock; SQLite: the write lock), so the previous hash
read inside that transaction is the hash of the last committed event.

PostgreSQL notification ids can have gaps (a failed insert burns sequence numbers): the chain
runs over the ids present. A gap is not tampering; a row deleted between two chained rows is,
because its chain row stays behind.
"""

from __future__ import annotations

import hashlib
import sqlite3
import struct
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.persistence import (
    ApplicationRecorder,
    InfrastructureFactory,
    ProgrammingError,
    StoredEvent,
)
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresFactory,
)
from eventsourcing.sqlite import (
    SQLiteApplicationRecorder,
    SQLiteCursor,
    SQLiteDatastore,
    SQLiteFactory,
)
from psycopg import Cursor
from psycopg.rows import DictRow, tuple_row
from psycopg.sql import SQL, Composed, Identifier, Literal

GENESIS = bytes(32)
"""h(0): the hash the first event is chained to."""

ENCODING_TAG = b"meldkamer-ledger/chain/v1\x00"
"""Prefix of every event's canonical bytes: names (and versions) the encoding."""

_U64 = struct.Struct(">Q")
_I64 = struct.Struct(">q")


def canonical_bytes(
    notification_id: int,
    originator_id: UUID | str,
    originator_version: int,
    topic: str,
    state: bytes,
) -> bytes:
    """Encode one stored event unambiguously, for hashing.

    ENCODING_TAG
    || u64 notification_id
    || u64 len(topic)         || topic (UTF-8)
    || u64 len(originator_id) || originator_id (UTF-8; a UUID in its canonical 8-4-4-4-12 form)
    || i64 originator_version
    || u64 len(state)         || state (the stored bytes, as stored)

    All integers are big-endian. Every variable field carries its length, so no two different
    events have the same encoding.
    """
    topic_bytes = topic.encode("utf-8")
    oid_bytes = str(originator_id).encode("utf-8")
    return b"".join(
        (
            ENCODING_TAG,
            _U64.pack(notification_id),
            _U64.pack(len(topic_bytes)),
            topic_bytes,
            _U64.pack(len(oid_bytes)),
            oid_bytes,
            _I64.pack(originator_version),
            _U64.pack(len(state)),
            state,
        )
    )


def chain_hash(previous: bytes, canonical: bytes) -> bytes:
    """h(n) from h(n-1) and the canonical bytes of event n."""
    return hashlib.sha256(previous + canonical).digest()


RawEvent = tuple[int, str, int, str, bytes]
"""A stored event as read for the chain: (notification id, originator id as text, originator
version, topic, state)."""


@dataclass(frozen=True, slots=True)
class ChainRow:
    """One position as stored: the event row and its chain row (either may be missing)."""

    notification_id: int
    event: RawEvent | None
    hash: bytes | None

    def canonical(self, notification_id: int | None = None) -> bytes:
        """The event's canonical bytes (as if stored at `notification_id`, if given)."""
        assert self.event is not None
        _, originator_id, originator_version, topic, state = self.event
        return canonical_bytes(
            self.notification_id if notification_id is None else notification_id,
            originator_id,
            originator_version,
            topic,
            state,
        )


class ChainedRecorder(Protocol):
    """What verification, checkpoints and proofs need to read from a chained recorder."""

    events_table_name: str
    chain_table_name: str

    def chain_head(self) -> tuple[int, bytes] | None: ...

    def max_position(self) -> int: ...

    def select_page(
        self, after: int, upto: int, limit: int
    ) -> tuple[list[RawEvent], list[tuple[int, bytes]]]: ...

    def notification_id_of(self, originator_id: UUID, originator_version: int) -> int | None: ...


def _chain_rows(
    previous: bytes, ids_and_events: Sequence[tuple[int, StoredEvent]]
) -> list[tuple[int, bytes]]:
    rows = []
    for notification_id, e in ids_and_events:
        previous = chain_hash(
            previous,
            canonical_bytes(
                notification_id, e.originator_id, e.originator_version, e.topic, e.state
            ),
        )
        rows.append((notification_id, previous))
    return rows


def merge(events: Sequence[RawEvent], hashes: Sequence[tuple[int, bytes]]) -> list[ChainRow]:
    """Merge two id-ordered lists into rows keyed by notification id."""
    merged: list[ChainRow] = []
    i = j = 0
    while i < len(events) or j < len(hashes):
        eid = events[i][0] if i < len(events) else None
        hid = hashes[j][0] if j < len(hashes) else None
        if hid is None or (eid is not None and eid < hid):
            assert eid is not None
            merged.append(ChainRow(eid, events[i], None))
            i += 1
        elif eid is None or hid < eid:
            merged.append(ChainRow(hid, None, hashes[j][1]))
            j += 1
        else:
            merged.append(ChainRow(eid, events[i], hashes[j][1]))
            i += 1
            j += 1
    return merged


# --- SQLite ---------------------------------------------------------------------------------


class ChainedSQLiteApplicationRecorder(SQLiteApplicationRecorder):
    """SQLite application recorder that chains every inserted event in the same transaction."""

    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = "stored_events"):
        # Set before super().__init__(), which builds the create-table statements.
        self.chain_table_name = chain = f"{events_table_name}_chain"
        super().__init__(datastore, events_table_name)
        events = self.events_table_name
        # Table names are fixed identifiers, never user input.
        self._select_chain_head = (
            f"SELECT notification_id, hash FROM {chain} ORDER BY notification_id DESC LIMIT 1"  # noqa: S608
        )
        self._insert_chain = f"INSERT INTO {chain} (notification_id, hash) VALUES (?, ?)"  # noqa: S608
        self._select_max_position = (
            f"SELECT MAX(m) FROM (SELECT MAX(rowid) AS m FROM {events} "  # noqa: S608
            f"UNION ALL SELECT MAX(notification_id) FROM {chain})"
        )
        # UUIDs are kept as bare hex: give them their canonical text form in SQL (fast).
        oid = (
            "substr(originator_id, 1, 8) || '-' || substr(originator_id, 9, 4) || '-' || "
            "substr(originator_id, 13, 4) || '-' || substr(originator_id, 17, 4) || '-' || "
            "substr(originator_id, 21)"
            if datastore.originator_id_type == "uuid"
            else "originator_id"
        )
        self._select_events_page = (
            f"SELECT rowid, {oid}, originator_version, topic, state "  # noqa: S608
            f"FROM {events} WHERE rowid > ? AND rowid <= ? ORDER BY rowid LIMIT ?"
        )
        self._select_hashes_page = (
            f"SELECT notification_id, hash FROM {chain} "  # noqa: S608
            "WHERE notification_id > ? AND notification_id <= ? ORDER BY notification_id"
        )
        self._select_notification_id = (
            f"SELECT rowid FROM {events} "  # noqa: S608
            "WHERE originator_id = ? AND originator_version = ?"
        )

    def construct_create_table_statements(self) -> list[str]:
        statements = super().construct_create_table_statements()
        statements.append(
            f"CREATE TABLE IF NOT EXISTS {self.chain_table_name} ("
            "notification_id INTEGER PRIMARY KEY, "
            "hash BLOB NOT NULL)"
        )
        return statements

    def _insert_events(
        self,
        c: SQLiteCursor,
        stored_events: Sequence[StoredEvent],
        **kwargs: Any,
    ) -> Sequence[int] | None:
        # Insert first: the first write takes SQLite's write lock on the newest snapshot, so
        # the chain head read next is the last committed one and nobody can append meanwhile.
        notification_ids = super()._insert_events(c, stored_events, **kwargs)
        if not stored_events:
            return notification_ids
        assert notification_ids is not None
        c.execute(self._select_chain_head)
        row = c.fetchone()
        previous = bytes(row[1]) if row is not None else GENESIS
        c.executemany(
            self._insert_chain,
            _chain_rows(previous, list(zip(notification_ids, stored_events, strict=True))),
        )
        return notification_ids

    # --- reading the chain ---

    def chain_head(self) -> tuple[int, bytes] | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(self._select_chain_head)
            row = c.fetchone()
        return None if row is None else (int(row[0]), bytes(row[1]))

    def max_position(self) -> int:
        with self.datastore.transaction(commit=False) as c:
            c.execute(self._select_max_position)
            row = c.fetchone()
        return int(row[0] or 0)

    def select_page(
        self, after: int, upto: int, limit: int
    ) -> tuple[list[RawEvent], list[tuple[int, bytes]]]:
        """Events with after < id <= upto (at most `limit`), and the chain rows they span."""
        with self.datastore.transaction(commit=False) as c:
            # One read transaction: the events and chain rows come from the same snapshot.
            raw: sqlite3.Cursor = c.sqlite_cursor
            raw.row_factory = None  # plain tuples: fast
            events: list[RawEvent] = raw.execute(
                self._select_events_page, (after, upto, limit)
            ).fetchall()
            last = events[-1][0] if len(events) == limit else upto
            hashes: list[tuple[int, bytes]] = raw.execute(
                self._select_hashes_page, (after, last)
            ).fetchall()
        return events, hashes

    def notification_id_of(self, originator_id: UUID, originator_version: int) -> int | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                self._select_notification_id,
                (
                    originator_id.hex
                    if self.datastore.originator_id_type == "uuid"
                    else str(originator_id),
                    originator_version,
                ),
            )
            row = c.fetchone()
        return None if row is None else int(row[0])


# --- PostgreSQL -----------------------------------------------------------------------------


class ChainedPostgresApplicationRecorder(PostgresApplicationRecorder):
    """PostgreSQL application recorder that chains every inserted event in the same transaction."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        if datastore.enable_db_functions:
            # That path inserts through a database function this recorder does not chain.
            msg = "the chained recorder does not support POSTGRES_ENABLE_DB_FUNCTIONS"
            raise ProgrammingError(msg)
        self.chain_table_name = f"{events_table_name}_chain"
        self.check_identifier_length(self.chain_table_name)
        self._pending = threading.local()  # the chain-head cursor of this thread's insert
        schema = Identifier(datastore.schema)
        events = Identifier(events_table_name)
        chain = Identifier(self.chain_table_name)
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {schema}.{chain} ("
                "notification_id bigint PRIMARY KEY, "
                "hash bytea NOT NULL)"
            ).format(schema=schema, chain=chain)
        )
        # Return the key of each inserted row too, to pair ids with events whatever the order.
        self.insert_events_statement += SQL(", originator_id, originator_version")
        self._select_chain_head: Composed = SQL(
            "SELECT notification_id, hash FROM {schema}.{chain} "
            "ORDER BY notification_id DESC LIMIT 1"
        ).format(schema=schema, chain=chain)
        self._insert_chain: Composed = SQL(
            "INSERT INTO {schema}.{chain} (notification_id, hash) "
            "SELECT * FROM unnest(%s::bigint[], %s::bytea[])"
        ).format(schema=schema, chain=chain)
        self._select_max_position: Composed = SQL(
            "SELECT GREATEST((SELECT MAX(notification_id) FROM {schema}.{events}), "
            "(SELECT MAX(notification_id) FROM {schema}.{chain})) AS m"
        ).format(schema=schema, events=events, chain=chain)
        self._select_events_page: Composed = SQL(
            "SELECT notification_id, originator_id::text, originator_version, topic, state "
            "FROM {schema}.{events} WHERE notification_id > %s AND notification_id <= %s "
            "ORDER BY notification_id LIMIT %s"
        ).format(schema=schema, events=events)
        self._select_hashes_page: Composed = SQL(
            "SELECT notification_id, hash FROM {schema}.{chain} "
            "WHERE notification_id > %s AND notification_id <= %s ORDER BY notification_id"
        ).format(schema=schema, chain=chain)
        self._restart_numbering: Composed = SQL(
            "SELECT setval(pg_get_serial_sequence({table}, 'notification_id'), 1, false) "
            "WHERE NOT EXISTS (SELECT 1 FROM {schema}.{events})"
        ).format(
            table=Literal(SQL("{}.{}").format(schema, events).as_string(None)),
            schema=schema,
            events=events,
        )
        self._select_notification_id: Composed = SQL(
            "SELECT notification_id FROM {schema}.{events} "
            "WHERE originator_id = %s AND originator_version = %s"
        ).format(schema=schema, events=events)

    def _insert_stored_events(
        self,
        curs: Cursor[DictRow],
        stored_events: Sequence[StoredEvent],
        **kwargs: Any,
    ) -> None:
        # As the library does (lock, notify, insert), with the chain head read in between: after
        # the EXCLUSIVE lock, so it is the last committed one, and in the same pipeline, so it
        # costs no extra round trip.
        self._lock_table(curs)
        self._notify_channel(curs)
        head = curs.connection.cursor()
        head.execute(self._select_chain_head, prepare=True)
        self._pending.head = head
        PostgresAggregateRecorder._insert_stored_events(self, curs, stored_events, **kwargs)

    def restart_numbering(self, curs: Cursor[Any]) -> None:
        """If the store holds no event, number the next one 1 again. PostgreSQL does not give
        back the numbers a rolled-back transaction took (a killed restore, say), and the hash
        chain covers each event's number: a restore into a store such a transaction ran on
        would chain other hashes than the ledger it restores."""
        curs.execute(self._restart_numbering)

    def _fetch_ids_after_insert_events(
        self,
        curs: Cursor[DictRow],
        stored_events: Sequence[StoredEvent],
        **kwargs: Any,
    ) -> Sequence[int] | None:
        # Still inside the insert transaction, holding the lock: no other insert can commit.
        head_cursor: Cursor[DictRow] = self._pending.head
        del self._pending.head
        head = head_cursor.fetchone()
        head_cursor.close()
        inserted = curs.fetchall()
        by_key = {(str(e.originator_id), e.originator_version): e for e in stored_events}
        pairs = sorted(
            (
                (r["notification_id"], by_key[(str(r["originator_id"]), r["originator_version"])])
                for r in inserted
            ),
            key=lambda pair: pair[0],
        )
        if len(pairs) != len(stored_events):
            msg = f"inserted {len(pairs)} events, expected {len(stored_events)}"
            raise ProgrammingError(msg)
        previous = bytes(head["hash"]) if head is not None else GENESIS
        rows = _chain_rows(previous, pairs)
        curs.execute(
            self._insert_chain,
            ([r[0] for r in rows], [r[1] for r in rows]),
            prepare=True,
            binary=True,  # bytea travels as bytes, not hex text
        )
        return [pair[0] for pair in pairs]

    # --- reading the chain ---

    def chain_head(self) -> tuple[int, bytes] | None:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_chain_head)
            row = curs.fetchone()
        return None if row is None else (int(row["notification_id"]), bytes(row["hash"]))

    def max_position(self) -> int:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_max_position)
            row = curs.fetchone()
        return int(row["m"] or 0) if row is not None else 0

    def select_page(
        self, after: int, upto: int, limit: int
    ) -> tuple[list[RawEvent], list[tuple[int, bytes]]]:
        """Events with after < id <= upto (at most `limit`), and the chain rows they span."""
        # One REPEATABLE READ transaction: both queries see the same snapshot.
        with (
            self.datastore.get_connection() as conn,
            conn.transaction(),
            conn.cursor(row_factory=tuple_row) as curs,
        ):
            curs.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            curs.execute(self._select_events_page, (after, upto, limit), prepare=True, binary=True)
            events: list[RawEvent] = curs.fetchall()
            last = events[-1][0] if len(events) == limit else upto
            curs.execute(self._select_hashes_page, (after, last), prepare=True, binary=True)
            hashes: list[tuple[int, bytes]] = curs.fetchall()
        return events, hashes

    def notification_id_of(self, originator_id: UUID, originator_version: int) -> int | None:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_notification_id, (originator_id, originator_version))
            row = curs.fetchone()
        return None if row is None else int(row["notification_id"])


# --- wiring -----------------------------------------------------------------------------------


def chained_application_recorder(factory: InfrastructureFactory[Any]) -> ApplicationRecorder:
    """The chained application recorder for the factory's backend (SQLite or PostgreSQL)."""
    recorder: ChainedSQLiteApplicationRecorder | ChainedPostgresApplicationRecorder
    if isinstance(factory, SQLiteFactory):
        recorder = ChainedSQLiteApplicationRecorder(factory.datastore)
    elif isinstance(factory, PostgresFactory):
        prefix = factory.env.name.lower() or "stored"
        recorder = ChainedPostgresApplicationRecorder(
            factory.datastore, events_table_name=f"{prefix}_events"
        )
    else:
        # Tamper evidence is not optional: refuse a backend the chain is not written on.
        msg = f"no chained recorder for {type(factory).__qualname__}"
        raise ProgrammingError(msg)
    if factory.env_create_table():
        recorder.create_table()
    return recorder


def chained(recorder: object) -> ChainedRecorder:
    """The recorder, as a chained recorder (or a clear error if it is not one)."""
    if isinstance(recorder, ChainedSQLiteApplicationRecorder | ChainedPostgresApplicationRecorder):
        return recorder
    msg = f"{type(recorder).__qualname__} does not keep a hash chain"
    raise ProgrammingError(msg)


def iter_pages(
    recorder: ChainedRecorder, upto: int, page: int = 2000
) -> Iterator[tuple[list[RawEvent], list[tuple[int, bytes]]]]:
    """Every event and chain row up to `upto`, in id order, a page at a time."""
    after = 0
    while after < upto:
        events, hashes = recorder.select_page(after, upto, page)
        if not events and not hashes:
            return
        yield events, hashes
        after = max(events[-1][0] if events else 0, hashes[-1][0] if hashes else 0)


def iter_rows(recorder: ChainedRecorder, upto: int, page: int = 2000) -> Iterator[ChainRow]:
    """Every position up to `upto`, in order: event and chain row side by side."""
    for events, hashes in iter_pages(recorder, upto, page):
        yield from merge(events, hashes)
