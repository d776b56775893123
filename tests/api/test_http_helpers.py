"""Shared fixtures of the HTTP tests: an app over a fresh ledger on each backend, one token a role.

Imported by the test_http_* modules; holds no tests itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api.http import create_app
from ledger.access import AccessStore, Role
from ledger.settings import Settings

SOURCE = "Kamerstuk 25124-109"


@dataclass
class Api:
    """A test client and a token per role."""

    client: TestClient
    access: AccessStore
    tokens: dict[str, str]

    def auth(self, role: str = "secretariat") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def post(self, body: Any, role: str = "secretariat", **headers: str) -> httpx.Response:
        headers = {**self.auth(role), **headers}
        return self.client.post("/v1/decisions", json=body, headers=headers)

    def batch(self, bodies: list[Any], role: str = "secretariat", **headers: str) -> httpx.Response:
        headers = {**self.auth(role), **headers}
        return self.client.post("/v1/decisions/batch", json={"decisions": bodies}, headers=headers)

    def get(self, path: str, role: str = "evaluator", **params: Any) -> httpx.Response:
        return self.client.get(path, params=params, headers=self.auth(role))


def body(kind: str, **fields: Any) -> dict[str, Any]:
    """A decision as the secretariat sends it; the SMB deciding on 3 February 2022 by default."""
    data: dict[str, Any] = {
        "kind": kind,
        "decided_by": ["smb"],
        "effective_on": "2022-02-03",
        "source": SOURCE,
    }
    data.update(fields)
    return data


def party(slug: str, kind: str = "board", on: str = "2020-07-01") -> dict[str, Any]:
    return body(
        "party.registered",
        party=slug,
        name=slug.upper(),
        party_kind=kind,
        decided_by=[slug],
        effective_on=on,
    )


def subject(slug: str, on: str = "2020-07-01") -> dict[str, Any]:
    return body(
        "subject.registered",
        subject=slug,
        name=slug.upper(),
        subject_kind="system",
        effective_on=on,
    )


def basics() -> list[dict[str, Any]]:
    """The SMB, the korpschef, the minister and C2000, from 1 July 2020."""
    return [
        party("smb"),
        party("korpschef", kind="korpschef"),
        party("minister-jenv", kind="minister"),
        subject("c2000"),
    ]


def make_api(settings: Settings, issue: bool = True, **limits: int) -> Iterator[Api]:
    app = create_app(settings, **limits)
    access: AccessStore = app.state.access
    tokens = (
        {role.value: access.issue(f"{role.value}-1", role, by="test") for role in Role}
        if issue
        else {}
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client, access, tokens)


@pytest.fixture
def api(settings: Settings) -> Iterator[Api]:
    """The HTTP API over a fresh ledger, with a token for every role."""
    yield from make_api(settings)
