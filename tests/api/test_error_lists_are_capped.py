# ruff: noqa: F811 - pytest fixtures imported from test_http_helpers
"""However many problems a request or a file has, the answer lists the first 50 and counts
them all: a batch of 9,999 empty decisions is answered in kilobytes, not megabytes."""

from __future__ import annotations

from pathlib import Path

import orjson
from typer.testing import CliRunner

from api.cli import app
from domain.errors import MAX_LISTED_PROBLEMS
from ledger.settings import Settings
from tests.api.test_http_helpers import Api, api, basics  # noqa: F401 - the fixture

EMPTY = {"kind": "responsibility.assigned"}  # six fields missing
"""A decision of a kind with none of its fields: six problems."""


def test_a_batch_of_thousands_of_empty_decisions_lists_the_first_errors_and_counts_all(
    api: Api,
) -> None:
    response = api.batch([EMPTY] * 9_999)
    assert response.status_code == 422
    assert len(response.content) < 20_000
    problem = response.json()
    assert len(problem["errors"]) == MAX_LISTED_PROBLEMS == 50
    assert problem["error_count"] == 59_994
    assert "59994 problems" in problem["detail"]
    assert f"the first {MAX_LISTED_PROBLEMS} are listed" in problem["detail"]
    assert problem["errors"][0]["field"].startswith("decisions[0].")
    assert problem["errors"][-1]["field"].startswith("decisions[8].")


def test_a_few_errors_are_all_listed_and_counted(api: Api) -> None:
    response = api.batch([basics()[0], EMPTY])
    problem = response.json()
    assert response.status_code == 422
    assert problem["error_count"] == len(problem["errors"]) == 6
    assert "listed" not in problem["detail"]


def test_the_cli_import_says_its_listing_stopped_at_the_first_problems(
    env: Settings, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b"".join(orjson.dumps(EMPTY) + b"\n" for _ in range(100)))
    result = CliRunner().invoke(app, ["import", str(bad)])
    assert result.exit_code == 1
    listed = [line for line in result.output.splitlines() if line.startswith("  line ")]
    assert len(listed) == MAX_LISTED_PROBLEMS
    assert f"stopped at the first {MAX_LISTED_PROBLEMS} problems" in result.output
    assert "nothing was recorded" in result.output
