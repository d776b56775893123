"""The evaluation pack as a document a committee can read: a PDF (A4 landscape) and the HTML it
is printed from, in Dutch or English, on the demo at 15 April 2022 compared with 1 June 2021.

Read back as a reader sees it: the PDF's text (pypdf) and its first pages as images
(poppler's `pdftoppm`, which `.ci/run` installs)."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pypdf
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli import app as cli
from api.pages import COOKIE
from ledger.integrity import verify_report
from ledger.settings import Settings

WHEN = {"as_of": "2022-04-15", "compare": "2021-06-01"}


def _text(pdf: bytes) -> str:
    pages = pypdf.PdfReader(io.BytesIO(pdf)).pages
    return " ".join(" ".join(page.extract_text().split()) for page in pages)


def test_the_pdf_pack_reads_as_a_document(demo_api: TestClient, tmp_path: Path) -> None:
    answer = demo_api.get("/v1/report", params={**WHEN, "format": "pdf"})
    assert answer.status_code == 200, answer.text[:300]
    assert answer.headers["content-type"] == "application/pdf"
    assert (
        'attachment; filename="evaluatiepakket-2022-04-15.pdf"'
        in (answer.headers["content-disposition"])
    )
    text = _text(answer.content)
    # the cover: the two times in words, the position and the chain hash it rests on
    head = verify_report(demo_api.app.state.ledger)
    assert "Peildatum 15 april 2022" in text and "Vergeleken met 1 juni 2021" in text
    assert "Ledger-positie 114" in text and head["head_hash"] in text
    assert "105 besluiten tot de peildatum" in text
    # the contents, with page numbers, then the chapters in words, not codes
    contents = text.split("Inhoud", 1)[1].split("Verantwoordelijkheden per onderwerp (", 1)[0]
    assert "Wat er veranderde" in contents and "Besluiten tot de peildatum" in contents
    assert "no_accountable" not in text and "commitment_overdue" not in text
    assert "niemand is eindverantwoordelijk voor De meldkamers" in text
    # the Q1-2022 commitment on the C2000 chain was not kept by 15 April 2022
    commitments = text.rsplit("Toezeggingen (", 1)[1].split("Besluiten tot de peildatum", 1)[0]
    q1 = commitments.split("is in het eerste kwartaal van 2022 afgerond.", 1)[1][:80]
    assert "2022-03-31" in q1 and "over tijd" in q1
    # each decision with its source and rationale
    assert "Geregistreerd per 31-12-2017" in text
    # pages as a reader sees them: A4 landscape, not blank
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm is not None, "poppler-utils (pdftoppm) is needed: .ci/run installs it"
    (tmp_path / "pack.pdf").write_bytes(answer.content)
    subprocess.run(
        [pdftoppm, "-r", "40", "-gray", "-f", "1", "-l", "2", str(tmp_path / "pack.pdf"),
         str(tmp_path / "page")],
        check=True,
    )  # fmt: skip
    for image in sorted(tmp_path.glob("page-*.pgm")):
        width, height, pixels = _pgm(image.read_bytes())
        assert abs(width / height - 297 / 210) < 0.02  # A4 landscape
        assert sum(1 for p in pixels if p < 128) > 500  # text on it


def _pgm(data: bytes) -> tuple[int, int, bytes]:
    """Width, height and pixels of a binary PGM (P5, 8 bits)."""
    fields = data.split(maxsplit=4)
    assert fields[0] == b"P5" and fields[3] == b"255"
    return int(fields[1]), int(fields[2]), fields[4]


def test_the_pack_in_english_and_as_html(demo_api: TestClient) -> None:
    html = demo_api.get("/v1/report", params={**WHEN, "format": "html", "lang": "en"})
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    page = html.text
    assert '<html lang="en">' in page and "Evaluation pack: the control rooms" in page
    assert "As of</th><td>15 April 2022" in page and "Compared with</th><td>1 June 2021" in page
    assert "nobody is accountable for" in page and "Responsibilities by subject" in page
    assert "overdue" in page and "role assigned" in page
    assert 'href="https://zoek.officielebekendmakingen.nl/kst-25124-109.html"' in page
    refused = demo_api.get("/v1/report", params={**WHEN, "format": "docx"})
    assert refused.status_code == 422


def test_the_pack_from_the_pages_and_the_command_line(
    demo_api: TestClient, env: Settings, tmp_path: Path
) -> None:
    demo_api.cookies.set(COOKIE, demo_api.headers["Authorization"].removeprefix("Bearer "))
    downloads = demo_api.get("/downloads", params={"as_of": "2022-04-15"}).text
    assert "/downloads/evaluation-pack.pdf?" in downloads
    pdf = demo_api.get("/downloads/evaluation-pack.pdf", params={**WHEN, "lang": "en"})
    assert pdf.status_code == 200 and "As of 15 April 2022" in _text(pdf.content)
    target = tmp_path / "pack.pdf"
    result = CliRunner().invoke(
        cli, ["report", "--as-of", "2022-04-15", "--lang", "en", "-o", str(target)]
    )
    assert result.exit_code == 0, result.output
    assert "Evaluation pack: the control rooms" in _text(target.read_bytes())
