"""The executable definition of time travel: a plain replay of the ledger.

    state(as_of=D, known_at=K) is the fold, in order of (effective_on, position), of every
    decision recorded at or before K whose effective_on is on or before D, after applying every
    correction and retraction recorded at or before K to the decision it names.

A decision that needs consents is in force from the date of the last of them. The gap report
and the matrix of the replay are the rules of `domain.gaps` and the cells of `domain.cells`
asked of that state (`StateFacts`), "since when" found by walking each subject's history. The
read model must agree with these functions; the property tests compare them.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from uuid import UUID

from domain import decisions as d
from domain.anchoring import CONDITIONS, Anchoring, Condition, Interval
from domain.cells import Cell, Source, cell_of
from domain.gaps import Gap, Identified, Scope, Waiting, gaps_of
from domain.governance import (
    CommitmentState,
    Criteria,
    GovernanceState,
    Holding,
    Party,
    Recommendation,
    Risk,
    Subject,
)
from domain.knowledge import Knowledge
from domain.vocabulary import EARLIEST_DATE, Role
from projections.matrix import CellRow, Matrix, MatrixFilter, assemble


def known_prefix(
    recorded: Sequence[d.RecordedDecision], known_at: datetime
) -> Sequence[d.RecordedDecision]:
    """The decisions recorded at or before `known_at` (recorded_at never decreases)."""
    return recorded[: known_count(recorded, known_at)]


def known_count(recorded: Sequence[d.RecordedDecision], known_at: datetime) -> int:
    """How many decisions were recorded at or before `known_at`: the ledger position then."""
    return bisect_right(recorded, known_at, key=lambda item: item.recorded_at)


def state(
    recorded: Sequence[d.RecordedDecision], as_of: date, known_at: datetime
) -> GovernanceState:
    """The governance on `as_of`, as the ledger knew it at `known_at`."""
    return Knowledge.of(known_prefix(recorded, known_at)).state(as_of)


# --- since when: a walk through a subject's history -------------------------------------------


@dataclass
class RoleHistory:
    """How many parties were accountable and responsible for one subject, day by day."""

    days: list[tuple[date, frozenset[str], int]]
    """(day, accountable parties, number responsible) at the end of each day that changed."""

    def run_start(self, holds: Condition) -> date:
        """The first day of the unbroken run, up to now, in which `holds(accountable,
        responsible)` is true; EARLIEST_DATE if it held from before the first decision."""
        start = EARLIEST_DATE
        for on, accountable, responsible in reversed(self.days):
            if not holds(len(accountable), responsible):
                return start
            start = on
        return start if not holds(0, 0) else EARLIEST_DATE

    def accountable(self) -> dict[str, list[Interval]]:
        """Each party ever accountable -> the intervals in which it was."""
        found: dict[str, list[Interval]] = {}
        held: dict[str, date] = {}
        for on, accountable, _ in self.days:
            for party in set(held) - accountable:
                found.setdefault(party, []).append((held.pop(party), on))
            for party in accountable - set(held):
                held[party] = on
        for party, start in held.items():
            found.setdefault(party, []).append((start, None))
        return found


@dataclass
class ReplayedAnchoring:
    """Since when a subject's responsibilities have been unanchored, up to `as_of`, found by
    folding the decisions about its responsibilities day by day (the definition)."""

    knowledge: Knowledge
    as_of: date
    _histories: dict[str, RoleHistory] = field(default_factory=dict, repr=False)

    def since(self, subject: str, condition: str) -> date:
        return self.history(subject).run_start(CONDITIONS[condition])

    def history(self, subject: str) -> RoleHistory:
        found = self._histories.get(subject)
        if found is not None:
            return found
        ids = self.knowledge.about.get(("responsibilities", subject), [])
        items = sorted(
            self.knowledge.in_force_until(ids, self.as_of),
            key=lambda i: (i.in_force_on, i.position),
        )
        folded = GovernanceState()
        holders: dict[Role, set[str]] = {Role.ACCOUNTABLE: set(), Role.RESPONSIBLE: set()}
        days: list[tuple[date, frozenset[str], int]] = []
        for index, item in enumerate(items):
            content = item.decision
            if getattr(content, "subject", None) == subject:  # (a correction may move it)
                gains, loses = _role_changes(content)
                anomalies = len(folded.anomalies)
                folded.apply(item)
                if len(folded.anomalies) == anomalies:  # it fitted
                    for party, role in loses:
                        holders.get(role, set()).discard(party)
                    for party, role in gains:
                        holders.get(role, set()).add(party)
            last_of_day = (
                index + 1 == len(items) or items[index + 1].in_force_on != item.in_force_on
            )
            now = (frozenset(holders[Role.ACCOUNTABLE]), len(holders[Role.RESPONSIBLE]))
            if last_of_day and (not days or days[-1][1:] != now):
                days.append((item.in_force_on, *now))
        self._histories[subject] = history = RoleHistory(days)
        return history


def _role_changes(
    content: d.Decision,
) -> tuple[list[tuple[str, Role]], list[tuple[str, Role]]]:
    """The (party, role) pairs a responsibility decision adds and removes, if it fits."""
    if isinstance(content, d.ResponsibilityAssignment):
        return [(content.party, content.role)], []
    if isinstance(content, d.ResponsibilityRelief):
        return [], [(content.party, content.role)]
    if isinstance(content, d.ResponsibilityTransfer):
        return [(content.to_party, content.role)], [(content.from_party, content.role)]
    return [], []


# --- the rules asked of a folded state --------------------------------------------------------


class StateFacts:
    """`domain.gaps.Facts` of a state folded up to `as_of` from `knowledge`."""

    def __init__(self, state: GovernanceState, knowledge: Knowledge, as_of: date) -> None:
        self.state, self.knowledge, self.as_of = state, knowledge, as_of
        self.anchorings = ReplayedAnchoring(knowledge, as_of)

    def reached(self, day: date) -> bool:
        return self.as_of >= day

    @property
    def on(self) -> date:
        return self.as_of

    def subject(self, subject: str) -> Subject | None:
        return self.state.subjects.get(subject)

    def party(self, party: str) -> Party | None:
        return self.state.parties.get(party)

    def risk(self, risk: str) -> Risk | None:
        return self.state.risks.get(risk)

    def criteria(self, criteria: str) -> Criteria | None:
        return self.state.criteria.get(criteria)

    def recommendation(self, recommendation: str) -> Recommendation | None:
        return self.state.recommendations.get(recommendation)

    def commitment(self, commitment: str) -> CommitmentState | None:
        return self.state.commitments.get(commitment)

    def holding(self, party: str, subject: str, role: Role) -> Holding | None:
        return self.state.holdings.get((party, subject, role))

    def anchoring(self, subject: str) -> Anchoring | None:
        held = [h for h in self.state.holdings.values() if h.subject == subject]
        accountable = sum(1 for h in held if h.role is Role.ACCOUNTABLE)
        responsible = sum(1 for h in held if h.role is Role.RESPONSIBLE)
        since = {
            name: self.anchorings.since(subject, name)
            for name, holds in CONDITIONS.items()
            if holds(accountable, responsible)
        }
        return Anchoring(accountable, responsible, since)

    def accountable(self, subject: str) -> list[Holding]:
        found = [
            h
            for h in self.state.holdings.values()
            if h.subject == subject and h.role is Role.ACCOUNTABLE
        ]
        return sorted(found, key=lambda h: h.party)

    def holdings_of(self, party: str) -> list[Holding]:
        found = [h for h in self.state.holdings.values() if h.party == party]
        return sorted(found, key=lambda h: (h.subject, h.role.value))

    def risks_on(self, system: str) -> list[Identified]:
        return [Identified.of(r) for r in self.state.risks.values() if r.system == system]

    def covered(self, subject: str) -> bool:
        return any(subject in c.scope for c in self.state.criteria.values())

    def anchored(self, subject: str) -> Sequence[Interval]:
        return [i for held in self.anchorings.history(subject).accountable().values() for i in held]

    def accountable_intervals(self, party: str, subject: str) -> Sequence[Interval]:
        return self.anchorings.history(subject).accountable().get(party, [])

    def waiting(self, decision: UUID) -> Waiting | None:
        return Waiting.of(self.knowledge, decision)

    def consents(self, decision: UUID) -> Mapping[str, date]:
        return self.state.consents.get(decision, {})


def scopes(state: GovernanceState, knowledge: Knowledge) -> list[Scope]:
    """Every scope of gap rules a state and its knowledge hold."""
    found: list[Scope] = [("subject", s) for s in state.subjects]
    found += [("party", p.id) for p in state.parties.values() if p.dissolved_on is not None]
    found += [("risk", r) for r in state.risks]
    found += [("system", s) for s in sorted({r.system for r in state.risks.values()})]
    found += [("recommendation", r) for r in state.recommendations]
    found += [("commitment", c) for c in state.commitments]
    found += [
        ("consent", str(item.id))
        for item in knowledge.recorded
        if (content := knowledge.current(item.id)) is not None and content.requires_consent_of
    ]
    return found


def find_gaps(state: GovernanceState, knowledge: Knowledge, as_of: date) -> list[Gap]:
    """Every gap of a state folded up to `as_of` from `knowledge`, in the report's order."""
    return gaps_of(StateFacts(state, knowledge, as_of), scopes(state, knowledge))


def gaps(recorded: Sequence[d.RecordedDecision], as_of: date, known_at: datetime) -> list[Gap]:
    """The gap report on `as_of`, as known at `known_at`."""
    knowledge = Knowledge.of(known_prefix(recorded, known_at))
    return find_gaps(knowledge.state(as_of), knowledge, as_of)


def cells(state: GovernanceState, knowledge: Knowledge) -> list[Cell]:
    """Every cell of the matrix of a state: the roles each party holds for each subject."""
    by_cell: dict[tuple[str, str], list[Holding]] = {}
    for holding in state.holdings.values():
        by_cell.setdefault((holding.party, holding.subject), []).append(holding)
    source = partial(_source, knowledge)
    return [cell_of(held, source) for held in by_cell.values()]


def matrix(
    state: GovernanceState,
    knowledge: Knowledge,
    moment: tuple[date, datetime],
    only: MatrixFilter | None = None,
) -> Matrix:
    """The matrix of a state folded up to as_of from the knowledge at known_at."""
    as_of, known_at = moment
    gap_subjects: dict[str, list[str]] = {}
    for gap in find_gaps(state, knowledge, as_of):
        if gap.about == "subject":
            gap_subjects.setdefault(gap.id, []).append(gap.rule)
    return assemble(
        as_of=as_of,
        known_at=known_at,
        ledger_head=knowledge.head,
        parties=state.parties.values(),
        subjects=state.subjects.values(),
        cells=map(CellRow.of, cells(state, knowledge)),
        gap_subjects=gap_subjects,
        only=only,
    )


def held(state: GovernanceState) -> dict[tuple[str, str, Role], str | None]:
    """Every role held on the state's date, down the subject tree as `domain.inheritance`
    defines it, walked plainly: (party, subject, role) -> None if decided for the subject
    itself, else the subject above it that it is held for."""
    found: dict[tuple[str, str, Role], str | None] = {
        (h.party, h.subject, h.role): None for h in state.holdings.values()
    }
    for subject in state.subjects.values():
        for role in Role:
            if any(h.subject == subject.id and h.role is role for h in state.holdings.values()):
                continue
            seen, above = {subject.id}, subject.parent
            while above is not None and above in state.subjects and above not in seen:
                holders = [
                    h.party
                    for h in state.holdings.values()
                    if h.subject == above and h.role is role
                ]
                for party in holders:
                    found[(party, subject.id, role)] = above
                if holders:
                    break
                seen.add(above)
                above = state.subjects[above].parent
    return found


def _source(knowledge: Knowledge, decision_id: UUID) -> Source | None:
    content = knowledge.current(decision_id)
    return None if content is None else Source.of(decision_id, content)
