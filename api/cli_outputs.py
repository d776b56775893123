"""`ledger matrix`, `ledger diff`, `ledger gaps`, `ledger monitor`, `ledger progress`: the
evaluation outputs on the command line."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Annotated, cast

import orjson
import typer

from api.cli import _open, app, err
from domain.vocabulary import Role
from projections.answers import Moment, Question
from projections.diff import matrix_diff
from projections.exports import FORMATS, CsvSeparator, change_json, render_matrix
from projections.matrix import MatrixFilter
from projections.monitor import Step, monitor_csv, period_ends, point
from projections.progress import FORMATS as PROGRESS_FORMATS
from projections.progress import progress as build_progress
from projections.progress import render_progress
from projections.timeframe import parse_as_of, parse_known_at, today

AsOf = Annotated[str | None, typer.Option(help="Date the state holds on (default today)")]
KnownAt = Annotated[
    str | None, typer.Option(help="As known at this moment (a date: its end; default now)")
]
Output = Annotated[
    str | None, typer.Option("--output", "-o", help="File to write (default stdout)")
]


def _moment(as_of: str | None, known_at: str | None) -> Moment:
    try:
        return Moment(
            parse_as_of(as_of) if as_of else today(),
            parse_known_at(known_at) if known_at else datetime.now().astimezone(),
        )
    except ValueError as error:
        err.print(f"[red]error[/red]: {error}", markup=True)
        raise typer.Exit(2) from None


def _write(data: bytes, output: str | None) -> None:
    if output is None or output == "-":
        sys.stdout.buffer.write(data)
    else:
        with open(output, "wb") as handle:
            handle.write(data)
        err.print(f"written to {output}")


@app.command()
def matrix(
    as_of: AsOf = None,
    known_at: KnownAt = None,
    format: Annotated[
        str, typer.Option("--format", "-f", help=f"One of {', '.join(FORMATS)}")
    ] = "md",
    output: Output = None,
    subject_kind: Annotated[
        list[str] | None, typer.Option(help="Only subjects of this kind")
    ] = None,
    subtree: Annotated[
        str | None, typer.Option(help="Only this subject and those below it")
    ] = None,
    discipline: Annotated[
        list[str] | None, typer.Option(help="Only parties of this discipline")
    ] = None,
    party_kind: Annotated[list[str] | None, typer.Option(help="Only parties of this kind")] = None,
    sep: Annotated[
        str, typer.Option(help="CSV separator: ',' or ';' (Excel in Dutch; with a BOM)")
    ] = ",",
    turned: Annotated[
        bool, typer.Option("--turned", help="CSV, Markdown, XLSX: subjects as rows")
    ] = False,
) -> None:
    """The responsibility matrix (parties x subjects, RACI + O) for a date."""
    if sep not in (",", ";"):
        err.print("[red]error[/red]: --sep must be ',' or ';'")
        raise typer.Exit(2)
    if format not in FORMATS:
        err.print(f"[red]error[/red]: --format must be one of {', '.join(FORMATS)}")
        raise typer.Exit(2)
    if format == "xlsx" and (output is None or output == "-") and sys.stdout.isatty():
        err.print("[red]error[/red]: XLSX is binary; give -o FILE.xlsx")
        raise typer.Exit(2)
    ledger = _open()
    moment = _moment(as_of, known_at)
    only = MatrixFilter.of(subject_kind, subtree, discipline, party_kind)
    with ledger.reading() as tables:
        question = Question(tables, moment)
        result, found = question.matrix(only), question.gaps() if format == "xlsx" else []
    _write(render_matrix(result, format, found, cast(CsvSeparator, sep), turned), output)


@app.command()
def diff(
    from_: Annotated[str | None, typer.Option("--from", help="First date (as_of)")] = None,
    to: Annotated[
        str | None, typer.Option(help="Second date (as_of; default: same as --from)")
    ] = None,
    from_known_at: Annotated[str | None, typer.Option(help="First known_at (default now)")] = None,
    to_known_at: Annotated[str | None, typer.Option(help="Second known_at (default now)")] = None,
    format: Annotated[str, typer.Option("--format", "-f", help="json or md")] = "md",
    output: Output = None,
) -> None:
    """Roles added, removed and changed between two dates or two known_at moments."""
    before = _moment(from_, from_known_at)
    after = _moment(to or from_, to_known_at)
    _, _, changes = matrix_diff(_open(), before, after)
    if format == "json":
        data = orjson.dumps(
            {
                "from": {
                    "as_of": before.as_of.isoformat(),
                    "known_at": before.known_at.isoformat(),
                },
                "to": {"as_of": after.as_of.isoformat(), "known_at": after.known_at.isoformat()},
                "changes": [change_json(c) for c in changes],
            },
            option=orjson.OPT_INDENT_2,
        )
    else:
        lines = [
            f"# Wijzigingen {before.as_of} (bekend {before.known_at:%Y-%m-%d}) → "
            f"{after.as_of} (bekend {after.known_at:%Y-%m-%d})",
            "",
            "| partij | onderwerp | wijziging | voor | na | oorzaak |",
            "|---|---|---|---|---|---|",
        ]
        for c in changes:
            causes = "; ".join(f"{s.source} ({s.kind}, {s.effective_on})" for s in c.causes)
            lines.append(
                f"| {c.party} | {c.subject} | {c.change} | {c.before} | {c.after} | {causes} |"
            )
        data = ("\n".join(lines) + "\n").encode()
    _write(data, output)


@app.command()
def gaps(
    as_of: AsOf = None,
    known_at: KnownAt = None,
    format: Annotated[str, typer.Option("--format", "-f", help="json or md")] = "md",
    output: Output = None,
) -> None:
    """The gap report: where responsibility is not anchored."""
    moment = _moment(as_of, known_at)
    with _open().reading() as tables:
        found = Question(tables, moment).gaps()
    if format == "json":
        data = orjson.dumps(
            {
                "as_of": moment.as_of.isoformat(),
                "known_at": moment.known_at.isoformat(),
                "gaps": [g.json() for g in found],
            },
            option=orjson.OPT_INDENT_2,
        )
    else:
        lines = [
            f"# Lacunes per {moment.as_of}",
            "",
            "| regel | betreft | sinds | toelichting |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {g.rule} | {g.about} {g.id} | {g.since or ''} | {g.explained('nl')} |"
            for g in found
        ]
        data = ("\n".join(lines) + "\n").encode()
    _write(data, output)


@app.command()
def report(
    output: Annotated[str, typer.Option("--output", "-o", help="FILE.pdf, FILE.html or FILE.xlsx")],
    as_of: AsOf = None,
    known_at: KnownAt = None,
    compare: Annotated[
        str | None, typer.Option(help="Also show the changes since this date")
    ] = None,
    lang: Annotated[str, typer.Option(help="nl or en (the PDF and HTML document)")] = "nl",
) -> None:
    """The evaluation pack: matrix, changes, gaps, risks, recommendations, commitments, log."""
    from projections.report import build_pack, render_pack

    fmt = output.rsplit(".", 1)[-1].lower()
    if fmt not in ("xlsx", "html", "pdf") or lang not in ("nl", "en"):
        err.print("[red]error[/red]: -o must end in .pdf, .html or .xlsx; --lang is nl or en")
        raise typer.Exit(2)
    moment = _moment(as_of, known_at)
    earlier = _moment(compare, known_at) if compare else None
    _write(render_pack(build_pack(_open(), moment, earlier), fmt, lang), output)


@app.command()
def who(
    subject: Annotated[str | None, typer.Option(help="Only this subject")] = None,
    role: Annotated[Role | None, typer.Option(help="Only this role")] = None,
    party: Annotated[str | None, typer.Option(help="Only this party")] = None,
    as_of: AsOf = None,
    known_at: KnownAt = None,
) -> None:
    """Who held which role, since when, and the decisions and sources behind it.

    E.g. who was accountable for C2000 on 1 March 2021, as known then:
    ledger who --subject c2000 --role accountable --as-of 2021-03-01 --known-at 2021-03-01
    """
    moment = _moment(as_of, known_at)
    with _open().reading() as tables:
        answers = Question(tables, moment).responsibilities(party, subject, role)
    typer.echo(f"op {moment.as_of}, zoals bekend op {moment.known_at:%Y-%m-%d %H:%M %Z}:")
    if not answers:
        typer.echo("  niemand")
    for answer in answers:
        typer.echo(
            f"  {answer['party']} — {answer['role']} voor {answer['subject']}, "
            f"sinds {answer['since']}"
            + (f" (geërfd van {answer['inherited_from']})" if "inherited_from" in answer else "")
        )
        for s in answer["sources"]:
            typer.echo(
                f"      {s['kind']} van {s['effective_on']} ({', '.join(s['decided_by'])}): "
                f"{s['source']}"
                + (" — afgeleid, niet letterlijk in de bron" if s["basis"] == "inferred" else "")
            )
            typer.echo(f"      besluit {s['decision']}")


@app.command()
def monitor(
    first: Annotated[str, typer.Option("--from", help="The first date (e.g. 2021-01-01)")],
    last: Annotated[str, typer.Option("--to", help="The last date")],
    step: Annotated[str, typer.Option(help="month, quarter or year")] = "month",
    known_at: KnownAt = None,
    format: Annotated[str, typer.Option("--format", "-f", help="csv or json")] = "csv",
    output: Output = None,
) -> None:
    """How the anchoring developed: one line per month (quarter, year) end from FROM to TO."""
    if step not in ("month", "quarter", "year") or format not in ("csv", "json"):
        err.print("[red]error[/red]: --step is month, quarter or year; --format csv or json")
        raise typer.Exit(2)
    moment = _moment(last, known_at)
    try:
        days = period_ends(parse_as_of(first), moment.as_of, cast(Step, step))
    except ValueError as error:
        err.print(f"[red]error[/red]: {error}")
        raise typer.Exit(2) from None
    with _open().reading() as tables:
        points = [point(tables, Moment(day, moment.known_at)) for day in days]
    if format == "csv":
        _write("".join(monitor_csv(points)).encode(), output)
    else:
        _write(orjson.dumps([p.json() for p in points], option=orjson.OPT_INDENT_2), output)


@app.command()
def progress(
    first: Annotated[str, typer.Option("--from", help="The period's first day (e.g. 2021-07-01)")],
    last: Annotated[str | None, typer.Option("--to", help="Its last day (default today)")] = None,
    known_at: KnownAt = None,
    format: Annotated[str, typer.Option("--format", "-f", help="md, html, pdf or json")] = "md",
    lang: Annotated[str, typer.Option(help="nl or en")] = "nl",
    link: Annotated[
        str | None,
        typer.Option(help="Where the decisions' pages are, e.g. https://ledger.example.org"),
    ] = None,
    output: Output = None,
) -> None:
    """What changed from FROM to TO: roles, frameworks, risks, recommendations, commitments,
    evaluations, what fell overdue, corrections and retractions — each with its decision and
    source (the annex to the half-yearly progress letter)."""
    if format not in PROGRESS_FORMATS or lang not in ("nl", "en"):
        err.print("[red]error[/red]: --format is md, html, pdf or json; --lang nl or en")
        raise typer.Exit(2)
    moment = _moment(last, known_at)
    try:
        start = parse_as_of(first)
        with _open().reading() as tables:
            report = build_progress(tables, start, moment.as_of, moment.known_at)
    except ValueError as error:
        err.print(f"[red]error[/red]: {error}")
        raise typer.Exit(2) from None
    pages = link.rstrip("/") + "/decisions/{}" if link else None
    if format == "pdf" and output is None and sys.stdout.isatty():
        err.print("[red]error[/red]: a PDF goes to a file: give --output FILE")
        raise typer.Exit(2)
    _write(render_progress(report, format, lang, pages), output)
