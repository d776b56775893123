"""The evaluation outputs as files: JSON, CSV, Markdown, HTML and styled XLSX."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from typing import IO, Any, Literal, get_args

import orjson
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, PatternFill, Side
from openpyxl.utils import get_column_letter

from domain.cells import Source
from domain.gaps import Gap
from domain.vocabulary import Role
from projections.diff import CellChange
from projections.document import md_escape, templates
from projections.matrix import Matrix
from projections.spreadsheet import BOLD, cell, chunks, csv_field, row, saved, workbook

MatrixFormat = Literal["json", "csv", "xlsx", "md", "html"]
FORMATS: tuple[str, ...] = get_args(MatrixFormat)
MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
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
INFERRED_LABEL = "* afgeleid: de bron zegt het niet letterlijk (een aanname)"
INHERITED_LABEL = "(A) geërfd: niemand heeft de rol voor dit onderwerp zelf, een bovenliggend wel"
"""What a `*` after a role's letter means, in every export."""


def source_json(source: Source) -> dict[str, Any]:
    """A source with its decision's id."""
    return {"decision": str(source.decision), **source.json()}


def matrix_json(matrix: Matrix) -> dict[str, Any]:
    """The matrix with every cell traced to its decisions: each cell lists its roles, each role
    the ids of its decisions; `sources` gives each decision's source once."""
    cells = matrix.cells.values()
    sources = ",".join(c.sources for c in cells if c.sources)
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
        "cells": [orjson.Fragment(c.json) for c in cells],
        "sources": orjson.Fragment("{" + sources + "}"),
    }


def _grid(matrix: Matrix) -> Iterator[list[str]]:
    yield ["party", *[s.id for s in matrix.subjects]]
    for party in matrix.parties:
        yield [party.id, *(matrix.letters(party.id, s.id) for s in matrix.subjects)]


CsvSeparator = Literal[",", ";"]
"""`,` (the CSV standard) or `;` (what Excel expects in Dutch and other locales that write a
decimal comma; such a file starts with a byte-order mark, so Excel reads it as UTF-8)."""


def matrix_csv_lines(matrix: Matrix, sep: CsvSeparator = ",") -> Iterator[str]:
    """The matrix as CSV, a line at a time. A field that begins with `=`, `+`, `-`, `@`, a tab
    or a carriage return gets a single quote before it, so that no spreadsheet runs it as a
    formula (OWASP, "CSV injection"); a reader that wants the value back drops that one leading
    quote."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep, lineterminator="\n")
    if sep == ";":
        out.write("\ufeff")
    for fields in _grid(matrix):
        writer.writerow([csv_field(field) for field in fields])
        yield out.getvalue()
        out.seek(0)
        out.truncate()


def matrix_csv(matrix: Matrix, sep: CsvSeparator = ",") -> str:
    """The matrix as CSV (see `matrix_csv_lines`)."""
    return "".join(matrix_csv_lines(matrix, sep))


def matrix_markdown(matrix: Matrix) -> str:
    lines = [
        f"# Verantwoordelijkheden per {matrix.as_of} "
        f"(bekend op {matrix.known_at:%Y-%m-%d %H:%M} UTC)",
        "",
        "| partij | "
        + " | ".join(
            md_escape(s.name) + (" ⚠" if s.id in matrix.gap_subjects else "")
            for s in matrix.subjects
        )
        + " |",
        "|---|" + "---|" * len(matrix.subjects),
    ]
    for party in matrix.parties:
        cells = [md_escape(matrix.letters(party.id, s.id)) for s in matrix.subjects]
        lines.append(f"| {md_escape(party.name)} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Legenda: "
        + "; ".join(ROLE_LABELS.values())
        + "; ⚠ lacune; "
        + md_escape(INFERRED_LABEL)
        + "; "
        + md_escape(INHERITED_LABEL),
        "",
    ]
    return "\n".join(lines)


def matrix_html(matrix: Matrix) -> str:
    return templates.get_template("matrix.html").render(
        matrix=matrix,
        colours=ROLE_COLOURS,
        labels=ROLE_LABELS,
        inferred_label=INFERRED_LABEL,
        inherited_label=INHERITED_LABEL,
        gap_colour=GAP_COLOUR,
        Role=Role,
    )


def matrix_sheets(book: Workbook, matrix: Matrix, gaps: Sequence[Gap] = ()) -> None:
    """The matrix's sheets, written into a workbook as they are made: the matrix (frozen
    headers, one colour per role, gap columns marked, sources as comments), a legend and (if
    given) the gaps."""
    sheet = book.create_sheet("Matrix")
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    sheet.freeze_panes = "B2"
    sheet.column_dimensions["A"].width = 42
    for col in range(2, len(matrix.subjects) + 2):
        sheet.column_dimensions[get_column_letter(col)].width = 6
    heads = [
        cell(
            sheet, f"per {matrix.as_of}, bekend op {matrix.known_at:%Y-%m-%d %H:%M} UTC", font=BOLD
        )
    ]
    for subject in matrix.subjects:
        flagged = matrix.gap_subjects.get(subject.id)
        style: dict[str, Any] = {}
        if flagged:
            style["fill"] = PatternFill("solid", fgColor=GAP_COLOUR)
            style["comment"] = Comment("Lacune: " + ", ".join(flagged), "ledger")
        heads.append(
            cell(
                sheet,
                subject.name,
                font=BOLD,
                alignment=Alignment(text_rotation=60, horizontal="center"),
                border=border,
                **style,
            )
        )
    sheet.append(heads)
    centred = Alignment(horizontal="center")
    unheld = PatternFill("solid", fgColor="FBE3D6")
    for party in matrix.parties:
        cells = [cell(sheet, party.name, font=BOLD, border=border)]
        for subject in matrix.subjects:
            found = matrix.cell(party.id, subject.id)
            if found is None:
                marked = {"fill": unheld} if subject.id in matrix.gap_subjects else {}
                cells.append(cell(sheet, None, border=border, alignment=centred, **marked))
                continue
            note = "\n".join(
                f"{role.letter} sinds {found.since[role]}"
                + (f", geërfd van {found.inherited[role]}" if role in found.inherited else "")
                + ": "
                + "; ".join(
                    f"{s.source} ({s.kind}, {s.effective_on}{', afgeleid' if s.inferred else ''})"
                    for s in found.sources[role]
                )
                for role in found.roles
            )
            cells.append(
                cell(
                    sheet,
                    found.marked_letters,
                    border=border,
                    alignment=centred,
                    fill=PatternFill("solid", fgColor=ROLE_COLOURS[found.roles[0]]),
                    comment=Comment(note, "ledger", width=400, height=120),
                )
            )
        sheet.append(cells)
    legend = book.create_sheet("Legenda")
    legend.column_dimensions["B"].width = 60
    legend.append(row(legend, ["letter", "betekenis"], font=BOLD))
    for role, label in ROLE_LABELS.items():
        fill = PatternFill("solid", fgColor=ROLE_COLOURS[role])
        legend.append([cell(legend, role.letter, fill=fill), cell(legend, label)])
    gap_fill = PatternFill("solid", fgColor=GAP_COLOUR)
    legend.append(
        [
            cell(legend, "", fill=gap_fill),
            cell(legend, "kolom gemarkeerd: lacune (zie tabblad Lacunes)"),
        ]
    )
    legend.append([cell(legend, "*"), cell(legend, INFERRED_LABEL[2:])])
    legend.append([cell(legend, "(A)"), cell(legend, INHERITED_LABEL[4:])])
    legend.append([])
    legend.append(row(legend, ["peildatum", matrix.as_of.isoformat()]))
    legend.append(row(legend, ["bekend op", matrix.known_at.isoformat()]))
    legend.append(row(legend, ["ledger-positie", matrix.ledger_head]))
    if gaps:
        sheet_gaps = book.create_sheet("Lacunes")
        sheet_gaps.freeze_panes = "A2"
        sheet_gaps.append(
            row(
                sheet_gaps,
                ["regel", "betreft", "id", "sinds", "toelichting", "besluiten"],
                font=BOLD,
            )
        )
        for gap in gaps:
            sheet_gaps.append(
                row(
                    sheet_gaps,
                    [
                        gap.rule,
                        gap.about,
                        gap.id,
                        gap.since,
                        gap.explained("nl"),
                        ", ".join(str(i) for i in gap.decisions),
                    ],
                )
            )


def matrix_xlsx(matrix: Matrix, gaps: Sequence[Gap] = ()) -> IO[bytes]:
    """The matrix as a styled workbook (see `matrix_sheets`), in a file read from its start."""
    book = workbook()
    matrix_sheets(book, matrix, gaps)
    return saved(book)


def render_matrix(
    matrix: Matrix, fmt: str, gaps: Sequence[Gap] = (), sep: CsvSeparator = ","
) -> bytes:
    """The matrix in one of FORMATS, whole."""
    if fmt == "xlsx":
        with matrix_xlsx(matrix, gaps) as file:
            return file.read()
    return b"".join(stream_matrix(matrix, fmt, gaps, sep))


def stream_matrix(
    matrix: Matrix, fmt: str, gaps: Sequence[Gap] = (), sep: CsvSeparator = ","
) -> Iterator[bytes]:
    """The matrix in one of FORMATS, a piece at a time (CSV by line, XLSX by file chunk)."""
    if fmt == "csv":
        return (line.encode() for line in matrix_csv_lines(matrix, sep))
    if fmt == "xlsx":
        return chunks(matrix_xlsx(matrix, gaps))
    return iter([_render_whole(matrix, fmt)])


def _render_whole(matrix: Matrix, fmt: str) -> bytes:
    if fmt == "json":
        return orjson.dumps(matrix_json(matrix))
    if fmt == "md":
        return matrix_markdown(matrix).encode()
    if fmt == "html":
        return matrix_html(matrix).encode()
    raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")


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
