"""The gate that keeps the cluster's forks apart from its pusher and monitor threads' work
(hub.core.cluster.ForkGate), with real threads; the cluster itself: tests/e2e/test_cluster.py."""

import threading
import time

from hub.core.cluster import Flag, ForkGate


def test_a_fork_waits_for_the_work_in_progress_and_holds_new_work_back():
    gate = ForkGate()
    events = []
    working, fork_waiting = threading.Event(), threading.Event()

    def helper_work():
        with gate.working():
            working.set()
            fork_waiting.wait(5)
            time.sleep(0.1)  # the fork must still be waiting after this
            events.append("first work done")

    def fork():
        with gate.forking():
            events.append("fork")
            time.sleep(0.1)  # work asked for meanwhile must wait
        events.append("fork done")

    def later_work():
        with gate.working():
            events.append("later work")

    # given a helper inside the gate
    helper = threading.Thread(target=helper_work)
    helper.start()
    assert working.wait(5)
    # when the sentinel forks, and another helper asks to work while the fork waits or runs
    forker = threading.Thread(target=fork)
    forker.start()
    fork_waiting.set()
    time.sleep(0.05)
    later = threading.Thread(target=later_work)
    later.start()
    for thread in (helper, forker, later):
        thread.join(5)
    # then the fork came after the work in progress, and the later work after the fork
    assert events == ["first work done", "fork", "fork done", "later work"]


def test_flag_wait_returns_at_once_when_set_and_after_the_timeout_when_not():
    flag = Flag()
    started = time.monotonic()
    assert flag.wait(0.2) is False
    assert time.monotonic() - started >= 0.2
    flag.set()
    started = time.monotonic()
    assert flag.wait(5) is True
    assert time.monotonic() - started < 1
