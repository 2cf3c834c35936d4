"""End-to-end fixtures: ``scripts/run`` as a real process tree (gunicorn and the django-q2
cluster) on 127.0.0.1, in its own data directory, stopped with SIGTERM like Ctrl-C or systemd.

These tests never use pytest-django's test database: they talk to the processes over HTTP.
"""

import contextlib
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUN_SCRIPT = ROOT / "scripts" / "run"
HOST = "127.0.0.1"
START_TIMEOUT = 120
STOP_TIMEOUT = 20
PASSWORD_LINE = re.compile(r"kata sandi / password: (\S+)")
# What scripts/run may inherit from the calling shell. Everything else stays out: above all
# HUB_SECRET_KEY, HUB_DATA_DIR and DJANGO_SETTINGS_MODULE, which hub.settings.test puts in this
# process's environment, so scripts/run makes its own key file as it does in production.
INHERITED_ENV = ("PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TMPDIR")

# urllib without the proxies of the environment: every request goes straight to 127.0.0.1.
_direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def http_status(url: str, timeout: float = 3) -> int | None:
    """The status of a GET, or None when nothing answers."""
    try:
        with _direct.open(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (OSError, urllib.error.URLError):
        return None


def _environ_has(pid: int, entry: bytes) -> bool:
    try:
        return entry in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:  # gone meanwhile, or another user's process
        return False


def _process_group(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Fields after the command name, which is in parentheses and may contain spaces.
    fields = stat.rsplit(")", 1)[1].split()
    return None if fields[0] == "Z" else int(fields[2])


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""


def hub_processes(data_dir: Path, pgid: int | None = None) -> list[tuple[int, str]]:
    """Live processes of one hub: in its process group, or started with its data directory
    (every process scripts/run starts inherits ``HUB_DATA_DIR``, even one that left the group)."""
    entries = {f"HUB_DATA_DIR={data_dir}".encode(), f"HUB_DATA_DIR={data_dir.resolve()}".encode()}
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        pid = int(entry.name)
        group = _process_group(pid)
        if group is None:
            continue
        if group == pgid or any(_environ_has(pid, e) for e in entries):
            found.append((pid, _cmdline(pid)))
    return found


@dataclass
class Hub:
    """One ``scripts/run`` and everything it started."""

    data_dir: Path
    port: int
    log_path: Path
    process: subprocess.Popen
    stop_seconds: float | None = field(default=None, init=False)

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def admin_password(self) -> str | None:
        match = PASSWORD_LINE.search(self.output())
        return match.group(1) if match else None

    def processes(self) -> list[tuple[int, str]]:
        return hub_processes(self.data_dir, self.process.pid)

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> int:
        """SIGTERM to scripts/run alone (its trap must stop the rest), then check that nothing of
        the hub survives. Returns scripts/run's exit status."""
        if self.running:
            started = time.monotonic()
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._kill_all()
                pytest.fail(
                    f"scripts/run did not exit within {STOP_TIMEOUT} s of SIGTERM.\n{self._tail()}"
                )
            self.stop_seconds = time.monotonic() - started
        # scripts/run waits for its children; give the kernel a moment to reap grandchildren.
        deadline = time.monotonic() + 5
        survivors = self.processes()
        while survivors and time.monotonic() < deadline:
            time.sleep(0.1)
            survivors = self.processes()
        if survivors:
            self._kill_all()
            listing = "\n".join(f"  {pid} {cmd}" for pid, cmd in survivors)
            pytest.fail(f"Processes of the hub survived scripts/run's exit:\n{listing}")
        return self.process.returncode

    def _kill_all(self) -> None:
        for pid, _cmd in self.processes():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)

    def _tail(self, lines: int = 80) -> str:
        return "--- scripts/run output (tail) ---\n" + "\n".join(
            self.output().splitlines()[-lines:]
        )


def run_environment(data_dir: Path, port: int, extra: dict | None = None) -> dict[str, str]:
    env = {name: os.environ[name] for name in INHERITED_ENV if name in os.environ}
    env.update(extra or {})
    env.update(
        PORT=str(port),
        HOST=HOST,
        HUB_DATA_DIR=str(data_dir),
        # Log lines in the order they happen, for the failure messages.
        PYTHONUNBUFFERED="1",
    )
    return env


def start_hub(
    data_dir: Path, log_path: Path, port: int | None = None, extra_env: dict | None = None
) -> Hub:
    """Start scripts/run in its own process group and wait until /healthz answers 200."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(RUN_SCRIPT)],
            cwd=ROOT,
            env=run_environment(data_dir, port, extra_env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    hub = Hub(data_dir=data_dir, port=port, log_path=log_path, process=process)
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if not hub.running:
            hub._kill_all()
            pytest.fail(
                f"scripts/run exited with status {process.returncode} before /healthz "
                f"answered.\n{hub._tail()}"
            )
        if http_status(hub.url("/healthz")) == 200:
            return hub
        if time.monotonic() > deadline:
            hub._kill_all()
            pytest.fail(f"/healthz did not answer 200 within {START_TIMEOUT} s.\n{hub._tail()}")
        time.sleep(0.25)


class HubStarter:
    """Starts hubs for a test or a module and stops whatever is still running at the end."""

    def __init__(self, base: Path):
        self.base = base
        self.hubs: list[Hub] = []

    def __call__(self, data_dir: Path | None = None, port: int | None = None) -> Hub:
        data_dir = data_dir or self.base / "data"
        log_path = self.base / f"scripts-run-{len(self.hubs) + 1}.log"
        hub = start_hub(data_dir, log_path, port)
        self.hubs.append(hub)
        return hub

    def stop_all(self) -> None:
        problems = []
        # Newest first: a restarted hub shares its data dir with the stopped one before it.
        for hub in reversed(self.hubs):
            try:
                hub.stop()
            except pytest.fail.Exception as exc:
                problems.append(str(exc))
        if problems:
            pytest.fail("\n\n".join(problems))


@pytest.fixture
def hub_starter(tmp_path):
    """Call it to start scripts/run (a fresh data dir unless one is given)."""
    starter = HubStarter(tmp_path)
    yield starter
    starter.stop_all()


@pytest.fixture(scope="module")
def module_hub(tmp_path_factory):
    """One scripts/run with the demo village, shared by the tests of a module."""
    starter = HubStarter(tmp_path_factory.mktemp("hub"))
    yield starter()
    starter.stop_all()
