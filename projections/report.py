"""The evaluation pack: one file (XLSX or HTML) with the matrix, the differences, the gaps,
risks and acceptances, recommendations, commitments and the decision log up to the date —
with the moment it was known at and the ledger head it rests on printed on its cover."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, Any

from openpyxl.styles import Font

from domain.decisions import RecordedDecision
from domain.gaps import Gap
from domain.governance import GovernanceState
from ledger.service import Ledger
from projections.answers import Moment, Question
from projections.diff import CellChange, matrix_diff
from projections.exports import _templates, matrix_json, matrix_sheets
from projections.matrix import Matrix
from projections.progress import (
    Progress,
    cell_text,
    half_a_year_before,
    progress,
    progress_body,
    sections,
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


def build_pack(ledger: Ledger, moment: Moment, compare: Moment | None = None) -> Pack:
    """Gather everything the pack shows, from one reading of the ledger."""
    with ledger.reading() as tables:
        question = Question(tables, moment)
        state, matrix, gaps = question.state(), question.matrix(), question.gaps()
        log = [i for i in question.decisions_known() if i.decision.effective_on <= moment.as_of]
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


def pack_html(pack: Pack) -> str:
    return _templates.get_template("report.html").render(
        pack=pack,
        cover=_cover(pack),
        matrix=matrix_json(pack.matrix),
        sheets={title: (header, rows(pack)) for title, (header, rows) in SHEETS.items()},
        progress=progress_body(pack.progress, "nl", level=3),
    )


def render_pack(pack: Pack, fmt: str) -> bytes:
    """The pack in `fmt`, whole."""
    return b"".join(stream_pack(pack, fmt))


def stream_pack(pack: Pack, fmt: str) -> Iterator[bytes]:
    """The pack in `fmt` (xlsx or html), a piece at a time."""
    if fmt == "xlsx":
        return chunks(pack_xlsx(pack))
    if fmt == "html":
        return iter([pack_html(pack).encode()])
    raise ValueError(f"the evaluation pack is written as xlsx or html, not {fmt!r}")
