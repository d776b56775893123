"""The progress report: what changed in the governance between two dates, as known at one
moment — the annex to the minister's half-yearly progress letter to parliament.

For the period `first` .. `last` (both included) it lists
- the roles added, removed and changed: the matrix the day before `first` against the matrix on
  `last`, each change with the decisions behind it (`projections.diff`);
- per area (frameworks, risks, findings and recommendations, commitments, evaluations, parties
  and subjects) every decision that took effect in the period, as it applies: with its
  corrections, without what was retracted, from the date its consents let it apply;
- what fell overdue or lapsed in the period and still was on `last`: recommendations and
  commitments past their date, acceptances past their review (the gap report's rules);
- every correction and retraction recorded in the period, whatever date it concerns, with the
  fields it changed: what was said before and what is said since.

Everything is read from one snapshot of the tables, as known at `known_at`.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

import orjson
from markupsafe import Markup

from domain import decisions as d
from domain.gaps import Gap
from domain.knowledge import Knowledge
from ledger.known import clusters
from ledger.projector import micros_of
from ledger.tables import Tables
from projections import i18n
from projections.answers import GapFilter, Moment, Question
from projections.diff import CellChange, diff_in
from projections.document import (
    Cell,
    Link,
    Section,
    md_escape,
    printed,
    sections_html,
    sections_markdown,
    templates,
)
from projections.exports import change_json
from projections.timeframe import AMSTERDAM, end_of_day, start_of_day

AREAS = (
    "framework",
    "risk",
    "recommendation",
    "commitment",
    "evaluation",
    "register",
)
"""The areas of the report after the roles, in its order; a decision's area is its family's."""
_AREA_OF_FAMILY = {
    "framework": "framework",
    "risk": "risk",
    "finding": "recommendation",
    "recommendation": "recommendation",
    "commitment": "commitment",
    "evaluation": "evaluation",
    "party": "register",
    "subject": "register",
}
OVERDUE_RULES = frozenset(
    {"recommendation_overdue", "commitment_overdue", "acceptance_past_review"}
)
"""Gap rules that start on a date: what fell overdue or lapsed in the period."""
_PUT_RIGHT = ("decision.corrected", "decision.retracted")
_NAMED = ("party", "subject", *(kind for kind, _, _ in i18n.TITLED))
"""The state's entries the report names things by (not the roles, the bulk of it)."""
_ROLES = ("responsibility.assigned", "responsibility.relieved", "responsibility.transferred")


@dataclass(frozen=True)
class Change:
    """A decision that took effect in the period, as it applies."""

    area: str
    on: date
    """The date it applies from (its effective date, or its last consent's)."""
    recorded: d.RecordedDecision
    """The decision as first recorded (its id, position and recording)."""
    content: d.Decision
    """Its content as known: with its corrections."""


@dataclass(frozen=True)
class PutRight:
    """A correction or retraction recorded in the period, and what it changed."""

    recorded: d.RecordedDecision
    root: UUID
    """The decision whose content it changed (a correction of a correction: the first)."""
    before: d.Decision | None
    """That decision's content just before (None: it had been retracted)."""
    after: d.Decision | None
    """Its content just after (None: retracted)."""

    @property
    def fields(self) -> list[tuple[str, Any, Any]]:
        """(field, before, after) of every field the correction changed."""
        if self.before is None or self.after is None:
            return []
        old = self.before.model_dump(mode="json", exclude={"kind"})
        new = self.after.model_dump(mode="json", exclude={"kind"})
        return [(k, old.get(k), new.get(k)) for k in {**old, **new} if old.get(k) != new.get(k)]


@dataclass
class Progress:
    first: date
    last: date
    known_at: datetime
    position: int
    """The ledger position the report rests on (what was known at known_at)."""
    roles: list[CellChange]
    changes: list[Change]
    overdue: list[Gap]
    put_right: list[PutRight]
    names: dict[str, str] = field(default_factory=dict)
    """Display names of parties and subjects."""

    def area(self, name: str) -> list[Change]:
        return [c for c in self.changes if c.area == name]


def half_a_year_before(day: date) -> date:
    """The default first day of a report ending on `day`: the day after the same date six
    months earlier (2022-06-30 -> 2022-01-01; 2022-08-31 -> 2022-03-01)."""
    month = day.month - 6
    year = day.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    if year < 1:
        return date.min
    start = date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
    return start + timedelta(days=1)


def progress(tables: Tables, first: date, last: date, known_at: datetime) -> Progress:
    """The progress report for `first` .. `last` as known at `known_at`."""
    if first > last:
        raise ValueError(f"the period starts ({first}) after it ends ({last})")
    day_before = first - timedelta(days=1) if first > date.min else first
    before, after = Moment(day_before, known_at), Moment(last, known_at)
    _, _, roles = diff_in(tables, before, after)
    question = Question(tables, after)
    position = question.position
    state = question.state(_NAMED)
    overdue = [
        gap
        for gap in question.gaps(GapFilter(rules=OVERDUE_RULES))
        if gap.since is not None and first <= gap.since <= last
    ]
    return Progress(
        first,
        last,
        known_at,
        position,
        roles,
        _changes(tables, first, last, position),
        overdue,
        _put_right(tables, first, last, position),
        i18n.names_of(state),
    )


def _changes(tables: Tables, first: date, last: date, position: int) -> list[Change]:
    """The decisions (not about roles) that apply from a date in the period, as known at
    `position`: those dated in it, and those a correction or a consent may have moved into it."""
    meta = ("decision.corrected", "decision.retracted", *_ROLES)
    marks = ",".join("?" * len(meta))
    dated = tables.all(
        "SELECT id FROM {p}ledger_decisions WHERE effective_on >= ? AND effective_on <= ?"  # noqa: S608
        f" AND position <= ? AND kind NOT IN ({marks})",
        (first.toordinal(), last.toordinal(), position, *meta),
    )
    # a consent can move a decision into the period from before it, a correction from anywhere
    consented = tables.all(
        "SELECT DISTINCT target FROM {p}ledger_decisions WHERE kind = 'consent.given'"
        " AND position <= ? AND effective_on >= ? AND effective_on <= ?",
        (position, first.toordinal(), last.toordinal()),
    )
    corrections = tables.all(
        "SELECT root, payload FROM {p}ledger_decisions WHERE kind = 'decision.corrected'"
        " AND position <= ?",
        (position,),
    )
    period = (first.isoformat(), last.isoformat())
    moved = {root for root, payload in corrections if period[0] <= _moved_to(payload) <= period[1]}
    roots = {row[0] for row in dated} | {row[0] for row in consented} | moved
    known = clusters(tables, roots, position)
    found: list[Change] = []
    for root in sorted(roots):
        item = known.get(UUID(root))
        if item is None or item.kind in meta:
            continue
        applies = known.in_force(item.id)
        if applies is None or not first <= applies.in_force_on <= last:
            continue
        family = item.kind.split(".")[0]
        if isinstance(applies.decision, d.Consent):  # in the area of what it consents to
            info = tables.decision_info(str(applies.decision.decision))
            family = info[0].split(".")[0] if info is not None else family
        area = _AREA_OF_FAMILY.get(family, "register")
        found.append(Change(area, applies.in_force_on, item, applies.decision))
    found.sort(key=lambda c: (c.on, c.recorded.position))
    return found


def _moved_to(correction: str) -> str:
    """The effective date (ISO) a stored correction gives the decision it corrects."""
    moved: str = orjson.loads(correction)["decision"]["replacement"]["effective_on"]
    return moved


def _put_right(tables: Tables, first: date, last: date, position: int) -> list[PutRight]:
    """The corrections and retractions recorded in the period (Amsterdam days), each with the
    content of the decision it changed just before and just after it."""
    rows = tables.all(
        "SELECT t.payload, coalesce(t.root, x.root, t.target) FROM {p}ledger_decisions t"
        " LEFT JOIN {p}ledger_decisions x ON x.id = t.target WHERE t.kind IN (?, ?)"
        " AND t.recorded_us >= ? AND t.recorded_us <= ? AND t.position <= ?"
        " ORDER BY t.position",
        (*_PUT_RIGHT, *_recorded_on(first, last), position),
    )
    if not rows:
        return []
    known = clusters(tables, {root for _, root in rows}, position)
    # one pass in ledger order: each root's content just before and just after each row
    running, later = Knowledge(contiguous=False), iter(known.recorded)
    upcoming = next(later, None)
    found: list[PutRight] = []
    for payload, root_id in rows:
        item = d.RecordedDecision.model_validate_json(payload)
        root = UUID(root_id)
        while upcoming is not None and upcoming.position < item.position:
            running.add(upcoming)
            upcoming = next(later, None)
        before = running.current(root)
        while upcoming is not None and upcoming.position == item.position:
            running.add(upcoming)
            upcoming = next(later, None)
        found.append(PutRight(item, root, before, running.current(root)))
    return found


def _recorded_on(first: date, last: date) -> tuple[int, int]:
    """The first and last microsecond of the Amsterdam days `first` .. `last` (the calendar's
    first and last days reach past what a datetime holds in Amsterdam)."""
    low = micros_of(start_of_day(first)) if first > date.min else -(1 << 62)
    high = micros_of(end_of_day(last)) if last < date.max else 1 << 62
    return low, high


# --- the report as JSON -----------------------------------------------------------------------


def progress_json(report: Progress) -> dict[str, Any]:
    """The report for programs: ids and codes, no words."""
    return {
        "from": report.first.isoformat(),
        "to": report.last.isoformat(),
        "known_at": report.known_at.isoformat(),
        "position": report.position,
        "roles": [change_json(c) for c in report.roles],
        "areas": {area: [_change_json(c) for c in report.area(area)] for area in AREAS},
        "overdue": [gap.json() for gap in report.overdue],
        "put_right": [_put_right_json(p) for p in report.put_right],
    }


def _change_json(change: Change) -> dict[str, Any]:
    return {
        "decision": str(change.recorded.id),
        "kind": change.recorded.kind,
        "in_force_on": change.on.isoformat(),
        "position": change.recorded.position,
        "recorded_at": change.recorded.recorded_at.isoformat(),
        "content": change.content.model_dump(mode="json", exclude_none=True),
    }


def _put_right_json(item: PutRight) -> dict[str, Any]:
    decision = item.recorded.decision
    return {
        "decision": str(item.recorded.id),
        "kind": item.recorded.kind,
        "recorded_at": item.recorded.recorded_at.isoformat(),
        "decided_by": list(decision.decided_by),
        "source": decision.source,
        "about": str(item.root),
        "about_kind": (item.before or item.after or decision).kind,
        "retracted": item.before is not None and item.after is None,
        "restored": item.before is None and item.after is not None,
        "fields": [{"field": f, "before": b, "after": a} for f, b, a in item.fields],
    }


# --- the report in words: one view, written as Markdown, HTML and PDF ------------------------

FORMATS = ("json", "md", "html", "pdf")


def sections(report: Progress, lang: str, link: str | None = None) -> list[Section]:
    """What the report shows, in `lang`: a titled table per area. `link` (with `{}` for a
    decision's id) makes each decision a link to its page."""
    t = i18n.translator(lang)
    names = report.names

    def decision_link(decision_id: UUID) -> Link:
        text = str(decision_id)[:8]
        return Link(text, link.format(decision_id) if link else None)

    def source(decision: d.Decision) -> Link:
        return Link(decision.source, i18n.source_url(decision.source, decision.document))

    def by(decision: d.Decision) -> str:
        return ", ".join(names.get(p, p) for p in decision.decided_by)

    def what(kind: str, decision: d.Decision) -> str:
        said = f"{i18n.label(lang, 'kind', kind)}: {i18n.summary(decision, names, lang)}"
        return said + (f" ({t('basis.inferred')})" if decision.basis == "inferred" else "")

    found = [
        Section(
            "roles",
            t("progress.roles"),
            f"{t('progress.roles.lead')} {t('matrix.legend.inferred')}.",
            [
                i18n.label(lang, "field", "party"),
                i18n.label(lang, "field", "subject"),
                t("progress.change"),
                t("change.before"),
                t("change.after"),
                t("change.causes"),
            ],
            [
                [
                    names.get(c.party, c.party),
                    names.get(c.subject, c.subject),
                    t(f"change.{c.change}"),
                    c.before,
                    c.after,
                    [
                        Link(
                            f"{i18n.label(lang, 'kind', s.kind)} {s.effective_on}: {s.source}",
                            link.format(s.decision) if link else None,
                        )
                        for s in c.causes
                    ],
                ]
                for c in report.roles
            ],
        )
    ]
    header = [t("progress.date"), t("progress.what"), t("progress.by"), t("progress.source"), ""]
    for area in AREAS:
        found.append(
            Section(
                area,
                t(f"progress.area.{area}"),
                "",
                header,
                [
                    [
                        c.on.isoformat(),
                        what(c.recorded.kind, c.content),
                        by(c.content),
                        source(c.content),
                        decision_link(c.recorded.id),
                    ]
                    for c in report.area(area)
                ],
            )
        )
    found.append(
        Section(
            "overdue",
            t("progress.overdue"),
            t("progress.overdue.lead"),
            [t("progress.date"), t("progress.rule"), t("progress.what"), ""],
            [
                [
                    g.since.isoformat() if g.since else "",
                    i18n.label(lang, "gap", g.rule),
                    g.explained(lang),
                    [decision_link(i) for i in g.decisions],
                ]
                for g in report.overdue
            ],
        )
    )
    found.append(
        Section(
            "put_right",
            t("progress.put_right"),
            t("progress.put_right.lead"),
            [
                t("progress.recorded"),
                t("progress.what"),
                t("change.causes"),
                t("progress.by"),
                t("progress.source"),
                "",
            ],
            [_put_right_row(p, lang, names, by, source, decision_link) for p in report.put_right],
        )
    )
    return found


def _put_right_row(
    item: PutRight, lang: str, names: dict[str, str], by: Any, source: Any, decision_link: Any
) -> list[Cell]:
    t = i18n.translator(lang)
    decision = item.recorded.decision
    about = item.before or item.after
    said = i18n.label(lang, "kind", item.recorded.kind)
    if about is not None:
        said += f" — {i18n.label(lang, 'kind', about.kind)}: {i18n.summary(about, names, lang)}"
    if item.after is None:
        changed = t("progress.retracted")
    elif item.before is None:
        changed = t("progress.restored")
    else:
        changed = "; ".join(
            f"{i18n.label(lang, 'field', f)}: {_shown(b)} → {_shown(a)}" for f, b, a in item.fields
        )
    reason = getattr(decision, "reason", None) or decision.rationale or ""
    return [
        item.recorded.recorded_at.astimezone(AMSTERDAM).date().isoformat(),
        said,
        changed + (f" ({reason})" if reason else ""),
        by(decision),
        source(decision),
        decision_link(item.recorded.id),
    ]


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def progress_markdown(report: Progress, lang: str, link: str | None = None) -> str:
    t = i18n.translator(lang)
    lines = [
        f"# {t('progress.heading', first=report.first, last=report.last)}",
        "",
        md_escape(t("progress.known", known_at=_moment(report.known_at), position=report.position)),
        "",
    ]
    lines += sections_markdown(sections(report, lang, link), t("progress.nothing"))
    return "\n".join(lines)


def progress_body(report: Progress, lang: str, link: str | None = None, level: int = 2) -> Markup:
    """The report's sections as HTML, for a page or a document (`level`: of their headings)."""
    return sections_html(sections(report, lang, link), lang, level)


def progress_html(report: Progress, lang: str, link: str | None = None) -> str:
    """The report as one HTML document (also what the PDF is printed from)."""
    return templates.get_template("progress.html").render(
        report=report,
        lang=lang,
        t=i18n.translator(lang),
        known_at=_moment(report.known_at),
        body=progress_body(report, lang, link),
    )


def progress_pdf(report: Progress, lang: str, link: str | None = None) -> bytes:
    """The report as PDF (A4), printed from its HTML."""
    return printed(progress_html(report, lang, link))


def render_progress(report: Progress, fmt: str, lang: str, link: str | None = None) -> bytes:
    if fmt == "json":
        return bytes(orjson.dumps(progress_json(report)))
    if fmt == "md":
        return progress_markdown(report, lang, link).encode()
    if fmt == "html":
        return progress_html(report, lang, link).encode()
    if fmt == "pdf":
        return progress_pdf(report, lang, link)
    raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")


def _moment(moment: datetime) -> str:
    return moment.astimezone(AMSTERDAM).strftime("%Y-%m-%d %H:%M")
