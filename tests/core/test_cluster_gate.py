"""The gate that keeps the cluster's forks apart from its pusher and monitor threads' work
(hub.core.cluster.ForkGate), with real threads; the guard's wait (Flag) with real processes; the
sentinel's poll. The cluster itself: tests/e2e/test_cluster.py."""

import multiprocessing
import threading
import time
import uuid

import pytest
from django_q.brokers import get_broker
from django_q.conf import Conf

from hub.core.cluster import Flag, ForkGate, InProcessSentinel


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


def _worker_like(seconds: float, timer_value: float):
    """A process as the guard sees a worker: its ``timer`` (seconds left of its task)."""
    process = multiprocessing.get_context("fork").Process(target=time.sleep, args=(seconds,))
    process.timer = multiprocessing.Value("f", timer_value)
    process.start()
    return process


def test_a_worker_exit_ends_the_wait_and_the_busy_ones_get_the_rest_of_the_cycle_back():
    # given a worker that exits soon (replaced after a photo) and one busy with a task, its
    # timer at 30 s, and one idle (timer -1)
    leaving, busy, idle = _worker_like(0.1, 30), _worker_like(10, 30), _worker_like(10, -1)
    flag = Flag()
    flag.processes = lambda: [leaving, busy, idle]
    try:
        # when the guard waits out its cycle of 2 s
        started = time.monotonic()
        assert flag.wait(2) is False
        waited = time.monotonic() - started
        # then the exit ended the wait early, and what was not waited went back to the busy
        # worker's timer (the guard counts it down by a whole cycle), not to the idle one's
        assert waited < 1.5
        assert busy.timer.value - 30 == pytest.approx(2 - waited, abs=0.1)
        assert idle.timer.value == -1
    finally:
        for process in (leaving, busy, idle):
            process.kill()
            process.join(5)


def test_every_sentinel_of_a_process_polls_at_the_configured_interval(db, settings, monkeypatch):
    # given the poll in the settings (Conf.POLL, which the sentinel sets to 0, put back after)
    monkeypatch.setattr(Conf, "POLL", Conf.POLL)
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "poll": 0.7}
    # when two sentinels are made in one process
    first = InProcessSentinel(Flag(), Flag(), uuid.uuid4(), broker=get_broker())
    second = InProcessSentinel(Flag(), Flag(), uuid.uuid4(), broker=get_broker())
    # then both wait 0.7 s between empty polls (the second does not read the first's 0)
    assert first.poll == second.poll == 0.7
    assert Conf.POLL == 0
