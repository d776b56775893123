"""A report as a document: titled tables (`Section`) of text and links, written as Markdown or
as HTML (which WeasyPrint prints to PDF). The progress report and the evaluation pack are made
of them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from projections import i18n

templates = Environment(
    loader=PackageLoader("projections", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
"""The templates of the documents (`projections/templates`)."""


@dataclass(frozen=True)
class Link:
    text: str
    url: str | None = None


Cell = str | Link | list[Link]


@dataclass
class Section:
    key: str
    title: str
    lead: str
    header: list[str]
    rows: list[list[Cell]]


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~&])")
"""What Markdown (CommonMark and GitHub's tables) could read as markup inside a table cell."""


def md_escape(text: str) -> str:
    """The text as literal Markdown: every character that could be markup backslash-escaped,
    line breaks and tabs as spaces (a name cannot end a table cell, a row or the table)."""
    return _MD_SPECIAL.sub(r"\\\1", re.sub(r"\s", " ", text))


def cell_text(cell: Cell) -> str:
    """A cell as plain text (a spreadsheet's)."""
    if isinstance(cell, str):
        return cell
    if isinstance(cell, Link):
        return cell.text
    return "; ".join(c.text for c in cell)


def _md_cell(cell: Cell) -> str:
    if isinstance(cell, str):
        return md_escape(cell)
    if isinstance(cell, Link):
        return f"[{md_escape(cell.text)}](<{cell.url}>)" if cell.url else md_escape(cell.text)
    return "; ".join(_md_cell(c) for c in cell)


def sections_markdown(found: list[Section], nothing: str) -> list[str]:
    """Titled tables as Markdown lines (`nothing`: what an empty one says)."""
    lines: list[str] = []
    for section in found:
        lines += [f"## {md_escape(section.title)}", ""]
        if section.lead:
            lines += [md_escape(section.lead), ""]
        if not section.rows:
            lines += [md_escape(nothing), ""]
            continue
        lines.append("| " + " | ".join(md_escape(h) for h in section.header) + " |")
        lines.append("|" + "---|" * len(section.header))
        lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in section.rows]
        lines.append("")
    return lines


def sections_html(found: list[Section], lang: str, level: int = 2) -> Markup:
    """Titled tables as HTML (`level`: of their headings)."""
    return Markup(  # noqa: S704 - what an autoescaping template wrote
        templates.get_template("_sections.html").render(
            sections=found, t=i18n.translator(lang), level=level
        )
    )


def printed(html: str) -> bytes:
    """An HTML document printed to PDF by WeasyPrint (its page size is the document's CSS)."""
    import weasyprint  # (imported when asked: it loads Pango, which a server rarely needs)

    pdf: bytes = weasyprint.HTML(string=html).write_pdf()
    return pdf
