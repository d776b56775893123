"""One settings object, read from the environment.

`LEDGER_DATABASE_URL` unset: embedded SQLite files under `LEDGER_DATA_DIR` (default `./var`).
`LEDGER_DATABASE_URL=postgresql://user[:password]@host[:port]/dbname[?schema=name]`: PostgreSQL.
`LEDGER_PREPARE=0`: a server does not prepare its read model for questions at any date
(`projections.evaluation.prepare`; default 1).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

APPLICATION_NAME = "governance"
"""Pinned: PostgreSQL table names derive from it (`governance_events`)."""


class SettingsError(ValueError):
    """Refuse a configuration that cannot work."""


_SWITCH = {word: True for word in ("1", "true", "yes", "on")} | {
    word: False for word in ("0", "false", "no", "off")
}
"""The words an on/off variable may take (after trimming and lower-casing)."""


@dataclass(frozen=True)
class Settings:
    database_url: str | None = None
    data_dir: Path = field(default_factory=lambda: Path("var"))
    prepare: bool = True
    """Whether a server prepares its read model for questions at any date."""

    @classmethod
    def from_env(cls) -> Settings:
        url = os.environ.get("LEDGER_DATABASE_URL") or None
        data_dir = Path(os.environ.get("LEDGER_DATA_DIR") or "var")
        prepare = os.environ.get("LEDGER_PREPARE", "1").strip().lower()
        if prepare not in _SWITCH:
            raise SettingsError(f"LEDGER_PREPARE must be 1 or 0 (or true/false), got {prepare!r}")
        settings = cls(database_url=url, data_dir=data_dir, prepare=_SWITCH[prepare])
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
                "SQLITE_LOCK_TIMEOUT": "30",
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
            "POSTGRES_LOCK_TIMEOUT": "30",
            "POSTGRES_CONNECT_TIMEOUT": "10",
            "POSTGRES_POOL_SIZE": "4",
            "POSTGRES_MAX_OVERFLOW": "8",
        }
