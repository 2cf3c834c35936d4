"""django-q2's cluster in two processes: the sentinel, the pusher and the monitor in the process
``manage.py qcluster`` started, the workers forked from it.

django-q2 (1.11) runs five processes for one worker: the command's process, which only waits for
its sentinel; the sentinel, which guards the others and runs the scheduler; the pusher, which
moves tasks from the broker to a local queue; the monitor, which saves results; and the worker.
They share most of their pages (all are forked from the warmed command's process), but each
writes 5-12 MB of its own, and on a 512 MB Pi Zero 2 W that counts. The pusher and the monitor
only wait on the database and on a queue, so here they are threads of the sentinel, and the
sentinel runs in the command's own process: 17 MiB less PSS on an idle hub (135 → 118 MiB,
docs/benchmarks.md). The worker stays a process: a task past its timeout is killed with it, and
``max_rss``/``recycle`` replace it, exactly as in django-q2.

What changes, and why it is safe:

- **Forking with threads.** The sentinel forks a worker at start and again whenever one is
  replaced, while the pusher and monitor threads run. A thread inside SQLite, a cache's lock or
  a log write at that instant would leave that lock held forever in the child. So the threads
  do all such work inside ``ForkGate.working()`` and the sentinel forks inside
  ``ForkGate.forking()``, which waits until no thread is inside and keeps them out meanwhile.
  Outside the gate the threads only block on the multiprocessing queues (which re-initialise
  their thread-side state in a child) or sleep. The connections the threads keep open are
  inherited by the child unused: SQLite's close there takes no lock the parent needs (its
  checkpoint on close needs an exclusive lock that the parent's open connection refuses) and
  psycopg does not end a connection from a forked child.
- **Signals.** SIGTERM (systemd, ``KillMode=mixed``) and SIGINT set a flag and nothing else; the
  guard loop sees it within ``guard_cycle`` (0.5 s) and stops as django-q2's sentinel does: the
  pusher stops taking tasks, the worker finishes what is already in its queue, the monitor
  saves the last results. (A multiprocessing ``Event`` set from a handler can deadlock: the
  handler runs in the main thread, which may be waiting on that same event.) A worker resets
  both signals to django-q2's: SIGINT ignored (Ctrl-C reaches the whole terminal group, the
  sentinel stops it), SIGTERM fatal (the guard ``terminate()``\\ s a worker past its timeout).
- **Schedules at start.** The scheduler also runs once right after the workers start, not only
  every 30 s: a hub back from a power cut runs its due jobs at once.
"""

import contextlib
import multiprocessing.connection
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable
from multiprocessing import Value

from django.conf import settings
from django_q.brokers import get_broker
from django_q.cluster import Sentinel, get_mp_context
from django_q.conf import Conf, logger
from django_q.humanhash import humanize
from django_q.monitor import save_cached, save_task
from django_q.queues import Queue
from django_q.scheduler import scheduler
from django_q.signals import post_execute
from django_q.signing import BadSignature, SignedPackage
from django_q.utils import get_func_repr
from django_q.worker import worker

# After the broker fails, the pusher waits this long and ends; the guard then starts a new one
# (django-q2's pusher does the same).
BROKER_FAILURE_PAUSE = 10
# django-q2's own default for Q_CLUSTER's "poll" (django_q.conf.Conf.POLL)
DEFAULT_POLL = 0.2


class ForkGate:
    """Keeps forks and the helper threads' work apart (see the module's docstring).

    Many threads may be ``working()`` at once; ``forking()`` waits until none is, and a thread
    that wants to start working while a fork is waiting waits for the fork (so a busy pusher
    cannot starve it)."""

    def __init__(self):
        self._condition = threading.Condition()
        self._working = 0
        self._forking = False

    @contextlib.contextmanager
    def working(self):
        with self._condition:
            while self._forking:
                self._condition.wait()
            self._working += 1
        try:
            yield
        finally:
            with self._condition:
                self._working -= 1
                self._condition.notify_all()

    @contextlib.contextmanager
    def forking(self):
        with self._condition:
            self._forking = True
            while self._working:
                self._condition.wait()
        try:
            yield
        finally:
            with self._condition:
                self._forking = False
                self._condition.notify_all()


class Flag:
    """The start and stop events of a sentinel in the main process: a plain attribute, safe to
    set from a signal handler (see the module's docstring)."""

    def __init__(self):
        self._set = False
        # the processes whose exit ends a wait early (the guard's workers, see InProcessSentinel)
        self.processes: Callable[[], list] = list

    def set(self) -> None:
        self._set = True

    def is_set(self) -> bool:
        return self._set

    def wait(self, timeout: float) -> bool:
        # A signal interrupts the wait, its handler sets the flag, the wait then finishes the
        # rest of ``timeout`` (PEP 475): a stop is seen within one guard cycle. A worker that
        # exits (replaced after a photo, ``max_rss``) ends it at once, so the guard starts the
        # next one without waiting out its cycle. The guard then counts the other workers'
        # running tasks down by a whole cycle: what was not waited is given back to them, so
        # their timeouts stay exact.
        if not self._set:
            alive = [p for p in self.processes() if p.is_alive()]
            if not alive:
                time.sleep(timeout)
                return self._set
            start = time.monotonic()
            multiprocessing.connection.wait([p.sentinel for p in alive], timeout)
            unwaited = timeout - (time.monotonic() - start)
            if unwaited > 0:
                for process in alive:
                    with process.timer.get_lock():
                        if process.is_alive() and process.timer.value > 0:
                            process.timer.value += unwaited
        return self._set


class ResultQueue(Queue):
    """The workers' results, read by the monitor thread of this process. django-q2's sentinel
    closes the queue right after putting "STOP" in it, and closing a queue closes its reading
    end (its feeder thread does, once the buffer is sent): here the monitor reads that very end,
    so ``close`` first waits for the monitor to reach "STOP", saving every result before it."""

    reader: threading.Thread | None = None

    def close(self):
        if self.reader is not None and self.reader is not threading.current_thread():
            self.reader.join()
        super().close()


class HelperThread(threading.Thread):
    """The pusher or the monitor, with what django-q2's guard and ``Stat`` ask of a process."""

    def __init__(self, target, role: str):
        super().__init__(target=target, name=f"{role}-{uuid.uuid4().hex[:8]}", daemon=True)

    @property
    def pid(self) -> int:
        return os.getpid()


def worker_process(task_queue, result_queue, timer, timeout):
    """django-q2's worker, with the signal dispositions its sentinel would have given it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    worker(task_queue, result_queue, timer, timeout)


class InProcessSentinel(Sentinel):
    """django-q2's sentinel, run in the calling process, with the pusher and the monitor as
    threads of it. The guard loop, the reincarnation of a dead or timed-out worker, ``recycle``,
    ``max_rss`` and the orderly stop are django-q2's own."""

    def __init__(self, stop_event, start_event, cluster_id, broker=None, timeout=None):
        self.gate = ForkGate()
        super().__init__(stop_event, start_event, cluster_id, broker, timeout, start=False)
        # Sentinel.__init__ records the parent as the cluster's pid (its parent was the
        # cluster's process); here this process is the cluster.
        self.parent_pid = None
        self.event_out = threading.Event()
        self.result_queue = ResultQueue()
        # The ORM broker's ``dequeue`` sleeps ``poll`` seconds when the queue is empty, and the
        # pusher calls it inside the fork gate: every replacement of a worker (after each photo,
        # ``max_rss``) waited up to that second for the gate, ~1.5 s a task in all. The pusher
        # (this process's only broker reader) waits outside the gate instead. The poll is read
        # from the settings, not from ``Conf.POLL``: a second sentinel of this process (a test's)
        # would find the 0 set here and spin.
        self.poll = settings.Q_CLUSTER.get("poll", DEFAULT_POLL)
        Conf.POLL = 0
        stop_event.processes = lambda: self.pool

    def start(self):
        self.broker.ping()
        self.spawn_cluster()
        if Conf.SCHEDULER:
            scheduler(broker=self.broker)
        self.guard()

    def spawn_worker(self):
        timer = Value("f", -1)
        process = get_mp_context().Process(
            target=worker_process,
            args=(self.task_queue, self.result_queue, timer, self.timeout),
            name=f"Process-{uuid.uuid4().hex}",
        )
        process.daemon = Conf.DAEMONIZE_WORKERS
        process.timer = timer
        self.pool.append(process)
        with self.gate.forking():
            process.start()
        return process

    def spawn_pusher(self) -> HelperThread:
        thread = HelperThread(self.push, "pusher")
        thread.start()
        return thread

    def spawn_monitor(self) -> HelperThread:
        thread = HelperThread(self.watch_results, "monitor")
        self.result_queue.reader = thread
        thread.start()
        return thread

    def push(self):
        """django-q2's ``pusher``: tasks from the broker into the workers' queue until the stop
        event; the broker's work inside the gate, the (possibly blocking) put outside it."""
        broker = self.broker
        while True:
            tasks, failed = [], False
            with self.gate.working():
                try:
                    task_set = broker.dequeue()  # None at once when there is none (``poll`` 0)
                except Exception:
                    logger.exception("Failed to pull task from broker")
                    task_set, failed = None, True
                for ack_id, payload in task_set or ():
                    try:
                        task = SignedPackage.loads(payload)
                    except (TypeError, BadSignature):
                        logger.exception("Failed to push task to queue")
                        broker.fail(ack_id)
                        continue
                    task["cluster"] = Conf.CLUSTER_NAME
                    task["ack_id"] = ack_id
                    tasks.append(task)
            if failed:
                self.event_out.wait(BROKER_FAILURE_PAUSE)
                return
            for task in tasks:
                self.task_queue.put(task)
            if not task_set:
                self.event_out.wait(self.poll)  # outside the gate: a fork need not wait
            if self.event_out.is_set():
                return

    def watch_results(self):
        """django-q2's ``monitor``: saves each result from the workers until "STOP"."""
        broker = self.broker
        for task in iter(self.result_queue.get, "STOP"):
            with self.gate.working():
                if task.get("cached", False):
                    save_cached(task, broker)
                else:
                    save_task(task, broker)
                ack_id = task.pop("ack_id", False)
                if ack_id and (task["success"] or task.get("ack_failure", False)):
                    broker.acknowledge(ack_id)
                post_execute.send(sender="django_q", task=task)
                if task["success"]:
                    logger.info("Processed '%s' (%s)", get_func_repr(task["func"]), task["name"])
                else:
                    logger.error(
                        "Failed '%s' (%s) - %s",
                        get_func_repr(task["func"]),
                        task["name"],
                        task["result"],
                    )


def run_cluster(*, run_once: bool = False) -> None:
    """Run the cluster in this process until SIGTERM or SIGINT (or one guard cycle with
    ``run_once``), then stop it in order."""
    stop_event, start_event = Flag(), Flag()
    cluster_id = uuid.uuid4()
    sentinel = InProcessSentinel(stop_event, start_event, cluster_id, broker=get_broker())

    def request_stop(_signum, _frame):
        stop_event.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    if run_once:
        stop_event.set()
    logger.info("Q Cluster %s starting in process %s.", humanize(cluster_id.hex), os.getpid())
    sentinel.start()
    logger.info("Q Cluster %s has stopped.", humanize(cluster_id.hex))
