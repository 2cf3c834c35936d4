"""The django-q2 cluster as the hub runs it (``manage.py qcluster``, hub.core.cluster), for real:
two processes (the sentinel with its pusher and monitor threads, and one worker), a task and a
scheduled task run, a worker replaced after it passed ``max_rss`` and after a task past its
timeout, and a SIGTERM that lets the running task finish and stops everything in seconds.

The cluster runs the hub's own settings (``max_rss`` 100 MB, one worker) on a copy of the
migrated village template, with the hub's schedules removed so the worker runs only this test's
tasks (cluster_tasks.py). Tasks are put in the ORM broker's table directly, signed with the
cluster's secret key as ``async_task`` would, and report through files, so the test itself needs
no Django of the hub's.
"""

import json
import secrets
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.utils import timezone
from django_q import core_signing
from django_q.humanhash import uuid as task_uuid
from django_q.signing import PickleSerializer
from picklefield.fields import dbsafe_decode

from tests.harness import templates
from tests.harness.processes import (
    ROOT,
    clean_env,
    hub_processes,
    kill_all,
    stop_process,
    wait_until,
)

TASKS = "tests.e2e.cluster_tasks"
QUEUE = "balai"  # Q_CLUSTER["name"]: the broker's queue and the payloads' signing salt
START_TIMEOUT = 90
TASK_TIMEOUT = 30


class Cluster:
    """One ``manage.py qcluster`` on its own data directory."""

    def __init__(self, base: Path):
        self.data_dir = templates.village_data_dir(base / "data")
        self.reports = base / "reports"
        self.reports.mkdir()
        self.db = self.data_dir / "db.sqlite3"
        self.secret_key = secrets.token_urlsafe(40)
        self.env = clean_env()
        self.env.update(
            HUB_DATA_DIR=str(self.data_dir),
            HUB_SECRET_KEY=self.secret_key,
            DJANGO_SETTINGS_MODULE="hub.settings.main",
            PYTHONUNBUFFERED="1",
        )
        self.log_path = base / "qcluster.log"
        self.process = None

    def sql(self, statement: str, params=()) -> list:
        with sqlite3.connect(self.db, timeout=30) as conn:
            return conn.execute(statement, params).fetchall()

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(ROOT / "manage.py"), "qcluster"],
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        if not wait_until(
            lambda: self.worker_pids() or self.process.poll() is not None, START_TIMEOUT
        ):
            self.fail(f"no worker within {START_TIMEOUT} s")
        if self.process.poll() is not None:
            self.fail(f"qcluster exited with status {self.process.returncode}")

    def fail(self, why: str):
        log = self.log_path.read_text(errors="replace")[-3000:]
        pytest.fail(f"{why}\n--- qcluster log ---\n{log}")

    def pids(self) -> list[int]:
        return sorted(pid for pid, _cmd in hub_processes(self.data_dir))

    def worker_pids(self) -> list[int]:
        return [pid for pid in self.pids() if pid != self.process.pid]

    def enqueue(self, func: str, *args, timeout: int | None = None) -> str:
        """What ``async_task`` puts in the ORM broker's table (``sql`` instead of Django)."""
        name, task_id = task_uuid()
        task = {"id": task_id, "name": name, "func": f"{TASKS}.{func}", "args": args}
        task.update({"kwargs": {}, "started": timezone.now(), "ack_failure": True})
        if timeout:
            task["timeout"] = timeout
        payload = core_signing.dumps(
            task, key=self.secret_key, salt=QUEUE, serializer=PickleSerializer
        )
        self.sql(
            "INSERT INTO django_q_ormq (key, payload, lock) VALUES (?, ?, ?)",
            (QUEUE, payload, "2000-01-01 00:00:00"),
        )
        return task_id

    def report(self, tag: str, timeout: float = TASK_TIMEOUT) -> dict:
        path = self.reports / f"{tag}.json"
        if not wait_until(path.exists, timeout, interval=0.1):
            self.fail(f"task {tag} reported nothing within {timeout} s")
        return json.loads(path.read_text())

    def run(self, func: str, tag: str, *args, timeout: int | None = None) -> dict:
        self.enqueue(func, str(self.reports), tag, *args, timeout=timeout)
        return self.report(tag)

    def result(self, task_id: str, timeout: float = TASK_TIMEOUT) -> tuple[bool, object]:
        """(success, result) as the monitor saved them."""
        found = []
        wait_until(
            lambda: (
                found.extend(
                    self.sql("SELECT success, result FROM django_q_task WHERE id = ?", (task_id,))
                )
                or found
            ),
            timeout,
            interval=0.2,
        )
        if not found:
            self.fail(f"no result saved for task {task_id} within {timeout} s")
        success, result = found[0]
        return bool(success), dbsafe_decode(result)

    def new_worker(self, old: int, timeout: float = TASK_TIMEOUT) -> int:
        if not wait_until(lambda: self.worker_pids() and old not in self.worker_pids(), timeout):
            self.fail(f"worker {old} not replaced within {timeout} s: {self.worker_pids()}")
        return self.worker_pids()[0]

    def close(self) -> None:
        if self.process:
            stop_process(self.process, signal.SIGTERM, timeout=30)
        kill_all(hub_processes(self.data_dir))


def cluster_without_schedules(base: Path) -> Cluster:
    cluster = Cluster(base)
    cluster.sql("DELETE FROM django_q_schedule")
    return cluster


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    cluster = cluster_without_schedules(tmp_path_factory.mktemp("cluster"))
    # a schedule due now: the cluster's scheduler turns it into a task when it starts
    cluster.sql(
        "INSERT INTO django_q_schedule (name, func, args, kwargs, schedule_type, repeats, "
        "next_run) VALUES (?, ?, ?, '', 'O', -1, ?)",
        (
            "scheduled in the test",
            f"{TASKS}.report",
            repr((str(cluster.reports), "scheduled")),
            "2000-01-01 00:00:00",
        ),
    )
    cluster.start()
    yield cluster
    cluster.close()


def test_two_processes_run_a_task_and_a_scheduled_one(cluster):
    # given the running cluster: its process and one worker, nothing else
    assert len(cluster.pids()) == 2, cluster.pids()
    (worker,) = cluster.worker_pids()
    # when a task is queued, and then another
    first = cluster.run("report", "first")
    second = cluster.run("report", "second")
    # then the worker runs both (a small task does not take it past max_rss: it stays)
    assert first["pid"] == second["pid"] == worker
    # and the schedule due at start ran on the same worker, and was removed (a ONCE schedule)
    assert cluster.report("scheduled")["pid"] == worker
    assert cluster.sql("SELECT count(*) FROM django_q_schedule") == [(0,)]
    assert len(cluster.pids()) == 2


def test_a_worker_past_max_rss_is_replaced_after_its_task(cluster):
    # given the worker (max_rss 100 MB, the hub's setting)
    before = cluster.run("report", "before growth")
    # when a task takes it past max_rss
    grown = cluster.run("grow_past_max_rss", "growth")
    # then that task finishes on the worker, which a new one replaces, and the next task runs
    assert grown["pid"] == before["pid"]
    assert grown["peak_rss_kb"] > 100_000
    replacement = cluster.new_worker(before["pid"])
    after = cluster.run("report", "after growth")
    assert after["pid"] == replacement
    assert after["peak_rss_kb"] < 100_000
    assert len(cluster.pids()) == 2


def test_a_task_past_its_timeout_is_stopped_and_its_worker_replaced(cluster):
    # given the worker
    worker = cluster.run("report", "before timeout")["pid"]
    # when a task runs past its timeout (1 s for a 30 s job)
    task_id = cluster.enqueue("sleep_then_report", str(cluster.reports), "too long", 30, timeout=1)
    # then the task is recorded as failed by timeout, its worker replaced, the queue goes on
    success, result = cluster.result(task_id)
    assert not success and "exceeded maximum timeout" in result, result
    replacement = cluster.new_worker(worker)
    assert cluster.run("report", "after timeout")["pid"] == replacement
    assert not (cluster.reports / "too long.json").exists()
    assert len(cluster.pids()) == 2


def test_sigterm_lets_the_running_task_finish_and_stops_in_seconds(tmp_path):
    # given a cluster working on a 3 s task
    cluster = cluster_without_schedules(tmp_path)
    try:
        cluster.start()
        task_id = cluster.enqueue("sleep_then_report", str(cluster.reports), "running", 3)
        # (running in the worker, not only taken from the queue by the pusher: a task taken
        # but not yet started is left in the queue for the next start, by design)
        cluster.report("running started")
        # when systemd stops it (SIGTERM to the main process: KillMode=mixed)
        started = time.monotonic()
        cluster.process.send_signal(signal.SIGTERM)
        status = cluster.process.wait(timeout=30)
        seconds = time.monotonic() - started
        # then the task finished and was saved and acknowledged, and nothing is left running
        assert status == 0, cluster.log_path.read_text()[-3000:]
        assert seconds < 8, seconds
        assert cluster.report("running", timeout=0)["tag"] == "running"
        assert cluster.result(task_id, timeout=0) == (True, cluster.report("running")["pid"])
        assert cluster.sql("SELECT count(*) FROM django_q_ormq") == [(0,)]
        assert wait_until(lambda: not cluster.pids(), 5), cluster.pids()
    finally:
        cluster.close()
