"""Every error the HTTP API answers, in one shape: RFC 9457 `application/problem+json`.

    domain InvalidDecision, RequestValidationError, a bad query value    -> 422
        (listing the first MAX_LISTED_PROBLEMS bad fields; error_count counts all)
    domain RuleViolation                                                 -> 409
    domain ConcurrencyConflict, IdempotencyConflict                      -> 409
    domain NotFound, an unknown route                                    -> 404
    a method the path does not offer (api.methods, with Allow)           -> 405
    HttpProblem (raised by the edge: 401, 403, 412, 413, 415, 503, ...) -> its status
    the store busy or away (a lock not had in time, a lost connection)   -> 503 (logged)
    anything else                                                        -> 500 (logged)

Exception handlers are installed by `install(app)`; routes raise, they never build errors.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain.decisions import DECISION_CLASSES
from domain.errors import (
    MAX_LISTED_PROBLEMS,
    ConcurrencyConflict,
    DomainError,
    FieldProblem,
    IdempotencyConflict,
    InvalidDecision,
    NotFound,
    RuleViolation,
)
from ledger.database import STORE_AWAY

log = logging.getLogger("ledger.api")

PROBLEM_TYPE = "urn:meldkamer-ledger:problem:"
PROBLEM_JSON = "application/problem+json"


class OrjsonResponse(JSONResponse):
    """A JSON response encoded with orjson (FastAPI 0.165 deprecates its ORJSONResponse).

    A JSONResponse subclass, so that FastAPI documents the route's response model.
    """

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


STREAMED = frozenset({"csv", "xlsx"})
"""The formats sent as they are made (a line, a chunk of the workbook's file at a time)."""


def file_response(
    content: Iterator[bytes], media_type: str, fmt: str, headers: dict[str, str]
) -> Response:
    """An answer in a file format: CSV and XLSX as they are made; the others (JSON, Markdown,
    HTML, PDF), which are made whole before they can be sent, in one piece with their length,
    so that a client knows how much is coming."""
    if fmt in STREAMED:
        return StreamingResponse(content, media_type=media_type, headers=headers)
    return Response(b"".join(content), media_type=media_type, headers=headers)


class ProblemResponse(OrjsonResponse):
    media_type = PROBLEM_JSON


class HttpProblem(Exception):
    """An error the edge itself detects (authentication, preconditions, media types, sizes)."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.headers = dict(headers or {})
        self.extra = extra


def problem(
    status: int,
    slug: str,
    title: str,
    detail: str,
    instance: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> ProblemResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance is not None:
        body["instance"] = instance
    body.update(extra)
    return ProblemResponse(body, status_code=status, headers=dict(headers or {}))


def field_errors(problems: Sequence[FieldProblem]) -> list[dict[str, Any]]:
    return [{"field": p.field, "rule": p.rule, "message": p.message} for p in problems]


def invalid(problems: Sequence[FieldProblem], instance: str | None = None) -> ProblemResponse:
    """A 422 listing the first MAX_LISTED_PROBLEMS problems, with `error_count` counting all."""
    count = len(problems)
    detail = f"{count} problem{'s' if count != 1 else ''} found; nothing was recorded"
    if count > MAX_LISTED_PROBLEMS:
        detail += f"; the first {MAX_LISTED_PROBLEMS} are listed"
    return problem(
        422,
        "invalid-request",
        "The request is not valid",
        detail,
        instance,
        errors=field_errors(problems[:MAX_LISTED_PROBLEMS]),
        error_count=count,
    )


# --- turning pydantic's locations into the field paths a clerk reads ------------------------

_MESSAGES = {
    "missing": "is required",
    "extra_forbidden": "is not a field of this kind of decision",
    "json_invalid": "is not valid JSON",
    "union_tag_invalid": "is not a known decision kind; known kinds: "
    + ", ".join(sorted(DECISION_CLASSES)),
    "union_tag_not_found": "is required: the kind of decision, e.g. 'responsibility.assigned'",
}


def field_path(loc: Sequence[int | str]) -> str:
    """('query', 'limit') -> 'query.limit'; ('body', 'items', 0, 'party') -> 'items[0].party'."""
    parts = [p for p in loc if not (isinstance(p, str) and p in DECISION_CLASSES)]
    if parts and parts[0] == "body" and len(parts) > 1:
        parts = parts[1:]
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(body)"


def from_validation_error(error: RequestValidationError) -> list[FieldProblem]:
    problems = []
    for item in error.errors():
        kind = str(item.get("type", "invalid"))
        loc = tuple(item.get("loc", ()))
        if kind in ("union_tag_invalid", "union_tag_not_found"):
            loc = (*loc, "kind")
        message = _MESSAGES.get(kind, str(item.get("msg", "is not valid")))
        problems.append(FieldProblem(field=field_path(loc), rule=kind, message=message))
    return problems


# --- handlers ----------------------------------------------------------------------------------


def _instance(request: Request) -> str:
    return request.url.path


async def _on_domain_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, DomainError)
    where = _instance(request)
    if isinstance(error, InvalidDecision):
        return invalid(error.problems, where)
    if isinstance(error, RuleViolation):
        return problem(
            409,
            "rule-violation",
            "The decision breaks a governance rule",
            error.message,
            where,
            rule=error.rule,
            field=error.field,
            value=_jsonable(error.value),
            explanation=error.explanation,
            decision_index=error.decision_index,
        )
    if isinstance(error, IdempotencyConflict):
        return problem(409, "idempotency-conflict", "Idempotency key reused", error.message, where)
    if isinstance(error, ConcurrencyConflict):
        return problem(
            409, "concurrency-conflict", "Too many concurrent writers", error.message, where
        )
    if isinstance(error, NotFound):
        return problem(404, "not-found", "Not found", error.message, where)
    return problem(400, "refused", "Refused", error.message, where)


async def _on_http_problem(request: Request, error: Exception) -> Response:
    assert isinstance(error, HttpProblem)
    return problem(
        error.status,
        error.slug,
        error.title,
        error.detail,
        _instance(request),
        error.headers,
        **error.extra,
    )


async def _on_validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    return invalid(from_validation_error(error), _instance(request))


async def _on_starlette_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    titles = {404: "Not found", 405: "Method not allowed"}
    return problem(
        error.status_code,
        "not-found" if error.status_code == 404 else f"http-{error.status_code}",
        titles.get(error.status_code, "HTTP error"),
        str(error.detail),
        _instance(request),
        dict(error.headers or {}),
    )


RETRY_AFTER_SECONDS = 5


async def _on_store_away(request: Request, error: Exception) -> Response:
    log.error("store unavailable on %s %s: %s", request.method, request.url.path, error)
    return problem(
        503,
        "store-unavailable",
        "The store is busy or cannot be reached",
        "try again shortly; a retry with the same Idempotency-Key records at most once",
        _instance(request),
        {"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


async def _on_unexpected(request: Request, error: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return problem(
        500,
        "internal",
        "Internal error",
        "the server failed; nothing was recorded twice",
        _instance(request),
    )


def _jsonable(value: Any) -> Any:
    try:
        orjson.dumps(value)
    except TypeError:
        return str(value)
    return value


def install(app: FastAPI) -> None:
    """Map every error to a problem response, in this one place."""
    app.add_exception_handler(DomainError, _on_domain_error)
    app.add_exception_handler(HttpProblem, _on_http_problem)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_starlette_error)
    for away in STORE_AWAY:
        app.add_exception_handler(away, _on_store_away)
    app.add_exception_handler(Exception, _on_unexpected)


# --- request size limits ---------------------------------------------------------------------


class _TooLarge(Exception):
    pass


class BodyLimit:
    """Refuse request bodies over a size (413) before they are read whole into memory."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > limit:
                    await self._refuse(scope, send, limit)
                    return
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._refuse(scope, send, limit)

    @staticmethod
    async def _refuse(scope: Scope, send: Send, limit: int) -> None:
        response = problem(
            413,
            "too-large",
            "Request body too large",
            f"the body of {scope['path']} may be at most {limit} bytes; send fewer decisions "
            "per request",
            scope["path"],
            limit=limit,
        )
        await response(scope, _no_receive, send)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}


AsyncHandler = Callable[[Request, Exception], Awaitable[Response]]
