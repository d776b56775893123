"""Benchmark: the responsibility matrix and the gap report, beside the oracle replay.

    .venv/bin/python -m bench.evaluation [--size 100000] [--parties 500] [--queries 50]
                                         [--oracle-every 5] [--ledger DIR] [--postgres URL]

Records a synthetic history (`bench.synthetic`, with `--parties` parties and 200 subjects)
into a fresh SQLite ledger (or a fresh schema of the PostgreSQL database `--postgres URL`,
dropped afterwards), or uses the ledger in `--ledger DIR` or in the schema a `--postgres URL`
names (`...?schema=S`), recording it there first if it is empty, then times, in one run, two
sets of `--queries` questions, each asked for the first time:
- "known now": random as_of dates, as known after the last decision (the issue's "50 random
  dates"; what `ledger matrix --as-of D` asks);
- "known then": random (as_of, known_at) pairs (a known_at anywhere in the recorded history);
then prepares the read model as the API's follower does once a server has caught up
(`projections.evaluation.prepare`: questions at dates spread over the history, timed) and
times two more such sets at new random moments ("prepared"): the first sets are what a fresh
process answers, the prepared ones what a running server answers.
For each question:
- fast: `projections.evaluation` — the snapshot (read-model rows + the knowledge cut at the
  same position), the matrix with every cell traced, and the gap report;
- replay: the same matrix and gaps from a plain replay (`projections.oracle`, a Knowledge
  rebuilt from the known prefix, and the gap rules' own history walk for "since"), for every
  `--oracle-every`-th question, after all the fast ones; the two answers must be equal
  (cells with roles, since and sources; gaps with since, decisions and messages).
Prints medians and the speed-up, against the replay as it runs and against the same replay with
the cyclic collector paused (steadier, and faster). Goal (issue 5): at least 50x faster than
the replay.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

import psycopg

from bench import synthetic
from domain.decisions import RecordedDecision
from domain.knowledge import Knowledge
from ledger import collector
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
    knowledge = Knowledge.of(oracle.known_prefix(recorded, moment.known_at))
    state = knowledge.state(moment.as_of)  # what oracle.state does, without indexing twice
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


def random_moment(
    rnd: random.Random, recorded: Sequence[RecordedDecision], *, known_now: bool
) -> Moment:
    """A random date of the synthetic history, as known after the last decision or at a
    random time while it was recorded."""
    as_of = synthetic.START + timedelta(days=rnd.randrange(synthetic.YEARS * 365))
    first, last = recorded[0].recorded_at, recorded[-1].recorded_at
    return Moment(as_of, last if known_now else first + (last - first) * rnd.random())


def timed(action, *args):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = action(*args)
    return time.perf_counter() - started, result


def by_replay_paused(ledger: Ledger, moment: Moment) -> Answer:
    """The replay with the cyclic collector paused, as the fast side pauses it."""
    with collector.paused():
        return by_replay(ledger, moment)


def run(
    ledger: Ledger, moments: list[Moment], oracle_every: int
) -> tuple[float, float, float, int]:
    """Median seconds (fast, replay, replay with the collector paused) and how many replays
    were timed.

    The fast answers are timed first, then the replays: a replay allocates (and frees) the
    whole ledger's worth of objects, which would otherwise slow the next fast answer down
    for reasons of its own (the allocator and the cyclic collector catching up). The replay
    is timed as it is, and again with the cyclic collector paused: its collections walk the
    whole heap at moments that depend on what was allocated before, which makes a replay's
    time vary ~3x between dates and runs; paused, it is steadier and faster — the harder
    reference."""
    fast(ledger, moments[0])  # the read model catches up (after recording) and warms up
    fast_times = [timed(fast, ledger, moment)[0] for moment in moments]
    slow_times, paused_times = [], []
    for moment in moments[::oracle_every]:
        seconds, expected = timed(by_replay, ledger, moment)
        slow_times.append(seconds)
        del expected
        seconds, expected = timed(by_replay_paused, ledger, moment)
        paused_times.append(seconds)
        assert same(fast(ledger, moment), expected), f"fast and replay differ at {moment}"
    return (
        statistics.median(fast_times),
        statistics.median(slow_times),
        statistics.median(paused_times),
        len(slow_times),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--parties", type=int, default=500)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--oracle-every", type=int, default=5)
    parser.add_argument("--ledger", type=Path, default=None)
    parser.add_argument("--postgres", default=None, help="postgresql://... (default: SQLite)")
    args = parser.parse_args()
    synthetic.PARTIES = args.parties
    with tempfile.TemporaryDirectory() as workdir:
        settings = Settings(data_dir=args.ledger or Path(workdir))
        fresh_schema = bool(args.postgres) and "schema=" not in args.postgres
        if args.postgres:
            url = args.postgres
            if fresh_schema:
                url = f"{url}?schema=bench_{uuid.uuid4().hex[:12]}"
            settings = Settings(database_url=url, data_dir=Path(workdir))
        ledger = Ledger(settings)
        if ledger.head == 0:
            seconds, count = timed(synthetic.record, ledger, args.size)
            print(f"recorded {count} decisions in {seconds:.0f} s", flush=True)
        count = ledger.head
        recorded = ledger.recorded()
        last = recorded[-1].recorded_at
        rnd = random.Random(5)
        then = [random_moment(rnd, recorded, known_now=False) for _ in range(args.queries)]
        now = [random_moment(rnd, recorded, known_now=True) for _ in range(args.queries)]
        results = {
            "known now": run(ledger, now, args.oracle_every),
            "known then": run(ledger, then, args.oracle_every),
        }
        # as a server has it once its follower has prepared the read model (new dates)
        seconds, asked = timed(evaluation.prepare, ledger)
        prepared = f"prepared: {asked} questions in {seconds:.1f} s"
        then = [random_moment(rnd, recorded, known_now=False) for _ in range(args.queries)]
        now = [random_moment(rnd, recorded, known_now=True) for _ in range(args.queries)]
        results["known now, prepared"] = run(ledger, now, args.oracle_every)
        results["known then, prepared"] = run(ledger, then, args.oracle_every)
        parties = len(evaluation.snapshot(ledger, Moment(date(2030, 1, 1), last)).state.parties)
        ledger.close()
        if fresh_schema:
            with psycopg.connect(args.postgres, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{settings.postgres_schema}" CASCADE')
    print()
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(
        "| backend | decisions | parties x subjects | questions | fast | replay | ratio "
        "| replay, collector paused | ratio |"
    )
    print("|---|---:|---:|---|---:|---:|---:|---:|---:|")
    for label, (f, s, p, n) in results.items():
        print(
            f"| {backend} | {count:,} | {parties} x {synthetic.SUBJECTS} | {label} "
            f"| {f * 1000:.0f} ms (n={args.queries}) | {s * 1000:.0f} ms (n={n}) | {s / f:.0f}x "
            f"| {p * 1000:.0f} ms | {p / f:.0f}x |"
        )
    print(f"\n{prepared} (`projections.evaluation.prepare`)")
    # the replays timed later in a run take longer (the process holds more): the prepared
    # answers against the fastest replay of either set of the same questions
    for kind in ("known now", "known then"):
        fastest = min(min(results[label][1:3]) for label in (kind, f"{kind}, prepared"))
        ratio = fastest / results[f"{kind}, prepared"][0]
        print(
            f"{kind}, prepared, against the run's fastest replay median "
            f"({fastest * 1000:.0f} ms): {ratio:.0f}x"
        )


if __name__ == "__main__":
    main()
