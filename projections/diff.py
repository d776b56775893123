"""What changed in the matrix between two moments: roles added, removed and changed, each with
the decisions and sources that caused it. The two moments differ in `as_of`, in `known_at`, or
in both."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain import decisions as d
from domain.knowledge import Known
from domain.vocabulary import Role
from projections.matrix import Matrix, Source, trace


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


def diff_matrices(before: Matrix, after: Matrix, knowledge_after: Known) -> list[CellChange]:
    """Compare two matrices cell by cell; explain each change by the decisions behind it."""
    changes = []
    for key in sorted(set(before.cells) | set(after.cells)):
        old, new = before.cells.get(key), after.cells.get(key)
        old_roles = set(old.roles) if old else set()
        new_roles = set(new.roles) if new else set()
        if old_roles == new_roles:
            continue
        added = tuple(r for r in Role if r in new_roles - old_roles)
        removed = tuple(r for r in Role if r in old_roles - new_roles)
        causes: list[Source] = []
        for role in added:
            assert new is not None
            causes.extend(new.sources[role])
        for role in removed:
            causes.extend(_removal_causes(knowledge_after, before, after, key[0], key[1], role))
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


def _removal_causes(
    knowledge: Known, before: Matrix, after: Matrix, party: str, subject: str, role: Role
) -> list[Source]:
    """Reliefs and transfers that took effect in between, and corrections or retractions
    recorded in between that touched the decisions which had granted the role."""
    low, high = sorted((before.as_of, after.as_of))
    ids: list[UUID] = []
    for decision_id in knowledge.about.get(("responsibilities", subject), []):
        content = knowledge.current(decision_id)
        if content is None or not low < content.effective_on <= high:
            continue
        if isinstance(content, d.ResponsibilityRelief) and (content.party, content.role) == (
            party,
            role,
        ):
            ids.append(decision_id)
        if isinstance(content, d.ResponsibilityTransfer) and (content.from_party, content.role) == (
            party,
            role,
        ):
            ids.append(decision_id)
    granted = set()
    cell = before.cells.get((party, subject))
    if cell is not None:
        granted = {s.decision for s in cell.sources.get(role, ())}
    if granted:
        for item in _recorded_between(knowledge, before.known_at, after.known_at):
            target = getattr(item.decision, "corrects", None) or getattr(
                item.decision, "retracts", None
            )
            if target is not None and knowledge.root_of.get(target, target) in granted:
                ids.append(item.id)
    return [
        *trace(knowledge, [i for i in ids if knowledge.current(i) is not None]),
        *(_meta_source(knowledge.by_id[i]) for i in ids if knowledge.current(i) is None),
    ]


def _recorded_between(
    knowledge: Known, first: datetime, second: datetime
) -> list[d.RecordedDecision]:
    low, high = sorted((first, second))
    return [item for item in knowledge.recorded if low < item.recorded_at <= high]


def _meta_source(item: d.RecordedDecision) -> Source:
    """A correction or retraction, described as a source of change."""
    return Source(
        decision=item.id,
        kind=item.kind,
        effective_on=item.decision.effective_on,
        source=item.decision.source,
        decided_by=tuple(item.decision.decided_by),
    )
