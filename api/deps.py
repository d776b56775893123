"""The dependencies of the HTTP routes, named once: ledger, caller, the two times, bodies."""

from __future__ import annotations

import base64
from datetime import date, datetime
from typing import Annotated, Any

import orjson
from fastapi import Depends, Header, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.clients import client_address
from api.problems import HttpProblem
from api.throttle import FAILURE_LIMIT, WINDOW, Throttled, throttle_of
from ledger.access import AccessStore, Principal, Role
from ledger.service import Ledger
from ledger.settings import Settings
from projections.timeframe import parse_as_of, parse_known_at, today


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger


def get_access(request: Request) -> AccessStore:
    access: AccessStore = request.app.state.access
    return access


SettingsDep = Annotated[Settings, Depends(get_settings)]
LedgerDep = Annotated[Ledger, Depends(get_ledger)]
AccessDep = Annotated[AccessStore, Depends(get_access)]

# --- who is asking ---------------------------------------------------------------------------

_bearer = HTTPBearer(
    auto_error=False,
    description="A token from `ledger tokens issue --role ROLE --name NAME`.",
)


def get_principal(
    request: Request,
    access: AccessDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller, from its bearer token (401 without a valid, unrevoked one; 429 while its
    address is held back after too many wrong ones, see `api.throttle`)."""
    if credentials is None or not credentials.credentials:
        raise HttpProblem(
            401,
            "unauthenticated",
            "Authentication required",
            "send `Authorization: Bearer <token>`; tokens come from `ledger tokens issue`",
            headers={"WWW-Authenticate": 'Bearer realm="ledger"'},
        )
    return _principal_of(request, access, credentials.credentials, "Bearer")


def subscriber(request: Request, access: AccessDep) -> Principal:
    """The caller of a feed a calendar program subscribes to: a bearer token, or HTTP Basic
    with the token as the password (what calendar programs can send; any user name)."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    token = value.strip() if scheme.lower() == "bearer" else ""
    if scheme.lower() == "basic":
        try:
            user, _, password = (
                base64.b64decode(value.strip(), validate=True).decode().partition(":")
            )
        except (ValueError, UnicodeDecodeError):
            user = password = ""
        token = password or user
    if not token:
        raise HttpProblem(
            401,
            "unauthenticated",
            "Authentication required",
            "send the token as a bearer token, or as the password of HTTP Basic",
            headers={"WWW-Authenticate": 'Basic realm="ledger", charset="UTF-8"'},
        )
    return _principal_of(request, access, token, "Basic")


def _principal_of(request: Request, access: AccessStore, token: str, scheme: str) -> Principal:
    address = client_address(request)
    try:
        principal = throttle_of(request.app.state).authenticate(access, token, address, "the API")
    except Throttled as held:
        raise HttpProblem(
            429,
            "too-many-wrong-tokens",
            "Too many wrong tokens",
            f"{FAILURE_LIMIT} wrong tokens came from {address} within {WINDOW} s; "
            f"try again in {held.retry_after} s",
            headers={"Retry-After": str(held.retry_after)},
            retry_after=held.retry_after,
        ) from None
    if principal is None:
        raise HttpProblem(
            401,
            "invalid-token",
            "Invalid token",
            "the token is unknown or has been revoked",
            headers={"WWW-Authenticate": f'{scheme} realm="ledger", error="invalid_token"'},
        )
    return principal


def _forbidden(principal: Principal, needed: str) -> HttpProblem:
    return HttpProblem(
        403,
        "forbidden",
        "Not allowed for this role",
        f"the token {principal.name!r} has role {principal.role.value!r}; this needs {needed}",
        role=principal.role.value,
    )


def reader(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    return principal


def recorder(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    if not principal.role.may_record():
        raise _forbidden(principal, f"{Role.SECRETARIAT.value!r} or {Role.ADMIN.value!r}")
    return principal


def administrator(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    if not principal.role.may_administer():
        raise _forbidden(principal, repr(Role.ADMIN.value))
    return principal


ReaderDep = Annotated[Principal, Depends(reader)]
SubscriberDep = Annotated[Principal, Depends(subscriber)]
RecorderDep = Annotated[Principal, Depends(recorder)]
AdminDep = Annotated[Principal, Depends(administrator)]

# --- the two times ---------------------------------------------------------------------------


def _bad_parameter(name: str, error: ValueError, rule: str = "date_format") -> HttpProblem:
    """422 naming the query parameter; `rule` says which (`range`: a rule across parameters,
    such as `from` after `to`, that a schema cannot state)."""
    return HttpProblem(
        422,
        "invalid-request",
        "The request is not valid",
        f"query parameter {name} is not valid",
        errors=[{"field": f"query.{name}", "rule": rule, "message": str(error)}],
    )


DATE_SCHEMA: dict[str, Any] = {"anyOf": [{"type": "string", "format": "date"}]}
"""What a date query parameter is in the schema (the server reads it with `parse_as_of`)."""
MOMENT_SCHEMA: dict[str, Any] = {
    "anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]
}
"""What a moment query parameter is in the schema: a date or a date and time (the server reads it
with `parse_known_at`, which also takes a time without offset as Amsterdam's)."""


def as_of(
    value: Annotated[
        str | None,
        Query(
            alias="as_of",
            max_length=40,
            json_schema_extra=DATE_SCHEMA,
            description="The date the state holds on (YYYY-MM-DD; default today in Amsterdam).",
            examples=["2022-02-03"],
        ),
    ] = None,
) -> date:
    if value is None:
        return today()
    try:
        return parse_as_of(value)
    except ValueError as error:
        raise _bad_parameter("as_of", error) from None


def known_at(
    value: Annotated[
        str | None,
        Query(
            alias="known_at",
            max_length=40,
            json_schema_extra=MOMENT_SCHEMA,
            description="As the ledger knew it at this moment: a date means the end of that day "
            "in Amsterdam; a time without offset is Amsterdam's (default: now).",
            examples=["2022-02-03", "2022-02-03T12:00:00+01:00"],
        ),
    ] = None,
) -> datetime:
    if value is None:
        return datetime.now().astimezone()
    try:
        return parse_known_at(value)
    except (ValueError, OverflowError) as error:
        raise _bad_parameter("known_at", ValueError(str(error))) from None


AsOfDep = Annotated[date, Depends(as_of)]
KnownAtDep = Annotated[datetime, Depends(known_at)]

# --- bodies and headers ------------------------------------------------------------------------


async def json_body(request: Request) -> Any:
    """The request body as JSON (415 for another media type, 422 for malformed JSON)."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        raise HttpProblem(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            f"send the body as application/json, not {media or 'nothing'!r}",
        )
    raw = await request.body()
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise HttpProblem(
            422,
            "invalid-request",
            "The request is not valid",
            "the body is not valid JSON",
            errors=[{"field": "(body)", "rule": "json_invalid", "message": str(error)}],
        ) from None


JsonBody = Annotated[Any, Depends(json_body)]

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="Any unique string (a UUID): a retried request with the same key and body "
        "records nothing new and answers the same; with another body it is refused (409).",
    ),
]

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=1000,
        description="ETag(s) of the object(s) the decision changes, from `GET /v1/objects/...`: "
        "if any of them has changed since, nothing is recorded and the answer is 412.",
    ),
]
