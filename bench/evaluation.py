"""Correctness at scale: the read model's matrix and gap report equal the replay's.

    .venv/bin/python -m bench.evaluation [--ledger DIR | --postgres URL?schema=S]
                                         [--size 100000] [--parties 500] [--queries 10]

On a synthetic history (`bench.synthetic`; recorded first into an empty ledger), asks
`--queries` random moments — half as known now, half as known at a random time of the
recording — of the read model (`projections.answers`: the rows in force) and of the plain
replay (`projections.oracle`: a knowledge of the known prefix folded, the gap rules' own walk
through each subject's history for "since"), and requires the two answers to be equal: the
matrix (parties, subjects, cells with roles, since and sources, subjects flagged) and every gap
(with since, decisions and messages). Prints the time each side took, as a diagnosis only:
what a client waits for is measured by `bench.serve`.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from bench import synthetic
from domain.decisions import RecordedDecision
from domain.gaps import Gap
from domain.knowledge import Knowledge
from ledger.service import Ledger
from ledger.settings import Settings
from projections import oracle
from projections.answers import Moment, asking
from projections.matrix import Matrix

Answer = tuple[Matrix, list[Gap]]


def fast(ledger: Ledger, moment: Moment) -> Answer:
    """The matrix and the gaps, from the read model."""
    with asking(ledger, moment) as question:
        return question.matrix(), question.gaps()


def by_replay(recorded: Sequence[RecordedDecision], moment: Moment) -> Answer:
    """The same, by replaying the known prefix of the ledger."""
    knowledge = Knowledge.of(oracle.known_prefix(recorded, moment.known_at))
    state = knowledge.state(moment.as_of)
    matrix = oracle.matrix(state, knowledge, (moment.as_of, moment.known_at))
    return matrix, oracle.find_gaps(state, knowledge, moment.as_of)


def random_moment(
    rnd: random.Random, recorded: Sequence[RecordedDecision], *, known_now: bool
) -> Moment:
    """A random date of the synthetic history, as known after the last decision or at a
    random time while it was recorded."""
    as_of = synthetic.START + timedelta(days=rnd.randrange(synthetic.YEARS * 365))
    first, last = recorded[0].recorded_at, recorded[-1].recorded_at
    return Moment(as_of, last if known_now else first + (last - first) * rnd.random())


def compare(ledger: Ledger, moments: list[Moment]) -> tuple[float, float]:
    """Median seconds of the read model's and the replay's answers (which must be equal)."""
    recorded = ledger.recorded()
    fast_times, replay_times = [], []
    for moment in moments:
        started = time.perf_counter()
        answer = fast(ledger, moment)
        fast_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        expected = by_replay(recorded, moment)
        replay_times.append(time.perf_counter() - started)
        assert answer == expected, f"the read model and the replay differ at {moment}"
    return statistics.median(fast_times), statistics.median(replay_times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--parties", type=int, default=500)
    parser.add_argument("--queries", type=int, default=10)
    parser.add_argument("--ledger", type=Path, default=None)
    parser.add_argument("--postgres", default=None, help="postgresql://...?schema=S")
    args = parser.parse_args()
    synthetic.PARTIES = args.parties
    with tempfile.TemporaryDirectory() as workdir:
        data = args.ledger or Path(workdir)
        settings = Settings(database_url=args.postgres, data_dir=data)
        ledger = Ledger(settings)
        try:
            if ledger.head == 0:
                started = time.perf_counter()
                count = synthetic.record(ledger, args.size)
                print(f"recorded {count} decisions in {time.perf_counter() - started:.0f} s")
            recorded = ledger.recorded()
            rnd = random.Random(5)
            for label, known_now in (("known now", True), ("known then", False)):
                moments = [
                    random_moment(rnd, recorded, known_now=known_now) for _ in range(args.queries)
                ]
                read_model, replay = compare(ledger, moments)
                print(
                    f"{label}: {len(moments)} answers equal; read model {read_model * 1000:.0f}"
                    f" ms, replay {replay * 1000:.0f} ms (medians, {ledger.head:,} decisions)"
                )
        finally:
            ledger.close()


if __name__ == "__main__":
    main()
