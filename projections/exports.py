"""The evaluation outputs as files: JSON, CSV, Markdown, HTML and styled XLSX."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any, Literal, get_args

import orjson
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, PatternFill, Side
from openpyxl.utils import get_column_letter

from domain.cells import Cell, Source
from domain.gaps import Gap
from domain.governance import Party, Subject
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
"""What a `*` after a role's letter means, in every export."""
INHERITED_LABEL = "(A) geërfd: niemand heeft de rol voor dit onderwerp zelf, een bovenliggend wel"
"""What a role's letter in brackets means, in every export."""


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


@dataclass(frozen=True)
class Axes:
    """The matrix's rows and columns: parties by subjects, or turned (subjects by parties, as
    RACI charts usually are)."""

    matrix: Matrix
    turned: bool = False

    @property
    def rows(self) -> list[Party] | list[Subject]:
        return self.matrix.subjects if self.turned else self.matrix.parties

    @property
    def columns(self) -> list[Party] | list[Subject]:
        return self.matrix.parties if self.turned else self.matrix.subjects

    @property
    def names(self) -> tuple[str, str]:
        """What a row and a column stand for (the corner's words)."""
        return ("subject", "party") if self.turned else ("party", "subject")

    def pair(self, row: str, column: str) -> tuple[str, str]:
        """(party, subject) of a row's and a column's ids."""
        return (column, row) if self.turned else (row, column)

    def letters(self, row: str, column: str) -> str:
        return self.matrix.letters(*self.pair(row, column))

    def cell(self, row: str, column: str) -> Cell | None:
        return self.matrix.cell(*self.pair(row, column))

    def gaps(self, entry: Party | Subject) -> list[str]:
        """The gap rules that flag a row or column (a subject's)."""
        return self.matrix.gap_subjects.get(entry.id, []) if isinstance(entry, Subject) else []


def _grid(axes: Axes) -> Iterator[list[str]]:
    yield [axes.names[0], *[c.id for c in axes.columns]]
    for entry in axes.rows:
        yield [entry.id, *(axes.letters(entry.id, c.id) for c in axes.columns)]


CsvSeparator = Literal[",", ";"]
"""`,` (the CSV standard) or `;` (what Excel expects in Dutch and other locales that write a
decimal comma; such a file starts with a byte-order mark, so Excel reads it as UTF-8)."""


def matrix_csv_lines(
    matrix: Matrix, sep: CsvSeparator = ",", turned: bool = False
) -> Iterator[str]:
    """The matrix as CSV, a line at a time. A field that begins with `=`, `+`, `-`, `@`, a tab
    or a carriage return gets a single quote before it, so that no spreadsheet runs it as a
    formula (OWASP, "CSV injection"); a reader that wants the value back drops that one leading
    quote."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep, lineterminator="\n")
    if sep == ";":
        out.write("\ufeff")
    for fields in _grid(Axes(matrix, turned)):
        writer.writerow([csv_field(field) for field in fields])
        yield out.getvalue()
        out.seek(0)
        out.truncate()


def matrix_csv(matrix: Matrix, sep: CsvSeparator = ",", turned: bool = False) -> str:
    """The matrix as CSV (see `matrix_csv_lines`)."""
    return "".join(matrix_csv_lines(matrix, sep, turned))


def matrix_markdown(matrix: Matrix, turned: bool = False) -> str:
    axes = Axes(matrix, turned)
    corner = "onderwerp" if turned else "partij"
    lines = [
        f"# Verantwoordelijkheden per {matrix.as_of} "
        f"(bekend op {matrix.known_at:%Y-%m-%d %H:%M} UTC)",
        "",
        f"| {corner} | "
        + " | ".join(md_escape(c.name) + (" ⚠" if axes.gaps(c) else "") for c in axes.columns)
        + " |",
        "|---|" + "---|" * len(axes.columns),
    ]
    for entry in axes.rows:
        cells = [md_escape(axes.letters(entry.id, c.id)) for c in axes.columns]
        head = md_escape(entry.name) + (" ⚠" if axes.gaps(entry) else "")
        lines.append(f"| {head} | " + " | ".join(cells) + " |")
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


def matrix_sheets(
    book: Workbook, matrix: Matrix, gaps: Sequence[Gap] = (), turned: bool = False
) -> None:
    """The matrix's sheets, written into a workbook as they are made: the matrix (frozen
    headers, one colour per role, subjects with a gap marked, sources as comments; `turned`:
    subjects as rows), a legend and (if given) the gaps."""
    axes = Axes(matrix, turned)
    sheet = book.create_sheet("Matrix")
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    sheet.freeze_panes = "B2"
    sheet.column_dimensions["A"].width = 42
    for col in range(2, len(axes.columns) + 2):
        sheet.column_dimensions[get_column_letter(col)].width = 6
    heads = [
        cell(
            sheet, f"per {matrix.as_of}, bekend op {matrix.known_at:%Y-%m-%d %H:%M} UTC", font=BOLD
        )
    ]
    for column in axes.columns:
        heads.append(
            cell(
                sheet,
                column.name,
                font=BOLD,
                alignment=Alignment(text_rotation=60, horizontal="center"),
                border=border,
                **_flagged(axes.gaps(column)),
            )
        )
    sheet.append(heads)
    centred = Alignment(horizontal="center")
    unheld = PatternFill("solid", fgColor="FBE3D6")
    for entry in axes.rows:
        cells = [cell(sheet, entry.name, font=BOLD, border=border, **_flagged(axes.gaps(entry)))]
        for column in axes.columns:
            found = axes.cell(entry.id, column.id)
            if found is None:
                marked = {"fill": unheld} if axes.gaps(entry) or axes.gaps(column) else {}
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


def _flagged(rules: list[str]) -> dict[str, Any]:
    """A heading's style: a subject with a gap in the gap colour, the rules in a comment."""
    if not rules:
        return {}
    return {
        "fill": PatternFill("solid", fgColor=GAP_COLOUR),
        "comment": Comment("Lacune: " + ", ".join(rules), "ledger"),
    }


def matrix_xlsx(matrix: Matrix, gaps: Sequence[Gap] = (), turned: bool = False) -> IO[bytes]:
    """The matrix as a styled workbook (see `matrix_sheets`), in a file read from its start."""
    book = workbook()
    matrix_sheets(book, matrix, gaps, turned)
    return saved(book)


def render_matrix(
    matrix: Matrix,
    fmt: str,
    gaps: Sequence[Gap] = (),
    sep: CsvSeparator = ",",
    turned: bool = False,
) -> bytes:
    """The matrix in one of FORMATS, whole (`turned`: subjects as rows, in CSV, Markdown and
    XLSX)."""
    if fmt == "xlsx":
        with matrix_xlsx(matrix, gaps, turned) as file:
            return file.read()
    return b"".join(stream_matrix(matrix, fmt, gaps, sep, turned))


def stream_matrix(
    matrix: Matrix,
    fmt: str,
    gaps: Sequence[Gap] = (),
    sep: CsvSeparator = ",",
    turned: bool = False,
) -> Iterator[bytes]:
    """The matrix in one of FORMATS, a piece at a time (CSV by line, XLSX by file chunk)."""
    if fmt == "csv":
        return (line.encode() for line in matrix_csv_lines(matrix, sep, turned))
    if fmt == "xlsx":
        return chunks(matrix_xlsx(matrix, gaps, turned))
    return iter([_render_whole(matrix, fmt, turned)])


def _render_whole(matrix: Matrix, fmt: str, turned: bool) -> bytes:
    if fmt == "json":
        return orjson.dumps(matrix_json(matrix))
    if fmt == "md":
        return matrix_markdown(matrix, turned).encode()
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
