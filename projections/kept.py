"""Answers derived from one object the read model hands out, kept while it is handed out.

The read model decodes a row once and gives the same object to every question whose moment
the row is in force at (see `projections.bitemporal`); what is derived from that object alone
(a matrix cell's sources, a gap's wording) is then the same for all those questions. `Kept`
remembers it by the object's identity. It holds the object (and the context the answer also
depends on, such as the knowledge a source was traced in) only weakly: an answer about an
object that is gone is never found again, even if another object comes to have its identity,
and a kept answer never keeps a large knowledge alive.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any, Generic, TypeVar

V = TypeVar("V")
T = TypeVar("T")

LIMIT = 500_000
"""At most this many answers are kept per `Kept` (it is emptied when full)."""


_NOTHING = object()
"""What None is kept as (a dead weak reference answers None, so None cannot stand for itself)."""


def _ref(value: object) -> Callable[[], object]:
    if value is None:
        return _nothing
    return weakref.ref(value)


def _nothing() -> object:
    return _NOTHING


class Kept(Generic[V]):
    MISSING: Any = object()
    """What `find` returns when nothing is kept."""

    def __init__(self, limit: int = LIMIT) -> None:
        self._kept: dict[int, tuple[Callable[[], object], Callable[[], object], V]] = {}
        self._limit = limit

    def find(self, about: object, context: object = None) -> V | Any:
        """What is kept for (about, context), or `MISSING` (the cheap path of `get`, for
        loops that would otherwise make a `make` each time)."""
        found = self._kept.get(id(about))
        if (
            found is not None
            and found[0]() is (_NOTHING if about is None else about)
            and found[1]() is (_NOTHING if context is None else context)
        ):
            return found[2]
        return self.MISSING

    def get(self, about: T, make: Callable[[T], V], context: object = None) -> V:
        """`make(about)`, made once per (about, context): `context` is whatever else the
        answer depends on (None: nothing). One answer is kept per object: asked with another
        context, it is made again and replaces the first."""
        found = self.find(about, context)
        if found is not self.MISSING:
            return found
        return self.put(about, make(about), context)

    def put(self, about: object, value: V, context: object = None) -> V:
        """Keep `value` for (about, context), in place of what was kept for `about`."""
        if len(self._kept) >= self._limit:
            self._kept.clear()
        self._kept[id(about)] = (_ref(about), _ref(context), value)
        return value
