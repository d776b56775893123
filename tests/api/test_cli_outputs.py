"""`ledger matrix`, `diff`, `gaps` and `report` end to end on the letter's demo data."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from api.cli import app
from ledger.demo import load_demo
from ledger.service import Ledger
from ledger.settings import Settings

runner = CliRunner()


@pytest.fixture
def demo(env: Settings) -> Settings:
    ledger = Ledger(env)
    load_demo(ledger)
    ledger.close()
    return env


def test_matrix_as_csv_for_the_day_of_the_letter(demo: Settings) -> None:
    result = runner.invoke(app, ["matrix", "--as-of", "2022-02-03", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0][0] == "party" and len(rows) > 5
    dutch = runner.invoke(app, ["matrix", "--as-of", "2022-02-03", "--format", "csv", "--sep", ";"])
    assert dutch.exit_code == 0, dutch.output
    assert list(csv.reader(io.StringIO(dutch.stdout.removeprefix("\ufeff")), delimiter=";")) == rows
    assert runner.invoke(app, ["matrix", "--format", "csv", "--sep", "|"]).exit_code == 2


def test_matrix_refuses_an_unknown_format(demo: Settings) -> None:
    result = runner.invoke(app, ["matrix", "--format", "pdf"])
    assert result.exit_code == 2 and "--format must be one of" in result.output


def test_gaps_show_the_inspectorates_findings_in_data_form(demo: Settings) -> None:
    result = runner.invoke(app, ["gaps", "--as-of", "2022-04-15", "--format", "json"])
    rules = {g["rule"] for g in json.loads(result.stdout)["gaps"]}
    assert {"no_acceptance_criteria", "risk_not_assessed", "commitment_overdue"} <= rules


def test_diff_between_two_dates_as_json(demo: Settings) -> None:
    result = runner.invoke(
        app, ["diff", "--from", "2020-06-30", "--to", "2022-02-03", "--format", "json"]
    )
    changes = json.loads(result.stdout)["changes"]
    assert changes and all(c["change"] == "added" for c in changes)
    assert all(c["causes"] for c in changes)


def test_report_writes_an_evaluation_pack(demo: Settings, tmp_path: Path) -> None:
    target = tmp_path / "pack.xlsx"
    result = runner.invoke(
        app, ["report", "--as-of", "2022-04-15", "--compare", "2021-06-01", "-o", str(target)]
    )
    assert result.exit_code == 0, result.output
    book = load_workbook(target)
    assert book.sheetnames[:2] == ["Voorblad", "Matrix"]
    assert {
        "Lacunes",
        "Voortgang",
        "Per onderwerp",
        "Risico's",
        "Aanbevelingen",
        "Toezeggingen",
        "Besluiten",
    } <= set(book.sheetnames)
    cover = {row[0]: row[1] for row in book["Voorblad"].iter_rows(min_row=3, values_only=True)}
    assert cover["Peildatum"] == "2022-04-15" and cover["Ledger-positie"] == 114
    assert cover["Vergeleken met"] == "2021-06-01"
    progress = [r[0] for r in book["Voortgang"].iter_rows(values_only=True)]
    assert progress[0] == "Voortgang governance meldkamers, 2021-06-02 tot en met 2022-04-15"
    decisions = book["Besluiten"]
    assert decisions.column_dimensions["B"].width == 60  # long text: wide, and wrapped
    header = [c.value for c in next(decisions.iter_rows(max_row=1))]
    assert header == ["Datum", "Besluit", "Door", "Bron", "Motivering", "#"]
    html = tmp_path / "pack.html"
    assert runner.invoke(app, ["report", "--as-of", "2022-04-15", "-o", str(html)]).exit_code == 0
    assert "Evaluatiepakket" in html.read_text()


def test_who_answers_with_the_decisions_and_sources_behind_a_role(demo: Settings) -> None:
    question = ["--subject", "beheer-meldkamers", "--role", "accountable"]
    args = ["who", *question, "--as-of", "2021-03-01"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "korpschef — accountable voor beheer-meldkamers, sinds 2020-07-01" in result.stdout
    assert "Wijzigingswet meldkamers" in result.stdout
    before = runner.invoke(app, [*args[:-1], "2020-06-30"])
    assert "niemand" in before.stdout
