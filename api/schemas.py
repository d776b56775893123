"""Request and response schemas of the HTTP API (separate from the stored events).

A decision body is validated by the domain's own `AnyDecision` union (discriminated by `kind`);
these models describe envelopes, pages and views around it. The OpenAPI examples are the
decision classes' own (`domain.decisions`), drawn from the minister's letter of 3 February 2022
(Kamerstuk 25124-109).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from domain.decisions import AnyDecision, RecordedDecision

MAX_BATCH = 10_000


class DecisionOut(BaseModel):
    """A recorded decision: what the secretariat sent plus what the ledger added."""

    model_config = ConfigDict(frozen=True)

    id: UUID
    position: int = Field(ge=1, description="Commit order in the ledger, starting at 1.")
    recorded_at: datetime = Field(description="When the ledger recorded it (UTC).")
    recorded_by: str = Field(description="The name of the token that recorded it.")
    kind: str
    decision: AnyDecision


class BatchOut(BaseModel):
    decisions: list[DecisionOut]


class DecisionDetail(BaseModel):
    """One decision with everything recorded about it since."""

    decision: DecisionOut
    current: AnyDecision | None = Field(
        description="Its content now (after corrections); null if retracted or a correction."
    )
    corrections: list[DecisionOut]
    retraction: DecisionOut | None
    consents: list[DecisionOut]
    version: int = Field(description="The position of the last decision about this one (ETag).")


class DecisionPage(BaseModel):
    """One page of decisions in ledger order; pass `next_after` as `after` for the next."""

    items: list[DecisionOut]
    next_after: int | None = Field(description="Cursor of the next page; null on the last.")
    head: int = Field(description="The ledger's last position when the page was read.")


class StateView(BaseModel):
    """The governance on `as_of`, as the ledger knew it at `known_at`."""

    model_config = ConfigDict(extra="allow")

    as_of: str
    known_at: str
    ledger_head: int


class ItemsView(BaseModel):
    """One part of the governance on `as_of`, as known at `known_at`."""

    as_of: str
    known_at: str
    ledger_head: int
    items: list[dict[str, Any]]


class ObjectVersion(BaseModel):
    """The version of one object (an entity group): the last position that touched it."""

    group: str
    key: str
    version: int
    decisions: list[UUID]


class Health(BaseModel):
    status: str
    backend: str
    store: bool
    projections: bool
    head: int | None = None


class TokenOut(BaseModel):
    name: str
    role: str
    parties: list[str] = Field(
        description="The parties it may record decisions for; empty: any party."
    )
    issued_at: datetime
    issued_by: str
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    active: bool


class OwnRevocation(BaseModel):
    """The answer to an admin that revoked the token it used."""

    name: str
    own_access_revoked: bool
    detail: str


def own_revocation(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "own_access_revoked": True,
        "detail": f"the token {name!r} revoked itself: it no longer works, here or in any other "
        "server process; use another admin token from now on",
    }


class ProblemField(BaseModel):
    field: str = Field(description="Path of the bad field, e.g. `decisions[2].party`.")
    rule: str = Field(description="The rule it breaks, e.g. `missing`, `string_pattern_mismatch`.")
    message: str


class Problem(BaseModel):
    """An error (RFC 9457, `application/problem+json`)."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[ProblemField] | None = Field(
        default=None, description="The bad fields; at most the first 50 (see `error_count`)."
    )
    error_count: int | None = Field(
        default=None, description="How many bad fields were found in all (422 only)."
    )
    rule: str | None = None
    field: str | None = None
    value: Any = None
    explanation: str | None = None
    decision_index: int | None = None


def out(item: RecordedDecision) -> dict[str, Any]:
    """A recorded decision as JSON-ready data."""
    data = item.model_dump(mode="json")
    data["kind"] = item.kind
    return data
