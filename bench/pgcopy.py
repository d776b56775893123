"""Copy a SQLite ledger into an empty PostgreSQL schema, table by table, for the read
benchmarks at sizes that take hours to record there decision by decision.

    .venv/bin/python -m bench.pgcopy --ledger DIR --postgres 'postgresql://...?schema=S'

The schema gets what recording the same decisions there would have written: the events with
their positions and hash chain, and every table made from them (the same values on both
backends: positions, day ordinals, microseconds, JSON). The ledger creates the tables; the rows
travel with COPY; the events' sequence is moved past the last position; then `VACUUM ANALYZE`.
The rows lie in the order they were written (not clustered, as `ledger projections rebuild`
leaves them). Afterwards `ledger verify` checks the chain, and the benchmark's answers can be
compared with the SQLite server's.
"""

from __future__ import annotations

import argparse
import sqlite3
import time
from pathlib import Path

import psycopg
from psycopg import sql

from ledger.service import Ledger
from ledger.settings import Settings

TABLES: tuple[tuple[str, str, str], ...] = (
    # (SQLite table, PostgreSQL table, columns: SQLite's select list; PostgreSQL gets them in order)
    (
        "stored_events",
        "governance_events",
        "originator_id, originator_version, topic, state, rowid AS notification_id",
    ),
    ("stored_events_chain", "governance_events_chain", "notification_id, hash"),
    ("ledger_decisions", "ledger_decisions", "*"),
    ("ledger_names", "ledger_names", "*"),
    ("ledger_about", "ledger_about", "*"),
    ("ledger_members", "ledger_members", "*"),
    ("ledger_reads", "ledger_reads", "*"),
    ("ledger_requests", "ledger_requests", "*"),
    ("ledger_rows", "ledger_rows", "*"),
    ("ledger_meta", "ledger_meta", "*"),
)


def copy(source: Path, url: str) -> int:
    """Copy the SQLite ledger at `source` into the (empty) schema `url` names; return the
    number of decisions."""
    target = Settings(database_url=url, data_dir=source / "pgcopy")
    Ledger(target).close()  # creates the event store and the tables, empty
    schema = target.postgres_schema
    lite = sqlite3.connect(f"file:{source / 'ledger.sqlite'}?mode=ro", uri=True)
    with psycopg.connect(url.split("?", 1)[0]) as conn:
        with conn.cursor() as cur:
            for lite_table, pg_table, columns in TABLES:
                name = sql.Identifier(schema, pg_table)
                cur.execute(sql.SQL("SELECT count(*) FROM {}").format(name))
                if pg_table != "ledger_meta" and cur.fetchone() != (0,):
                    raise SystemExit(f"{schema}.{pg_table} is not empty: copy into a new schema")
                cur.execute(sql.SQL("DELETE FROM {}").format(name))
                began, count = time.perf_counter(), 0
                rows = lite.execute(f"SELECT {columns} FROM {lite_table}")
                names = [c[0] for c in rows.description]
                statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
                    name, sql.SQL(", ").join(map(sql.Identifier, names))
                )
                with cur.copy(statement) as pipe:
                    for row in rows:
                        pipe.write_row(row)
                        count += 1
                print(f"  {pg_table}: {count:,} rows, {time.perf_counter() - began:.0f} s")
            cur.execute(
                sql.SQL("SELECT setval({}, (SELECT max(notification_id) FROM {}))").format(
                    sql.Literal(f"{schema}.governance_events_notification_id_seq"),
                    sql.Identifier(schema, "governance_events"),
                )
            )
            cur.execute(
                sql.SQL("SELECT max(position) FROM {}").format(
                    sql.Identifier(schema, "ledger_decisions")
                )
            )
            found = cur.fetchone()
        conn.commit()
        conn.autocommit = True
        began = time.perf_counter()
        conn.execute(sql.SQL("VACUUM ANALYZE {}").format(sql.Identifier(schema, "ledger_rows")))
        for _, pg_table, _ in TABLES:
            conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(schema, pg_table)))
        print(f"  VACUUM ANALYZE: {time.perf_counter() - began:.0f} s")
    lite.close()
    return int(found[0] or 0) if found else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ledger", type=Path, required=True, help="SQLite data directory")
    parser.add_argument("--postgres", required=True, help="postgresql://...?schema=S (new)")
    args = parser.parse_args()
    began = time.perf_counter()
    count = copy(args.ledger, args.postgres)
    print(f"copied {count:,} decisions in {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
