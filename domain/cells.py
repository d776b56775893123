"""A cell of the responsibility matrix: the roles one party holds for one subject, each since
when, and the decisions (with their sources) behind each.

`cell_of` is the one definition: the read model derives a cell whenever a party's roles for a
subject change (`ledger.timeline`), the replay from the state it folds (`projections.oracle`).
A role held for a subject above (`domain.inheritance`) joins the cell when a question is
answered, marked with the subject it comes from (`Cell.inherited`, `with_inherited`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any
from uuid import UUID

from domain.decisions import Decision
from domain.governance import Holding
from domain.vocabulary import Basis, Role

ROLE_ORDER = (Role.ACCOUNTABLE, Role.RESPONSIBLE, Role.CONSULTED, Role.INFORMED, Role.OVERSIGHT)
_RANK = {role: rank for rank, role in enumerate(ROLE_ORDER)}


@dataclass(frozen=True, slots=True)
class Source:
    """A decision behind a role, as its current content reads."""

    decision: UUID
    kind: str
    effective_on: date
    source: str
    decided_by: tuple[str, ...]
    basis: Basis = Basis.STATED

    @classmethod
    def of(cls, decision_id: UUID, content: Decision) -> Source:
        return cls(
            decision_id,
            content.kind,
            content.effective_on,
            content.source,
            tuple(content.decided_by),
            content.basis,
        )

    @property
    def inferred(self) -> bool:
        return self.basis is Basis.INFERRED

    def json(self) -> dict[str, Any]:
        """The source as the matrix lists it (by its decision's id)."""
        return {
            "kind": self.kind,
            "effective_on": self.effective_on.isoformat(),
            "source": self.source,
            "decided_by": list(self.decided_by),
            "basis": self.basis.value,
        }


@dataclass(frozen=True, slots=True)
class Cell:
    party: str
    subject: str
    roles: tuple[Role, ...]
    since: dict[Role, date]
    sources: dict[Role, tuple[Source, ...]]
    inherited: Mapping[Role, str] = field(default_factory=dict)
    """Each role held by inheritance -> the subject above it is held for."""

    @property
    def letters(self) -> str:
        """The roles' letters; an inherited one in brackets, e.g. `(A)R`."""
        return "".join(self._mark(role, role.letter) for role in self.roles)

    def _mark(self, role: Role, letter: str) -> str:
        return f"({letter})" if role in self.inherited else letter

    def inferred(self, role: Role) -> bool:
        """Whether the role rests on a decision inferred from its source (an assumption)."""
        return any(source.inferred for source in self.sources[role])

    @property
    def marked_letters(self) -> str:
        """The letters, each role that rests on an inference followed by `*`: `(A*)R`."""
        return "".join(
            self._mark(role, role.letter + ("*" if self.inferred(role) else ""))
            for role in self.roles
        )

    def json(self) -> dict[str, Any]:
        """The cell as the matrix lists it: each role refers to its decisions by id."""
        return {
            "party": self.party,
            "subject": self.subject,
            "letters": self.letters,
            "roles": [
                {
                    "role": role.value,
                    "letter": role.letter,
                    "since": self.since[role].isoformat(),
                    "basis": (Basis.INFERRED if self.inferred(role) else Basis.STATED).value,
                    "decisions": [str(s.decision) for s in self.sources[role]],
                    **({"inherited_from": self.inherited[role]} if role in self.inherited else {}),
                }
                for role in self.roles
            ],
        }

    def sources_json(self) -> dict[str, dict[str, Any]]:
        """Its decisions' sources, by decision id."""
        return {
            str(source.decision): source.json()
            for role in self.roles
            for source in self.sources[role]
        }


def cell_of(holdings: Iterable[Holding], source: Callable[[UUID], Source | None]) -> Cell:
    """The cell of the roles one party holds for one subject (`holdings`, at least one), each
    traced to its decisions' sources (`source`: None for a decision that no longer applies)."""
    ordered = sorted(holdings, key=lambda h: _RANK[h.role])
    first = ordered[0]
    return Cell(
        party=first.party,
        subject=first.subject,
        roles=tuple(h.role for h in ordered),
        since={h.role: h.since for h in ordered},
        sources={
            h.role: tuple(s for i in h.decisions if (s := source(i)) is not None) for h in ordered
        },
    )


def with_inherited(
    cell: Cell | None, party: str, subject: str, roles: Iterable[tuple[Role, str, Cell, date]]
) -> Cell:
    """The party's cell for the subject (None: it holds nothing there itself) with the roles
    it holds by inheritance: (role, the subject above, the party's cell there, the day the
    subject was registered — an inherited role holds from then at the earliest)."""
    found = cell or Cell(party, subject, (), {}, {})
    since, sources, inherited = dict(found.since), dict(found.sources), dict(found.inherited)
    for role, ancestor, above, registered_on in roles:
        since[role] = max(above.since[role], registered_on)
        sources[role] = above.sources[role]
        inherited[role] = ancestor
    ordered = tuple(sorted(since, key=lambda role: _RANK[role]))
    return replace(found, roles=ordered, since=since, sources=sources, inherited=inherited)
