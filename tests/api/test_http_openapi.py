# ruff: noqa: F811 - pytest fixtures imported from test_http_helpers
"""The OpenAPI description is complete, works offline, and the API keeps to it (schemathesis)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from domain.decisions import DECISION_CLASSES, decode_decision
from tests.api.test_http_helpers import Api, api  # noqa: F401


@pytest.fixture
def openapi(api: Api) -> dict[str, Any]:
    document: dict[str, Any] = api.client.get("/openapi.json").json()
    return document


def test_every_decision_kind_has_a_valid_example_from_the_letter(openapi: dict[str, Any]) -> None:
    for kind, cls in DECISION_CLASSES.items():
        assert decode_decision(cls.example).kind == kind  # a valid decision of its own kind
    body = openapi["paths"]["/v1/decisions"]["post"]["requestBody"]["content"]["application/json"]
    assert set(body["examples"]) == set(DECISION_CLASSES)
    assert body["schema"] == {"$ref": "#/components/schemas/Decision"}
    mapping = openapi["components"]["schemas"]["Decision"]["discriminator"]["mapping"]
    assert set(mapping) == set(DECISION_CLASSES)


def test_every_error_response_is_documented_as_a_problem(openapi: dict[str, Any]) -> None:
    post = openapi["paths"]["/v1/decisions"]["post"]["responses"]
    assert {"201", "401", "403", "409", "412", "413", "415", "422"} <= set(post)
    for path, item in openapi["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if status.startswith("4"):
                    assert list(response["content"]) == ["application/problem+json"], (
                        path,
                        method,
                        status,
                    )
            if path != "/v1/health":
                assert "401" in operation["responses"], (path, method)


def test_the_if_match_version_is_documented(openapi: dict[str, Any]) -> None:
    assert "If-Match" in openapi["info"]["description"]
    assert "last decision that\ntouched it" in openapi["info"]["description"]


def test_docs_work_offline(api: Api) -> None:
    page = api.client.get("/docs")
    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and all(a.startswith("/docs-static/") for a in assets)
    assert "http://" not in page.text and "https://" not in page.text
    for asset in assets:
        assert api.client.get(asset).status_code == 200
    redoc = api.client.get("/redoc")
    assert "https://" not in redoc.text


# --- schemathesis: generated requests against the description -------------------------------


CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]


def _fuzz(operation: Any, headers: dict[str, str]) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=10,
        derandomize=True,  # seeded: the same cases every run
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


def test_generated_requests_get_no_server_error_and_keep_to_the_schema(api: Api) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.client.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:
        # a generated DELETE must not revoke the token the run uses
        role = "secretariat" if operation.method.upper() == "DELETE" else "admin"
        _fuzz(operation, {"Authorization": f"Bearer {api.tokens[role]}"})


# Rules JSON Schema does not express, each answered 422 with the rule named: a decision's rules
# across its fields (review_by after effective_on, a discipline for a discipline party, ...),
# and a cursor the server did not give.
_BEYOND_THE_SCHEMA = ("(decision)", "query.after")


def _accepted(operation: Any, headers: dict[str, str], rejected: list[str]) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=25,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        response = case.call(headers=headers)
        if response.status_code in (400, 422):
            fields = [e["field"] for e in response.json().get("errors", [])]
            if not fields or not all(f.endswith(_BEYOND_THE_SCHEMA) for f in fields):
                rejected.append(f"{case.as_curl_command()}\n  -> {response.text[:300]}")

    run()


def test_what_the_schema_allows_the_server_accepts(api: Api) -> None:
    """Every request the schema allows (dates, moments, enums, patterns, unique lists, required
    fields) is accepted: a client generated from the schema is never refused for a value it was
    told is valid."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.client.app)
    rejected: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        role = "secretariat" if operation.method.upper() == "DELETE" else "admin"
        _accepted(operation, {"Authorization": f"Bearer {api.tokens[role]}"}, rejected)
    assert rejected == [], "\n".join(rejected[:5])
