"""Signing in and out only from this site's own pages (no login CSRF).

A POST to /sign-in or /sign-out is accepted when its Origin is this site's origin; without
Origin, when its Referer is on this site; with neither, when its form carries the value of the
site's CSRF cookie (double submit). Anything else is refused with 403 and changes no cookie.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from api.http import create_app
from api.pages import COOKIE, OPEN_ON_LOOPBACK_ENV
from ledger.access import Role
from ledger.settings import Settings

OWN = "http://testserver"
EVIL = "http://evil.example"


@dataclass
class Site:
    client: TestClient
    token: str

    def sign_in(self, headers: dict[str, str] | None = None, **form: str) -> int:
        data = {"token": self.token, "next": "/", **form}
        response = self.client.post("/sign-in", data=data, headers=headers or {})
        assert (COOKIE in response.cookies) == (response.status_code == 303)
        return response.status_code

    def csrf_from_form(self) -> str:
        form = self.client.get("/sign-in")
        found = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert found is not None, form.text
        assert self.client.cookies.get("ledger_csrf") == found.group(1)
        return found.group(1)


@pytest.fixture
def site(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    monkeypatch.delenv(OPEN_ON_LOOPBACK_ENV, raising=False)
    app = create_app(settings)
    token = app.state.access.issue("evaluator-1", Role.EVALUATOR, by="test")
    with TestClient(app, follow_redirects=False) as client:
        yield Site(client, token)


def test_a_sign_in_posted_from_another_site_is_refused(site: Site) -> None:
    assert site.sign_in({"Origin": EVIL}) == 403
    assert site.sign_in({"Origin": "null"}) == 403
    assert site.sign_in({"Origin": "https://testserver"}) == 403  # another scheme, another origin


def test_a_sign_in_from_the_sites_own_origin_is_accepted(site: Site) -> None:
    assert site.sign_in({"Origin": OWN}) == 303
    assert site.sign_in({"Origin": "http://TestServer:80"}) == 303  # the same origin, spelt out


def test_without_origin_the_referer_decides(site: Site) -> None:
    assert site.sign_in({"Referer": f"{EVIL}/sign-in"}) == 403
    assert site.sign_in({"Referer": f"{OWN}.evil.example/sign-in"}) == 403
    assert site.sign_in({"Referer": f"{OWN}/sign-in?next=/"}) == 303


def test_without_origin_or_referer_the_form_must_carry_the_csrf_cookies_value(site: Site) -> None:
    assert site.sign_in() == 403
    value = site.csrf_from_form()
    assert site.sign_in(csrf="forged") == 403
    assert site.sign_in(csrf=value) == 303


def test_a_refused_sign_in_says_why(site: Site) -> None:
    response = site.client.post(
        "/sign-in", data={"token": site.token}, headers={"Origin": EVIL}, params={"lang": "en"}
    )
    assert response.status_code == 403
    assert "did not come from this site" in response.text


def test_a_sign_out_posted_from_another_site_is_refused(site: Site) -> None:
    assert site.sign_in({"Origin": OWN}) == 303
    refused = site.client.post("/sign-out", headers={"Origin": EVIL})
    assert refused.status_code == 403
    assert not [c for c in refused.headers.get_list("set-cookie") if c.startswith(COOKIE)]
    assert site.client.get("/").status_code == 200  # still signed in
    done = site.client.post("/sign-out", headers={"Origin": OWN})
    assert done.status_code == 303
    assert site.client.get("/").status_code == 303


def test_every_page_carries_the_csrf_value_in_its_sign_out_form(site: Site) -> None:
    assert site.sign_in({"Origin": OWN}) == 303
    page = site.client.get("/risks").text
    found = re.search(r'action="/sign-out[^"]*".*?name="csrf" value="([^"]+)"', page, re.S)
    assert found is not None
    assert site.client.post("/sign-out", data={"csrf": found.group(1)}).status_code == 303
