"""What the governance evaluation reads: the matrix, its differences, the gaps — for any
(as_of, known_at). The one entry point the CLI and the API use for these outputs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import TypeVar

from domain.governance import GovernanceState, Holding
from domain.knowledge import Known
from domain.vocabulary import EARLIEST_DATE, Role
from ledger import collector
from ledger.service import Ledger
from projections import oracle, queries
from projections.bitemporal import GovernanceView, InForceRows
from projections.diff import CellChange, diff_matrices
from projections.gaps import Gap, Holders, RiskFacts, find_gaps
from projections.matrix import Matrix, MatrixFilter, Source, build_matrix, trace

EVERYTHING = MatrixFilter()

T = TypeVar("T")


@dataclass(frozen=True)
class Moment:
    """A question's two times: the date the state holds on, and when it was known."""

    as_of: date
    known_at: datetime


@dataclass(frozen=True)
class Snapshot:
    """Everything known at one moment: the read model's rows in force and the knowledge cut
    at the same ledger position."""

    moment: Moment
    knowledge: Known
    ledger_head: int
    rows: InForceRows
    view: GovernanceView

    @property
    def state(self) -> GovernanceState:
        """The governance on as_of as known at known_at (dictionaries in the fold's order)."""
        return self.rows.state

    @cached_property
    def gaps(self) -> list[Gap]:
        with collector.paused():
            state, rows = self.rows.unordered, self.rows
            return find_gaps(
                state,
                self.knowledge,
                self.moment.as_of,
                StoredAnchoring(rows, self.moment.as_of, self.ledger_head),
                Holders.of_codes(state, rows.holding_columns),
                rows.derived("risk", RiskFacts.of),
                rows.derived("recommendation", _itself),
                rows.derived("commitment", _itself),
            )


def _itself(value: T) -> T:
    """(the rows' values, gathered from a memo rather than from each decoded row)"""
    return value


@dataclass(frozen=True)
class StoredAnchoring:
    """`gaps.Anchoring` from the read model: the runs it keeps, and the accountable holdings'
    valid intervals when a gap asks about particular parties."""

    rows: InForceRows
    as_of: date
    position: int

    def since(self, subject: str, condition: str) -> date:
        # no run kept: the subject's responsibilities were never decided (so nobody was
        # ever accountable: "since always")
        return self.rows.runs.get(f"{subject}/{condition}", EARLIEST_DATE)

    def not_accountable_since(self, asked: Sequence[tuple[str, tuple[str, ...]]]) -> list[date]:
        return self.rows.not_accountable_since(asked, self.as_of, self.position)


def snapshot(ledger: Ledger, moment: Moment) -> Snapshot:
    """The state and the knowledge it rests on, as of the moment (both at one position)."""
    current = ledger.snapshot()
    position = oracle.known_count(current.recorded, moment.known_at)
    view = queries.caught_up(ledger)
    rows = view.in_force_at(moment.as_of, position)
    return Snapshot(moment, current.known_until(position), position, rows, view)


def matrix(ledger: Ledger, moment: Moment, only: MatrixFilter = EVERYTHING) -> Matrix:
    """The responsibility matrix as of the moment, with gap columns marked."""
    return matrix_of(snapshot(ledger, moment), only)


def matrix_of(snap: Snapshot, only: MatrixFilter = EVERYTHING) -> Matrix:
    with collector.paused():
        return _matrix_of(snap, only)


def _matrix_of(snap: Snapshot, only: MatrixFilter) -> Matrix:
    result = build_matrix(
        snap.rows.unordered,
        snap.knowledge,
        as_of=snap.moment.as_of,
        known_at=snap.moment.known_at,
        ledger_head=snap.ledger_head,
        only=only,
        held=snap.rows.holding_columns,
    )
    for gap in gaps_of(snap):
        if gap.about == "subject":
            result.gap_subjects.setdefault(gap.id, []).append(gap.rule)
    return result


def matrix_diff(
    ledger: Ledger, before: Moment, after: Moment, only: MatrixFilter = EVERYTHING
) -> tuple[Matrix, Matrix, list[CellChange]]:
    """Both matrices and what changed from the first to the second."""
    first, second = snapshot(ledger, before), snapshot(ledger, after)
    later = second if second.knowledge.head >= first.knowledge.head else first
    m1, m2 = matrix_of(first, only), matrix_of(second, only)
    return m1, m2, diff_matrices(m1, m2, later.knowledge)


def gaps(ledger: Ledger, moment: Moment) -> list[Gap]:
    """Every gap as of the moment."""
    return gaps_of(snapshot(ledger, moment))


def gaps_of(snap: Snapshot) -> list[Gap]:
    return snap.gaps


@dataclass(frozen=True)
class Answer:
    """Who held a role, since when, and the decisions (as known then) behind it."""

    holding: Holding
    sources: tuple[Source, ...]


def _by_subject_role_party(holding: Holding) -> tuple[str, str, str]:
    return holding.subject, holding.role.value, holding.party


def who_holds(
    ledger: Ledger,
    moment: Moment,
    *,
    party: str | None = None,
    subject: str | None = None,
    role: Role | None = None,
) -> list[Answer]:
    """The roles held on `as_of`, as known at `known_at`, each with its decisions and sources."""
    snap = snapshot(ledger, moment)
    return [
        Answer(h, tuple(trace(snap.knowledge, h.decisions)))
        for h in sorted(
            snap.state.holdings.values(), key=lambda h: (h.subject, h.role.value, h.party)
        )
        if (party is None or h.party == party)
        and (subject is None or h.subject == subject)
        and (role is None or h.role is role)
    ]
