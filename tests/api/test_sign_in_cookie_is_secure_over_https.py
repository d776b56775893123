"""The sign-in cookie is `Secure` when the request came over HTTPS: directly, or through a proxy
listed in LEDGER_TRUSTED_PROXIES that says so in `X-Forwarded-Proto`. From any other peer that
header is ignored."""

from __future__ import annotations

from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from api.http import create_app
from api.pages import COOKIE, OPEN_ON_LOOPBACK_ENV
from ledger.access import Role
from ledger.settings import Settings

PROXY = "10.0.0.1"


@pytest.fixture
def proxied(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> tuple[Settings, str]:
    monkeypatch.delenv(OPEN_ON_LOOPBACK_ENV, raising=False)
    behind = replace(settings, trusted_proxies=(PROXY,))
    app = create_app(behind)
    token = app.state.access.issue("evaluator-1", Role.EVALUATOR, by="test")
    app.state.ledger.close()
    app.state.access.close()
    return behind, token


def _sign_in(
    settings: Settings, token: str, *, base: str, peer: str, headers: dict[str, str]
) -> str:
    with TestClient(
        create_app(settings), base_url=base, client=(peer, 40000), follow_redirects=False
    ) as client:
        response = client.post("/sign-in", data={"token": token}, headers=headers)
        assert response.status_code == 303, response.text
        cookies = response.headers.get_list("set-cookie")
        (cookie,) = [c for c in cookies if c.startswith(f"{COOKIE}=")]
        return cookie


def test_over_https_the_cookie_is_secure(proxied: tuple[Settings, str]) -> None:
    settings, token = proxied
    own = "https://testserver"
    cookie = _sign_in(settings, token, base=own, peer="192.0.2.9", headers={"Origin": own})
    assert "; secure" in cookie.lower()


def test_over_plain_http_it_is_not(proxied: tuple[Settings, str]) -> None:
    settings, token = proxied
    own = "http://testserver"
    cookie = _sign_in(settings, token, base=own, peer="192.0.2.9", headers={"Origin": own})
    assert "secure" not in cookie.lower()


def test_behind_a_trusted_proxy_x_forwarded_proto_https_makes_it_secure(
    proxied: tuple[Settings, str],
) -> None:
    settings, token = proxied
    headers = {"X-Forwarded-Proto": "https", "Origin": "https://testserver"}
    cookie = _sign_in(settings, token, base="http://testserver", peer=PROXY, headers=headers)
    assert "; secure" in cookie.lower()


def test_x_forwarded_proto_from_an_untrusted_peer_is_ignored(
    proxied: tuple[Settings, str],
) -> None:
    settings, token = proxied
    headers = {"X-Forwarded-Proto": "https", "Origin": "http://testserver"}
    cookie = _sign_in(settings, token, base="http://testserver", peer="192.0.2.9", headers=headers)
    assert "secure" not in cookie.lower()
