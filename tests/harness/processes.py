"""Processes on 127.0.0.1: free ports, HTTP probes, waiting, process trees, ``manage.py``."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
# What a hub's processes must not inherit from this one (hub.settings.test puts its own key, data
# dir and settings module in the environment).
HUB_ENV_PREFIXES = ("HUB_", "DJANGO_")

# urllib without the proxies of the environment: every request goes straight to 127.0.0.1.
direct_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def http_status(url: str, timeout: float = 3) -> int | None:
    """The status of a GET, or None when nothing answers."""
    try:
        with direct_opener.open(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (OSError, urllib.error.URLError):
        return None


def wait_until(ready: Callable[[], bool], timeout: float, interval: float = 0.25) -> bool:
    """Poll ``ready`` until it is true (True) or ``timeout`` seconds passed (False)."""
    deadline = time.monotonic() + timeout
    while True:
        if ready():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)


def clean_env() -> dict[str, str]:
    """This process's environment without anything of a hub's own settings."""
    return {k: v for k, v in os.environ.items() if not k.startswith(HUB_ENV_PREFIXES)}


def manage(env: dict, *args: str, check: bool = True, timeout: float = 300):
    """``manage.py`` as a subprocess in ``env``; fails the test when it fails (``check``)."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and result.returncode != 0:
        pytest.fail(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result


def stop_process(process: subprocess.Popen, sig=signal.SIGTERM, timeout: float = 30) -> None:
    """``sig`` to a process started in a session of its own, SIGKILL to its group if it hangs.

    SIGTERM goes to the main process alone (to django-q2's whole group it can hang, see
    scripts/run); SIGKILL goes to the whole group."""
    stop_processes([process], sig=sig, timeout=timeout)


def stop_processes(processes: list, sig=signal.SIGTERM, timeout: float = 30) -> None:
    """:func:`stop_process` for several at once: each gets ``sig`` before any is waited for, so
    they stop side by side instead of one after the other (``None`` entries are skipped)."""
    running = [p for p in processes if p is not None and p.poll() is None]
    for process in running:
        if sig == signal.SIGKILL:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sig)
        else:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(sig)
    deadline = time.monotonic() + timeout
    for process in running:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


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


def cmdline(pid: int) -> str:
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
            found.append((pid, cmdline(pid)))
    return found


def kill_all(processes: list[tuple[int, str]]) -> None:
    for pid, _cmd in processes:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
