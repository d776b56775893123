"""The monitor on the demo: every point equals the gap report and the registers asked on that
date (as known now, and as known at a moment before anything was recorded)."""

from __future__ import annotations

import csv
import io
import json

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli import app as cli
from api.pages import COOKIE
from ledger.settings import Settings


def test_every_point_is_the_gap_report_and_the_registers_of_its_date(
    demo_api: TestClient,
) -> None:
    answer = demo_api.get("/v1/monitor", params={"from": "2021-01-01", "to": "2022-04-15"})
    assert answer.status_code == 200, answer.text
    points = answer.json()["points"]
    assert [p["as_of"] for p in points][:2] == ["2021-01-31", "2021-02-28"]
    assert points[-1]["as_of"] == "2022-04-15" and len(points) == 16
    assert points[-1]["gaps_total"] > 0 and points[-1]["commitments"]["overdue"] == 1
    for p in points:
        day = {"as_of": p["as_of"]}
        counts = demo_api.get("/v1/gaps", params={**day, "limit": 1}).json()["counts"]
        assert {r: n for r, n in p["gaps"].items() if n} == counts, p["as_of"]
        assert p["unaccountable_subjects"] == counts.get("no_accountable", 0)
        open_recs = demo_api.get("/v1/recommendations", params={**day, "status": "open"})
        assert p["recommendations"]["open"] == len(open_recs.json()["items"])
        overdue = demo_api.get("/v1/commitments", params={**day, "overdue": "true"})
        assert p["commitments"]["overdue"] == len(overdue.json()["items"])
        risks = demo_api.get("/v1/risks", params=day).json()["items"]
        assert sum(s["identified"] for s in p["risks"].values()) == len(risks)


def test_as_known_before_anything_was_recorded_the_monitor_is_empty(
    demo_api: TestClient,
) -> None:
    early = {"from": "2021-01-01", "to": "2021-06-30", "known_at": "2000-01-01"}
    points = demo_api.get("/v1/monitor", params=early).json()["points"]
    assert all(p["gaps_total"] == 0 and not p["risks"] for p in points)


def test_the_monitor_as_csv_and_its_errors(demo_api: TestClient) -> None:
    params = {"from": "2021-01-01", "to": "2022-04-15", "step": "quarter", "format": "csv"}
    answer = demo_api.get("/v1/monitor", params=params)
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [r["as_of"] for r in rows] == [
        "2021-03-31", "2021-06-30", "2021-09-30", "2021-12-31", "2022-03-31", "2022-04-15",
    ]  # fmt: skip
    assert "no_accountable" in rows[0] and "attachment" in answer.headers["content-disposition"]
    backwards = demo_api.get("/v1/monitor", params={"from": "2022-01-01", "to": "2021-01-01"})
    assert backwards.status_code == 422 and "from" in backwards.text
    assert demo_api.get("/v1/monitor", params={"step": "week"}).status_code == 422
    too_many = demo_api.get("/v1/monitor", params={"from": "1900-01-01", "to": "2100-01-01"})
    assert too_many.status_code == 422 and "step" in too_many.text


def test_ledger_monitor_prints_the_same_points(demo_api: TestClient, env: Settings) -> None:
    result = CliRunner().invoke(
        cli, ["monitor", "--from", "2022-01-01", "--to", "2022-04-15", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    api = demo_api.get("/v1/monitor", params={"from": "2022-01-01", "to": "2022-04-15"})
    cli_points = json.loads(result.stdout)
    assert [p["gaps"] for p in cli_points] == [p["gaps"] for p in api.json()["points"]]


def test_the_monitor_page_charts_and_tabulates_the_same_points(demo_api: TestClient) -> None:
    token = demo_api.headers["Authorization"].removeprefix("Bearer ")
    demo_api.cookies.set(COOKIE, token)
    page = demo_api.get("/monitor", params={"as_of": "2022-04-15", "from": "2021-01-01"})
    assert page.status_code == 200, page.text[:500]
    html = page.text
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html and "stroke-dasharray" in html
    rows = html.split('data-testid="monitor"', 1)[1].split("</table>", 1)[0]
    api = demo_api.get("/v1/monitor", params={"from": "2021-01-01", "to": "2022-04-15"})
    for p in api.json()["points"]:
        assert f">{p['as_of']}</a></th><td>{p['gaps_total']}</td>" in rows
    assert 'data-testid="inventory"' in html
    assert demo_api.get("/monitor", params={"step": "week"}).status_code == 422


def test_the_first_and_last_years_of_the_calendar_are_dates_like_any_other(
    demo_api: TestClient,
) -> None:
    early = demo_api.get("/v1/monitor", params={"to": "0002-01-01", "step": "year"})
    assert early.status_code == 200, early.text
    assert [p["as_of"] for p in early.json()["points"]] == ["0001-12-31", "0002-01-01"]
    late = {"from": "9998-06-01", "to": "9999-12-31", "step": "year"}
    points = demo_api.get("/v1/monitor", params=late).json()["points"]
    assert [p["as_of"] for p in points] == ["9998-12-31", "9999-12-31"]
