"""The CSV matrix never hands a spreadsheet a formula: a field that begins with `=`, `+`, `-`,
`@`, a tab or a carriage return is prefixed with a single quote (OWASP, "CSV injection")."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest

from domain.governance import Party, Subject
from domain.vocabulary import PartyKind, SubjectKind
from projections.exports import matrix_csv
from projections.matrix import Matrix

RISKY = ["=1+2", "+31 20", "-2+3", "@SUM(A1)", "\tx", "\rx"]


def _matrix(party_ids: list[str], subject_ids: list[str]) -> Matrix:
    day = date(2022, 2, 3)
    return Matrix(
        as_of=day,
        known_at=datetime(2022, 2, 3, tzinfo=UTC),
        ledger_head=1,
        parties=[Party(i, i, PartyKind.BOARD, None, day) for i in party_ids],
        subjects=[Subject(i, i, SubjectKind.SYSTEM, None, day) for i in subject_ids],
    )


def _read(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.mark.parametrize("value", RISKY)
def test_a_field_a_spreadsheet_would_run_begins_with_a_single_quote(value: str) -> None:
    text = matrix_csv(_matrix([value], [value]))
    # as a column head and as a row head; never without its quote
    assert text.count("'" + value) == 2
    assert text.count(value) == 2


def test_ordinary_fields_are_written_as_they_are() -> None:
    rows = _read(matrix_csv(_matrix(["smb", "korpschef"], ["c2000", "a=b"])))
    assert rows == [["party", "c2000", "a=b"], ["smb", "", ""], ["korpschef", "", ""]]
