"""The evaluation outputs and tamper evidence over HTTP: matrix (negotiated formats), diff,
gaps, evaluation pack, verification, checkpoints and proofs."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from ledger.integrity import create_checkpoint
from ledger.keys import init_keys, load_private_key
from ledger.service import Ledger
from tests.api.test_http_helpers import Api, api, basics, body  # noqa: F401 - the fixture
from tests.builders import basics as domain_basics


def governed(api: Api) -> None:  # noqa: F811
    response = api.batch(
        [
            *basics(),
            body(
                "responsibility.assigned",
                party="korpschef",
                subject="c2000",
                role="responsible",
                effective_on="2021-01-01",
            ),
            body(
                "responsibility.assigned",
                party="minister-jenv",
                subject="c2000",
                role="accountable",
                effective_on="2021-01-01",
            ),
            body(
                "responsibility.relieved",
                party="minister-jenv",
                subject="c2000",
                role="accountable",
                effective_on="2022-01-01",
            ),
        ]
    )
    assert response.status_code == 201, response.text


def test_the_matrix_as_json_traces_each_cell_to_its_sources(api: Api) -> None:  # noqa: F811
    governed(api)
    response = api.get("/v1/matrix", as_of="2021-06-01", known_at="2100-01-01")
    assert response.status_code == 200
    matrix = response.json()
    cells = {(c["party"], c["subject"]): c for c in matrix["cells"]}
    assert cells[("minister-jenv", "c2000")]["letters"] == "A"
    [decision] = cells[("korpschef", "c2000")]["roles"][0]["decisions"]
    assert matrix["sources"][decision]["source"] == "Kamerstuk 25124-109"
    # each source is listed once, and every one listed is some cell's
    referred = {i for c in matrix["cells"] for r in c["roles"] for i in r["decisions"]}
    assert set(matrix["sources"]) == referred


def test_the_matrix_format_follows_the_parameter_or_the_accept_header(api: Api) -> None:  # noqa: F811
    governed(api)
    as_csv = api.get("/v1/matrix", as_of="2021-06-01", format="csv")
    assert as_csv.headers["content-type"].startswith("text/csv")
    header = next(csv.reader(io.StringIO(as_csv.text)))
    assert header[0] == "party"
    dutch = api.get("/v1/matrix", as_of="2021-06-01", format="csv", sep=";")
    assert dutch.content.startswith(b"\xef\xbb\xbfparty;")
    rows = list(csv.reader(io.StringIO(dutch.text.removeprefix("\ufeff")), delimiter=";"))
    assert rows == list(csv.reader(io.StringIO(as_csv.text)))
    assert api.get("/v1/matrix", format="csv", sep="|").status_code == 422
    xlsx = api.client.get(
        "/v1/matrix",
        params={"as_of": "2021-06-01"},
        headers={
            **api.auth("evaluator"),
            "Accept": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        },
    )
    assert xlsx.status_code == 200
    assert load_workbook(io.BytesIO(xlsx.content)).sheetnames[0] == "Matrix"
    refused = api.client.get("/v1/matrix", headers={**api.auth("evaluator"), "Accept": "image/png"})
    assert refused.status_code == 406
    assert refused.headers["content-type"] == "application/problem+json"
    bad = api.get("/v1/matrix", format="pdf")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.format"


def test_the_diff_names_the_relief_that_removed_a_role(api: Api) -> None:  # noqa: F811
    governed(api)
    response = api.get("/v1/matrix/diff", **{"from": "2021-06-01", "to": "2022-06-01"})
    [change] = response.json()["changes"]
    assert (change["party"], change["change"], change["before"]) == (
        "minister-jenv",
        "removed",
        "A",
    )
    assert change["causes"][0]["kind"] == "responsibility.relieved"
    assert api.get("/v1/matrix/diff", **{"from": "juni"}).status_code == 422


def test_the_gap_report_lists_the_subject_left_without_accountable(api: Api) -> None:  # noqa: F811
    governed(api)
    gaps = api.get("/v1/gaps", as_of="2022-06-01").json()["gaps"]
    assert [(g["rule"], g["id"], g["since"]) for g in gaps] == [
        ("no_accountable", "c2000", "2022-01-01")
    ]
    assert api.get("/v1/gaps", as_of="2021-06-01").json()["gaps"] == []
    assert api.client.get("/v1/gaps").status_code == 401


def test_the_evaluation_pack_downloads_as_xlsx(api: Api) -> None:  # noqa: F811
    governed(api)
    response = api.get("/v1/report", as_of="2022-06-01", compare="2021-06-01")
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    assert "Voorblad" in load_workbook(io.BytesIO(response.content)).sheetnames


def test_verify_checkpoint_and_proof_over_http(api: Api, tmp_path: Path) -> None:  # noqa: F811
    governed(api)
    report = api.get("/v1/ledger/verify").json()
    assert report["ok"] is True
    assert api.get("/v1/ledger/checkpoints/latest").status_code == 404
    ledger = api.client.app.state.ledger  # type: ignore[attr-defined]
    private, _ = init_keys(tmp_path / "keys")
    create_checkpoint(ledger, load_private_key(private))
    digest = api.get("/v1/ledger/checkpoints/latest").json()
    assert digest["position"] >= 7
    decision_id = api.get("/v1/decisions").json()["items"][0]["id"]
    proof = api.get(f"/v1/decisions/{decision_id}/proof")
    assert proof.status_code == 200, proof.text
    assert api.get("/v1/decisions/00000000-0000-0000-0000-000000000000/proof").status_code == 404


def test_who_was_accountable_on_a_date_as_known_then_with_sources(api: Api) -> None:  # noqa: F811
    # The secretariat records that the korpschef is accountable for C2000 from 1 January 2021.
    first = api.batch(
        [
            *basics(),
            body(
                "responsibility.assigned",
                party="korpschef",
                subject="c2000",
                role="accountable",
                effective_on="2021-01-01",
                source="Besluit SMB 2020-12",
            ),
        ]
    ).json()["decisions"]
    known_then = first[-1]["recorded_at"]
    # Later it turns out the minister was accountable; the entry is corrected.
    wrong = first[-1]
    replacement = {k: wrong["decision"][k] for k in wrong["decision"]} | {
        "party": "minister-jenv",
        "source": "Kamerstuk 25124-109",
    }
    assert (
        api.post(
            body("decision.corrected", corrects=wrong["id"], replacement=replacement)
        ).status_code
        == 201
    )
    question = {"subject": "c2000", "role": "accountable", "as_of": "2021-03-01"}

    def ask(**params: str) -> list[dict[str, Any]]:
        found = api.client.get("/v1/responsibilities", params=params, headers=api.auth("evaluator"))
        assert found.status_code == 200, found.text
        items: list[dict[str, Any]] = found.json()["items"]
        return items

    then = ask(known_at=known_then, **question)
    now = ask(**question)
    assert [(i["party"], i["sources"][0]["source"]) for i in then] == [
        ("korpschef", "Besluit SMB 2020-12")
    ]
    assert [(i["party"], i["sources"][0]["source"]) for i in now] == [
        ("minister-jenv", "Kamerstuk 25124-109")
    ]
    bad = api.client.get(
        "/v1/responsibilities", params={"role": "boss"}, headers=api.auth("evaluator")
    )
    assert bad.status_code == 422


def test_a_decision_recorded_by_another_process_is_answered_at_once(api: Api) -> None:  # noqa: F811
    """The server keeps nothing in memory that another writer could make stale: what another
    process recorded is in its very next answer."""
    served: Ledger = api.client.app.state.ledger  # type: ignore[attr-defined]
    other = Ledger(served.settings)
    try:
        other.record(domain_basics(), recorded_by="elsewhere")
    finally:
        other.close()
    subjects = api.get("/v1/subjects", as_of="2021-01-01").json()["items"]
    assert {s["id"] for s in subjects} == {"c2000", "informatiebeveiliging"}


def many_gaps(api: Api) -> None:  # noqa: F811
    """Six subjects nobody is accountable for, two risks never assessed."""
    decisions = [
        *basics(),
        *(
            body(
                "subject.registered",
                subject=f"meldkamer-{n}",
                name=f"Meldkamer {n}",
                subject_kind="meldkamer",
                effective_on="2020-07-01",
            )
            for n in range(5)
        ),
        *(body("risk.identified", risk=f"r{n}", system="c2000", title=f"R{n}") for n in range(2)),
    ]
    assert api.batch(decisions).status_code == 201


def test_the_gap_report_comes_a_page_at_a_time_with_counts_per_rule(api: Api) -> None:  # noqa: F811
    many_gaps(api)
    whole = api.get("/v1/gaps", as_of="2022-06-01").json()
    assert whole["counts"] == {
        "no_accountable": 6,
        "no_acceptance_criteria": 1,
        "risk_not_assessed": 2,
    }
    assert whole["next"] is None and len(whole["gaps"]) == 9
    pages, after = [], None
    while True:
        params = {"as_of": "2022-06-01", "limit": "3"} | ({"after": after} if after else {})
        page = api.get("/v1/gaps", **params).json()
        assert page["counts"] == whole["counts"]
        pages.extend(page["gaps"])
        after = page["next"]
        if after is None:
            break
    assert pages == whole["gaps"]
    assert api.get("/v1/gaps", as_of="2022-06-01", after="%%%").status_code == 422
    assert api.get("/v1/gaps", as_of="2022-06-01", limit="0").status_code == 422


def test_the_gap_report_filters_by_rule_about_subject_and_party(api: Api) -> None:  # noqa: F811
    many_gaps(api)

    def ids(**params: str) -> list[tuple[str, str]]:
        found = api.get("/v1/gaps", as_of="2022-06-01", **params).json()["gaps"]
        return [(g["rule"], g["id"]) for g in found]

    assert ids(rule="risk_not_assessed") == [
        ("risk_not_assessed", "r0"),
        ("risk_not_assessed", "r1"),
    ]
    assert ids(about="risk") == ids(rule="risk_not_assessed")
    assert ids(subject="c2000") == [
        ("no_accountable", "c2000"),
        ("no_acceptance_criteria", "c2000"),
        ("risk_not_assessed", "r0"),
        ("risk_not_assessed", "r1"),
    ]
    assert ids(party="smb") == []
    counted = api.get("/v1/gaps", as_of="2022-06-01", rule="risk_not_assessed").json()["counts"]
    assert counted["no_accountable"] == 6  # (counts: under the other filters only)
    assert api.get("/v1/gaps", rule="no_such_rule").status_code == 422


def test_csv_and_xlsx_answers_are_sent_as_they_are_made(api: Api) -> None:  # noqa: F811
    """A large matrix is not built whole before it is sent: CSV goes out a line at a time, a
    workbook a chunk of its file at a time (no Content-Length: the size is not known ahead)."""
    governed(api)
    for fmt in ("csv", "xlsx"):
        with api.client.stream(
            "GET",
            "/v1/matrix",
            params={"as_of": "2021-06-01", "format": fmt},
            headers=api.auth("evaluator"),
        ) as response:
            assert response.status_code == 200
            assert "content-length" not in response.headers
            pieces = list(response.iter_raw())
        body = b"".join(pieces)
        if fmt == "csv":
            assert len(pieces) == body.count(b"\n")  # one piece a line
            assert body.startswith(b"party,")
        else:
            assert "Matrix" in load_workbook(io.BytesIO(body)).sheetnames


def test_json_markdown_and_html_answers_are_sent_whole_with_their_length(
    api: Api,  # noqa: F811
) -> None:
    """A JSON, Markdown or HTML matrix is made whole before it is sent (a document is not
    valid until its end), so it goes out in one piece with its Content-Length: no chunked
    framing, and a client knows how much is coming."""
    governed(api)
    for fmt in ("json", "md", "html"):
        response = api.get("/v1/matrix", as_of="2021-06-01", format=fmt)
        assert response.status_code == 200
        assert "transfer-encoding" not in response.headers
        assert int(response.headers["content-length"]) == len(response.content) > 0
