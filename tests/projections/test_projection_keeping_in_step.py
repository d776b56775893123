"""The read model keeps in step: read-your-writes, other processes' writes, restarts, rebuilds."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from domain.errors import DomainError
from domain.timeline import ROW_KINDS
from ledger.service import Ledger
from ledger.settings import Settings
from projections import bitemporal, oracle, queries
from projections.bitemporal import Follower, GovernanceView
from tests import builders as b
from tests.projections.histories import StepClock, build, prelude

ROOT = Path(__file__).resolve().parents[2]
LATER = datetime(2100, 1, 1, tzinfo=UTC)


def _history(ledger: Ledger, clock: StepClock, seed: int, length: int = 60) -> None:
    """Record a fixed pseudo-random history with corrections, retractions and consents."""
    rnd = random.Random(seed)
    kinds = [
        "assign",
        "assign",
        "transfer",
        "relieve",
        "correct",
        "retract",
        "needs-consent",
        "consent",
        "risk",
        "accept",
        "withdraw",
        "dissolve",
        "rec",
        "close",
        "commit",
    ]
    history = [
        (
            rnd.choice(kinds),
            rnd.randint(0, 3),
            rnd.randint(0, 3),
            rnd.randint(0, 90),
            rnd.randint(0, 2),
            rnd.randint(0, 10**6),
        )
        for _ in range(length)
    ]
    if ledger.head == 0:
        ledger.record(prelude(history), recorded_by="test")
    recorded = ledger.recorded()
    for step in history:
        clock.now += timedelta(seconds=step[4])
        decision = build(step, recorded, ledger)
        if decision is None:
            continue
        try:
            recorded.extend(ledger.record([decision], recorded_by="test"))
        except DomainError:
            continue


def test_a_query_right_after_a_record_reflects_it(ledger: Ledger) -> None:
    ledger.record(b.basics(), recorded_by="test")
    assert queries.responsibilities(ledger, date(2023, 1, 1), LATER) == []
    ledger.record([b.assign("smb", "c2000", "accountable", "2022-02-03")], recorded_by="test")
    held = queries.responsibilities(ledger, date(2023, 1, 1), LATER)
    assert [(h.party, h.subject, h.role.value) for h in held] == [("smb", "c2000", "accountable")]


def test_another_process_writes_appear_without_restart(settings: Settings) -> None:
    first = Ledger(settings)
    try:
        first.record(b.basics(), recorded_by="test")
        assert queries.subjects(first, date(2023, 1, 1), LATER)[0].id == "c2000"
        # another process records a responsibility...
        env = {**os.environ, "PYTHONPATH": str(ROOT), "LEDGER_DATA_DIR": str(settings.data_dir)}
        env.pop("LEDGER_DATABASE_URL", None)
        if settings.database_url is not None:
            env["LEDGER_DATABASE_URL"] = settings.database_url
        script = (
            "from ledger.service import Ledger; from ledger.settings import Settings;"
            "from tests import builders as b;"
            "Ledger(Settings.from_env()).record("
            "[b.assign('korpschef', 'c2000', 'responsible', '2022-02-03')], recorded_by='other')"
        )
        subprocess.run([sys.executable, "-c", script], env=env, check=True, cwd=ROOT)
        # ...and the first process's next query sees it
        held = queries.responsibilities(first, date(2023, 1, 1), LATER, subject="c2000")
        assert [(h.party, h.role.value) for h in held] == [("korpschef", "responsible")]
    finally:
        queries.view_for(first).close()
        first.close()


def test_rebuild_equals_incremental_and_restart_resumes(settings: Settings) -> None:
    clock = StepClock()
    ledger = Ledger(settings, clock=clock)
    view = GovernanceView(settings, batch=7)  # small batches: many transactions
    try:
        _history(ledger, clock, seed=1, length=30)
        view.catch_up(ledger)
        view.close()
        # a restart: a new view resumes from the stored position
        _history(ledger, clock, seed=2, length=30)
        view = GovernanceView(settings, batch=7)
        assert view.position() < ledger.head
        assert view.catch_up(ledger) == ledger.head
        incremental = view.tables.all_rows()
        assert view.rebuild(ledger) == ledger.head
        assert view.tables.all_rows() == incremental
        _agrees_with_the_oracle(view, ledger, samples=10)
    finally:
        view.close()
        ledger.close()


def test_rows_held_in_memory_follow_another_views_writes_and_its_rebuild(
    settings: Settings,
) -> None:
    """A view answers from the rows it holds in memory (`projections.resident`): the same rows
    the tables' own index finds, for every position and date, after another view (another
    process) wrote rows and closed some of them (corrections, retractions, backdated
    decisions), and after it rebuilt the tables from scratch (which reuses row ids)."""
    clock = StepClock()
    ledger = Ledger(settings, clock=clock)
    asking, writing = GovernanceView(settings), GovernanceView(settings, batch=5)

    def agrees_with_the_tables() -> None:
        with asking.tables.reading() as reader:
            position, _ = reader.tracking()
            resident = asking._resident_at(reader)
            for head in sorted({0, position, *range(1, position + 1, 3)}):
                for day in range(date(2019, 12, 1).toordinal(), date(2020, 6, 1).toordinal(), 9):
                    found = resident.ids[resident.in_force(day, head)].tolist()
                    assert found == sorted(reader.find_ids(ROW_KINDS, day, head, None))
        _agrees_with_the_oracle(asking, ledger, samples=8)

    try:
        _history(ledger, clock, seed=3, length=40)
        asking.catch_up(ledger)
        agrees_with_the_tables()
        closed_before = _closed_rows(asking)
        _history(ledger, clock, seed=4, length=40)
        writing.catch_up(ledger)  # the other writes; the asking view only reads
        assert _closed_rows(asking) > closed_before  # (rows it held open were closed)
        agrees_with_the_tables()
        writing.rebuild(ledger)
        agrees_with_the_tables()
    finally:
        asking.close()
        writing.close()
        ledger.close()


def test_answers_stay_right_when_the_decoded_rows_outgrow_their_limit(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rows held decoded are all forgotten when there would be more than the limit; the
    rows asked for are then decoded again."""
    monkeypatch.setattr(bitemporal, "DECODED_LIMIT", 12)
    clock = StepClock()
    ledger = Ledger(settings, clock=clock)
    view = GovernanceView(settings)
    try:
        _history(ledger, clock, seed=5, length=40)
        view.catch_up(ledger)
        _agrees_with_the_oracle(
            view, ledger, samples=6, dates=(date(2020, 1, 10), date(2020, 3, 1), date(2020, 5, 1))
        )
        resident = view._resident  # (some rows were forgotten on the way)
        assert resident is not None and 0 < resident.count < len(resident.ids)
    finally:
        view.close()
        ledger.close()


def _agrees_with_the_oracle(
    view: GovernanceView,
    ledger: Ledger,
    samples: int,
    dates: tuple[date, ...] = (date(2020, 1, 10), date(2020, 2, 20), date(2020, 5, 1)),
) -> None:
    """The view's state equals the oracle's on `dates`, as known after about `samples`
    decisions spread over the ledger."""
    recorded = ledger.recorded()
    for item in recorded[:: max(1, len(recorded) // samples)]:
        for as_of in dates:
            assert view.state(as_of, item.recorded_at) == oracle.state(
                recorded, as_of, item.recorded_at
            )


def _closed_rows(view: GovernanceView) -> int:
    return sum(1 for row in view.tables.all_rows() if row[-1] is not None)


def test_rows_of_an_older_model_are_dropped_and_made_again(settings: Settings) -> None:
    """A read model written by an older version of what rows hold (here: without the
    anchoring runs) is not trusted: opening it starts again from the first decision."""
    clock = StepClock()
    ledger = Ledger(settings, clock=clock)
    view = GovernanceView(settings)
    try:
        _history(ledger, clock, seed=1, length=60)
        view.catch_up(ledger)
        expected = view.tables.all_rows()
        assert any(row[1] == "run" for row in expected), sorted({row[1] for row in expected})
        # make it look like model 1: its tracking key, and no runs
        conn = view.tables.conn  # type: ignore[attr-defined]
        if settings.database_url is None:
            conn.execute("UPDATE tracking SET view = 'governance'")
            conn.execute("DELETE FROM rows WHERE kind = 'run'")
        else:
            conn.execute("UPDATE governance_view_tracking SET view = 'governance'")
            conn.execute("DELETE FROM governance_view_rows WHERE kind = 'run'")
        view.close()
        view = GovernanceView(settings)
        assert view.position() == 0
        assert view.tables.count_rows() == 0
        assert view.catch_up(ledger) == ledger.head
        assert view.tables.all_rows() == expected
    finally:
        view.close()
        ledger.close()


def test_two_views_catching_up_together_apply_each_decision_once(settings: Settings) -> None:
    clock = StepClock()
    ledger = Ledger(settings, clock=clock)
    one, two = GovernanceView(settings, batch=5), GovernanceView(settings, batch=5)
    try:
        _history(ledger, clock, seed=3, length=20)
        one.catch_up(ledger)
        _history(ledger, clock, seed=4, length=20)
        two.catch_up(ledger)  # moves past one's position: one must notice and reload
        _history(ledger, clock, seed=5, length=20)
        one.catch_up(ledger)
        together = one.tables.all_rows()
        one.rebuild(ledger)
        assert one.tables.all_rows() == together
        recorded = ledger.recorded()
        assert two.state(date(2020, 3, 1), LATER) == oracle.state(recorded, date(2020, 3, 1), LATER)
    finally:
        one.close()
        two.close()
        ledger.close()


def test_the_follower_catches_up_in_the_background(settings: Settings) -> None:
    ledger = Ledger(settings)
    writer = Ledger(settings)
    view = GovernanceView(settings)
    follower = Follower(view, ledger, interval=0.05)
    try:
        follower.start()
        writer.record(b.basics(), recorded_by="test")
        deadline = time.monotonic() + 10
        while view.position() < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert view.position() == 5
        assert follower.error is None
        # ...and the rows held in memory follow, so a question need not load them
        while (view._resident is None or view._resident.position < 5) and (
            time.monotonic() < deadline
        ):
            time.sleep(0.05)
        assert view._resident is not None and view._resident.position == 5
    finally:
        follower.stop()
        view.close()
        writer.close()
        ledger.close()


def test_status_shows_the_lag_and_zero_after_catch_up(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEDGER_DATA_DIR", str(settings.data_dir))
    if settings.database_url is None:
        monkeypatch.delenv("LEDGER_DATABASE_URL", raising=False)
    else:
        monkeypatch.setenv("LEDGER_DATABASE_URL", settings.database_url)
    ledger = Ledger(settings)
    try:
        ledger.record(b.basics(), recorded_by="test")
    finally:
        ledger.close()
    runner = CliRunner()
    result = runner.invoke(app, ["projections", "status"])
    assert result.exit_code == 0, result.output
    assert '"lag": 5' in result.output
    result = runner.invoke(app, ["projections", "rebuild"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["projections", "status"])
    assert '"head": 5' in result.output and '"lag": 0' in result.output
