"""The progress report: what changed between two dates, as known at a moment.

On the demo (the letter of 3 February 2022), the period from the previous letter (23 September
2021) to this one lists the Inspectorate's report and the minister's response to it, in JSON,
Markdown, HTML and PDF, in Dutch and English, over HTTP, on the page and on the command line.

On a small history recorded over time: a decision moved into the period by a correction, one
retracted, one applying from its consent's date, a commitment that fell overdue, and the
corrections and retractions recorded in the period with what they changed — and, as known
before they were recorded, none of that.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pypdf
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli import app as cli
from api.pages import COOKIE
from domain.decisions import DECISION_CLASSES, Decision, decode_decision
from ledger.service import Ledger
from ledger.settings import Settings
from projections.progress import Progress, progress
from tests.builders import party, subject

LETTERS = {"from": "2021-09-23", "to": "2022-02-03"}


def test_between_the_two_letters_the_inspectorate_reported_and_the_minister_responded(
    demo_api: TestClient,
) -> None:
    answer = demo_api.get("/v1/progress", params=LETTERS)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    findings = report["areas"]["recommendation"]
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for item in findings:
        by_kind.setdefault(item["kind"], []).append(item)
    inspectorate = by_kind["finding.recorded"] + by_kind["recommendation.issued"]
    assert len(by_kind["finding.recorded"]) == 5
    assert {i["content"]["decided_by"][0] for i in inspectorate} == {"inspectie"}
    assert {i["in_force_on"] for i in inspectorate} == {"2021-12-16"}
    (response,) = by_kind["recommendation.responded"]
    assert response["content"]["decided_by"] == ["minister-jenv"]
    assert response["content"]["response"] == "endorsed"
    assert response["in_force_on"] == "2022-02-03"
    # every role change of the period, each with the decisions behind it
    assert report["roles"] and all(c["causes"] for c in report["roles"])
    # every decision dated in the period (but those about roles) is listed, in its area
    listed = {i["decision"] for area in report["areas"].values() for i in area}
    dated = demo_api.get(
        "/v1/decisions",
        params={"effective_from": LETTERS["from"], "effective_to": LETTERS["to"], "limit": 500},
    ).json()["items"]
    expected = {d["id"] for d in dated if not d["decision"]["kind"].startswith("responsib")}
    assert listed == expected and len(listed) > 20


def test_the_report_in_words_as_markdown_html_and_pdf(demo_api: TestClient) -> None:
    md = demo_api.get("/v1/progress", params={**LETTERS, "format": "md", "lang": "en"})
    assert md.headers["content-type"].startswith("text/markdown")
    assert md.text.startswith("# Progress of the control rooms' governance, 2021-09-23 to")
    assert "recommendation answered: endorsed: Borg het commitment" in md.text
    html = demo_api.get("/v1/progress", params=LETTERS, headers={"Accept": "text/html"})
    assert html.headers["content-type"].startswith("text/html")
    assert "Bevindingen en aanbevelingen" in html.text and "reactie op aanbeveling" in html.text
    assert 'href="https://zoek.officielebekendmakingen.nl/kst-25124-109.html"' in html.text
    pdf = demo_api.get("/v1/progress", params={**LETTERS, "format": "pdf"})
    assert pdf.headers["content-type"] == "application/pdf"
    assert "attachment" in pdf.headers["content-disposition"]
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    text = " ".join(text.split())
    assert "Voortgang governance meldkamers, 2021-09-23 tot en met 2022-02-03" in text
    assert "Inspectie Justitie en Veiligheid" in text and "onderschreven" in text


def test_a_period_backwards_or_unreadable_is_refused_by_name(demo_api: TestClient) -> None:
    backwards = demo_api.get("/v1/progress", params={"from": "2022-02-03", "to": "2021-01-01"})
    assert backwards.status_code == 422 and backwards.json()["errors"][0]["field"] == "query.from"
    assert demo_api.get("/v1/progress").status_code == 422  # `from` is required
    bad = demo_api.get("/v1/progress", params={"from": "2022-13-01"})
    assert bad.status_code == 422 and "from" in bad.text
    assert demo_api.get("/v1/progress", params={**LETTERS, "format": "docx"}).status_code == 422
    # the ends of the calendar are a period like any other
    whole = demo_api.get("/v1/progress", params={"from": "0001-01-01", "to": "9999-12-31"})
    assert whole.status_code == 200 and whole.json()["areas"]["register"]


def test_the_page_and_its_downloads(demo_api: TestClient) -> None:
    demo_api.cookies.set(COOKIE, demo_api.headers["Authorization"].removeprefix("Bearer "))
    page = demo_api.get("/voortgang", params={"from": LETTERS["from"], "as_of": LETTERS["to"]})
    assert page.status_code == 200
    assert "Voortgang governance meldkamers, 2021-09-23 tot en met 2022-02-03" in page.text
    assert 'id="progress-recommendation"' in page.text and "/downloads/progress.pdf?" in page.text
    english = demo_api.get("/progress", params={"lang": "en", "as_of": LETTERS["to"]})
    assert "governance, 2021-08-04 to 2022-02-03" in english.text  # half a year by default
    pdf = demo_api.get("/downloads/progress.pdf", params={"as_of": "2022-02-03"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    backwards = demo_api.get("/voortgang", params={"from": "2023-01-01", "as_of": "2022-02-03"})
    assert backwards.status_code == 422 and "from" in backwards.text


def test_ledger_progress_writes_the_report(demo_api: TestClient, env: Settings) -> None:
    result = CliRunner().invoke(
        cli, ["progress", "--from", LETTERS["from"], "--to", LETTERS["to"], "--lang", "en"]
    )
    assert result.exit_code == 0, result.output
    assert "## Findings and recommendations" in result.output
    backwards = CliRunner().invoke(cli, ["progress", "--from", "2023-01-01", "--to", "2022-01-01"])
    assert backwards.exit_code == 2 and "after it ends" in backwards.output


# --- a history recorded over time --------------------------------------------------------------


def _example(kind: str, **fields: Any) -> Decision:
    return decode_decision({**DECISION_CLASSES[kind].example, **fields})


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2021, 6, 1, 12, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def on(self, day: str) -> None:
        self.now = datetime.fromisoformat(f"{day}T12:00:00+00:00")


def _founding() -> list[Decision]:
    """The parties and subjects the histories below are about."""
    return [
        party("smb", on="2021-01-01"),
        party("minister-jenv", kind="minister", on="2021-01-01"),
        party("inspectie-jenv", kind="inspectorate", on="2021-01-01"),
        subject("c2000", on="2021-01-01"),
        subject("meldkamersystemen", on="2021-01-01"),
    ]


def _report(ledger: Ledger, known_at: datetime | None = None) -> Progress:
    with ledger.reading() as tables:
        moment = known_at or datetime.now(UTC)
        return progress(tables, date(2022, 1, 1), date(2022, 6, 30), moment)


def test_corrections_retractions_and_consents_as_known_then_and_now(settings: Settings) -> None:
    clock = Clock()
    ledger = Ledger(settings, clock=clock)
    try:
        ledger.record(_founding(), recorded_by="clerk")
        (risk,) = ledger.record(
            [_example("risk.identified", effective_on="2021-12-01")], recorded_by="clerk"
        )
        clock.on("2022-01-10")
        (finding, _commitment, framework) = ledger.record(
            [
                _example("finding.recorded", effective_on="2022-01-05"),
                _example("commitment.made", effective_on="2022-01-10", due_on="2022-03-01"),
                _example(
                    "framework.adopted",
                    effective_on="2022-01-05",
                    requires_consent_of=["minister-jenv"],
                ),
            ],
            recorded_by="clerk",
        )
        clock.on("2022-02-20")
        before_put_right = clock.now + timedelta(hours=1)
        clock.on("2022-03-01")
        moved = risk.decision.model_copy(update={"effective_on": date(2022, 2, 15)})
        ledger.record(
            [
                _example(
                    "decision.corrected", corrects=str(risk.id), replacement=moved.model_dump()
                ),
                _example(
                    "decision.retracted", retracts=str(finding.id), decided_by=["inspectie-jenv"]
                ),
                _example(
                    "consent.given",
                    decision=str(framework.id),
                    decided_by=["minister-jenv"],
                    effective_on="2022-03-10",
                ),
            ],
            recorded_by="clerk",
        )
        now = _report(ledger)
        then = _report(ledger, before_put_right)
    finally:
        ledger.close()

    def listed(report: Progress) -> dict[str, list[tuple[str, date]]]:
        return {
            a: [(c.recorded.kind, c.on) for c in report.area(a)]
            for a in ("risk", "framework", "recommendation", "commitment")
        }

    # as known now: the risk moved into the period; the finding retracted; the framework
    # applies from its consent (listed beside it); the commitment fell overdue
    assert listed(now) == {
        "risk": [("risk.identified", date(2022, 2, 15))],
        "framework": [
            ("framework.adopted", date(2022, 3, 10)),
            ("consent.given", date(2022, 3, 10)),
        ],
        "recommendation": [],
        "commitment": [("commitment.made", date(2022, 1, 10))],
    }
    assert [(g.rule, g.since) for g in now.overdue] == [("commitment_overdue", date(2022, 3, 2))]
    fixed = {p.recorded.kind: p for p in now.put_right}
    assert fixed["decision.corrected"].fields == [("effective_on", "2021-12-01", "2022-02-15")]
    assert fixed["decision.corrected"].root == risk.id
    assert (
        fixed["decision.retracted"].after is None and fixed["decision.retracted"].root == finding.id
    )
    assert fixed["decision.retracted"].before is not None
    # as known before those three were recorded: the risk lay before the period, the finding
    # stood, the framework waited for consent, and nothing had been put right
    assert listed(then) == {
        "risk": [],
        "framework": [],
        "recommendation": [("finding.recorded", date(2022, 1, 5))],
        "commitment": [("commitment.made", date(2022, 1, 10))],
    }
    assert then.put_right == []
    assert now.position > then.position


def test_each_thing_put_right_shows_its_decision_just_before_and_just_after(
    settings: Settings,
) -> None:
    """In one period: a correction, a retraction of another decision, a correction of that
    correction, and a retraction of the second correction — each row shows the content of
    the decision it changed as it stood just before it and just after it."""
    clock = Clock()
    ledger = Ledger(settings, clock=clock)
    try:
        ledger.record(_founding(), recorded_by="clerk")
        (risk, finding) = ledger.record(
            [
                _example("risk.identified", effective_on="2021-12-01"),
                _example("finding.recorded", effective_on="2021-12-01"),
            ],
            recorded_by="clerk",
        )

        def moved(day: str) -> dict[str, Any]:
            update = {"effective_on": date.fromisoformat(day)}
            return risk.decision.model_copy(update=update).model_dump()

        def put(day: str, kind: str, **fields: Any) -> Any:
            clock.on(day)
            (recorded,) = ledger.record([_example(kind, **fields)], recorded_by="clerk")
            return recorded

        first = put(
            "2022-02-01",
            "decision.corrected",
            corrects=str(risk.id),
            replacement=moved("2022-02-15"),
        )
        dropped = put(
            "2022-02-02",
            "decision.retracted",
            retracts=str(finding.id),
            decided_by=["inspectie-jenv"],
        )
        second = put(
            "2022-03-01",
            "decision.corrected",
            corrects=str(first.id),
            replacement=moved("2022-03-15"),
        )
        undone = put("2022-04-01", "decision.retracted", retracts=str(second.id))
        report = _report(ledger)
    finally:
        ledger.close()

    def on(content: Decision | None) -> date | None:
        return None if content is None else content.effective_on

    assert [(p.recorded.id, p.root, on(p.before), on(p.after)) for p in report.put_right] == [
        (first.id, risk.id, date(2021, 12, 1), date(2022, 2, 15)),
        (dropped.id, finding.id, date(2021, 12, 1), None),
        (second.id, risk.id, date(2022, 2, 15), date(2022, 3, 15)),
        (undone.id, risk.id, date(2022, 3, 15), date(2022, 2, 15)),
    ]
