"""Roles down the subject tree, asked over HTTP on the demo (both backends): who was accountable
for C2000 on 1 March 2021, as known then and as known now; the matrix in every format marks the
inherited role; the gap rules count it."""

from __future__ import annotations

import csv
import io

import openpyxl
from fastapi.testclient import TestClient

MARCH_2021 = {"as_of": "2021-03-01"}
THEN = {**MARCH_2021, "known_at": "2021-03-01"}


def test_c2000_had_nobody_accountable_as_known_then_and_the_minister_as_known_now(
    demo_api: TestClient,
) -> None:
    asked = {"subject": "c2000", "role": "accountable"}
    then = demo_api.get("/v1/responsibilities", params={**THEN, **asked})
    assert then.status_code == 200, then.text
    assert then.json()["items"] == []
    gaps = demo_api.get("/v1/gaps", params={**THEN, "subject": "c2000"}).json()["gaps"]
    assert [g["rule"] for g in gaps if g["about"] == "subject"] == ["no_accountable"]
    assert "nor for a subject it is part of" in gaps[0]["message"]

    now = demo_api.get("/v1/responsibilities", params={**MARCH_2021, **asked}).json()["items"]
    assert [(i["party"], i["inherited_from"], i["since"]) for i in now] == [
        ("minister-jenv", "meldkamersystemen", "2017-12-31")
    ]
    (source,) = now[0]["sources"]
    assert (source["kind"], source["basis"]) == ("responsibility.assigned", "inferred")
    decision = demo_api.get(f"/v1/decisions/{source['decision']}").json()
    assert decision["current"]["subject"] == "meldkamersystemen"
    assert decision["decision"]["recorded_at"] > "2022-02-03"  # recorded after the letter
    gaps = demo_api.get("/v1/gaps", params={**MARCH_2021, "subject": "c2000"}).json()["gaps"]
    assert [g["rule"] for g in gaps if g["about"] == "subject"] == []


def test_a_subject_with_its_own_holder_does_not_inherit(demo_api: TestClient) -> None:
    """The SMB is accountable for the C2000 chain's security itself (from 2022-01-19): the
    minister's accountability for the systems above does not reach it; the centre and the
    periphery of C2000, which have no accountable party of their own, inherit the minister."""
    held = demo_api.get(
        "/v1/responsibilities", params={"as_of": "2022-02-03", "role": "accountable"}
    ).json()["items"]
    accountable = {i["subject"]: (i["party"], i.get("inherited_from")) for i in held}
    assert accountable["c2000-ketenbeveiliging"] == ("smb", None)
    assert accountable["c2000-centraal"] == ("minister-jenv", "meldkamersystemen")
    assert accountable["meldkamersystemen"] == ("minister-jenv", None)
    # a subject of another tree inherits nothing from it
    assert "continuiteit" not in accountable


def test_the_matrix_marks_inherited_roles_in_every_format(demo_api: TestClient) -> None:
    matrix = demo_api.get("/v1/matrix", params=MARCH_2021).json()
    cell = next(
        c for c in matrix["cells"] if (c["party"], c["subject"]) == ("minister-jenv", "c2000")
    )
    assert cell["letters"] == "(A)"
    assert cell["roles"][0]["inherited_from"] == "meldkamersystemen"
    text = demo_api.get("/v1/matrix", params={**MARCH_2021, "format": "csv", "sep": ","}).text
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    column = rows[0].index("c2000")
    minister = next(row for row in rows if row[0] == "minister-jenv")
    assert minister[column] == "(A*)"
    markdown = demo_api.get("/v1/matrix", params={**MARCH_2021, "format": "md"}).text
    assert "| \\(A\\*\\) |" in markdown and "\\(A\\) geërfd" in markdown
    html = demo_api.get("/v1/matrix", params={**MARCH_2021, "format": "html"}).text
    assert "(A*)" in html and "(A) geërfd" in html
    book = openpyxl.load_workbook(
        io.BytesIO(demo_api.get("/v1/matrix", params={**MARCH_2021, "format": "xlsx"}).content)
    )
    sheet = book["Matrix"]
    heads = [c.value for c in next(sheet.iter_rows(max_row=1))]
    minister = next(
        r for r in sheet.iter_rows(min_row=2) if r[0].value == "Minister van Justitie en Veiligheid"
    )
    marked = minister[heads.index("C2000 (missiekritisch communicatiesysteem)")]
    assert marked.value == "(A*)" and "geërfd van meldkamersystemen" in marked.comment.text
    assert "(A)" in [c.value for row in book["Legenda"].iter_rows() for c in row]
    then = demo_api.get("/v1/matrix", params={**THEN}).json()
    assert not [c for c in then["cells"] if c["subject"] == "c2000"]


def test_an_acceptance_by_the_party_accountable_by_inheritance_has_authority(
    demo_api: TestClient,
) -> None:
    """On 1 June 2022 the minister's acceptance for C2000's centre (accountable there by
    inheritance) raises no authority gap; the korpschef's for the chain does."""
    gaps = demo_api.get(
        "/v1/gaps", params={"as_of": "2022-06-01", "rule": "acceptance_without_authority"}
    ).json()["gaps"]
    assert [(g["id"], g["parties"], g["since"]) for g in gaps] == [
        ("c2000-keten-onvolledig-beveiligd", ["korpschef"], "2022-04-01")
    ]


def test_the_matrix_turns_in_csv_markdown_and_xlsx(demo_api: TestClient) -> None:
    """`turned=true`: subjects as rows, parties as columns, the same letters in each cell."""
    asked = {**MARCH_2021, "format": "csv", "sep": ","}
    plain = list(csv.reader(io.StringIO(demo_api.get("/v1/matrix", params=asked).text)))
    turned = list(
        csv.reader(io.StringIO(demo_api.get("/v1/matrix", params={**asked, "turned": "true"}).text))
    )
    assert turned[0][0] == "subject" and plain[0][0] == "party"
    assert sorted(turned[0][1:]) == sorted(row[0] for row in plain[1:])
    letters = {
        (row[0], party): row[i + 1] for row in turned[1:] for i, party in enumerate(turned[0][1:])
    }
    assert letters == {
        (subject, row[0]): row[i + 1] for row in plain[1:] for i, subject in enumerate(plain[0][1:])
    }
    assert letters[("c2000", "minister-jenv")] == "(A*)"
    markdown = demo_api.get("/v1/matrix", params={**MARCH_2021, "format": "md", "turned": "true"})
    assert "| onderwerp | " in markdown.text
    book = openpyxl.load_workbook(
        io.BytesIO(
            demo_api.get(
                "/v1/matrix", params={**MARCH_2021, "format": "xlsx", "turned": "true"}
            ).content
        )
    )
    rows = [[c.value for c in r] for r in book["Matrix"].iter_rows(min_row=2)]
    c2000 = next(r for r in rows if r[0] == "C2000 (missiekritisch communicatiesysteem)")
    heads = [c.value for c in next(book["Matrix"].iter_rows(max_row=1))]
    assert c2000[heads.index("Minister van Justitie en Veiligheid")] == "(A*)"
    page = demo_api.get("/downloads/matrix.xlsx", params={**MARCH_2021, "turned": "1"})
    assert page.status_code == 200
