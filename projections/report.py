"""The evaluation pack: one file with the matrix, what changed, the gaps, risks and
acceptances, recommendations, commitments and the decisions up to the date — with the moment it
was known at, the ledger position it rests on and the chain hash there on its cover.

As a document (HTML, and PDF printed from it, A4 landscape, in Dutch or English) it is written
for a committee: words, not codes, the matrix as a RACI table by subject, every decision with
its source and rationale. As a workbook (XLSX) it is written for analysis: one sheet a register.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import IO, Any

from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from domain.decisions import RecordedDecision
from domain.gaps import Gap
from domain.governance import GovernanceState
from domain.knowledge import Knowledge
from domain.vocabulary import Role
from ledger.integrity import chain_hash
from ledger.service import Ledger
from projections import i18n
from projections.answers import Moment, Question
from projections.document import (
    Cell,
    Link,
    Section,
    cell_text,
    printed,
    sections_html,
    templates,
)
from projections.exports import matrix_sheets
from projections.matrix import ROLE_ORDER, Matrix
from projections.progress import (
    Progress,
    half_a_year_before,
    progress,
    progress_body,
    sections,
)
from projections.spreadsheet import BOLD, cell, chunks, row, saved, workbook

WRAP = Alignment(wrap_text=True, vertical="top")


@dataclass
class Pack:
    moment: Moment
    compared_with: Moment | None
    state: GovernanceState
    ledger_head: int
    matrix: Matrix
    gaps: list[Gap]
    log: list[RecordedDecision]
    made_at: datetime
    progress: Progress
    """What changed from the compared date (else half a year earlier) to the as-of date."""
    knowledge: Knowledge
    """What was known at known_at (each decision's content as it reads then)."""
    chain_hash: str | None
    """The hash chain's value at the ledger position (None if the store keeps none)."""


def build_pack(ledger: Ledger, moment: Moment, compare: Moment | None = None) -> Pack:
    """Gather everything the pack shows, from one reading of the ledger."""
    with ledger.reading() as tables:
        question = Question(tables, moment)
        state, matrix, gaps = question.state(), question.matrix(), question.gaps()
        known = question.decisions_known()
        log = [i for i in known if i.decision.effective_on <= moment.as_of]
        position = question.position
        first = half_a_year_before(moment.as_of)
        if compare is not None and compare.as_of < moment.as_of:
            first = compare.as_of + timedelta(days=1)
        changed = progress(tables, first, moment.as_of, moment.known_at)
    return Pack(
        moment,
        compare,
        state,
        position,
        matrix,
        gaps,
        log,
        datetime.now().astimezone(),
        changed,
        Knowledge.of(known),
        chain_hash(ledger, position) if position else None,
    )


def pack_xlsx(pack: Pack, lang: str = "nl") -> IO[bytes]:
    """The pack as a workbook (written as it is made), in a file read from its start: the
    cover, the matrix sheets, the progress, and a sheet for each register of the document."""
    t = i18n.translator(lang)
    book = workbook()
    cover = book.create_sheet(t("pack.cover"))
    cover.column_dimensions["A"].width = 30
    cover.column_dimensions["B"].width = 70
    cover.append([cell(cover, t("pack.title"), font=Font(bold=True, size=14))])
    cover.append([])
    for label, value in _cover(pack, lang, words=False):
        cover.append([cell(cover, label, font=BOLD), cell(cover, value)])
    matrix_sheets(book, pack.matrix, pack.gaps)
    _progress_sheet(book, pack.progress, lang)
    for section in _document_sections(pack, lang, i18n.names_of(pack.state)):
        if section.key != "gaps":  # (the matrix sheets have them)
            _section_sheet(book, t(f"pack.sheet.{section.key}"), section)
    return saved(book)


def _section_sheet(book: Any, title: str, section: Section) -> None:
    """A section as a sheet: its header bold and frozen, each column as wide as its text
    needs (at most 60 characters, longer text wrapped)."""
    sheet = book.create_sheet(title)
    sheet.freeze_panes = "A2"
    rows = [[cell_text(value) for value in values] for values in section.rows]
    for index, header in enumerate(section.header, start=1):
        longest = max([len(header), *(len(r[index - 1]) for r in rows[:500])])
        sheet.column_dimensions[get_column_letter(index)].width = min(60, max(8, longest + 2))
    sheet.append(row(sheet, section.header, font=BOLD))
    for values in rows:
        sheet.append(row(sheet, values, alignment=WRAP))


def _progress_sheet(book: Any, report: Progress, lang: str) -> None:
    """The progress report on one sheet: each section a bold title, its header and its rows."""
    t = i18n.translator(lang)
    sheet = book.create_sheet(t("pack.sheet.progress"))
    for index, width in enumerate((24, 50, 40, 30, 30, 40), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    heading = t("progress.heading", first=report.first, last=report.last)
    sheet.append(row(sheet, [heading], font=BOLD))
    for section in sections(report, lang):
        sheet.append([])
        sheet.append(row(sheet, [f"{section.title} ({len(section.rows)})"], font=BOLD))
        if section.rows:
            sheet.append(row(sheet, section.header, font=BOLD))
        for values in section.rows:
            sheet.append(row(sheet, [cell_text(v) for v in values], alignment=WRAP))


def _cover(pack: Pack, lang: str, words: bool) -> list[tuple[str, Any]]:
    """The cover's lines: dates and moments in words (a document) or as values (a workbook)."""
    t = i18n.translator(lang)

    def when(value: date) -> str:
        return i18n.long_date(value, lang) if words else value.isoformat()

    def moment(value: datetime) -> str:
        return i18n.long_moment(value, lang) if words else value.isoformat(timespec="seconds")

    found: list[tuple[str, Any]] = [
        (t("pack.as_of"), when(pack.moment.as_of)),
        (t("pack.known_at"), moment(pack.moment.known_at)),
        (t("pack.head"), f"{pack.ledger_head:,}".replace(",", ".") if words else pack.ledger_head),
        (t("pack.chain_hash"), pack.chain_hash or "—"),
        (
            t("pack.period"),
            f"{when(pack.progress.first)} {t('pack.until')} {when(pack.progress.last)}",
        ),
        (t("pack.made_at"), moment(pack.made_at)),
    ]
    if pack.compared_with is not None:
        found.insert(4, (t("pack.compared_with"), when(pack.compared_with.as_of)))
    return found


def pack_html(pack: Pack, lang: str = "nl") -> str:
    """The pack as one HTML document for a committee (what its PDF is printed from)."""
    t = i18n.translator(lang)
    names = i18n.names_of(pack.state)
    cover = _cover(pack, lang, words=True)
    registers = _document_sections(pack, lang, names)
    return templates.get_template("report.html").render(
        pack=pack,
        lang=lang,
        t=t,
        cover=cover,
        counts=t("pack.counts", decisions=len(pack.log), gaps=len(pack.gaps)),
        responsibilities=sections_html([registers[0]], lang, level=2),
        changes=progress_body(pack.progress, lang, level=3),
        registers=sections_html(registers[1:], lang, level=2),
        contents=[("responsibilities", t("pack.responsibilities")), ("changes", t("pack.changes"))]
        + [(f"progress-{x.key}", x.title) for x in registers[1:]],
    )


def pack_pdf(pack: Pack, lang: str = "nl") -> bytes:
    """The pack as PDF (A4 landscape), printed from its HTML."""
    return printed(pack_html(pack, lang))


def _document_sections(pack: Pack, lang: str, names: dict[str, str]) -> list[Section]:
    """The pack's registers in words: responsibilities by subject, gaps, risks,
    recommendations, commitments and decisions."""
    t = i18n.translator(lang)
    as_of = pack.moment.as_of

    def label(group: str, value: str) -> str:
        return i18n.label(lang, group, value)

    def who(parties: list[str] | tuple[str, ...]) -> str:
        return ", ".join(names.get(p, p) for p in parties)

    def day(value: date | None) -> str:
        return "—" if value is None else value.isoformat()

    holders: list[list[Cell]] = []
    for subject in pack.matrix.subjects:
        marks = pack.matrix.gap_subjects.get(subject.id, [])
        row: list[Cell] = [subject.name + (" ⚠" if marks else "")]
        for role in ROLE_ORDER:
            held = [
                Link(
                    party.name
                    + ("*" if cell.inferred(role) else "")
                    + (f" ({t('pack.inherited')})" if role in cell.inherited else "")
                )
                for party in pack.matrix.parties
                if (cell := pack.matrix.cell(party.id, subject.id)) is not None
                and role in cell.roles
            ]
            row.append(t("pack.nobody") if not held and role is Role.ACCOUNTABLE else held)
        holders.append(row)
    gaps: list[list[Cell]] = [
        [
            label("gap", g.rule),
            f"{label('about', g.about)}: {names.get(g.id, g.id)}",
            day(g.since),
            g.explained(lang),
        ]
        for g in pack.gaps
    ]
    risks: list[list[Cell]] = []
    for risk in pack.state.risks.values():
        acceptance = risk.acceptance_in_force()
        latest = risk.assessments[-1] if risk.assessments else None
        risks.append(
            [
                risk.title,
                names.get(risk.system, risk.system),
                label("level", latest.level.value) if latest else "—",
                [Link(f"{x.measure} ({label('treatment', x.status)})") for x in risk.treatments],
                "—"
                if acceptance is None
                else f"{who(acceptance.accepted_by)}; "
                + t("pack.review_by", day=acceptance.review_by.isoformat()),
            ]
        )
    recommendations: list[list[Cell]] = [
        [
            r.text,
            label("response", r.response) if r.response else "—",
            names.get(r.owner, r.owner) if r.owner else "—",
            day(r.due_on),
            t("pack.closed")
            if r.closed_on is not None
            else t("pack.overdue")
            if r.overdue(as_of)
            else t("pack.open"),
        ]
        for r in pack.state.recommendations.values()
    ]
    commitments: list[list[Cell]] = [
        [
            c.promise,
            who(c.made_by),
            day(c.due_on),
            day(c.kept_on),
            t("pack.overdue") if c.overdue(as_of) else "",
        ]
        for c in pack.state.commitments.values()
    ]
    decisions: list[list[Cell]] = []
    for item in pack.log:
        content = pack.knowledge.current(item.id) or item.decision
        said = f"{label('kind', item.kind)}: {i18n.summary(content, names, lang)}"
        if pack.knowledge.is_retracted(item.id):
            said += f" ({t('progress.retracted')})"
        elif pack.knowledge.corrections.get(item.id):
            said += f" ({label('kind', 'decision.corrected')})"
        if content.basis == "inferred":
            said += f" ({t('basis.inferred')})"
        decisions.append(
            [
                content.effective_on.isoformat(),
                said,
                who(content.decided_by),
                Link(content.source, i18n.source_url(content.source, content.document)),
                content.rationale or "",
                str(item.position),
            ]
        )

    def col(key: str) -> str:
        return t(f"pack.col.{key}")

    return [
        Section(
            "responsibilities",
            t("pack.responsibilities"),
            t("pack.responsibilities.lead"),
            [col("about")] + [f"{r.letter} — {label('role', r.value)}" for r in ROLE_ORDER],
            holders,
        ),
        Section(
            "gaps",
            t("pack.gaps"),
            t("pack.gaps.lead"),
            [col("rule"), col("about"), col("since"), col("explanation")],
            gaps,
        ),
        Section(
            "risks",
            t("pack.risks"),
            "",
            [col("risk"), col("system"), col("level"), col("treatments"), col("accepted")],
            risks,
        ),
        Section(
            "recommendations",
            t("pack.recommendations"),
            "",
            [col("recommendation"), col("response"), col("owner"), col("due"), col("status")],
            recommendations,
        ),
        Section(
            "commitments",
            t("pack.commitments"),
            "",
            [col("commitment"), col("by"), col("due"), col("kept"), col("status")],
            commitments,
        ),
        Section(
            "decisions",
            t("pack.decisions"),
            t("pack.decisions.lead"),
            [col("date"), col("decision"), col("by"), col("source"), col("rationale"), "#"],
            decisions,
        ),
    ]


def render_pack(pack: Pack, fmt: str, lang: str = "nl") -> bytes:
    """The pack in `fmt`, whole."""
    return b"".join(stream_pack(pack, fmt, lang))


def stream_pack(pack: Pack, fmt: str, lang: str = "nl") -> Iterator[bytes]:
    """The pack in `fmt` (xlsx, html or pdf), a piece at a time."""
    if fmt == "xlsx":
        return chunks(pack_xlsx(pack, lang))
    if fmt == "html":
        return iter([pack_html(pack, lang).encode()])
    if fmt == "pdf":
        return iter([pack_pdf(pack, lang)])
    raise ValueError(f"the evaluation pack is written as xlsx, html or pdf, not {fmt!r}")
