"""The hub under a bench: ``scripts/run`` in its own process group, its processes and their
memory, and the Django-side steps (:mod:`bench.steps`) run in its environment."""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from .common import KB, ROOT, BenchError, http_get, say


def clean_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """What a technician's shell would pass to scripts/run: nothing of ours leaks in."""
    env = {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": "C.UTF-8",
        "HUB_DATA_DIR": str(data_dir),
    }
    env.update(extra)
    return env


def read_proc_tree() -> dict[int, tuple[int, int, str]]:
    """pid -> (ppid, pgid, command line) for every process we may read."""
    procs = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        pid = int(entry)
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: split after the last ")".
        fields = stat[stat.rindex(")") + 2 :].split()
        procs[pid] = (int(fields[1]), int(fields[2]), cmdline.strip())
    return procs


def pss_bytes(pid: int) -> tuple[int, str]:
    """Proportional set size from smaps_rollup; RSS where PSS cannot be read."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * KB, "pss"
    except OSError:
        pass
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * KB, "rss"
    except OSError:
        pass
    return 0, "gone"


# Every bench request comes from 127.0.0.1: the villager-facing rate limits (hub.core.ratelimit)
# would turn a timing run into 429s. A bench that measures the limits sets its own values.
UNLIMITED_ENV = {
    "HUB_RATE_LOOKUP": "1000000000",
    "HUB_RATE_SEARCH": "1000000000",
    "HUB_RATE_PAGE_QUERY": "1000000000",
}


class Hub:
    """One ``scripts/run`` on 127.0.0.1, in a new session so it can be stopped as a group."""

    def __init__(self, data_dir: Path, port: int, log_path: Path, extra_env: dict | None = None):
        self.data_dir = data_dir
        self.extra_env = dict(extra_env or {})
        self.port = port
        self.log_path = log_path
        self.base = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen | None = None
        self._log = None

    def start(self) -> None:
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        env = clean_env(
            self.data_dir,
            PORT=str(self.port),
            HOST="127.0.0.1",
            **{**UNLIMITED_ENV, **self.extra_env},
        )
        self.process = subprocess.Popen(
            [str(ROOT / "scripts" / "run")],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def wait_ready(self, timeout: float = 900) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(
                    f"scripts/run exited with status {self.process.returncode}:\n{self.log_tail()}"
                )
            with contextlib.suppress(OSError):
                status, _, _ = http_get(self.base + "/", timeout=5)
                if status == 200:
                    return
            time.sleep(1)
        raise BenchError(f"the hub did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def health(self) -> dict:
        status, _, body = http_get(self.base + "/healthz", timeout=10)
        try:
            return json.loads(body)
        except ValueError as exc:
            raise BenchError(f"/healthz answered {status} without JSON") from exc

    def wait_queue_empty(self, timeout: float = 600) -> float:
        """Wait until the cluster has no task queued (two polls in a row); returns seconds."""
        started = time.monotonic()
        empty_polls = 0
        while time.monotonic() - started < timeout:
            queued = self.health().get("queue", {}).get("queued")
            empty_polls = empty_polls + 1 if queued == 0 else 0
            if empty_polls >= 2:
                return time.monotonic() - started
            time.sleep(1)
        raise BenchError(f"tasks still queued after {timeout:.0f} s")

    def processes(self) -> list[tuple[int, str]]:
        """(pid, role) of gunicorn and the cluster, found in the tree of this scripts/run."""
        procs = read_proc_tree()
        children: dict[int, list[int]] = {}
        for pid, (ppid, _, _) in procs.items():
            children.setdefault(ppid, []).append(pid)
        found, todo = [], list(children.get(self.process.pid, []))
        while todo:
            pid = todo.pop()
            todo.extend(children.get(pid, []))
            ppid, _, cmd = procs[pid]
            if "gunicorn" in cmd:
                parent_is_gunicorn = "gunicorn" in procs.get(ppid, (0, 0, ""))[2]
                found.append((pid, "gunicorn worker" if parent_is_gunicorn else "gunicorn master"))
            elif "qcluster" in cmd:
                found.append((pid, "django-q2 cluster"))
        return sorted(found)

    def memory(self) -> dict:
        rows = []
        for pid, role in self.processes():
            size, kind = pss_bytes(pid)
            rows.append({"pid": pid, "role": role, "bytes": size, "kind": kind})
        by_role: dict[str, int] = {}
        for row in rows:
            by_role[row["role"]] = by_role.get(row["role"], 0) + row["bytes"]
        return {
            "total": sum(r["bytes"] for r in rows),
            "by_role": by_role,
            "processes": rows,
            "kinds": sorted({r["kind"] for r in rows}),
        }

    def worker_boots(self) -> int:
        return self.log_text().count("Booting worker with pid")

    def stop(self, grace: float = 20) -> dict:
        """SIGTERM to the whole process group; SIGKILL whatever is left after ``grace`` s.

        Returns how the stop went: seconds taken and the processes that outlived SIGTERM.
        """
        if self.process is None:
            return {}
        pgid = self.process.pid  # a session leader: its pid is the group id
        started = time.monotonic()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGTERM)
        while time.monotonic() - started < grace and self._group(pgid):
            time.sleep(0.2)
            self.process.poll()
        left = self._group(pgid)
        if left:
            say(f"{len(left)} processes outlived SIGTERM by {grace:.0f} s, killing: {left}")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        self.process = None
        if self._log:
            self._log.close()
            self._log = None
        return {"seconds": round(time.monotonic() - started, 1), "killed": left}

    @staticmethod
    def _group(pgid: int) -> list[str]:
        """Live processes of the group as "pid command" (a zombie has no command line)."""
        return [
            f"{pid} {cmd[:70]}"
            for pid, (_, group, cmd) in read_proc_tree().items()
            if group == pgid and cmd
        ]


def run_step(
    data_dir: Path, name: str, *, timeout: float = 900, extra_env: dict | None = None, **kwargs
):
    """``python -m bench.steps NAME`` in the environment of the hub of ``data_dir`` (as
    ``scripts/manage`` would run it): the step's keyword arguments in as JSON, its result out as
    JSON. Secrets go in ``extra_env``, never on the command line."""
    env = clean_env(
        data_dir,
        HUB_SECRET_KEY_FILE=str(data_dir / "secret_key"),
        DJANGO_SETTINGS_MODULE="hub.settings.main",
        HUB_DEBUG="0",
        PYTHONPATH=str(ROOT),
        **(extra_env or {}),
    )
    result = subprocess.run(
        [sys.executable, "-m", "bench.steps", name, json.dumps(kwargs)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise BenchError(f"bench step {name} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])
