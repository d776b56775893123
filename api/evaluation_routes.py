"""HTTP routes for the evaluation outputs: the matrix (any format), its differences, the gaps
and the evaluation pack."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Header, Query, Request, Response

from api.deps import (
    DATE_SCHEMA,
    MOMENT_SCHEMA,
    AsOfDep,
    KnownAtDep,
    LedgerDep,
    ReaderDep,
    SubscriberDep,
    _bad_parameter,
)
from api.problems import HttpProblem, OrjsonResponse, file_response
from api.schemas import Problem
from domain.gaps import RULE_ABOUT, RULE_ORDER
from domain.vocabulary import SLUG_PATTERN, Discipline, PartyKind, Role, SubjectKind
from projections.answers import GapFilter, Moment, Question
from projections.calendar import calendar_ics, deadlines
from projections.diff import matrix_diff
from projections.exports import (
    FORMATS,
    MEDIA_TYPES,
    CsvSeparator,
    MatrixFormat,
    change_json,
    stream_matrix,
)
from projections.matrix import MatrixFilter
from projections.monitor import Step, monitor_csv, period_ends, point, two_years_before
from projections.progress import FORMATS as PROGRESS_FORMATS
from projections.progress import progress, render_progress
from projections.report import build_pack, stream_pack
from projections.timeframe import parse_as_of, parse_known_at, today

router = APIRouter(tags=["evaluation"])

_P = {"model": Problem}
READ: dict[int | str, dict[str, Any]] = {
    401: {**_P, "description": "No token, or an unknown or revoked one."},
    403: {**_P, "description": "The token's role may not do this."},
    406: {**_P, "description": "No representation in the asked format."},
    422: {**_P, "description": "A bad query parameter, named."},
}
_BY_MEDIA_TYPE = {media.split(";")[0]: fmt for fmt, media in MEDIA_TYPES.items()}
_BY_MEDIA_TYPE["application/vnd.ms-excel"] = "xlsx"


def _negotiate(fmt: str | None, accept: str | None, allowed: tuple[str, ...]) -> str:
    """The format named by `format`, else the first acceptable one in `Accept`, else JSON."""
    if fmt is not None:
        if fmt not in allowed:
            raise HttpProblem(
                422,
                "invalid-request",
                "The request is not valid",
                "query parameter format is not valid",
                errors=[
                    {
                        "field": "query.format",
                        "rule": "enum",
                        "message": f"must be one of {', '.join(allowed)}",
                    }
                ],
            )
        return fmt
    if not accept:
        return "json"
    for part in accept.split(","):
        media = part.split(";")[0].strip().lower()
        if media in ("*/*", "application/*", ""):
            return "json"
        found = _BY_MEDIA_TYPE.get(media)
        if found in allowed:
            return found
    raise HttpProblem(
        406,
        "not-acceptable",
        "Not acceptable",
        f"this resource is available as {', '.join(MEDIA_TYPES[f].split(';')[0] for f in allowed)}",
    )


def _attachment(content: Iterator[bytes], fmt: str, name: str) -> Response:
    """The answer (`file_response`); CSV, XLSX and PDF as a download."""
    headers = {}
    if fmt in ("xlsx", "csv", "pdf"):
        headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return file_response(content, MEDIA_TYPES[fmt], fmt, headers)


Format = Annotated[
    MatrixFormat | None,
    Query(
        description=f"One of {', '.join(FORMATS)}; else the `Accept` header decides (JSON default)."
    ),
]
SubjectKinds = Annotated[
    list[SubjectKind] | None, Query(description="Only subjects of these kinds.")
]
Subtree = Annotated[
    str | None,
    Query(pattern=SLUG_PATTERN, description="Only this subject and those below it."),
]
Disciplines = Annotated[
    list[Discipline] | None, Query(description="Only parties of these disciplines.")
]
PartyKinds = Annotated[list[PartyKind] | None, Query(description="Only parties of these kinds.")]


@router.get(
    "/v1/matrix",
    responses={
        **READ,
        200: {
            "description": "The matrix; in JSON every cell is traced to its decisions and sources.",
            "content": {MEDIA_TYPES[f].split(";")[0]: {} for f in FORMATS if f != "json"},
        },
    },
    summary="The responsibility matrix (parties x subjects, RACI + O)",
)
def get_matrix(
    _: ReaderDep,
    ledger: LedgerDep,
    as_of: AsOfDep,
    known_at: KnownAtDep,
    format: Format = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
    subject_kind: SubjectKinds = None,
    subtree: Subtree = None,
    discipline: Disciplines = None,
    party_kind: PartyKinds = None,
    sep: Annotated[
        CsvSeparator,
        Query(description="CSV: `,` or `;` (for Excel in Dutch; the file then starts with a BOM)"),
    ] = ",",
    turned: Annotated[
        bool,
        Query(description="CSV, Markdown and XLSX: subjects as rows, parties as columns."),
    ] = False,
) -> Response:
    """Who holds which role for what on `as_of`, as known at `known_at`. A role inherited from
    a subject above (nobody holds it for the subject itself) is in the subject's column too:
    in brackets in the letters, `(A)`, and with `inherited_from` in the JSON."""
    fmt = _negotiate(format, accept, FORMATS)
    only = MatrixFilter.of(subject_kind, subtree, discipline, party_kind)
    with ledger.reading() as tables:
        question = Question(tables, Moment(as_of, known_at))
        result = question.matrix(only)
        gaps = question.gaps() if fmt == "xlsx" else []
    content = stream_matrix(result, fmt, gaps, sep, turned)
    return _attachment(content, fmt, f"verantwoordelijkheden-{as_of}")


def _moment_param(name: str, value: str | None, parse: Any, default: Any) -> Any:
    if value is None:
        return default
    try:
        return parse(value)
    except (ValueError, OverflowError) as error:
        raise _bad_parameter(name, ValueError(str(error))) from None


@router.get(
    "/v1/matrix/diff", responses=READ, summary="What changed in the matrix between two moments"
)
def get_matrix_diff(
    _: ReaderDep,
    ledger: LedgerDep,
    from_: Annotated[
        str | None,
        Query(
            alias="from",
            max_length=40,
            description="First as_of date.",
            json_schema_extra=DATE_SCHEMA,
        ),
    ] = None,
    to: Annotated[
        str | None,
        Query(
            max_length=40,
            description="Second as_of date (default: `from`).",
            json_schema_extra=DATE_SCHEMA,
        ),
    ] = None,
    from_known_at: Annotated[
        str | None,
        Query(
            max_length=40,
            description="First known_at (default now).",
            json_schema_extra=MOMENT_SCHEMA,
        ),
    ] = None,
    to_known_at: Annotated[
        str | None,
        Query(
            max_length=40,
            description="Second known_at (default now).",
            json_schema_extra=MOMENT_SCHEMA,
        ),
    ] = None,
) -> Response:
    """Roles added, removed and changed, each with the decisions and sources that caused it."""
    now = datetime.now().astimezone()
    first_day: date = _moment_param("from", from_, parse_as_of, date.today())
    before = Moment(first_day, _moment_param("from_known_at", from_known_at, parse_known_at, now))
    after = Moment(
        _moment_param("to", to, parse_as_of, first_day),
        _moment_param("to_known_at", to_known_at, parse_known_at, now),
    )
    changes = matrix_diff(ledger, before, after)[2]
    return OrjsonResponse(
        {
            "from": {"as_of": before.as_of.isoformat(), "known_at": before.known_at.isoformat()},
            "to": {"as_of": after.as_of.isoformat(), "known_at": after.known_at.isoformat()},
            "changes": [change_json(c) for c in changes],
        }
    )


GAP_PAGE = 100
"""Gaps in a page unless `limit` says otherwise."""
MAX_GAP_PAGE = 10_000

if TYPE_CHECKING:
    Rule = str
    About = str
else:  # (the values the registry of rules names, checked and shown in the schema)
    Rule = Literal[tuple(RULE_ORDER)]
    About = Literal[tuple(sorted(set(RULE_ABOUT.values())))]


@router.get("/v1/gaps", responses=READ, summary="The gap report, a page at a time")
def get_gaps(
    _: ReaderDep,
    ledger: LedgerDep,
    as_of: AsOfDep,
    known_at: KnownAtDep,
    rule: Annotated[list[Rule] | None, Query(description="Only gaps of these rules.")] = None,
    about: Annotated[About | None, Query(description="Only gaps about this kind of thing.")] = None,
    subject: Annotated[
        str | None, Query(pattern=SLUG_PATTERN, description="Only gaps concerning this subject.")
    ] = None,
    party: Annotated[
        str | None, Query(pattern=SLUG_PATTERN, description="Only gaps naming this party.")
    ] = None,
    after: Annotated[
        str | None, Query(max_length=400, description="Cursor: `next` of the previous page.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_GAP_PAGE, description="Gaps per page.")] = GAP_PAGE,
) -> Response:
    """Where responsibility is not anchored, each gap with its rule, object, since and
    decisions, in the report's order (by rule, then by what it is about), `limit` at a time;
    follow `next`. `counts` gives, per rule, how many gaps the other filters leave."""
    only = GapFilter(frozenset(rule) if rule else None, about, subject, party)
    with ledger.reading() as tables:
        question = Question(tables, Moment(as_of, known_at))
        try:
            page = question.gap_page(only, after, limit)
        except ValueError as error:
            raise _bad_parameter("after", error) from None
    body = b",".join(page.items)
    head = orjson.dumps(
        {
            "as_of": as_of.isoformat(),
            "known_at": known_at.isoformat(),
            "ledger_head": question.position,
            "counts": page.counts,
            "next": page.next,
        }
    )
    return Response(head[:-1] + b',"gaps":[' + body + b"]}", media_type="application/json")


@router.get(
    "/v1/report",
    responses={
        **READ,
        200: {
            "description": "The evaluation pack.",
            "content": {MEDIA_TYPES["xlsx"]: {}, "text/html": {}, "application/pdf": {}},
        },
    },
    summary="The evaluation pack (XLSX, HTML or PDF)",
)
def get_report(
    _: ReaderDep,
    ledger: LedgerDep,
    as_of: AsOfDep,
    known_at: KnownAtDep,
    compare: Annotated[
        str | None,
        Query(
            max_length=40,
            description="Also show changes since this date.",
            json_schema_extra=DATE_SCHEMA,
        ),
    ] = None,
    format: Annotated[
        Literal["xlsx", "html", "pdf"],
        Query(description="A workbook, or a document (HTML, PDF) for a committee"),
    ] = "xlsx",
    lang: Annotated[
        Literal["nl", "en"], Query(description="The document's language (HTML, PDF)")
    ] = "nl",
) -> Response:
    """One file with the matrix, changes, gaps, risks, recommendations, commitments and log."""
    moment = Moment(as_of, known_at)
    earlier = (
        Moment(_moment_param("compare", compare, parse_as_of, None), known_at) if compare else None
    )
    content = stream_pack(build_pack(ledger, moment, earlier), format, lang)
    return _attachment(content, format, f"evaluatiepakket-{as_of}")


@router.get(
    "/v1/responsibilities",
    responses=READ,
    tags=["governance"],
    summary="Who held which role for which subject, with the decisions and sources behind it",
)
def get_responsibilities(
    _: ReaderDep,
    ledger: LedgerDep,
    as_of: AsOfDep,
    known_at: KnownAtDep,
    party: Annotated[
        str | None, Query(pattern=SLUG_PATTERN, description="Only this party.")
    ] = None,
    subject: Annotated[
        str | None, Query(pattern=SLUG_PATTERN, description="Only this subject.")
    ] = None,
    role: Annotated[Role | None, Query(description="Only this role.")] = None,
) -> Response:
    """E.g. who was accountable for C2000 on 1 March 2021, as the ledger knew it then:
    `?subject=c2000&role=accountable&as_of=2021-03-01&known_at=2021-03-01`. Each role comes with
    the decisions behind it as they were known at `known_at` (version: the last position that
    touched `responsibilities/{subject}`). A role held for a subject above, which nobody holds
    for the subject itself, is listed for it too, with `inherited_from` naming that subject and
    its decisions as the sources."""
    with ledger.reading() as tables:
        question = Question(tables, Moment(as_of, known_at))
        items = question.responsibilities(party, subject, role)
    return OrjsonResponse(
        {
            "as_of": as_of.isoformat(),
            "known_at": known_at.isoformat(),
            "ledger_head": question.head,
            "items": items,
        }
    )


@router.get(
    "/v1/calendar.ics",
    responses={
        **READ,
        200: {
            "description": "The deadlines as iCalendar (RFC 5545), one all-day event each.",
            "content": {"text/calendar": {}},
        },
    },
    tags=["governance"],
    summary="The deadline calendar, to subscribe to",
)
def get_calendar(
    _: SubscriberDep,
    request: Request,
    ledger: LedgerDep,
    as_of: AsOfDep,
    known_at: KnownAtDep,
    party: Annotated[
        str | None, Query(pattern=SLUG_PATTERN, description="Only this party's deadlines.")
    ] = None,
) -> Response:
    """Commitments due, recommendations due, evaluations expected and residual-risk
    acceptances to review, as the governance stands on `as_of` (today) as known at `known_at`
    (now); settled ones stay, marked (kept, closed, reported, withdrawn). A calendar program
    subscribes with the token as the password of HTTP Basic (any user name), e.g.
    `https://wodc:TOKEN@host/v1/calendar.ics?party=minister-jenv`."""
    with ledger.reading() as tables:
        state = Question(tables, Moment(as_of, known_at)).state()
    names = {p.id: p.name for p in state.parties.values()}
    link = str(request.base_url).rstrip("/") + "/decisions/{}"
    body = calendar_ics(deadlines(state, party), names, known_at, link)
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'inline; filename="termijnen.ics"'},
    )


@router.get(
    "/v1/monitor",
    responses={
        **READ,
        200: {
            "description": "Per date: gaps per rule, unanchored subjects, open and overdue "
            "recommendations and commitments, risks per system.",
            "content": {"text/csv": {}},
        },
    },
    tags=["governance"],
    summary="How the anchoring of responsibilities developed over time",
)
def get_monitor(
    _: ReaderDep,
    ledger: LedgerDep,
    known_at: KnownAtDep,
    from_: Annotated[
        str | None,
        Query(
            alias="from",
            max_length=40,
            description="The first date (default: two years before `to`)",
            json_schema_extra=DATE_SCHEMA,
        ),
    ] = None,
    to: Annotated[
        str | None,
        Query(
            max_length=40,
            description="The last date (default: today)",
            json_schema_extra=DATE_SCHEMA,
        ),
    ] = None,
    step: Annotated[
        Step, Query(description="A point at the end of every month, quarter or year")
    ] = "month",
    format: Annotated[Literal["json", "csv"], Query(description="JSON (default) or CSV")] = "json",
) -> Response:
    """One point a period end from `from` to `to`, each the gap report and the registers on that
    date as known at `known_at` (now), all from one snapshot."""
    last = _moment_param("to", to, parse_as_of, today())
    first = _moment_param("from", from_, parse_as_of, two_years_before(last))
    if first > last:
        raise _bad_parameter("from", ValueError(f"{first} lies after `to` ({last})"), "range")
    try:
        days = period_ends(first, last, step)
    except ValueError as error:
        raise _bad_parameter("step", error, "range") from None
    with ledger.reading() as tables:
        points = [point(tables, Moment(day, known_at)) for day in days]
    if format == "csv":
        lines = (line.encode() for line in monitor_csv(points))
        return _attachment(lines, "csv", f"monitor-{first}-{last}")
    return OrjsonResponse(
        {
            "from": first.isoformat(),
            "to": last.isoformat(),
            "step": step,
            "known_at": known_at.isoformat(),
            "points": [p.json() for p in points],
        }
    )


@router.get(
    "/v1/progress",
    responses={
        **READ,
        200: {
            "description": "The progress report: roles added, removed and changed; per area the "
            "decisions that took effect; what fell overdue; corrections and retractions recorded "
            "in the period — each with its decision and source.",
            "content": {MEDIA_TYPES[f].split(";")[0]: {} for f in PROGRESS_FORMATS if f != "json"},
        },
    },
    tags=["governance"],
    summary="What changed between two dates (the annex to the progress letter)",
)
def get_progress(
    request: Request,
    _: ReaderDep,
    ledger: LedgerDep,
    known_at: KnownAtDep,
    from_: Annotated[
        str,
        Query(
            alias="from",
            max_length=40,
            description="The period's first day",
            json_schema_extra=DATE_SCHEMA,
        ),
    ],
    to: Annotated[
        str | None,
        Query(
            max_length=40,
            description="The period's last day (default: today)",
            json_schema_extra=DATE_SCHEMA,
        ),
    ] = None,
    format: Annotated[
        Literal["json", "md", "html", "pdf"] | None,
        Query(description="json, md, html or pdf; else the `Accept` header decides (JSON)."),
    ] = None,
    lang: Annotated[Literal["nl", "en"], Query(description="The words' language")] = "nl",
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    """Every change in the governance from `from` to `to` (both included), as known at
    `known_at` (now): in JSON with ids and codes; as Markdown, HTML or PDF in words, each
    decision linked to its page."""
    last = _moment_param("to", to, parse_as_of, today())
    first = _moment_param("from", from_, parse_as_of, last)
    if first > last:
        raise _bad_parameter("from", ValueError(f"{first} lies after `to` ({last})"), "range")
    fmt = _negotiate(format, accept, PROGRESS_FORMATS)
    with ledger.reading() as tables:
        report = progress(tables, first, last, known_at)
    link = str(request.base_url).rstrip("/") + "/decisions/{}"
    body = render_progress(report, fmt, lang, link)
    headers = {}
    if fmt in ("md", "pdf"):
        name = f"voortgang-{first}-{last}.{fmt}"
        headers["Content-Disposition"] = (
            f'{"attachment" if fmt == "pdf" else "inline"}; filename="{name}"'
        )
    return Response(body, media_type=MEDIA_TYPES[fmt], headers=headers)
