"""Benchmark: as-of queries on the bitemporal read model beside the oracle replay, and rebuild.

    .venv/bin/python -m bench.asof [--sizes 10000,100000] [--postgres URL] [--queries 50]

For each size it records a synthetic history (`bench.synthetic`) into a fresh ledger, then
measures, in one run:
- the full responsibility state for random (as_of, known_at) on the read model (after a
  catch-up, as a query pays it) beside `projections.oracle.state` on the same pairs (answers
  are compared too);
- the rebuild of the read model from scratch beside a raw read and decode of the same log
  (the event store's own read of every stored event, decoded into pydantic events); also the
  rebuild including the ledger's own read (a fresh `Ledger`), as `ledger projections rebuild`
  pays it.
It prints a table of medians and ratios.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import psycopg

from bench import synthetic
from domain import events as ev
from ledger.service import READ_PAGE, Ledger
from ledger.settings import Settings
from ledger.storage import open_store
from projections import oracle, queries
from projections.bitemporal import GovernanceView


def _timed(action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def raw_read_and_decode(settings: Settings) -> int:
    """Read every stored event of the log and decode it (what any rebuild must at least do)."""
    store = open_store(settings)
    try:
        count, position = 0, 0
        while True:
            page = list(store.events.get(ev.LEDGER_STREAM_ID, gt=position, limit=READ_PAGE))
            count += len(page)
            if len(page) < READ_PAGE:
                return count
            position = page[-1].originator_version
    finally:
        store.close()


def run(size: int, settings: Settings, samples: int, oracle_samples: int) -> dict[str, Any]:
    ledger = Ledger(settings)
    seconds, recorded_count = _timed(lambda: synthetic.record(ledger, size))
    print(f"  recorded {recorded_count} decisions in {seconds:.1f}s", flush=True)
    recorded = ledger.recorded()
    view = queries.view_for(ledger)
    catch_up, _ = _timed(lambda: view.catch_up(ledger))
    print(f"  incremental catch-up of the whole log: {catch_up:.1f}s", flush=True)

    rnd = random.Random(size)
    first, last = recorded[0].recorded_at, recorded[-1].recorded_at
    pairs: list[tuple[date, datetime]] = [
        (
            synthetic.START + timedelta(days=rnd.randrange(synthetic.YEARS * 365)),
            first + (last - first) * rnd.random(),
        )
        for _ in range(samples)
    ]
    fast_times, slow_times = [], []
    for i, (as_of, known_at) in enumerate(pairs):
        fast_seconds, fast = _timed(partial(queries.responsibilities, ledger, as_of, known_at))
        fast_times.append(fast_seconds)
        if i < oracle_samples:
            slow_seconds, state = _timed(partial(oracle.state, recorded, as_of, known_at))
            state = state.holdings
            slow_times.append(slow_seconds)
            right = sorted(state.values(), key=lambda h: (h.subject, h.party, h.role.value))
            assert fast == right, f"read model and oracle differ on {as_of}, {known_at}"

    raw_times = [_timed(lambda: raw_read_and_decode(settings))[0] for _ in range(3)]
    rebuild_times = [_timed(lambda: view.rebuild(ledger))[0] for _ in range(3)]

    def full_rebuild() -> None:
        fresh = Ledger(settings)
        other = GovernanceView(settings)
        try:
            other.rebuild(fresh)
        finally:
            other.close()
            fresh.close()

    full_times = [_timed(full_rebuild)[0] for _ in range(2)]
    rows = view.tables.count_rows()
    queries.view_for(ledger).close()
    ledger.close()
    return {
        "size": recorded_count,
        "rows": rows,
        "fast": statistics.median(fast_times),
        "slow": statistics.median(slow_times),
        "raw": statistics.median(raw_times),
        "rebuild": statistics.median(rebuild_times),
        "full": statistics.median(full_times),
        "oracle_samples": len(slow_times),
    }


def _settings(postgres: str | None, workdir: Path) -> Settings:
    if postgres is None:
        return Settings(data_dir=workdir / uuid.uuid4().hex)
    return Settings(
        database_url=f"{postgres}?schema=bench_{uuid.uuid4().hex[:12]}", data_dir=workdir
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--postgres", default=None, help="postgresql://... (default: SQLite)")
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--oracle-queries", type=int, default=50)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as workdir:
        for size in (int(s) for s in args.sizes.split(",")):
            settings = _settings(args.postgres, Path(workdir))
            print(f"{settings.backend}, {size} decisions:", flush=True)
            try:
                results.append(run(size, settings, args.queries, args.oracle_queries))
            finally:
                if settings.database_url is not None:
                    with psycopg.connect(args.postgres, autocommit=True) as conn:
                        conn.execute(f'DROP SCHEMA "{settings.postgres_schema}" CASCADE')
    backend = "postgresql" if args.postgres else "sqlite"
    print()
    print(
        f"| {backend} | decisions | rows | as-of read model | as-of oracle | speed-up "
        "| raw read+decode | rebuild | rebuild/raw | rebuild incl. ledger read | /raw |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| | {r['size']} | {r['rows']} | {r['fast'] * 1000:.1f} ms | "
            f"{r['slow'] * 1000:.0f} ms (n={r['oracle_samples']}) | {r['slow'] / r['fast']:.0f}x | "
            f"{r['raw']:.2f} s ({r['size'] / r['raw']:.0f}/s) | "
            f"{r['rebuild']:.2f} s ({r['size'] / r['rebuild']:.0f}/s) | "
            f"{r['rebuild'] / r['raw']:.2f}x | {r['full']:.2f} s | {r['full'] / r['raw']:.2f}x |"
        )


if __name__ == "__main__":
    main()
