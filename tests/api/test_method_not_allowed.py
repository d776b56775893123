# ruff: noqa: F811 - pytest fixtures imported from test_http_helpers
"""A method a declared path does not offer is 405 problem+json with `Allow` listing the ones it
does; a literal path (`/v1/decisions/batch`) is never mistaken for a templated one
(`/v1/decisions/{decision_id}`)."""

from __future__ import annotations

import uuid

import pytest

from tests.api.test_http_helpers import Api, api  # noqa: F401 - the fixture

PROBLEM = "application/problem+json"
SOME_ID = str(uuid.uuid4())


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/v1/decisions/batch", "POST"),
        ("DELETE", "/v1/decisions/batch", "POST"),
        ("PUT", "/v1/decisions", "GET, POST"),
        ("DELETE", f"/v1/decisions/{SOME_ID}", "GET"),
        ("POST", "/v1/state", "GET"),
        ("PATCH", "/v1/matrix", "GET"),
        ("GET", "/v1/tokens/anna", "DELETE"),
        ("POST", "/v1/tokens", "GET"),
    ],
)
def test_an_undeclared_method_is_405_with_the_allowed_ones(
    api: Api, method: str, path: str, allowed: str
) -> None:
    response = api.client.request(method, path, headers=api.auth("admin"))
    assert response.status_code == 405, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["allow"] == allowed
    problem = response.json()
    assert problem["status"] == 405
    assert method in problem["detail"] and allowed in problem["detail"]


def test_the_405_needs_no_token(api: Api) -> None:
    # which methods a path offers is no secret: the OpenAPI schema says so to anyone
    response = api.client.get("/v1/decisions/batch")
    assert response.status_code == 405


def test_declared_methods_and_unknown_paths_answer_as_before(api: Api) -> None:
    assert api.get("/v1/decisions").status_code == 200
    assert api.get("/v1/decisions/not-a-uuid").status_code == 422
    assert api.get(f"/v1/decisions/{SOME_ID}").status_code == 404
    assert api.get("/v1/nothing-here").status_code == 404
    assert api.client.post("/v1/decisions/batch", json={}, headers=api.auth()).status_code == 422
