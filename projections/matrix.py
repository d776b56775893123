"""The responsibility matrix: parties as rows, subjects as columns, RACI+O letters in the cells.

Every cell can be traced to the decisions (and their sources) that put each role there.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Set
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple
from uuid import UUID

import numpy as np

from domain.decisions import Decision, DecisionCorrection, DecisionRetraction, RecordedDecision
from domain.governance import GovernanceState, Holding, Party, Subject
from domain.knowledge import Known
from domain.vocabulary import Role
from projections.kept import Kept
from projections.resident import HoldingColumns

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


@dataclass(frozen=True, slots=True)
class Source:
    decision: UUID
    kind: str
    effective_on: date
    source: str
    decided_by: tuple[str, ...]


@dataclass(frozen=True, slots=True)
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
    held: HoldingColumns | None = None,
) -> Matrix:
    """The matrix of a state, with every cell traced to its decisions.

    `held` are the state's holdings as the read model hands them out, with their codes and a
    memo beside them (what is derived from one holding is then derived once for every matrix
    that holding is in, and the cells are grouped by codes, without reading each holding);
    by default, the state's holdings are traced afresh."""
    only = only or MatrixFilter()
    subjects = list(state.subjects.values())
    if only.subject_kinds is not None:
        subjects = [s for s in subjects if s.kind.value in only.subject_kinds]
    if only.subtree is not None:
        keep = subtree(state.subjects, only.subtree)
        subjects = [s for s in subjects if s.id in keep]
    if held is None:
        holding_parties = {h.party for h in state.holdings.values()}
    else:
        holding_parties = set(map(held.parties.__getitem__, np.unique(held.party).tolist()))
    parties = [p for p in state.parties.values() if p.active() or p.id in holding_parties]
    if only.party_kinds is not None:
        parties = [p for p in parties if p.kind.value in only.party_kinds]
    if only.disciplines is not None:
        parties = [p for p in parties if p.discipline and p.discipline.value in only.disciplines]
    parties.sort(key=lambda p: (p.kind.value, p.name.lower(), p.id))
    matrix = Matrix(as_of, known_at, ledger_head, parties, column_order(subjects, state.subjects))
    shown_parties, shown_subjects = {p.id for p in parties}, {s.id for s in subjects}
    if held is None:
        _fill_cells(matrix.cells, state.holdings.values(), knowledge, shown_parties, shown_subjects)
    else:
        _fill_cells_by_codes(matrix.cells, held, knowledge, shown_parties, shown_subjects)
    return matrix


def _fill_cells(
    cells: dict[tuple[str, str], Cell],
    holdings: Iterable[Holding],
    knowledge: Known,
    shown_parties: set[str],
    shown_subjects: set[str],
) -> None:
    """The cells of the shown parties and subjects: a party's roles for a subject, each with
    its since and traced sources (the definition; see `_fill_cells_by_codes`)."""
    whole = knowledge.whole
    ref = weakref.ref(whole)
    shown = [
        Contribution.of(ref, whole, h)
        for h in holdings
        if h.party in shown_parties and h.subject in shown_subjects
    ]
    by_cell: dict[tuple[str, str], list[Contribution]] = {}
    for role in shown:
        by_cell.setdefault(role.key, []).append(role)
    several = {key: roles for key, roles in by_cell.items() if len(roles) > 1}
    for key, roles in by_cell.items():
        if key in several:
            roles.sort(key=_role_rank)
            cells[key] = _cell_of_several(key, roles, knowledge)
        else:
            cells[key] = roles[0].cell
    _read_as_cut(cells, shown, several.keys(), knowledge)


def _fill_cells_by_codes(
    cells: dict[tuple[str, str], Cell],
    held: HoldingColumns,
    knowledge: Known,
    shown_parties: set[str],
    shown_subjects: set[str],
) -> None:
    """`_fill_cells` (the same cells), from the read model's holdings: what one holding
    contributes is derived once per reading of the decisions (`Known.readings`: a whole
    knowledge, and every later one to which decisions were only added) and kept in the memo
    beside its row (see `Contribution`), so the usual cell (one role) is found without
    looking into the holding again, and the shown cells and those of parties holding several
    roles for a subject are found from the holdings' codes. A cell is traced anew only for a
    cut of the knowledge in which a decision behind it reads otherwise than both as recorded
    and as now."""
    whole = knowledge.whole
    ref = weakref.ref(whole)
    token = whole.readings  # (contributions stay right while every decision reads the same)
    memo = held.memo(Contribution, token)
    memo.make(held.at, lambda i: Contribution.of(ref, whole, held.values[i]))
    contribution = memo.values.__getitem__
    # the one-role cells, and which contributions were ever put right, kept beside them: the
    # contributions themselves are read only for the cells of several roles, and in a cut
    one_role = held.memo(Cell, token).at(held.at, lambda i: contribution(held.at[i]).cell)
    changed = held.memo(_changed, token, np.bool_).at(
        held.at, lambda i: _changed(contribution(held.at[i]))
    )
    rows = held.at
    party_shown = np.fromiter(map(shown_parties.__contains__, held.parties), np.bool_)
    subject_shown = np.fromiter(map(shown_subjects.__contains__, held.subjects), np.bool_)
    shown_at = party_shown[held.party] & subject_shown[held.subject]
    party, subject, role_codes = held.party, held.subject, held.role
    if not shown_at.all():
        at = np.flatnonzero(shown_at)
        rows, one_role, changed = rows[at], one_role[at], changed[at]
        keys = held.cell_keys[at].tolist()
        party, subject, role_codes = party[at], subject[at], role_codes[at]
    else:
        keys = held.cell_keys.tolist()
    contributions = memo.values
    before = len(cells)
    cells.update(zip(keys, one_role.tolist(), strict=True))
    several: set[tuple[str, str]] = set()
    if len(cells) - before < len(keys):  # some party holds several roles for a subject
        # the cells held more than once, counted in one pass (a cell as one dense int), then
        # only their holdings sorted: by cell, each cell's roles in order
        dense = party.astype(np.int64) * len(held.subjects) + subject
        together = np.flatnonzero(np.bincount(dense)[dense] > 1)
        members = together[np.lexsort((role_codes[together], dense[together]))]
        starts = np.flatnonzero(np.diff(dense[members], prepend=-1)).tolist()
        member_keys = [keys[i] for i in members[starts].tolist()]
        member_rows, member_changed = rows[members].tolist(), changed[members].tolist()
        cell_of = held.memo(Cell, token).together  # (beside the one-role cells)
        for key, start, end in zip(member_keys, starts, [*starts[1:], len(members)], strict=True):
            group = tuple(member_rows[start:end])
            several.add(key)
            # a cell none of whose roles was ever put right reads the same in every cut: kept
            # by its rows (the others are traced in the cut)
            if knowledge is whole or not any(member_changed[start:end]):
                cell = cell_of.get(group)
                if cell is None:
                    cell = cell_of[group] = _cell_of_several(
                        key, contributions[list(group)].tolist(), whole
                    )
            else:
                cell = _cell_of_several(key, contributions[list(group)].tolist(), knowledge)
            cells[key] = cell
    if knowledge is not whole:
        put_right = contributions[rows[changed]].tolist()
        _read_as_cut(cells, put_right, several, knowledge)


def _changed(role: Contribution) -> bool:
    """Whether a decision behind the role was ever corrected or retracted."""
    return role.first_change is not None


def _read_as_cut(
    cells: dict[tuple[str, str], Cell],
    shown: list[Contribution],
    several: Set[tuple[str, str]],
    knowledge: Known,
) -> None:
    """In a cut of the knowledge, a one-role cell whose decisions were put right reads as
    then."""
    if knowledge is not knowledge.whole:
        for role in [role for role in shown if role.first_change is not None]:
            if role.key not in several:
                cells[role.key] = role.cell_in(knowledge)


class Contribution(NamedTuple):
    """What one holding contributes to any matrix built from a whole knowledge or a cut of it.

    Made once per holding and reading of the decisions (`Known.readings`); immutable, so it
    can be kept beside a row and shared by concurrent questions."""

    whole: weakref.ref[Known]
    """The whole knowledge it was made from (weakly): every whole knowledge with the same
    `readings` reads its decisions the same."""
    key: tuple[str, str]
    """The cell's (party, subject)."""
    holding: Holding
    cell: Cell
    """The cell if the party holds only this role for the subject, as `whole` reads it."""
    sources: tuple[Source, ...]
    """The role's sources, as `whole` reads them."""
    first_change: int | None
    """The first position at which one of its decisions was corrected or retracted; None if
    none ever was (then every cut of `whole` that knows the role reads it the same)."""
    known_from: int
    """The position from which all its decisions are known."""
    as_recorded: tuple[Cell, tuple[Source, ...]]
    """The cell and sources as its decisions were recorded: how every cut from `known_from`
    up to `first_change` reads them."""
    last_change: int
    """The last position at which one of its decisions was corrected or retracted (or such a
    correction retracted): every cut from there on reads them as `whole` does. A cut between
    `first_change` and `last_change` is traced as it reads them."""

    @classmethod
    def of(cls, ref: weakref.ref[Known], whole: Known, holding: Holding) -> Contribution:
        key = (holding.party, holding.subject)
        sources = tuple(trace(whole, holding.decisions))
        cell = _cell(key, [(holding, sources)])
        changes = _changes(whole, holding.decisions)
        if changes == []:
            return cls(ref, key, holding, cell, sources, None, 0, (cell, sources), 0)
        if changes is None:  # (never read as recorded nor as now: always traced)
            return cls(ref, key, holding, cell, sources, 0, 1, (cell, sources), _NEVER)
        items = [whole.by_id[i] for i in holding.decisions]
        recorded = tuple(
            source
            for item in items
            if (source := _PLAIN_SOURCES.get(item, _source_as_recorded)) is not None
        )
        known_from = max(item.position for item in items)
        as_recorded = (_cell(key, [(holding, recorded)]), recorded)
        return cls(
            ref, key, holding, cell, sources, min(changes), known_from, as_recorded, max(changes)
        )

    def reads_as(self, knowledge: Known) -> int:
        """How `knowledge` (the whole one or a cut of it) reads the role's decisions: 0 as
        `whole` does, 1 as recorded, 2 otherwise (to be traced)."""
        if self.first_change is None or knowledge is self.whole():
            return 0
        position = knowledge.head
        if position >= self.last_change:
            return 0
        return 1 if self.known_from <= position < self.first_change else 2

    def sources_in(self, knowledge: Known) -> tuple[Source, ...]:
        """The role's sources as `knowledge` reads them."""
        reading = self.reads_as(knowledge)
        if reading == 2:
            return tuple(trace(knowledge, self.holding.decisions))
        return self.sources if reading == 0 else self.as_recorded[1]

    def cell_in(self, knowledge: Known) -> Cell:
        """The one-role cell as `knowledge` reads it."""
        reading = self.reads_as(knowledge)
        if reading == 2:
            return _cell(self.key, [(self.holding, self.sources_in(knowledge))])
        return self.cell if reading == 0 else self.as_recorded[0]


_NEVER = 2**62
"""A position no ledger reaches."""


def _cell_of_several(key: tuple[str, str], together: list[Contribution], knowledge: Known) -> Cell:
    """The cell of a party holding several roles (in `ROLE_ORDER`) for a subject, as
    `knowledge` reads them."""
    if any(role.reads_as(knowledge) != 0 for role in together):
        return _cell(key, [(role.holding, role.sources_in(knowledge)) for role in together])
    return _cell(key, [(role.holding, role.sources) for role in together])


_RANK = {role: rank for rank, role in enumerate(ROLE_ORDER)}


def _role_rank(role: Contribution) -> int:
    return _RANK[role.holding.role]


def _cell(key: tuple[str, str], roles: list[tuple[Holding, tuple[Source, ...]]]) -> Cell:
    """A party's roles for a subject (in `ROLE_ORDER`), with their sources."""
    return Cell(
        party=key[0],
        subject=key[1],
        roles=tuple(holding.role for holding, _ in roles),
        since={holding.role: holding.since for holding, _ in roles},
        sources={holding.role: sources for holding, sources in roles},
    )


def _changes(whole: Known, decision_ids: Iterable[UUID]) -> list[int] | None:
    """The positions at which the reading of the decisions changed: their corrections and
    retractions, and the retractions of those corrections (None if one of the decisions is
    not known at all, so no cut reads it as recorded)."""
    positions: list[int] = []
    for decision_id in decision_ids:
        if decision_id not in whole.by_id:
            return None
        for meta in (*whole.corrections.get(decision_id, ()), decision_id):
            if meta != decision_id:
                positions.append(whole.by_id[meta].position)
            retraction = whole.retracted_by.get(meta)
            if retraction is not None:
                positions.append(whole.by_id[retraction].position)
    return positions


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
