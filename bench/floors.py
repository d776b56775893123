"""Floors for `bench.serve`: what each endpoint's rows cost to read with plain SQL and write out
as JSON with orjson, without the server.

Each floor reads the rows the endpoint's answer is made of — in force on `as_of` as known at
`known_at` (None: as known now), valid_from <= D < valid_to and recorded_from <= P <
recorded_to, through the spatial index the tables keep (SQLite: the R*Tree `ledger_row_boxes`;
PostgreSQL: the GiST index on `area`) — and returns them as one JSON document, each stored
payload put in as stored (an orjson Fragment, not parsed again). What the server does beyond
that — choosing, ordering, shaping — is what the ratio to the floor shows.

Every floor: `(conn, as_of, known_at, **params) -> bytes`, with `conn` an sqlite3 connection
to the ledger's file `SQLITE_NAME` in the data directory, or a psycopg connection whose
search_path is the ledger's schema. `FLOORS` names them for the harness.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

import orjson

from ledger.tables import GAP_KINDS, KIND_CODES, STATE_KINDS
from projections.monitor import period_ends, two_years_before
from projections.progress import half_a_year_before

SQLITE_NAME = "ledger"
"""The SQLite file (in the data directory, without `.sqlite`) the floors read."""

Floor = Callable[..., bytes]
Connection = Any  # sqlite3.Connection | psycopg.Connection


def matrix(conn: Connection, as_of: date, known_at: datetime | None, **params: Any) -> bytes:
    """The cells in force (each with its sources), the parties and subjects, and the gaps about
    subjects (which the matrix marks)."""
    position = _position(conn, known_at)
    day = as_of.toordinal()
    cells = _rows(conn, ("cell",), day, position, "r.payload, r.extra")
    people = _rows(conn, ("party", "subject"), day, position, "r.payload")
    marks = _rows(conn, ("subject_gap",), day, position, "r.subject, r.tag")
    sources = ",".join(extra for _, extra in cells if extra)
    return orjson.dumps(
        {
            "as_of": as_of,
            "position": position,
            "entries": [orjson.Fragment(payload) for (payload,) in people],
            "gaps": marks,
            "cells": [orjson.Fragment(payload) for payload, _ in cells],
            "sources": orjson.Fragment("{" + sources + "}"),
        }
    )


def gaps(
    conn: Connection, as_of: date, known_at: datetime | None, limit: int | None = None
) -> bytes:
    """The gaps in force in the report's order (the first `limit` of them, if given)."""
    position = _position(conn, known_at)
    found = _rows(conn, GAP_KINDS, as_of.toordinal(), position, "r.entity, r.payload")
    found.sort()
    if limit is not None:
        found = found[:limit]
    return orjson.dumps(
        {
            "as_of": as_of,
            "position": position,
            "gaps": [orjson.Fragment(payload) for _, payload in found],
        }
    )


def state(conn: Connection, as_of: date, known_at: datetime | None, **params: Any) -> bytes:
    """Every entry of the state in force."""
    position = _position(conn, known_at)
    found = _rows(conn, STATE_KINDS, as_of.toordinal(), position, "r.kind, r.payload")
    return orjson.dumps(
        {
            "as_of": as_of,
            "position": position,
            "rows": [{"kind": kind, "value": orjson.Fragment(payload)} for kind, payload in found],
        }
    )


def responsibilities(
    conn: Connection, as_of: date, known_at: datetime | None, subject: str
) -> bytes:
    """The cells in force of one subject (its group `responsibilities:<subject>`)."""
    position = _position(conn, known_at)
    day = as_of.toordinal()
    found = _group_rows(conn, f"responsibilities:{subject}", "cell", day, position)
    return orjson.dumps(
        {
            "as_of": as_of,
            "position": position,
            "cells": [orjson.Fragment(payload) for payload, _ in found],
            "sources": orjson.Fragment("{" + ",".join(e for _, e in found if e) + "}"),
        }
    )


def monitor(conn: Connection, as_of: date, known_at: datetime | None, **params: Any) -> bytes:
    """What the monitor reads at each month end of the two years up to `as_of`: the gaps' rules,
    the risks, recommendations and commitments in force."""
    position = _position(conn, known_at)
    points = [
        {
            "as_of": day,
            "gaps": _rows(conn, GAP_KINDS, day.toordinal(), position, "r.tag"),
            "registers": [
                orjson.Fragment(payload)
                for (payload,) in _rows(
                    conn,
                    ("risk", "recommendation", "commitment"),
                    day.toordinal(),
                    position,
                    "r.payload",
                )
            ],
        }
        for day in period_ends(two_years_before(as_of), as_of)
    ]
    return orjson.dumps({"position": position, "points": points})


def progress(conn: Connection, as_of: date, known_at: datetime | None, **params: Any) -> bytes:
    """What the progress report for the half year up to `as_of` reads: the decisions dated in
    it, and the matrix's cells on the day before it and on its last day."""
    position = _position(conn, known_at)
    first = half_a_year_before(as_of)
    mark = "?" if _sqlite(conn) else "%s"
    decisions = conn.execute(
        f"SELECT payload FROM ledger_decisions WHERE effective_on >= {mark}"
        f" AND effective_on <= {mark} AND position <= {mark} ORDER BY position",
        (first.toordinal(), as_of.toordinal(), position),
    ).fetchall()
    cells = [
        [orjson.Fragment(p) for (p,) in _rows(conn, ("cell",), day, position, "r.payload")]
        for day in (first.toordinal() - 1, as_of.toordinal())
    ]
    return orjson.dumps(
        {
            "position": position,
            "decisions": [orjson.Fragment(payload) for (payload,) in decisions],
            "cells": cells,
        }
    )


FLOORS: dict[str, Floor] = {
    "matrix": matrix,
    "gaps": gaps,
    "state": state,
    "responsibilities": responsibilities,
    "monitor": monitor,
    "progress": progress,
}


def _micros(moment: datetime) -> int:
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _sqlite(conn: Connection) -> bool:
    return isinstance(conn, sqlite3.Connection)


def _position(conn: Connection, known_at: datetime | None) -> int:
    mark = "?" if _sqlite(conn) else "%s"
    if known_at is None:
        row = conn.execute("SELECT max(position) FROM ledger_decisions").fetchone()
    else:
        row = conn.execute(
            f"SELECT position FROM ledger_decisions WHERE recorded_us <= {mark}"
            " ORDER BY recorded_us DESC, position DESC LIMIT 1",
            (_micros(known_at),),
        ).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _rows(
    conn: Connection, kinds: Sequence[str], day: int, position: int, columns: str
) -> list[Any]:
    """`columns` of the rows of `kinds` in force (the tables' `r`)."""
    codes = sorted(KIND_CODES[kind] for kind in kinds)
    if _sqlite(conn):
        query = (
            f"SELECT {columns} FROM ledger_row_boxes b JOIN ledger_rows r ON r.id = b.id"
            " WHERE b.kind_lo >= ? AND b.kind_hi <= ? AND b.valid_lo <= ? AND b.valid_hi >= ?"
            " AND b.recorded_lo <= ? AND b.recorded_hi >= ?"
            f" AND b.kind_lo IN ({','.join('?' * len(codes))})"
        )
        found: list[Any] = conn.execute(
            query, [codes[0], codes[-1], day, day, position, position, *codes]
        ).fetchall()
        return found
    query = (
        f"SELECT {columns} FROM unnest(%s::smallint[]) AS k(kc) CROSS JOIN LATERAL"
        " (SELECT * FROM ledger_rows x WHERE x.area @> box("
        "point(%s::bigint, k.kc::float8 * 4000000 + %s::int),"
        " point(%s::bigint, k.kc::float8 * 4000000 + %s::int))) AS r"
    )
    rows: list[Any] = conn.execute(query, [codes, position, day, position, day]).fetchall()
    return rows


def _group_rows(conn: Connection, group: str, kind: str, day: int, position: int) -> list[Any]:
    mark = "?" if _sqlite(conn) else "%s"
    query = (
        "SELECT payload, extra FROM ledger_rows"
        f" WHERE grp = {mark} AND kind = {mark} AND valid_from <= {mark} AND {mark} < valid_to"
        f" AND recorded_from <= {mark} AND {mark} < recorded_to"
    )
    found: list[Any] = conn.execute(query, (group, kind, day, day, position, position)).fetchall()
    return found
