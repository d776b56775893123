"""Benchmark: where one evaluation question's time goes (no replay; see `bench.evaluation`).

    .venv/bin/python -m bench.evaluation_parts --ledger DIR [--queries 50] [--postgres URL]

On a ledger recorded by `bench.evaluation --ledger DIR` (or `bench.synthetic`), for random
questions "known now" and "known then" (the same draws as `bench.evaluation`), prints medians of:
- cold: the matrix and gap report for a question asked for the first time (what the benchmark
  times), and warm: the same question asked again right after;
- the warm question's parts: the snapshot (ids of the rows in force and their decoded rows),
  the state's dictionaries, the gap report, the matrix;
and the process's peak memory. To compare two versions, run it at each commit.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.evaluation import fast, random_moment
from ledger import collector
from ledger.service import Ledger
from ledger.settings import Settings
from projections import evaluation
from projections.evaluation import Moment


def parts(ledger: Ledger, moments: list[Moment]) -> dict[str, float]:
    """Median milliseconds of each part (cold and warm answers, then a warm one in parts)."""
    times: dict[str, list[float]] = {}

    def timed(name: str, action: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        result = action()
        times.setdefault(name, []).append(time.perf_counter() - started)
        return result

    for moment in moments:
        timed("cold", lambda: fast(ledger, moment))  # noqa: B023 (called at once)
        timed("warm", lambda: fast(ledger, moment))  # noqa: B023
    for moment in moments:
        snap = timed("snapshot", lambda: evaluation.snapshot(ledger, moment))  # noqa: B023
        with collector.paused():
            timed("state", lambda: snap.rows.unordered)  # noqa: B023
        timed("gaps", lambda: evaluation.gaps_of(snap))  # noqa: B023
        timed("matrix", lambda: evaluation.matrix_of(snap))  # noqa: B023
    return {name: statistics.median(values) * 1000 for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ledger", type=Path, required=True)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--postgres", default=None, help="postgresql://...?schema=S")
    args = parser.parse_args()
    ledger = Ledger(Settings(database_url=args.postgres, data_dir=args.ledger))
    recorded = ledger.recorded()
    rnd = random.Random(5)
    then = [random_moment(rnd, recorded, known_now=False) for _ in range(args.queries)]
    now = [random_moment(rnd, recorded, known_now=True) for _ in range(args.queries)]
    fast(ledger, now[0])  # the read model catches up
    print("| questions | cold | warm | snapshot | state | gaps | matrix |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, moments in (("known now", now), ("known then", then)):
        found = parts(ledger, moments)
        print(
            f"| {label} | "
            + " | ".join(
                f"{found[name]:.1f} ms"
                for name in ("cold", "warm", "snapshot", "state", "gaps", "matrix")
            )
            + " |"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\n{ledger.head:,} decisions; peak memory {peak:.0f} MB")
    ledger.close()


if __name__ == "__main__":
    main()
