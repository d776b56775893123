"""The cyclic collector is paused while any burst is in progress, and left as it was found."""

from __future__ import annotations

import gc
import threading
import weakref

import pytest

from ledger import collector


def test_paused_while_any_burst_runs_and_back_on_after_the_last() -> None:
    assert gc.isenabled()
    first_in, second_done = threading.Event(), threading.Event()

    def other_burst() -> None:
        with collector.paused():
            first_in.set()
            second_done.wait(5)

    thread = threading.Thread(target=other_burst)
    thread.start()
    first_in.wait(5)
    with collector.paused():
        assert not gc.isenabled()
    assert not gc.isenabled()  # the other thread's burst is still in progress
    second_done.set()
    thread.join(5)
    assert gc.isenabled()


def test_left_off_if_it_was_off() -> None:
    gc.disable()
    try:
        with collector.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


class _Node:
    """An object that can be part of a cycle, and be watched with a weak reference."""

    def __init__(self) -> None:
        self.other: object = None


def _cycle() -> weakref.ref[_Node]:
    a, b = _Node(), _Node()
    a.other, b.other = b, a
    return weakref.ref(a)


def test_what_a_burst_keeps_is_frozen_after_it() -> None:
    with collector.paused():
        kept = [_Node() for _ in range(10)]
    assert not any(kept[0] is obj for generation in range(3) for obj in gc.get_objects(generation))
    del kept


def test_cyclic_garbage_frozen_at_a_burst_end_is_collected_once_enough_was_frozen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    collector.collect_frozen()  # a known starting point: nothing grew since
    monkeypatch.setattr(collector, "MINIMUM", 5_000)
    monkeypatch.setattr(collector, "GROWTH", 0.0)
    with collector.paused():
        watched = _cycle()  # alive at the burst's end: frozen
    gc.collect()
    assert watched() is not None  # a frozen cycle waits: the collector does not see it
    with collector.paused():
        kept = [_Node() for _ in range(6_000)]  # more than MINIMUM frozen since
    assert watched() is None
    del kept


def test_collect_frozen_collects_cycles_frozen_earlier() -> None:
    with collector.paused():
        watched = _cycle()
    gc.collect()
    assert watched() is not None
    collector.collect_frozen()
    assert watched() is None


def test_nothing_is_frozen_if_the_collector_was_off() -> None:
    collector.collect_frozen()
    frozen = gc.get_freeze_count()
    gc.disable()
    try:
        with collector.paused():
            kept = [_Node() for _ in range(100)]
        assert gc.get_freeze_count() == frozen
    finally:
        gc.enable()
    del kept


def test_a_finaliser_run_by_the_full_collection_may_start_a_burst(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The full collection runs finalisers; one that decodes or assembles something starts a
    burst of its own, which must not wait for the burst that started the collection."""
    ran: list[bool] = []

    class Finalised(_Node):
        def __del__(self) -> None:
            with collector.paused():
                ran.append(True)

    def burst() -> None:
        with collector.paused():
            a, b = Finalised(), Finalised()
            a.other, b.other = b, a  # a cycle, garbage once the burst ends: frozen
            del a, b
        with collector.paused():
            kept.extend(_Node() for _ in range(6_000))  # enough frozen: collected in full

    collector.collect_frozen()
    monkeypatch.setattr(collector, "MINIMUM", 5_000)
    monkeypatch.setattr(collector, "GROWTH", 0.0)
    kept: list[_Node] = []
    thread = threading.Thread(target=burst, daemon=True)
    thread.start()
    thread.join(10)
    assert not thread.is_alive() and ran == [True, True]
