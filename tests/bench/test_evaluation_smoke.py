"""The correctness benchmark's two answers agree on a small synthetic world, on both backends:
the matrix and gap report from the read model equal those of a plain replay (cells with roles,
since and sources; gaps with since, decisions and messages), known now and known then."""

from __future__ import annotations

import random

import pytest

from bench import synthetic
from bench.evaluation import compare, fast, random_moment
from ledger.service import Ledger
from ledger.settings import Settings


@pytest.fixture
def world(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Ledger:
    monkeypatch.setattr(synthetic, "PARTIES", 40)
    ledger = Ledger(settings)
    synthetic.record(ledger, 3000)
    return ledger


def test_the_read_model_equals_the_replay_known_now_and_known_then(world: Ledger) -> None:
    try:
        recorded = world.recorded()
        rnd = random.Random(11)
        moments = [random_moment(rnd, recorded, known_now=i % 2 == 1) for i in range(8)]
        read_model, replay = compare(world, moments)  # (raises if an answer differs)
        assert min(read_model, replay) > 0
        assert any(fast(world, moment)[1] for moment in moments)  # gaps were found
    finally:
        world.close()
