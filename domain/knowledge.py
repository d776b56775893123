"""What is known: recorded decisions, with corrections, retractions and consents applied.

`Knowledge` holds recorded decisions in memory, indexed for resolution. It is the executable
definition of what a decision means now (`projections.oracle` replays the governance from a
knowledge of the known prefix of the ledger), and the ledger resolves single decisions with
it: it loads a decision, its corrections, retractions and consents (a *cluster*) into a small
knowledge and asks it.

Resolution rules:
- a correction names a decision; correcting a correction corrects the same original (its root);
  the original's content becomes that of the latest correction that is not itself retracted;
- a retraction removes a substantive decision, or undoes a correction;
- a decision that requires the consent of parties is in force from the latest date on which
  one of them consented, once all have; until then it is pending and changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from domain import decisions as d
from domain.governance import GROUPS, GovernanceState, InForce, fold


@dataclass
class Knowledge:
    """Recorded decisions, indexed for resolution (and, as `domain.invariants.Known`, for the
    invariants: fast tests check decisions against an in-memory knowledge)."""

    recorded: list[d.RecordedDecision] = field(default_factory=list)
    by_id: dict[UUID, d.RecordedDecision] = field(default_factory=dict)
    root_of: dict[UUID, UUID] = field(default_factory=dict)
    corrections: dict[UUID, list[UUID]] = field(default_factory=dict)
    retracted_by: dict[UUID, UUID] = field(default_factory=dict)
    consents: dict[UUID, list[UUID]] = field(default_factory=dict)
    about: dict[d.EntityKey, list[UUID]] = field(default_factory=dict)
    contiguous: bool = True
    """Whether `recorded` is a prefix of the ledger (not a cluster, see `cluster`)."""

    @classmethod
    def of(cls, recorded: Iterable[d.RecordedDecision]) -> Knowledge:
        """The knowledge of a prefix of the ledger (positions 1, 2, 3, ...)."""
        knowledge = cls()
        for item in recorded:
            knowledge.add(item)
        return knowledge

    @classmethod
    def cluster(cls, recorded: Iterable[d.RecordedDecision]) -> Knowledge:
        """A knowledge of some decisions only (in ledger order), enough to resolve those that
        are there with their corrections, retractions and consents."""
        knowledge = cls(contiguous=False)
        for item in sorted(recorded, key=lambda i: i.position):
            knowledge.add(item)
        return knowledge

    @property
    def head(self) -> int:
        return self.recorded[-1].position if self.recorded else 0

    def add(self, item: d.RecordedDecision) -> None:
        """Take in the next recorded decision."""
        if self.contiguous and item.position != self.head + 1:
            raise ValueError(f"position {item.position} does not follow {self.head}")
        self.recorded.append(item)
        self.by_id[item.id] = item
        decision = item.decision
        if isinstance(decision, d.DecisionCorrection):
            root = self.root_of.get(decision.corrects, decision.corrects)
            self.root_of[item.id] = root
            self.corrections.setdefault(root, []).append(item.id)
        elif isinstance(decision, d.DecisionRetraction):
            self.retracted_by[decision.retracts] = item.id
        elif isinstance(decision, d.Consent):
            self.consents.setdefault(decision.decision, []).append(item.id)
        for key in decision.entity_keys():
            self.about.setdefault(key, []).append(item.id)

    # --- resolution ---------------------------------------------------------------------

    def get(self, decision_id: UUID) -> d.RecordedDecision | None:
        return self.by_id.get(decision_id)

    def is_retracted(self, decision_id: UUID) -> bool:
        return decision_id in self.retracted_by

    def root(self, decision_id: UUID) -> UUID:
        """The substantive decision a correction stands for (a decision is its own root)."""
        return self.root_of.get(decision_id, decision_id)

    def current(self, decision_id: UUID) -> d.Decision | None:
        """The content a substantive decision has now, or None if it is retracted or meta."""
        item = self.by_id.get(decision_id)
        if item is None or self.is_retracted(decision_id):
            return None
        if isinstance(item.decision, d.DecisionCorrection | d.DecisionRetraction):
            return None
        for correction_id in reversed(self.corrections.get(decision_id, [])):
            if not self.is_retracted(correction_id):
                correction = self.by_id[correction_id].decision
                assert isinstance(correction, d.DecisionCorrection)
                return correction.replacement
        return item.decision

    def in_force(self, decision_id: UUID) -> InForce | None:
        """The decision as it applies, or None if retracted or still waiting for consent."""
        content = self.current(decision_id)
        if content is None:
            return None
        starts = content.effective_on
        if content.requires_consent_of:
            given = self.consent_dates(decision_id)
            if any(party not in given for party in content.requires_consent_of):
                return None
            starts = max([starts, *(given[p] for p in content.requires_consent_of)])
        return InForce(decision_id, self.by_id[decision_id].position, content, starts)

    def consent_dates(self, decision_id: UUID) -> dict[str, date]:
        """When each party consented to a decision (its earliest consent in force)."""
        given: dict[str, date] = {}
        for consent_id in self.consents.get(decision_id, []):
            consent = self.current(consent_id)
            if consent is None:
                continue
            for party in consent.decided_by:
                if party not in given or consent.effective_on < given[party]:
                    given[party] = consent.effective_on
        return given

    def roots(self, ids: Iterable[UUID]) -> list[UUID]:
        """The substantive decisions behind ids (a correction stands for what it corrects)."""
        seen: dict[UUID, None] = {}
        for decision_id in ids:
            item = self.by_id[decision_id]
            if isinstance(item.decision, d.DecisionRetraction):
                continue
            seen.setdefault(self.root(decision_id), None)
        return list(seen)

    def touched_roots(self, decision: d.Decision) -> set[UUID]:
        """The decisions whose application may change once `decision` is recorded (ask before
        recording it): a correction changes its root; a retraction its target's root; a
        consent, and anything touching a consent, the in-force date of the decision consented
        to (and so on, as a consent can itself need consent). The decision itself is not
        included."""
        roots: set[UUID] = set()
        target = d.target_of(decision)
        pending = [] if target is None else [target]
        if not isinstance(decision, d.Consent):
            pending = [self.root(t) for t in pending]
        while pending:
            root = pending.pop()
            if root in roots or root not in self.by_id:
                continue
            roots.add(root)
            original = self.by_id[root].decision
            if isinstance(original, d.Consent):
                pending.append(original.decision)
        return roots

    # --- folding ------------------------------------------------------------------------

    def state(self, as_of: date, about: Iterable[d.EntityKey] | None = None) -> GovernanceState:
        """Fold what is known, up to `as_of`; only the decisions about `about`, if given."""
        if about is None:
            ids: Iterable[UUID] = (item.id for item in self.recorded)
        else:
            ids = (i for key in about for i in self.about.get(key, []))
        return fold(self.in_force_until(ids, as_of))

    def in_force_until(self, ids: Iterable[UUID], as_of: date) -> list[InForce]:
        """The decisions behind ids that are in force on `as_of`, each once."""
        items: list[InForce] = []
        for root in self.roots(ids):
            found = self.in_force(root)
            if found is not None and found.in_force_on <= as_of:
                items.append(found)
        return items

    # --- what the invariants ask (`domain.invariants.Known`) ---------------------------

    def entry(self, group: str, key: str, entity: Any, on: date) -> Any | None:
        """The entry `entity` of the group (group, key) in the state on `on`, as known."""
        state = self.state(on, about=[(group, key)])
        found: Any = getattr(state, GROUPS[group].attribute).get(entity)
        return found

    def recorded_decision(self, decision_id: UUID) -> d.RecordedDecision | None:
        return self.by_id.get(decision_id)
