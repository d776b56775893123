"""Benchmark the hash chain: recording with and without it, and verify beside read + hashlib.

    .venv/bin/python -m bench.chain [--events 100000] [--repeat 3] [--backend sqlite|both]

Recording: the same pydantic decision events saved through the ledger's store (mapper, orjson,
recorder), once with the chained recorder and once with the library's plain one, one event per
save and 100 per save; events/s, medians of --repeat runs. Verify: `ledger.integrity.verify`
over --events stored events, beside a plain read of the same rows through the raw driver plus
SHA-256 over the same bytes (a chain of hashlib calls, nothing else).
PostgreSQL uses LEDGER_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test),
in throw-away schemas.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from eventsourcing.persistence import ApplicationRecorder

from domain import events as ev
from domain.decisions import decode_decision
from ledger.integrity import verify
from ledger.settings import Settings
from ledger.storage import GovernanceApplication, ensure_postgres_schema

POSTGRES_URL = os.environ.get(
    "LEDGER_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


class PlainApplication(GovernanceApplication):
    """The ledger's store without the chain: the library's own application recorder."""

    def construct_recorder(self) -> ApplicationRecorder:
        return self.factory.application_recorder()


def decision_events(start: int, count: int) -> list[Any]:
    now = datetime.now(UTC)
    return [
        ev.event_for(
            decode_decision(
                {
                    "kind": "party.registered",
                    "party": f"party-{n}",
                    "name": f"Partij {n}",
                    "party_kind": "board",
                    "decided_by": [f"party-{n}"],
                    "effective_on": "2022-02-03",
                    "source": "Kamerstuk 25124-109",
                    "rationale": "Benchmark",
                }
            ),
            decision_id=uuid.uuid4(),
            position=n,
            recorded_at=now,
            recorded_by="bench",
        )
        for n in range(start, start + count)
    ]


@contextmanager
def fresh_settings(backend: str) -> Iterator[Settings]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="bench-chain-") as tmp:
            yield Settings(database_url=None, data_dir=Path(tmp))
        return
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    settings = Settings(database_url=f"{POSTGRES_URL}?schema={schema}")
    ensure_postgres_schema(settings)
    try:
        yield settings
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def record_rate(backend: str, chained: bool, per_save: int, total: int) -> float:
    """Events per second saving `total` events, `per_save` at a time, into a fresh store."""
    with fresh_settings(backend) as settings:
        cls = GovernanceApplication if chained else PlainApplication
        store = cls(env=settings.eventsourcing_env())
        try:
            store.save(*decision_events(1, 10))  # warm up (connections, prepared statements)
            batches = [decision_events(11 + i, per_save) for i in range(0, total, per_save)]
            started = time.perf_counter()
            for batch in batches:
                store.save(*batch)
            return total / (time.perf_counter() - started)
        finally:
            store.close()


def populate(settings: Settings, total: int) -> None:
    store = GovernanceApplication(env=settings.eventsourcing_env())
    try:
        for start in range(1, total + 1, 1000):
            store.save(*decision_events(start, min(1000, total + 1 - start)))
    finally:
        store.close()


def read_and_hash(settings: Settings) -> tuple[int, bytes]:
    """The floor: read every row through the raw driver and chain SHA-256 over its bytes."""
    previous, count = bytes(32), 0
    sha256 = hashlib.sha256
    if settings.database_url is None:
        conn = sqlite3.connect(settings.sqlite_path())
        try:
            rows: Any = conn.execute(
                "SELECT rowid, originator_id, originator_version, topic, state "
                "FROM stored_events ORDER BY rowid"
            )
            for rowid, oid, version, topic, state in rows:
                previous = sha256(
                    previous + b"%d%s%d%s" % (rowid, oid.encode(), version, topic.encode()) + state
                ).digest()
                count += 1
        finally:
            conn.close()
        return count, previous
    with psycopg.connect(POSTGRES_URL) as pg, pg.cursor(name="bench") as cur:
        cur.itersize = 2000
        cur.execute(
            f"SELECT notification_id, originator_id, originator_version, topic, state "
            f'FROM "{settings.postgres_schema}".governance_events ORDER BY notification_id'
        )
        for nid, oid, version, topic, state in cur:
            previous = sha256(
                previous + b"%d%s%d%s" % (nid, str(oid).encode(), version, topic.encode()) + state
            ).digest()
            count += 1
    return count, previous


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def bench_backend(backend: str, events: int, repeat: int) -> list[tuple[str, str, str, str]]:
    rows = []
    for per_save, total in ((1, 1000 if backend == "sqlite" else 500), (100, 10_000)):
        plain_runs, chained_runs = [], []
        for _ in range(repeat):  # interleaved, so load from elsewhere hits both alike
            plain_runs.append(record_rate(backend, False, per_save, total))
            chained_runs.append(record_rate(backend, True, per_save, total))
        plain, chained = statistics.median(plain_runs), statistics.median(chained_runs)
        rows.append(
            (
                f"record, {per_save}/save",
                f"{plain:,.0f} ev/s",
                f"{chained:,.0f} ev/s",
                f"chained costs {100 * (1 - chained / plain):.1f}%",
            )
        )
    with fresh_settings(backend) as settings:
        populate(settings, events)
        floor, (count, _) = timed(lambda: read_and_hash(settings), repeat)
        assert count == events
        spent, result = timed(lambda: verify(settings), repeat)
        assert result.ok and result.count == events
        rows.append(
            (
                f"verify {events:,} events",
                f"{floor:.2f} s read+hashlib",
                f"{spent:.2f} s verify",
                f"verify/floor = {spent / floor:.2f}x",
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    print(f"medians of {args.repeat} runs")
    print("| backend | measure | without / floor | with chain | ratio |")
    print("|---|---|---|---|---|")
    for backend in backends:
        for measure, base, chained, ratio in bench_backend(backend, args.events, args.repeat):
            print(f"| {backend} | {measure} | {base} | {chained} | {ratio} |", flush=True)


if __name__ == "__main__":
    main()
