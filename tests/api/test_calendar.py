"""The deadline calendar (`GET /v1/calendar.ics`) on the demo: what a calendar program that
subscribes with a token gets — commitments due, evaluations expected — each an all-day event
with a stable UID, settled ones marked; filtered by party; refused without a valid token."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import date

import httpx
import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar

from api.http import create_app
from ledger.access import Role
from ledger.demo import load_demo
from ledger.settings import Settings

LETTER = "2022-02-03"


@pytest.fixture
def feed(settings: Settings) -> Iterator[tuple[TestClient, str]]:
    app = create_app(settings)
    load_demo(app.state.ledger)
    token = app.state.access.issue("agenda-wodc", Role.EVALUATOR, by="test")
    with TestClient(app) as client:
        yield client, token


def _basic(token: str, user: str = "wodc") -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{token}".encode()).decode()}


def _events(answer: httpx.Response) -> dict[str, dict[str, object]]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(answer.content)
    return {
        str(e["UID"]): {
            "start": e.decoded("DTSTART"),
            "summary": str(e["SUMMARY"]),
            "url": str(e["URL"]),
        }
        for e in calendar.walk("VEVENT")
    }


def test_a_subscriber_sees_the_deadlines_of_the_day_of_the_letter(
    feed: tuple[TestClient, str],
) -> None:
    client, token = feed
    events = _events(
        client.get("/v1/calendar.ics", params={"as_of": LETTER}, headers=_basic(token))
    )
    q1 = events["commitment-verkenning-c2000-keten-q1-2022@meldkamer-ledger"]
    assert q1["start"] == date(2022, 3, 31)  # an all-day event on the due date
    assert str(q1["summary"]).startswith("Toezegging: De verkenning")
    assert "/decisions/" in str(q1["url"])
    kept = events["commitment-evaluatie-governance-na-een-jaar@meldkamer-ledger"]
    assert "(nagekomen op 2021-07-01)" in str(kept["summary"])  # settled: still there, marked
    assert any(uid.startswith("evaluation-") for uid in events)
    # the same deadlines, the same events (a calendar program updates them, adds none)
    again = _events(client.get("/v1/calendar.ics", params={"as_of": LETTER}, headers=_basic(token)))
    assert again.keys() == events.keys()


def test_the_calendar_follows_the_date_and_the_party(feed: tuple[TestClient, str]) -> None:
    client, token = feed
    before = _events(
        client.get("/v1/calendar.ics", params={"as_of": "2021-01-01"}, headers=_basic(token))
    )
    assert "commitment-verkenning-c2000-keten-q1-2022@meldkamer-ledger" not in before
    bearer = {"Authorization": f"Bearer {token}"}
    minister = _events(
        client.get(
            "/v1/calendar.ics", params={"as_of": LETTER, "party": "minister-jenv"}, headers=bearer
        )
    )
    wodc = _events(
        client.get("/v1/calendar.ics", params={"as_of": LETTER, "party": "wodc"}, headers=bearer)
    )
    assert minister and wodc and not minister.keys() & wodc.keys()
    assert all(uid.startswith("evaluation-") for uid in wodc)
    nobody = client.get(
        "/v1/calendar.ics", params={"as_of": LETTER, "party": "niemand"}, headers=bearer
    )
    assert _events(nobody) == {}


def test_a_calendar_needs_a_valid_token(feed: tuple[TestClient, str]) -> None:
    client, token = feed
    missing = client.get("/v1/calendar.ics")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Basic")  # a calendar program asks
    assert client.get("/v1/calendar.ics", headers=_basic("not-a-token")).status_code == 401
    assert client.get("/v1/calendar.ics", headers={"Authorization": "Basic %%%"}).status_code == 401
    assert client.get("/v1/calendar.ics", headers=_basic(token, user="")).status_code == 200


def test_a_second_reader_reads_the_same_calendar(feed: tuple[TestClient, str]) -> None:
    """vobject, another iCalendar implementation than the one that writes the feed, reads the
    same events with the same dates and summaries; every line ends in CRLF and is folded at 75
    octets, as RFC 5545 asks."""
    import vobject

    client, token = feed
    answer = client.get("/v1/calendar.ics", params={"as_of": LETTER}, headers=_basic(token))
    body = answer.content
    lines = body.split(b"\r\n")
    assert lines[-1] == b"" and all(b"\n" not in line for line in lines)
    assert all(len(line) <= 75 for line in lines)
    parsed = vobject.readOne(body.decode())
    theirs = {str(e.uid.value): (e.dtstart.value, str(e.summary.value)) for e in parsed.vevent_list}
    ours = {uid: (e["start"], e["summary"]) for uid, e in _events(answer).items()}
    assert theirs == ours and len(ours) >= 5
