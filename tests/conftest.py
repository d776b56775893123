"""Fixtures shared by every test: the two storage backends and a builder of decisions.

Every test that takes `settings` (or `ledger`) runs once on embedded SQLite and once on
PostgreSQL, each in a fresh database (a new directory, a new schema). PostgreSQL tests are
never skipped: if the server does not answer, they fail. Set LEDGER_TEST_POSTGRES_URL to point
them elsewhere (default postgresql://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from ledger.service import Ledger
from ledger.settings import Settings

POSTGRES_URL = os.environ.get(
    "LEDGER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def _drop_schema(schema: str) -> None:
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Settings for a fresh, empty ledger on each backend."""
    if request.param == "sqlite":
        yield Settings(database_url=None, data_dir=tmp_path / "var")
        return
    schema = f"t_{uuid.uuid4().hex[:16]}"
    try:
        yield Settings(database_url=f"{POSTGRES_URL}?schema={schema}", data_dir=tmp_path / "var")
    finally:
        _drop_schema(schema)


@pytest.fixture
def postgres_settings(tmp_path: Path) -> Iterator[Settings]:
    """Settings for a fresh, empty ledger on PostgreSQL only (what SQLite does not have)."""
    schema = f"t_{uuid.uuid4().hex[:16]}"
    try:
        yield Settings(database_url=f"{POSTGRES_URL}?schema={schema}", data_dir=tmp_path / "var")
    finally:
        _drop_schema(schema)


@pytest.fixture
def ledger(settings: Settings) -> Iterator[Ledger]:
    instance = Ledger(settings)
    try:
        yield instance
    finally:
        instance.close()
