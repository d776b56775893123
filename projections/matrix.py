"""The responsibility matrix: parties as rows, subjects as columns, RACI+O letters in the cells.

Every cell is traced to the decisions (and their sources) that put each role there. The cells
come ready-made — from the read model's rows, or from the replay (`projections.oracle.cells`)
— as `CellRow`s: the cell's JSON, its sources' JSON and its letters; this module picks the
rows and columns to show and puts them in order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any
from uuid import UUID

import orjson

from domain.cells import ROLE_ORDER, Cell, Source, with_inherited
from domain.governance import Party, Subject
from domain.inheritance import sources_of_roles
from domain.vocabulary import Basis, PartyKind, Role, SubjectKind

__all__ = [
    "ROLE_ORDER",
    "CellRow",
    "Matrix",
    "MatrixFilter",
    "assemble",
    "column_order",
    "inherit",
]

_ROLE_OF_LETTER = {role.letter: role for role in Role}


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


@dataclass
class CellRow:
    """A cell as stored: its JSON (the decisions of each role by id), its sources' JSON (object
    members: id -> source), its letters. (Not frozen: a matrix makes tens of thousands, and a
    frozen dataclass takes three times as long to make.)"""

    party: str
    subject: str
    letters: str
    json: str
    sources: str

    @classmethod
    def of(cls, cell: Cell) -> CellRow:
        return cls(
            cell.party,
            cell.subject,
            cell.marked_letters,
            orjson.dumps(cell.json()).decode(),
            orjson.dumps(cell.sources_json()).decode()[1:-1],
        )

    @cached_property
    def cell(self) -> Cell:
        """The cell decoded (its roles, since when, and sources)."""
        data = orjson.loads(self.json)
        sources: dict[str, Any] = orjson.loads("{" + self.sources + "}")
        roles = tuple(Role(r["role"]) for r in data["roles"])
        return Cell(
            self.party,
            self.subject,
            roles,
            {Role(r["role"]): date.fromisoformat(r["since"]) for r in data["roles"]},
            {
                Role(r["role"]): tuple(_source(i, sources[i]) for i in r["decisions"])
                for r in data["roles"]
            },
            {Role(r["role"]): r["inherited_from"] for r in data["roles"] if "inherited_from" in r},
        )

    @property
    def roles(self) -> set[Role]:
        """The roles it holds (read from its letters)."""
        return _roles_of(self.letters)


def _roles_of(letters: str) -> set[Role]:
    return {_ROLE_OF_LETTER[c] for c in set(letters) if c in _ROLE_OF_LETTER}


def inherit(cells: Iterable[CellRow], subjects: Mapping[str, Subject]) -> list[CellRow]:
    """The cells of the roles held for each subject (`cells`) with the roles held by inheritance
    down the tree of `subjects` added (`domain.inheritance`)."""
    cells = list(cells)
    parents = {s.id: s.parent for s in subjects.values()}
    if not any(parent in parents for parent in parents.values()):
        return cells  # no subject is below another
    by_subject: dict[str, list[CellRow]] = {}
    for row in cells:
        by_subject.setdefault(row.subject, []).append(row)
    held = {
        subject: _roles_of("".join(row.letters for row in rows))
        for subject, rows in by_subject.items()
    }
    added: dict[tuple[str, str], list[tuple[Role, str, Cell, date]]] = {}
    for subject, inherited in sources_of_roles(parents, held).items():
        registered_on = subjects[subject].registered_on
        for role, ancestor in inherited.items():
            for above in by_subject[ancestor]:
                if role in above.roles:
                    entry = (role, ancestor, above.cell, registered_on)
                    added.setdefault((above.party, subject), []).append(entry)
    if not added:
        return cells
    own = {(row.party, row.subject): row for row in cells}
    for (party, subject), roles in added.items():
        mine = own.get((party, subject))
        own[(party, subject)] = CellRow.of(
            with_inherited(None if mine is None else mine.cell, party, subject, roles)
        )
    return list(own.values())


def _source(decision: str, data: dict[str, Any]) -> Source:
    return Source(
        UUID(decision),
        data["kind"],
        date.fromisoformat(data["effective_on"]),
        data["source"],
        tuple(data["decided_by"]),
        Basis(data["basis"]),
    )


@dataclass
class Matrix:
    as_of: date
    known_at: datetime
    ledger_head: int
    parties: list[Party]
    subjects: list[Subject]
    cells: dict[tuple[str, str], CellRow] = field(default_factory=dict)
    gap_subjects: dict[str, list[str]] = field(default_factory=dict)
    """Subject id -> the gap rules that flag it (marked in the matrix's column)."""

    def cell(self, party: str, subject: str) -> Cell | None:
        found = self.cells.get((party, subject))
        return None if found is None else found.cell

    def letters(self, party: str, subject: str) -> str:
        found = self.cells.get((party, subject))
        return "" if found is None else found.letters


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


SUBJECT_KINDS = tuple(SubjectKind)
"""The order of the subjects' kinds in the matrix: systems, domains, control rooms, processes."""
PARTY_KINDS = tuple(PartyKind)
"""The order of the parties' kinds: the ministers, the disciplines and the korpschef who manages
the control rooms, the board, the agencies and programmes, then oversight, evaluation, audit,
parliament, suppliers and others."""


def column_order(subjects: Iterable[Subject], all_subjects: dict[str, Subject]) -> list[Subject]:
    """The subject tree, depth first: each top subject (by kind, then name) followed by the
    subjects below it, so a parent stands before its children and siblings together."""

    def path(subject: Subject) -> tuple[Subject, ...]:
        chain, seen = [subject], {subject.id}
        parent = subject.parent
        while parent is not None and parent in all_subjects and parent not in seen:
            chain.append(all_subjects[parent])
            seen.add(parent)
            parent = all_subjects[parent].parent
        return tuple(reversed(chain))

    def key(subject: Subject) -> tuple[int, tuple[tuple[str, str], ...]]:
        chain = path(subject)
        return SUBJECT_KINDS.index(chain[0].kind), tuple((s.name.lower(), s.id) for s in chain)

    return sorted(subjects, key=key)


def assemble(
    *,
    as_of: date,
    known_at: datetime,
    ledger_head: int,
    parties: Iterable[Party],
    subjects: Iterable[Subject],
    cells: Iterable[CellRow],
    gap_subjects: dict[str, list[str]],
    only: MatrixFilter | None = None,
) -> Matrix:
    """The matrix of the parties, subjects and cells in force: the parties that are active or
    hold a role, the subjects, each filtered by `only`, in order; the cells of those shown,
    with the roles held by inheritance."""
    only = only or MatrixFilter()
    all_subjects = {s.id: s for s in subjects}
    cells = inherit(cells, all_subjects)
    shown_subjects = list(all_subjects.values())
    if only.subject_kinds is not None:
        shown_subjects = [s for s in shown_subjects if s.kind.value in only.subject_kinds]
    if only.subtree is not None:
        keep = subtree(all_subjects, only.subtree)
        shown_subjects = [s for s in shown_subjects if s.id in keep]
    holding = {c.party for c in cells}
    shown_parties = [p for p in parties if p.active() or p.id in holding]
    if only.party_kinds is not None:
        shown_parties = [p for p in shown_parties if p.kind.value in only.party_kinds]
    if only.disciplines is not None:
        shown_parties = [
            p for p in shown_parties if p.discipline and p.discipline.value in only.disciplines
        ]
    shown_parties.sort(key=lambda p: (PARTY_KINDS.index(p.kind), p.name.lower(), p.id))
    party_ids = {p.id for p in shown_parties}
    subject_ids = {s.id for s in shown_subjects}
    return Matrix(
        as_of,
        known_at,
        ledger_head,
        shown_parties,
        column_order(shown_subjects, all_subjects),
        {
            (c.party, c.subject): c
            for c in cells
            if c.party in party_ids and c.subject in subject_ids
        },
        {s: rules for s, rules in gap_subjects.items() if s in subject_ids},
    )
