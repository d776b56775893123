"""What the governance evaluation reads: the matrix, its differences, the gaps — for any
(as_of, known_at). The one entry point the CLI and the API use for these outputs."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property, partial
from typing import Any, TypeVar

from domain.decisions import RecordedDecision
from domain.governance import GovernanceState, Holding
from domain.knowledge import Known
from domain.vocabulary import EARLIEST_DATE, Role
from ledger import collector
from ledger.service import Ledger
from projections import oracle, queries
from projections.bitemporal import GovernanceView, InForceRows
from projections.diff import CellChange, diff_matrices
from projections.gaps import Gap, Holders, NeedsConsent, RiskFacts, find_gaps
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
                partial(_consented, rows),
                partial(_dated, rows),
            )


def _consented(rows: InForceRows, needs: NeedsConsent) -> list[int]:
    """`NeedsConsent.consented` of each consent row in force, made once per row and `needs`
    (a new one after a write) and kept beside it."""
    found = rows.derived_with("consent", needs, needs.consented, name=NeedsConsent.consented)
    return [at for at in found if at >= 0]


def _itself(value: T) -> T:
    """(the rows' values, gathered from a memo rather than from each decoded row)"""
    return value


_SEEN_AS: dict[str, Callable[[Any], Any]] = {
    "risk": RiskFacts.of,
    "recommendation": _itself,
    "commitment": _itself,
}
"""What the gap rules read of a row of each kind (`gaps.GapContext.dated`)."""


def _dated(
    rows: InForceRows,
    kind: str,
    holds_from: Callable[[Any], date | None],
    gap: Callable[[Any], Gap],
    as_of: date,
) -> list[Gap]:
    return rows.dated(kind, _SEEN_AS[kind], holds_from, gap, as_of)


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
    view = queries.caught_up(ledger, current.head)
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


PREPARED_DATES = 60
"""At most this many dates a preparation asks about."""
PREPARED_APART = 30
"""... at least this many days apart."""

_prepared: weakref.WeakKeyDictionary[Ledger, tuple[object, object]] = weakref.WeakKeyDictionary()
"""Per ledger, what its read model was last prepared for (`_prepared_for`)."""


def prepare(ledger: Ledger, stop: threading.Event | None = None) -> int:
    """Ask the matrix and the gap report, as known now, at dates spread over the history
    (from the first decision's effective date to the last one's, or today), and forget the
    answers: what stays is what every later question shares — the rows in force over the
    history decoded, and what the answers derive from single rows (a holding's cell and
    sources, a risk's facts and gaps, who is accountable for a subject) made and kept beside
    them. The first question at a date in a fresh process otherwise spends about a third of
    its time on that (bench.evaluation at 100k decisions: ~25-39 ms before, ~17-25 ms after;
    preparing takes ~1.5-2 s there, ~4-5 s right after start, and ~30 MB; the demo's, a
    fraction of a second).

    Done once for the rows held in memory and a reading of the decisions (a correction or
    retraction changes what is derived: `Known.readings`): asked again, it does nothing.
    Rows written since are few and decoded by the question that first needs them. Stops
    between two dates once `stop` is set (then it is not done). Returns how many questions
    it asked. The API's follower calls it after catching up (`api.http`)."""
    current = ledger.snapshot()
    view = queries.caught_up(ledger)
    before = _prepared_for(view, current.readings)
    if (before is not None and _prepared.get(ledger) == before) or not current.recorded:
        return 0
    dates, now = _spread(current.recorded), datetime.now(UTC)
    for asked, day in enumerate(dates):
        if stop is not None and stop.is_set():
            return asked
        matrix_of(snapshot(ledger, Moment(day, now)))  # (the gaps too: it marks them)
    after = _prepared_for(view, current.readings)
    if after is not None and before in (None, after):
        _prepared[ledger] = after
    return len(dates)


def _prepared_for(view: GovernanceView, readings: object) -> tuple[object, object] | None:
    held = view.held
    return None if held is None else (weakref.ref(held), readings)


def _spread(recorded: Sequence[RecordedDecision]) -> list[date]:
    """`PREPARED_DATES` dates at most, `PREPARED_APART` days apart at least, evenly from the
    first effective date to the last one (or today, if later), both included."""
    first = min(r.decision.effective_on for r in recorded)
    last = max(max(r.decision.effective_on for r in recorded), date.today())
    days = (last - first).days
    count = max(1, min(PREPARED_DATES, days // PREPARED_APART + 1))
    step = days / max(1, count - 1)
    return sorted({first + timedelta(days=round(i * step)) for i in range(count)})


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
