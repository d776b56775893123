"""What the ledger knows: every recorded decision, with corrections and retractions applied.

`Knowledge` grows one recorded decision at a time, in ledger order. It answers two needs:
- the invariants of a new decision (fold only the decisions about the same things, as of the
  new decision's date), and
- the executable definition of time travel (`projections.oracle`): the knowledge of a prefix
  of the ledger, folded up to a date.

Resolution rules:
- a correction names a decision; correcting a correction corrects the same original (its root);
  the original's content becomes that of the latest correction that is not itself retracted;
- a retraction removes a substantive decision, or undoes a correction;
- a decision that requires the consent of parties is in force from the latest date on which
  one of them consented, once all have; until then it is pending and changes nothing.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any
from uuid import UUID

from domain import decisions as d
from domain.governance import GovernanceState, InForce, fold
from domain.vocabulary import EARLIEST_DATE, LATEST_DATE


@dataclass
class IdempotentRequest:
    fingerprint: str
    decisions: list[UUID]


@dataclass
class _GroupFold:
    """One group's decisions folded up to the latest date any of them is in force."""

    state: GovernanceState
    latest: date


class Known:
    """What the ledger knew at some position: the reading side of `Knowledge`.

    Implemented by `Knowledge` itself and by `KnownAt`, a cut of a knowledge at an earlier
    position that shares the knowledge's indexes instead of copying them.
    """

    recorded: Sequence[d.RecordedDecision]
    by_id: Mapping[UUID, d.RecordedDecision]
    root_of: Mapping[UUID, UUID]
    corrections: Mapping[UUID, Sequence[UUID]]
    retracted_by: Mapping[UUID, UUID]
    consents: Mapping[UUID, Sequence[UUID]]
    about: Mapping[d.EntityKey, Sequence[UUID]]
    needs_consent: Sequence[UUID]
    readings: object
    """A token that stays the same while every decision known reads as it did: a new one when
    a correction or retraction is recorded, or decisions are rolled back; kept when decisions
    are only added, and by a copy at the head. What is derived from the decisions' content
    (such as a matrix cell's sources) can be kept for as long as it is the same. A cut
    (`KnownAt`) has its whole's (it reads some decisions otherwise: see `known_until`)."""

    @property
    def head(self) -> int:
        raise NotImplementedError

    @property
    def whole(self) -> Known:
        """The knowledge this one is a cut of (itself, if it is not a cut)."""
        return self

    # --- resolution ---------------------------------------------------------------------

    def get(self, decision_id: UUID) -> d.RecordedDecision | None:
        return self.by_id.get(decision_id)

    def is_retracted(self, decision_id: UUID) -> bool:
        return decision_id in self.retracted_by

    def plain(self, decision_id: UUID) -> d.RecordedDecision | None:
        """The decision as recorded, if it is known and was never corrected nor retracted
        (so its content is what was recorded); None otherwise."""
        if decision_id in self.corrections or decision_id in self.retracted_by:
            return None
        return self.by_id.get(decision_id)

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
            seen.setdefault(self.root_of.get(decision_id, decision_id), None)
        return list(seen)

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
        seen: set[UUID] = set()
        for decision_id in ids:
            item = self.by_id[decision_id]
            if isinstance(item.decision, d.DecisionRetraction):
                continue
            root = self.root_of.get(decision_id, decision_id)
            if root in seen:
                continue
            seen.add(root)
            plain = self.by_id[root] if root != decision_id else item
            content = plain.decision
            if (  # the common case: its own content, in force from its own date
                root not in self.retracted_by
                and root not in self.corrections
                and not content.requires_consent_of
                and not isinstance(content, d.DecisionCorrection)
            ):
                if content.effective_on <= as_of:
                    items.append(InForce(root, plain.position, content, content.effective_on))
            elif (found := self.in_force(root)) is not None and found.in_force_on <= as_of:
                items.append(found)
        return items


@dataclass
class Knowledge(Known):
    """Every recorded decision, indexed for resolution and for the invariants."""

    recorded: list[d.RecordedDecision] = field(default_factory=list)
    by_id: dict[UUID, d.RecordedDecision] = field(default_factory=dict)
    root_of: dict[UUID, UUID] = field(default_factory=dict)
    corrections: dict[UUID, list[UUID]] = field(default_factory=dict)
    retracted_by: dict[UUID, UUID] = field(default_factory=dict)
    consents: dict[UUID, list[UUID]] = field(default_factory=dict)
    about: dict[d.EntityKey, list[UUID]] = field(default_factory=dict)
    requests: dict[str, IdempotentRequest] = field(default_factory=dict)
    needs_consent: list[UUID] = field(default_factory=list)
    """Decisions whose content (as recorded or as corrected) requires consents."""
    readings: object = field(default_factory=object, compare=False, repr=False)
    _folds: dict[d.EntityKey, _GroupFold] = field(default_factory=dict, compare=False, repr=False)
    _ids: list[UUID] = field(default_factory=list, compare=False, repr=False)
    """The ids of `recorded`, in the same order (to cut `by_id` at C speed)."""
    """A cache for the invariants, which mostly ask about the latest dates of one group."""

    @classmethod
    def of(cls, recorded: Iterable[d.RecordedDecision]) -> Knowledge:
        knowledge = cls()
        for item in recorded:
            knowledge.add(item)
        return knowledge

    @property
    def head(self) -> int:
        return self.recorded[-1].position if self.recorded else 0

    def known_until(self, position: int) -> Known:
        """What was known when the ledger stood at `position`, without copying anything: a
        view that answers as a replay of the first `position` decisions would. It shares this
        knowledge's indexes, so this knowledge must not be rolled back while the view is used
        (a `Ledger.snapshot()` never is). At or past the head it is this knowledge itself."""
        if position >= self.head:
            return self
        return KnownAt(self, position)

    def copy_until(self, position: int) -> Knowledge:
        """An independent copy of what was known at `position` (the same as replaying the
        first `position` decisions, cut from this knowledge's indexes instead)."""
        if position >= self.head:
            return self._copy()
        by_id = self.by_id

        def kept(ids: list[UUID]) -> list[UUID]:
            if not ids or by_id[ids[-1]].position <= position:
                return ids[:]  # all of it (most lists): a copy, without searching
            return ids[: bisect_right(ids, position, key=lambda i: by_id[i].position)]

        def known(decision_id: UUID) -> bool:
            return by_id[decision_id].position <= position

        return Knowledge(
            recorded=self.recorded[:position],
            by_id=dict(zip(self._ids[:position], self.recorded[:position], strict=True)),
            root_of={i: root for i, root in self.root_of.items() if known(i)},
            corrections={
                r: ids for r, ids in ((r, kept(i)) for r, i in self.corrections.items()) if ids
            },
            retracted_by={t: r for t, r in self.retracted_by.items() if known(r)},
            consents={t: ids for t, ids in ((t, kept(i)) for t, i in self.consents.items()) if ids},
            about={k: ids for k, ids in ((k, kept(i)) for k, i in self.about.items()) if ids},
            requests={
                key: IdempotentRequest(request.fingerprint, ids)
                for key, request in self.requests.items()
                if (ids := kept(request.decisions))
            },
            needs_consent=kept(self.needs_consent),
            _ids=self._ids[:position],
        )

    def _copy(self) -> Knowledge:
        """An independent copy of all of it (every index copied as it is: ~5x faster than
        cutting them; the lists are copied too, as this knowledge will append to them)."""
        return Knowledge(
            recorded=self.recorded[:],
            by_id=dict(self.by_id),
            root_of=dict(self.root_of),
            corrections={root: ids[:] for root, ids in self.corrections.items()},
            retracted_by=dict(self.retracted_by),
            consents={target: ids[:] for target, ids in self.consents.items()},
            about={key: ids[:] for key, ids in self.about.items()},
            requests={
                key: IdempotentRequest(request.fingerprint, request.decisions[:])
                for key, request in self.requests.items()
            },
            needs_consent=self.needs_consent[:],
            readings=self.readings,
            _ids=self._ids[:],
        )

    # --- growing ------------------------------------------------------------------------

    def add(self, item: d.RecordedDecision, idempotency: tuple[str, str] | None = None) -> None:
        """Take in the next recorded decision (positions must follow on)."""
        if item.position != self.head + 1:
            raise ValueError(f"position {item.position} does not follow {self.head}")
        self.recorded.append(item)
        self._ids.append(item.id)
        self.by_id[item.id] = item
        decision = item.decision
        self._keep_folds(item)
        content = decision.replacement if isinstance(decision, d.DecisionCorrection) else decision
        if content.requires_consent_of:
            self.needs_consent.append(item.id)
        if isinstance(decision, d.DecisionCorrection | d.DecisionRetraction):
            self.readings = object()  # (a decision known may now read otherwise)
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
        if idempotency is not None:
            request_key, fingerprint = idempotency
            request = self.requests.setdefault(request_key, IdempotentRequest(fingerprint, []))
            request.decisions.append(item.id)

    def _keep_folds(self, item: d.RecordedDecision) -> None:
        decision = item.decision
        if isinstance(decision, d.DecisionCorrection | d.DecisionRetraction | d.Consent):
            self._folds.clear()  # they change what other decisions mean
            return
        if decision.requires_consent_of:
            return  # not in force before its consents, which clear the folds
        for key in decision.entity_keys():
            group = self._folds.get(key)
            if group is None:
                continue
            if decision.effective_on >= group.latest:  # it folds in last: apply it
                group.state.apply(InForce(item.id, item.position, decision, decision.effective_on))
                group.latest = decision.effective_on
            else:
                del self._folds[key]

    def rollback_to(self, position: int) -> None:
        """Forget every decision after `position` (used when a tentative batch fails)."""
        self._folds.clear()
        self.readings = object()
        while self.recorded and self.recorded[-1].position > position:
            item = self.recorded.pop()
            self._ids.pop()
            del self.by_id[item.id]
            decision = item.decision
            if isinstance(decision, d.DecisionCorrection):
                root = self.root_of.pop(item.id)
                _pop_last(self.corrections, root, item.id)
            elif isinstance(decision, d.DecisionRetraction):
                self.retracted_by.pop(decision.retracts, None)
            elif isinstance(decision, d.Consent):
                _pop_last(self.consents, decision.decision, item.id)
            for key in decision.entity_keys():
                _pop_last(self.about, key, item.id)
            if self.needs_consent and self.needs_consent[-1] == item.id:
                self.needs_consent.pop()
            for request_key, request in list(self.requests.items()):
                if request.decisions and request.decisions[-1] == item.id:
                    request.decisions.pop()
                    if not request.decisions:
                        del self.requests[request_key]

    def state_of(self, key: d.EntityKey, as_of: date) -> GovernanceState:
        """The state of one group on a date; callers must not change it (it may be cached)."""
        group = self._folds.get(key)
        if group is None:
            items = self.in_force_until(self.about.get(key, []), LATEST_DATE)
            latest = max((i.in_force_on for i in items), default=EARLIEST_DATE)
            group = self._folds[key] = _GroupFold(fold(items), latest)
        return group.state if as_of >= group.latest else self.state(as_of, about=[key])


class KnownAt(Known):
    """A knowledge as it stood at an earlier position: every index is read through a filter
    that hides what was recorded later (lists are cut by bisection, on first use)."""

    def __init__(self, knowledge: Knowledge, position: int) -> None:
        self._knowledge = knowledge
        self._position = max(0, min(position, knowledge.head))
        self.readings = knowledge.readings
        by_id = knowledge.by_id
        self.by_id = _KnownItems(by_id, self._position)
        self.root_of = _KnownPairs(knowledge.root_of, by_id, self._position, by_value=False)
        self.retracted_by = _KnownPairs(
            knowledge.retracted_by, by_id, self._position, by_value=True
        )
        self.corrections = _KnownLists(knowledge.corrections, by_id, self._position)
        self.consents = _KnownLists(knowledge.consents, by_id, self._position)
        self.about = _KnownLists(knowledge.about, by_id, self._position)

    @property
    def head(self) -> int:
        return self._position

    @property
    def whole(self) -> Known:
        return self._knowledge

    def plain(self, decision_id: UUID) -> d.RecordedDecision | None:
        # asked of the whole knowledge (plain dictionaries, faster than the filtered views): a
        # correction recorded after the position makes it not plain here either (callers
        # then resolve it the long way, which is only slower)
        item = self._knowledge.plain(decision_id)
        return item if item is not None and item.position <= self._position else None

    def current(self, decision_id: UUID) -> d.Decision | None:
        item = self.plain(decision_id)  # the usual case, answered without the views
        if item is None:
            return super().current(decision_id)
        if isinstance(item.decision, d.DecisionCorrection | d.DecisionRetraction):
            return None
        return item.decision

    @cached_property
    def recorded(self) -> Sequence[d.RecordedDecision]:  # type: ignore[override]
        return self._knowledge.recorded[: self._position]

    @cached_property
    def needs_consent(self) -> Sequence[UUID]:  # type: ignore[override]
        by_id, position = self._knowledge.by_id, self._position
        return [i for i in self._knowledge.needs_consent if by_id[i].position <= position]


class _KnownItems(Mapping[UUID, d.RecordedDecision]):
    """`by_id` up to a position."""

    def __init__(self, by_id: dict[UUID, d.RecordedDecision], position: int) -> None:
        self._by_id, self._position = by_id, position

    def __getitem__(self, key: UUID) -> d.RecordedDecision:
        item = self._by_id[key]
        if item.position > self._position:
            raise KeyError(key)
        return item

    def get(self, key: UUID, default: Any = None) -> Any:
        item = self._by_id.get(key)
        return item if item is not None and item.position <= self._position else default

    def __contains__(self, key: object) -> bool:
        item = self._by_id.get(key)  # type: ignore[call-overload]
        return item is not None and item.position <= self._position

    def __iter__(self) -> Iterator[UUID]:
        return (k for k, item in self._by_id.items() if item.position <= self._position)

    def __len__(self) -> int:
        return min(len(self._by_id), self._position)


class _KnownPairs(Mapping[UUID, UUID]):
    """An index of id -> id whose entries are known once the decision named by their key
    (or, `by_value`, by their value) is."""

    def __init__(
        self,
        index: dict[UUID, UUID],
        by_id: dict[UUID, d.RecordedDecision],
        position: int,
        *,
        by_value: bool,
    ) -> None:
        self._index, self._by_id, self._position = index, by_id, position
        self._by_value = by_value

    def _known(self, key: UUID, value: UUID) -> bool:
        return self._by_id[value if self._by_value else key].position <= self._position

    def __getitem__(self, key: UUID) -> UUID:
        value = self._index[key]
        if not self._known(key, value):
            raise KeyError(key)
        return value

    def get(self, key: UUID, default: Any = None) -> Any:
        value = self._index.get(key)
        return value if value is not None and self._known(key, value) else default

    def __contains__(self, key: object) -> bool:
        return self.get(key) is not None  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[UUID]:
        return (k for k, v in self._index.items() if self._known(k, v))

    def __len__(self) -> int:
        return sum(1 for _ in self)


class _KnownLists(Mapping[Any, Sequence[UUID]]):
    """An index of id lists in ledger order, each cut at the position (absent if empty)."""

    def __init__(
        self, index: Mapping[Any, list[UUID]], by_id: dict[UUID, d.RecordedDecision], position: int
    ) -> None:
        self._index, self._by_id, self._position = index, by_id, position

    def _cut(self, ids: list[UUID]) -> list[UUID]:
        by_id, position = self._by_id, self._position
        if by_id[ids[-1]].position <= position:
            return ids  # all of it (most lists): shared, never changed by readers
        return ids[: bisect_right(ids, position, key=lambda i: by_id[i].position)]

    def __getitem__(self, key: Any) -> Sequence[UUID]:
        ids = self._index[key]
        cut = self._cut(ids) if ids else ids
        if not cut:
            raise KeyError(key)
        return cut

    def get(self, key: Any, default: Any = None) -> Any:
        ids = self._index.get(key)
        if not ids:
            return default
        cut = self._cut(ids)
        return cut if cut else default

    def __contains__(self, key: object) -> bool:
        ids = self._index.get(key)
        return bool(ids) and self._by_id[ids[0]].position <= self._position  # type: ignore[index]

    def __iter__(self) -> Iterator[Any]:
        return (k for k, ids in self._index.items() if ids and k in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _pop_last(
    index: dict[d.EntityKey, list[UUID]] | dict[UUID, list[UUID]], key: object, value: UUID
) -> None:
    values = index.get(key)  # type: ignore[call-overload]
    if values and values[-1] == value:
        values.pop()
        if not values:
            del index[key]  # type: ignore[arg-type]
