# ruff: noqa: F811 - pytest fixtures imported from test_http_helpers
"""Nobody locks the administrators out: the last active admin token cannot be revoked (409 over
HTTP, exit 1 from the CLI), and an admin that revokes its own token is told it did."""

from __future__ import annotations

from typer.testing import CliRunner

from api.cli import app
from ledger.access import AccessStore, Role
from ledger.settings import Settings
from tests.api.test_http_helpers import Api, api  # noqa: F401 - the fixture

PROBLEM = "application/problem+json"


def test_the_last_active_admin_token_cannot_be_revoked_over_http(api: Api) -> None:
    response = api.client.delete("/v1/tokens/admin-1", headers=api.auth("admin"))
    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM
    assert "last active admin token" in response.json()["detail"]
    assert api.get("/v1/tokens", role="admin").status_code == 200


def test_the_last_active_admin_token_cannot_be_revoked_from_the_cli(env: Settings) -> None:
    access = AccessStore(env)
    access.issue("beheer", Role.ADMIN, by="test")
    access.issue("wodc", Role.EVALUATOR, by="test")
    access.close()
    runner = CliRunner()
    refused = runner.invoke(app, ["tokens", "revoke", "beheer"])
    assert refused.exit_code == 1
    assert "last active admin token" in refused.output
    assert "ledger tokens issue --role admin" in refused.output
    assert runner.invoke(app, ["tokens", "revoke", "wodc"]).exit_code == 0


def test_with_a_second_admin_the_first_may_go(env: Settings) -> None:
    access = AccessStore(env)
    access.issue("beheer", Role.ADMIN, by="test")
    access.issue("beheer-2", Role.ADMIN, by="test")
    access.close()
    runner = CliRunner()
    assert runner.invoke(app, ["tokens", "revoke", "beheer"]).exit_code == 0
    assert runner.invoke(app, ["tokens", "revoke", "beheer-2"]).exit_code == 1


def test_an_admin_that_revokes_its_own_token_is_told_so(api: Api) -> None:
    api.access.issue("admin-2", Role.ADMIN, by="test")
    response = api.client.delete("/v1/tokens/admin-1", headers=api.auth("admin"))
    assert response.status_code == 200
    answer = response.json()
    assert answer["name"] == "admin-1" and answer["own_access_revoked"] is True
    assert "no longer works" in answer["detail"]
    assert api.get("/v1/tokens", role="admin").status_code == 401


def test_revoking_another_token_still_answers_204(api: Api) -> None:
    response = api.client.delete("/v1/tokens/evaluator-1", headers=api.auth("admin"))
    assert response.status_code == 204
    assert response.content == b""
