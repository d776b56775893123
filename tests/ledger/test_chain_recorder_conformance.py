"""The chained recorders pass the eventsourcing library's own recorder test cases.

The library's `ApplicationRecorderTestCase` (insert/select, notifications, concurrent writers,
throughput) and `NonInterleavingNotificationIDsBaseCase` run against both chained recorders, on
SQLite (a file) and PostgreSQL (a fresh schema per test). After every test the chain the
library's writes produced must verify: every inserted event chained, in commit order.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
import tempfile
import types
import uuid
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
from eventsourcing.persistence import ApplicationRecorder
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

if importlib.util.find_spec("Crypto") is None:
    # eventsourcing.tests.persistence imports the AES cipher (extra `eventsourcing[crypto]`,
    # i.e. pycryptodome) for test cases not run here; stand in for it so the module imports.
    _cipher = types.ModuleType("eventsourcing.cipher")

    class AESCipher:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            raise RuntimeError("pycryptodome is not installed")

    _cipher.AESCipher = AESCipher  # type: ignore[attr-defined]
    sys.modules.setdefault("eventsourcing.cipher", _cipher)

from eventsourcing.tests.persistence import (
    ApplicationRecorderTestCase,
    NonInterleavingNotificationIDsBaseCase,
)

from ledger.chain import (
    ChainedPostgresApplicationRecorder,
    ChainedSQLiteApplicationRecorder,
)
from ledger.integrity import verify_chain
from tests.conftest import POSTGRES_URL


class _SQLite:
    """A fresh SQLite file per test; chained recorders over it; the chain checked at the end."""

    recorders: list[ChainedSQLiteApplicationRecorder]

    def setUp(self) -> None:
        self.tmp = tempfile.mkdtemp(prefix="chain-conformance-")
        self.db_uri = f"{self.tmp}/events.sqlite"
        self.recorders = []

    def create_recorder(self) -> ChainedSQLiteApplicationRecorder:
        recorder = ChainedSQLiteApplicationRecorder(
            SQLiteDatastore(db_name=self.db_uri, pool_size=20, lock_timeout=30)
        )
        recorder.create_table()
        self.recorders.append(recorder)
        return recorder

    def tearDown(self) -> None:
        try:
            _assert_chain_intact(self.recorders)
        finally:
            for recorder in self.recorders:
                recorder.datastore.close()
            shutil.rmtree(self.tmp, ignore_errors=True)


class _Postgres:
    """A fresh PostgreSQL schema per test; chained recorders in it; the chain checked at the end."""

    recorders: list[ChainedPostgresApplicationRecorder]

    def setUp(self) -> None:
        self.schema = f"t_conf_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{self.schema}"')
        parts = urlsplit(POSTGRES_URL)
        self.datastore = PostgresDatastore(
            dbname=parts.path.lstrip("/"),
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 5432,
            user=parts.username or "postgres",
            password=parts.password or "",
            schema=self.schema,
            pool_size=10,
            max_overflow=10,
            lock_timeout=30,
        )
        self.recorders = []

    def create_recorder(self) -> ChainedPostgresApplicationRecorder:
        recorder = ChainedPostgresApplicationRecorder(
            self.datastore, events_table_name="stored_events"
        )
        recorder.create_table()
        self.recorders.append(recorder)
        return recorder

    def tearDown(self) -> None:
        try:
            _assert_chain_intact(self.recorders)
        finally:
            self.datastore.close()
            with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')


def _assert_chain_intact(recorders: list[Any]) -> None:
    if not recorders:
        return
    recorder = recorders[-1]
    result = verify_chain(recorder)
    assert result.problem is None, result.problem
    stored = recorder.max_notification_id() or 0
    counted = 0
    after = 0
    while True:
        page = recorder.select_notifications(start=after, limit=5000, inclusive_of_start=False)
        if not page:
            break
        counted += len(page)
        after = page[-1].id
    assert result.count == counted, "every stored event is chained"
    assert result.head_position == stored


class TestChainedSQLiteApplicationRecorder(
    _SQLite, ApplicationRecorderTestCase[ChainedSQLiteApplicationRecorder]
):
    pass


class TestChainedSQLiteNonInterleaving(_SQLite, NonInterleavingNotificationIDsBaseCase):
    def create_recorder(self) -> ApplicationRecorder:
        return _SQLite.create_recorder(self)


@pytest.mark.postgres
class TestChainedPostgresApplicationRecorder(
    _Postgres, ApplicationRecorderTestCase[ChainedPostgresApplicationRecorder]
):
    def test_insert_subscribe(self) -> None:
        self.optional_test_insert_subscribe()


@pytest.mark.postgres
class TestChainedPostgresNonInterleaving(_Postgres, NonInterleavingNotificationIDsBaseCase):
    def create_recorder(self) -> ApplicationRecorder:
        return _Postgres.create_recorder(self)
