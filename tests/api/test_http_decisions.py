# ruff: noqa: F811 - pytest fixtures imported from test_http_helpers
"""Recording decisions over HTTP and reading them back, as of any date."""

from __future__ import annotations

from tests.api.test_http_helpers import Api, api, basics, body  # noqa: F401

ASSIGN = body(
    "responsibility.assigned",
    party="korpschef",
    subject="c2000",
    role="responsible",
    effective_on="2021-01-01",
)


def test_a_recorded_decision_answers_201_with_what_the_ledger_added(api: Api) -> None:
    response = api.post(basics()[0])
    assert response.status_code == 201
    data = response.json()
    assert set(data) >= {"id", "position", "recorded_at", "recorded_by", "decision"}
    assert data["position"] == 1
    assert data["recorded_by"] == "secretariat-1"
    assert data["decision"]["party"] == "smb"
    assert response.headers["location"] == f"/v1/decisions/{data['id']}"
    assert response.headers["etag"] == '"1"'


def test_recorded_by_is_the_token_name_whatever_the_body_says(api: Api) -> None:
    sent = {**basics()[0], "recorded_by": "someone-else"}
    response = api.post(sent)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "recorded_by"


def test_admin_records_too(api: Api) -> None:
    assert api.post(basics()[0], role="admin").json()["recorded_by"] == "admin-1"


def test_a_decision_reads_back_with_its_corrections_and_retraction(api: Api) -> None:
    api.batch(basics())
    original = api.post(ASSIGN).json()
    corrected = api.post(
        body(
            "decision.corrected",
            corrects=original["id"],
            replacement={**ASSIGN, "effective_on": "2021-02-01"},
        )
    )
    assert corrected.status_code == 201, corrected.json()
    retracted = api.post(
        body("decision.retracted", retracts=corrected.json()["id"], reason="Verkeerd ingevoerd")
    )
    assert retracted.status_code == 201, retracted.json()

    detail = api.get(f"/v1/decisions/{original['id']}")
    assert detail.status_code == 200
    data = detail.json()
    assert data["decision"]["id"] == original["id"]
    assert [c["id"] for c in data["corrections"]] == [corrected.json()["id"]]
    # the correction was retracted, so the content is the original's again
    assert data["current"]["effective_on"] == "2021-01-01"
    # the version is the last position about it: here, the retraction of its correction
    assert data["version"] == retracted.json()["position"]
    assert detail.headers["etag"] == f'"{data["version"]}"'


def test_unknown_decision_is_404_problem(api: Api) -> None:
    response = api.get("/v1/decisions/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_a_batch_is_atomic_and_names_the_failing_decision(api: Api) -> None:
    bad = body("responsibility.assigned", party="nobody", subject="c2000", role="accountable")
    response = api.batch([*basics(), bad])
    assert response.status_code == 409
    problem = response.json()
    assert problem["decision_index"] == 4
    assert problem["rule"]
    assert problem["field"] == "party"
    assert api.get("/v1/decisions").json()["items"] == []


def test_a_batch_records_in_order(api: Api) -> None:
    response = api.batch([*basics(), ASSIGN])
    assert response.status_code == 201
    assert [d["position"] for d in response.json()["decisions"]] == [1, 2, 3, 4, 5]


def test_state_as_of_a_date_and_as_known_at_a_moment(api: Api) -> None:
    api.batch(basics())
    recorded = api.post(ASSIGN).json()
    before = api.get("/v1/responsibilities", as_of="2020-12-31").json()
    after = api.get("/v1/responsibilities", as_of="2021-06-01").json()
    assert before["items"] == []
    assert [(h["party"], h["role"]) for h in after["items"]] == [("korpschef", "responsible")]
    assert after["items"][0]["version"] == recorded["position"]
    # as known before anything was recorded, nothing was known
    unknown = api.get("/v1/responsibilities", as_of="2021-06-01", known_at="2000-01-01").json()
    assert unknown["items"] == []
    state = api.get("/v1/state", as_of="2021-06-01").json()
    assert state["as_of"] == "2021-06-01"
    assert {p["id"] for p in state["parties"]} == {"smb", "korpschef", "minister-jenv"}


def test_parties_subjects_risks_lists(api: Api) -> None:
    api.batch(
        [
            *basics(),
            body("risk.identified", risk="c2000-keten", system="c2000", title="Keten onbeveiligd"),
        ]
    )
    assert {p["id"] for p in api.get("/v1/parties").json()["items"]} >= {"smb"}
    assert [s["id"] for s in api.get("/v1/subjects").json()["items"]] == ["c2000"]
    risks = api.get("/v1/risks").json()["items"]
    assert [r["id"] for r in risks] == ["c2000-keten"]
    assert api.get("/v1/risks", as_of="2022-01-01").json()["items"] == []


def test_open_recommendations_and_overdue_commitments(api: Api) -> None:
    api.batch(
        [
            *basics(),
            body("recommendation.issued", recommendation="r1", text="Borg het commitment"),
            body("recommendation.issued", recommendation="r2", text="Inventariseer risico's"),
            body("recommendation.closed", recommendation="r2", effective_on="2022-03-01"),
            body(
                "commitment.made",
                commitment="verkenning-q1",
                promise="Verkenning in Q1",
                due_on="2022-03-31",
                decided_by=["minister-jenv"],
            ),
        ]
    )
    open_ = api.get("/v1/recommendations", status="open", as_of="2022-06-01").json()["items"]
    assert [r["id"] for r in open_] == ["r1"]
    overdue = api.get("/v1/commitments", overdue="true", as_of="2022-04-01").json()["items"]
    assert [c["id"] for c in overdue] == ["verkenning-q1"]
    assert api.get("/v1/commitments", overdue="true", as_of="2022-03-01").json()["items"] == []


def test_decisions_page_by_cursor_and_filter(api: Api) -> None:
    api.batch([*basics(), ASSIGN])
    first = api.get("/v1/decisions", limit=2).json()
    assert [i["position"] for i in first["items"]] == [1, 2]
    assert first["next_after"] == 2
    second = api.get("/v1/decisions", limit=2, after=2).json()
    assert [i["position"] for i in second["items"]] == [3, 4]
    last = api.get("/v1/decisions", limit=2, after=4).json()
    assert [i["position"] for i in last["items"]] == [5]
    assert last["next_after"] is None
    kinds = api.get("/v1/decisions", kind="responsibility.assigned").json()["items"]
    assert [i["position"] for i in kinds] == [5]
    by_party = api.get("/v1/decisions", party="korpschef").json()["items"]
    assert [i["position"] for i in by_party] == [2, 5]
    by_subject = api.get("/v1/decisions", subject="c2000").json()["items"]
    assert [i["position"] for i in by_subject] == [4, 5]
    effective = api.get(
        "/v1/decisions", effective_from="2020-12-01", effective_to="2021-12-31"
    ).json()["items"]
    assert [i["position"] for i in effective] == [5]
    assert api.get("/v1/decisions", recorded_to="2000-01-01").json()["items"] == []
    assert len(api.get("/v1/decisions", recorded_from="2000-01-01").json()["items"]) == 5
    # text in the content, in any case; a quote or a wildcard is only text
    by_text = api.get("/v1/decisions", q="KORPSCHEF").json()["items"]
    assert [i["position"] for i in by_text] == [2, 5]
    assert api.get("/v1/decisions", q="korpschef", kind="party.registered").json()["items"]
    assert api.get("/v1/decisions", q='%"_').json()["items"] == []
    assert api.get("/v1/decisions", q="a\u202eb").status_code == 422


def test_health_needs_no_token(api: Api) -> None:
    response = api.client.get("/v1/health")
    assert response.status_code == 200
    assert response.json()["store"] is True
    assert response.json()["projections"] is True
