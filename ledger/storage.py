"""The event store: an eventsourcing Application with pydantic events and an orjson transcoder."""

from __future__ import annotations

import fcntl
import inspect
import sqlite3
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from types import MethodType
from typing import Any, TypeVar
from uuid import UUID

import orjson
import psycopg
from eventsourcing.application import Application
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    ApplicationRecorder,
    IntegrityError,
    Mapper,
    MapperDeserialisationError,
    StoredEvent,
    Transcoder,
)
from eventsourcing.sqlite import SQLiteCursor
from eventsourcing.utils import get_topic, resolve_topic
from pydantic import BaseModel

from ledger.chain import (
    ChainedPostgresApplicationRecorder,
    ChainedSQLiteApplicationRecorder,
    chained_application_recorder,
)
from ledger.database import Database, PostgresDatabase, SqliteDatabase
from ledger.settings import APPLICATION_NAME, DATABASE_WAIT_SECONDS, Settings
from ledger.tables import Tables

_STREAM_FIELDS = {"originator_id", "originator_version"}
"""Kept in the stored event's own columns, not in its state."""


class OrjsonTranscoder(Transcoder):
    """Encode event state as JSON with orjson (the state is already JSON-safe)."""

    def encode(self, obj: Any) -> bytes:
        return orjson.dumps(obj)

    def decode(self, data: bytes) -> Any:
        return orjson.loads(data)


class PydanticMapper(Mapper[UUID]):
    """Map pydantic events to stored events and back, running class-version upcasters."""

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        assert isinstance(domain_event, BaseModel)
        cls = type(domain_event)
        class_version = getattr(cls, "class_version", 1)
        if class_version == 1:
            # pydantic's own JSON serialiser writes the same bytes as orjson over model_dump,
            # without building the intermediate dict (a third of the mapping time).
            data = cls.__pydantic_serializer__.to_json(domain_event, exclude=_STREAM_FIELDS)
        else:
            state = domain_event.model_dump(mode="json", exclude=_STREAM_FIELDS)
            state["class_version"] = class_version
            data = self.transcoder.encode(state)
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=get_topic(cls),
            state=data,
        )

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        cls = resolve_topic(stored_event.topic)
        try:
            state: dict[str, Any] = self.transcoder.decode(stored_event.state)
        except Exception as error:
            raise MapperDeserialisationError(
                f"cannot decode stored event {stored_event.originator_version}: {error}"
            ) from error
        class_version = getattr(cls, "class_version", 1)
        from_version = state.pop("class_version", 1)
        while from_version < class_version:
            getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(state)
            from_version += 1
        state["originator_id"] = stored_event.originator_id
        state["originator_version"] = stored_event.originator_version
        event: DomainEventProtocol[UUID] = cls.model_validate(state)
        return event


class GovernanceApplication(Application[UUID]):
    """The ledger's event store (its name is pinned: table names derive from it)."""

    name = APPLICATION_NAME

    def save(self, *events: Any, **kwargs: Any) -> Any:
        """Store events in one transaction. The ledger saves plain events (no aggregates,
        snapshots or followers), so the library's collection step, which checks each event
        against a runtime protocol, is skipped."""
        return self.recorder.insert_events([self.mapper.to_stored_event(e) for e in events])

    def insert_in(self, tables: Tables, stored_events: Sequence[StoredEvent]) -> None:
        """Insert stored events, hash-chained, in the transaction of `tables` (which holds the
        store's write lock); an event at a taken position raises IntegrityError."""
        recorder = self.recorder
        try:
            if isinstance(recorder, ChainedSQLiteApplicationRecorder):
                recorder._insert_events(SQLiteCursor(tables.events_cursor), stored_events)
            else:
                assert isinstance(recorder, ChainedPostgresApplicationRecorder)
                cursor = tables.events_cursor
                recorder._insert_stored_events(cursor, stored_events)
                recorder._fetch_ids_after_insert_events(cursor, stored_events)
        except (sqlite3.IntegrityError, psycopg.IntegrityError) as error:
            raise IntegrityError(error) from error

    def restart_numbering(self, tables: Tables) -> None:
        """Number the next event 1 if the store holds none (inside the transaction of `tables`,
        under its write lock): what a restore into an empty store needs to chain the same
        hashes as the ledger it restores. SQLite numbers by its rows; PostgreSQL by a
        sequence, which keeps the numbers a rolled-back transaction took."""
        recorder = self.recorder
        if isinstance(recorder, ChainedPostgresApplicationRecorder):
            recorder.restart_numbering(tables.events_cursor)

    def construct_mapper(self) -> Mapper[UUID]:
        return PydanticMapper(transcoder=OrjsonTranscoder())

    def construct_recorder(self) -> ApplicationRecorder:
        # Every stored event is hash-chained in its insert transaction (see ledger.chain).
        return chained_application_recorder(self.factory)


RECONNECT_SECONDS = 2 * DATABASE_WAIT_SECONDS
"""How long the PostgreSQL pool goes on retrying one lost connection on its own."""


def open_store(settings: Settings) -> GovernanceApplication:
    """Open (and create, if need be) the event store the settings point at."""

    def open_application() -> GovernanceApplication:
        env = settings.eventsourcing_env()
        if settings.database_url is not None and _postgres_store_exists(settings):
            # Creating what exists is no free check on PostgreSQL: CREATE INDEX IF NOT EXISTS
            # waits for a lock that a writer (an import, for minutes) holds.
            env["CREATE_TABLE"] = "no"
        return GovernanceApplication(env=env)

    return open_created(settings, open_application)


def _postgres_store_exists(settings: Settings) -> bool:
    assert settings.database_url is not None
    events = f"{APPLICATION_NAME}_events"
    with psycopg.connect(settings.database_url.split("?", 1)[0], connect_timeout=10) as conn:
        found = conn.execute(
            "SELECT to_regclass(%s) IS NOT NULL AND to_regclass(%s) IS NOT NULL",
            (
                f'"{settings.postgres_schema}".{events}',
                f'"{settings.postgres_schema}".{events}_chain',
            ),
        ).fetchone()
    return bool(found and found[0])


def open_database(settings: Settings, store: GovernanceApplication) -> Database:
    """Open (and create, if need be) the ledger's tables beside the store's events."""
    recorder = store.recorder
    if isinstance(recorder, ChainedSQLiteApplicationRecorder):
        with _file_lock(settings.data_dir / ".create.lock"):
            return SqliteDatabase(str(settings.sqlite_path()), settings.lock_timeout)
    assert isinstance(recorder, ChainedPostgresApplicationRecorder)
    with _creation_lock(settings.database_url or ""):
        return PostgresDatabase(
            recorder.datastore,
            settings.postgres_schema,
            recorder.lock_table_statements,  # (they set lock_timeout from the settings)
        )


A = TypeVar("A", bound=Application[UUID])


def open_created(settings: Settings, open_application: Callable[[], A]) -> A:
    """`open_application()` (an eventsourcing application, which creates its tables when it
    opens) while no other process or thread creates tables in the same store: the schema is
    made first on PostgreSQL, the data directory on SQLite."""
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        with _file_lock(settings.data_dir / ".create.lock"):
            return open_application()
    with _creation_lock(settings.database_url):
        ensure_postgres_schema(settings)
        application = open_application()
    _outlasting_outages(application.recorder)
    return application


_RETRIED = ("select_events", "insert_events", "select_notifications", "max_notification_id")
"""The methods eventsourcing's PostgreSQL recorder runs again on an OperationalError."""


def _outlasting_outages(recorder: Any) -> None:
    """Make a PostgreSQL store (the ledger's events, the tokens) ride out the database going
    away (a restart, a network failure) as the settings say, not as the library does:

    - The pool retries a lost connection with a doubling back-off (1, 2, 4, 8 ... s) until it
      gives up; a request that then finds the pool short starts a fresh attempt at once.
      Giving up after RECONNECT_SECONDS bounds how long a worker goes on answering 503 after
      the database is back (the library's default, five minutes, let the back-off grow to a
      minute or more after a long outage: the token store kept it, and after 150 seconds
      away every request with a token was still refused 40 seconds after the database was
      back).
    - The library's recorder tries each of `_RETRIED` up to ten times on an OperationalError,
      and each try waits up to DATABASE_WAIT_SECONDS for a connection: every request with a
      token (checked against the token store with `select_events`) waited some 50 seconds
      for a database that was away, not 5, before its 503. One try: the pool already checks a
      connection before it lends it, and a client retries a 503.
    - The pool checks a connection before it lends it, and after each one that fails the check
      it waits longer (0, 1, 2, 4 ... s) before it tries the next: after a restart, when every
      idle connection is dead, a request got through three or four of them in its 5 seconds
      and was answered 503, and so the next, for 10 to 15 seconds after the database was
      back. The first failed check now checks every idle connection (one round trip each),
      so the dead ones are replaced at once."""
    pool = recorder.datastore.pool
    pool.reconnect_timeout = RECONNECT_SECONDS
    for name in _RETRIED:
        once = inspect.unwrap(getattr(type(recorder), name))
        setattr(recorder, name, MethodType(once, recorder))
    if pool._check is not None:  # (POSTGRES_PRE_PING; the pool has no public hook for it)
        pool._check = _checking_all(weakref.ref(pool), pool._check)


def _checking_all(
    pool: Callable[[], Any], check_one: Callable[[Any], None]
) -> Callable[[Any], None]:
    """The pool's check of a connection, followed on failure by `pool().check()`."""

    def check(connection: Any) -> None:
        try:
            check_one(connection)
        except Exception:
            if (alive := pool()) is not None:
                alive.check()  # (its own check_connection, not this function: no recursion)
            raise

    return check


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """The same for SQLite files: connections opening a fresh file together ("database is
    locked" while one of them switches it to WAL and creates the tables)."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


SCHEMA_LOCK_KEY = 0x4D454C444B414D  # "MELDKAM": one advisory lock for creating the tables


@contextmanager
def _creation_lock(database_url: str) -> Iterator[None]:
    """Serialise schema and table creation: workers starting together on a fresh PostgreSQL
    database would otherwise race on CREATE and fail on the catalogue's unique constraints."""
    with psycopg.connect(database_url.split("?", 1)[0], autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK_KEY,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK_KEY,))


def ensure_postgres_schema(settings: Settings) -> None:
    """Create the configured schema if it does not exist (the library needs it to). Two
    processes doing so at once both see it missing and one of them fails on the catalogue's
    unique index: then it exists, which is all that was asked."""
    assert settings.database_url is not None
    url = settings.database_url.split("?", 1)[0]
    with (
        psycopg.connect(url, autocommit=True, connect_timeout=10) as conn,
        suppress(psycopg.errors.UniqueViolation),  # (made by a concurrent caller)
    ):
        conn.execute(
            psycopg.sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                psycopg.sql.Identifier(settings.postgres_schema)
            )
        )
