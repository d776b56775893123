"""Wrong tokens are throttled per client address and every failure is logged.

After 10 wrong tokens within a minute from one address, that address is answered 429 (with
Retry-After) until the minute has passed, whatever token it sends; other addresses go on as
before. The log names the address and the first characters of the token, never the token.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.http import create_app
from api.pages import OPEN_ON_LOOPBACK_ENV
from api.throttle import FAILURE_LIMIT, WINDOW, Throttle
from ledger.access import Role
from ledger.settings import Settings

WRONG = "mkl_this-is-not-a-token-of-this-ledger-at-all-000"


@dataclass
class Clock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Guarded:
    app: FastAPI
    client: TestClient
    token: str
    clock: Clock

    def read(self, token: str, client: TestClient | None = None, **headers: str) -> int:
        response = (client or self.client).get(
            "/v1/parties", headers={"Authorization": f"Bearer {token}", **headers}
        )
        return response.status_code

    def other(self, address: str) -> TestClient:
        return TestClient(self.app, client=(address, 40000), follow_redirects=False)


def _guarded(settings: Settings) -> Iterator[Guarded]:
    app = create_app(settings)
    clock = Clock()
    app.state.throttle = Throttle(clock=clock)
    token = app.state.access.issue("evaluator-1", Role.EVALUATOR, by="test")
    with TestClient(app, client=("192.0.2.1", 40000), follow_redirects=False) as client:
        yield Guarded(app, client, token, clock)


@pytest.fixture
def guarded(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Guarded]:
    monkeypatch.delenv(OPEN_ON_LOOPBACK_ENV, raising=False)
    yield from _guarded(settings)


def test_after_ten_wrong_tokens_within_a_minute_an_address_is_answered_429(
    guarded: Guarded,
) -> None:
    assert FAILURE_LIMIT == 10 and WINDOW == 60
    for _ in range(FAILURE_LIMIT):
        guarded.clock.now += 1
        assert guarded.read(WRONG) == 401
    response = guarded.client.get("/v1/parties", headers={"Authorization": f"Bearer {WRONG}"})
    assert response.status_code == 429
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "51"  # the first failure is 9 s old
    assert "try again in 51 s" in response.json()["detail"]
    # a right token from there waits too: guessing on would tell nothing
    assert guarded.read(guarded.token) == 429


def test_the_address_may_try_again_once_the_minute_has_passed(guarded: Guarded) -> None:
    for _ in range(FAILURE_LIMIT):
        assert guarded.read(WRONG) == 401
    assert guarded.read(guarded.token) == 429
    guarded.clock.now += WINDOW
    assert guarded.read(guarded.token) == 200


def test_failures_spread_over_more_than_a_minute_are_not_held_against_anyone(
    guarded: Guarded,
) -> None:
    for _ in range(3 * FAILURE_LIMIT):
        guarded.clock.now += 7  # about 8 a minute
        assert guarded.read(WRONG) == 401
    assert guarded.read(guarded.token) == 200


def test_another_address_is_not_held_back(guarded: Guarded) -> None:
    for _ in range(FAILURE_LIMIT):
        guarded.read(WRONG)
    assert guarded.read(guarded.token) == 429
    assert guarded.read(guarded.token, guarded.other("192.0.2.2")) == 200


def test_requests_without_a_token_are_not_counted(guarded: Guarded) -> None:
    for _ in range(2 * FAILURE_LIMIT):
        assert guarded.client.get("/v1/parties").status_code == 401
    assert guarded.read(guarded.token) == 200


def test_every_failed_token_is_logged_with_the_address_and_its_first_characters_only(
    guarded: Guarded, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="ledger.access"):
        for _ in range(FAILURE_LIMIT + 2):
            guarded.read(WRONG)
    records = [r for r in caplog.records if r.name == "ledger.access"]
    assert len(records) == FAILURE_LIMIT + 2
    for record in records:
        text = record.getMessage()
        assert "192.0.2.1" in text
        assert WRONG[:6] in text
        assert WRONG[:7] not in text


def test_the_sign_in_page_answers_429_with_a_message(guarded: Guarded) -> None:
    own = {"Origin": "http://testserver"}
    for _ in range(FAILURE_LIMIT):
        refused = guarded.client.post("/sign-in", data={"token": WRONG}, headers=own)
        assert refused.status_code == 401
    response = guarded.client.post(
        "/sign-in", data={"token": guarded.token}, headers=own, params={"lang": "en"}
    )
    assert response.status_code == 429
    assert response.headers["retry-after"] == "60"
    assert "Too many wrong tokens" in response.text
    assert "set-cookie" not in response.headers or "ledger_pages_token" not in response.cookies
    # the API and the pages count together
    assert guarded.read(guarded.token) == 429


def test_behind_a_trusted_proxy_each_forwarded_client_is_counted_apart(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(OPEN_ON_LOOPBACK_ENV, raising=False)
    for site in _guarded(replace(settings, trusted_proxies=("192.0.2.1",))):
        for _ in range(FAILURE_LIMIT):
            assert site.read(WRONG, **{"X-Forwarded-For": "198.51.100.7"}) == 401
        assert site.read(site.token, **{"X-Forwarded-For": "198.51.100.7"}) == 429
        assert site.read(site.token, **{"X-Forwarded-For": "198.51.100.8"}) == 200
        # a client cannot dodge the count by sending its own X-Forwarded-For through the proxy
        spoofed = {"X-Forwarded-For": "203.0.113.1, 198.51.100.7"}
        assert site.read(site.token, **spoofed) == 429
