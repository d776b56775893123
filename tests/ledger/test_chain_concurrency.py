"""Concurrent writers, in threads and in processes, leave one valid chain over every event."""

from __future__ import annotations

import multiprocessing
import threading
from uuid import uuid4

import pytest
from eventsourcing.persistence import StoredEvent

from ledger import integrity
from ledger.service import Ledger
from ledger.settings import Settings
from tests.builders import party


def _record_parties(settings: Settings, prefix: str, batches: int) -> None:
    ledger = Ledger(settings)
    try:
        for i in range(batches):
            size = 1 + i % 3  # batch writes of one to three events
            ledger.record([party(f"{prefix}-{i}-{j}") for j in range(size)], recorded_by=prefix)
    finally:
        ledger.close()


def _expected_events(batches: int) -> int:
    return sum(1 + i % 3 for i in range(batches))


def test_writer_threads_on_several_streams_leave_a_valid_chain(settings: Settings) -> None:
    Ledger(settings).close()  # create the tables once
    batches, errors = 12, []
    other_stream_events = 3 * 4

    def decisions(name: str) -> None:
        try:
            _record_parties(settings, name, batches)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    def other_stream() -> None:
        # Another stream of the same application (e.g. access tokens, later): chained too.
        ledger = Ledger(settings)
        try:
            for _ in range(3):
                oid = uuid4()
                ledger._store.recorder.insert_events(
                    [StoredEvent(oid, v, "tests:Other", b"{}") for v in range(1, 5)]
                )
        except Exception as error:  # pragma: no cover
            errors.append(error)
        finally:
            ledger.close()

    threads = [threading.Thread(target=decisions, args=(f"t{n}",)) for n in range(3)]
    threads.append(threading.Thread(target=other_stream))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    result = integrity.verify(settings)
    assert result.ok, result.problem
    assert result.count == 3 * _expected_events(batches) + other_stream_events


@pytest.mark.slow
def test_writer_processes_leave_a_valid_chain(settings: Settings) -> None:
    Ledger(settings).close()
    batches = 8
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_record_parties, args=(settings, f"p{n}", batches)) for n in range(3)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=180)
    assert [w.exitcode for w in workers] == [0, 0, 0]
    result = integrity.verify(settings)
    assert result.ok, result.problem
    assert result.count == 3 * _expected_events(batches)
