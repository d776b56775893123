"""The evaluation outputs as files: JSON, CSV, Markdown, HTML and styled XLSX."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from domain.vocabulary import Role
from projections.diff import CellChange
from projections.gaps import Gap
from projections.matrix import Cell, Matrix, Source

FORMATS = ("json", "csv", "xlsx", "md", "html")
MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
}
ROLE_COLOURS = {  # colour-blind-safe (Okabe-Ito), light enough for black text
    Role.ACCOUNTABLE: "E69F00",
    Role.RESPONSIBLE: "56B4E9",
    Role.CONSULTED: "F0E442",
    Role.INFORMED: "CCCCCC",
    Role.OVERSIGHT: "CC79A7",
}
GAP_COLOUR = "D55E00"
ROLE_LABELS = {
    Role.ACCOUNTABLE: "A — accountable (eindverantwoordelijk)",
    Role.RESPONSIBLE: "R — responsible (uitvoeringsverantwoordelijk)",
    Role.CONSULTED: "C — consulted (geraadpleegd)",
    Role.INFORMED: "I — informed (geïnformeerd)",
    Role.OVERSIGHT: "O — oversight (toezicht)",
}

_templates = Environment(
    loader=PackageLoader("projections", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def source_json(source: Source) -> dict[str, Any]:
    return {
        "decision": str(source.decision),
        "kind": source.kind,
        "effective_on": source.effective_on.isoformat(),
        "source": source.source,
        "decided_by": list(source.decided_by),
    }


def _cell(cell: Cell) -> dict[str, Any]:
    return {
        "party": cell.party,
        "subject": cell.subject,
        "letters": cell.letters,
        "roles": [
            {
                "role": role.value,
                "letter": role.letter,
                "since": cell.since[role].isoformat(),
                "decisions": [source_json(s) for s in cell.sources[role]],
            }
            for role in cell.roles
        ],
    }


def matrix_json(matrix: Matrix) -> dict[str, Any]:
    """The matrix with every cell traced to its decisions."""
    return {
        "as_of": matrix.as_of.isoformat(),
        "known_at": matrix.known_at.isoformat(),
        "ledger_head": matrix.ledger_head,
        "parties": [
            {
                "id": p.id,
                "name": p.name,
                "kind": p.kind.value,
                "discipline": p.discipline.value if p.discipline else None,
                "dissolved_on": p.dissolved_on.isoformat() if p.dissolved_on else None,
            }
            for p in matrix.parties
        ],
        "subjects": [
            {
                "id": s.id,
                "name": s.name,
                "kind": s.kind.value,
                "parent": s.parent,
                "gaps": matrix.gap_subjects.get(s.id, []),
            }
            for s in matrix.subjects
        ],
        "cells": [_cell(c) for c in matrix.cells.values()],
    }


def _grid(matrix: Matrix) -> list[list[str]]:
    header = ["party", *[s.id for s in matrix.subjects]]
    rows = [header]
    for party in matrix.parties:
        row = [party.id]
        for subject in matrix.subjects:
            cell = matrix.cell(party.id, subject.id)
            row.append(cell.letters if cell else "")
        rows.append(row)
    return rows


def matrix_csv(matrix: Matrix) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(_grid(matrix))
    return out.getvalue()


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def matrix_markdown(matrix: Matrix) -> str:
    lines = [
        f"# Verantwoordelijkheden per {matrix.as_of} "
        f"(bekend op {matrix.known_at:%Y-%m-%d %H:%M} UTC)",
        "",
        "| partij | "
        + " | ".join(
            _md_escape(s.name) + (" ⚠" if s.id in matrix.gap_subjects else "")
            for s in matrix.subjects
        )
        + " |",
        "|---|" + "---|" * len(matrix.subjects),
    ]
    for party in matrix.parties:
        cells = [(c.letters if (c := matrix.cell(party.id, s.id)) else "") for s in matrix.subjects]
        lines.append(f"| {_md_escape(party.name)} | " + " | ".join(cells) + " |")
    lines += ["", "Legenda: " + "; ".join(ROLE_LABELS.values()) + "; ⚠ lacune.", ""]
    return "\n".join(lines)


def matrix_html(matrix: Matrix) -> str:
    return _templates.get_template("matrix.html").render(
        matrix=matrix,
        data=matrix_json(matrix),
        colours=ROLE_COLOURS,
        labels=ROLE_LABELS,
        gap_colour=GAP_COLOUR,
        Role=Role,
    )


def matrix_xlsx(matrix: Matrix, gaps: Sequence[Gap] = ()) -> bytes:
    """A styled workbook: frozen headers, one colour per role, gap columns marked, sources as
    comments, a legend sheet and (if given) a gaps sheet."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Matrix"
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    sheet.cell(
        1, 1, f"per {matrix.as_of}, bekend op {matrix.known_at:%Y-%m-%d %H:%M} UTC"
    ).font = Font(bold=True)
    for col, subject in enumerate(matrix.subjects, start=2):
        head = sheet.cell(1, col, subject.name)
        head.font = Font(bold=True)
        head.alignment = Alignment(text_rotation=60, horizontal="center")
        head.border = border
        if subject.id in matrix.gap_subjects:
            head.fill = PatternFill("solid", fgColor=GAP_COLOUR)
            head.comment = Comment(
                "Lacune: " + ", ".join(matrix.gap_subjects[subject.id]), "ledger"
            )
        sheet.column_dimensions[get_column_letter(col)].width = 6
    sheet.column_dimensions["A"].width = 42
    for row, party in enumerate(matrix.parties, start=2):
        name = sheet.cell(row, 1, party.name)
        name.font = Font(bold=True)
        name.border = border
        for col, subject in enumerate(matrix.subjects, start=2):
            target = sheet.cell(row, col)
            target.border = border
            target.alignment = Alignment(horizontal="center")
            cell = matrix.cell(party.id, subject.id)
            if cell is None:
                if subject.id in matrix.gap_subjects:
                    target.fill = PatternFill("solid", fgColor="FBE3D6")
                continue
            target.value = cell.letters
            target.fill = PatternFill("solid", fgColor=ROLE_COLOURS[cell.roles[0]])
            target.comment = Comment(
                "\n".join(
                    f"{role.letter} sinds {cell.since[role]}: "
                    + "; ".join(
                        f"{s.source} ({s.kind}, {s.effective_on})" for s in cell.sources[role]
                    )
                    for role in cell.roles
                ),
                "ledger",
                width=400,
                height=120,
            )
    sheet.freeze_panes = "B2"
    legend = book.create_sheet("Legenda")
    legend.append(["letter", "betekenis"])
    for role, label in ROLE_LABELS.items():
        legend.append([role.letter, label])
        legend.cell(legend.max_row, 1).fill = PatternFill("solid", fgColor=ROLE_COLOURS[role])
    legend.append(["", "kolom gemarkeerd: lacune (zie tabblad Lacunes)"])
    legend.cell(legend.max_row, 1).fill = PatternFill("solid", fgColor=GAP_COLOUR)
    legend.append([])
    legend.append(["peildatum", matrix.as_of.isoformat()])
    legend.append(["bekend op", matrix.known_at.isoformat()])
    legend.append(["ledger-positie", matrix.ledger_head])
    legend.column_dimensions["B"].width = 60
    if gaps:
        sheet_gaps = book.create_sheet("Lacunes")
        sheet_gaps.append(["regel", "betreft", "id", "sinds", "toelichting", "besluiten"])
        for gap in gaps:
            sheet_gaps.append(
                [
                    gap.rule,
                    gap.about,
                    gap.id,
                    gap.since,
                    gap.explained("nl"),
                    ", ".join(str(i) for i in gap.decisions),
                ]
            )
        sheet_gaps.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def render_matrix(matrix: Matrix, fmt: str, gaps: Sequence[Gap] = ()) -> bytes:
    """The matrix in one of FORMATS."""
    import orjson

    if fmt == "json":
        return orjson.dumps(matrix_json(matrix), option=orjson.OPT_INDENT_2)
    if fmt == "csv":
        return matrix_csv(matrix).encode()
    if fmt == "md":
        return matrix_markdown(matrix).encode()
    if fmt == "html":
        return matrix_html(matrix).encode()
    if fmt == "xlsx":
        return matrix_xlsx(matrix, gaps)
    raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")


def gap_json(gap: Gap) -> dict[str, Any]:
    data = asdict(gap)
    data["since"] = gap.since.isoformat() if gap.since else None
    data["decisions"] = [str(i) for i in gap.decisions]
    return data


def change_json(change: CellChange) -> dict[str, Any]:
    return {
        "party": change.party,
        "subject": change.subject,
        "change": change.change,
        "before": change.before,
        "after": change.after,
        "added": [r.value for r in change.added],
        "removed": [r.value for r in change.removed],
        "causes": [source_json(s) for s in change.causes],
    }
