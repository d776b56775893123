"""The responsibility matrix: parties as rows, subjects as columns, RACI+O letters in the cells.

Every cell can be traced to the decisions (and their sources) that put each role there.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from domain.governance import GovernanceState, Holding, Party, Subject
from domain.knowledge import Known
from domain.vocabulary import Role

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
    parties.sort(key=lambda p: (p.kind.value, p.name.lower()))
    matrix = Matrix(as_of, known_at, ledger_head, parties, column_order(subjects, state.subjects))
    shown_parties = {p.id for p in parties}
    shown_subjects = {s.id for s in subjects}
    by_cell: dict[tuple[str, str], list[Holding]] = {}
    for holding in state.holdings.values():
        if holding.party in shown_parties and holding.subject in shown_subjects:
            by_cell.setdefault((holding.party, holding.subject), []).append(holding)
    for key, holdings in by_cell.items():
        holdings.sort(key=lambda h: ROLE_ORDER.index(h.role))
        matrix.cells[key] = Cell(
            party=key[0],
            subject=key[1],
            roles=tuple(h.role for h in holdings),
            since={h.role: h.since for h in holdings},
            sources={h.role: tuple(trace(knowledge, h.decisions)) for h in holdings},
        )
    return matrix


def trace(knowledge: Known, decision_ids: Iterable[UUID]) -> Iterable[Source]:
    """The decisions behind something, as their current content says."""
    for decision_id in decision_ids:
        content = knowledge.current(decision_id)
        if content is None:
            continue
        yield Source(
            decision=decision_id,
            kind=content.kind,
            effective_on=content.effective_on,
            source=content.source,
            decided_by=tuple(content.decided_by),
        )
