"""Benchmark: the responsibility matrix and the gap report, beside the oracle replay.

    .venv/bin/python -m bench.evaluation [--size 100000] [--parties 500] [--queries 50]

Records a synthetic history (`bench.synthetic`, with `--parties` parties and 200 subjects)
into a fresh SQLite ledger, then, for random (as_of, known_at) pairs, times in one run:
- fast: `projections.evaluation` — the snapshot (read model + knowledge cut at known_at), the
  matrix with every cell traced, and the gap report;
- oracle: the same matrix and gaps computed from a plain replay (`projections.oracle` and a
  Knowledge rebuilt from the known prefix), on the first `--oracle-queries` pairs; both answers
  are compared.
Prints medians and the speed-up. Goal (issue 5): at least 50x faster than the oracle.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from bench import synthetic
from domain.knowledge import Knowledge
from ledger.service import Ledger
from ledger.settings import Settings
from projections import evaluation, oracle
from projections.evaluation import Moment
from projections.gaps import Gap, find_gaps
from projections.matrix import Matrix, build_matrix

Answer = tuple[Matrix, list[Gap]]


def fast(ledger: Ledger, moment: Moment) -> Answer:
    snap = evaluation.snapshot(ledger, moment)
    return evaluation.matrix_of(snap), evaluation.gaps_of(snap)


def by_replay(ledger: Ledger, moment: Moment) -> Answer:
    recorded = ledger.recorded()
    state = oracle.state(recorded, moment.as_of, moment.known_at)
    knowledge = Knowledge.of(oracle.known_prefix(recorded, moment.known_at))
    matrix = build_matrix(
        state, knowledge, as_of=moment.as_of, known_at=moment.known_at, ledger_head=knowledge.head
    )
    gaps = find_gaps(state, knowledge, moment.as_of)
    return matrix, gaps


def same(answer: Answer, expected: Answer) -> bool:
    """The same cells (roles, since, sources), subjects flagged, and gaps (with their since,
    decisions and messages)."""
    (matrix, gaps), (matrix2, gaps2) = answer, expected
    for gap in gaps2:  # the replay's matrix is built without the gap marks
        if gap.about == "subject":
            matrix2.gap_subjects.setdefault(gap.id, []).append(gap.rule)
    return (
        matrix.cells == matrix2.cells
        and matrix.parties == matrix2.parties
        and matrix.subjects == matrix2.subjects
        and matrix.gap_subjects == matrix2.gap_subjects
        and gaps == gaps2
    )


def timed(action, *args):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = action(*args)
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--parties", type=int, default=500)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--oracle-queries", type=int, default=5)
    args = parser.parse_args()
    synthetic.PARTIES = args.parties
    with tempfile.TemporaryDirectory() as workdir:
        ledger = Ledger(Settings(data_dir=Path(workdir)))
        seconds, count = timed(synthetic.record, ledger, args.size)
        print(f"recorded {count} decisions in {seconds:.0f} s", flush=True)
        recorded = ledger.recorded()
        first, last = recorded[0].recorded_at, recorded[-1].recorded_at
        rnd = random.Random(5)
        moments = [
            Moment(
                synthetic.START + timedelta(days=rnd.randrange(synthetic.YEARS * 365)),
                first + (last - first) * rnd.random(),
            )
            for _ in range(args.queries)
        ]
        fast(ledger, moments[0])  # warm the read model (catch-up after recording)
        fast_times, slow_times = [], []
        for i, moment in enumerate(moments):
            seconds, answer = timed(fast, ledger, moment)
            fast_times.append(seconds)
            if i < args.oracle_queries:
                slow_seconds, expected = timed(by_replay, ledger, moment)
                slow_times.append(slow_seconds)
                assert same(answer, expected), f"fast and replay differ at {moment}"
        parties = len(
            evaluation.snapshot(
                ledger, Moment(date(2030, 1, 1), datetime.now().astimezone())
            ).state.parties
        )
        ledger.close()
    f, s = statistics.median(fast_times), statistics.median(slow_times)
    print()
    print("| decisions | parties x subjects | matrix + gaps (fast) | (replay) | speed-up |")
    print("|---:|---:|---:|---:|---:|")
    print(
        f"| {count:,} | {parties} x {synthetic.SUBJECTS} | {f * 1000:.0f} ms (n={len(fast_times)}) "
        f"| {s * 1000:.0f} ms (n={len(slow_times)}) | {s / f:.0f}x |"
    )


if __name__ == "__main__":
    main()
