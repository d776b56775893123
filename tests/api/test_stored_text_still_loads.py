"""The stricter text checks are for new decisions only: a ledger that stored a bidi override or a
C1 control before they existed still loads, answers, exports and restores."""

from __future__ import annotations

from pathlib import Path

import orjson
from typer.testing import CliRunner

from api.cli import app
from domain.decisions import PartyRegistration
from ledger.service import Ledger
from ledger.settings import Settings

NAME = "Strategisch\u202e Meldkamer\x85 Beraad"


def _stored_before_the_check(settings: Settings) -> None:
    # validated as a stored event is (no context): the checks for new input do not run
    old = PartyRegistration.model_validate(
        {
            "party": "smb",
            "name": NAME,
            "party_kind": "board",
            "decided_by": ["smb"],
            "effective_on": "2020-07-01",
            "source": "Wijzigingswet\u200f meldkamers",
        }
    )
    ledger = Ledger(settings)
    try:
        ledger.record([old], recorded_by="clerk")
    finally:
        ledger.close()


def test_a_decision_stored_before_the_check_still_loads(settings: Settings) -> None:
    _stored_before_the_check(settings)
    ledger = Ledger(settings)  # a fresh process reads the stored event back
    try:
        (item,) = ledger.recorded()
        assert item.decision.name == NAME  # type: ignore[attr-defined]
    finally:
        ledger.close()


def test_such_a_ledger_still_exports_and_restores(env: Settings, tmp_path: Path) -> None:
    _stored_before_the_check(env)
    runner = CliRunner()
    exported = runner.invoke(app, ["export", "-"])
    assert exported.exit_code == 0, exported.output
    (line,) = exported.stdout.rstrip("\n").split("\n")  # (str.splitlines breaks at U+0085)
    assert orjson.loads(line)["decision"]["name"] == NAME
    # a restore reproduces what was stored: it is not new input
    target = {"LEDGER_DATA_DIR": str(tmp_path / "restored"), "LEDGER_DATABASE_URL": ""}
    restored = runner.invoke(app, ["import", "--restore", "-"], input=exported.stdout, env=target)
    assert restored.exit_code == 0, restored.output
    assert runner.invoke(app, ["export", "-"], env=target).stdout == exported.stdout
