# ruff: noqa: F811 - pytest fixtures imported from test_http_helpers
"""The OpenAPI description is complete, works offline, and the API keeps to it (schemathesis)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.specs.openapi.checks import ensure_resource_availability, use_after_free

from domain.decisions import DECISION_CLASSES, decode_decision
from ledger.settings import Settings
from tests.api.test_http_helpers import Api, api, basics, make_api  # noqa: F401
from tests.conftest import _drop_schema


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
# a cursor the server did not give, and rules across query parameters (`range`: the monitor's
# `from` after its `to`, or more dates than it draws).
_BEYOND_THE_SCHEMA = ("(decision)", "query.after")
_ACROSS_PARAMETERS = "range"


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
            errors = response.json().get("errors", [])
            beyond = [
                e["field"].endswith(_BEYOND_THE_SCHEMA) or e.get("rule") == _ACROSS_PARAMETERS
                for e in errors
            ]
            if not errors or not all(beyond):
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


# --- schemathesis, stateful: from a recorded decision to the reads of it ----------------------


class _Swappable:
    """An ASGI app that passes each request to whichever app it holds at the moment."""

    def __init__(self) -> None:
        self.app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


@pytest.mark.slow
def test_recorded_decisions_can_be_followed_to_their_reads(
    settings: Settings, tmp_path: Path
) -> None:
    """Schemathesis's stateful phase: sequences of generated requests that follow the links the
    schema declares from `POST /v1/decisions` (and the batch) to the decision and its proof,
    each sequence on a fresh ledger. Every answer keeps to the schema, none is a 5xx, and what
    was created is there to read."""
    served = _Swappable()
    ledgers = iter(range(10_000))
    current: list[Api] = []
    opened: list[Iterator[Api]] = []

    def fresh() -> None:
        """A new, empty ledger behind the app (on the backend of `settings`)."""
        n = next(ledgers)
        if opened:  # the last scenario's ledger closed (its connections given back)
            for _ in opened.pop():
                pass
        url = settings.database_url and settings.database_url.replace("?schema=", f"?schema=s{n}_")
        opened.append(make_api(Settings(database_url=url, data_dir=tmp_path / f"ledger-{n}")))
        current.append(next(opened[-1]))
        served.app = current[-1].client.app
        secretariat = {"Authorization": f"Bearer {current[-1].tokens['secretariat']}"}
        for decision in basics():
            assert current[-1].client.post("/v1/decisions", json=decision, headers=secretariat)

    fresh()
    schema = schemathesis.openapi.from_asgi("/openapi.json", served).include(
        path_regex="^/v1/decisions"
    )

    @schema.hook("map_body")  # type: ignore[untyped-decorator]
    def decided_in_force(context: Any, body: Any) -> Any:
        """Decisions by a party in force at their date, so that some are recorded: a generated
        party name is almost never registered, and a refusal has no links to follow."""
        for decision in body.get("decisions", [body]) if isinstance(body, dict) else []:
            if isinstance(decision, dict):
                decision.update(decided_by=["smb"], requires_consent_of=[])
                if "effective_on" in decision:
                    decision["effective_on"] = "2021-01-01"
        return body

    links = schema.raw_schema["paths"]["/v1/decisions"]["post"]["responses"]["201"]["links"]
    assert set(links) == {"TheDecision", "ItsProof"}
    followed: Counter[tuple[str, int]] = Counter()

    class Scenario(schema.as_state_machine()):  # type: ignore[misc]
        fresh_ledger = True

        def setup(self) -> None:
            self.fresh_ledger = False  # (made at the first call: most scenarios make none)

        def before_call(self, case: Any) -> None:
            if not self.fresh_ledger:
                fresh()
                self.fresh_ledger = True

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": {"Authorization": f"Bearer {current[-1].tokens['secretariat']}"}}

        def after_call(self, response: Any, case: Any) -> None:
            super().after_call(response, case)
            followed[(f"{case.method} {case.path}", response.status_code)] += 1

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(
                response,
                checks=[*CHECKS, ensure_resource_availability, use_after_free],
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    try:
        Scenario.run(
            settings=hypothesis.settings(
                max_examples=6,
                stateful_step_count=4,
                derandomize=True,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
        )
    finally:
        for _ in opened.pop():  # (ends the client: the app shuts down, closing its ledger)
            pass
        if settings.database_url:
            for n in range(next(ledgers)):
                _drop_schema(f"s{n}_" + settings.database_url.split("?schema=")[1])
    # the scenarios did record decisions and then read them through the links
    assert followed[("POST /v1/decisions", 201)] > 0, followed
    assert followed[("GET /v1/decisions/{decision_id}", 200)] > 0, followed
