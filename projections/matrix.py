"""The responsibility matrix: parties as rows, subjects as columns, RACI+O letters in the cells.

Every cell can be traced to the decisions (and their sources) that put each role there.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from uuid import UUID

from domain.decisions import Decision, DecisionCorrection, DecisionRetraction, RecordedDecision
from domain.governance import GovernanceState, Holding, Party, Subject
from domain.knowledge import Known
from domain.vocabulary import Role
from projections.kept import Kept

ROLE_ORDER = (Role.ACCOUNTABLE, Role.RESPONSIBLE, Role.CONSULTED, Role.INFORMED, Role.OVERSIGHT)


@dataclass(frozen=True)
class MatrixFilter:
    """Which rows and columns to show (None means all)."""

    subject_kinds: frozenset[str] | None = None
    subtree: str | None = None
    disciplines: frozenset[str] | None = None
    party_kinds: frozenset[str] | None = None

    @classmethod
    def of(
        cls,
        subject_kinds: Iterable[str] | None = None,
        subtree: str | None = None,
        disciplines: Iterable[str] | None = None,
        party_kinds: Iterable[str] | None = None,
    ) -> MatrixFilter:
        """A filter from optional lists (an empty or missing list means all)."""

        def chosen(values: Iterable[str] | None) -> frozenset[str] | None:
            return frozenset(values) if values else None

        return cls(chosen(subject_kinds), subtree, chosen(disciplines), chosen(party_kinds))


@dataclass(frozen=True)
class Source:
    decision: UUID
    kind: str
    effective_on: date
    source: str
    decided_by: tuple[str, ...]


@dataclass(frozen=True)
class Cell:
    party: str
    subject: str
    roles: tuple[Role, ...]
    since: dict[Role, date]
    sources: dict[Role, tuple[Source, ...]]

    @property
    def letters(self) -> str:
        return "".join(role.letter for role in self.roles)


@dataclass
class Matrix:
    as_of: date
    known_at: datetime
    ledger_head: int
    parties: list[Party]
    subjects: list[Subject]
    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)
    gap_subjects: dict[str, list[str]] = field(default_factory=dict)
    """Subject id -> the gap rules that flag it (marked in the matrix's column)."""

    def cell(self, party: str, subject: str) -> Cell | None:
        return self.cells.get((party, subject))


def subtree(subjects: dict[str, Subject], root: str) -> set[str]:
    """A subject and every subject below it."""
    children: dict[str | None, list[str]] = {}
    for subject in subjects.values():
        children.setdefault(subject.parent, []).append(subject.id)
    found, todo = set(), [root]
    while todo:
        current = todo.pop()
        if current in found:
            continue
        found.add(current)
        todo.extend(children.get(current, []))
    return found


def column_order(subjects: Iterable[Subject], all_subjects: dict[str, Subject]) -> list[Subject]:
    """Group columns by kind, then by parent path, so siblings stand together."""

    def path(subject: Subject) -> tuple[str, ...]:
        chain, seen = [subject.id], {subject.id}
        parent = subject.parent
        while parent is not None and parent in all_subjects and parent not in seen:
            chain.append(parent)
            seen.add(parent)
            parent = all_subjects[parent].parent
        return tuple(reversed(chain))

    return sorted(subjects, key=lambda s: (s.kind.value, path(s)))


def build_matrix(
    state: GovernanceState,
    knowledge: Known,
    *,
    as_of: date,
    known_at: datetime,
    ledger_head: int,
    only: MatrixFilter | None = None,
) -> Matrix:
    """The matrix of a state, with every cell traced to its decisions."""
    only = only or MatrixFilter()
    subjects = list(state.subjects.values())
    if only.subject_kinds is not None:
        subjects = [s for s in subjects if s.kind.value in only.subject_kinds]
    if only.subtree is not None:
        keep = subtree(state.subjects, only.subtree)
        subjects = [s for s in subjects if s.id in keep]
    holding_parties = {h.party for h in state.holdings.values()}
    parties = [p for p in state.parties.values() if p.active() or p.id in holding_parties]
    if only.party_kinds is not None:
        parties = [p for p in parties if p.kind.value in only.party_kinds]
    if only.disciplines is not None:
        parties = [p for p in parties if p.discipline and p.discipline.value in only.disciplines]
    parties.sort(key=lambda p: (p.kind.value, p.name.lower(), p.id))
    matrix = Matrix(as_of, known_at, ledger_head, parties, column_order(subjects, state.subjects))
    shown_parties = {p.id for p in parties}
    shown_subjects = {s.id for s in subjects}
    by_cell: dict[tuple[str, str], Holding | list[Holding]] = {}
    for holding in state.holdings.values():
        if holding.party in shown_parties and holding.subject in shown_subjects:
            key = (holding.party, holding.subject)
            found = by_cell.get(key)
            if found is None:
                by_cell[key] = holding
            elif isinstance(found, list):
                found.append(holding)
            else:
                by_cell[key] = [found, holding]
    cells = matrix.cells
    whole = knowledge.whole
    one = partial(_cell_of_one, whole)
    for key, held in by_cell.items():
        if not isinstance(held, list):
            found_cell = _CELLS.get(held, one, context=whole)
            if found_cell is not None:
                cells[key] = found_cell
                continue
            held = [held]
        held.sort(key=_role_rank)
        cells[key] = Cell(
            party=key[0],
            subject=key[1],
            roles=tuple(h.role for h in held),
            since={h.role: h.since for h in held},
            sources={h.role: tuple(trace(knowledge, h.decisions)) for h in held},
        )
    return matrix


_RANK = {role: rank for rank, role in enumerate(ROLE_ORDER)}


def _role_rank(holding: Holding) -> int:
    return _RANK[holding.role]


def _cell_of_one(whole: Known, holding: Holding) -> Cell | None:
    """The cell of a party holding one role for a subject, if none of the decisions behind
    it was ever corrected or retracted (so their sources are the same wherever in `whole`
    they are known); None if one was (it must be traced at the moment asked about)."""
    if any(whole.plain(i) is None for i in holding.decisions):
        return None
    return Cell(
        party=holding.party,
        subject=holding.subject,
        roles=(holding.role,),
        since={holding.role: holding.since},
        sources={holding.role: tuple(trace(whole, holding.decisions))},
    )


_CELLS = Kept[Cell | None]()


def trace(knowledge: Known, decision_ids: Iterable[UUID]) -> Iterable[Source]:
    """The decisions behind something, as their current content says."""
    for decision_id in decision_ids:
        item = knowledge.plain(decision_id)
        if item is not None:  # the usual case: its own content (the source is kept)
            source = _PLAIN_SOURCES.get(item, _source_as_recorded)
        else:
            content = knowledge.current(decision_id)
            source = None if content is None else _source(decision_id, content)
        if source is not None:
            yield source


def _source_as_recorded(item: RecordedDecision) -> Source | None:
    if isinstance(item.decision, DecisionCorrection | DecisionRetraction):
        return None  # (what they change is traced through the decision they name)
    return _source(item.id, item.decision)


def _source(decision_id: UUID, content: Decision) -> Source:
    return Source(
        decision=decision_id,
        kind=content.kind,
        effective_on=content.effective_on,
        source=content.source,
        decided_by=tuple(content.decided_by),
    )


_PLAIN_SOURCES = Kept[Source | None]()
"""The source of a decision never corrected nor retracted, by the recorded decision (which
never changes)."""
