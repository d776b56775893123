"""Web pages for evaluators, server-rendered with Jinja2 and mounted on the HTTP app.

Routes have no /v1 prefix and stay out of the OpenAPI schema: `/` (overview), `/matrix`,
`/timeline`, `/risks`, `/recommendations`, `/commitments`, `/decisions/{id}` (and its proof as
JSON), `/downloads` (and the files), `/sign-in`, `/sign-out`; assets under `/static/pages`.

Access: like the API, a token is needed (any role reads). The sign-in page stores it in an
HttpOnly, SameSite=Strict cookie, Secure when the request came over HTTPS (`api.clients`).
Signing in and out is accepted from this site's own pages only (`api.csrf`: Origin, else
Referer, else a double-submit cookie), and wrong tokens are throttled per client address
(`api.throttle`). When `ledger serve --demo` started the server it sets
`LEDGER_PAGES_OPEN_ON_LOOPBACK=1`, and then requests from 127.0.0.1 or ::1 need no sign-in.
Every page takes `as_of`, `known_at` and `lang` (`nl` by default, or `en`) in its query.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs, urlencode
from uuid import UUID

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import csrf
from api import pages_views as views
from api.clients import client_address, is_https
from api.problems import OrjsonResponse, file_response
from api.throttle import Throttled, throttle_of
from domain import decisions as d
from domain.errors import NotFound
from domain.governance import CommitmentState, GovernanceState
from domain.vocabulary import SLUG_PATTERN, SPOOFING
from ledger.access import AccessStore, Principal, Role
from ledger.integrity import chain_hash, proof_for
from ledger.known import put_right
from ledger.service import DecisionFilter, Ledger
from projections import i18n
from projections.answers import Moment, Question
from projections.diff import matrix_diff
from projections.exports import MEDIA_TYPES, CsvSeparator, stream_matrix
from projections.monitor import Step, period_ends, point, two_years_before
from projections.progress import AREAS, half_a_year_before, progress, progress_body, render_progress
from projections.report import build_pack, stream_pack
from projections.timeframe import (
    AMSTERDAM,
    end_of_day,
    parse_as_of,
    parse_known_at,
    start_of_day,
    today,
)

OPEN_ON_LOOPBACK_ENV = "LEDGER_PAGES_OPEN_ON_LOOPBACK"
"""Set to 1 by `ledger serve --demo`: pages need no sign-in for requests from loopback."""

COOKIE = "ledger_pages_token"
LOOPBACK = frozenset({"127.0.0.1", "::1"})
DEMO_PRINCIPAL = Principal("demo (loopback)", Role.EVALUATOR)
KEPT = ("as_of", "known_at", "lang")
"""Query parameters every internal link carries on."""

_HERE = Path(__file__).parent
_env = Environment(
    loader=FileSystemLoader(_HERE / "templates"),
    autoescape=select_autoescape(["html", "svg"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.globals["source_ref"] = i18n.source_ref


class SignInRequired(Exception):
    """The request carries no valid token (answered by a redirect to the sign-in page)."""

    def __init__(self, target: str) -> None:
        super().__init__(target)
        self.target = target


class BadParameter(Exception):
    """A query parameter of a page is not valid (answered with a 422 page that names it and
    says why, in the page's language: `key` is the reason's label, `values` fill it in)."""

    def __init__(self, name: str, key: str, **values: object) -> None:
        super().__init__(f"{name}: {key} {values}")
        self.name, self.key, self.values = name, key, values


# --- who is asking -----------------------------------------------------------------------------


def _open_on_loopback(request: Request) -> bool:
    return bool(request.app.state.pages_open_on_loopback) and client_address(request) in LOOPBACK


def _authenticate(request: Request, token: str) -> Principal | None:
    """The principal of a token, unless wrong (counted) or its address is held back (raise)."""
    access: AccessStore = request.app.state.access
    address = client_address(request)
    return throttle_of(request.app.state).authenticate(access, token, address, "the pages")


def _target(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def viewer(request: Request) -> Principal:
    """The reader behind a page request: from the cookie, or the demo reader on loopback."""
    token = request.cookies.get(COOKIE)
    if token:
        try:
            principal = _authenticate(request, token)
        except Throttled:  # (held back: as if it had no token)
            principal = None
        if principal is not None:
            return principal
    if _open_on_loopback(request):
        return DEMO_PRINCIPAL
    raise SignInRequired(_target(request))


# --- the question a page answers ---------------------------------------------------------------


@dataclass
class Page:
    """One page request: language, the two times, and helpers the templates use."""

    request: Request
    principal: Principal
    lang: str
    as_of: date
    known_at: datetime
    known_at_given: bool

    @property
    def moment(self) -> Moment:
        return Moment(self.as_of, self.known_at)

    span: views.Span | None = None
    """What the ledger knew at `known_at` (for the notice when a page asks beyond it)."""

    def local(self, moment: datetime) -> str:
        return f"{moment.astimezone(AMSTERDAM):%Y-%m-%d %H:%M}"

    def params(self, **changes: str | None) -> dict[str, str]:
        """The kept query parameters, with changes (None drops one)."""
        found = {k: v for k in KEPT if (v := self.request.query_params.get(k))}
        for key, value in changes.items():
            if value is None or value == "":
                found.pop(key, None)
            else:
                found[key] = value
        return found

    def link(self, path: str, **changes: str | None) -> str:
        query = urlencode(self.params(**changes))
        return f"{path}?{query}" if query else path

    def switch_language(self) -> str:
        """This page in the other language, every other query parameter kept."""
        items = [(k, v) for k, v in self.request.query_params.multi_items() if k != "lang"]
        items.append(("lang", "en" if self.lang == "nl" else "nl"))
        return f"{self.request.url.path}?{urlencode(items)}"

    def hidden(self, *skip: str) -> list[tuple[str, str]]:
        """Query parameters to carry as hidden inputs in a GET form (but those it sets)."""
        return [(k, v) for k, v in self.request.query_params.multi_items() if k not in skip and v]

    @property
    def demo(self) -> bool:
        return self.principal is DEMO_PRINCIPAL

    def known_at_text(self) -> str:
        local = self.known_at.astimezone(AMSTERDAM)
        if not self.known_at_given:
            return f"{i18n.text(self.lang, 'now')} ({local:%Y-%m-%d %H:%M})"
        return f"{local:%Y-%m-%d %H:%M}"

    def known_at_input(self) -> str:
        return self.known_at.astimezone(AMSTERDAM).date().isoformat() if self.known_at_given else ""


def _page(request: Request) -> Page:
    principal = viewer(request)
    lang = i18n.language(request.query_params.get("lang"))
    as_of_text = request.query_params.get("as_of") or ""
    known_text = request.query_params.get("known_at") or ""
    try:
        as_of = parse_as_of(as_of_text) if as_of_text else today()
    except ValueError:
        raise BadParameter("as_of", "error.not_a_date", value=as_of_text) from None
    try:
        known_at = parse_known_at(known_text) if known_text else datetime.now().astimezone()
    except (ValueError, OverflowError):
        raise BadParameter("known_at", "error.not_a_moment", value=known_text) from None
    with _ledger(request).reading() as tables:
        span = views.span_of(tables, known_at)
    return Page(request, principal, lang, as_of, known_at, bool(known_text), span)


def _ledger(request: Request) -> Ledger:
    found: Ledger = request.app.state.ledger
    return found


def _render(page: Page, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    html = _env.get_template(template).render(
        page=page,
        t=i18n.translator(page.lang),
        label=lambda group, value: i18n.label(page.lang, group, str(value)),
        lang=page.lang,
        csrf=csrf.form_value(page.request),
        **values,
    )
    response = HTMLResponse(html, status_code=status, headers=_NO_STORE)
    csrf.remember(page.request, response)
    return response


_NO_STORE = {"Cache-Control": "no-store", "X-Frame-Options": "DENY"}


def _filter_choices(kinds: list[str], state: GovernanceState) -> dict[str, Any]:
    """What the kind, party and subject filter fields offer (`_macros.html`)."""
    return {
        "kinds": kinds,
        "families": sorted({k.split(".")[0] for k in kinds}),
        "parties": sorted(state.parties.values(), key=lambda p: p.name.lower()),
        "subjects": sorted(state.subjects.values(), key=lambda s: s.name.lower()),
    }


def _common(question: Question, state: GovernanceState) -> dict[str, Any]:
    return {"snap": question, "names": i18n.names_of(state)}


# --- the pages -----------------------------------------------------------------------------------

_SLUG = re.compile(SLUG_PATTERN)

router = APIRouter(include_in_schema=False)


@router.get("/")
def overview(request: Request) -> Response:
    page = _page(request)
    with _ledger(request).reading() as tables:
        question = Question(tables, page.moment)
        state, gaps = question.state(), question.gaps()
        return _render(
            page,
            "overview.html",
            nav="overview",
            counts=views.counts(question, state, gaps),
            gaps=gaps,
            span=views.date_range(question),
            ticks=views.decision_days(question),
            **_common(question, state),
        )


@router.get("/matrix")
def matrix(request: Request) -> Response:
    page = _page(request)
    ledger = _ledger(request)
    compare_text = request.query_params.get("compare") or ""
    compare_known_text = request.query_params.get("compare_known_at") or ""
    compare: date | None = None
    compare_known_at = page.known_at
    if compare_text:
        try:
            compare = parse_as_of(compare_text)
        except ValueError:
            raise BadParameter("compare", "error.not_a_date", value=compare_text) from None
    if compare_known_text:
        try:
            compare_known_at = parse_known_at(compare_known_text)
        except (ValueError, OverflowError):
            raise BadParameter(
                "compare_known_at", "error.not_a_moment", value=compare_known_text
            ) from None
        compare = compare or page.as_of
    with ledger.reading() as tables:
        question = Question(tables, page.moment)
        state = question.state()
        shown = views.grid(question.matrix()) if compare is None else None
    if compare is not None:
        before, after, changes = matrix_diff(ledger, Moment(compare, compare_known_at), page.moment)
        shown = views.grid(after, before, changes)
    return _render(
        page,
        "matrix.html",
        nav="matrix",
        grid=shown,
        compare=compare,
        compare_known=compare_known_text,
        turned=request.query_params.get("turned") == "1",
        legend=views.legend(),
        **_common(question, state),
    )


@router.get("/timeline")
def timeline(request: Request) -> Response:
    page = _page(request)
    ledger = _ledger(request)
    party = request.query_params.get("party") or None
    subject = request.query_params.get("subject") or None
    kind = request.query_params.get("kind") or None
    only: set[UUID] | None = None
    if not all(_SLUG.match(name) for name in (party, subject) if name):
        only = set()  # (a hand-edited link: no party or subject has such an id)
    elif party or subject:
        only = {item.id for item in ledger.history(party=party, subject=subject)}
        if party and subject:  # both: decisions naming both
            only &= {item.id for item in ledger.history(party=party)}
            only &= {item.id for item in ledger.history(subject=subject)}
    with ledger.reading() as tables:
        question = Question(tables, page.moment)
        state = question.state()
        names = i18n.names_of(state)
        items = views.timeline_items(question, names, page.lang, only=only, kind=kind)
        kinds = views.kinds_present(question)
    return _render(
        page,
        "timeline.html",
        nav="timeline",
        items=items,
        svg=views.timeline_svg(items, page.as_of, page.lang, page.link),
        **_filter_choices(kinds, state),
        chosen={"party": party or "", "subject": subject or "", "kind": kind or ""},
        **_common(question, state),
    )


@contextmanager
def _state(request: Request, page: Page) -> Iterator[tuple[Question, GovernanceState]]:
    with _ledger(request).reading() as tables:
        question = Question(tables, page.moment)
        yield question, question.state()


@router.get("/risks")
def risks(request: Request) -> Response:
    page = _page(request)
    with _state(request, page) as (question, state):
        return _render(
            page,
            "risks.html",
            nav="risks",
            risks=sorted(state.risks.values(), key=lambda r: (r.system, r.id)),
            criteria=list(state.criteria.values()),
            frameworks=list(state.frameworks.values()),
            **_common(question, state),
        )


@router.get("/recommendations")
def recommendations(request: Request) -> Response:
    page = _page(request)
    with _state(request, page) as (question, state):
        return _render(
            page,
            "recommendations.html",
            nav="recommendations",
            recommendations=list(state.recommendations.values()),
            findings=sorted(state.findings.values(), key=lambda f: (f.number or 999, f.id)),
            evaluations=list(state.evaluations.values()),
            **_common(question, state),
        )


@dataclass(frozen=True)
class CommitmentView:
    """A commitment to parliament and whether it is past due on the date asked about."""

    commitment: CommitmentState
    overdue: bool


@router.get("/commitments")
def commitments(request: Request) -> Response:
    page = _page(request)
    with _state(request, page) as (question, state):
        found = [CommitmentView(c, c.overdue(page.as_of)) for c in state.commitments.values()]
        found.sort(key=lambda c: (not c.overdue, c.commitment.due_on))
        return _render(
            page,
            "commitments.html",
            nav="commitments",
            commitments=found,
            **_common(question, state),
        )


@router.get("/monitor")
def monitor_page(request: Request) -> Response:
    """The monitor: the anchoring month by month up to the as-of date, as known at known_at."""
    page = _page(request)
    last = page.as_of
    first = _log_date(request, "from") or two_years_before(last)
    step = request.query_params.get("step") or "month"
    if step not in ("month", "quarter", "year"):
        raise BadParameter("step", "error.one_of", choices="month, quarter, year")
    if first > last:
        raise BadParameter("from", "error.after", first=first, last=last)
    try:
        days = period_ends(first, last, cast(Step, step))
    except ValueError:
        raise BadParameter("step", "error.too_many_points") from None
    with _ledger(request).reading() as tables:
        points = [point(tables, Moment(day, page.known_at)) for day in days]
        question = Question(tables, page.moment)
        state = question.state()
    return _render(
        page,
        "monitor.html",
        nav="monitor",
        points=points,
        chart=views.monitor_svg(points, page.lang),
        series=[key for key, _, _ in views.MONITOR_SERIES],
        value=views.monitor_value,
        first=first,
        step=step,
        **_common(question, state),
    )


@router.get("/voortgang")
@router.get("/progress")
def progress_page(request: Request) -> Response:
    """The progress report from `from` (default: half a year earlier) to the as-of date, as
    known at known_at."""
    page = _page(request)
    first = _period_start(request, page)
    with _ledger(request).reading() as tables:
        report = progress(tables, first, page.as_of, page.known_at)
        question = Question(tables, page.moment)
        state = question.state()
    return _render(
        page,
        "progress.html",
        nav="progress",
        report=report,
        first=first,
        body=progress_body(report, page.lang, "/decisions/{}"),
        areas=AREAS,
        **_common(question, state),
    )


def _period_start(request: Request, page: Page) -> date:
    """The first day of the progress report's period (`from`; default half a year back)."""
    first = _log_date(request, "from") or half_a_year_before(page.as_of)
    if first > page.as_of:
        raise BadParameter("from", "error.after", first=first, last=page.as_of)
    return first


@router.get("/downloads/progress.{fmt}")
def download_progress(request: Request, fmt: str) -> Response:
    """The progress report as a file: Markdown, HTML or PDF, in the page's language."""
    page = _page(request)
    if fmt not in ("md", "html", "pdf"):
        return _render(page, "error.html", 404, message=f"progress.{fmt}")
    first = _period_start(request, page)
    with _ledger(request).reading() as tables:
        report = progress(tables, first, page.as_of, page.known_at)
    link = str(request.base_url).rstrip("/") + "/decisions/{}"
    content = render_progress(report, fmt, page.lang, link)
    return _file(iter([content]), fmt, f"voortgang-{first}-{page.as_of}")


@router.get("/tokens")
def tokens_page(request: Request) -> Response:
    """The tokens (admin only): each one's role, the parties it may record for, its life."""
    page = _page(request)
    if not page.principal.role.may_administer():
        return _render(page, "error.html", 403, message=i18n.text(page.lang, "tokens.admin_only"))
    access: AccessStore = request.app.state.access
    with _state(request, page) as (question, state):
        return _render(
            page,
            "tokens.html",
            nav="tokens",
            tokens=sorted(access.tokens(), key=lambda r: (not r.active, r.name)),
            amsterdam=AMSTERDAM,
            **_common(question, state),
        )


LOG_PAGE_SIZE = 50
LOG_ORDERS = ("-effective", "effective", "-position", "position")
"""How the log can be sorted (the first is the default): by effective date or by when recorded,
newest or oldest first."""


def _log_date(request: Request, name: str) -> date | None:
    text = request.query_params.get(name) or ""
    try:
        return parse_as_of(text) if text else None
    except ValueError:
        raise BadParameter(name, "error.not_a_date", value=text) from None


def _log_filter(request: Request, page: Page) -> DecisionFilter:
    """The log's filters, from the query (a name that cannot be an id matches nothing)."""
    params = request.query_params
    kind = params.get("kind") or ""
    kinds = tuple(k for k in d.DECISION_CLASSES if kind in (k, k.split(".")[0])) if kind else ()
    party, subject = params.get("party") or None, params.get("subject") or None
    recorded_from, recorded_to = (
        _log_date(request, "recorded_from"),
        _log_date(request, "recorded_to"),
    )
    known = page.known_at if page.known_at_given else None
    until = end_of_day(recorded_to) if recorded_to else None
    if known is not None and (until is None or known < until):
        until = known  # as known at a moment: only what was recorded by then
    text = (params.get("q") or "").strip()
    if SPOOFING.search(text) or any(ord(c) < 32 for c in text):
        raise BadParameter("q", "log.bad_text")
    return DecisionFilter(
        kinds=kinds or ((kind,) if kind else ()),
        party=party if party is None or _SLUG.match(party) else "~",
        subject=subject if subject is None or _SLUG.match(subject) else "~",
        effective=(_log_date(request, "effective_from"), _log_date(request, "effective_to")),
        recorded=(start_of_day(recorded_from) if recorded_from else None, until),
        text=text[:200] or None,
    )


@router.get("/besluiten")
@router.get("/decisions")
def decision_log(request: Request) -> Response:
    """The decision log: searched, filtered, sorted, a page at a time."""
    page = _page(request)
    ledger = _ledger(request)
    match = _log_filter(request, page)
    order = request.query_params.get("sort") or LOG_ORDERS[0]
    if order not in LOG_ORDERS:
        raise BadParameter("sort", "error.one_of", choices=", ".join(LOG_ORDERS))
    try:
        number = max(1, int(request.query_params.get("page") or 1))
    except ValueError:
        raise BadParameter("page", "error.page_number") from None
    total = ledger.count(match)
    pages = max(1, -(-total // LOG_PAGE_SIZE))
    number = min(number, pages)
    found, _ = ledger.search(
        match, limit=LOG_PAGE_SIZE, order=order, offset=(number - 1) * LOG_PAGE_SIZE
    )
    with ledger.reading() as tables:
        question = Question(tables, page.moment)
        state = question.state()
        names = i18n.names_of(state)
        settled = put_right(tables, [item.id for item in found])
        kinds = views.kinds_present(question)
    return _render(
        page,
        "log.html",
        nav="log",
        items=[views.log_item(item, names, page.lang, settled) for item in found],
        total=total,
        number=number,
        pages=pages,
        orders=LOG_ORDERS,
        order=order,
        **_filter_choices(kinds, state),
        chosen={k: request.query_params.get(k) or "" for k in LOG_PARAMS},
        names=names,
    )


LOG_PARAMS = (
    "q",
    "kind",
    "party",
    "subject",
    "effective_from",
    "effective_to",
    "recorded_from",
    "recorded_to",
    "sort",
)


def _decision_id(text: str) -> UUID | None:
    try:
        return UUID(text)
    except ValueError:
        return None


@router.get("/decisions/{decision_id}")
def decision(request: Request, decision_id: str) -> Response:
    page = _page(request)
    ledger = _ledger(request)
    found = _decision_id(decision_id)
    try:
        view = ledger.get(found) if found is not None else None
    except NotFound:
        view = None
    if view is None:
        return _render(page, "error.html", 404, message=i18n.text(page.lang, "decision.not_found"))
    with ledger.reading() as tables:
        names = i18n.names_of(Question(tables, page.moment).state())
    return _render(
        page,
        "decision.html",
        view=view,
        content=views.content(view.recorded.decision),
        current=views.content(view.current)
        if view.current is not None and view.corrections
        else None,
        chain_hash=chain_hash(ledger, view.recorded.position),
        summary=i18n.summary(view.recorded.decision, names, page.lang),
        names=names,
    )


@router.get("/decisions/{decision_id}/proof.json")
def decision_proof(request: Request, decision_id: str) -> Response:
    viewer(request)
    found = _decision_id(decision_id)
    if found is None:
        return OrjsonResponse({"detail": "not a decision id"}, status_code=404)
    try:
        return OrjsonResponse(proof_for(_ledger(request), found))
    except NotFound as error:  # no such decision, no checkpoint yet, or not covered yet
        return OrjsonResponse({"detail": str(error)}, status_code=404)


@router.get("/downloads")
def downloads(request: Request) -> Response:
    page = _page(request)
    files = [  # (its words, its path, turned: subjects as rows)
        ("downloads.matrix_csv", "/downloads/matrix.csv", None),
        ("downloads.matrix_xlsx", "/downloads/matrix.xlsx", None),
        ("downloads.matrix_xlsx_turned", "/downloads/matrix.xlsx", "1"),
        ("downloads.pack_pdf", "/downloads/evaluation-pack.pdf", None),
        ("downloads.pack_xlsx", "/downloads/evaluation-pack.xlsx", None),
        ("downloads.pack_html", "/downloads/evaluation-pack.html", None),
    ]
    with _state(request, page) as (question, state):
        return _render(
            page, "downloads.html", nav="downloads", files=files, **_common(question, state)
        )


def _file(content: Iterator[bytes], fmt: str, name: str) -> Response:
    disposition = "inline" if fmt == "html" else "attachment"
    return file_response(
        content,
        MEDIA_TYPES[fmt],
        fmt,
        {"Content-Disposition": f'{disposition}; filename="{name}.{fmt}"', **_NO_STORE},
    )


@router.get("/downloads/matrix.{fmt}")
def download_matrix(request: Request, fmt: str) -> Response:
    page = _page(request)
    if fmt not in ("csv", "xlsx"):
        return _render(page, "error.html", 404, message=f"matrix.{fmt}")
    # CSV as Excel reads it in the page's language: `;` (and a BOM) in Dutch, unless `sep` says
    sep = request.query_params.get("sep") or (";" if page.lang == "nl" else ",")
    if sep not in (",", ";"):
        raise BadParameter("sep", "error.one_of", choices=", ;")
    with _ledger(request).reading() as tables:
        question = Question(tables, page.moment)
        content = stream_matrix(
            question.matrix(),
            fmt,
            question.gaps(),
            cast(CsvSeparator, sep),
            turned=request.query_params.get("turned") == "1",
        )
    return _file(content, fmt, f"verantwoordelijkheden-{page.as_of}")


@router.get("/downloads/evaluation-pack.{fmt}")
def download_pack(request: Request, fmt: str) -> Response:
    page = _page(request)
    if fmt not in ("xlsx", "html", "pdf"):
        return _render(page, "error.html", 404, message=f"evaluation-pack.{fmt}")
    compare = _log_date(request, "compare")
    earlier = Moment(compare, page.known_at) if compare else None
    content = stream_pack(build_pack(_ledger(request), page.moment, earlier), fmt, page.lang)
    return _file(content, fmt, f"evaluatiepakket-{page.as_of}")


# --- signing in and out ------------------------------------------------------------------------


def _safe_next(target: str | None) -> str:
    """Only a path on this site (never another host) to go back to after signing in."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _sign_in_page(request: Request, status: int = 200, **values: Any) -> HTMLResponse:
    lang = i18n.language(request.query_params.get("lang"))
    page = Page(request, Principal("", Role.EVALUATOR), lang, today(), datetime.now(), False)
    return _render(page, "sign_in.html", status, bare=True, **values)


@router.get("/sign-in")
def sign_in_form(request: Request) -> Response:
    return _sign_in_page(
        request,
        target=_safe_next(request.query_params.get("next")),
        signed_out=request.query_params.get("signed_out") == "1",
    )


async def _form(request: Request) -> Mapping[str, list[str]]:
    raw = await request.body()
    if len(raw) > 8192:
        return {}
    return parse_qs(raw.decode("utf-8", errors="replace"), max_num_fields=10)


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    form = await _form(request)
    token = (form.get("token") or [""])[0].strip()
    target = _safe_next((form.get("next") or ["/"])[0])
    if not csrf.same_site(request, form):
        return _sign_in_page(request, 403, target=target, cross_site=True, signed_out=False)
    try:
        principal = _authenticate(request, token) if token else None
    except Throttled as held:
        refused = _sign_in_page(request, 429, target=target, held=held.retry_after)
        refused.headers["Retry-After"] = str(held.retry_after)
        return refused
    if principal is None:
        return _sign_in_page(request, 401, target=target, invalid=True, signed_out=False)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=is_https(request),
        path="/",
    )
    return response


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    if not csrf.same_site(request, await _form(request)):
        return _sign_in_page(request, 403, target="/", cross_site=True, signed_out=False)
    lang = i18n.language(request.query_params.get("lang"))
    response = RedirectResponse(f"/sign-in?signed_out=1&lang={lang}", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response


# --- mounting ----------------------------------------------------------------------------------


def _on_sign_in_required(request: Request, error: Exception) -> Response:
    assert isinstance(error, SignInRequired)
    lang = i18n.language(request.query_params.get("lang"))
    query = urlencode({"next": error.target, "lang": lang})
    return RedirectResponse(f"/sign-in?{query}", status_code=303)


def _on_bad_parameter(request: Request, error: Exception) -> Response:
    assert isinstance(error, BadParameter)
    lang = i18n.language(request.query_params.get("lang"))
    page = Page(request, viewer(request), lang, today(), datetime.now().astimezone(), False)
    said = i18n.text(lang, error.key, **error.values)
    message = f"{i18n.text(lang, 'error.bad_value', name=error.name)}: {said}"
    return _render(page, "error.html", 422, message=message)


_NOT_PAGES = ("/v1/", "/openapi", "/docs", "/redoc", "/static/")
"""Paths that are not pages: an unknown one there is answered as the API answers (JSON)."""


def _not_found_page(api_answer: Any) -> Any:
    """An unknown address a browser asked for gets the site's own 404 page; the rest (the API,
    a client asking for JSON) the API's problem answer."""

    async def answer(request: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException)
        path = request.url.path
        wants_html = "text/html" in request.headers.get("accept", "")
        if error.status_code != 404 or path.startswith(_NOT_PAGES) or not wants_html:
            response: Response = await api_answer(request, error)
            return response
        lang = i18n.language(request.query_params.get("lang"))
        try:
            principal, bare = viewer(request), False
        except SignInRequired:
            principal, bare = DEMO_PRINCIPAL, True  # (signed out: no navigation to show)
        page = Page(request, principal, lang, today(), datetime.now().astimezone(), False)
        message = i18n.text(lang, "error.not_found", path=path)
        return _render(page, "error.html", 404, message=message, bare=bare)

    return answer


def mount_pages(app: FastAPI) -> None:
    """Add the evaluator pages, their assets and the sign-in to the app."""
    app.add_exception_handler(
        StarletteHTTPException, _not_found_page(app.exception_handlers[StarletteHTTPException])
    )
    app.state.pages_open_on_loopback = os.environ.get(OPEN_ON_LOOPBACK_ENV, "") == "1"
    app.mount(
        "/static/pages", StaticFiles(directory=_HERE / "static" / "pages"), name="pages-static"
    )
    app.add_exception_handler(SignInRequired, _on_sign_in_required)
    app.add_exception_handler(BadParameter, _on_bad_parameter)
    app.include_router(router)
