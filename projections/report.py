"""The evaluation pack: one file (XLSX or HTML) with the matrix, the differences, the gaps,
risks and acceptances, recommendations, commitments and the decision log up to the date —
with the moment it was known at and the ledger head it rests on printed on its cover."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from openpyxl import load_workbook
from openpyxl.styles import Font

from domain.decisions import RecordedDecision
from ledger.service import Ledger
from projections import evaluation
from projections.diff import CellChange
from projections.evaluation import Moment, Snapshot
from projections.exports import _templates, matrix_json, matrix_xlsx
from projections.gaps import Gap
from projections.matrix import Matrix


@dataclass
class Pack:
    moment: Moment
    compared_with: Moment | None
    snapshot: Snapshot
    matrix: Matrix
    gaps: list[Gap]
    changes: list[CellChange]
    log: list[RecordedDecision]
    made_at: datetime


def build_pack(ledger: Ledger, moment: Moment, compare: Moment | None = None) -> Pack:
    """Gather everything the pack shows, from one snapshot of the ledger."""
    snap = evaluation.snapshot(ledger, moment)
    matrix = evaluation.matrix_of(snap)
    changes: list[CellChange] = []
    if compare is not None:
        _, _, changes = evaluation.matrix_diff(ledger, compare, moment)
    log = [item for item in snap.knowledge.recorded if item.decision.effective_on <= moment.as_of]
    return Pack(
        moment,
        compare,
        snap,
        matrix,
        evaluation.gaps_of(snap),
        changes,
        log,
        datetime.now().astimezone(),
    )


def _risk_rows(pack: Pack) -> list[list[Any]]:
    rows = []
    for risk in pack.snapshot.state.risks.values():
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
        for r in pack.snapshot.state.recommendations.values()
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
        for c in pack.snapshot.state.commitments.values()
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


def pack_xlsx(pack: Pack) -> bytes:
    book = load_workbook(io.BytesIO(matrix_xlsx(pack.matrix, pack.gaps)))
    cover = book.create_sheet("Voorblad", 0)
    cover["A1"] = "Evaluatiepakket governance meldkamers"
    cover["A1"].font = Font(bold=True, size=14)
    for row, (label, value) in enumerate(_cover(pack), start=3):
        cover.cell(row, 1, label).font = Font(bold=True)
        cover.cell(row, 2, value)
    cover.column_dimensions["A"].width = 28
    cover.column_dimensions["B"].width = 60
    if pack.compared_with is not None:
        sheet = book.create_sheet("Wijzigingen")
        sheet.append(["partij", "onderwerp", "wijziging", "voor", "na", "oorzaak"])
        for c in pack.changes:
            sheet.append(
                [
                    c.party,
                    c.subject,
                    c.change,
                    c.before,
                    c.after,
                    "; ".join(f"{s.source} ({s.kind}, {s.effective_on})" for s in c.causes),
                ]
            )
    for title, (header, rows) in SHEETS.items():
        sheet = book.create_sheet(title)
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows(pack):
            sheet.append(row)
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cover(pack: Pack) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = [
        ("peildatum (as_of)", pack.moment.as_of.isoformat()),
        ("zoals bekend op (known_at)", pack.moment.known_at.isoformat()),
        ("ledger-positie (head)", pack.snapshot.ledger_head),
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
    )


def render_pack(pack: Pack, fmt: str) -> bytes:
    if fmt == "xlsx":
        return pack_xlsx(pack)
    if fmt == "html":
        return pack_html(pack).encode()
    raise ValueError(f"the evaluation pack is written as xlsx or html, not {fmt!r}")
