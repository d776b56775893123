"""Keeping CPython's cyclic garbage collector off the objects a ledger process keeps.

Decoding a batch of read-model rows, rebuilding the read model or assembling a matrix and gap
report allocate tens of thousands of objects, nearly all acyclic and most kept in caches. The
cyclic collector runs after every so many allocations and, in a process that already holds a
large ledger in memory, walks far more of the heap than it frees: measured at 100k decisions,
about a third of an evaluation's time and three quarters of a row decode. `paused()` switches
it off for the burst; reference counting still frees everything that is not in a cycle.

When the last burst ends, everything alive is moved out of the collector's sight
(`gc.freeze()`) instead of being left for it to walk: otherwise its next passes walk every
object the burst kept — ~2-3 ms after each evaluation question at 100k decisions, and, in
its full passes, the whole ledger held in memory (~2M objects, 1-2 s). Frozen objects are
still freed by reference counting; only cyclic garbage among them waits. So the frozen part
is handed back to the collector and collected in full (`collect_frozen`) once it has grown by
a quarter since the last time — the proportion at which CPython itself collects its oldest
generation in full —, which bounds what cyclic garbage can wait to about that much.

The switch is process-wide: a count of the bursts in progress (in any thread) decides, so the
collector is back on once the last one ends, and stays off (and nothing is frozen) if it was
off to begin with.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

GROWTH = 0.25
"""Collect the frozen objects in full once their number grew by this fraction."""
MINIMUM = 100_000
"""... and by at least this many objects (a young process holds few)."""

_lock = threading.Lock()
_bursts = 0
_was_enabled = False
_frozen_then = 0
"""How many objects were frozen after the last full collection."""
_frozen_since = 0
"""About how many objects were frozen since."""


@contextmanager
def paused() -> Iterator[None]:
    global _bursts, _was_enabled
    with _lock:
        if _bursts == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _bursts += 1
    try:
        yield
    finally:
        due = False
        with _lock:
            _bursts -= 1
            if _bursts == 0 and _was_enabled:
                due = _freeze()
                gc.enable()
        if due:
            collect_frozen()


def _freeze() -> bool:
    """Freeze what is alive; whether the frozen part has grown enough to be collected in full
    (then the count starts again, so that one caller collects). Called under `_lock`. The
    youngest generation is counted by the collector's own count (its size, without listing it:
    it holds what the burst kept); the older ones, which hold only what survived since the
    last freeze, are listed."""
    global _frozen_since
    _frozen_since += gc.get_count()[0] + len(gc.get_objects(1)) + len(gc.get_objects(2))
    gc.freeze()
    if _frozen_since > max(MINIMUM, GROWTH * _frozen_then):
        _frozen_since = 0
        return True
    return False


def collect_frozen() -> None:
    """Hand the frozen objects back to the collector, collect everything, freeze what is left.
    Not under `_lock`: the finalisers the collection runs may start bursts of their own."""
    global _frozen_then, _frozen_since
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    with _lock:
        _frozen_then, _frozen_since = frozen, 0
