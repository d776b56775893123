"""`ledger tokens issue|revoke|list`: shown once, stored as hashes, recorded as events."""

from __future__ import annotations

import hashlib
import sqlite3
import threading

from typer.testing import CliRunner

from api.cli import app
from ledger.access import AccessStore, Role
from ledger.settings import Settings


def _env(settings: Settings) -> dict[str, str]:
    return {
        "LEDGER_DATABASE_URL": settings.database_url or "",
        "LEDGER_DATA_DIR": str(settings.data_dir),
    }


def test_issue_prints_the_token_alone_and_it_authenticates(settings: Settings) -> None:
    result = CliRunner().invoke(
        app, ["tokens", "issue", "--role", "secretariat", "--name", "anna"], env=_env(settings)
    )
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert result.stdout == token + "\n"
    assert " " not in token and len(token) > 40
    access = AccessStore(settings)
    assert access.authenticate(token) is not None
    assert access.authenticate(token).role is Role.SECRETARIAT  # type: ignore[union-attr]
    access.close()


def test_revoke_stops_the_token_and_list_shows_who_had_access_when(settings: Settings) -> None:
    runner = CliRunner()
    token = runner.invoke(
        app, ["tokens", "issue", "--role", "evaluator", "--name", "wodc"], env=_env(settings)
    ).stdout.strip()
    revoked = runner.invoke(app, ["tokens", "revoke", "wodc"], env=_env(settings))
    assert revoked.exit_code == 0
    access = AccessStore(settings)
    assert access.authenticate(token) is None
    (record,) = access.tokens()
    assert record.name == "wodc" and record.revoked_at is not None
    assert record.issued_by.startswith("cli:")
    access.close()
    listed = runner.invoke(app, ["tokens", "list"], env=_env(settings), terminal_width=200)
    assert "wodc" in listed.stdout and "evaluator" in listed.stdout


def test_a_name_can_be_reissued_only_after_revocation(settings: Settings) -> None:
    runner = CliRunner()
    args = ["tokens", "issue", "--role", "evaluator", "--name", "beheer"]
    assert runner.invoke(app, args, env=_env(settings)).exit_code == 0
    assert runner.invoke(app, args, env=_env(settings)).exit_code == 1
    assert runner.invoke(app, ["tokens", "revoke", "beheer"], env=_env(settings)).exit_code == 0
    assert runner.invoke(app, args, env=_env(settings)).exit_code == 0


def test_revoking_an_unknown_name_fails(settings: Settings) -> None:
    result = CliRunner().invoke(app, ["tokens", "revoke", "niemand"], env=_env(settings))
    assert result.exit_code == 1


def test_an_unknown_role_is_refused(settings: Settings) -> None:
    result = CliRunner().invoke(
        app, ["tokens", "issue", "--role", "god", "--name", "x"], env=_env(settings)
    )
    assert result.exit_code == 2


def test_only_the_hash_of_a_token_is_stored(tmp_path: object) -> None:
    settings = Settings(data_dir=tmp_path / "var")  # type: ignore[operator]
    access = AccessStore(settings)
    token = access.issue("anna", Role.SECRETARIAT, by="test")
    access.close()
    with sqlite3.connect(settings.sqlite_path("access")) as db:
        stored = b"".join(bytes(row[0]) for row in db.execute("SELECT state FROM stored_events"))
    assert token.encode() not in stored
    assert hashlib.sha256(token.encode()).hexdigest().encode() in stored


def test_workers_opening_the_token_store_of_a_fresh_ledger_together_all_open_it(
    settings: Settings,
) -> None:
    """Several API workers start on a new store at once: each creates the token store's
    schema and tables if missing; none fails on the others doing the same (they did on
    PostgreSQL: duplicate keys in the catalogue), and a token issued by one is seen by all."""
    opened: list[AccessStore] = []
    errors: list[BaseException] = []

    def open_store() -> None:
        try:
            opened.append(AccessStore(settings))
        except BaseException as error:  # (reported below, with the others)
            errors.append(error)

    workers = [threading.Thread(target=open_store) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert errors == [] and len(opened) == 8
    token = opened[0].issue("anna", Role.SECRETARIAT, by="test")
    assert all(store.authenticate(token) is not None for store in opened)
    for store in opened:
        store.close()
