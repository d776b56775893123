"""One decision of every kind, recorded over HTTP, then every read endpoint and every page asked
about them: a kind missing from any part of the registry (its event class, the read model's
entries, the object names, the examples, the labels) fails here."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.http import create_app
from api.pages import COOKIE, OPEN_ON_LOOPBACK_ENV
from domain.decisions import DECISION_CLASSES
from domain.governance import GROUPS
from ledger.access import Role
from ledger.settings import Settings
from projections.exports import FORMATS
from projections.i18n import label
from tests.api.test_pages import assert_well_formed

LATE = "2030-01-01"


def _body(kind: str, **fields: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "decided_by": ["smb"],
        "effective_on": "2022-02-03",
        "source": "Kamerstuk 25124-109",
        **fields,
    }


def _party(slug: str, kind: str = "board", **extra: Any) -> dict[str, Any]:
    return _body(
        "party.registered",
        party=slug,
        name=slug.upper(),
        party_kind=kind,
        decided_by=[slug],
        effective_on="2020-07-01",
        **extra,
    )


def every_kind() -> list[dict[str, Any]]:
    """The world, and one decision of every substantive kind in it."""
    return [
        _party("smb"),
        _party("minister-jenv", "minister"),
        _party("minister-mz", "minister"),
        _party("wodc", "evaluator"),
        _party("oud-beraad"),
        _body("party.dissolved", party="oud-beraad", decided_by=["minister-jenv"]),
        _body(
            "subject.registered",
            subject="c2000",
            name="C2000",
            subject_kind="system",
            effective_on="2020-07-01",
        ),
        _body("responsibility.assigned", party="smb", subject="c2000", role="accountable"),
        _body("responsibility.assigned", party="wodc", subject="c2000", role="informed"),
        _body("responsibility.relieved", party="wodc", subject="c2000", role="informed"),
        _body(
            "responsibility.transferred",
            from_party="smb",
            to_party="minister-jenv",
            subject="c2000",
            role="accountable",
            effective_on="2022-03-01",
        ),
        _body("framework.adopted", framework="bio", name="BIO", scope=["c2000"], level="BBN2+"),
        _body(
            "risk.acceptance_criteria_established",
            criteria="criteria-2022",
            description="up to medium",
            scope=["c2000"],
            max_acceptable_level="medium",
        ),
        _body("risk.identified", risk="r1", system="c2000", title="Afluisteren"),
        _body("risk.assessed", risk="r1", level="high", criteria="criteria-2022"),
        _body("risk.treatment_decided", risk="r1", measure="encryptie", status="planned"),
        _body(
            "risk.residual_accepted",
            risk="r1",
            criteria="criteria-2022",
            accepted_level="medium",
            review_by="2023-02-03",
        ),
        _body("risk.acceptance_withdrawn", risk="r1", effective_on="2022-06-01"),
        _body("finding.recorded", finding="b1", text="geen risicomanagement", number=1),
        _body("recommendation.issued", recommendation="a1", text="doe het", findings=["b1"]),
        _body("recommendation.responded", recommendation="a1", response="endorsed"),
        _body("recommendation.owner_assigned", recommendation="a1", owner="smb"),
        _body("recommendation.progress_reported", recommendation="a1", progress="op schema"),
        _body("recommendation.closed", recommendation="a1", effective_on="2022-12-01"),
        _body(
            "evaluation.commissioned",
            evaluation="e1",
            title="Evaluatie governance",
            evaluator="wodc",
        ),
        _body("evaluation.reported", evaluation="e1", summary="lacunes", decided_by=["wodc"]),
        _body("commitment.made", commitment="q1", promise="verkenning", due_on="2022-03-31"),
        _body("commitment.kept", commitment="q1", effective_on="2022-03-30"),
        _body(
            "framework.adopted",
            framework="hoofdlijnen",
            name="Hoofdlijnen",
            scope=["c2000"],
            decided_by=["minister-jenv"],
            requires_consent_of=["minister-mz"],
        ),
    ]


@pytest.fixture
def client(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.delenv(OPEN_ON_LOOPBACK_ENV, raising=False)
    app = create_app(settings)
    admin = app.state.access.issue("admin", Role.ADMIN, by="test")
    with TestClient(app, follow_redirects=False) as found:
        found.headers["Authorization"] = f"Bearer {admin}"
        found.cookies.set(COOKIE, admin)
        yield found


def _ok(client: TestClient, path: str, **params: Any) -> Any:
    response = client.get(path, params=params)
    assert response.status_code == 200, (path, params, response.status_code, response.text[:300])
    return response


def test_every_kind_is_answered_by_every_endpoint_and_page(client: TestClient) -> None:
    # every substantive kind, recorded in one batch...
    response = client.post("/v1/decisions/batch", json={"decisions": every_kind()})
    assert response.status_code == 201, response.text
    recorded = response.json()["decisions"]
    policy = recorded[-1]
    # ...then a consent, a correction and a retraction
    more = [
        _body("consent.given", decision=policy["id"], decided_by=["minister-mz"]),
        _body(
            "decision.corrected",
            corrects=recorded[-2]["id"],
            replacement=recorded[-2]["decision"] | {"effective_on": "2022-03-29"},
        ),
        _body("decision.retracted", retracts=recorded[8]["id"], reason="dubbel"),
    ]
    response = client.post("/v1/decisions/batch", json={"decisions": more})
    assert response.status_code == 201, response.text
    recorded += response.json()["decisions"]
    assert {item["kind"] for item in recorded} == set(DECISION_CLASSES)

    # the governance's answers, at a date after everything
    state = _ok(client, "/v1/state", as_of=LATE).json()
    assert state["risks"] and state["recommendations"] and state["commitments"]
    assert state["consents"] and state["evaluations"] and state["findings"]
    for path in (
        "/v1/parties",
        "/v1/subjects",
        "/v1/risks",
        "/v1/recommendations",
        "/v1/commitments",
        "/v1/responsibilities",
        "/v1/gaps",
    ):
        _ok(client, path, as_of=LATE)
    for fmt in FORMATS:
        _ok(client, "/v1/matrix", as_of=LATE, format=fmt)
    _ok(client, "/v1/matrix/diff", **{"from": "2021-01-01", "to": LATE})
    for fmt in ("xlsx", "html"):
        _ok(client, "/v1/report", as_of=LATE, format=fmt, compare="2021-01-01")
    # the progress report over everything: each kind in its place
    period = {"from": "2000-01-01", "to": LATE}
    report = _ok(client, "/v1/progress", **period).json()
    in_areas = {item["kind"] for area in report["areas"].values() for item in area}
    retracted = recorded[8]["kind"]  # (one decision of each kind: its kind is gone)
    assert in_areas == {
        k
        for k in DECISION_CLASSES
        if k.split(".")[0] not in ("responsibility", "decision") and k != retracted
    }
    assert {item["kind"] for item in report["put_right"]} == {
        "decision.corrected",
        "decision.retracted",
    }
    assert report["roles"]
    for fmt in ("md", "html", "pdf"):
        _ok(client, "/v1/progress", format=fmt, **period)
    # every decision, and every kind of object
    listed = _ok(client, "/v1/decisions", limit=1000).json()["items"]
    assert [item["id"] for item in listed] == [item["id"] for item in recorded]
    for item in recorded:
        _ok(client, f"/v1/decisions/{item['id']}")
    objects = {
        "party": "smb",
        "subject": "c2000",
        "responsibilities": "c2000",
        "framework": "bio",
        "criteria": "criteria-2022",
        "risk": "r1",
        "finding": "b1",
        "recommendation": "a1",
        "evaluation": "e1",
        "commitment": "q1",
        "consent": policy["id"],
    }
    assert set(objects) == set(GROUPS)
    for group, key in objects.items():
        assert _ok(client, f"/v1/objects/{group}/{key}").json()["version"] > 0

    # every page, in both languages, names every kind in words
    for lang in ("nl", "en"):
        for path in ("/", "/matrix", "/risks", "/recommendations", "/commitments", "/downloads"):
            assert_well_formed(_ok(client, path, as_of=LATE, lang=lang).text)
        progress = _ok(client, "/voortgang", as_of=LATE, lang=lang, **{"from": "2000-01-01"})
        assert_well_formed(progress.text)
        timeline = _ok(client, "/timeline", as_of=LATE, lang=lang).text
        assert_well_formed(timeline)
        for kind in DECISION_CLASSES:
            words = label(lang, "kind", kind)
            assert words != kind, f"no {lang} label for {kind}"
            assert words in timeline, f"the timeline does not name {kind} ({words})"
        for item in recorded:
            assert_well_formed(_ok(client, f"/decisions/{item['id']}", lang=lang).text)
