"""The command line: import, export, restore, log, show, history and state, end to end."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from api.cli import app, main
from ledger.service import Ledger
from ledger.settings import Settings
from ledger.tables import MODEL
from tests.builders import assign, basics
from tests.tools.tampering import Attacker

runner = CliRunner()


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    return path


def letter(tmp_path: Path) -> Path:
    decisions = [*basics(), assign("korpschef", "c2000", "responsible", "2020-07-01")]
    return write_jsonl(tmp_path / "letter.jsonl", [d.model_dump(mode="json") for d in decisions])


def test_import_records_a_file_and_log_lists_it(env: Settings, tmp_path: Path) -> None:
    result = runner.invoke(app, ["import", str(letter(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "recorded 6 decision(s)" in result.output
    listing = runner.invoke(app, ["log", "--json"])
    kinds = [json.loads(line)["decision"]["kind"] for line in listing.stdout.splitlines()]
    assert kinds[-1] == "responsibility.assigned" and len(kinds) == 6


def test_a_bad_file_is_refused_whole_with_line_and_field(env: Settings, tmp_path: Path) -> None:
    rows = [d.model_dump(mode="json") for d in basics()]
    rows[2]["effective_on"] = "2021-02-30"
    result = runner.invoke(app, ["import", str(write_jsonl(tmp_path / "bad.jsonl", rows))])
    assert result.exit_code == 1
    assert "line 3: effective_on" in result.output
    assert runner.invoke(app, ["log", "--json"]).stdout == ""


def test_export_and_restore_round_trip_through_stdout_and_stdin(
    env: Settings, tmp_path: Path
) -> None:
    runner.invoke(app, ["import", str(letter(tmp_path))])
    exported = runner.invoke(app, ["export", "-"]).stdout
    assert len(exported.splitlines()) == 6
    target = tmp_path / "restored"
    restored = CliRunner().invoke(
        app,
        ["import", "--restore", "-"],
        input=exported,
        env={"LEDGER_DATA_DIR": str(target), "LEDGER_DATABASE_URL": ""},
    )
    assert restored.exit_code == 0, restored.output
    again = CliRunner().invoke(
        app, ["export", "-"], env={"LEDGER_DATA_DIR": str(target), "LEDGER_DATABASE_URL": ""}
    )
    assert again.stdout == exported


def test_state_prints_the_governance_as_of_a_date_as_json(env: Settings, tmp_path: Path) -> None:
    runner.invoke(app, ["import", str(letter(tmp_path))])
    result = runner.invoke(app, ["state", "--as-of", "2021-03-01", "--known-at", "2100-01-01"])
    assert result.exit_code == 0, result.output
    state = json.loads(result.stdout)
    assert [(r["party"], r["subject"], r["role"]) for r in state["responsibilities"]] == [
        ("korpschef", "c2000", "responsible")
    ]
    before = json.loads(runner.invoke(app, ["state", "--as-of", "2020-06-30"]).stdout)
    assert before["responsibilities"] == [] and before["parties"] == []


def test_state_refuses_a_malformed_date(env: Settings) -> None:
    result = runner.invoke(app, ["state", "--as-of", "1 maart 2021"])
    assert result.exit_code == 2
    assert "not a date" in result.output


def test_show_and_history(env: Settings, tmp_path: Path) -> None:
    runner.invoke(app, ["import", str(letter(tmp_path))])
    first = json.loads(runner.invoke(app, ["log", "--json"]).stdout.splitlines()[-1])
    shown = json.loads(runner.invoke(app, ["show", first["id"]]).stdout)
    assert shown["decision"] == first and shown["retraction"] is None
    history = runner.invoke(app, ["history", "--party", "korpschef"]).stdout.splitlines()
    assert [json.loads(h)["decision"]["kind"] for h in history] == [
        "party.registered",
        "responsibility.assigned",
    ]
    missing = runner.invoke(app, ["show", "00000000-0000-0000-0000-000000000000"])
    assert missing.exit_code == 1 and "no decision with id" in missing.output


def test_a_bad_setting_is_named_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEDGER_DATABASE_URL", "mysql://somewhere/ledger")
    monkeypatch.setattr(sys, "argv", ["ledger", "log"])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 2
    error = capsys.readouterr().err
    assert "must start with postgresql://" in error and "Traceback" not in error


def _run_main(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["ledger", *args])
    with pytest.raises(SystemExit) as exit_:
        main()
    return int(exit_.value.code or 0)


def test_a_store_held_by_another_writer_is_named_busy_without_a_traceback(
    env: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("LEDGER_LOCK_TIMEOUT", "1")
    holder = Ledger(env)
    try:
        with holder.db.write():  # another process's long write
            code = _run_main(monkeypatch, "import", str(letter(tmp_path)))
    finally:
        holder.close()
    error = capsys.readouterr().err
    assert code == 1
    assert "the store is busy or cannot be reached" in error and "Traceback" not in error
    assert runner.invoke(app, ["log", "--json"]).stdout == ""


def test_a_store_with_a_missing_position_is_named_without_a_traceback(
    env: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    runner.invoke(app, ["import", str(letter(tmp_path))])
    Attacker(env).delete_event(3)
    code = _run_main(monkeypatch, "projections", "rebuild")
    error = capsys.readouterr().err
    assert code == 1
    assert "no decision at position 3" in error and "ledger verify" in error
    assert "Traceback" not in error


def test_tables_of_another_version_are_rebuilt_once(
    env: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`ledger projections rebuild` on a ledger whose tables another version made builds them
    once (opening the ledger would otherwise build them first, and the command again)."""
    runner.invoke(app, ["import", str(letter(tmp_path))])
    ledger = Ledger(env)
    try:
        with ledger.db.write() as tables:
            tables.set_model(MODEL - 1)
    finally:
        ledger.close()
    builds: list[int] = []
    build = Ledger._build
    monkeypatch.setattr(
        Ledger, "_build", lambda self, *a, **k: builds.append(1) or build(self, *a, **k)
    )
    assert _run_main(monkeypatch, "projections", "rebuild") == 0
    assert builds == [1]
    ledger = Ledger(env)
    try:
        with ledger.db.read() as tables:
            assert tables.model() == MODEL
    finally:
        ledger.close()


def test_a_store_with_a_missing_position_is_still_exported_for_forensics(
    env: Settings, tmp_path: Path
) -> None:
    """An operator saves what is left of a broken store: every decision still there, a warning
    naming the missing position, and exit code 1 (such a file cannot be restored as it is) —
    also when the tables would have to be built again first, which a gap stops."""
    runner.invoke(app, ["import", str(letter(tmp_path))])
    ledger = Ledger(env)
    try:
        with ledger.db.write() as tables:
            tables.set_model(MODEL - 1)  # (opening it would build the tables again)
    finally:
        ledger.close()
    Attacker(env).delete_event(3)
    target = tmp_path / "left.jsonl"
    result = runner.invoke(app, ["export", str(target)])
    assert result.exit_code == 1
    assert "no decision at 1 position(s) (3)" in result.stderr and "forensics" in result.stderr
    lines = [orjson.loads(line) for line in target.read_bytes().splitlines()]
    assert [line["position"] for line in lines] == [1, 2, 4, 5, 6]
