"""`Kept` finds an answer only for the very object (and context) it was made for."""

from __future__ import annotations

import gc
from dataclasses import dataclass

from projections.kept import Kept


@dataclass
class Thing:
    name: str


def test_an_answer_is_made_once_per_object_and_context() -> None:
    kept = Kept[str]()
    made: list[str] = []

    def describe(thing: Thing) -> str:
        made.append(thing.name)
        return thing.name.upper()

    a, context, other = Thing("a"), Thing("ctx"), Thing("other ctx")
    assert kept.get(a, describe, context) == "A"
    assert kept.get(a, describe, context) == "A"
    assert made == ["a"]
    assert kept.find(a, other) is Kept.MISSING  # another context: made again
    assert kept.get(a, describe, other) == "A"
    assert made == ["a", "a"]
    assert kept.find(Thing("a"), other) is Kept.MISSING  # equal is not the same


def test_nothing_is_kept_alive_and_a_reused_identity_is_not_mistaken() -> None:
    kept = Kept[str]()
    context = Thing("knowledge")
    kept.get(Thing("gone"), lambda t: t.name, context)
    gc.collect()
    # whatever object now has the dead one's identity, it is not found
    for _ in range(1000):
        assert kept.find(Thing("new"), context) is Kept.MISSING
    # the context is held weakly too
    kept.get(anchor := Thing("x"), lambda t: t.name, Thing("short-lived"))
    gc.collect()
    assert kept.find(anchor, None) is Kept.MISSING
