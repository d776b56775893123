# ruff: noqa: F811 - pytest fixtures imported from test_http_helpers
"""Text from the ledger stays text in every download: a name never becomes a spreadsheet
formula, nor Markdown markup.

The names below are what a careless or hostile clerk could register; each must come back out
exactly as written, and do nothing.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

from markdown_it import MarkdownIt
from openpyxl import load_workbook
from openpyxl.cell.cell import Cell

from tests.api.test_http_helpers import Api, api, basics, body  # noqa: F401 - the fixture

FORMULA = '=HYPERLINK("http://evil.example","x")'
HOSTILE_SUBJECTS = {
    "formule": FORMULA,
    "plus": "+31 20 1234567",
    "min": "-2+3",
    "apenstaart": "@SUM(A1:A2)",
    "tab": "=1+1\tna een tab",
}
HOSTILE_PARTY = "=cmd|' /C calc'!A0"
MARKUP = {
    "pijp": "links | rechts",
    "regel": "eerste\nregel",
    "code": "`code` en *nadruk* en _ook_",
    "html": "<img src=x onerror=alert(1)>",
    "kop": "# geen kop",
    "link": "[klik](http://evil.example)",
    "beeld": "![beeld](http://evil.example/x.png)",
}


def _record(api: Api, names: dict[str, str], party_name: str | None = None) -> None:
    decisions: list[dict[str, Any]] = list(basics())
    if party_name is not None:
        decisions.append(
            body(
                "party.registered",
                party="vreemd",
                name=party_name,
                party_kind="board",
                decided_by=["vreemd"],
                effective_on="2020-07-01",
            )
        )
    for slug, name in names.items():
        decisions.append(
            body(
                "subject.registered",
                subject=slug,
                name=name,
                subject_kind="system",
                effective_on="2020-07-01",
            )
        )
    response = api.batch(decisions)
    assert response.status_code == 201, response.text


def _cells(workbook: bytes) -> Iterator[tuple[str, Cell]]:
    book = load_workbook(io.BytesIO(workbook))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is not None:
                    yield sheet.title, cell  # type: ignore[misc]


def _no_formulas(workbook: bytes) -> None:
    formulas = [(title, c.coordinate) for title, c in _cells(workbook) if c.data_type == "f"]
    assert formulas == []


def test_a_name_that_looks_like_a_formula_is_a_string_cell_in_the_xlsx_matrix(api: Api) -> None:
    _record(api, HOSTILE_SUBJECTS, party_name=HOSTILE_PARTY)
    response = api.get("/v1/matrix", as_of="2022-02-03", format="xlsx")
    assert response.status_code == 200
    _no_formulas(response.content)
    shown = {c.value: c for title, c in _cells(response.content) if title == "Matrix"}
    for name in [*HOSTILE_SUBJECTS.values(), HOSTILE_PARTY]:
        assert name in shown, name
        assert shown[name].data_type == "s"


def test_ledger_text_is_never_a_formula_in_the_evaluation_pack(api: Api) -> None:
    # a subject nobody is accountable for is a gap: its name is in the gaps sheet too
    _record(api, HOSTILE_SUBJECTS, party_name=HOSTILE_PARTY)
    response = api.get("/v1/report", as_of="2022-02-03", format="xlsx")
    assert response.status_code == 200
    _no_formulas(response.content)
    gaps = [c.value for title, c in _cells(response.content) if title == "Lacunes"]
    assert any(FORMULA in str(value) for value in gaps)
    log = {c.value for title, c in _cells(response.content) if title == "Besluiten"}
    assert "Kamerstuk 25124-109" in log


def _rendered(markdown: str) -> str:
    return MarkdownIt("commonmark").enable("table").render(markdown)


def test_the_markdown_matrix_shows_each_name_as_plain_text_in_its_own_cell(api: Api) -> None:
    _record(api, MARKUP, party_name="[partij](http://evil.example) | <b>vet</b>")
    response = api.get("/v1/matrix", as_of="2022-02-03", format="md")
    assert response.status_code == 200
    html = _rendered(response.text)
    # no markup came through: no link, image, code, emphasis, raw HTML or extra heading
    for tag in ("<a ", "<img", "<code>", "<em>", "<strong>", "<b>", "<h2"):
        assert tag not in html, tag
    assert html.count("<h1>") == 1
    # one header cell a subject (and the party column): a `|` in a name adds no column
    header = re.search(r"<thead>(.*?)</thead>", html, re.S)
    assert header is not None
    subjects = len(MARKUP) + 2  # the basics register c2000 and nothing else of kind system
    assert header.group(1).count("<th>") == subjects
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    assert all(row.count("<td>") == subjects for row in rows[1:])


def test_the_markdown_matrix_still_reads_each_name_as_written(api: Api) -> None:
    _record(api, {"pijp": "links | rechts", "link": "[klik](http://evil.example)"})
    html = _rendered(api.get("/v1/matrix", as_of="2022-02-03", format="md").text)
    assert "links | rechts" in html
    assert "[klik](http://evil.example)" in html
