"""Who may use the HTTP API: bearer tokens, their roles, and the record of who had access when.

Issuing and revoking a token are events in a second event store (an eventsourcing Application
pinned to the name "access": its own SQLite file, or `access_events` tables in PostgreSQL),
beside the ledger's. Only the SHA-256 digest of a token is stored. Every authentication first
reads the events recorded since the last one it saw, so a revocation made by any process takes
effect at once in every worker; the in-memory index is only a cache of that stream.

    AccessError
    ├── UnknownToken       no active token with that name                 (CLI: exit 1)
    ├── TokenNameTaken     an active token already has that name          (CLI: exit 1)
    └── LastAdminToken     revoking it would leave no active admin token  (CLI: exit 1)
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError, Mapper
from pydantic import BaseModel, ConfigDict, StringConstraints

from domain.vocabulary import Slug
from ledger.settings import Settings
from ledger.storage import OrjsonTranscoder, PydanticMapper, open_created

ACCESS_APPLICATION_NAME = "access"
"""Pinned: PostgreSQL table names derive from it (`access_events`)."""

ACCESS_STREAM_ID = uuid5(NAMESPACE_URL, "urn:meldkamer-ledger:access-tokens")
TOKEN_PREFIX = "mkl_"  # noqa: S105 - marks a token in logs and scanners
MAX_ATTEMPTS = 20

TokenName = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._@:-]{0,99}$", max_length=100)
]


class Role(StrEnum):
    """What a token may do: secretariat records and reads, evaluator reads, admin everything."""

    SECRETARIAT = "secretariat"
    EVALUATOR = "evaluator"
    ADMIN = "admin"

    def may_record(self) -> bool:
        return self in (Role.SECRETARIAT, Role.ADMIN)

    def may_administer(self) -> bool:
        return self is Role.ADMIN


class AccessError(Exception):
    """Base class of the errors of token administration."""


class UnknownToken(AccessError):
    """Report that no active token has that name."""


class TokenNameTaken(AccessError):
    """Refuse a name that an active token already has."""


class LastAdminToken(AccessError):
    """Refuse to revoke the last active admin token (nobody could manage tokens over HTTP)."""


# --- events ---------------------------------------------------------------------------------


class AccessEvent(BaseModel):
    """A fact about access to the ledger."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    class_version: ClassVar[int] = 1

    originator_id: UUID
    originator_version: int
    timestamp: datetime
    name: TokenName
    by: str


class TokenIssued(AccessEvent):
    role: Role
    token_sha256: str
    parties: list[Slug] = []  # the scope: the parties it may record for (none: any)


class TokenRevoked(AccessEvent):
    pass


class TokenScoped(AccessEvent):
    """The parties a token may record decisions for changed (none: any party)."""

    parties: list[Slug]


class AccessApplication(Application[UUID]):
    """The token store (its name is pinned: table names derive from it)."""

    name = ACCESS_APPLICATION_NAME

    def construct_mapper(self) -> Mapper[UUID]:
        return PydanticMapper(transcoder=OrjsonTranscoder())


# --- the store ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Principal:
    """Who a request comes from; `parties`, if any, are the only parties it may record
    decisions for (as deciders, so also consents on their behalf)."""

    name: str
    role: Role
    parties: tuple[str, ...] = ()

    def outside_scope(self, deciders: Iterable[str]) -> str | None:
        """The first of `deciders` this principal may not record for, or None."""
        if not self.parties:
            return None
        return next((p for p in deciders if p not in self.parties), None)


@dataclass(frozen=True)
class TokenRecord:
    """One token's life: issued, and perhaps revoked (the token itself is never kept)."""

    name: str
    role: Role
    issued_at: datetime
    issued_by: str
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    parties: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def access_env(settings: Settings) -> dict[str, str]:
    """The eventsourcing settings of the token store: beside the ledger's, never in its file."""
    env = settings.eventsourcing_env()
    if settings.database_url is None:
        env["SQLITE_DBNAME"] = str(settings.sqlite_path(ACCESS_APPLICATION_NAME))
    return env


class AccessStore:
    """Issue, revoke, list and check bearer tokens."""

    def __init__(self, settings: Settings) -> None:
        self._app = open_created(settings, lambda: AccessApplication(env=access_env(settings)))
        self._lock = threading.Lock()
        self._version = 0
        self._records: dict[str, TokenRecord] = {}
        self._history: list[TokenRecord] = []
        self._by_digest: dict[str, str] = {}
        self._catch_up()

    def close(self) -> None:
        self._app.close()

    def _catch_up(self) -> None:
        # Read outside the lock: while the database is away a read waits for it (up to
        # DATABASE_WAIT_SECONDS), and requests queued on the lock each waited that long in turn.
        events = list(self._app.events.get(ACCESS_STREAM_ID, gt=self._version or None))
        with self._lock:
            for event in events:
                if event.originator_version > self._version:  # (not taken in meanwhile)
                    self._take_in(event)  # type: ignore[arg-type]

    def _take_in(self, event: AccessEvent) -> None:
        self._version = event.originator_version
        if isinstance(event, TokenIssued):
            record = TokenRecord(
                event.name, event.role, event.timestamp, event.by, parties=tuple(event.parties)
            )
            self._records[event.name] = record
            self._by_digest[event.token_sha256] = event.name
            self._history.append(record)
        elif isinstance(event, TokenRevoked):
            old = self._records.pop(event.name, None)
            if old is not None:
                revoked = replace(old, revoked_at=event.timestamp, revoked_by=event.by)
                self._history[self._history.index(old)] = revoked
                self._by_digest = {k: v for k, v in self._by_digest.items() if v != event.name}
        elif isinstance(event, TokenScoped):
            old = self._records[event.name]
            scoped = replace(old, parties=tuple(event.parties))
            self._records[event.name] = scoped
            self._history[self._history.index(old)] = scoped

    def _save(self, make: type[AccessEvent], **fields: object) -> None:
        for _attempt in range(MAX_ATTEMPTS):
            self._catch_up()
            self._check(make, fields)
            event = make(
                originator_id=ACCESS_STREAM_ID,
                originator_version=self._version + 1,
                timestamp=datetime.now(UTC),
                **fields,
            )
            try:
                self._app.save(event)
            except IntegrityError:
                continue  # another process wrote first: catch up and check again
            self._catch_up()
            return
        raise AccessError("other processes kept changing the tokens; please retry")

    def _check(self, make: type[AccessEvent], fields: dict[str, object]) -> None:
        name = str(fields["name"])
        if make is TokenIssued and name in self._records:
            raise TokenNameTaken(f"an active token is already named {name!r}; revoke it first")
        if make in (TokenRevoked, TokenScoped) and name not in self._records:
            raise UnknownToken(f"no active token is named {name!r}")
        if make is TokenRevoked and self._last_admin(name):
            raise LastAdminToken(
                f"{name!r} is the last active admin token; issue another admin token first "
                "(ledger tokens issue --role admin --name NAME), then revoke this one"
            )

    def _last_admin(self, name: str) -> bool:
        admins = [r.name for r in self._records.values() if r.role is Role.ADMIN]
        return admins == [name]

    def issue(self, name: str, role: Role, by: str, parties: Iterable[str] = ()) -> str:
        """Create a token for `name` with `role` (recording only for `parties`, if any given);
        return it (it is shown this once only)."""
        token = new_token()
        scope = sorted(set(parties))
        self._save(
            TokenIssued, name=name, role=role, token_sha256=digest(token), by=by, parties=scope
        )
        return token

    def scope(self, name: str, parties: Iterable[str], by: str) -> None:
        """Let the active token `name` record only for `parties` (none: for any party), in
        every process, from its next request."""
        self._save(TokenScoped, name=name, parties=sorted(set(parties)), by=by)

    def revoke(self, name: str, by: str) -> None:
        """Stop the active token named `name` from working, in every process, at once."""
        self._save(TokenRevoked, name=name, by=by)

    def tokens(self) -> list[TokenRecord]:
        """Every token ever issued, in order, with its revocation if any."""
        self._catch_up()
        return list(self._history)

    def active(self, name: str) -> TokenRecord | None:
        self._catch_up()
        return self._records.get(name)

    def authenticate(self, token: str) -> Principal | None:
        """The principal an active token belongs to, or None."""
        self._catch_up()
        # a lookup by digest: the token itself is never compared, only its hash
        name = self._by_digest.get(digest(token))
        record = self._records.get(name) if name is not None else None
        if record is None:
            return None
        return Principal(record.name, record.role, record.parties)
