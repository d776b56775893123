"""`bench.pgcopy` copies a SQLite ledger into PostgreSQL as if it had been recorded there: the
chain verifies with the same head, every answer is the same, and recording goes on after it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import orjson
import pytest

from bench import pgcopy, serve, synthetic
from ledger import integrity
from ledger.service import Ledger
from ledger.settings import Settings
from projections.answers import Moment, Question
from tests.builders import party

DAYS = (date(2014, 6, 1), date(2017, 1, 1), date(2024, 1, 1))


def test_a_copied_ledger_verifies_answers_alike_and_records_on(
    postgres_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(synthetic, "PARTIES", 30)
    lite = Settings(database_url=None, data_dir=tmp_path / "lite")
    decisions = serve.build(lite, 400)
    assert postgres_settings.database_url is not None

    assert pgcopy.copy(lite.data_dir, postgres_settings.database_url) == decisions

    original, copied = integrity.verify(lite), integrity.verify(postgres_settings)
    assert copied.ok and copied.count == decisions
    assert copied.head_hash == original.head_hash
    known_at = datetime.now(UTC)
    answers = []
    for settings in (lite, postgres_settings):
        ledger = Ledger(settings)
        try:
            with ledger.reading() as tables:
                answers.append(
                    [
                        orjson.loads(
                            orjson.dumps(Question(tables, Moment(day, known_at)).state_json())
                        )
                        for day in DAYS
                    ]
                )
        finally:
            ledger.close()
    assert answers[0] == answers[1]
    assert len(answers[1][-1]["parties"]) > 0

    ledger = Ledger(postgres_settings)
    try:
        (recorded,) = ledger.record([party("nieuw", on="2024-02-01")], recorded_by="test")
    finally:
        ledger.close()
    assert recorded.position == decisions + 1
    assert integrity.verify(postgres_settings).ok
