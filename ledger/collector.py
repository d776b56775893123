"""Pausing CPython's cyclic garbage collector while a burst of long-lived objects is made.

Decoding a batch of read-model rows, rebuilding the read model or assembling a matrix and gap
report allocate tens of thousands of objects, nearly all acyclic and most kept in caches. The
cyclic collector runs after every so many allocations and, in a process that already holds a
large ledger in memory, walks far more of the heap than it frees: measured at 100k decisions,
about a third of an evaluation's time and three quarters of a row decode. `paused()` switches
it off for the burst; reference counting still frees everything that is not in a cycle, and
the collector catches up when it is switched back on.

The switch is process-wide: a count of the bursts in progress (in any thread) decides, so the
collector is back on once the last one ends, and stays off if it was off to begin with.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_bursts = 0
_was_enabled = False


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
        with _lock:
            _bursts -= 1
            if _bursts == 0 and _was_enabled:
                gc.enable()
