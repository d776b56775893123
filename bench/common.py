"""Helpers shared by the benchmarks: timing, medians and spread, tables, fresh databases."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql

POSTGRES_URL = os.environ.get(
    "LEDGER_BENCH_POSTGRES_URL",
    os.environ.get("LEDGER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"),
)
"""The PostgreSQL database the benchmarks create (and drop) their schemas in."""

BACKENDS = ("sqlite", "postgres")


def timed(action: Callable[[], object]) -> float:
    """Run `action` once; return the wall-clock seconds it took."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def spread(values: Sequence[float]) -> float:
    """(max - min) / median: how noisy repeated measurements were (0.1 = 10 %)."""
    if len(values) < 2:
        return 0.0
    mid = statistics.median(values)
    return (max(values) - min(values)) / mid if mid else 0.0


def print_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Print rows under a header, columns aligned (text left, numbers right); return the text."""
    cells = [[str(h) for h in header], *[[_cell(v) for v in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    numeric = [
        all(isinstance(row[i], int | float) for row in rows) if rows else False
        for i in range(len(header))
    ]

    def line(row: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if num else c.ljust(w)
            for c, w, num in zip(row, widths, numeric, strict=True)
        ).rstrip()

    text = "\n".join(
        [line(cells[0]), "  ".join("-" * w for w in widths), *(line(r) for r in cells[1:])]
    )
    print(text, flush=True)
    return text


def _cell(value: object) -> str:
    if isinstance(value, float):
        if value >= 100:
            return f"{value:,.0f}"
        return f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


@contextmanager
def fresh_sqlite_dir(prefix: str = "bench-") -> Iterator[Path]:
    """A new, empty directory for SQLite files, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix=prefix) as path:
        yield Path(path)


@contextmanager
def fresh_pg_schema(url: str = POSTGRES_URL, prefix: str = "bench") -> Iterator[str]:
    """Create a new, empty PostgreSQL schema; drop it (and everything in it) afterwards."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield schema
    finally:
        with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def postgres_answers(url: str = POSTGRES_URL) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.OperationalError:
        return False
    return True
