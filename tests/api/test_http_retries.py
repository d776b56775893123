# ruff: noqa: F811 - pytest fixtures imported from test_http_helpers
"""Safe retries (Idempotency-Key) and optimistic concurrency (ETag / If-Match)."""

from __future__ import annotations

from tests.api.test_http_helpers import Api, api, basics, body  # noqa: F401

RISK = body("risk.identified", risk="c2000-keten", system="c2000", title="Keten onbeveiligd")
ASSESS = body("risk.assessed", risk="c2000-keten", level="high")


def test_a_retried_post_records_once_and_answers_the_same(api: Api) -> None:
    first = api.post(basics()[0], **{"Idempotency-Key": "req-1"})
    again = api.post(basics()[0], **{"Idempotency-Key": "req-1"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert api.get("/v1/decisions").json()["head"] == 1


def test_a_retried_batch_records_once(api: Api) -> None:
    first = api.batch(basics(), **{"Idempotency-Key": "batch-1"})
    again = api.batch(basics(), **{"Idempotency-Key": "batch-1"})
    assert first.json() == again.json()
    assert api.get("/v1/decisions").json()["head"] == 4


def test_a_key_reused_for_another_body_is_409(api: Api) -> None:
    api.post(basics()[0], **{"Idempotency-Key": "req-1"})
    response = api.post(basics()[1], **{"Idempotency-Key": "req-1"})
    assert response.status_code == 409
    assert response.json()["type"].endswith("idempotency-conflict")


def test_keys_belong_to_their_token(api: Api) -> None:
    api.post(basics()[0], **{"Idempotency-Key": "k"})
    other = api.post(basics()[1], role="admin", **{"Idempotency-Key": "k"})
    assert other.status_code == 201


def test_an_object_has_an_etag_and_a_current_if_match_records(api: Api) -> None:
    api.batch([*basics(), RISK])
    version = api.get("/v1/objects/risk/c2000-keten")
    assert version.status_code == 200
    assert version.headers["etag"] == '"5"'
    response = api.post(ASSESS, **{"If-Match": version.headers["etag"]})
    assert response.status_code == 201
    assert response.headers["etag"] == '"6"'


def test_a_stale_if_match_is_412_and_records_nothing(api: Api) -> None:
    api.batch([*basics(), RISK])
    etag = api.get("/v1/objects/risk/c2000-keten").headers["etag"]
    api.post(ASSESS)  # someone else changes the risk meanwhile
    response = api.post(
        body("risk.assessed", risk="c2000-keten", level="low"), **{"If-Match": etag}
    )
    assert response.status_code == 412
    assert response.json()["current_etag"] == '"6"'
    assert api.get("/v1/decisions").json()["head"] == 6


def test_a_change_to_another_object_leaves_the_etag_alone(api: Api) -> None:
    api.batch([*basics(), RISK])
    etag = api.get("/v1/objects/risk/c2000-keten").headers["etag"]
    api.post(body("recommendation.issued", recommendation="r1", text="Borg het commitment"))
    assert api.post(ASSESS, **{"If-Match": etag}).status_code == 201


def test_if_match_star_needs_an_existing_object(api: Api) -> None:
    api.batch(basics())
    assert api.post(ASSESS, **{"If-Match": "*"}).status_code == 412
    api.post(RISK)
    assert api.post(ASSESS, **{"If-Match": "*"}).status_code == 201


def test_a_retraction_checks_the_version_of_what_it_retracts(api: Api) -> None:
    api.batch([*basics(), RISK])
    assessed = api.post(ASSESS).json()
    etag = api.get(f"/v1/decisions/{assessed['id']}").headers["etag"]
    api.post(
        body("risk.treatment_decided", risk="c2000-keten", measure="Encryptie", status="planned")
    )
    retraction = body("decision.retracted", retracts=assessed["id"], reason="Dubbel")
    assert api.post(retraction, **{"If-Match": etag}).status_code == 412


def test_an_unknown_object_is_404(api: Api) -> None:
    assert api.get("/v1/objects/risk/onbekend").status_code == 404
    assert api.get("/v1/objects/nonsense/x").status_code == 422
