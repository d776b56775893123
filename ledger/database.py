"""The database the ledger's tables live in: SQLite or PostgreSQL, its write transactions
(under the event store's write lock) and its consistent reads, and what differs between the two
(placeholders, the schema's prefix, the spatial index that finds the rows in force)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from eventsourcing import persistence
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier

from ledger.tables import (
    KIND_CODES,
    KIND_SPAN,
    MODEL,
    OPEN_POSITION,
    POSTGRES_SCHEMA,
    SCHEMA,
    SQLITE_SCHEMA,
    Tables,
    statements,
)


class Dialect:
    """What differs between SQLite and PostgreSQL."""

    prefix = ""

    def sql(self, text: str) -> str:
        raise NotImplementedError

    def boxes_inserted(
        self, tables: Tables, boxes: list[tuple[int, int, int, int, int]]
    ) -> None:  # (id, kind code, valid_from, valid_to, recorded_from)
        pass

    def boxes_closed(
        self, tables: Tables, closed: list[int], gone: list[int], position: int
    ) -> None:
        pass

    def emptied(self, tables: Tables) -> None:
        pass

    def compact(self, tables: Tables) -> None:
        """After many rows were written at once (a rebuild, a restore): lay them out for
        reading."""

    def has_table(self, tables: Tables, name: str) -> bool:
        raise NotImplementedError

    def in_force(
        self,
        tables: Tables,
        kinds: Sequence[str],
        day: int,
        position: int,
        columns: str,
        where: str,
        params: Sequence[Any],
    ) -> list[Any]:
        raise NotImplementedError


class SqliteDialect(Dialect):
    def sql(self, text: str) -> str:
        return text.replace("{p}", "").replace("{{p}}", "")

    def has_table(self, tables: Tables, name: str) -> bool:
        return tables.one("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)) is not None

    def boxes_inserted(self, tables: Tables, boxes: list[tuple[int, int, int, int, int]]) -> None:
        tables.executemany(
            "INSERT INTO ledger_row_boxes VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (i, code, code, start, end - 1, recorded, OPEN_POSITION - 1)
                for i, code, start, end, recorded in boxes
            ],
        )

    def boxes_closed(
        self, tables: Tables, closed: list[int], gone: list[int], position: int
    ) -> None:
        tables.executemany("DELETE FROM ledger_row_boxes WHERE id = ?", [(i,) for i in gone])
        tables.executemany(
            "UPDATE ledger_row_boxes SET recorded_hi = ? WHERE id = ?",
            [(position - 1, i) for i in closed],
        )

    def emptied(self, tables: Tables) -> None:
        tables.execute("DELETE FROM ledger_row_boxes")

    def in_force(
        self,
        tables: Tables,
        kinds: Sequence[str],
        day: int,
        position: int,
        columns: str,
        where: str,
        params: Sequence[Any],
    ) -> list[Any]:
        codes = sorted(KIND_CODES[k] for k in kinds)
        condition = (
            "b.kind_lo >= ? AND b.kind_hi <= ? AND b.valid_lo <= ? AND b.valid_hi >= ?"
            " AND b.recorded_lo <= ? AND b.recorded_hi >= ?"
        )
        if len(codes) != codes[-1] - codes[0] + 1:  # not a range: ask for each kind
            condition += f" AND b.kind_lo IN ({','.join(str(c) for c in codes)})"
        query = (
            f"SELECT {columns} FROM ledger_row_boxes b JOIN ledger_rows r ON r.id = b.id"  # noqa: S608
            f" WHERE {condition}" + (f" AND ({where})" if where else "")
        )
        return tables.all(query, [codes[0], codes[-1], day, day, position, position, *params])


class PostgresDialect(Dialect):
    def __init__(self, schema: str) -> None:
        self.prefix = SQL("{}.").format(Identifier(schema)).as_string(None)

    def sql(self, text: str) -> str:
        return text.replace("{{p}}", self.prefix).replace("{p}", self.prefix).replace("?", "%s")

    def has_table(self, tables: Tables, name: str) -> bool:
        found = tables.one("SELECT to_regclass(?) IS NOT NULL", (self.prefix + name,))
        return bool(found and found[0])

    def compact(self, tables: Tables) -> None:
        # A rebuild writes each row version as a new tuple, so the rows in force at a moment
        # lie scattered over a heap mostly of dead tuples: rewrite it in the order of the
        # spatial index (a few seconds for 100k decisions; the matrix then reads a seventh of
        # the pages), and give the planner its statistics.
        tables.execute("SET LOCAL statement_timeout = 0")  # (minutes, for millions of rows)
        tables.execute("CLUSTER {p}ledger_rows USING ledger_rows_area")
        tables.execute("ANALYZE {p}ledger_rows")

    def in_force(
        self,
        tables: Tables,
        kinds: Sequence[str],
        day: int,
        position: int,
        columns: str,
        where: str,
        params: Sequence[Any],
    ) -> list[Any]:
        query = (
            f"SELECT {columns} FROM unnest(?::smallint[]) AS k(kc) CROSS JOIN LATERAL"  # noqa: S608
            " (SELECT * FROM {p}ledger_rows x WHERE x.area @> box("
            f"point(?::bigint, k.kc::float8 * {KIND_SPAN} + ?::int),"
            f" point(?::bigint, k.kc::float8 * {KIND_SPAN} + ?::int))) AS r"
            + (f" WHERE {where}" if where else "")
        )
        codes = sorted(KIND_CODES[k] for k in kinds)
        return tables.all(query, [codes, position, day, position, day, *params])


# --- connections ------------------------------------------------------------------------------

STORE_AWAY: tuple[type[Exception], ...] = (
    psycopg.OperationalError,  # a lock not had in time, a statement cancelled, no connection
    sqlite3.OperationalError,  # "database is locked", a file that cannot be opened
    persistence.OperationalError,
    persistence.ConnectionUnavailableError,
)
"""What the store raises when it is busy or cannot be reached: worth a retry."""


class Database:
    """The tables' database: write transactions under the store's write lock, and reads from
    one consistent snapshot."""

    dialect: Dialect

    @contextmanager
    def write(self) -> Iterator[Tables]:
        raise NotImplementedError
        yield

    @contextmanager
    def read(self) -> Iterator[Tables]:
        raise NotImplementedError
        yield

    def close(self) -> None:
        pass

    def made(self) -> bool:
        """Whether the tables are there as this version makes them: they hold its `MODEL`.
        (Creating them again "if not exists" is no free check: it waits for the write lock
        that a writer, an import for minutes, may hold. A new table or index raises MODEL.)"""
        with self.read() as tables:
            return self.dialect.has_table(tables, "ledger_meta") and tables.model() == MODEL


class SqliteDatabase(Database):
    """The tables in the ledger's SQLite file (WAL: readers never wait for the writer)."""

    def __init__(self, path: str, timeout: float = 30.0) -> None:
        self.path = path
        self.timeout = timeout
        self.dialect = SqliteDialect()
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        if self.made():
            return
        with self.write() as tables:
            for statement in statements(SCHEMA.format(p="", i="", open=OPEN_POSITION)):
                tables.execute(statement)
            for statement in statements(SQLITE_SCHEMA):
                tables.execute(statement)

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def write(self) -> Iterator[Tables]:
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")  # the write lock, before anything is read
        try:
            yield Tables(conn.cursor(), self.dialect, conn.cursor())
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[Tables]:
        conn = self._connection()
        conn.execute("BEGIN")
        try:
            yield Tables(conn.cursor(), self.dialect)
        finally:
            conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()


class PostgresDatabase(Database):
    """The tables in the ledger's PostgreSQL schema, over the event store's connection pool.

    A write waits for the store's lock as long as the lock statements say (the settings'
    `lock_timeout`), and no statement of it runs longer than `statement_seconds`; a writer
    that stops talking inside its transaction (a client stalled, a process stopped) is cut off
    by the server after `idle_seconds`, which ends its transaction and frees the lock every
    other writer needs."""

    def __init__(
        self,
        datastore: Any,
        schema: str,
        lock_statements: Sequence[Any],
        statement_seconds: int = 300,
        idle_seconds: int = 300,
    ) -> None:
        self.datastore = datastore
        self.dialect = PostgresDialect(schema)
        self.lock_statements = lock_statements
        self.statement_seconds = statement_seconds
        self.idle_seconds = idle_seconds
        if self.made():
            return
        with self.write() as tables:
            # one process at a time creates the tables
            tables.execute("SELECT pg_advisory_xact_lock(hashtext(?))", (schema + "/tables",))
            script = SCHEMA + POSTGRES_SCHEMA
            prefix = self.dialect.prefix
            for statement in statements(script):
                text = statement.replace("{p}", prefix).replace("{i}", "")
                tables.cursor.execute(
                    text.replace("{open}", str(OPEN_POSITION)).replace("{span}", str(KIND_SPAN))
                )
            for old in (
                "governance_view_rows",
                "governance_view_positions",
                "governance_view_tracking",
            ):
                tables.cursor.execute(f"DROP TABLE IF EXISTS {prefix}{old}")

    @contextmanager
    def write(self) -> Iterator[Tables]:
        with self.datastore.get_connection() as conn, conn.transaction():
            cursor = conn.cursor(row_factory=tuple_row)
            # A writer asks for a few rows at a time, always through an index; the planner
            # knows nothing of the rows a long transaction (an import) wrote so far. And no
            # generic plans: psycopg prepares a statement run five times, and a plan made for
            # the table as it was (empty, in a new ledger) then serves it as it grows (a
            # 6,000-decision restore took 3x as long).
            cursor.execute(
                f"SET LOCAL statement_timeout = '{int(self.statement_seconds)}s';"
                " SET LOCAL idle_in_transaction_session_timeout ="
                f" '{int(self.idle_seconds)}s';"
                " SET LOCAL enable_seqscan = off; SET LOCAL plan_cache_mode = force_custom_plan"
            )
            for statement in self.lock_statements:  # the event store's EXCLUSIVE lock
                cursor.execute(statement)
            yield Tables(cursor, self.dialect, conn.cursor())

    @contextmanager
    def read(self) -> Iterator[Tables]:
        with self.datastore.get_connection() as conn, conn.transaction():
            cursor = conn.cursor(row_factory=tuple_row)
            cursor.execute(
                "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY;"
                " SET LOCAL plan_cache_mode = force_custom_plan"
            )
            yield Tables(cursor, self.dialect)
