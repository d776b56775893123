"""The read model is written in the recording transaction: read-your-writes, other processes'
writes at once, restarts that load nothing, rebuilds that equal what recording wrote."""

from __future__ import annotations

import random
import subprocess
import sys
import threading
from datetime import UTC, date, datetime, timedelta

import orjson
import pytest
from typer.testing import CliRunner

from api.cli import app
from domain.errors import DomainError
from ledger.service import Ledger
from ledger.settings import Settings
from ledger.tables import MODEL
from projections import oracle
from tests import builders as b
from tests import reads
from tests.projections.histories import StepClock, build, prelude
from tests.projections.test_bitemporal_agrees_with_oracle import assert_answers_agree
from tests.tools.processes import ROOT, ledger_env

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
    assert reads.holdings(ledger, date(2023, 1, 1), LATER) == []
    ledger.record([b.assign("smb", "c2000", "accountable", "2022-02-03")], recorded_by="test")
    held = reads.holdings(ledger, date(2023, 1, 1), LATER)
    assert [(h.party, h.subject, h.role.value) for h in held] == [("smb", "c2000", "accountable")]


def test_another_process_writes_appear_at_once(settings: Settings) -> None:
    first = Ledger(settings)
    try:
        first.record(b.basics(), recorded_by="test")
        assert reads.subjects(first, date(2023, 1, 1), LATER)[0].id == "c2000"
        # another process records a responsibility...
        script = (
            "from ledger.service import Ledger; from ledger.settings import Settings;"
            "from tests import builders as b;"
            "Ledger(Settings.from_env()).record("
            "[b.assign('korpschef', 'c2000', 'responsible', '2022-02-03')], recorded_by='other')"
        )
        subprocess.run(
            [sys.executable, "-c", script], env=ledger_env(settings), check=True, cwd=ROOT
        )
        # ...and the first process's next query sees it
        held = reads.holdings(first, date(2023, 1, 1), LATER, subject="c2000")
        assert [(h.party, h.role.value) for h in held] == [("korpschef", "responsible")]
    finally:
        first.close()


def test_a_rebuild_writes_the_rows_recording_wrote(settings: Settings) -> None:
    """Recording writes rows decision by decision, a rebuild from the events writes them all
    again: the same rows, with the same valid and recorded intervals."""
    clock = StepClock()
    ledger = Ledger(settings, clock=clock)
    try:
        _history(ledger, clock, seed=1, length=60)
        recorded = reads.every_row(ledger)
        assert ledger.rebuild() == ledger.head
        assert reads.every_row(ledger) == recorded
        for day in (date(2019, 12, 1), date(2020, 2, 1), date(2020, 4, 1)):
            assert_answers_agree(ledger, day, LATER)
    finally:
        ledger.close()


@pytest.mark.postgres
def test_a_rebuild_on_postgresql_lays_the_rows_out_by_the_spatial_index(
    postgres_settings: Settings,
) -> None:
    """A rebuild leaves dead tuples behind each row closed in its one transaction; it ends by
    rewriting the rows in the spatial index's order, so the rows in force at a moment lie
    together."""
    settings = postgres_settings
    clock = StepClock()
    ledger = Ledger(settings, clock=clock)
    try:
        _history(ledger, clock, seed=4, length=20)
        ledger.rebuild()
        with ledger.reading() as tables:
            found = tables.one(
                "SELECT i.indisclustered FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE c.relname = 'ledger_rows_area' AND n.nspname = ?",
                (settings.postgres_schema,),
            )
        assert found is not None and found[0] is True
    finally:
        ledger.close()


def test_a_restart_reads_nothing_back_into_memory(settings: Settings) -> None:
    """A ledger opened again answers at once from its tables: nothing is replayed."""
    clock = StepClock()
    ledger = Ledger(settings, clock=clock)
    _history(ledger, clock, seed=2, length=40)
    expected = reads.every_row(ledger)
    ledger.close()
    reopened = Ledger(settings, clock=clock)
    try:
        assert reads.every_row(reopened) == expected
        assert_answers_agree(reopened, date(2020, 3, 1), LATER)
        _history(reopened, clock, seed=3, length=20)  # and goes on recording
        assert_answers_agree(reopened, date(2020, 3, 1), LATER)
    finally:
        reopened.close()


def test_tables_of_another_model_are_built_again_when_the_ledger_opens(settings: Settings) -> None:
    """Tables written by another version of what the rows hold are not trusted: the ledger
    builds them again from the events when it is opened."""
    clock = StepClock()
    ledger = Ledger(settings, clock=clock)
    try:
        _history(ledger, clock, seed=1, length=40)
        expected = reads.rows_known_now(ledger)
        with ledger.db.write() as tables:
            tables.set_model(MODEL - 1)
            tables.execute("DELETE FROM {p}ledger_rows WHERE kind = 'anchoring'")
    finally:
        ledger.close()
    reopened = Ledger(settings)
    try:
        assert reads.rows_known_now(reopened) == expected
    finally:
        reopened.close()


def test_two_processes_recording_at_once_each_check_what_the_other_wrote(
    settings: Settings,
) -> None:
    """Two writers, each in its own process, record the same role for the same subject at
    once, many times: each time exactly one of them succeeds, the other is refused because
    the role is held by then (its check reads what the first one wrote); the rows equal a
    rebuild."""
    ledger = Ledger(settings)
    try:
        ledger.record(b.basics(), recorded_by="test")
    finally:
        ledger.close()
    script = (
        "import sys, orjson; from ledger.service import Ledger; from ledger.settings import "
        "Settings; from tests import builders as b; from domain.errors import RuleViolation\n"
        "ledger = Ledger(Settings.from_env()); results = []\n"
        "for day in range(1, 21):\n"
        "    on = f'2022-03-{day:02d}'\n"
        "    try:\n"
        "        who = sys.argv[1]\n"
        "        ledger.record([b.assign('smb', 'c2000', 'informed', on)], recorded_by=who)\n"
        "        ledger.record([b.decision('responsibility.relieved', party='smb',"
        " subject='c2000', role='informed', effective_on=on)], recorded_by=who)\n"
        "        results.append('recorded')\n"
        "    except RuleViolation as refused:\n"
        "        results.append(refused.rule)\n"
        "print(orjson.dumps(results).decode())\n"
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, name],
            env=ledger_env(settings),
            cwd=ROOT,
            stdout=subprocess.PIPE,
        )
        for name in ("one", "two")
    ]
    outputs = [orjson.loads(p.communicate(timeout=300)[0]) for p in processes]
    assert all(p.returncode == 0 for p in processes)
    assert all(set(out) <= {"recorded", "role_already_held", "role_not_held"} for out in outputs)
    ledger = Ledger(settings)
    try:
        recorded = ledger.recorded()
        assigned = [r for r in recorded if r.kind == "responsibility.assigned"]
        assert 20 <= len(assigned) <= 40
        assert oracle.state(recorded, date(2030, 1, 1), LATER).anomalies == []
        before = reads.every_row(ledger)
        ledger.rebuild()
        assert reads.every_row(ledger) == before
    finally:
        ledger.close()


def test_readers_in_threads_see_each_write_whole(settings: Settings) -> None:
    """While one thread records batches, others ask questions: each answer is of one position
    (a batch's decisions are seen all together or not at all)."""
    ledger = Ledger(settings)
    ledger.record(b.basics(), recorded_by="test")
    problems: list[BaseException] = []
    done = threading.Event()

    def write() -> None:
        try:
            for i in range(30):
                ledger.record(
                    [b.party(f"agency-{i}-{j}", kind="agency") for j in range(3)],
                    recorded_by="test",
                )
        finally:
            done.set()

    def read() -> None:
        try:
            while not done.is_set():
                state = reads.state(ledger, date(2030, 1, 1), LATER)
                agencies = [p for p in state.parties if p.startswith("agency-")]
                assert len(agencies) % 3 == 0, agencies
        except BaseException as error:
            problems.append(error)

    threads = [threading.Thread(target=write), *(threading.Thread(target=read) for _ in range(2))]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert problems == []
    finally:
        ledger.close()


def test_status_shows_the_head_and_the_model(
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
    status = orjson.loads(result.output)
    assert status["head"] == 5 and status["model"] == MODEL and status["rows"] > 0
    result = runner.invoke(app, ["projections", "rebuild"])
    assert result.exit_code == 0, result.output
    assert orjson.loads(runner.invoke(app, ["projections", "status"]).output) == status
