"""Workbooks written as they are made (openpyxl's write-only mode: rows go to the file as they
are appended, not held in memory), and text from the ledger in them stays text: never a
spreadsheet formula.

openpyxl turns any str that begins with "=" into a formula, and spreadsheet programs run a CSV
field that begins with "=", "+", "-", "@", a tab or a carriage return. Every cell of ledger
text goes through `cell` (or `row`), and every CSV field through `csv_field`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""The first characters with which a spreadsheet reads a field as a formula (OWASP)."""

BOLD = Font(bold=True)
CHUNK = 64 * 1024


def cell(sheet: Any, value: Any, **style: Any) -> Any:
    """A cell to append (with `font`, `fill`, `border`, `alignment`, `comment`, if given); a
    str is stored as a string, never as a formula."""
    made = WriteOnlyCell(sheet, value=value)  # (openpyxl's factory of write-only cells)
    if isinstance(value, str):
        made.data_type = "s"  # a string, whatever it begins with
        if value.startswith(FORMULA_STARTS):
            made.quotePrefix = True  # and it stays one when someone edits the cell
    for name, found in style.items():
        setattr(made, name, found)
    return made


def row(sheet: Any, values: Iterable[Any], **style: Any) -> list[Any]:
    """The cells of one row to append, each str stored as a string."""
    return [cell(sheet, value, **style) for value in values]


def csv_field(value: str) -> str:
    """The field with a single quote before it if a spreadsheet would run it as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def workbook() -> Workbook:
    """A workbook whose sheets are written as they are made."""
    return Workbook(write_only=True)


def saved(book: Workbook) -> IO[bytes]:
    """The workbook saved to a temporary file (in memory while small), read from its start."""
    out: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    book.save(out)
    out.seek(0)
    return out


def chunks(file: IO[bytes]) -> Iterator[bytes]:
    """A file's bytes a piece at a time, and the file closed after."""
    with file:
        while piece := file.read(CHUNK):
            yield piece
