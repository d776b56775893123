"""Writes of any size complete, all or nothing, on both backends.

A single PostgreSQL write of more than about 8 MB once waited for good in psycopg's pipeline
(and held the lock every writer needs); the ledger writes in bounded chunks inside one
transaction. Here: a batch of ~25 MB recorded at once, its export (~26 MB) restored, and a
restore killed with SIGKILL halfway, which leaves nothing behind.
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from domain.decisions import Decision
from ledger.integrity import chain_hash, verify_report
from ledger.service import Ledger
from ledger.settings import Settings
from ledger.transfer import read_export, write_export
from tests import builders as b
from tests.tools.processes import ROOT, ledger_command, ledger_env

pytestmark = pytest.mark.slow

COUNT = 6_300
"""Decisions of ~4 KB each (a rationale of 4,000 characters): ~25 MB in one write."""


def _promises() -> list[Decision]:
    rationale = ("De minister zegt toe de Kamer te informeren over de voortgang. " * 70)[:4000]
    return [
        b.decision(
            "commitment.made",
            commitment=f"toezegging-{i}",
            promise=f"Voortgangsbrief {i}",
            due_on="2022-07-01",
            decided_by=["minister-jenv"],
            rationale=rationale,
        )
        for i in range(COUNT)
    ]


def _settings_beside(settings: Settings, name: str, tmp_path: Path) -> Settings:
    """Another empty ledger on the same backend (a second schema on PostgreSQL)."""
    if settings.database_url is None:
        return Settings(database_url=None, data_dir=tmp_path / name)
    url = settings.database_url.replace("?schema=", f"?schema={name}_")
    return Settings(database_url=url, data_dir=tmp_path / name)


def test_a_25_mb_batch_and_its_restore_complete_whole(settings: Settings, tmp_path: Path) -> None:
    ledger = Ledger(settings)
    try:
        ledger.record(b.basics(), recorded_by="test")
        recorded = ledger.record(_promises(), recorded_by="test")
        assert len(recorded) == COUNT and ledger.head == COUNT + len(b.basics())
        export = tmp_path / "backup.jsonl"
        with export.open("wb") as out:
            write_export(ledger, out)
        assert export.stat().st_size > 25_000_000
    finally:
        ledger.close()
    copy_settings = _settings_beside(settings, "copy", tmp_path)
    copy = Ledger(copy_settings)
    try:
        with export.open("rb") as source:
            assert copy.restore(read_export(source)) == COUNT + len(b.basics())
        assert verify_report(copy)["ok"] is True
        assert [r.to_json() for r in copy.export()][-1]["decision"]["commitment"] == (
            f"toezegging-{COUNT - 1}"
        )
    finally:
        copy.close()
        _drop(copy_settings)


def test_a_restore_killed_halfway_leaves_nothing_behind(settings: Settings, tmp_path: Path) -> None:
    source = Ledger(settings)
    export = tmp_path / "backup.jsonl"
    try:
        source.record(b.basics(), recorded_by="test")
        source.record(_promises(), recorded_by="test")
        with export.open("wb") as out:
            write_export(source, out)
        head_hash = chain_hash(source, source.head)
    finally:
        source.close()
    target = _settings_beside(settings, "target", tmp_path)
    try:
        Ledger(target).close()  # (its tables made, so the restore starts writing at once)
        process = subprocess.Popen(
            ledger_command("import", "--restore", str(export)),
            env=ledger_env(target),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(3)  # into the restore (which takes several seconds more)
        assert process.poll() is None, "the restore ended before it could be killed"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        after = Ledger(target)  # (waits, if need be, until the server has ended the transaction)
        try:
            assert after.head == 0
            assert verify_report(after)["ok"] is True
            with export.open("rb") as again:  # and the restore can simply be run again
                assert after.restore(read_export(again)) == COUNT + len(b.basics())
            assert verify_report(after)["ok"] is True
            # the same chain as the ledger restored: the killed restore's numbers are not
            # skipped (a signed checkpoint of the original verifies against this one)
            assert chain_hash(after, after.head) == head_hash
        finally:
            after.close()
    finally:
        _drop(target)


def _drop(settings: Settings) -> None:
    if settings.database_url is not None:
        from tests.conftest import _drop_schema

        _drop_schema(settings.postgres_schema)
