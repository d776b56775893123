"""Answers derived from one object the read model hands out, kept while it is handed out.

The read model decodes a row once and gives the same object to every question whose moment
the row is in force at (see `projections.bitemporal`); what is derived from that object alone
(a matrix cell's sources, a gap's wording) is then the same for all those questions. `Kept`
remembers it by the object's identity, holding on to the object so that the identity cannot
be reused by another.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

V = TypeVar("V")
T = TypeVar("T")

LIMIT = 500_000
"""At most this many answers are kept per `Kept` (it is emptied when full)."""


class Kept(Generic[V]):
    MISSING: Any = object()
    """What `find` returns when nothing is kept."""

    def __init__(self, limit: int = LIMIT) -> None:
        self._kept: dict[int, tuple[Any, Any, V]] = {}
        self._limit = limit

    def find(self, about: object, context: object = None) -> V | Any:
        """What is kept for (about, context), or `MISSING` (the cheap path of `get`, for
        loops that would otherwise make a `make` each time)."""
        found = self._kept.get(id(about))
        if found is not None and found[0] is about and found[1] is context:
            return found[2]
        return self.MISSING

    def get(self, about: T, make: Callable[[T], V], context: object = None) -> V:
        """`make(about)`, made once per (about, context): `context` is whatever else the
        answer depends on (None: nothing). One answer is kept per object: asked with another
        context, it is made again and replaces the first."""
        key = id(about)
        found = self._kept.get(key)
        if found is not None and found[0] is about and found[1] is context:
            return found[2]
        value = make(about)
        if len(self._kept) >= self._limit:
            self._kept.clear()
        self._kept[key] = (about, context, value)
        return value
