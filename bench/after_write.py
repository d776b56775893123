"""Benchmark: the first evaluation question after a decision is recorded, beside questions with
nothing recorded between them.

    .venv/bin/python -m bench.after_write (--ledger DIR | --postgres URL?schema=S) [--writes 20]

Uses a ledger recorded by `bench.evaluation --ledger DIR`: a SQLite one is copied to a
temporary directory first (the ledger in DIR is left as it was); a PostgreSQL schema named by
`--postgres` is written to (each run appends `--writes` decisions to it). Times, in one run,
`--writes` random questions as known now (the matrix and gap report of `bench.evaluation`):
- quiet: asked one after the other, nothing recorded between them;
- after a write: each asked right after one decision was recorded through `Ledger.record` (a
  commitment made: what the secretariat records every week), as a page asked while the
  secretariat records would be. The question then also pays for what the write invalidated:
  the ledger's snapshot at the new head, the read model catching up, what is derived per
  whole knowledge (the matrix's traced cells).
Prints both medians and their ratio; a question after a write should cost about what any
first-time question costs.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.evaluation import fast, random_moment
from domain import decisions as d
from ledger.service import Ledger
from ledger.settings import Settings
from projections import evaluation
from projections.evaluation import Moment


def commitment(by: str, number: int, on: datetime) -> d.Decision:
    """A commitment to parliament by `by`, made on `on`'s day (one a write)."""
    return d.parse_decision(
        {
            "kind": "commitment.made",
            "decided_by": [by],
            "effective_on": on.date().isoformat(),
            "source": "Kamerstuk 25124-109",
            "commitment": f"bench-after-write-{on.timestamp():.0f}-{number}",
            "promise": "inform",
            "due_on": (on.date() + timedelta(days=90)).isoformat(),
        }
    )


def run(ledger: Ledger, writes: int) -> tuple[float, float]:
    """Median seconds of a question with nothing recorded before it, and right after a write."""
    recorded = ledger.recorded()
    rnd = random.Random(11)
    moments = [random_moment(rnd, recorded, known_now=True) for _ in range(2 * writes)]
    fast(ledger, moments[0])  # the read model catches up and warms up
    today = datetime.now(UTC)
    parties = evaluation.snapshot(ledger, Moment(today.date(), today)).state.parties.values()
    by = next(party.id for party in parties if party.active())
    quiet = []
    for moment in moments[:writes]:
        started = time.perf_counter()
        fast(ledger, moment)
        quiet.append(time.perf_counter() - started)
    after = []
    for number, moment in enumerate(moments[writes:]):
        now = datetime.now(UTC)
        ledger.record([commitment(by, number, now)], recorded_by="bench")
        started = time.perf_counter()
        fast(ledger, Moment(moment.as_of, now + timedelta(seconds=1)))  # (knowing the write)
        after.append(time.perf_counter() - started)
    return statistics.median(quiet), statistics.median(after)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ledger", type=Path, help="a SQLite ledger's directory")
    parser.add_argument("--writes", type=int, default=20)
    parser.add_argument("--postgres", default=None, help="postgresql://...?schema=S")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        if args.postgres:
            settings = Settings(database_url=args.postgres, data_dir=Path(workdir))
        elif args.ledger is None:
            raise SystemExit("name a ledger: --ledger DIR or --postgres URL?schema=S")
        else:
            shutil.copytree(args.ledger, workdir, dirs_exist_ok=True)
            settings = Settings(data_dir=Path(workdir))
        ledger = Ledger(settings)
        if ledger.head == 0:
            raise SystemExit("the ledger is empty: record one with bench.evaluation --ledger DIR")
        quiet, after = run(ledger, args.writes)
        head = ledger.head
        ledger.close()
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print("| backend | decisions | quiet | after a write | ratio |")
    print("|---|---:|---:|---:|---:|")
    print(
        f"| {backend} | {head:,} | {quiet * 1000:.0f} ms (n={args.writes}) "
        f"| {after * 1000:.0f} ms (n={args.writes}) | {after / quiet:.1f}x |"
    )


if __name__ == "__main__":
    main()
