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

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from domain import decisions as d
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


@dataclass(frozen=True)
class Entry:
    """One thing in a group's state: a party, a holding, a risk, an anomaly, ..."""

    kind: str
    entity: str
    value: Any
    order: Order


def entity_id(kind: str, key: Any) -> str:
    """The stable name of a key of the state, e.g. a holding's 'c2000/smb/accountable'."""
    if kind == "holding":
        party, subject, role = key
        return f"{subject}/{party}/{role.value}"
    return str(key)


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

    def apply(self, item: InForce) -> None:
        """Apply the group's next decision in (in force on, position) order."""
        attr, kind = GROUP_DICTS[self.key[0]]
        entries: dict[Any, Any] = getattr(self.state, attr)
        candidates = _holding_keys(item.decision) if kind == "holding" else None
        # a responsibility decision can only insert or remove the holdings it names, so only
        # those are compared (not every holding of the subject)
        before = set(entries) if candidates is None else {k for k in candidates if k in entries}
        anomalies = len(self.state.anomalies)
        self.state.apply(item)
        order = (item.in_force_on, item.position)
        self.last = order
        after = entries.keys() if candidates is None else {k for k in candidates if k in entries}
        inserted, removed = after - before, before - after
        for gone in removed:
            del self.orders[gone]
        for new in inserted:
            self.orders[new] = order
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
        return found


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
    key: d.EntityKey, items: list[InForce], since: date
) -> Iterator[tuple[date, GroupFold, set[Any] | None, int]]:
    """Like `snapshots` (with a `since`), but also say what changed since the previous yield.

    Yields (day, fold, keys, anomalies): the dictionary keys the day's decisions may have
    changed (None on `since`: everything is new) and how many anomalies there were before.
    """
    fold = GroupFold(key)
    i, n = 0, len(items)
    while i < n and items[i].in_force_on <= since:
        fold.apply(items[i])
        i += 1
    yield since, fold, None, 0
    while i < n:
        day = items[i].in_force_on
        anomalies = len(fold.state.anomalies)
        changed: set[Any] = set()
        while i < n and items[i].in_force_on == day:
            fold.apply(items[i])
            changed |= fold.touched
            i += 1
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
