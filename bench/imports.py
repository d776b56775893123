"""How long `ledger import --restore` takes, as a process, by the size of the file; beside a raw
insert of the same lines.

    .venv/bin/python -m bench.imports --source DIR [--sizes 10000,50000,100000]
                                      [--backend sqlite|postgres|both]

`--source` is a SQLite data directory holding a history (say, one `bench.serve --build` made);
its `ledger export` is cut to its first N lines for each size. For each size and backend the
benchmark times `ledger import --restore FILE` (every decision's invariants checked, its events
hash-chained and written, the read model's rows written: all in one transaction) into a fresh
SQLite directory or PostgreSQL schema, to the process's exit; and the floor: the same lines
inserted raw into a table of one column, in one transaction (sqlite3 / psycopg). A restore that
stays linear costs the same per decision at every size.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg import sql

from bench.common import BACKENDS, POSTGRES_URL, fresh_pg_schema, fresh_sqlite_dir, print_table

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-c", "from api.cli import main; main()"]


def _env(data: Path, database_url: str = "") -> dict[str, str]:
    return {**os.environ, "LEDGER_DATA_DIR": str(data), "LEDGER_DATABASE_URL": database_url}


def export(source: Path, target: Path) -> int:
    """`ledger export` of the ledger at `source` into `target`; the number of lines."""
    subprocess.run(
        [*CLI, "export", str(target)], env=_env(source), cwd=ROOT, check=True, capture_output=True
    )
    with target.open("rb") as handle:
        return sum(1 for _ in handle)


def cut(whole: Path, size: int, target: Path) -> list[bytes]:
    """The first `size` lines of `whole`, written to `target` and returned."""
    lines = []
    with whole.open("rb") as handle:
        for line in handle:
            if len(lines) == size:
                break
            lines.append(line)
    target.write_bytes(b"".join(lines))
    return lines


def restore(file: Path, backend: str) -> float:
    """Seconds `ledger import --restore FILE` takes, as a process, into a fresh ledger."""
    with fresh_sqlite_dir("bench-import-") as data:
        if backend == "sqlite":
            return timed_restore(file, _env(data))
        with fresh_pg_schema(prefix="bench_import") as schema:
            return timed_restore(file, _env(data, f"{POSTGRES_URL}?schema={schema}"))


def timed_restore(file: Path, env: dict[str, str]) -> float:
    """Seconds `ledger import --restore FILE` takes as a process in `env`; exit 1 if it fails."""
    began = time.perf_counter()
    done = subprocess.run(
        [*CLI, "import", "--restore", str(file)], env=env, cwd=ROOT, capture_output=True
    )
    took = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"ledger import --restore failed: {done.stderr.decode()[-2000:]}")
    return took


def raw_insert(lines: list[bytes], backend: str) -> float:
    """Seconds to insert the lines into a one-column table, in one transaction."""
    if backend == "sqlite":
        with fresh_sqlite_dir("bench-raw-") as data:
            conn = sqlite3.connect(data / "raw.sqlite", isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("CREATE TABLE raw (id INTEGER PRIMARY KEY, body BLOB)")
            began = time.perf_counter()
            conn.execute("BEGIN")
            conn.executemany("INSERT INTO raw (body) VALUES (?)", [(line,) for line in lines])
            conn.execute("COMMIT")
            took = time.perf_counter() - began
            conn.close()
            return took
    with fresh_pg_schema(prefix="bench_raw") as schema, psycopg.connect(POSTGRES_URL) as conn:
        table = sql.Identifier(schema, "raw")
        conn.execute(
            sql.SQL("CREATE TABLE {} (id BIGSERIAL PRIMARY KEY, body BYTEA)").format(table)
        )
        conn.commit()
        began = time.perf_counter()
        with conn.cursor() as cursor:
            cursor.executemany(
                sql.SQL("INSERT INTO {} (body) VALUES (%s)").format(table),
                [(line,) for line in lines],
            )
        conn.commit()
        return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, required=True, help="a SQLite data directory")
    parser.add_argument("--sizes", default="10000,50000,100000")
    parser.add_argument("--backend", choices=(*BACKENDS, "both"), default="both")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    backends = BACKENDS if args.backend == "both" else (args.backend,)
    with tempfile.TemporaryDirectory(prefix="bench-imports-") as folder:
        whole = Path(folder) / "export.jsonl"
        available = export(args.source, whole)
        rows: list[list[object]] = []
        for backend in backends:
            first: float | None = None
            for size in sizes:
                if size > available:
                    raise SystemExit(f"--source holds {available:,} decisions, fewer than {size:,}")
                file = Path(folder) / f"first-{size}.jsonl"
                lines = cut(whole, size, file)
                took, floor = restore(file, backend), raw_insert(lines, backend)
                per = took / size * 1e6
                first = first or per
                rows.append(
                    [
                        backend,
                        size,
                        round(sum(map(len, lines)) / 2**20, 1),
                        round(took, 1),
                        round(per),
                        round(per / first, 2),
                        round(floor, 2),
                        round(took / floor),
                    ]
                )
                print(f"{backend} {size:,}: {took:.1f} s", flush=True)
    print()
    print_table(
        [
            "backend",
            "decisions",
            "MB",
            "restore s",
            "µs/decision",
            "vs smallest",
            "raw insert s",
            "restore/raw",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
