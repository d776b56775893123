"""The cyclic collector is paused while any burst is in progress, and left as it was found."""

from __future__ import annotations

import gc
import threading

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
