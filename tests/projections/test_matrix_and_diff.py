"""The responsibility matrix, its differences between dates and between known_at moments, and
its files — on both backends, end to end through the ledger."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime
from html.parser import HTMLParser

import orjson
import pytest
from openpyxl import load_workbook

from domain.vocabulary import Role
from ledger.service import Ledger
from ledger.settings import Settings
from projections.answers import Moment, asking, matrix_of
from projections.diff import matrix_diff
from projections.exports import render_matrix
from projections.matrix import MatrixFilter
from tests.builders import assign, basics, decision, party, subject

LATER = datetime(2030, 1, 1, tzinfo=UTC)


def at(day: str, known: datetime = LATER) -> Moment:
    return Moment(date.fromisoformat(day), known)


@pytest.fixture
def governed(settings: Settings) -> Iterator[Ledger]:
    clock = iter(datetime(2022, 1, day, tzinfo=UTC) for day in range(1, 28))
    ledger = Ledger(settings, clock=lambda: next(clock))
    # 1 January 2022: the world as the letter describes it.
    first = ledger.record(
        [
            *basics(),
            party("rav", kind="discipline", discipline="ambulance"),
            subject("c2000-centraal", parent="c2000"),
            assign("minister-jenv", "c2000", "accountable", "2021-01-01"),
            assign("korpschef", "c2000", "responsible", "2021-01-01"),
            assign("smb", "c2000", "oversight", "2021-01-01"),
            assign("rav", "c2000-centraal", "informed", "2021-01-01"),
        ],
        recorded_by="clerk",
    )
    # 2 January 2022: the SMB's oversight ends on 1 July 2021; the korpschef is made accountable
    # for information security.
    ledger.record(
        [
            decision(
                "responsibility.relieved",
                party="smb",
                subject="c2000",
                role="oversight",
                effective_on="2021-07-01",
            ),
            assign("korpschef", "informatiebeveiliging", "accountable", "2021-07-01"),
        ],
        recorded_by="clerk",
    )
    # 3 January 2022: the RAV entry turns out to be wrong: it was consulted, not informed.
    wrong = first[-1]
    ledger.record(
        [
            decision(
                "decision.corrected",
                corrects=str(wrong.id),
                replacement=wrong.decision.model_dump(mode="json") | {"role": "consulted"},
            )
        ],
        recorded_by="clerk",
    )
    yield ledger
    ledger.close()


def test_the_matrix_shows_who_holds_which_role_with_sources(governed: Ledger) -> None:
    matrix = matrix_of(governed, at("2021-03-01"))
    assert matrix.cell("minister-jenv", "c2000").letters == "A"  # type: ignore[union-attr]
    assert matrix.cell("smb", "c2000").letters == "O"  # type: ignore[union-attr]
    cell = matrix.cell("korpschef", "c2000")
    assert cell is not None and cell.letters == "R"
    [source] = cell.sources[cell.roles[0]]
    assert source.source == "Kamerstuk 25124-109" and source.kind == "responsibility.assigned"
    assert "informatiebeveiliging" in matrix.gap_subjects  # nobody accountable yet


def test_the_matrix_can_be_filtered_by_subtree_and_discipline(governed: Ledger) -> None:
    only_central = matrix_of(governed, at("2021-03-01"), MatrixFilter(subtree="c2000-centraal"))
    assert [s.id for s in only_central.subjects] == ["c2000-centraal"]
    ambulance = matrix_of(
        governed, at("2021-03-01"), MatrixFilter(disciplines=frozenset({"ambulance"}))
    )
    assert [p.id for p in ambulance.parties] == ["rav"]


def test_the_difference_between_two_dates_names_the_deciding_decisions(governed: Ledger) -> None:
    _, _, changes = matrix_diff(governed, at("2021-03-01"), at("2021-08-01"))
    by_cell = {(c.party, c.subject): c for c in changes}
    relief = by_cell[("smb", "c2000")]
    assert (relief.change, relief.before, relief.after) == ("removed", "O", "")
    assert [s.kind for s in relief.causes] == ["responsibility.relieved"]
    added = by_cell[("korpschef", "informatiebeveiliging")]
    assert (added.change, added.after) == ("added", "A")


def test_the_difference_between_two_known_at_moments_shows_the_correction(governed: Ledger) -> None:
    before = at("2021-03-01", datetime(2022, 1, 2, 12, tzinfo=UTC))
    after = at("2021-03-01", LATER)
    _, _, changes = matrix_diff(governed, before, after)
    [change] = changes
    assert (change.party, change.subject, change.change, change.before, change.after) == (
        "rav",
        "c2000-centraal",
        "changed",
        "I",
        "C",
    )
    assert "decision.corrected" in [s.kind for s in change.causes]


def test_the_matrix_files_parse_back(governed: Ledger) -> None:
    with asking(governed, at("2021-03-01")) as question:
        matrix, gaps = question.matrix(), question.gaps()

    data = orjson.loads(render_matrix(matrix, "json"))
    cell = next(c for c in data["cells"] if c["party"] == "korpschef")
    decision_id = cell["roles"][0]["decisions"][0]
    assert data["sources"][decision_id]["source"] == "Kamerstuk 25124-109"

    rows = list(csv.reader(io.StringIO(render_matrix(matrix, "csv").decode())))
    header = rows[0]
    korpschef = next(r for r in rows if r[0] == "korpschef")
    assert korpschef[header.index("c2000")] == "R"

    markdown = render_matrix(matrix, "md").decode().splitlines()
    table = [line for line in markdown if line.startswith("|")]
    assert len({line.count("|") for line in table}) == 1  # every row has the same columns

    book = load_workbook(io.BytesIO(render_matrix(matrix, "xlsx", gaps)))
    assert book.sheetnames == ["Matrix", "Legenda", "Lacunes"]
    sheet = book["Matrix"]
    assert sheet.freeze_panes == "B2"
    names = [sheet.cell(1, col).value for col in range(2, sheet.max_column + 1)]
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value == "KORPSCHEF")
    target = sheet.cell(row, 2 + names.index("C2000"))
    assert target.value == "R"
    assert target.comment is not None and "Kamerstuk 25124-109" in target.comment.text
    assert any(
        r[0] == "no_accountable" for r in book["Lacunes"].iter_rows(min_row=2, values_only=True)
    )

    checker = BalancedHTML()
    checker.feed(render_matrix(matrix, "html").decode())
    checker.close()
    assert checker.stack == [] and checker.errors == []


class BalancedHTML(HTMLParser):
    """A strict-enough check: every non-void element is closed, in order."""

    VOID = {"meta", "br", "hr", "img", "input", "link"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> with open {self.stack[-3:]}")
        else:
            self.stack.pop()


def test_cells_read_each_moment_as_it_was_known(settings: Settings) -> None:
    """A correction that leaves a role as it was and only puts its source right changes the
    cell from the correction on: the cell reads "as known then" before the correction and
    "as corrected" after it (also between a second correction and its retraction) — for a
    party with one role and for a party with several, in whatever order the moments are
    asked."""
    clock = iter(datetime(2022, 1, day, tzinfo=UTC) for day in range(1, 28))
    ledger = Ledger(settings, clock=lambda: next(clock))
    try:
        recorded = ledger.record(
            [
                *basics(),
                assign("minister-jenv", "c2000", "accountable", "2021-01-01", source="v1"),
                assign("korpschef", "c2000", "responsible", "2021-01-01", source="v1"),
                assign("korpschef", "c2000", "consulted", "2021-01-01", source="v1"),
            ],
            recorded_by="clerk",
        )  # 1 January 2022
        first = matrix_of(ledger, at("2022-01-15"))  # (kept while nothing is corrected)
        korpschef = first.cell("korpschef", "c2000")
        assert korpschef is not None and korpschef.sources[Role.RESPONSIBLE][0].source == "v1"
        fixes = [
            decision(
                "decision.corrected",
                corrects=str(item.id),
                replacement=item.decision.model_dump(mode="json") | {"source": "v2"},
            )
            for item in recorded[-3:]
        ]
        ledger.record(fixes, recorded_by="clerk")  # 2 January 2022
        minister = recorded[-3]
        again = minister.decision.model_dump(mode="json") | {"source": "v3"}
        (once_more,) = ledger.record(  # 3 January 2022: the minister's source put right again
            [decision("decision.corrected", corrects=str(minister.id), replacement=again)],
            recorded_by="clerk",
        )
        ledger.record(  # 4 January 2022: ... which was a mistake
            [decision("decision.retracted", retracts=str(once_more.id), reason="mistake")],
            recorded_by="clerk",
        )
        before = at("2022-01-15", datetime(2022, 1, 1, 12, tzinfo=UTC))
        between = at("2022-01-15", datetime(2022, 1, 2, 12, tzinfo=UTC))  # (not the latest)
        twice = at("2022-01-15", datetime(2022, 1, 3, 12, tzinfo=UTC))
        after = at("2022-01-15")

        def sources(moment: Moment) -> dict[tuple[str, str], set[str]]:
            matrix = matrix_of(ledger, moment)
            return {
                (party, subject): {s.source for role in row.cell.sources.values() for s in role}
                for (party, subject), row in matrix.cells.items()
                if subject == "c2000"
            }

        corrected = {("minister-jenv", "c2000"): {"v2"}, ("korpschef", "c2000"): {"v2"}}
        corrected_twice = {("minister-jenv", "c2000"): {"v3"}, ("korpschef", "c2000"): {"v2"}}
        as_recorded = {("minister-jenv", "c2000"): {"v1"}, ("korpschef", "c2000"): {"v1"}}
        for moment, expected in [
            (after, corrected),
            (before, as_recorded),
            (between, corrected),
            (twice, corrected_twice),
            (after, corrected),
            (before, as_recorded),
            (twice, corrected_twice),
            (between, corrected),
        ]:
            assert sources(moment) == expected
        assert matrix_of(ledger, after).cells[("korpschef", "c2000")].letters == "RC"
    finally:
        ledger.close()


def test_a_party_filter_leaves_out_the_cells_of_the_parties_it_leaves_out(
    governed: Ledger,
) -> None:
    """Boards only: more boards are shown (those holding nothing too) than parties hold roles,
    yet the minister's and the korpschef's cells must not come along."""
    governed.record(
        [party(f"veiligheidsregio-{n}", on="2020-07-01") for n in range(1, 4)],
        recorded_by="clerk",
    )
    boards = matrix_of(governed, at("2021-03-01"), MatrixFilter(party_kinds=frozenset({"board"})))
    shown = {p.id for p in boards.parties}
    assert shown == {"smb", "veiligheidsregio-1", "veiligheidsregio-2", "veiligheidsregio-3"}
    assert {party for party, _ in boards.cells} == {"smb"}
