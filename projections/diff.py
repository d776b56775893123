"""What changed in the matrix between two moments: roles added, removed and changed, each with
the decisions and sources that caused it. The two moments differ in `as_of`, in `known_at`, or
in both."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from domain import decisions as d
from domain.cells import Source
from domain.knowledge import Knowledge
from domain.vocabulary import Role
from ledger.known import clusters
from ledger.projector import micros_of
from ledger.service import Ledger
from ledger.tables import Tables
from projections.answers import Moment, Question
from projections.matrix import Matrix, MatrixFilter

Causes = Callable[[Matrix, Matrix, str, str, Role], list[Source]]
"""(before, after, party, subject, role) -> what removed the role."""


@dataclass(frozen=True)
class CellChange:
    party: str
    subject: str
    change: str
    """'added', 'removed' or 'changed'."""
    before: str
    after: str
    added: tuple[Role, ...]
    removed: tuple[Role, ...]
    causes: tuple[Source, ...]


def diff_matrices(before: Matrix, after: Matrix, removal_causes: Causes) -> list[CellChange]:
    """Compare two matrices cell by cell; explain each change by the decisions behind it (an
    added role by its own, a removed one by `removal_causes`)."""
    changes = []
    for key in sorted(set(before.cells) | set(after.cells)):
        old, new = before.cells.get(key), after.cells.get(key)
        if old is not None and new is not None and old.letters == new.letters:
            continue
        old_roles = set(old.cell.roles) if old else set()
        new_roles = set(new.cell.roles) if new else set()
        added = tuple(r for r in Role if r in new_roles - old_roles)
        removed = tuple(r for r in Role if r in old_roles - new_roles)
        causes: list[Source] = []
        for role in added:
            assert new is not None
            causes.extend(new.cell.sources[role])
        for role in removed:
            causes.extend(removal_causes(before, after, key[0], key[1], role))
        kind = "added" if not old_roles else "removed" if not new_roles else "changed"
        changes.append(
            CellChange(
                party=key[0],
                subject=key[1],
                change=kind,
                before=old.letters if old else "",
                after=new.letters if new else "",
                added=added,
                removed=removed,
                causes=tuple(dict.fromkeys(causes)),
            )
        )
    return changes


def matrix_diff(
    ledger: Ledger, before: Moment, after: Moment, only: MatrixFilter | None = None
) -> tuple[Matrix, Matrix, list[CellChange]]:
    """Both matrices and what changed from the first to the second."""
    with ledger.reading() as tables:
        return diff_in(tables, before, after, only)


def diff_in(
    tables: Tables, before: Moment, after: Moment, only: MatrixFilter | None = None
) -> tuple[Matrix, Matrix, list[CellChange]]:
    """The same, inside a reading of the tables."""
    first = Question(tables, before)
    second = Question(tables, after, head=first.head)
    m1, m2 = first.matrix(only), second.matrix(only)
    position = max(first.position, second.position)
    return m1, m2, diff_matrices(m1, m2, _StoredCauses(tables, position).of)


class _StoredCauses:
    """What removed a role, as known at `position`: reliefs and transfers that took effect in
    between (for the subject above, if the role was inherited), and corrections or retractions
    recorded in between that touched the decisions which had granted the role."""

    def __init__(self, tables: Tables, position: int) -> None:
        self.tables, self.position = tables, position
        self.removals: dict[str, tuple[list[d.RecordedDecision], Knowledge]] = {}
        """A subject's reliefs and transfers, resolved (read once however many roles went)."""
        self.corrected: set[str] | None = None
        """The decisions a correction corrects (read once)."""

    def of(
        self, before: Matrix, after: Matrix, party: str, subject: str, role: Role
    ) -> list[Source]:
        low, high = sorted((before.as_of, after.as_of))
        cell = before.cell(party, subject)
        held_for = subject if cell is None else cell.inherited.get(role, subject)
        if held_for not in self.removals:
            items = self._removals(held_for, low, high)
            known = clusters(self.tables, [i.id for i in items], self.position)
            self.removals[held_for] = (items, known)
        items, known = self.removals[held_for]
        found: list[tuple[d.RecordedDecision, d.Decision | None]] = []
        for item in items:
            content = known.current(item.id)
            if content is not None and _removes(content, party, role, low, high):
                found.append((item, content))
        granted = {str(s.decision) for s in cell.sources.get(role, ())} if cell else set()
        first, last = sorted((micros_of(before.known_at), micros_of(after.known_at)))
        if granted and first < last:  # (as known at one moment, nothing was put right between)
            put_right = self._put_right_between(granted, first, last)
            resolved = clusters(self.tables, [i.id for i in put_right], self.position)
            found += [(item, resolved.current(item.id)) for item in put_right]
        sources: list[Source] = []
        for item, content in found:
            if content is not None:
                sources.append(Source.of(item.id, content))
            else:
                decision = item.decision
                sources.append(
                    Source(
                        item.id,
                        item.kind,
                        decision.effective_on,
                        decision.source,
                        tuple(decision.decided_by),
                        decision.basis,
                    )
                )
        return sources

    def _removals(self, subject: str, low: date, high: date) -> list[d.RecordedDecision]:
        """The subject's reliefs and transfers that may have taken effect after `low` up to
        `high`: dated so, or corrected (a correction may have moved them there)."""
        if self.corrected is None:
            self.corrected = {
                row[0]
                for row in self.tables.all(
                    "SELECT DISTINCT root FROM {p}ledger_decisions"
                    " WHERE kind = 'decision.corrected' AND position <= ?",
                    (self.position,),
                )
            }
        found = self.tables.all(
            "SELECT x.id, x.effective_on, x.payload FROM {p}ledger_about a"
            " JOIN {p}ledger_decisions x ON x.position = a.position"
            " WHERE a.grp = ? AND a.position <= ?"
            " AND x.kind IN ('responsibility.relieved', 'responsibility.transferred')"
            " ORDER BY a.position",
            (f"responsibilities:{subject}", self.position),
        )
        return [
            d.RecordedDecision.model_validate_json(payload)
            for decision_id, day, payload in found
            if low.toordinal() < day <= high.toordinal() or decision_id in self.corrected
        ]

    def _put_right_between(
        self, granted: set[str], first: int, last: int
    ) -> list[d.RecordedDecision]:
        marks = ",".join("?" * len(granted))
        found = self.tables.all(
            "SELECT payload FROM {p}ledger_decisions"  # noqa: S608
            " WHERE kind IN ('decision.corrected', 'decision.retracted')"
            " AND recorded_us > ? AND recorded_us <= ? AND position <= ?"
            f" AND (target IN ({marks}) OR root IN ({marks}) OR target IN"
            f" (SELECT id FROM {{p}}ledger_decisions WHERE root IN ({marks})))"
            " ORDER BY position",
            (first, last, self.position, *granted, *granted, *granted),
        )
        return [d.RecordedDecision.model_validate_json(row[0]) for row in found]


def _removes(content: d.Decision, party: str, role: Role, low: date, high: date) -> bool:
    if not low < content.effective_on <= high:
        return False
    if isinstance(content, d.ResponsibilityRelief):
        return (content.party, content.role) == (party, role)
    if isinstance(content, d.ResponsibilityTransfer):
        return (content.from_party, content.role) == (party, role)
    return False
