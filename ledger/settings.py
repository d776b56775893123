"""One settings object, read from the environment.

`LEDGER_DATABASE_URL` unset: embedded SQLite files under `LEDGER_DATA_DIR` (default `./var`).
`LEDGER_DATABASE_URL=postgresql://user[:password]@host[:port]/dbname[?schema=name]`: PostgreSQL.
`LEDGER_TRUSTED_PROXIES=10.0.0.1,10.1.0.0/16`: the reverse proxies whose `X-Forwarded-Proto`
and `X-Forwarded-For` a server believes (addresses or networks; default none).
`LEDGER_LOCK_TIMEOUT=30`: the seconds a write waits for the store's lock before it is refused
(HTTP 503, to retry).
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

APPLICATION_NAME = "governance"
"""Pinned: PostgreSQL table names derive from it (`governance_events`)."""


DATABASE_WAIT_SECONDS = 5
"""How long a request waits for PostgreSQL to answer again before it is told 503."""


class SettingsError(ValueError):
    """Refuse a configuration that cannot work."""


def _trusted_proxies(text: str) -> tuple[str, ...]:
    proxies = tuple(part.strip() for part in text.split(",") if part.strip())
    for proxy in proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise SettingsError(
                f"LEDGER_TRUSTED_PROXIES must list IP addresses or networks, got {proxy!r}"
            ) from None
    return proxies


@dataclass(frozen=True)
class Settings:
    database_url: str | None = None
    data_dir: Path = field(default_factory=lambda: Path("var"))
    trusted_proxies: tuple[str, ...] = ()
    """Addresses or networks of the reverse proxies whose forwarded headers are believed."""
    lock_timeout: int = 30
    """Seconds a write waits for the store's lock (another writer's transaction)."""

    @classmethod
    def from_env(cls) -> Settings:
        url = os.environ.get("LEDGER_DATABASE_URL") or None
        data_dir = Path(os.environ.get("LEDGER_DATA_DIR") or "var")
        proxies = _trusted_proxies(os.environ.get("LEDGER_TRUSTED_PROXIES", ""))
        wait = os.environ.get("LEDGER_LOCK_TIMEOUT") or "30"
        if not wait.isdigit() or int(wait) < 1:
            raise SettingsError(
                f"LEDGER_LOCK_TIMEOUT must be a whole number of seconds, got {wait!r}"
            )
        settings = cls(
            database_url=url, data_dir=data_dir, trusted_proxies=proxies, lock_timeout=int(wait)
        )
        settings.eventsourcing_env()  # fail early on a malformed URL
        return settings

    @property
    def backend(self) -> str:
        return "postgresql" if self.database_url else "sqlite"

    @property
    def postgres_schema(self) -> str:
        return self._postgres()["POSTGRES_SCHEMA"]

    def sqlite_path(self, name: str = "ledger") -> Path:
        return self.data_dir / f"{name}.sqlite"

    def eventsourcing_env(self) -> dict[str, str]:
        """The eventsourcing library's persistence settings for the ledger's event store."""
        if self.database_url is None:
            return {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(self.sqlite_path()),
                "SQLITE_LOCK_TIMEOUT": str(self.lock_timeout),
            }
        return {"PERSISTENCE_MODULE": "eventsourcing.postgres", **self._postgres()}

    def _postgres(self) -> dict[str, str]:
        if self.database_url is None:
            raise SettingsError("no PostgreSQL database is configured")
        parts = urlsplit(self.database_url)
        if parts.scheme not in ("postgresql", "postgres"):
            raise SettingsError(
                f"LEDGER_DATABASE_URL must start with postgresql://, got {parts.scheme!r}"
            )
        dbname = parts.path.lstrip("/")
        if not dbname:
            raise SettingsError("LEDGER_DATABASE_URL names no database (postgresql://host/DBNAME)")
        schema = parse_qs(parts.query).get("schema", ["public"])[0]
        if not schema.replace("_", "").isalnum():
            raise SettingsError(f"schema {schema!r} must be letters, digits and underscores")
        return {
            "POSTGRES_DBNAME": dbname,
            "POSTGRES_HOST": parts.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": unquote(parts.username or os.environ.get("USER", "postgres")),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
            "POSTGRES_SCHEMA": schema,
            "POSTGRES_LOCK_TIMEOUT": str(self.lock_timeout),
            # How long a request waits for a connection when the database is away (a restart
            # of a few seconds passes unnoticed) before it is answered 503, to retry.
            "POSTGRES_CONNECT_TIMEOUT": str(DATABASE_WAIT_SECONDS),
            "POSTGRES_POOL_SIZE": "4",
            "POSTGRES_MAX_OVERFLOW": "8",
            # A pooled connection is checked before it is lent (one round trip), so after the
            # database restarts the first request on each dead connection is not a 503.
            "POSTGRES_PRE_PING": "y",
        }
