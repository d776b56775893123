"""Preparing the read model for questions at any date (`evaluation.prepare`), on both backends:
it asks at dates spread over the history, so that the rows in force there are decoded before
anyone asks; it is done once per reading of the decisions, stops when asked to, and the API's
follower does it in the background."""

from __future__ import annotations

import dataclasses
import itertools
import random
import threading
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.http import create_app
from bench import synthetic
from bench.evaluation import by_replay, fast, random_moment, same
from ledger.service import Ledger
from ledger.settings import Settings, SettingsError
from projections import evaluation, queries
from tests.builders import basics, decision


@pytest.fixture
def history(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Ledger]:
    monkeypatch.setattr(synthetic, "PARTIES", 20)
    ledger = Ledger(settings)
    synthetic.record(ledger, 1200)  # ten years, every kind of decision, some corrected
    try:
        yield ledger
    finally:
        ledger.close()


def _undecoded_in_force(ledger: Ledger) -> dict[str, int]:
    """Per prepared date, how many rows in force there (as known now) are not decoded."""
    view = queries.caught_up(ledger)
    resident = view._resident
    assert resident is not None
    found = {}
    for day in evaluation._spread(ledger.recorded()):
        rows = resident.in_force(day.toordinal(), ledger.head)
        found[day.isoformat()] = int((~resident.is_decoded[rows]).sum())
    return found


def test_preparing_decodes_the_rows_in_force_over_the_history_once(history: Ledger) -> None:
    recorded = history.recorded()
    dates = evaluation._spread(recorded)
    assert len(dates) == evaluation.PREPARED_DATES  # (ten years: as many as it asks at most)
    assert dates[0] == min(r.decision.effective_on for r in recorded)
    assert min(b - a for a, b in itertools.pairwise(dates)).days >= 30
    fast(history, random_moment(random.Random(1), recorded, known_now=True))
    assert any(_undecoded_in_force(history).values())
    assert evaluation.prepare(history) == len(dates)
    assert not any(_undecoded_in_force(history).values())
    assert evaluation.prepare(history) == 0  # done: nothing was corrected since
    # the answers are the replay's, at new dates, as known now and as known then
    rnd = random.Random(3)
    for i in range(4):
        moment = random_moment(rnd, recorded, known_now=i % 2 == 0)
        assert same(fast(history, moment), by_replay(history, moment)), moment


def test_a_correction_or_retraction_makes_it_prepare_again(history: Ledger) -> None:
    """What answers derive from a row depends on how its decisions read (a correction can put a
    source right without changing the row): after one, the preparation is done again; after
    an ordinary decision it is not."""
    evaluation.prepare(history)
    last = history.recorded()[-1]
    history.record(
        [
            decision(
                "commitment.made",
                commitment="prepared-1",
                promise="p",
                due_on="2030-01-01",
                decided_by=["party-0"],
            )
        ],
        recorded_by="clerk",
    )
    assert evaluation.prepare(history) == 0
    replacement = last.decision.model_dump(mode="json") | {"source": "put right"}
    history.record(
        [
            decision(
                "decision.corrected",
                corrects=str(last.id),
                replacement=replacement,
                decided_by=["party-0"],
            )
        ],
        recorded_by="clerk",
    )
    assert evaluation.prepare(history) > 0
    assert evaluation.prepare(history) == 0


def test_it_stops_between_two_dates_when_asked_and_is_then_not_done(history: Ledger) -> None:
    stop = threading.Event()
    stop.set()
    assert evaluation.prepare(history, stop) == 0
    assert evaluation.prepare(history) == evaluation.PREPARED_DATES


def test_the_api_prepares_in_the_background(settings: Settings) -> None:
    app = create_app(settings)
    ledger: Ledger = app.state.ledger
    ledger.record(
        [
            *basics(),
            decision("commitment.made", commitment="c-1", promise="p", due_on="2022-03-31"),
        ],
        recorded_by="clerk",
    )
    with TestClient(app):
        deadline = time.monotonic() + 20
        while ledger not in evaluation._prepared and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ledger in evaluation._prepared
        assert evaluation.prepare(ledger) == 0  # (done by the follower)


def test_a_server_told_not_to_prepare_does_not(settings: Settings) -> None:
    app = create_app(dataclasses.replace(settings, prepare=False))
    ledger: Ledger = app.state.ledger
    ledger.record(basics(), recorded_by="clerk")
    with TestClient(app):
        time.sleep(1.5)  # (three of the follower's polls)
        assert ledger not in evaluation._prepared


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, True), ("1", True), ("0", False), ("off", False), (" FALSE", False)],
)
def test_ledger_prepare_is_a_switch_in_the_environment(
    monkeypatch: pytest.MonkeyPatch, value: str | None, expected: bool
) -> None:
    if value is None:
        monkeypatch.delenv("LEDGER_PREPARE", raising=False)
    else:
        monkeypatch.setenv("LEDGER_PREPARE", value)
    assert Settings.from_env().prepare is expected


def test_a_ledger_prepare_that_is_no_switch_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDGER_PREPARE", "sometimes")
    with pytest.raises(SettingsError, match="LEDGER_PREPARE must be 1 or 0"):
        Settings.from_env()
