"""Retries record once, batches are all or nothing, and concurrent writers lose nothing."""

from __future__ import annotations

import multiprocessing
import threading

import pytest

from domain.errors import IdempotencyConflict, RuleViolation
from ledger.service import Ledger
from ledger.settings import Settings
from tests.builders import assign, basics, party, subject


def test_a_retry_with_the_same_idempotency_key_records_once(ledger: Ledger) -> None:
    first = ledger.record(basics(), recorded_by="clerk", idempotency_key="brief-2022-02-03")
    again = ledger.record(basics(), recorded_by="clerk", idempotency_key="brief-2022-02-03")
    assert again == first
    assert ledger.head == len(basics())


def test_the_idempotency_key_is_remembered_across_processes(settings: Settings) -> None:
    one = Ledger(settings)
    first = one.record(basics(), recorded_by="clerk", idempotency_key="k")
    one.close()
    other = Ledger(settings)
    try:
        assert other.record(basics(), recorded_by="clerk", idempotency_key="k") == first
        assert other.head == len(first)
    finally:
        other.close()


def test_reusing_an_idempotency_key_for_another_request_is_refused(ledger: Ledger) -> None:
    ledger.record(basics(), recorded_by="clerk", idempotency_key="k")
    with pytest.raises(IdempotencyConflict, match="already used for a different request"):
        ledger.record([party("lms", kind="agency")], recorded_by="clerk", idempotency_key="k")
    assert ledger.head == len(basics())


def test_a_batch_with_one_bad_decision_records_nothing(ledger: Ledger) -> None:
    batch = [
        *basics(),
        assign("smb", "c2000", "oversight", "2021-01-01"),
        assign("lms", "c2000", "informed", "2021-01-01"),
    ]
    with pytest.raises(RuleViolation) as caught:
        ledger.record(batch, recorded_by="clerk")
    assert caught.value.decision_index == len(batch) - 1
    assert ledger.head == 0
    assert ledger.log() == []
    # and the ledger's memory holds nothing of it: the good part records cleanly afterwards
    assert [r.position for r in ledger.record(batch[:-1], recorded_by="clerk")] == list(
        range(1, len(batch))
    )


def test_a_failing_store_write_leaves_nothing_behind(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger.record(basics(), recorded_by="clerk")

    def broken_insert(*_: object, **__: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(ledger._store, "insert_in", broken_insert)
    with pytest.raises(OSError, match="disk full"):
        ledger.record([party("lms", kind="agency")], recorded_by="clerk")
    monkeypatch.undo()
    assert ledger.head == len(basics())
    assert (
        ledger.record([party("lms", kind="agency")], recorded_by="clerk")[0].position
        == len(basics()) + 1
    )


def _write_parties(settings: Settings, prefix: str, count: int) -> None:
    ledger = Ledger(settings)
    try:
        for i in range(count):
            ledger.record([party(f"{prefix}-{i}", kind="agency")], recorded_by=prefix)
    finally:
        ledger.close()


def _assert_all_recorded_once(settings: Settings, prefixes: list[str], count: int) -> None:
    reader = Ledger(settings)
    try:
        recorded = reader.log(limit=100_000)
        names = sorted(item.decision.party for item in recorded)  # type: ignore[attr-defined]
        assert names == sorted(f"{p}-{i}" for p in prefixes for i in range(count))
        assert [item.position for item in recorded] == list(range(1, len(recorded) + 1))
        times = [item.recorded_at for item in recorded]
        assert times == sorted(times)
    finally:
        reader.close()


def test_concurrent_writers_in_threads_lose_and_duplicate_nothing(settings: Settings) -> None:
    prefixes, count = ["a", "b", "c"], 15
    threads = [threading.Thread(target=_write_parties, args=(settings, p, count)) for p in prefixes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    _assert_all_recorded_once(settings, prefixes, count)


def test_one_ledger_shared_by_threads_loses_and_duplicates_nothing(ledger: Ledger) -> None:
    def write(prefix: str) -> None:
        for i in range(15):
            ledger.record([party(f"{prefix}-{i}", kind="agency")], recorded_by=prefix)

    threads = [threading.Thread(target=write, args=(p,)) for p in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    _assert_all_recorded_once(ledger.settings, ["a", "b"], 15)


@pytest.mark.slow
def test_concurrent_writer_processes_lose_and_duplicate_nothing(settings: Settings) -> None:
    Ledger(settings).close()  # create the tables before the race
    prefixes, count = ["p", "q", "r"], 12
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=_write_parties, args=(settings, p, count)) for p in prefixes
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=180)
        assert process.exitcode == 0
    _assert_all_recorded_once(settings, prefixes, count)


def test_a_conflicting_concurrent_decision_is_checked_again_not_overwritten(
    settings: Settings,
) -> None:
    # Two processes both see the SMB holding oversight and both try to relieve it; the ledger
    # must record exactly one relief and refuse the other, not record both.
    setup = Ledger(settings)
    setup.record(
        [*basics(), assign("smb", "c2000", "oversight", "2021-01-01")], recorded_by="clerk"
    )
    one, two = Ledger(settings), Ledger(settings)
    from tests.builders import decision

    relief = decision(
        "responsibility.relieved",
        party="smb",
        subject="c2000",
        role="oversight",
        effective_on="2021-06-01",
    )
    try:
        one.record([relief], recorded_by="one")
        with pytest.raises(RuleViolation, match="does not hold"):
            two.record([relief], recorded_by="two")  # `two` catches up before checking
    finally:
        for instance in (setup, one, two):
            instance.close()


def test_subject_registration_and_assignment_in_one_batch_see_each_other(ledger: Ledger) -> None:
    recorded = ledger.record(
        [
            *basics(),
            subject("gms", on="2021-01-01"),
            assign("korpschef", "gms", "responsible", "2021-01-01"),
        ],
        recorded_by="clerk",
    )
    assert recorded[-1].kind == "responsibility.assigned"


@pytest.mark.postgres
def test_a_writer_stalled_in_its_transaction_is_cut_off_and_frees_the_lock(
    postgres_settings: Settings,
) -> None:
    """A client that stops talking inside its write transaction (it holds the lock every
    writer needs) is cut off by PostgreSQL after the idle timeout: its transaction ends with
    nothing written, and a writer waiting for the lock records while the client still
    stalls."""
    stalled, other = Ledger(postgres_settings), Ledger(postgres_settings)
    try:
        stalled.record(basics(), recorded_by="clerk")
        stalled.db.idle_seconds = 1  # type: ignore[attr-defined]
        done = threading.Event()

        def record_meanwhile() -> None:
            other.record([party("lms", kind="agency")], recorded_by="clerk")
            done.set()

        writer = threading.Thread(target=record_meanwhile)

        def stall() -> None:
            with stalled.db.write() as tables:
                tables.execute("INSERT INTO {p}ledger_meta VALUES ('stalled', 'x')")
                writer.start()
                assert done.wait(15), "the waiting writer never got the lock"
                tables.head()  # the client wakes up: its session is gone

        with pytest.raises(Exception, match="idle-in-transaction timeout"):
            stall()
        writer.join()
        assert stalled.head == other.head == len(basics()) + 1  # the pool recovered
        with stalled.reading() as tables:
            assert tables.one("SELECT value FROM {p}ledger_meta WHERE name = 'stalled'") is None
    finally:
        stalled.close()
        other.close()
