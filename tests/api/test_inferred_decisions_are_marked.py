# ruff: noqa: F811 - pytest fixtures imported from test_http_helpers
"""A decision says whether its source states it or it was inferred from the source, and every
answer built on an inferred decision says so: the matrix (JSON, CSV, Markdown, HTML, XLSX), the
responsibilities, the pages. A correction can confirm an inference; as known before it, the
role was still an assumption."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime

import orjson
from openpyxl import load_workbook

from api.pages import COOKIE
from domain import decisions as d
from ledger.service import fingerprint
from tests.api.test_http_helpers import Api, api, basics, body  # noqa: F401

ASSUMED = "De brief noemt de minister niet; aangenomen op grond van zijn stelselrol"


def _assigned(basis: str | None) -> dict[str, object]:
    extra = {} if basis is None else {"basis": basis}
    return body(
        "responsibility.assigned",
        party="minister-jenv",
        subject="c2000",
        role="accountable",
        rationale=ASSUMED,
        **extra,
    )


def _record(api: Api, *decisions: dict[str, object]) -> list[str]:
    answer = api.batch([*basics(), *decisions])
    assert answer.status_code == 201, answer.text
    return [item["id"] for item in answer.json()["decisions"][len(basics()) :]]


def test_a_decision_is_stated_unless_it_says_it_was_inferred() -> None:
    assert d.decode_decision(_assigned(None)).basis == "stated"
    assert d.decode_decision(_assigned("inferred")).basis == "inferred"
    stored_before_basis_existed = {**_assigned(None), "effective_on": "2021-03-01"}
    assert d.decode_decision(stored_before_basis_existed).basis == "stated"


def test_a_retry_from_before_decisions_had_a_basis_still_matches_its_key() -> None:
    """The idempotency fingerprint of a stated decision is what it was before the field
    existed, so a client retrying across an upgrade is answered, not refused."""
    decision = d.decode_decision(_assigned(None))
    without = decision.model_dump(mode="json")
    del without["basis"], without["document"]  # (the envelope as it was)
    digest = hashlib.sha256(orjson.dumps([without], option=orjson.OPT_SORT_KEYS)).hexdigest()
    assert fingerprint([decision]) == digest
    assert fingerprint([d.decode_decision(_assigned("inferred"))]) != digest


def test_an_unknown_basis_is_refused_with_the_field_named(api: Api) -> None:
    answer = api.post(_assigned("guessed"))
    assert answer.status_code == 422
    assert any(e["field"].endswith("basis") for e in answer.json()["errors"])


def test_every_answer_marks_a_role_that_rests_on_an_inference(api: Api) -> None:
    (assigned,) = _record(api, _assigned("inferred"))
    when = {"as_of": "2022-03-01"}

    matrix = api.get("/v1/matrix", **when).json()
    (cell,) = matrix["cells"]
    assert cell["letters"] == "A"
    assert [r["basis"] for r in cell["roles"]] == ["inferred"]
    assert matrix["sources"][assigned]["basis"] == "inferred"

    (held,) = api.get("/v1/responsibilities", subject="c2000", **when).json()["items"]
    assert [s["basis"] for s in held["sources"]] == ["inferred"]

    csv = api.get("/v1/matrix", format="csv", **when).text
    assert "minister-jenv,A*" in csv
    markdown = api.get("/v1/matrix", format="md", **when).text
    assert "| A\\* |" in markdown or "| A* |" in markdown
    assert "afgeleid" in markdown
    html = api.get("/v1/matrix", format="html", **when).text
    assert "<summary>A*</summary>" in html and "afgeleid" in html

    book = load_workbook(io.BytesIO(api.get("/v1/matrix", format="xlsx", **when).content))
    sheet = book["Matrix"]
    marked = [c for row in sheet.iter_rows() for c in row if c.value == "A*"]
    assert len(marked) == 1 and "afgeleid" in marked[0].comment.text
    assert "*" in [c.value for row in book["Legenda"].iter_rows() for c in row]

    pack = api.get("/v1/report", format="html", **when).text
    assert "<td>A*</td>" in pack and "afgeleid" in pack

    api.client.cookies.set(COOKIE, api.tokens["evaluator"])  # (signed in to the pages)
    page = api.client.get("/matrix", params=when)
    assert page.status_code == 200
    assert "badge-inferred" in page.text and "A*" in page.text
    detail = api.client.get(f"/decisions/{assigned}")
    assert "badge-inferred" in detail.text


def test_a_stated_role_is_not_marked(api: Api) -> None:
    _record(api, _assigned(None))
    matrix = api.get("/v1/matrix", as_of="2022-03-01").json()
    assert [r["basis"] for r in matrix["cells"][0]["roles"]] == ["stated"]
    assert "minister-jenv,A\n" in api.get("/v1/matrix", format="csv", as_of="2022-03-01").text
    api.client.cookies.set(COOKIE, api.tokens["evaluator"])
    page = api.client.get("/matrix", params={"as_of": "2022-03-01"}).text
    assert "<h1" in page and "badge-inferred" not in page


def test_a_correction_that_confirms_an_inference_unmarks_the_role_from_then_on(api: Api) -> None:
    (assigned,) = _record(api, _assigned("inferred"))
    before_correction = datetime.now(UTC).isoformat()
    confirmed = {**_assigned("stated"), "source": "Kamerstuk 25124-110"}
    correction = body("decision.corrected", corrects=assigned, replacement=confirmed)
    assert api.post(correction).status_code == 201

    def basis(**known: str) -> list[str]:
        cells = api.get("/v1/matrix", as_of="2022-03-01", **known).json()["cells"]
        return [r["basis"] for r in cells[0]["roles"]]

    assert basis() == ["stated"]
    assert basis(known_at=before_correction) == ["inferred"]  # as known then: an assumption
