"""Import validates a whole file before recording it atomically; export and restore reproduce a
ledger exactly, also from SQLite into PostgreSQL."""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest

from domain.errors import InvalidDecision, RuleViolation
from domain.events import LEDGER_STREAM_ID
from ledger.integrity import chain_hash, verify_report
from ledger.service import Ledger
from ledger.settings import Settings
from ledger.transfer import read_decisions, read_export, write_export
from tests.builders import assign, basics, decision
from tests.conftest import POSTGRES_URL, _drop_schema


def jsonl(*rows: object) -> io.BytesIO:
    return io.BytesIO(b"".join(orjson.dumps(r) + b"\n" for r in rows))


def a_history(ledger: Ledger) -> None:
    first = ledger.record(
        [*basics(), assign("smb", "c2000", "oversight", "2021-01-01")],
        recorded_by="clerk",
        idempotency_key="k1",
    )
    ledger.record(
        [
            decision(
                "decision.corrected",
                corrects=str(first[-1].id),
                replacement=first[-1].decision.model_dump(mode="json")
                | {"effective_on": "2021-02-01"},
            ),
            decision("decision.retracted", retracts=str(first[-2].id), reason="Dubbel geboekt"),
        ],
        recorded_by="auditor",
    )


def test_every_bad_line_is_reported_with_its_number_and_field() -> None:
    good = basics()[0].model_dump(mode="json")
    stream = io.BytesIO(
        jsonl(good, {**good, "party": "Not A Slug"}, {"kind": "nope"}).getvalue()
        + b"{broken json\n"
    )
    with pytest.raises(InvalidDecision) as caught:
        read_decisions(stream)
    fields = [p.field for p in caught.value.problems]
    assert fields == ["line 2: party", "line 3: kind", "line 4"]


def test_an_import_is_all_or_nothing(ledger: Ledger) -> None:
    rows = [d.model_dump(mode="json") for d in basics()]
    rows.append(assign("ghost", "c2000", "accountable", "2021-01-01").model_dump(mode="json"))
    with pytest.raises(RuleViolation) as caught:
        ledger.record(read_decisions(jsonl(*rows)), recorded_by="import")
    assert caught.value.decision_index == len(rows) - 1
    assert ledger.head == 0


def test_export_then_restore_into_an_empty_ledger_reproduces_it_exactly(settings: Settings) -> None:
    original = Ledger(settings)
    a_history(original)
    buffer = io.BytesIO()
    write_export(original, buffer)
    buffer.seek(0)
    copy = Ledger(Settings(data_dir=settings.data_dir / "copy"))
    try:
        assert copy.restore(read_export(buffer)) == original.head
        assert copy.log(limit=1000) == original.log(limit=1000)
        assert [r.to_json() for r in copy.export()] == [r.to_json() for r in original.export()]
        # the idempotency keys came along: a retry against the copy records nothing new
        assert (
            copy.record(
                [*basics(), assign("smb", "c2000", "oversight", "2021-01-01")],
                recorded_by="clerk",
                idempotency_key="k1",
            )[0].position
            == 1
        )
    finally:
        original.close()
        copy.close()


def test_a_sqlite_ledger_restored_into_postgresql_equals_the_original(tmp_path: Path) -> None:
    sqlite = Ledger(Settings(data_dir=tmp_path))
    a_history(sqlite)
    buffer = io.BytesIO()
    write_export(sqlite, buffer)
    buffer.seek(0)
    schema = f"t_{uuid.uuid4().hex[:16]}"
    postgres = Ledger(Settings(database_url=f"{POSTGRES_URL}?schema={schema}"))
    try:
        postgres.restore(read_export(buffer))
        assert postgres.log(limit=1000) == sqlite.log(limit=1000)
        reopened = Ledger(Settings(database_url=f"{POSTGRES_URL}?schema={schema}"))
        assert [r.to_json() for r in reopened.export()] == [r.to_json() for r in sqlite.export()]
        reopened.close()
    finally:
        postgres.close()
        sqlite.close()
        _drop_schema(schema)


def test_restore_refuses_a_ledger_that_is_not_empty(ledger: Ledger) -> None:
    a_history(ledger)
    buffer = io.BytesIO()
    write_export(ledger, buffer)
    buffer.seek(0)
    with pytest.raises(RuleViolation, match="empty ledger only"):
        ledger.restore(read_export(buffer))


def test_restore_refuses_gaps_in_positions(settings: Settings, tmp_path: Path) -> None:
    source = Ledger(Settings(data_dir=tmp_path / "source"))
    a_history(source)
    records = list(source.export())
    source.close()
    target = Ledger(settings)
    try:
        with pytest.raises(RuleViolation, match="positions must run"):
            target.restore([records[0], records[2]])
        assert target.head == 0
    finally:
        target.close()


def test_restore_refuses_an_export_whose_content_breaks_the_rules(
    settings: Settings, tmp_path: Path
) -> None:
    source = Ledger(Settings(data_dir=tmp_path / "source"))
    a_history(source)
    lines = [r.to_json() for r in source.export()]
    source.close()
    lines[5]["decision"]["party"] = "ghost"  # a forged assignment to an unknown party
    target = Ledger(settings)
    try:
        with pytest.raises(RuleViolation, match="ghost"):
            target.restore(read_export(jsonl(*lines)))
        assert target.head == 0
    finally:
        target.close()


def test_a_restore_after_a_rolled_back_write_chains_the_same_hashes(
    settings: Settings, tmp_path: Path
) -> None:
    """A write that stored events and then rolled back (a restore killed after its first
    chunk) takes PostgreSQL's event numbers for good; the hash chain covers them, so a
    restore into that store must number from 1 again to chain what the original chained."""
    original = Ledger(settings)
    try:
        a_history(original)
        buffer = io.BytesIO()
        write_export(original, buffer)
        head_hash = chain_hash(original, original.head)
        events = [
            original.store.mapper.to_stored_event(e)
            for e in original.store.events.get(LEDGER_STREAM_ID)
        ]
    finally:
        original.close()
    if settings.database_url is None:
        beside = Settings(data_dir=tmp_path / "copy")
    else:
        beside = Settings(database_url=settings.database_url.replace("?schema=", "?schema=c_"))
    copy = Ledger(beside)
    try:
        with pytest.raises(RuntimeError):
            _stored_then_rolled_back(copy, events[:3])
        assert copy.head == 0
        buffer.seek(0)
        assert copy.restore(read_export(buffer)) == len(events)
        assert verify_report(copy)["ok"] is True
        assert chain_hash(copy, copy.head) == head_hash
    finally:
        copy.close()
        if beside.database_url is not None:
            _drop_schema(beside.database_url.split("schema=", 1)[1])


def _stored_then_rolled_back(ledger: Ledger, events: list[Any]) -> None:
    with ledger.db.write() as tables:
        ledger.store.insert_in(tables, events)
        raise RuntimeError("killed")
