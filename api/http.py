"""The secretariat's HTTP API: record decisions, read them back, ask the governance as of a date.

`create_app(settings)` builds the app (tests call it); `app_from_env()` is the factory
`ledger serve` hands to uvicorn, so that every worker reads its settings from the environment.
Routes are plain `def` (the event store is synchronous): parse, call the ledger, shape the answer.
Errors are mapped to `application/problem+json` in `api.problems`, nowhere else.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from functools import partial
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from uuid import UUID

import orjson
from fastapi import FastAPI, Query, Response
from fastapi import Path as PathParam
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from pydantic import TypeAdapter

from api import evaluation_routes, integrity_routes, problems
from api.deps import (
    DATE_SCHEMA,
    MOMENT_SCHEMA,
    AccessDep,
    AdminDep,
    AsOfDep,
    IdempotencyKey,
    IfMatch,
    JsonBody,
    KnownAtDep,
    LedgerDep,
    ReaderDep,
    RecorderDep,
    SettingsDep,
    _bad_parameter,
)
from api.methods import MethodNotAllowed
from api.pages import mount_pages
from api.problems import HttpProblem, OrjsonResponse
from api.schemas import (
    MAX_BATCH,
    BatchOut,
    DecisionDetail,
    DecisionOut,
    DecisionPage,
    Health,
    ItemsView,
    ObjectVersion,
    OwnRevocation,
    Problem,
    StateView,
    TokenOut,
    out,
    own_revocation,
)
from api.throttle import Throttle
from domain import decisions as d
from domain.errors import FieldProblem, InvalidDecision, NotFound
from domain.governance import GROUPS
from domain.vocabulary import SLUG_PATTERN, TEXT_PATTERN
from ledger.access import AccessError, AccessStore, Principal, UnknownToken
from ledger.service import DecisionFilter, Ledger, objects_changed_by, version_of
from ledger.settings import Settings
from ledger.tables import Tables
from projections.answers import Moment, Question
from projections.timeframe import parse_as_of, parse_known_at, start_of_day

SINGLE_LIMIT = 1024 * 1024
BATCH_LIMIT = 16 * 1024 * 1024

DESCRIPTION = """
The governance ledger of the Dutch emergency control rooms (meldkamers): every decision about
who is responsible for what, which risks were accepted, which recommendations and commitments
are open, recorded as an immutable fact and readable as it stood on any date (`as_of`) and as it
was known at any moment (`known_at`).

**Authentication.** Every endpoint but `/v1/health` needs `Authorization: Bearer <token>`.
Tokens are issued with `ledger tokens issue --role ROLE --name NAME`. Roles: `secretariat`
records and reads, `evaluator` reads, `admin` does everything (and manages tokens).
A decision's `recorded_by` is the name of the token that recorded it.

**Errors** are `application/problem+json` (RFC 9457). 422 lists each bad field in
`errors: [{field, rule, message}]`; 409 names the governance rule a decision breaks (`rule`,
`field`, `value`, `explanation`, and in a batch `decision_index`, counted from 0).

**Safe retries.** Send `Idempotency-Key` on POSTs: a retry with the same key (per token) and
the same body records nothing new and answers the same; the same key with another body is 409.

**Versions and If-Match.** Every decision changes one or more *objects* (entity groups):
`party/{id}`, `subject/{id}`, `responsibilities/{subject}`, `framework/{id}`, `risk/{id}`,
`criteria/{id}`, `finding/{id}`, `recommendation/{id}`, `evaluation/{id}`, `commitment/{id}`,
`consent/{decision}`. An object's **version** is the ledger position of the last decision that
touched it (0 if none has); its ETag is that number in quotes, e.g. `"17"`. Read it with
`GET /v1/objects/{group}/{key}` (or from `version` in the lists). Send it back as `If-Match`
on `POST /v1/decisions`: if a decision about that object was recorded in between, nothing is
recorded and the answer is 412. A correction or retraction touches the objects of the decision
it names too. `If-Match: *` only requires that the object exists.
"""

_DECISION_SCHEMA_NAME = "Decision"

if TYPE_CHECKING:
    ObjectGroup = str
else:  # the kinds of objects (entity groups), from the registry (`domain.governance.GROUPS`)
    ObjectGroup = Literal[tuple(GROUPS)]


def create_app(
    settings: Settings,
    *,
    single_limit: int = SINGLE_LIMIT,
    batch_limit: int = BATCH_LIMIT,
) -> FastAPI:
    """Build the HTTP API over the ledger and token store the settings point at."""
    ledger = Ledger(settings)
    access = AccessStore(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            ledger.close()
            access.close()

    app = FastAPI(
        title="Meldkamer governance ledger",
        version="1",
        description=DESCRIPTION,
        default_response_class=OrjsonResponse,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.ledger = ledger
    app.state.access = access
    app.state.throttle = Throttle()
    problems.install(app)
    app.add_exception_handler(AccessError, _on_access_error)
    app.add_middleware(
        problems.BodyLimit,
        limit_for=lambda path: batch_limit if path.endswith("/batch") else single_limit,
    )
    app.add_middleware(MethodNotAllowed)
    _routes(app)
    app.include_router(evaluation_routes.router)
    app.include_router(integrity_routes.router)
    mount_pages(app)
    _docs(app)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def app_from_env() -> FastAPI:
    """The factory uvicorn calls in each worker: settings from the environment."""
    return create_app(Settings.from_env())


# --- error responses, documented --------------------------------------------------------------

_P = {"model": Problem}
AUTH: dict[int | str, dict[str, Any]] = {
    401: {**_P, "description": "No token, or an unknown or revoked one."},
    403: {**_P, "description": "The token's role may not do this."},
    429: {**_P, "description": "Too many wrong tokens from this address; see Retry-After."},
}
READ = {**AUTH, 422: {**_P, "description": "A bad query parameter (e.g. `as_of`), named."}}
WRITE = {
    **AUTH,
    403: {
        **_P,
        "description": "The token's role may not record, or a decider is not one of the "
        "parties the token is scoped to (named, with its field).",
    },
    409: {
        **_P,
        "description": "A governance rule is broken (which rule, which decision), "
        "or the Idempotency-Key was used for another body, or writers kept colliding.",
    },
    413: {**_P, "description": "The body is too large."},
    415: {**_P, "description": "The body is not `application/json`."},
    422: {**_P, "description": "The body is malformed: each bad field by its path, and why."},
}


async def _on_access_error(request: Any, error: Exception) -> Response:
    status = 404 if isinstance(error, UnknownToken) else 409
    slug = "not-found" if isinstance(error, UnknownToken) else "token-conflict"
    return problems.problem(status, slug, "Token refused", str(error), request.url.path)


# --- routes ------------------------------------------------------------------------------------


def _link(path: str, decision_id: str) -> dict[str, Any]:
    """An OpenAPI link from a recorded decision to `GET path` about it."""
    pointer = path.replace("~", "~0").replace("/", "~1")
    return {"operationRef": f"#/paths/{pointer}/get", "parameters": {"decision_id": decision_id}}


RECORDED_LINKS = {
    "TheDecision": _link("/v1/decisions/{decision_id}", "$response.body#/id"),
    "ItsProof": _link("/v1/decisions/{decision_id}/proof", "$response.body#/id"),
}
"""Where a client goes from a decision it recorded (the links a stateful client follows)."""


def _routes(app: FastAPI) -> None:
    @app.post(
        "/v1/decisions",
        status_code=201,
        response_model=DecisionOut,
        responses={
            201: {"description": "The decision as recorded.", "links": RECORDED_LINKS},
            **WRITE,
            412: {**_P, "description": "If-Match is stale: the object changed."},
        },
        tags=["decisions"],
        summary="Record one decision",
        openapi_extra={"x-body": "decision"},
    )
    def record_decision(
        principal: RecorderDep,
        ledger: LedgerDep,
        body: JsonBody,
        idempotency_key: IdempotencyKey = None,
        if_match: IfMatch = None,
    ) -> Response:
        """Record one decision (any kind, discriminated by `kind`); answer it as recorded."""
        decision = d.decode_decision(body)
        _within_scope(principal, [decision])
        precondition = None
        if if_match is not None:
            precondition = partial(_check_if_match, decision=decision, header=if_match)
        (item,) = ledger.record(
            [decision],
            recorded_by=principal.name,
            idempotency_key=idempotency_key,
            client=principal.name,
            precondition=precondition,
        )
        return OrjsonResponse(
            out(item),
            status_code=201,
            headers={"Location": f"/v1/decisions/{item.id}", "ETag": f'"{item.position}"'},
        )

    @app.post(
        "/v1/decisions/batch",
        status_code=201,
        response_model=BatchOut,
        responses={
            201: {
                "description": "The decisions as recorded, in the order given.",
                "links": {
                    name: {**link, "parameters": {"decision_id": "$response.body#/decisions/0/id"}}
                    for name, link in RECORDED_LINKS.items()
                },
            },
            **WRITE,
        },
        tags=["decisions"],
        summary="Record many decisions atomically",
        openapi_extra={"x-body": "batch"},
    )
    def record_batch(
        principal: RecorderDep,
        ledger: LedgerDep,
        body: JsonBody,
        idempotency_key: IdempotencyKey = None,
    ) -> Response:
        """Record decisions in the given order, all or none (a 409 names `decision_index`)."""
        decisions = _decode_batch(body)
        _within_scope(principal, decisions)
        items = ledger.record(
            decisions,
            recorded_by=principal.name,
            idempotency_key=idempotency_key,
            client=principal.name,
        )
        return OrjsonResponse({"decisions": [out(i) for i in items]}, status_code=201)

    @app.get(
        "/v1/decisions",
        response_model=DecisionPage,
        responses=READ,
        tags=["decisions"],
        summary="List decisions in ledger order",
    )
    def list_decisions(
        ledger: LedgerDep,
        _principal: ReaderDep,
        after: Annotated[int, Query(ge=0, le=2**62, description="Cursor: after this position")] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        kind: Annotated[list[str] | None, Query(description="Only these kinds")] = None,
        party: Annotated[str | None, Query(pattern=SLUG_PATTERN)] = None,
        subject: Annotated[str | None, Query(pattern=SLUG_PATTERN)] = None,
        effective_from: Annotated[
            str | None, Query(max_length=40, description="Date", json_schema_extra=DATE_SCHEMA)
        ] = None,
        effective_to: Annotated[
            str | None, Query(max_length=40, description="Date", json_schema_extra=DATE_SCHEMA)
        ] = None,
        recorded_from: Annotated[
            str | None,
            Query(
                max_length=40,
                description="Moment or date (its start)",
                json_schema_extra=MOMENT_SCHEMA,
            ),
        ] = None,
        recorded_to: Annotated[
            str | None,
            Query(
                max_length=40,
                description="Moment or date (its end)",
                json_schema_extra=MOMENT_SCHEMA,
            ),
        ] = None,
        q: Annotated[
            str | None,
            Query(
                max_length=200,
                pattern=TEXT_PATTERN,
                description="Only decisions with this text in their content (any case).",
            ),
        ] = None,
    ) -> Response:
        """Page through decisions (filters combine with AND); follow `next_after`."""
        match = DecisionFilter(
            kinds=tuple(kind or ()),
            party=party or None,
            subject=subject or None,
            effective=(
                _date_param("effective_from", effective_from) if effective_from else None,
                _date_param("effective_to", effective_to) if effective_to else None,
            ),
            recorded=(
                _moment_param("recorded_from", recorded_from, start=True)
                if recorded_from
                else None,
                _moment_param("recorded_to", recorded_to, start=False) if recorded_to else None,
            ),
            text=q or None,
        )
        found, head = ledger.search(match, after=after, limit=limit)
        more = len(found) == limit and found[-1].position < head
        return OrjsonResponse(
            {
                "items": [out(i) for i in found],
                "next_after": found[-1].position if more else None,
                "head": head,
            }
        )

    @app.get(
        "/v1/decisions/{decision_id}",
        response_model=DecisionDetail,
        responses={**READ, 404: {**_P, "description": "No decision with that id."}},
        tags=["decisions"],
        summary="One decision, with its corrections, retraction and consents",
    )
    def get_decision(decision_id: UUID, ledger: LedgerDep, _principal: ReaderDep) -> Response:
        """One decision as recorded, its content now, and everything recorded about it since."""
        view = ledger.get(decision_id)
        version = max(i.position for i in [view.recorded, *view.related])
        return OrjsonResponse(
            {
                "decision": out(view.recorded),
                "current": view.current.model_dump(mode="json") if view.current else None,
                "corrections": [out(i) for i in view.corrections],
                "retraction": out(view.retraction) if view.retraction else None,
                "consents": [out(i) for i in view.consents],
                "version": version,
            },
            headers={"ETag": f'"{version}"'},
        )

    @app.get(
        "/v1/objects/{group}/{key}",
        response_model=ObjectVersion,
        responses={**READ, 404: {**_P, "description": "No decision touches that object."}},
        tags=["decisions"],
        summary="The version (ETag) of one object, for If-Match",
    )
    def get_object(
        group: ObjectGroup,
        key: Annotated[str, PathParam(pattern=SLUG_PATTERN)],
        ledger: LedgerDep,
        _principal: ReaderDep,
    ) -> Response:
        """The last position that touched an object (its version) and the decisions about it."""
        ids = ledger.about((group, key))
        if not ids:
            raise NotFound(f"no decision is about {group}/{key}")
        version = ledger.version([(group, key)])
        return OrjsonResponse(
            {"group": group, "key": key, "version": version, "decisions": [str(i) for i in ids]},
            headers={"ETag": f'"{version}"'},
        )

    @app.get("/v1/state", response_model=StateView, responses=READ, tags=["governance"])
    def get_state(
        ledger: LedgerDep, _principal: ReaderDep, day: AsOfDep, moment: KnownAtDep
    ) -> Response:
        """The whole governance on `as_of`, as known at `known_at`."""
        with ledger.reading() as tables:
            return OrjsonResponse(Question(tables, Moment(day, moment)).state_json())

    def _section(name: str, section: str, group: str, summary: str) -> Callable[..., Response]:
        def endpoint(
            ledger: LedgerDep, _principal: ReaderDep, day: AsOfDep, moment: KnownAtDep
        ) -> Response:
            return OrjsonResponse(_items(ledger, day, moment, section, group))

        endpoint.__name__ = name
        endpoint.__doc__ = summary
        return endpoint

    for path, section, group, summary in (
        ("parties", "party", "party", "The registered parties on `as_of`."),
        ("subjects", "subject", "subject", "The registered subjects on `as_of`."),
        ("risks", "risk", "risk", "The risks, their assessments, treatments, acceptances."),
    ):
        app.get(
            f"/v1/{path}",
            response_model=ItemsView,
            responses=READ,
            tags=["governance"],
            summary=summary.split(" (")[0],
        )(_section(f"get_{path}", section, group, summary))

    @app.get("/v1/recommendations", response_model=ItemsView, responses=READ, tags=["governance"])
    def get_recommendations(
        ledger: LedgerDep,
        _principal: ReaderDep,
        day: AsOfDep,
        moment: KnownAtDep,
        status: Annotated[Literal["open", "closed"] | None, Query()] = None,
    ) -> Response:
        """Recommendations (Inspectorate, evaluations) and how they are handled."""
        view = _items(ledger, day, moment, "recommendation", "recommendation")
        if status is not None:
            view["items"] = [r for r in view["items"] if r["status"] == status]
        return OrjsonResponse(view)

    @app.get("/v1/commitments", response_model=ItemsView, responses=READ, tags=["governance"])
    def get_commitments(
        ledger: LedgerDep,
        _principal: ReaderDep,
        day: AsOfDep,
        moment: KnownAtDep,
        overdue: Annotated[bool | None, Query()] = None,
    ) -> Response:
        """Promises to parliament; `overdue=true`: unkept past their due date on `as_of`."""
        view = _items(ledger, day, moment, "commitment", "commitment")
        if overdue is not None:
            view["items"] = [c for c in view["items"] if c["overdue"] is overdue]
        return OrjsonResponse(view)

    @app.get(
        "/v1/health",
        response_model=Health,
        responses={503: {"model": Health, "description": "The store or projections fail."}},
        tags=["service"],
    )
    def health(ledger: LedgerDep, settings: SettingsDep) -> Response:
        """Liveness, and whether the store and the projections answer (no token needed)."""
        head: int | None = None
        store = projections = False
        try:
            head = ledger.head
            store = True
            with ledger.reading() as tables:
                Question(tables, Moment(date(1900, 1, 1), datetime(1900, 1, 1, tzinfo=UTC)))
            projections = True
        except Exception:
            problems.log.exception("health check failed")
        ok = store and projections
        body = {
            "status": "ok" if ok else "unavailable",
            "backend": settings.backend,
            "store": store,
            "projections": projections,
            "head": head,
        }
        if ok:
            return OrjsonResponse(body)
        retry = {"Retry-After": str(problems.RETRY_AFTER_SECONDS)}
        return OrjsonResponse(body, status_code=503, headers=retry)

    # --- tokens (admin) ----------------------------------------------------------------

    @app.get("/v1/tokens", response_model=list[TokenOut], responses=AUTH, tags=["access"])
    def list_tokens(access: AccessDep, _principal: AdminDep) -> Response:
        """Every token ever issued, with its revocation (who had access, when)."""
        return OrjsonResponse([_token(r) for r in access.tokens()])

    @app.delete(
        "/v1/tokens/{name}",
        status_code=204,
        responses={
            **AUTH,
            200: {"model": OwnRevocation, "description": "The caller revoked its own token."},
            404: {**_P, "description": "No active token has that name."},
            409: {**_P, "description": "It is the last active admin token."},
        },
        tags=["access"],
    )
    def revoke_token(name: str, access: AccessDep, principal: AdminDep) -> Response:
        """Revoke a token at once, in every worker (204; 200 and a note if it was the caller's
        own; never the last active admin token)."""
        access.revoke(name, by=principal.name)
        if name == principal.name:
            return OrjsonResponse(own_revocation(name))
        return Response(status_code=204)


def _within_scope(principal: Principal, decisions: Sequence[d.Decision]) -> None:
    """403 for a decision by a party the token may not record for (naming it and where)."""
    for index, decision in enumerate(decisions):
        outside = principal.outside_scope(decision.decided_by)
        if outside is not None:
            where = f"decided_by[{decision.decided_by.index(outside)}]"
            raise HttpProblem(
                403,
                "outside-scope",
                "Not a party of this token",
                f"the token {principal.name!r} may record decisions of "
                f"{', '.join(principal.parties)} only; {where} names {outside!r}"
                + (f" (decision {index} of the batch)" if len(decisions) > 1 else ""),
                party=outside,
                field=where,
                decision_index=index,
            )


def _token(record: Any) -> dict[str, Any]:
    return {
        "name": record.name,
        "role": record.role.value,
        "parties": list(record.parties),
        "issued_at": record.issued_at,
        "issued_by": record.issued_by,
        "revoked_at": record.revoked_at,
        "revoked_by": record.revoked_by,
        "active": record.active,
    }


# --- helpers of the routes --------------------------------------------------------------------


def _decode_batch(body: Any) -> list[d.Decision]:
    if not isinstance(body, dict) or not isinstance(body.get("decisions"), list):
        raise InvalidDecision(
            [FieldProblem("decisions", "missing", "is required: a list of decisions")]
        )
    if set(body) - {"decisions"}:
        extra = sorted(set(body) - {"decisions"})[0]
        raise InvalidDecision([FieldProblem(extra, "extra_forbidden", "is not a field")])
    raw = body["decisions"]
    if not 1 <= len(raw) <= MAX_BATCH:
        raise InvalidDecision(
            [FieldProblem("decisions", "length", f"must hold 1 to {MAX_BATCH} decisions")]
        )
    found: list[FieldProblem] = []
    decisions: list[d.Decision] = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            found.append(FieldProblem(f"decisions[{index}]", "model_type", "must be an object"))
            continue
        try:
            decisions.append(d.decode_decision(item, where=f"decisions[{index}]."))
        except InvalidDecision as error:
            found.extend(error.problems)
    if found:
        raise InvalidDecision(found)
    return decisions


def _date_param(name: str, text: str) -> date:
    try:
        return parse_as_of(text)
    except ValueError as error:
        raise _bad_parameter(name, ValueError(str(error))) from None


def _moment_param(name: str, text: str, *, start: bool) -> datetime:
    try:
        if start and len(text.strip()) == 10:
            return start_of_day(date.fromisoformat(text.strip()))
        return parse_known_at(text)
    except (ValueError, OverflowError) as error:
        raise _bad_parameter(name, ValueError(str(error))) from None


def _items(ledger: Ledger, day: date, moment: datetime, kind: str, group: str) -> dict[str, Any]:
    """One kind of the state's entries, each with its version (the last position about its
    group, as known now)."""
    with ledger.reading() as tables:
        question = Question(tables, Moment(day, moment))
        pairs = question.entries((kind,))[kind]
        versions = question.versions([f"{group}:{entity}" for entity, _ in pairs])
    items = []
    for entity, value in pairs:
        item = orjson.loads(orjson.dumps(value))
        if kind == "recommendation":
            item["status"] = value.status
        elif kind == "commitment":
            item["overdue"] = value.overdue(day)
        item["version"] = versions.get(f"{group}:{entity}", 0)
        items.append(item)
    return {
        "as_of": day.isoformat(),
        "known_at": moment.isoformat(),
        "ledger_head": question.head,
        "items": items,
    }


# --- If-Match ---------------------------------------------------------------------------------


def _check_if_match(tables: Tables, decision: d.Decision, header: str) -> None:
    current = version_of(objects_changed_by(decision, tables), tables)
    tags = [t.strip() for t in header.split(",") if t.strip()]
    if "*" in tags:
        if current > 0:
            return
    elif f'"{current}"' in tags:
        return
    raise HttpProblem(
        412,
        "precondition-failed",
        "The object changed",
        f'If-Match {header!r} does not match the current version "{current}" of the object(s) '
        "this decision changes; read them again and decide again",
        current_etag=f'"{current}"',
    )


# --- OpenAPI and offline docs ----------------------------------------------------------------


def _static_dir() -> Path | None:
    spec = find_spec("fastapi_offline")
    if spec is not None and spec.origin is not None:
        folder = Path(spec.origin).parent / "static"
        if (folder / "swagger-ui-bundle.js").exists():
            return folder
    local = Path(__file__).parent / "static"
    return local if (local / "swagger-ui-bundle.js").exists() else None


def _docs(app: FastAPI) -> None:
    folder = _static_dir()
    if folder is not None:
        app.mount("/docs-static", StaticFiles(directory=folder), name="docs-static")

    @app.get("/docs", include_in_schema=False)
    def swagger() -> HTMLResponse:
        if folder is None:
            return HTMLResponse(
                "<p>Install <code>fastapi-offline</code> for the offline API explorer; the "
                'schema is at <a href="/openapi.json">/openapi.json</a>.</p>'
            )
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Meldkamer governance ledger",
            swagger_js_url="/docs-static/swagger-ui-bundle.js",
            swagger_css_url="/docs-static/swagger-ui.css",
            swagger_favicon_url="/docs-static/favicon.png",
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url="/openapi.json",
            title="Meldkamer governance ledger",
            redoc_js_url="/docs-static/redoc.standalone.js",
            redoc_favicon_url="/docs-static/favicon.png",
            with_google_fonts=False,
        )


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    union = TypeAdapter(d.AnyDecision).json_schema(
        ref_template="#/components/schemas/{model}", mode="validation"
    )
    for name, definition in union.pop("$defs", {}).items():
        components.setdefault(name, definition)
    components[_DECISION_SCHEMA_NAME] = union
    ref = {"$ref": f"#/components/schemas/{_DECISION_SCHEMA_NAME}"}
    examples = {
        kind: {"summary": kind, "value": cls.example} for kind, cls in d.DECISION_CLASSES.items()
    }
    bodies = {
        "decision": {
            "description": "One decision; `kind` selects its fields.",
            "required": True,
            "content": {"application/json": {"schema": ref, "examples": examples}},
        },
        "batch": {
            "description": "Decisions recorded atomically, in order.",
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "decisions": {
                                "type": "array",
                                "items": ref,
                                "minItems": 1,
                                "maxItems": MAX_BATCH,
                            }
                        },
                        "required": ["decisions"],
                        "additionalProperties": False,
                    },
                    "example": {
                        "decisions": [
                            d.Commitment.example,
                            d.RecommendationResponse.example,
                        ]
                    },
                }
            },
        },
    }
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            body = operation.pop("x-body", None)
            if body is not None:
                operation["requestBody"] = bodies[body]
            for status, response in operation.get("responses", {}).items():
                if status.startswith(("4", "5")) and status != "503":
                    response["content"] = {"application/problem+json": {"schema": problem_ref}}
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    app.openapi_schema = schema
    return schema
