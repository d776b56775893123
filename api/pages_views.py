"""What the evaluator pages show, as plain data for the templates: counts, the matrix grid with
its sources and changes, the timeline as SVG, a decision with its chain hash.

Nothing here renders HTML (but the SVG chart) or knows about requests; `api.pages` does that.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar
from uuid import UUID

from markupsafe import Markup, escape

from domain import decisions as d
from domain.cells import Source
from domain.gaps import Gap
from domain.governance import GovernanceState, Party, Subject
from domain.inheritance import chain, registered_parent
from ledger.known import put_right
from ledger.projector import micros_of, moment_of
from ledger.tables import Tables
from projections.answers import Question
from projections.diff import CellChange
from projections.exports import ROLE_COLOURS
from projections.i18n import label, summary, text
from projections.matrix import ROLE_ORDER, Matrix

ENVELOPE = tuple(d.Decision.model_fields)
"""The fields every decision carries (the decision page shows them apart from its content)."""


# --- the overview -----------------------------------------------------------------------------


def counts(
    question: Question, state: GovernanceState, gaps: Sequence[Gap]
) -> list[tuple[str, int, str]]:
    """(label key, number, tone) for the overview's tiles; tone 'warn' draws attention."""
    as_of = question.moment.as_of
    overdue = sum(1 for c in state.commitments.values() if c.overdue(as_of))
    open_recs = sum(1 for r in state.recommendations.values() if r.status == "open")
    accepted = sum(1 for r in state.risks.values() if r.acceptance_in_force() is not None)
    return [
        ("count.parties", sum(1 for p in state.parties.values() if p.active()), ""),
        ("count.subjects", len(state.subjects), ""),
        ("count.roles", len(state.holdings), ""),
        ("count.frameworks", len(state.frameworks), ""),
        ("count.risks", len(state.risks), ""),
        ("count.acceptances", accepted, ""),
        ("count.recommendations_open", open_recs, "warn" if open_recs else ""),
        ("count.commitments_overdue", overdue, "warn" if overdue else ""),
        ("count.gaps", len(gaps), "warn" if gaps else ""),
        ("count.decisions", question.position, ""),
    ]


def date_range(question: Question) -> tuple[date, date] | None:
    """The first and last effective date of every decision recorded."""
    first, last = question.tables.one(
        "SELECT min(effective_on), max(effective_on) FROM {p}ledger_decisions"
    )
    return None if first is None else (date.fromordinal(first), date.fromordinal(last))


@dataclass(frozen=True)
class Span:
    """What the ledger knew at a moment: whether any decision, the last date one of them takes
    effect, when the last was recorded; and when the first of all was recorded."""

    known: bool
    last_effective: date | None
    last_recorded: datetime | None
    first_recorded: datetime | None


def span_of(tables: Tables, known_at: datetime) -> Span:
    """One index lookup each (a range scan when `known_at` lies before the last recording)."""

    def one(query: str, params: tuple[int, ...] = ()) -> Any:
        found = tables.one(query, params)
        return None if found is None else found[0]

    first = one("SELECT min(recorded_us) FROM {p}ledger_decisions")
    last = one("SELECT max(recorded_us) FROM {p}ledger_decisions")
    until = micros_of(known_at)
    if last is not None and last > until:  # as known before the last recording
        last = one(
            "SELECT max(recorded_us) FROM {p}ledger_decisions WHERE recorded_us <= ?", (until,)
        )
        effective = one(
            "SELECT max(effective_on) FROM {p}ledger_decisions WHERE recorded_us <= ?", (until,)
        )
    else:
        effective = one("SELECT max(effective_on) FROM {p}ledger_decisions")
    return Span(
        last is not None,
        None if effective is None else date.fromordinal(effective),
        None if last is None else moment_of(last),
        None if first is None else moment_of(first),
    )


def decision_days(question: Question) -> list[date]:
    """Every distinct effective date, in order (the slider's tick marks)."""
    return [
        date.fromordinal(row[0])
        for row in question.tables.all(
            "SELECT DISTINCT effective_on FROM {p}ledger_decisions ORDER BY effective_on"
        )
    ]


# --- the matrix --------------------------------------------------------------------------------


@dataclass
class GridCell:
    """One cell as shown: its letters and roles now, and (in compare mode) what it was."""

    party: Party
    subject: Subject
    letters: str = ""
    marked: str = ""  # the letters, an inferred role's followed by `*`
    roles: list[dict[str, Any]] = field(default_factory=list)
    colour: str = ""
    change: str = ""
    before: str = ""
    causes: list[Source] = field(default_factory=list)
    gap: bool = False

    @property
    def key(self) -> str:
        return f"{self.party.id}--{self.subject.id}"


@dataclass
class Grid:
    subjects: list[Subject]
    rows: list[tuple[Party, list[GridCell]]]
    gap_subjects: dict[str, list[str]]
    changes: list[CellChange]
    counted: dict[str, int]
    depth: dict[str, int] = field(default_factory=dict)
    """How many subjects shown stand above each subject (its indent)."""
    band: dict[str, int] = field(default_factory=dict)
    """0 or 1, alternating from one top subject's tree to the next."""


T = TypeVar("T", Party, Subject)


def _union(first: Iterable[T], second: Iterable[T]) -> list[T]:
    seen: dict[str, T] = {item.id: item for item in first}
    extra: list[T] = [item for item in second if item.id not in seen]
    return list(seen.values()) + extra


def grid(matrix: Matrix, before: Matrix | None = None, changes: Sequence[CellChange] = ()) -> Grid:
    """The matrix as rows of cells (with the earlier matrix's parties and subjects kept in
    compare mode, so that a removed role still has its cell)."""
    parties = _union(matrix.parties, before.parties if before else [])
    subjects = _union(matrix.subjects, before.subjects if before else [])
    by_cell = {(c.party, c.subject): c for c in changes}
    rows: list[tuple[Party, list[GridCell]]] = []
    for party in parties:
        cells = []
        for subject in subjects:
            shown = GridCell(party, subject, gap=subject.id in matrix.gap_subjects)
            cell = matrix.cell(party.id, subject.id)
            if cell is not None:
                shown.letters, shown.marked = cell.letters, cell.marked_letters
                shown.colour = ROLE_COLOURS[cell.roles[0]]
                shown.roles = [
                    {
                        "role": role.value,
                        "letter": role.letter,
                        "since": cell.since[role],
                        "inferred": cell.inferred(role),
                        "inherited_from": cell.inherited.get(role),
                        "sources": list(cell.sources[role]),
                    }
                    for role in cell.roles
                ]
            change = by_cell.get((party.id, subject.id))
            if change is not None:
                shown.change, shown.before = change.change, change.before
                shown.causes = list(change.causes)
            cells.append(shown)
        rows.append((party, cells))
    counted = {
        kind: sum(1 for c in changes if c.change == kind)
        for kind in ("added", "removed", "changed")
    }
    parent_of = registered_parent({s.id: s.parent for s in subjects})
    depth: dict[str, int] = {}
    band: dict[str, int] = {}
    tops: dict[str, int] = {}  # (in tree order: a top subject, then those below it)
    for subject in subjects:
        line = chain(subject.id, parent_of)
        depth[subject.id] = len(line) - 1
        band[subject.id] = tops.setdefault(line[-1], len(tops)) % 2
    return Grid(subjects, rows, matrix.gap_subjects, list(changes), counted, depth, band)


def legend() -> list[tuple[str, str, str]]:
    """(role, letter, colour) in the matrix's order."""
    return [(role.value, role.letter, ROLE_COLOURS[role]) for role in ROLE_ORDER]


# --- decisions ---------------------------------------------------------------------------------


def content(decision: d.Decision) -> list[tuple[str, Any]]:
    """The kind's own fields (not the envelope), in declaration order."""
    data = decision.model_dump(mode="json")
    return [(k, v) for k, v in data.items() if k not in ENVELOPE]


# --- the timeline ------------------------------------------------------------------------------

FAMILY_COLOURS = {  # Okabe-Ito, dark enough on white for a 3:1 graphical contrast
    "party": "#0072B2",
    "subject": "#56B4E9",
    "responsibility": "#E69F00",
    "framework": "#009E73",
    "risk": "#D55E00",
    "finding": "#CC79A7",
    "recommendation": "#CC79A7",
    "evaluation": "#6A3D9A",
    "commitment": "#000000",
    "consent": "#999999",
    "decision": "#999999",
}


@dataclass(frozen=True)
class TimelineItem:
    recorded: d.RecordedDecision
    family: str
    summary: str
    retracted: bool
    corrected: bool


def timeline_items(
    question: Question,
    names: dict[str, str],
    lang: str,
    *,
    only: set[UUID] | None,
    kind: str | None,
) -> list[TimelineItem]:
    """The decisions known, filtered, in order of effective date and position."""
    known = question.decisions_known()
    retracted, corrected = put_right(question.tables)
    items = []
    for item in known:
        if only is not None and item.id not in only:
            continue
        if kind and item.kind != kind and item.kind.split(".")[0] != kind:
            continue
        items.append(log_item(item, names, lang, (retracted, corrected)))
    items.sort(key=lambda i: (i.recorded.decision.effective_on, i.recorded.position))
    return items


def log_item(
    item: d.RecordedDecision,
    names: dict[str, str],
    lang: str,
    put_right: tuple[set[str], set[str]],
) -> TimelineItem:
    retracted, corrected = put_right
    return TimelineItem(
        item,
        item.kind.split(".")[0],
        summary(item.decision, names, lang),
        str(item.id) in retracted,
        str(item.id) in corrected,
    )


def timeline_svg(items: Sequence[TimelineItem], as_of: date, lang: str, link: Any) -> Markup:
    """A lane per family of decisions, a dot per decision (a link to it), the as-of line."""
    if not items:
        return Markup("")
    families = [f for f in FAMILY_COLOURS if any(i.family == f for i in items)]
    first = min(i.recorded.decision.effective_on for i in items)
    last = max(i.recorded.decision.effective_on for i in items)
    start = date(first.year, 1, 1)
    end = date(last.year + 1, 1, 1)
    if as_of < start or as_of >= end:
        start, end = min(start, date(as_of.year, 1, 1)), max(end, date(as_of.year + 1, 1, 1))
    left, right, top, lane = 190, 20, 28, 44
    width = 1000
    height = top + lane * len(families) + 24
    span = (end - start).days or 1

    def x(day: date) -> float:
        return left + (width - left - right) * (day - start).days / span

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        # a group, not an image: each dot is a link to its decision, reached by Tab
        f'class="timeline-chart" role="group" aria-labelledby="timeline-chart-title">',
        f'<title id="timeline-chart-title">{escape(text(lang, "timeline.chart"))}</title>',
    ]
    for year in range(start.year, end.year + 1):
        tx = x(date(year, 1, 1))
        parts.append(
            f'<line x1="{tx:.1f}" y1="{top - 6}" x2="{tx:.1f}" y2="{height - 20}" class="tick"/>'
        )
        if year < end.year:  # the last line closes the final year
            parts.append(f'<text x="{tx + 4:.1f}" y="{top - 10}" class="tick-label">{year}</text>')
    stacks: dict[tuple[str, date], int] = {}
    for row, family in enumerate(families):
        y = top + lane * row
        parts.append(
            f'<rect x="0" y="{y}" width="{width}" height="{lane}" '
            f'class="lane {"lane-odd" if row % 2 else ""}"/>'
            f'<text x="8" y="{y + lane / 2 + 5:.1f}" class="lane-label">'
            f"{escape(label(lang, 'family', family))}</text>"
        )
    for item in items:
        day = item.recorded.decision.effective_on
        row = families.index(item.family)
        k = stacks.get((item.family, day), 0)
        stacks[(item.family, day)] = k + 1
        cx = x(day) + (k // 4) * 9
        cy = top + lane * row + 8 + (k % 4) * 9
        colour = FAMILY_COLOURS[item.family]
        fill = "#ffffff" if item.retracted else colour
        status = f" ({text(lang, 'timeline.retracted')})" if item.retracted else ""
        tip = (
            f"{day.isoformat()} · {label(lang, 'kind', item.recorded.kind)}{status} — "
            f"{item.summary} [{item.recorded.decision.source}]"
        )
        parts.append(
            f'<a href="{escape(link(f"/decisions/{item.recorded.id}"))}" class="dot" '
            f'aria-label="{escape(tip)}">'
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="4.5" fill="{fill}" stroke="{colour}" '
            f'stroke-width="1.5"/><title>{escape(tip)}</title></a>'
        )
    ax = x(as_of)
    parts.append(
        f'<line x1="{ax:.1f}" y1="{top - 6}" x2="{ax:.1f}" y2="{height - 16}" class="as-of-line"/>'
        f'<text x="{ax:.1f}" y="{height - 4}" text-anchor="middle" class="as-of-label">'
        f"{escape(text(lang, 'as_of'))} {as_of.isoformat()}</text>"
    )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every value put in above is escaped


def kinds_present(question: Question) -> list[str]:
    return [
        row[0]
        for row in question.tables.all(
            "SELECT DISTINCT kind FROM {p}ledger_decisions ORDER BY kind"
        )
    ]


# --- the monitor -------------------------------------------------------------------------------

MONITOR_SERIES = (
    # (key, how it is drawn: dash pattern and marker, so the lines read without colour)
    ("gaps_total", "", "circle"),
    ("unaccountable_subjects", "6 3", "square"),
    ("recommendations_overdue", "2 3", "triangle"),
    ("commitments_overdue", "10 3 2 3", "diamond"),
)


def monitor_value(point: Any, key: str) -> int:
    data = point.json()
    if key in ("recommendations_overdue", "commitments_overdue"):
        value: int = data[key.split("_")[0]]["overdue"]
        return value
    found: int = data[key]
    return found


def monitor_svg(points: Sequence[Any], lang: str) -> Markup:
    """A line a series over the dates (dash pattern, marker and a label at its end tell them
    apart without colour); the y axis from 0 to the largest value."""
    if not points:
        return Markup("")
    width, height, left, right, top, bottom = 760, 300, 44, 210, 16, 34
    top_value = max(1, *(monitor_value(p, k) for p in points for k, _, _ in MONITOR_SERIES))
    step = (width - left - right) / max(1, len(points) - 1)

    def x(i: int) -> float:
        return left + i * step

    def y(v: int) -> float:
        return top + (height - top - bottom) * (1 - v / top_value)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img"'
        f' aria-labelledby="monitor-title" class="monitor-chart">'
        f'<title id="monitor-title">{escape(text(lang, "monitor.chart"))}</title>',
        f'<line x1="{left}" y1="{y(0)}" x2="{width - right}" y2="{y(0)}" class="axis"/>',
        f'<text x="{left - 6}" y="{y(top_value) + 4}" text-anchor="end" class="tick">'
        f"{top_value}</text>",
        f'<text x="{left - 6}" y="{y(0) + 4}" text-anchor="end" class="tick">0</text>',
    ]
    every = max(1, len(points) // 6)
    for i, p in enumerate(points):
        if i % every == 0 or i == len(points) - 1:
            parts.append(
                f'<text x="{x(i)}" y="{height - 12}" text-anchor="middle" class="tick">'
                f"{p.as_of.isoformat()[:7]}</text>"
            )
    shapes = {
        "circle": '<circle cx="{x}" cy="{y}" r="3.5"/>',
        "square": '<rect x="{x0}" y="{y0}" width="7" height="7"/>',
        "triangle": '<path d="M{x} {y0} l4 7 h-8 z"/>',
        "diamond": '<path d="M{x} {y0} l4 4 l-4 4 l-4 -4 z"/>',
    }
    for key, dash, marker in MONITOR_SERIES:
        values = [monitor_value(p, key) for p in points]
        line = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<g class="series series-{key}">')
        parts.append(f'<polyline points="{line}" fill="none"{dashed}/>')
        for i, v in enumerate(values):
            parts.append(
                shapes[marker].format(x=f"{x(i):.1f}", y=f"{y(v):.1f}", x0=f"{x(i) - 3.5:.1f}",
                                      y0=f"{y(v) - 3.5:.1f}")
            )  # fmt: skip
        label = escape(text(lang, f"monitor.{key}"))
        parts.append(
            f'<text x="{width - right + 8}" y="{y(values[-1]) + 4}" class="series-label">'
            f"{label} ({values[-1]})</text></g>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every value put in above is escaped or a number
