"""The ledger's tables beside its events, and the SQL that reads and writes them, on SQLite and
PostgreSQL.

They live in the ledger's own database (the SQLite file of the events, or the PostgreSQL schema)
and are written in the transaction that records the events (`ledger.service`), so they are
never behind the log and every process reads the same:

- `ledger_decisions`: one row per recorded decision (its JSON as recorded, the decision it
  corrects, retracts or consents to, its root), `ledger_names` (the parties and subjects each
  names) and `ledger_about` (the groups each is about): the log, searchable.
- `ledger_members`: the decisions in force in each group as they read now (after corrections,
  retractions and consents), with the date each is in force from: what a group is re-folded
  from. Kept for the head only.
- `ledger_rows`: the bitemporal model. One row is one entry of the governance (a party, a
  holding, a risk, an anomaly; a derived entry: a subject's anchoring, a matrix cell, the
  coverage of acceptance criteria; an output: a gap) with the value it had over a valid-time
  interval [valid_from, valid_to) of day ordinals, as known over a ledger-position interval
  [recorded_from, recorded_to). A row never changes but to close its recorded interval.
  `OPEN_DAY` and `OPEN_POSITION` stand for "no end". The rows in force at (day, position)
  are found by a spatial index: an R*Tree on SQLite, a GiST index on a box on PostgreSQL.
- `ledger_reads`: which keys each scope of gap rules read (`ledger.outputs`), head only.
- `ledger_requests`: idempotency keys, per client, and the positions they recorded.
- `ledger_meta`: the version of what the rows hold (`MODEL`).

Writes happen under the store's write lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: the events
table's EXCLUSIVE lock, which every writer of the event store takes), so one writer at a time
reads what it checks and writes what follows from it. `ledger.database` opens the connections
and the transactions; `Tables` is the SQL of one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from domain.governance import ENTRIES

if TYPE_CHECKING:
    from ledger.database import Dialect

MODEL = 10
"""The version of the tables and of what they hold; tables of another version are made again
(new tables and indexes created) and built again from the events when the ledger is opened.
Raise it with any change to the schema or to what a row holds."""

OPEN_DAY = 3_999_999
"""valid_to of a row valid without end (above every date's ordinal; date.max is 3652059)."""
OPEN_POSITION = 2**31 - 1
"""recorded_to of a row not (yet) superseded."""
KIND_SPAN = 4_000_000
"""(PostgreSQL) a row's kind shifts its valid dates by this much in its box."""

STATE_KINDS = (*ENTRIES, "anomaly")
"""The kinds of row the state at a date is made of: its entries, and its anomalies."""
GAP_KINDS = ("gap", "subject_gap")
"""The kinds of a gap's row: the gaps about a subject (which the matrix marks in its columns)
apart from the others, so that the matrix reads only those."""
KINDS = (*STATE_KINDS, "anchoring", "cell", "coverage", "identified", *GAP_KINDS)
"""Every kind of row: the state's, the derived ones, the gaps. A row's kind is stored by its index
here (`KIND_CODES`), so a new group raises `MODEL`."""
KIND_CODES = {kind: code for code, kind in enumerate(KINDS)}

ROW_COLUMNS = (
    "grp",
    "kind",
    "entity",
    "payload",
    "extra",
    "ord_date",
    "ord_pos",
    "subject",
    "party",
    "tag",
)
"""A row's value columns (what makes two versions of an entry the same), before its
intervals: its owner (group or scope), kind, entity, payload (JSON), `extra` (a cell's sources,
as JSON object members), the (date, position) that ordered it into the state, and link columns
for look-ups (a holding's subject, party and role; a gap's subject, parties and rule)."""


class Value(NamedTuple):
    """What a row says of its entry (two rows of one entry in a row are never equal)."""

    payload: str
    """The entry's JSON (as the answers give it)."""
    extra: str | None
    """A cell's sources (JSON object members: decision id -> source)."""
    ord_date: int
    ord_pos: int
    """The (date, position) of the decision that put the entry into the state: its order."""
    subject: str | None
    party: str | None
    tag: str | None
    """Link columns, to find rows by: a holding's subject, party and role; a risk's system;
    a cell's subject, party and letters; a gap's subject, parties (" a b ") and rule; an
    anchoring's subject and "anchored" while anyone is accountable for it."""


@dataclass(frozen=True, slots=True)
class Row:
    """A row as stored (see `ROW_COLUMNS`)."""

    id: int
    grp: str
    kind: str
    entity: str
    value: Value
    valid_from: int
    valid_to: int
    recorded_from: int


_ROW_SELECT = (
    "id, grp, kind, entity, payload, extra, ord_date, ord_pos, subject, party, tag,"
    " valid_from, valid_to, recorded_from"
)


def _row(found: Sequence[Any]) -> Row:
    return Row(
        found[0],
        found[1],
        found[2],
        found[3],
        Value(found[4], found[5], found[6], found[7], found[8], found[9], found[10]),
        found[11],
        found[12],
        found[13],
    )


# --- schema -----------------------------------------------------------------------------------

SCHEMA = """
CREATE TABLE IF NOT EXISTS {p}ledger_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS {p}ledger_decisions (
    position BIGINT PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    effective_on INTEGER NOT NULL,
    recorded_us BIGINT NOT NULL,
    target TEXT,
    root TEXT,
    payload TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS {i}ledger_decisions_time ON {p}ledger_decisions (recorded_us, position);
CREATE INDEX IF NOT EXISTS {i}ledger_decisions_effective
    ON {p}ledger_decisions (effective_on, position);
CREATE INDEX IF NOT EXISTS {i}ledger_decisions_target ON {p}ledger_decisions (target)
    WHERE target IS NOT NULL;
CREATE INDEX IF NOT EXISTS {i}ledger_decisions_root ON {p}ledger_decisions (root)
    WHERE root IS NOT NULL;
CREATE TABLE IF NOT EXISTS {p}ledger_names (
    name TEXT NOT NULL, position BIGINT NOT NULL, PRIMARY KEY (name, position)
);
CREATE TABLE IF NOT EXISTS {p}ledger_about (
    grp TEXT NOT NULL, position BIGINT NOT NULL, PRIMARY KEY (grp, position)
);
CREATE TABLE IF NOT EXISTS {p}ledger_members (
    grp TEXT NOT NULL,
    root TEXT NOT NULL,
    in_force_on INTEGER NOT NULL,
    position BIGINT NOT NULL,
    content TEXT NOT NULL,
    PRIMARY KEY (grp, root)
);
CREATE INDEX IF NOT EXISTS {i}ledger_members_order
    ON {p}ledger_members (grp, in_force_on, position);
CREATE INDEX IF NOT EXISTS {i}ledger_members_root ON {p}ledger_members (root);
CREATE TABLE IF NOT EXISTS {p}ledger_reads (
    scope TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (key, scope)
);
CREATE TABLE IF NOT EXISTS {p}ledger_requests (
    client TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    first_position BIGINT NOT NULL,
    last_position BIGINT NOT NULL,
    PRIMARY KEY (client, key)
);
CREATE TABLE IF NOT EXISTS {p}ledger_rows (
    id BIGINT PRIMARY KEY,
    grp TEXT NOT NULL,
    kind TEXT NOT NULL,
    kc SMALLINT NOT NULL,
    entity TEXT NOT NULL,
    payload TEXT NOT NULL,
    extra TEXT,
    ord_date INTEGER NOT NULL,
    ord_pos BIGINT NOT NULL,
    subject TEXT,
    party TEXT,
    tag TEXT,
    valid_from INTEGER NOT NULL,
    valid_to INTEGER NOT NULL,
    recorded_from BIGINT NOT NULL,
    recorded_to BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS {i}ledger_rows_entity ON {p}ledger_rows (kind, entity, valid_to)
    WHERE recorded_to = {open};
DROP INDEX IF EXISTS {p}ledger_rows_grp;
CREATE INDEX IF NOT EXISTS {i}ledger_rows_group ON {p}ledger_rows (grp, entity, valid_to)
    WHERE recorded_to = {open};
CREATE INDEX IF NOT EXISTS {i}ledger_rows_subject ON {p}ledger_rows (kind, subject, tag)
    WHERE recorded_to = {open} AND subject IS NOT NULL;
CREATE INDEX IF NOT EXISTS {i}ledger_rows_party ON {p}ledger_rows (kind, party)
    WHERE recorded_to = {open} AND party IS NOT NULL;
CREATE INDEX IF NOT EXISTS {i}ledger_rows_history ON {p}ledger_rows (grp, kind, subject);
"""

SQLITE_SCHEMA = """
CREATE VIRTUAL TABLE IF NOT EXISTS ledger_row_boxes USING rtree_i32(
    id, kind_lo, kind_hi, valid_lo, valid_hi, recorded_lo, recorded_hi
);
"""

POSTGRES_SCHEMA = """
ALTER TABLE {p}ledger_rows ADD COLUMN IF NOT EXISTS area box GENERATED ALWAYS AS (
    box(point(recorded_from, kc::float8 * {span} + valid_from),
        point(recorded_to - 1, kc::float8 * {span} + valid_to - 1))
) STORED;
CREATE INDEX IF NOT EXISTS {i}ledger_rows_area ON {p}ledger_rows USING gist (area) INCLUDE (id);
"""

DERIVED = (
    "ledger_decisions",
    "ledger_names",
    "ledger_about",
    "ledger_members",
    "ledger_reads",
    "ledger_requests",
    "ledger_rows",
)
"""Every table made from the events (emptied by a rebuild)."""


def statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


# --- one transaction --------------------------------------------------------------------------


class Tables:
    """The SQL of the tables, over one connection in one transaction (a write or a read)."""

    def __init__(self, cursor: Any, dialect: Dialect, events_cursor: Any = None) -> None:
        self._cursor = cursor
        self._dialect = dialect
        self.events_cursor = events_cursor
        """A cursor of the same transaction for the event store's own statements."""
        self._next_id: int | None = None

    # --- plumbing ---

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run a statement written with `?` placeholders and `{p}` for the tables' schema."""
        self._cursor.execute(self._dialect.sql(sql), params)
        return self._cursor

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = list(rows)
        if rows:
            self._cursor.executemany(self._dialect.sql(sql), rows)

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        found: list[Any] = self.execute(sql, params).fetchall()
        return found

    def one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.execute(sql, params).fetchone()

    @property
    def cursor(self) -> Any:
        return self._cursor

    # --- the log ---

    def head(self) -> int:
        found = self.one("SELECT max(position) FROM {p}ledger_decisions")
        return int(found[0] or 0)

    def position_at(self, recorded_us: int) -> int:
        """The last position recorded at or before the moment (0 if none)."""
        found = self.one(
            "SELECT position FROM {p}ledger_decisions WHERE recorded_us <= ?"
            " ORDER BY recorded_us DESC, position DESC LIMIT 1",
            (recorded_us,),
        )
        return 0 if found is None else int(found[0])

    def insert_decision(
        self,
        position: int,
        decision_id: str,
        kind: str,
        effective_on: int,
        recorded_us: int,
        target: str | None,
        root: str | None,
        payload: str,
        names: Iterable[str],
        about: Iterable[str],
    ) -> None:
        self.execute(
            "INSERT INTO {p}ledger_decisions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (position, decision_id, kind, effective_on, recorded_us, target, root, payload),
        )
        self.executemany(
            "INSERT INTO {p}ledger_names VALUES (?, ?) ON CONFLICT DO NOTHING",
            [(name, position) for name in names],
        )
        self.executemany(
            "INSERT INTO {p}ledger_about VALUES (?, ?) ON CONFLICT DO NOTHING",
            [(grp, position) for grp in about],
        )

    def decisions(self, ids: Iterable[str]) -> list[str]:
        """The recorded decisions (as JSON) of these ids, in ledger order."""
        ids = list(ids)
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        return [
            row[0]
            for row in self.all(
                f"SELECT payload FROM {{p}}ledger_decisions WHERE id IN ({marks})"  # noqa: S608
                " ORDER BY position",
                ids,
            )
        ]

    def naming(self, ids: Iterable[str]) -> list[tuple[str, str, str | None, str | None]]:
        """(id, payload, target, root) of the decisions that correct, retract or consent to
        these ids, or correct them through a root."""
        ids = list(ids)
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        found: list[tuple[str, str, str | None, str | None]] = self.all(
            f"SELECT id, payload, target, root FROM {{p}}ledger_decisions"  # noqa: S608
            f" WHERE target IN ({marks}) OR root IN ({marks}) ORDER BY position",
            [*ids, *ids],
        )
        return found

    def decision_info(self, decision_id: str) -> tuple[str, str | None, str | None] | None:
        """(kind, target, root) of a recorded decision: the decision it corrects, retracts or
        consents to, and what a correction stands for."""
        found = self.one(
            "SELECT kind, target, root FROM {p}ledger_decisions WHERE id = ?", (decision_id,)
        )
        return None if found is None else (found[0], found[1], found[2])

    def retracted(self, decision_id: str) -> bool:
        found = self.one(
            "SELECT 1 FROM {p}ledger_decisions WHERE target = ? AND kind = 'decision.retracted'",
            (decision_id,),
        )
        return found is not None

    def version_of(self, groups: Iterable[str]) -> int:
        """The last position about any of the groups (0 if none)."""
        groups = list(groups)
        if not groups:
            return 0
        marks = ",".join("?" * len(groups))
        found = self.one(
            f"SELECT max(position) FROM {{p}}ledger_about WHERE grp IN ({marks})",  # noqa: S608
            groups,
        )
        return int(found[0] or 0)

    # --- members (head only) ---

    def members_of_root(self, root: str) -> list[tuple[str, int, int, str]]:
        """(group, in force on, position, content) of a decision in force, per group."""
        found: list[tuple[str, int, int, str]] = self.all(
            "SELECT grp, in_force_on, position, content FROM {p}ledger_members WHERE root = ?",
            (root,),
        )
        return found

    def members_from(self, grp: str, day: int) -> list[tuple[str, int, int, str]]:
        """(root, in force on, position, content) of a group's decisions in force from `day`
        on, in fold order."""
        found: list[tuple[str, int, int, str]] = self.all(
            "SELECT root, in_force_on, position, content FROM {p}ledger_members"
            " WHERE grp = ? AND in_force_on >= ? ORDER BY in_force_on, position",
            (grp, day),
        )
        return found

    def member_content(self, grp: str, root: str) -> str | None:
        """The content (JSON) of a decision in force in a group, as it reads now."""
        found = self.one(
            "SELECT content FROM {p}ledger_members WHERE grp = ? AND root = ?", (grp, root)
        )
        return None if found is None else str(found[0])

    def replace_members(self, root: str, members: Iterable[tuple[str, int, int, str]]) -> None:
        self.execute("DELETE FROM {p}ledger_members WHERE root = ?", (root,))
        self.executemany(
            "INSERT INTO {p}ledger_members VALUES (?, ?, ?, ?, ?)",
            [(grp, root, day, position, content) for grp, day, position, content in members],
        )

    # --- rows ---

    def open_rows(
        self,
        *,
        grp: str | None = None,
        kind: str | None = None,
        entities: Sequence[str] | None = None,
        subject: str | None = None,
        party: str | None = None,
        tag: str | None = None,
        ending_after: int | None = None,
    ) -> list[Row]:
        """The rows known now (not superseded), over all valid time, that match; with
        `ending_after` D only those whose valid_to is >= D."""
        where = [f"recorded_to = {OPEN_POSITION}"]  # (a literal: the partial indexes' own term)
        params: list[Any] = []
        for column, value in (
            ("grp", grp),
            ("kind", kind),
            ("subject", subject),
            ("party", party),
            ("tag", tag),
        ):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if entities is not None:
            if not entities:
                return []
            where.append(f"entity IN ({','.join('?' * len(entities))})")
            params.extend(entities)
        if ending_after is not None:
            where.append("valid_to >= ?")
            params.append(ending_after)
        query = f"SELECT {_ROW_SELECT} FROM {{p}}ledger_rows WHERE {' AND '.join(where)}"  # noqa: S608
        return [_row(found) for found in self.all(query, params)]

    def next_row_id(self) -> int:
        if self._next_id is None:
            found = self.one("SELECT max(id) FROM {p}ledger_rows")
            self._next_id = int(found[0] or 0) + 1
        found_id = self._next_id
        self._next_id += 1
        return found_id

    def insert_rows(
        self, rows: Sequence[tuple[str, str, str, Value, int, int]], position: int
    ) -> None:
        """Insert rows (group, kind, entity, value, valid_from, valid_to), known from
        `position` on."""
        made = [
            (self.next_row_id(), grp, kind, KIND_CODES[kind], entity, *value, start, end)
            for grp, kind, entity, value, start, end in rows
        ]
        self.executemany(
            "INSERT INTO {p}ledger_rows (id, grp, kind, kc, entity, payload, extra, ord_date,"
            " ord_pos, subject, party, tag, valid_from, valid_to, recorded_from, recorded_to)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(*row, position, OPEN_POSITION) for row in made],
        )
        self._dialect.boxes_inserted(self, [(r[0], r[3], r[-2], r[-1], position) for r in made])

    def close_rows(self, rows: Sequence[Row], position: int) -> None:
        """Supersede rows from `position` on (rows made at that very position are removed)."""
        gone = [row.id for row in rows if row.recorded_from >= position]
        closed = [row.id for row in rows if row.recorded_from < position]
        self.executemany("DELETE FROM {p}ledger_rows WHERE id = ?", [(i,) for i in gone])
        self.executemany(
            "UPDATE {p}ledger_rows SET recorded_to = ? WHERE id = ?",
            [(position, i) for i in closed],
        )
        self._dialect.boxes_closed(self, closed, gone, position)

    # --- reads (what gap rules read) ---

    def add_reads(self, scope: str, keys: Iterable[str]) -> None:
        self.executemany(
            "INSERT INTO {p}ledger_reads VALUES (?, ?) ON CONFLICT DO NOTHING",
            [(scope, key) for key in keys],
        )

    def readers_of(self, keys: Iterable[str]) -> list[tuple[str, str]]:
        """(scope, key) of the scopes that read any of these keys."""
        keys = list(keys)
        found: list[tuple[str, str]] = []
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            found += self.all(
                f"SELECT scope, key FROM {{p}}ledger_reads WHERE key IN ({marks})",  # noqa: S608
                chunk,
            )
        return found

    # --- requests ---

    def request(self, client: str, key: str) -> tuple[str, int, int] | None:
        found = self.one(
            "SELECT fingerprint, first_position, last_position FROM {p}ledger_requests"
            " WHERE client = ? AND key = ?",
            (client, key),
        )
        return None if found is None else (found[0], int(found[1]), int(found[2]))

    def insert_request(
        self, client: str, key: str, fingerprint: str, first: int, last: int
    ) -> None:
        self.execute(
            "INSERT INTO {p}ledger_requests VALUES (?, ?, ?, ?, ?)",
            (client, key, fingerprint, first, last),
        )

    # --- questions at (day, position) ---

    def in_force(
        self,
        kinds: Sequence[str],
        day: int,
        position: int,
        columns: str = _ROW_SELECT,
        where: str = "",
        params: Sequence[Any] = (),
    ) -> list[Any]:
        """`columns` of the rows of `kinds` valid on `day` as known at `position` (and matching
        `where`, a condition on the rows `r`), in no particular order."""
        return self._dialect.in_force(self, kinds, day, position, columns, where, params)

    def in_group(
        self,
        grp: str,
        kinds: Sequence[str],
        day: int,
        position: int,
        columns: str = _ROW_SELECT,
    ) -> list[Any]:
        """The same, for one group's rows (found through the group, not the spatial index)."""
        marks = ",".join("?" * len(kinds))
        return self.all(
            f"SELECT {columns} FROM {{p}}ledger_rows r WHERE r.grp = ?"  # noqa: S608
            f" AND r.kind IN ({marks}) AND r.valid_from <= ? AND ? < r.valid_to"
            " AND r.recorded_from <= ? AND ? < r.recorded_to",
            [grp, *kinds, day, day, position, position],
        )

    # --- maintenance ---

    def model(self) -> int | None:
        found = self.one("SELECT value FROM {p}ledger_meta WHERE name = 'model'")
        return None if found is None else int(found[0])

    def set_model(self, model: int) -> None:
        self.execute(
            "INSERT INTO {p}ledger_meta VALUES ('model', ?)"
            " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            (str(model),),
        )

    def empty(self) -> None:
        """Remove everything made from the events (to build it again)."""
        for table in DERIVED:
            self.execute(f"DELETE FROM {{p}}{table}")  # noqa: S608 - fixed names
        self._dialect.emptied(self)
        self._next_id = None

    def compact(self) -> None:
        """Lay out the rows for reading, after many were written at once."""
        self._dialect.compact(self)
