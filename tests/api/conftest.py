"""Fixtures for the edge: the environment a command-line or server process reads."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.http import create_app
from ledger.access import Role
from ledger.demo import load_demo
from ledger.settings import Settings


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("LEDGER_DATA_DIR", str(settings.data_dir))
    if settings.database_url:
        monkeypatch.setenv("LEDGER_DATABASE_URL", settings.database_url)
    else:
        monkeypatch.delenv("LEDGER_DATABASE_URL", raising=False)
    return settings


@pytest.fixture
def demo_api(settings: Settings) -> Iterator[TestClient]:
    """The API over the demo (the letter of 3 February 2022), with an evaluator's token."""
    app = create_app(settings)
    load_demo(app.state.ledger)
    token = app.state.access.issue("wodc", Role.EVALUATOR, by="test")
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
        yield client
