"""The evaluation benchmark's two answers agree on a small synthetic world, on both backends:
the matrix and gap report from the read model equal those of a plain replay (cells with roles,
since and sources; gaps with since, decisions and messages)."""

from __future__ import annotations

import random

import pytest

from bench import synthetic
from bench.evaluation import by_replay, by_replay_paused, fast, random_moment, run, same
from bench.evaluation_parts import parts
from ledger.service import Ledger
from ledger.settings import Settings


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
