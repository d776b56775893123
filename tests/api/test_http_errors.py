# ruff: noqa: F811 - pytest fixtures imported from test_http_helpers
"""Every error the API answers is application/problem+json, with the right status; never a 500."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ledger.access import Role
from ledger.service import Ledger
from ledger.settings import Settings
from tests.api.test_http_helpers import Api, api, basics, body, make_api  # noqa: F401

PROBLEM = "application/problem+json"


def test_no_token_is_401_with_www_authenticate(api: Api) -> None:
    response = api.client.get("/v1/state")
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_an_unknown_token_is_401(api: Api) -> None:
    response = api.client.get("/v1/state", headers={"Authorization": "Bearer mkl_nonsense"})
    assert response.status_code == 401
    assert "invalid_token" in response.headers["www-authenticate"]


def test_a_revoked_token_stops_working_at_once(api: Api) -> None:
    assert api.get("/v1/decisions", role="secretariat").status_code == 200
    api.access.revoke("secretariat-1", by="test")
    assert api.get("/v1/decisions", role="secretariat").status_code == 401
    assert api.post(basics()[0]).status_code == 401


def test_a_revocation_by_another_process_reaches_every_worker(settings: Settings) -> None:
    # two apps over one store stand for two uvicorn workers
    first = make_api(settings)
    one = next(first)
    second = make_api(settings, issue=False)
    two = next(second)
    token = one.access.issue("anna", Role.SECRETARIAT, by="test")
    headers = {"Authorization": f"Bearer {token}"}
    assert two.client.get("/v1/decisions", headers=headers).status_code == 200
    one.access.revoke("anna", by="test")
    assert two.client.get("/v1/decisions", headers=headers).status_code == 401
    for generator in (first, second):
        generator.close()


@pytest.mark.parametrize("path", ["/v1/decisions", "/v1/decisions/batch"])
def test_an_evaluator_may_not_record(api: Api, path: str) -> None:
    response = api.client.post(path, json={}, headers=api.auth("evaluator"))
    assert response.status_code == 403
    assert response.json()["role"] == "evaluator"


def test_evaluator_and_secretariat_may_not_manage_tokens(api: Api) -> None:
    assert api.get("/v1/tokens", role="evaluator").status_code == 403
    assert api.get("/v1/tokens", role="secretariat").status_code == 403
    listed = api.get("/v1/tokens", role="admin").json()
    assert {t["name"] for t in listed} == {"secretariat-1", "evaluator-1", "admin-1"}
    revoked = api.client.delete("/v1/tokens/evaluator-1", headers=api.auth("admin"))
    assert revoked.status_code == 204
    assert api.get("/v1/decisions", role="evaluator").status_code == 401
    again = api.client.delete("/v1/tokens/evaluator-1", headers=api.auth("admin"))
    assert again.status_code == 404


def test_invalid_fields_are_422_with_each_path_and_why(api: Api) -> None:
    response = api.post(
        {
            "kind": "responsibility.assigned",
            "party": "Korps Chef",
            "decided_by": [],
            "effective_on": "2022-02-30",
            "source": "x",
            "role": "boss",
        }
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    fields = {e["field"]: e for e in response.json()["errors"]}
    assert set(fields) == {"party", "decided_by", "effective_on", "role", "subject"}
    assert fields["subject"]["rule"] == "missing"
    assert fields["party"]["rule"] == "string_pattern_mismatch"
    assert all(e["message"] for e in fields.values())


def test_an_unknown_kind_is_named(api: Api) -> None:
    response = api.post(body("party.promoted", party="smb"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "kind"
    assert "known kinds" in response.json()["errors"][0]["message"]


def test_batch_errors_name_the_decision_index(api: Api) -> None:
    response = api.batch([basics()[0], {**basics()[1], "party": "BAD"}, "not an object"])
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["decisions[1].party", "decisions[2]"]


@pytest.mark.parametrize(
    "content",
    [
        b"{bad json",
        b"",
        b"[]",
        b"null",
        b'"text"',
        b"1" * 5000,
        b'{"kind": 1e999}',
        b'{"kind": "party.registered", "party": 123456789012345678901234567890}',
    ],
)
def test_malformed_bodies_are_422_never_500(api: Api, content: bytes) -> None:
    response = api.client.post(
        "/v1/decisions",
        content=content,
        headers={**api.auth(), "content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM


def test_the_wrong_content_type_is_415(api: Api) -> None:
    response = api.client.post(
        "/v1/decisions",
        content=b"party=smb",
        headers={**api.auth(), "content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 415


def test_a_rule_violation_is_409_naming_the_rule(api: Api) -> None:
    assign = body("responsibility.assigned", party="smb", subject="c2000", role="informed")
    response = api.post(assign)
    assert response.status_code == 409
    problem = response.json()
    assert {"rule", "field", "value", "explanation"} <= set(problem)


def test_an_oversized_body_is_413(settings: Settings) -> None:
    runner = make_api(settings, single_limit=2000, batch_limit=4000)
    small = next(runner)
    big = {"decisions": [basics()[0]] * 40}
    response = small.client.post("/v1/decisions/batch", json=big, headers=small.auth())
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM
    response = small.client.post(
        "/v1/decisions", json={**basics()[0], "rationale": "x" * 3000}, headers=small.auth()
    )
    assert response.status_code == 413
    runner.close()


@pytest.mark.parametrize("name", ["as_of", "known_at"])
@pytest.mark.parametrize("value", ["2022-13-01", "yesterday", "99999-01-01", "2022-02-03T25:00"])
def test_a_bad_date_is_422_naming_the_parameter(api: Api, name: str, value: str) -> None:
    response = api.get("/v1/risks", **{name: value})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == f"query.{name}"


def test_bad_filters_are_422(api: Api) -> None:
    assert api.get("/v1/decisions", limit=0).status_code == 422
    assert api.get("/v1/decisions", effective_from="gisteren").json()["errors"][0]["field"] == (
        "query.effective_from"
    )
    assert api.get("/v1/decisions/not-a-uuid").status_code == 422
    assert api.get("/v1/recommendations", status="half").status_code == 422


def test_an_unknown_route_is_a_404_problem(api: Api) -> None:
    response = api.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM


def test_a_bidi_override_in_a_name_is_422_naming_the_character(api: Api) -> None:
    response = api.post({**basics()[0], "name": "SMB\u202eexe.txt"})
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["field"] == "name"
    assert "U+202E (RIGHT-TO-LEFT OVERRIDE)" in error["message"]


def test_a_store_held_too_long_by_another_writer_answers_503_to_retry(settings: Settings) -> None:
    """A writer that cannot have the store's lock in time gets 503 with Retry-After (not a
    500), nothing is recorded, and the retry after the lock is free records once."""
    generator = make_api(replace(settings, lock_timeout=1))
    api = next(generator)
    ledger: Ledger = api.client.app.state.ledger  # type: ignore[attr-defined]
    holder = Ledger(settings)
    try:
        decision = basics()[0]
        with holder.db.write():  # another process's long write, holding the lock
            refused = api.post(decision, **{"Idempotency-Key": "k1"})
        assert refused.status_code == 503, refused.text
        assert refused.headers["content-type"] == PROBLEM
        assert refused.headers["retry-after"] == "5"
        assert refused.json()["type"].endswith("store-unavailable")
        assert ledger.head == 0
        retried = api.post(decision, **{"Idempotency-Key": "k1"})
        assert retried.status_code == 201, retried.text
        assert api.post(decision, **{"Idempotency-Key": "k1"}).json() == retried.json()
        assert ledger.head == 1
    finally:
        holder.close()
        generator.close()


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v1/objects/party/a%00b", {}),
        ("/v1/responsibilities", {"party": "\x00"}),
        ("/v1/decisions", {"subject": "\x00"}),
        ("/v1/gaps", {"party": "a\x00"}),
    ],
)
def test_an_id_with_a_nul_byte_is_422_never_500(
    api: Api, path: str, params: dict[str, str]
) -> None:
    """PostgreSQL refuses NUL in text: an id is checked against the slug pattern first."""
    response = api.get(path, **params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
