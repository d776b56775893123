"""The valid-time timeline of one entity group, and which groups a new decision disturbs.

The fold never lets a decision about one thing touch another: a decision changes only the
state of the group named by its (current) content's `entity_keys()` — one party, one subject,
the responsibilities for one subject, one risk, ... So the state on a date is the union of the
groups' states on that date, and a read model can keep one timeline per group and recompute only
the groups a new decision disturbs (see `projections.bitemporal`).

A group's state changes only on the dates its decisions come into force; `snapshots` folds the
group's decisions in (in force on, position) order and yields the state after each such date.
`Entry.order` is the (in force on, position) of the decision that put the entry into its
dictionary, so that merging groups by it gives the dictionaries the fold's own insertion order.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date
from enum import Enum
from functools import cache, partial
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from domain import decisions as d
from domain.anchoring import CONDITIONS, RoleRuns
from domain.governance import GovernanceState, InForce
from domain.knowledge import Knowledge

Order = tuple[date, int]

GROUP_DICTS: dict[str, tuple[str, str]] = {
    "party": ("parties", "party"),
    "subject": ("subjects", "subject"),
    "responsibilities": ("holdings", "holding"),
    "framework": ("frameworks", "framework"),
    "criteria": ("criteria", "criteria"),
    "risk": ("risks", "risk"),
    "finding": ("findings", "finding"),
    "recommendation": ("recommendations", "recommendation"),
    "evaluation": ("evaluations", "evaluation"),
    "commitment": ("commitments", "commitment"),
    "consent": ("consents", "consent"),
}
"""Group name -> (GovernanceState attribute it lives in, entry kind)."""

ENTRY_KINDS: tuple[str, ...] = (*(kind for _, kind in GROUP_DICTS.values()), "anomaly")
"""The kinds of entries a state is assembled from."""

ROW_KINDS: tuple[str, ...] = (*ENTRY_KINDS, "run")
"""Every kind of entry the read model stores: the state's, and the runs of the conditions of
`domain.anchoring` (entity '<subject>/<condition>', value the first day of the run), which
only a responsibilities group has."""


@dataclass(frozen=True)
class Entry:
    """One thing in a group's state: a party, a holding, a risk, an anomaly, ..."""

    kind: str
    entity: str
    value: Any
    order: Order


_HOLDING_IDS: dict[Any, str] = {}


def entity_id(kind: str, key: Any) -> str:
    """The stable name of a key of the state, e.g. a holding's 'c2000/smb/accountable'."""
    if kind == "holding":
        found = _HOLDING_IDS.get(key)
        if found is None:
            party, subject, role = key
            found = f"{subject}/{party}/{role.value}"
            if len(_HOLDING_IDS) < 1_000_000:
                _HOLDING_IDS[key] = found
        return found
    return str(key)


@cache
def _run_entity(subject: str, condition: str) -> str:
    return f"{subject}/{condition}"


@cache
def run_entities(subject: str) -> tuple[str, ...]:
    """The row entities of a subject's runs, one per condition of `domain.anchoring`."""
    return tuple(_run_entity(subject, name) for name in CONDITIONS)


@dataclass
class GroupFold:
    """The fold of one group's decisions, remembering when each entry was inserted."""

    key: d.EntityKey
    state: GovernanceState = field(default_factory=GovernanceState)
    last: Order | None = None
    orders: dict[Any, Order] = field(default_factory=dict)
    anomaly_orders: list[Order] = field(default_factory=list)
    touched: set[Any] = field(default_factory=set)
    """Dictionary keys the last `apply` may have changed (inserted, removed or mutated)."""
    count: int = 0
    """How many decisions have been applied."""
    runs: RoleRuns | None = None
    """A responsibilities group's role conditions and since when they hold."""
    owned: set[Any] | None = None
    """The dictionary keys whose values no copy shares (None: all of them).

    `copy` shares the values with the copy; `apply` copies a shared value before the
    decision may change it (copy on write), so a copy costs a dictionary, not the values.
    """

    def copy(self) -> GroupFold:
        """An independent copy: what either fold applies next does not show in the other."""
        attr = GROUP_DICTS[self.key[0]][0]
        state = GovernanceState()
        for name, value in vars(self.state).items():
            # the group's own dictionary is copied on write; the others stay empty
            setattr(state, name, dict(value) if name == attr else _clone(value))
        self.owned = set()
        return GroupFold(
            self.key,
            state,
            self.last,
            dict(self.orders),
            list(self.anomaly_orders),
            set(),
            self.count,
            None if self.runs is None else self.runs.copy(),
            set(),
        )

    def __post_init__(self) -> None:
        if self.runs is None and self.key[0] == "responsibilities":
            self.runs = RoleRuns()

    def apply(self, item: InForce) -> None:
        """Apply the group's next decision in (in force on, position) order."""
        attr, kind = GROUP_DICTS[self.key[0]]
        entries: dict[Any, Any] = getattr(self.state, attr)
        candidates = _holding_keys(item.decision) if kind == "holding" else None
        owned = self.owned
        if owned is not None:
            for key in entries if candidates is None else candidates:
                if key not in owned and key in entries:
                    entries[key] = _clone(entries[key])
                    owned.add(key)
        # a responsibility decision can only insert or remove the holdings it names, so only
        # those are compared (not every holding of the subject)
        before = set(entries) if candidates is None else {k for k in candidates if k in entries}
        anomalies = len(self.state.anomalies)
        self.state.apply(item)
        order = (item.in_force_on, item.position)
        self.last = order
        self.count += 1
        after = entries.keys() if candidates is None else {k for k in candidates if k in entries}
        inserted, removed = after - before, before - after
        for gone in removed:
            del self.orders[gone]
        for new in inserted:
            self.orders[new] = order
        if owned is not None:
            owned.update(inserted)
        runs = self.runs
        if runs is not None:
            for party, _, role in removed:
                runs.lost(party, role)
            for party, _, role in inserted:
                runs.gained(party, role)
            runs.end_of(item.in_force_on)
        # holdings are only ever inserted or removed; other groups hold one entry, changed in place
        self.touched = inserted | removed if kind == "holding" else before | after
        if len(self.state.anomalies) > anomalies:
            self.anomaly_orders.append(order)

    def entries(self) -> list[Entry]:
        """Everything in the group's state now."""
        attr, kind = GROUP_DICTS[self.key[0]]
        found = [
            Entry(kind, entity_id(kind, key), value, self.orders[key])
            for key, value in getattr(self.state, attr).items()
        ]
        found.extend(
            Entry("anomaly", str(anomaly.decision), anomaly, order)
            for anomaly, order in zip(self.state.anomalies, self.anomaly_orders, strict=True)
        )
        found.extend(Entry("run", entity, on, (on, 0)) for entity, on in self.run_entries().items())
        return found

    def run_entries(self) -> dict[str, date]:
        """The runs in progress, by row entity ('<subject>/<condition>'): a responsibilities
        group's derived entries (see `ROW_KINDS`)."""
        if self.runs is None:
            return {}
        return {_run_entity(self.key[1], name): on for name, on in self.runs.since.items()}


@dataclass
class Checkpoints:
    """Copies of a group's fold after some prefixes of its decisions, to re-fold from.

    A re-fold from a date D need not re-apply the decisions in force before D: they are the
    same and in the same order as before, so the fold of them (a copy kept on the way) can be
    taken up. A copy is kept after every `every` decisions; copies at or after a date a
    re-fold starts from are dropped (the decisions after them may have changed).
    """

    every: int = 16
    marks: list[GroupFold] = field(default_factory=list)

    def resume(self, since: date, live: GroupFold) -> GroupFold:
        """A fold of exactly the group's decisions in force before `since`, to fold on.

        `live` is the fold of all the group's decisions as they were before the change; it
        is used as it is if all of them came into force before `since`.
        """
        marks = self.marks
        while marks and marks[-1].last is not None and marks[-1].last[0] >= since:
            marks.pop()
        if live.last is None or live.last[0] < since:
            return live
        if not marks:
            return GroupFold(live.key)
        return marks[-1].copy()

    def passed(self, fold: GroupFold) -> None:
        """Keep a copy of `fold` if `every` decisions were applied since the last copy."""
        if fold.count - (self.marks[-1].count if self.marks else 0) >= self.every:
            self.marks.append(fold.copy())


def _clone_dataclass(value: Any) -> Any:
    copied = object.__new__(type(value))
    copied.__dict__.update({name: _clone(v) for name, v in value.__dict__.items()})
    return copied


def _clone_slotted(names: tuple[str, ...], value: Any) -> Any:
    copied = object.__new__(type(value))
    for name in names:
        object.__setattr__(copied, name, _clone(getattr(value, name)))
    return copied


def _clone_list(value: Any) -> Any:
    return [_clone(v) for v in value]


def _clone_dict(value: Any) -> Any:
    return {k: _clone(v) for k, v in value.items()}


def _clone_set(value: Any) -> Any:
    return set(value)


def _same(value: Any) -> Any:
    return value


_CLONERS: dict[type, Callable[[Any], Any]] = {
    str: _same,
    int: _same,
    date: _same,
    UUID: _same,
    type(None): _same,
    list: _clone_list,
    dict: _clone_dict,
    set: _clone_set,
}


def _cloner(kind: type) -> Callable[[Any], Any]:
    if is_dataclass(kind):
        if "__slots__" in vars(kind):
            return partial(_clone_slotted, tuple(f.name for f in fields(kind)))
        frozen: bool = getattr(kind, "__dataclass_params__").frozen  # noqa: B009
        return _same if frozen else _clone_dataclass
    if issubclass(kind, BaseModel) and kind.model_config.get("frozen"):
        return _same
    if issubclass(kind, Enum | str | int | float | bool | date | UUID | bytes | frozenset):
        return _same
    if issubclass(kind, tuple):
        return _clone_tuple
    return _deep


def _clone_tuple(value: Any) -> Any:
    return tuple(_clone(v) for v in value)


def _deep(value: Any) -> Any:
    return copy.deepcopy(value)


def _clone(value: Any) -> Any:
    """A copy of a fold's state or one of its values, sharing only immutable parts."""
    kind = type(value)
    cloner = _CLONERS.get(kind)
    if cloner is None:
        cloner = _CLONERS[kind] = _cloner(kind)
    return cloner(value)


def _holding_keys(decision: d.Decision) -> tuple[Any, ...] | None:
    """The holdings a responsibility decision may insert or remove (None: any of them)."""
    kind = type(decision)
    if kind is d.ResponsibilityAssignment or kind is d.ResponsibilityRelief:
        assert isinstance(decision, d.ResponsibilityAssignment | d.ResponsibilityRelief)
        return ((decision.party, decision.subject, decision.role),)
    if kind is d.ResponsibilityTransfer:
        assert isinstance(decision, d.ResponsibilityTransfer)
        return (
            (decision.from_party, decision.subject, decision.role),
            (decision.to_party, decision.subject, decision.role),
        )
    return None


def group_items(knowledge: Knowledge, key: d.EntityKey) -> list[InForce]:
    """The decisions in force that are about `key` as they read now, in fold order."""
    items = []
    for root in knowledge.roots(knowledge.about.get(key, [])):
        item = knowledge.in_force(root)
        if item is not None and key in item.decision.entity_keys():
            items.append(item)
    items.sort(key=fold_order)
    return items


def fold_order(item: InForce) -> Order:
    return item.in_force_on, item.position


def snapshots(
    key: d.EntityKey, items: list[InForce], since: date | None
) -> Iterator[tuple[date, GroupFold]]:
    """Fold `items` (in fold order); yield the fold on `since` and after each later change.

    With `since` None, yield after every in-force date. The consumer must read the yielded
    fold before asking for the next one: it is the same object, folded further.
    """
    fold = GroupFold(key)
    i, n = 0, len(items)
    if since is not None:
        while i < n and items[i].in_force_on <= since:
            fold.apply(items[i])
            i += 1
        yield since, fold
    while i < n:
        day = items[i].in_force_on
        while i < n and items[i].in_force_on == day:
            fold.apply(items[i])
            i += 1
        yield day, fold


def changes(
    key: d.EntityKey,
    items: list[InForce],
    since: date,
    start: GroupFold | None = None,
    checkpoints: Checkpoints | None = None,
) -> Iterator[tuple[date, GroupFold, set[Any] | None, int]]:
    """Like `snapshots` (with a `since`), but also say what changed since the previous yield.

    Yields (day, fold, keys, anomalies): the dictionary keys the day's decisions may have
    changed (None on `since`: everything is new) and how many anomalies there were before.
    The fold starts from `start` (the fold of the first `start.count` items), if given, and
    leaves copies of itself on the way in `checkpoints`, if given.
    """
    fold = GroupFold(key) if start is None else start
    i, n = fold.count, len(items)
    while i < n and items[i].in_force_on <= since:
        fold.apply(items[i])
        i += 1
        if checkpoints is not None:
            checkpoints.passed(fold)
    yield since, fold, None, 0
    while i < n:
        day = items[i].in_force_on
        anomalies = len(fold.state.anomalies)
        changed: set[Any] = set()
        while i < n and items[i].in_force_on == day:
            fold.apply(items[i])
            changed |= fold.touched
            i += 1
            if checkpoints is not None:
                checkpoints.passed(fold)
        yield day, fold, changed, anomalies


@dataclass(frozen=True)
class Footprint:
    """How a decision applies (or None, if it does not) and the groups it is about."""

    item: InForce | None
    keys: frozenset[d.EntityKey]


def touched_roots(knowledge: Knowledge, decision: d.Decision) -> set[UUID]:
    """The decisions whose application may change once `decision` is recorded (call before).

    A correction changes its root; a retraction its target's root; a consent, and anything
    touching a consent, the in-force date of the decision consented to (and so on, as a
    consent can itself need consent). The new decision itself is not included.
    """
    roots: set[UUID] = set()
    pending: list[UUID] = []
    if isinstance(decision, d.DecisionCorrection):
        pending.append(knowledge.root_of.get(decision.corrects, decision.corrects))
    elif isinstance(decision, d.DecisionRetraction):
        pending.append(knowledge.root_of.get(decision.retracts, decision.retracts))
    elif isinstance(decision, d.Consent):
        pending.append(decision.decision)
    while pending:
        root = pending.pop()
        if root in roots or root not in knowledge.by_id:
            continue
        roots.add(root)
        original = knowledge.by_id[root].decision
        if isinstance(original, d.Consent):
            pending.append(original.decision)
    return roots


def footprint(knowledge: Knowledge, root: UUID) -> Footprint:
    """How a root decision applies now, and the groups its current content is about."""
    content = knowledge.current(root)
    if content is None:
        return Footprint(None, frozenset())
    return Footprint(knowledge.in_force(root), frozenset(content.entity_keys()))
