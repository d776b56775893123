"""The evaluation benchmark's two answers agree on a small synthetic world, on both backends:
the matrix and gap report from the read model equal those of a plain replay (cells with roles,
since and sources; gaps with since, decisions and messages)."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from bench import after_write, synthetic
from bench.evaluation import by_replay, by_replay_paused, fast, random_moment, run, same
from bench.evaluation_parts import parts
from ledger.service import Ledger
from ledger.settings import Settings
from projections.evaluation import Moment


@pytest.fixture
def world(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Ledger:
    monkeypatch.setattr(synthetic, "PARTIES", 40)
    ledger = Ledger(settings)
    synthetic.record(ledger, 3000)
    return ledger


def test_fast_answers_equal_the_replay_known_now_and_known_then(world: Ledger) -> None:
    recorded = world.recorded()
    rnd = random.Random(11)
    moments = [random_moment(rnd, recorded, known_now=i % 2 == 1) for i in range(8)]
    for moment in moments:
        answer, expected = fast(world, moment), by_replay(world, moment)
        assert same(answer, expected), moment
    assert any(answer[1] for answer in (fast(world, m) for m in moments))  # gaps were found
    assert same(fast(world, moments[0]), by_replay_paused(world, moments[0]))
    fast_median, replay_median, paused_median, replays = run(world, moments[:4], 2)
    assert replays == 2 and min(fast_median, replay_median, paused_median) > 0
    timed = parts(world, moments[:2])  # (the breakdown runs on the same answers)
    assert set(timed) == {"cold", "warm", "snapshot", "state", "gaps", "matrix"}
    world.close()


def test_questions_after_writes_are_timed_and_still_equal_the_replay(world: Ledger) -> None:
    """`bench.after_write` records a decision before each of its timed questions; the
    answers after those writes agree with a replay of the grown ledger."""
    head = world.head
    quiet, after = after_write.run(world, 2)
    assert world.head == head + 2 and min(quiet, after) > 0
    recorded = world.recorded()
    # (100 days on, the commitments just made are overdue: gaps the answers must both have)
    moment = Moment(
        recorded[-1].decision.effective_on + timedelta(days=100), recorded[-1].recorded_at
    )
    answer = fast(world, moment)
    assert sum(g.id.startswith("bench-after-write") for g in answer[1]) == 2
    assert same(answer, by_replay(world, moment))
    world.close()
