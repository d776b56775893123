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

from openpyxl.styles import Font

from domain.decisions import RecordedDecision
from domain.gaps import Gap
from domain.governance import GovernanceState
from domain.knowledge import Knowledge
from domain.vocabulary import Role
from ledger.integrity import chain_hash
from ledger.service import Ledger
from projections import i18n
from projections.answers import Moment, Question
from projections.diff import CellChange, matrix_diff
from projections.exports import _templates, matrix_sheets
from projections.matrix import ROLE_ORDER, Matrix
from projections.progress import (
    Cell,
    Link,
    Progress,
    Section,
    cell_text,
    half_a_year_before,
    progress,
    progress_body,
    sections,
    sections_html,
)
from projections.spreadsheet import BOLD, cell, chunks, row, saved, workbook


@dataclass
class Pack:
    moment: Moment
    compared_with: Moment | None
    state: GovernanceState
    ledger_head: int
    matrix: Matrix
    gaps: list[Gap]
    changes: list[CellChange]
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
    changes: list[CellChange] = []
    if compare is not None:
        _, _, changes = matrix_diff(ledger, compare, moment)
    return Pack(
        moment,
        compare,
        state,
        position,
        matrix,
        gaps,
        changes,
        log,
        datetime.now().astimezone(),
        changed,
        Knowledge.of(known),
        chain_hash(ledger, position) if position else None,
    )


def _risk_rows(pack: Pack) -> list[list[Any]]:
    rows = []
    for risk in pack.state.risks.values():
        acceptance = risk.acceptance_in_force()
        latest = risk.assessments[-1] if risk.assessments else None
        rows.append(
            [
                risk.id,
                risk.title,
                risk.system,
                risk.identified_on,
                latest.level.value if latest else "",
                latest.criteria if latest else "",
                "; ".join(f"{t.measure} ({t.status})" for t in risk.treatments),
                ", ".join(acceptance.accepted_by) if acceptance else "",
                acceptance.criteria if acceptance else "",
                acceptance.review_by if acceptance else "",
            ]
        )
    return rows


def _recommendation_rows(pack: Pack) -> list[list[Any]]:
    return [
        [
            r.id,
            r.text,
            r.issued_on,
            r.response or "",
            r.owner or "",
            r.due_on or "",
            r.status,
            r.progress[-1].text if r.progress else "",
        ]
        for r in pack.state.recommendations.values()
    ]


def _commitment_rows(pack: Pack) -> list[list[Any]]:
    return [
        [
            c.id,
            c.promise,
            ", ".join(c.made_by),
            c.due_on,
            c.kept_on or "",
            "ja" if c.kept_on is None and c.due_on < pack.moment.as_of else "nee",
        ]
        for c in pack.state.commitments.values()
    ]


def _log_rows(pack: Pack) -> list[list[Any]]:
    return [
        [
            item.position,
            item.recorded_at.replace(tzinfo=None),
            item.decision.effective_on,
            item.kind,
            ", ".join(item.decision.decided_by),
            item.decision.source,
            item.recorded_by,
            str(item.id),
        ]
        for item in pack.log
    ]


SHEETS: dict[str, tuple[list[str], Any]] = {
    "Risico's": (
        [
            "risico",
            "titel",
            "systeem",
            "geïdentificeerd",
            "niveau",
            "criteria beoordeling",
            "maatregelen",
            "rest-risico aanvaard door",
            "criteria aanvaarding",
            "herzien vóór",
        ],
        _risk_rows,
    ),
    "Aanbevelingen": (
        [
            "id",
            "tekst",
            "uitgebracht",
            "reactie",
            "eigenaar",
            "deadline",
            "status",
            "laatste voortgang",
        ],
        _recommendation_rows,
    ),
    "Toezeggingen": (
        ["id", "toezegging", "door", "uiterlijk", "nagekomen", "te laat"],
        _commitment_rows,
    ),
    "Besluiten": (
        [
            "positie",
            "vastgelegd (UTC)",
            "ingangsdatum",
            "soort",
            "besloten door",
            "bron",
            "vastgelegd door",
            "id",
        ],
        _log_rows,
    ),
}


def pack_xlsx(pack: Pack) -> IO[bytes]:
    """The pack as a workbook (written as it is made), in a file read from its start."""
    book = workbook()
    cover = book.create_sheet("Voorblad")
    cover.column_dimensions["A"].width = 28
    cover.column_dimensions["B"].width = 60
    cover.append(
        [cell(cover, "Evaluatiepakket governance meldkamers", font=Font(bold=True, size=14))]
    )
    cover.append([])
    for label, value in _cover(pack):
        cover.append([cell(cover, label, font=BOLD), cell(cover, value)])
    matrix_sheets(book, pack.matrix, pack.gaps)
    if pack.compared_with is not None:
        sheet = book.create_sheet("Wijzigingen")
        sheet.append(
            row(sheet, ["partij", "onderwerp", "wijziging", "voor", "na", "oorzaak"], font=BOLD)
        )
        for c in pack.changes:
            causes = "; ".join(f"{s.source} ({s.kind}, {s.effective_on})" for s in c.causes)
            sheet.append(row(sheet, [c.party, c.subject, c.change, c.before, c.after, causes]))
    _progress_sheet(book, pack.progress)
    for title, (header, rows) in SHEETS.items():
        sheet = book.create_sheet(title)
        sheet.freeze_panes = "A2"
        sheet.append(row(sheet, header, font=BOLD))
        for values in rows(pack):
            sheet.append(row(sheet, values))
    return saved(book)


def _progress_sheet(book: Any, report: Progress) -> None:
    """The progress report on one sheet: each section a bold title, its header and its rows."""
    sheet = book.create_sheet("Voortgang")
    sheet.append(row(sheet, [f"Voortgang {report.first} tot en met {report.last}"], font=BOLD))
    for section in sections(report, "nl"):
        sheet.append([])
        sheet.append(row(sheet, [f"{section.title} ({len(section.rows)})"], font=BOLD))
        if section.rows:
            sheet.append(row(sheet, section.header, font=BOLD))
        for values in section.rows:
            sheet.append(row(sheet, [cell_text(v) for v in values]))


def _cover(pack: Pack) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = [
        ("peildatum (as_of)", pack.moment.as_of.isoformat()),
        ("zoals bekend op (known_at)", pack.moment.known_at.isoformat()),
        ("ledger-positie (head)", pack.ledger_head),
        ("besluiten tot de peildatum", len(pack.log)),
        ("lacunes", len(pack.gaps)),
        ("gemaakt op", pack.made_at.isoformat(timespec="seconds")),
    ]
    if pack.compared_with is not None:
        rows.insert(2, ("vergeleken met", pack.compared_with.as_of.isoformat()))
    return rows


def pack_html(pack: Pack, lang: str = "nl") -> str:
    """The pack as one HTML document for a committee (what its PDF is printed from)."""
    t = i18n.translator(lang)
    names = i18n.names_of(pack.state)
    cover = [
        (t("pack.as_of"), i18n.long_date(pack.moment.as_of, lang)),
        (t("pack.known_at"), i18n.long_moment(pack.moment.known_at, lang)),
        (t("pack.head"), f"{pack.ledger_head:,}".replace(",", ".")),
        (t("pack.chain_hash"), pack.chain_hash or "—"),
        (
            t("pack.period"),
            f"{i18n.long_date(pack.progress.first, lang)} {t('pack.until')} "
            f"{i18n.long_date(pack.progress.last, lang)}",
        ),
        (t("pack.made_at"), i18n.long_moment(pack.made_at, lang)),
    ]
    if pack.compared_with is not None:
        cover.insert(4, (t("pack.compared_with"), i18n.long_date(pack.compared_with.as_of, lang)))
    registers = _document_sections(pack, lang, names)
    return _templates.get_template("report.html").render(
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
    """The pack as PDF (A4 landscape), printed from its HTML by WeasyPrint."""
    import weasyprint  # (imported when asked: it loads Pango)

    pdf: bytes = weasyprint.HTML(string=pack_html(pack, lang)).write_pdf()
    return pdf


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
                Link(party.name + ("*" if cell.inferred(role) else ""))
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
            if r.due_on is not None and r.due_on < as_of
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
            t("pack.overdue") if c.kept_on is None and c.due_on < as_of else "",
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
        url = content.document.url if content.document is not None else None
        decisions.append(
            [
                content.effective_on.isoformat(),
                said,
                who(content.decided_by),
                Link(content.source, url or i18n.publication_url(content.source)),
                content.rationale or "",
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
            [col("date"), col("decision"), col("by"), col("source"), col("rationale")],
            decisions,
        ),
    ]


def render_pack(pack: Pack, fmt: str, lang: str = "nl") -> bytes:
    """The pack in `fmt`, whole."""
    return b"".join(stream_pack(pack, fmt, lang))


def stream_pack(pack: Pack, fmt: str, lang: str = "nl") -> Iterator[bytes]:
    """The pack in `fmt` (xlsx, html or pdf), a piece at a time."""
    if fmt == "xlsx":
        return chunks(pack_xlsx(pack))
    if fmt == "html":
        return iter([pack_html(pack, lang).encode()])
    if fmt == "pdf":
        return iter([pack_pdf(pack, lang)])
    raise ValueError(f"the evaluation pack is written as xlsx, html or pdf, not {fmt!r}")
