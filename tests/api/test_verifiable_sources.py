# ruff: noqa: F811 - pytest fixtures imported from test_http_helpers
"""A decision's source can be a document one can find and check: its official identifier, its
address and the SHA-256 of the file as published. `ledger sources check FILE` says which
decisions rest on a file and whether it is the one they name; the pages link to it."""

from __future__ import annotations

import hashlib
from pathlib import Path

from typer.testing import CliRunner

from api.cli import app
from api.pages import COOKIE
from ledger.settings import Settings
from tests.api.test_http_helpers import Api, api, basics, body  # noqa: F401

LETTER = b"%PDF-1.7 Kamerbrief over de meldkamers, 3 februari 2022\n"
URL = "https://zoek.officielebekendmakingen.nl/kst-25124-109.html"


def _framework(sha256: str, **document: str) -> dict[str, object]:
    return body(
        "framework.adopted",
        framework="bbn2-plus",
        name="BBN2+",
        scope=["c2000"],
        document={"id": "kst-25124-109", "sha256": sha256, **document},
    )


def test_the_file_a_decision_rests_on_is_checked(api: Api, env: Settings, tmp_path: Path) -> None:
    letter = tmp_path / "kst-25124-109.pdf"
    letter.write_bytes(LETTER)
    recorded = api.batch([*basics(), _framework(hashlib.sha256(LETTER).hexdigest(), url=URL)])
    assert recorded.status_code == 201, recorded.text
    runner = CliRunner()

    same = runner.invoke(app, ["sources", "check", str(letter)])
    assert same.exit_code == 0, same.output
    assert "klopt" in same.stdout and "framework.adopted" in same.stdout

    letter.write_bytes(LETTER.replace(b"3 februari", b"4 februari"))  # another version
    changed = runner.invoke(app, ["sources", "check", str(letter)])
    assert changed.exit_code == 1
    assert "afwijkend" in changed.stdout and "andere SHA-256" in changed.output

    other = tmp_path / "notulen.pdf"
    other.write_bytes(b"iets anders")
    assert runner.invoke(app, ["sources", "check", str(other)]).exit_code == 1
    # the identifier can be given when the file is named otherwise
    other.write_bytes(LETTER)
    named = runner.invoke(app, ["sources", "check", str(other), "--id", "kst-25124-109"])
    assert named.exit_code == 0 and "klopt" in named.stdout
    assert runner.invoke(app, ["sources", "check", str(tmp_path / "nope.pdf")]).exit_code == 2


def test_a_document_is_checked_as_it_is_recorded(api: Api) -> None:
    api.batch(basics())
    for document, field in (
        ({}, "document"),
        ({"sha256": "abc"}, "document.sha256"),
        ({"id": "Kamerstuk 25124-109"}, "document.id"),
        ({"url": "javascript:alert(1)"}, "document.url"),
    ):
        answer = api.post(
            body("framework.adopted", framework="f", name="F", scope=["c2000"], document=document)
        )
        assert answer.status_code == 422, document
        assert any(e["field"].endswith(field) for e in answer.json()["errors"]), answer.text
    # a source that is only a citation still works, as every stored one does
    plain = api.post(body("framework.adopted", framework="f", name="F", scope=["c2000"]))
    assert plain.status_code == 201 and plain.json()["decision"]["document"] is None


def test_the_pages_link_a_document_and_show_its_hash(api: Api) -> None:
    digest = hashlib.sha256(LETTER).hexdigest()
    recorded = api.batch([*basics(), _framework(digest)])
    decision = recorded.json()["decisions"][-1]["id"]
    api.client.cookies.set(COOKIE, api.tokens["evaluator"])
    page = api.client.get(f"/decisions/{decision}").text
    assert f'href="{URL}"' in page  # the identifier links to its publication
    assert digest in page and "kst-25124-109" in page
