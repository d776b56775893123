"""Where the bitemporal read model lives: an SQLite file of its own, or tables in PostgreSQL.

One row is one entry of the governance (a party, a holding, a risk, an anomaly, ...) with the
payload it had over a valid-time interval [valid_from, valid_to) — dates as ordinals, NULL for
open — as known over a ledger-position interval [recorded_from, recorded_to). Rows are never
changed except to close their recorded interval. `positions` maps each ledger position to its
recorded_at (microseconds since the epoch, UTC) so that a moment maps to a position prefix.
`tracking` holds the position the rows reflect and a generation that a rebuild raises.

Rows, positions and the tracking position are written in one transaction, after locking the
tracking row (SQLite: BEGIN IMMEDIATE; PostgreSQL: SELECT ... FOR UPDATE), so each decision
is applied exactly once even with several processes catching up at the same time.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

import orjson
import psycopg
from psycopg import sql

from domain.timeline import ROW_KINDS
from ledger.settings import Settings

VIEW_NAME = "governance"
MODEL = 2
"""The version of what the rows hold (2: runs of the anchoring conditions were added). Rows
made by another version are dropped when the tables are opened; the view then catches up
from the first decision."""
VIEW_KEY = f"{VIEW_NAME}/{MODEL}"
"""The view's key in `tracking`."""
OPEN = 2**31 - 1
"""The end of an open interval in the SQLite R*Tree (its columns cannot be NULL)."""

KIND_CODES = {kind: code for code, kind in enumerate(ROW_KINDS)}

Row = tuple[str, str, str, int, int, int, int | None]
"""(kind, entity, payload, order date, order position, valid_from, valid_to)."""

Insert = tuple[int, str, Row, int, int | None]
"""(row id, group, row, recorded_from, recorded_to)."""

_COLUMNS = (
    "grp, kind, entity, payload, ord_date, ord_pos, valid_from, valid_to,"
    " recorded_from, recorded_to"
)

Found = tuple[str, str, str, int, int]
"""(kind, entity, payload, order date, order position) of a row in force."""

Stored = tuple[int, str, str, str, int, int]
"""(row id, kind, entity, payload, order date, order position) of a row."""

Box = tuple[int, str, str | None, int, int | None, int, int | None]
"""(row id, kind, entity if a holding's, valid_from, valid_to, recorded_from, recorded_to) of a
row."""


class Reader(Protocol):
    """Reads from one consistent snapshot of the tables (see `Tables.reading`)."""

    def tracking(self) -> tuple[int, int]: ...
    def position_at(self, recorded_us: int) -> int: ...
    def boxes_since(self, after_id: int, position: int) -> tuple[list[Box], list[tuple[int, int]]]:
        """The rows written after row `after_id` (each with its kind and its box), and the
        (id, recorded_to) of the earlier rows closed after `position`."""
        ...

    def find_ids(
        self, kinds: Sequence[str], as_of: int, position: int, group: str | None
    ) -> list[int]: ...
    def rows(self, ids: Sequence[int]) -> list[Stored]: ...


class Tables(Protocol):
    """The operations the projection needs from its store."""

    def tracking(self) -> tuple[int, int]: ...
    @contextmanager
    def transaction(self) -> Iterator[Transaction]: ...
    @contextmanager
    def reading(self) -> Iterator[Reader]: ...
    def position_at(self, recorded_us: int) -> int: ...
    def find(
        self, kinds: Sequence[str], as_of: int, position: int, group: str | None
    ) -> list[Found]: ...
    def count_rows(self) -> int: ...
    def all_rows(self) -> list[tuple[Any, ...]]: ...
    def close(self) -> None: ...


class Transaction(Protocol):
    def tracking(self) -> tuple[int, int]: ...
    def next_row_id(self) -> int: ...
    def open_rows(self, group: str) -> list[tuple[int, Row]]: ...
    def write(
        self,
        inserts: list[Insert],
        closes: list[tuple[int, int]],
        positions: list[tuple[int, int]],
        position: int,
        generation: int,
    ) -> None: ...
    def reset(self, generation: int) -> None: ...


def open_tables(settings: Settings) -> Tables:
    """Open (creating if need be) the read model's tables in the ledger's backend."""
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return SqliteTables(str(settings.sqlite_path(f"projection-{VIEW_NAME}")))
    return PostgresTables(settings)


# --- SQLite ---------------------------------------------------------------------------------

_SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS rows (
    id INTEGER PRIMARY KEY,
    grp TEXT NOT NULL,
    kind TEXT NOT NULL,
    entity TEXT NOT NULL,
    payload TEXT NOT NULL,
    ord_date INTEGER NOT NULL,
    ord_pos INTEGER NOT NULL,
    valid_from INTEGER NOT NULL,
    valid_to INTEGER,
    recorded_from INTEGER NOT NULL,
    recorded_to INTEGER
);
CREATE INDEX IF NOT EXISTS rows_open ON rows (grp) WHERE recorded_to IS NULL;
CREATE INDEX IF NOT EXISTS rows_closed ON rows (recorded_to) WHERE recorded_to IS NOT NULL;
DROP INDEX IF EXISTS rows_entity;
DROP INDEX IF EXISTS rows_accountable;
CREATE VIRTUAL TABLE IF NOT EXISTS row_boxes USING rtree_i32(
    id, kind_lo, kind_hi, valid_lo, valid_hi, recorded_lo, recorded_hi
);
CREATE TABLE IF NOT EXISTS positions (
    position INTEGER PRIMARY KEY,
    recorded_us INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS positions_time ON positions (recorded_us, position);
CREATE TABLE IF NOT EXISTS tracking (
    view TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    generation INTEGER NOT NULL
);
"""


class SqliteTables:
    """The read model in its own SQLite file (WAL, so readers never wait for the writer)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _SQLITE_SCHEMA.split(";"):
                if statement.strip():
                    self.conn.execute(statement)
            created = self.conn.execute(
                "INSERT OR IGNORE INTO tracking (view, position, generation) VALUES (?, 0, 0)",
                (VIEW_KEY,),
            ).rowcount
            if created and self.conn.execute("SELECT count(*) FROM tracking").fetchone()[0] > 1:
                # rows of an older model: start again from nothing
                self.conn.execute("DELETE FROM tracking WHERE view != ?", (VIEW_KEY,))
                _SqliteTransaction(self.conn).reset(0)
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise

    def tracking(self) -> tuple[int, int]:
        row = self.conn.execute(
            "SELECT position, generation FROM tracking WHERE view = ?", (VIEW_KEY,)
        ).fetchone()
        return int(row[0]), int(row[1])

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield _SqliteTransaction(self.conn)
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise

    @contextmanager
    def reading(self) -> Iterator[Reader]:
        """A read transaction: every read sees the same committed state (WAL snapshot)."""
        self.conn.execute("BEGIN")
        try:
            yield _SqliteReader(self)
        finally:
            self.conn.execute("COMMIT")

    def position_at(self, recorded_us: int) -> int:
        row = self.conn.execute(
            "SELECT position FROM positions WHERE recorded_us <= ? "
            "ORDER BY recorded_us DESC, position DESC LIMIT 1",
            (recorded_us,),
        ).fetchone()
        return int(row[0]) if row else 0

    def find(
        self, kinds: Sequence[str], as_of: int, position: int, group: str | None
    ) -> list[Found]:
        codes = sorted(KIND_CODES[k] for k in kinds)
        query = (
            "SELECT r.kind, r.entity, r.payload, r.ord_date, r.ord_pos "
            "FROM row_boxes b JOIN rows r ON r.id = b.id "
            "WHERE b.kind_lo >= ? AND b.kind_hi <= ? AND b.valid_lo <= ? AND b.valid_hi >= ? "
            "AND b.recorded_lo <= ? AND b.recorded_hi >= ?"
        )
        params: list[Any] = [codes[0], codes[-1], as_of, as_of, position, position]
        if group is not None:
            query += " AND r.grp = ?"
            params.append(group)
        found: list[Found] = self.conn.execute(query, params).fetchall()
        if len(codes) != codes[-1] - codes[0] + 1:
            wanted = set(kinds)
            found = [row for row in found if row[0] in wanted]
        return found

    def count_rows(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM rows").fetchone()[0])

    def all_rows(self) -> list[tuple[Any, ...]]:
        """Every row without its id, sorted (to compare two builds of the same log)."""
        query = f"SELECT {_COLUMNS} FROM rows"  # noqa: S608 - fixed names
        return sorted(self.conn.execute(query).fetchall(), key=repr)

    def close(self) -> None:
        self.conn.close()


class _SqliteReader:
    def __init__(self, tables: SqliteTables) -> None:
        self.tables = tables
        self.conn = tables.conn

    def tracking(self) -> tuple[int, int]:
        return self.tables.tracking()

    def position_at(self, recorded_us: int) -> int:
        return self.tables.position_at(recorded_us)

    def boxes_since(self, after_id: int, position: int) -> tuple[list[Box], list[tuple[int, int]]]:
        written: list[Box] = self.conn.execute(
            "SELECT id, kind, CASE kind WHEN 'holding' THEN entity END,"
            " valid_from, valid_to, recorded_from, recorded_to FROM rows WHERE id > ? ORDER BY id",
            (after_id,),
        ).fetchall()
        closed: list[tuple[int, int]] = self.conn.execute(
            # (left to itself, SQLite walks the primary key up to after_id, i.e. every row:
            # ~40 ms at 140k rows, after every write; the index of closed rows finds the few)
            "SELECT id, recorded_to FROM rows INDEXED BY rows_closed"
            " WHERE recorded_to > ? AND id <= ? ORDER BY id",
            (position, after_id),
        ).fetchall()
        return written, closed

    def find_ids(
        self, kinds: Sequence[str], as_of: int, position: int, group: str | None
    ) -> list[int]:
        """The ids of the rows of `kinds` valid on `as_of` and open at `position`.

        Only the R*Tree is read (no payloads), unless a group is asked for.
        """
        codes = sorted(KIND_CODES[k] for k in kinds)
        params: list[Any] = [codes[0], codes[-1], as_of, as_of, position, position]
        where = (
            "b.kind_lo >= ? AND b.kind_hi <= ? AND b.valid_lo <= ? AND b.valid_hi >= ? "
            "AND b.recorded_lo <= ? AND b.recorded_hi >= ?"
        )
        if group is None:
            query = f"SELECT b.id, b.kind_lo FROM row_boxes b WHERE {where}"  # noqa: S608
        else:
            query = (
                f"SELECT b.id, b.kind_lo FROM row_boxes b JOIN rows r ON r.id = b.id "  # noqa: S608
                f"WHERE {where} AND r.grp = ?"
            )
            params.append(group)
        if len(codes) != codes[-1] - codes[0] + 1:
            wanted = set(codes)
            found = self.conn.execute(query, params).fetchall()
            return [row_id for row_id, code in found if code in wanted]
        # every kind in the range: the ids as one text (a row per id costs more to fetch
        # than the text to parse)
        query = query.replace("SELECT b.id, b.kind_lo", "SELECT group_concat(b.id)", 1)
        text = self.conn.execute(query, params).fetchone()[0]
        ids: list[int] = orjson.loads(f"[{text}]") if text else []
        return ids

    def rows(self, ids: Sequence[int]) -> list[Stored]:
        return self.conn.execute(
            "SELECT id, kind, entity, payload, ord_date, ord_pos FROM rows "
            "WHERE id IN (SELECT value FROM json_each(?))",
            (orjson.dumps(list(ids)).decode(),),
        ).fetchall()


class _SqliteTransaction:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def tracking(self) -> tuple[int, int]:
        row = self.conn.execute(
            "SELECT position, generation FROM tracking WHERE view = ?", (VIEW_KEY,)
        ).fetchone()
        return int(row[0]), int(row[1])

    def next_row_id(self) -> int:
        return int(self.conn.execute("SELECT coalesce(max(id), 0) + 1 FROM rows").fetchone()[0])

    def open_rows(self, group: str) -> list[tuple[int, Row]]:
        return [
            (row[0], tuple(row[1:]))
            for row in self.conn.execute(
                "SELECT id, kind, entity, payload, ord_date, ord_pos, valid_from, valid_to "
                "FROM rows WHERE grp = ? AND recorded_to IS NULL",
                (group,),
            )
        ]

    def write(
        self,
        inserts: list[Insert],
        closes: list[tuple[int, int]],
        positions: list[tuple[int, int]],
        position: int,
        generation: int,
    ) -> None:
        conn = self.conn
        conn.executemany(
            "UPDATE rows SET recorded_to = ? WHERE id = ?", [(p, i) for i, p in closes]
        )
        conn.executemany(
            "UPDATE row_boxes SET recorded_hi = ? WHERE id = ?", [(p - 1, i) for i, p in closes]
        )
        conn.executemany(
            "INSERT INTO rows VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(i, g, *row, p, q) for i, g, row, p, q in inserts],
        )
        conn.executemany(
            "INSERT INTO row_boxes VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    i,
                    KIND_CODES[row[0]],
                    KIND_CODES[row[0]],
                    row[5],
                    OPEN if row[6] is None else row[6] - 1,
                    p,
                    OPEN if q is None else q - 1,
                )
                for i, _, row, p, q in inserts
            ],
        )
        conn.executemany("INSERT INTO positions VALUES (?, ?)", positions)
        conn.execute(
            "UPDATE tracking SET position = ?, generation = ? WHERE view = ?",
            (position, generation, VIEW_KEY),
        )

    def reset(self, generation: int) -> None:
        # dropping and creating again is much faster than deleting every row of the R*Tree
        for table in ("rows", "row_boxes", "positions"):
            self.conn.execute(f"DROP TABLE IF EXISTS {table}")
        for statement in _SQLITE_SCHEMA.split(";"):
            if statement.strip():
                self.conn.execute(statement)
        self.conn.execute(
            "UPDATE tracking SET position = 0, generation = ? WHERE view = ?",
            (generation, VIEW_KEY),
        )


# --- PostgreSQL -----------------------------------------------------------------------------


_AREA = (
    "box(point(recorded_from, hashtext(kind)::float8 * 4000000 + valid_from),"
    " point(coalesce(recorded_to - 1, 2147483646),"
    " hashtext(kind)::float8 * 4000000 + coalesce(valid_to - 1, 3999999)))"
)
"""A row as a rectangle: x its recorded positions, y its valid dates shifted by its kind.

Both ends are inclusive (a box contains its edges). Date ordinals stay below 4000000
(date.max is 3652059), so the kinds' spans never overlap. The kind's offset is computed by the
server (hashtext is exact in a float8 times the span: below 2**53), so the rows in force of
one kind at (date, position) are the boxes containing one point, found in the GiST index
alone (the index includes the id, so the scan can be index-only).
"""

_FIND_IDS = (
    "SELECT string_agg(r.id::text, ',') FROM unnest(%s::text[]) AS k(kind)"
    " CROSS JOIN LATERAL (SELECT id FROM governance_view_rows"
    " WHERE area @> box(point(%s::int, hashtext(k.kind)::float8 * 4000000 + %s::int),"
    " point(%s::int, hashtext(k.kind)::float8 * 4000000 + %s::int))) AS r"
)

_FIND_IDS_IN_GROUP = (
    "SELECT string_agg(r.id::text, ',') FROM unnest(%s::text[]) AS k(kind)"
    " CROSS JOIN LATERAL (SELECT id FROM governance_view_rows"
    " WHERE area @> box(point(%s::int, hashtext(k.kind)::float8 * 4000000 + %s::int),"
    " point(%s::int, hashtext(k.kind)::float8 * 4000000 + %s::int)) AND grp = %s) AS r"
)

_VACUUM_AFTER = 5000
"""Vacuum and analyse the rows after this many were written (and at least a fifth of them):
index-only scans need the visibility map, the planner needs statistics."""


class PostgresTables:
    """The read model as tables `governance_view_*` in the ledger's schema."""

    def __init__(self, settings: Settings) -> None:
        from ledger.storage import ensure_postgres_schema

        ensure_postgres_schema(settings)
        url = settings.database_url
        assert url is not None
        self.schema = settings.postgres_schema
        self.conn = psycopg.connect(url.split("?", 1)[0], autocommit=True, connect_timeout=10)
        self.conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self.schema)))
        with self.conn.transaction():
            # serialise concurrent creators (CREATE ... IF NOT EXISTS races on the catalogue)
            self.conn.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))", (self.schema + "/view",)
            )
            for statement in (
                "CREATE TABLE IF NOT EXISTS governance_view_rows ("
                " id bigint PRIMARY KEY, grp text NOT NULL, kind text NOT NULL,"
                " entity text NOT NULL, payload text NOT NULL, ord_date int NOT NULL,"
                " ord_pos bigint NOT NULL, valid_from int NOT NULL, valid_to int,"
                " recorded_from int NOT NULL, recorded_to int)",
                "CREATE INDEX IF NOT EXISTS governance_view_rows_open"
                " ON governance_view_rows (grp) WHERE recorded_to IS NULL",
                "CREATE INDEX IF NOT EXISTS governance_view_rows_closed"
                " ON governance_view_rows (recorded_to) WHERE recorded_to IS NOT NULL",
                "DROP INDEX IF EXISTS governance_view_rows_entity",
                "DROP INDEX IF EXISTS governance_view_rows_accountable",
                "DROP INDEX IF EXISTS governance_view_rows_when",
                "ALTER TABLE governance_view_rows ADD COLUMN IF NOT EXISTS area box"
                f" GENERATED ALWAYS AS ({_AREA}) STORED",
                "CREATE INDEX IF NOT EXISTS governance_view_rows_area"
                " ON governance_view_rows USING gist (area) INCLUDE (id)",
                "CREATE TABLE IF NOT EXISTS governance_view_positions ("
                " position bigint PRIMARY KEY, recorded_us bigint NOT NULL)",
                "CREATE INDEX IF NOT EXISTS governance_view_positions_time"
                " ON governance_view_positions (recorded_us, position)",
                "CREATE TABLE IF NOT EXISTS governance_view_tracking ("
                " view text PRIMARY KEY, position bigint NOT NULL, generation bigint NOT NULL)",
            ):
                self.conn.execute(statement)
            created = self.conn.execute(
                "INSERT INTO governance_view_tracking VALUES (%s, 0, 0) ON CONFLICT DO NOTHING",
                (VIEW_KEY,),
            ).rowcount
            if created:
                # rows of an older model (if any): start again from nothing
                self.conn.execute(
                    "DELETE FROM governance_view_tracking WHERE view != %s", (VIEW_KEY,)
                )
                _PostgresTransaction(self.conn).reset(0)
            row = self.conn.execute(
                "SELECT count(DISTINCT hashtext(k)) FROM unnest(%s::text[]) AS k",
                (list(ROW_KINDS),),
            ).fetchone()
            # the kinds must not share an offset in `area` (they do not: checked once here)
            assert row is not None and row[0] == len(ROW_KINDS), "kind offsets collide"
        self._written = 0

    def tracking(self) -> tuple[int, int]:
        row = self.conn.execute(
            "SELECT position, generation FROM governance_view_tracking WHERE view = %s",
            (VIEW_KEY,),
        ).fetchone()
        assert row is not None
        return int(row[0]), int(row[1])

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        tx = _PostgresTransaction(self.conn)
        with self.conn.transaction():
            yield tx
        self._written += tx.written
        if self._written >= _VACUUM_AFTER:
            self._maintain()

    def _maintain(self) -> None:
        """VACUUM ANALYZE the rows if many were written since the last time (see _VACUUM_AFTER)."""
        row = self.conn.execute(
            "SELECT n_live_tup FROM pg_stat_user_tables"
            " WHERE relid = 'governance_view_rows'::regclass"
        ).fetchone()
        live = int(row[0]) if row and row[0] is not None else 0
        if self._written * 5 >= live:
            self.conn.execute("VACUUM (ANALYZE) governance_view_rows, governance_view_positions")
            self._written = 0

    @contextmanager
    def reading(self) -> Iterator[Reader]:
        """A repeatable-read transaction: every read sees the same snapshot."""
        # one round trip to begin (the connection is in autocommit mode, so psycopg lets
        # the statements through as they are)
        self.conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        try:
            yield _PostgresReader(self)
        finally:
            self.conn.execute("COMMIT")

    def position_at(self, recorded_us: int) -> int:
        row = self.conn.execute(
            "SELECT position FROM governance_view_positions WHERE recorded_us <= %s "
            "ORDER BY recorded_us DESC, position DESC LIMIT 1",
            (recorded_us,),
        ).fetchone()
        return int(row[0]) if row else 0

    def find(
        self, kinds: Sequence[str], as_of: int, position: int, group: str | None
    ) -> list[Found]:
        query = (
            "SELECT r.kind, r.entity, r.payload, r.ord_date, r.ord_pos"
            " FROM unnest(%s::text[]) AS k(kind) CROSS JOIN LATERAL"
            " (SELECT * FROM governance_view_rows"
            " WHERE area @> box(point(%s::int, hashtext(k.kind)::float8 * 4000000 + %s::int),"
            " point(%s::int, hashtext(k.kind)::float8 * 4000000 + %s::int))) AS r"
        )
        params: list[Any] = [list(dict.fromkeys(kinds)), position, as_of, position, as_of]
        if group is not None:
            query += " WHERE r.grp = %s"
            params.append(group)
        return self.conn.execute(query, params).fetchall()

    def count_rows(self) -> int:
        row = self.conn.execute("SELECT count(*) FROM governance_view_rows").fetchone()
        return int(row[0]) if row else 0

    def all_rows(self) -> list[tuple[Any, ...]]:
        """Every row without its id, sorted (to compare two builds of the same log)."""
        query = f"SELECT {_COLUMNS} FROM governance_view_rows"  # noqa: S608 - fixed names
        return sorted((tuple(row) for row in self.conn.execute(query)), key=repr)

    def close(self) -> None:
        self.conn.close()


class _PostgresReader:
    def __init__(self, tables: PostgresTables) -> None:
        self.tables = tables
        self.conn = tables.conn

    def tracking(self) -> tuple[int, int]:
        return self.tables.tracking()

    def position_at(self, recorded_us: int) -> int:
        return self.tables.position_at(recorded_us)

    def boxes_since(self, after_id: int, position: int) -> tuple[list[Box], list[tuple[int, int]]]:
        written: list[Box] = self.conn.execute(
            "SELECT id, kind, CASE kind WHEN 'holding' THEN entity END,"
            " valid_from, valid_to, recorded_from, recorded_to"
            " FROM governance_view_rows WHERE id > %s ORDER BY id",
            (after_id,),
        ).fetchall()
        closed: list[tuple[int, int]] = self.conn.execute(
            "SELECT id, recorded_to FROM governance_view_rows"
            " WHERE recorded_to > %s AND id <= %s ORDER BY id",
            (position, after_id),
        ).fetchall()
        return written, closed

    def find_ids(
        self, kinds: Sequence[str], as_of: int, position: int, group: str | None
    ) -> list[int]:
        """The ids of the rows of `kinds` valid on `as_of` and open at `position`.

        Sent back as one text (a row per id costs far more to fetch than to parse).
        """
        params: list[Any] = [list(dict.fromkeys(kinds)), position, as_of, position, as_of]
        if group is None:
            row = self.conn.execute(_FIND_IDS, params, prepare=True).fetchone()
        else:
            params.append(group)
            row = self.conn.execute(_FIND_IDS_IN_GROUP, params, prepare=True).fetchone()
        if row is None or row[0] is None:
            return []
        ids: list[int] = orjson.loads("[" + row[0] + "]")
        return ids

    def rows(self, ids: Sequence[int]) -> list[Stored]:
        return self.conn.execute(
            "SELECT id, kind, entity, payload, ord_date, ord_pos FROM governance_view_rows "
            "WHERE id = ANY(%s)",
            (list(ids),),
        ).fetchall()


class _PostgresTransaction:
    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn
        self.written = 0

    def tracking(self) -> tuple[int, int]:
        row = self.conn.execute(
            "SELECT position, generation FROM governance_view_tracking WHERE view = %s FOR UPDATE",
            (VIEW_KEY,),
        ).fetchone()
        assert row is not None
        return int(row[0]), int(row[1])

    def next_row_id(self) -> int:
        row = self.conn.execute(
            "SELECT coalesce(max(id), 0) + 1 FROM governance_view_rows"
        ).fetchone()
        assert row is not None
        return int(row[0])

    def open_rows(self, group: str) -> list[tuple[int, Row]]:
        return [
            (row[0], tuple(row[1:]))
            for row in self.conn.execute(
                "SELECT id, kind, entity, payload, ord_date, ord_pos, valid_from, valid_to "
                "FROM governance_view_rows WHERE grp = %s AND recorded_to IS NULL",
                (group,),
            )
        ]

    def write(
        self,
        inserts: list[Insert],
        closes: list[tuple[int, int]],
        positions: list[tuple[int, int]],
        position: int,
        generation: int,
    ) -> None:
        self.written += len(inserts) + len(closes)
        with self.conn.cursor() as cur:
            if closes:
                cur.executemany(
                    "UPDATE governance_view_rows SET recorded_to = %s WHERE id = %s",
                    [(p, i) for i, p in closes],
                )
            if inserts:
                with cur.copy(
                    "COPY governance_view_rows (id, grp, kind, entity, payload, ord_date, ord_pos,"
                    " valid_from, valid_to, recorded_from, recorded_to) FROM STDIN"
                ) as copy:
                    for i, g, row, p, q in inserts:
                        copy.write_row((i, g, *row, p, q))
            if positions:
                with cur.copy("COPY governance_view_positions FROM STDIN") as copy:
                    for item in positions:
                        copy.write_row(item)
            cur.execute(
                "UPDATE governance_view_tracking SET position = %s, generation = %s"
                " WHERE view = %s",
                (position, generation, VIEW_KEY),
            )

    def reset(self, generation: int) -> None:
        self.conn.execute("TRUNCATE governance_view_rows, governance_view_positions")
        self.conn.execute(
            "UPDATE governance_view_tracking SET position = 0, generation = %s WHERE view = %s",
            (generation, VIEW_KEY),
        )
