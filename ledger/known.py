"""What the ledger knows now, read from its tables inside a transaction: for the invariants of
a new decision (`domain.invariants.Known`) and for resolving single decisions.

A decision's meaning now is resolved the way `domain.knowledge.Knowledge` defines it, from its
*cluster*: the decision, its corrections, the retractions of either, its consents and theirs,
loaded into a small knowledge.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any
from uuid import UUID

import orjson

from domain import decisions as d
from domain.governance import GROUPS, InForce, entity_of
from domain.knowledge import Knowledge
from ledger.tables import Tables
from ledger.timeline import decode


def cluster(tables: Tables, root: UUID | str, upto: int | None = None) -> Knowledge:
    """A knowledge of a decision and everything that corrects, retracts or consents to it (and
    to those, and so on), enough to resolve it; of what was recorded up to position `upto`, if
    given."""
    return clusters(tables, [root], upto)


def clusters(tables: Tables, roots: Iterable[UUID | str], upto: int | None = None) -> Knowledge:
    """The same for many decisions at once (a few queries per 500 of them)."""
    payloads: dict[str, str] = {}
    frontier = [str(root) for root in roots]
    for start in range(0, len(frontier), _CHUNK):
        for payload in tables.decisions(frontier[start : start + _CHUNK]):
            payloads[orjson.loads(payload)["id"]] = payload
    while frontier:
        found: list[tuple[str, str]] = []
        for start in range(0, len(frontier), _CHUNK):
            found += [
                (i, p)
                for i, p, _, _ in tables.naming(frontier[start : start + _CHUNK])
                if i not in payloads
            ]
        payloads.update(found)
        frontier = [i for i, _ in found]
    items = [d.RecordedDecision.model_validate_json(payload) for payload in payloads.values()]
    items.sort(key=lambda item: item.position)
    return Knowledge.cluster(i for i in items if upto is None or i.position <= upto)


_CHUNK = 500
"""Ids per query (both backends cap a statement's parameters)."""


def in_force(tables: Tables, root: UUID) -> tuple[InForce | None, d.Decision | None]:
    """How a decision applies now (None: retracted, or waiting for consent), and its content."""
    knowledge = cluster(tables, root)
    return knowledge.in_force(root), knowledge.current(root)


class StoreKnown:
    """`domain.invariants.Known` over the tables, as known at the transaction's head."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    def entry(self, group: str, key: str, entity: Any, on: date) -> Any | None:
        kind = GROUPS[group].entry
        day = on.toordinal()
        for row in self.tables.open_rows(
            kind=kind, entities=[entity_of(kind, entity)], ending_after=day + 1
        ):
            if row.valid_from <= day:
                return decode(kind, row.value.payload)
        return None

    def recorded_decision(self, decision_id: UUID) -> d.RecordedDecision | None:
        found = self.tables.decisions([str(decision_id)])
        return d.RecordedDecision.model_validate_json(found[0]) if found else None

    def root(self, decision_id: UUID) -> UUID:
        found = self.tables.decision_info(str(decision_id))
        return UUID(found[2]) if found is not None and found[2] else decision_id

    def is_retracted(self, decision_id: UUID) -> bool:
        return self.tables.retracted(str(decision_id))

    def current(self, decision_id: UUID) -> d.Decision | None:
        return cluster(self.tables, decision_id).current(decision_id)


def put_right(tables: Tables, ids: Iterable[UUID] | None = None) -> tuple[set[str], set[str]]:
    """(retracted, corrected): which decisions (of `ids`, or all) a later one retracted or
    corrected, as far as the ledger knows now."""
    query = (
        "SELECT kind, target, root FROM {p}ledger_decisions"
        " WHERE kind IN ('decision.retracted', 'decision.corrected')"
    )
    params: list[Any] = []
    if ids is not None:
        wanted = [str(i) for i in ids]
        if not wanted:
            return set(), set()
        marks = ",".join("?" * len(wanted))
        query += f" AND (target IN ({marks}) OR root IN ({marks}))"
        params = wanted * 2
    found = tables.all(query, params)
    retracted = {target for kind, target, _ in found if kind == "decision.retracted"}
    corrected = {root for kind, _, root in found if kind == "decision.corrected"}
    return retracted, corrected
