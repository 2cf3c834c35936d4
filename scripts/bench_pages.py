"""`scripts/bench pages`: the villager pages and the hub measured against the project's targets.

Run through ``scripts/bench pages`` (it installs Chromium and wrk when missing). The hub is
started with ``scripts/run`` in a fresh data directory and a clean environment, exactly as a
technician would start it, and stopped at the end (SIGTERM to the process group of that run).

Order of work:

1. first start: migrations, demo village, the cluster makes the renditions of the demo photos;
   page weight in headless Chromium; memory after a minute of load; the hub is stopped;
2. the home page HTML is written into the collected static dir as ``bench/reference.html`` (and
   its ``.gz``): whitenoise indexes that dir when gunicorn starts, so the next start serves a
   static file of exactly the home page's size;
3. uncached render time, in-process, while the hub is stopped;
4. second start: requests per second with wrk (static reference, then the pages), then the soak
   of writing admin clients, memory after the soak; the hub is stopped.

What each figure means and the results of a full run are in docs/benchmarks.md.
"""

import argparse
import contextlib
import gzip
import io
import json
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("BALAI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
# A phone on the village Wi-Fi reaches the hub by name over plain HTTP: no service worker there
# (not a secure context) and no brotli (Chromium offers it over HTTPS and localhost only).
LAN_HOST = "balai.lan"
PHONE = {"width": 390, "height": 844}
PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 13; SM-A145F) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36"
)

KB = 1024
MB = 1024 * 1024
TARGET_TEXT_BYTES = 14 * KB
TARGET_ALL_BYTES = 100 * KB
TARGET_RPS_RATIO = 0.60
TARGET_RENDER_MS = 20.0
TARGET_PSS_BYTES = 300 * MB

SOAK_CLIENTS = 20
SOAK_IMAGE_EVERY = 4  # every 4th iteration of a client also uploads an image
STATIC_REFERENCE = "/static/bench/reference.html"
NOTICE_PATH = re.compile(r'href="(/pengumuman/(?:[a-z0-9-]+-)?[0-9a-f]{10}/)"')


class BenchError(Exception):
    """The benchmark could not run (as opposed to a target that was missed)."""


def say(message: str) -> None:
    print(f"\033[1m[bench]\033[0m {message}", file=sys.stderr, flush=True)


def kb(n: float) -> str:
    return f"{n / KB:.1f} KB"


def mb(n: float) -> str:
    return f"{n / MB:.1f} MB"


def short(path: str) -> str:
    """A page path for a table: an announcement's UUID cut to its first 8 digits."""
    return re.sub(r"([0-9a-f]{8})-[0-9a-f-]{27}", r"\1…", path)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))  # ceil
    return ordered[int(rank) - 1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_get(url: str, headers: dict | None = None, timeout: float = 30) -> tuple[int, dict, bytes]:
    """GET without decoding: the body as it crossed the wire."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return (
                response.status,
                {k.lower(): v for k, v in response.headers.items()},
                (response.read()),
            )
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


# --------------------------------------------------------------------------------------------
# The hub under test: scripts/run in its own process group


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
        env = clean_env(self.data_dir, PORT=str(self.port), HOST="127.0.0.1", **self.extra_env)
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


def manage_shell(data_dir: Path, code: str, **extra_env: str) -> str:
    """Run Python in ``scripts/manage shell`` against the hub's data dir; returns stdout."""
    result = subprocess.run(
        [str(ROOT / "scripts" / "manage"), "shell", "-c", code],
        cwd=ROOT,
        env=clean_env(data_dir, **extra_env),
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        raise BenchError(f"scripts/manage shell failed:\n{result.stderr[-2000:]}")
    return result.stdout


# --------------------------------------------------------------------------------------------
# 1. Weight of a first visit, in headless Chromium


def content_kind(headers: dict, resource_type: str) -> str:
    ctype = headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "text/html":
        return "html"
    if ctype == "text/css":
        return "css"
    if "javascript" in ctype or ctype == "text/ecmascript":
        return "js"
    if ctype.startswith("image/"):
        return "img"
    return {"document": "html", "stylesheet": "css", "script": "js", "image": "img"}.get(
        resource_type, "other"
    )


def body_bytes_on_wire(response) -> tuple[int, str]:
    """Encoded (compressed) body bytes this response cost the network, and how we know.

    Chromium reports the encoded size per request; a negative size is a response served from
    the HTTP cache (nothing crossed the wire). The service worker's own script is reported with
    size 0 by the page's instrumentation, so its Content-Length (encoded length) is used.
    """
    if response.from_service_worker:
        return 0, "from service worker (its fetch is counted)"
    try:
        body = response.request.sizes()["responseBodySize"]
    except Exception:  # the request vanished with its worker; fall back below
        body = 0
    if body < 0:
        return 0, "HTTP cache"
    if body == 0 and response.status == 200:
        length = response.headers.get("content-length")
        if length and length.isdigit():
            return int(length), "content-length"
    return body, "chromium"


def measure_first_visit(browser, url: str, dpr: int) -> dict:
    context = browser.new_context(
        viewport=PHONE,
        device_scale_factor=dpr,
        is_mobile=True,
        has_touch=True,
        user_agent=PHONE_UA,
    )
    inflight = {"n": 0, "last": time.monotonic()}
    responses = []

    def on_request(_request):
        inflight["n"] += 1
        inflight["last"] = time.monotonic()

    def on_done(_request):
        inflight["n"] -= 1
        inflight["last"] = time.monotonic()

    context.on("request", on_request)
    context.on("requestfinished", on_done)
    context.on("requestfailed", on_done)
    context.on("response", lambda response: responses.append(response))
    try:
        page = context.new_page()
        page.goto(url, wait_until="load", timeout=60_000)
        # Scroll the whole page so lazy images load, as a reader's thumb would.
        page.evaluate(
            """async () => {
                for (let y = 0; y < document.body.scrollHeight; y += innerHeight / 2) {
                    window.scrollTo(0, y);
                    await new Promise((r) => setTimeout(r, 120));
                }
                window.scrollTo(0, document.body.scrollHeight);
            }"""
        )
        # Where a service worker registers (secure contexts), let it install and precache.
        sw_state = page.evaluate(
            """() => !("serviceWorker" in navigator) ? "unavailable" : Promise.race([
                navigator.serviceWorker.ready.then(() => "installed"),
                new Promise((r) => setTimeout(() => r("not installed after 8 s"), 8000)),
            ])"""
        )
        # Network idle: nothing in flight (page and service worker) for a full second.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            page.wait_for_timeout(100)
            if inflight["n"] <= 0 and time.monotonic() - inflight["last"] > 1.0:
                break
        totals = {"html": 0, "css": 0, "js": 0, "img": 0, "other": 0}
        resources = []
        for response in responses:
            if not response.url.startswith("http"):
                continue
            size, source = body_bytes_on_wire(response)
            kind = content_kind(response.headers, response.request.resource_type)
            totals[kind] += size
            resources.append(
                {
                    "url": response.url,
                    "status": response.status,
                    "kind": kind,
                    "bytes": size,
                    "encoding": response.headers.get("content-encoding", ""),
                    "size_from": source,
                    "service_worker": response.request.service_worker is not None,
                }
            )
    finally:
        context.close()
    text = totals["html"] + totals["css"] + totals["js"]
    return {
        "url": url,
        "dpr": dpr,
        "service_worker": sw_state,
        **totals,
        "text": text,
        "all": sum(totals.values()),
        "requests": len(resources),
        "resources": resources,
    }


def bench_weight(hub: Hub, pages: dict[str, str]) -> list[dict]:
    from playwright.sync_api import sync_playwright

    lan_base = f"http://{LAN_HOST}:{hub.port}"
    variants = [
        ("127.0.0.1 (SW, br)", hub.base, 2),
        ("127.0.0.1 (SW, br)", hub.base, 3),
        (f"{LAN_HOST} (plain HTTP)", lan_base, 2),
        (f"{LAN_HOST} (plain HTTP)", lan_base, 3),
    ]
    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {LAN_HOST} 127.0.0.1"],
        )
        try:
            for name, path in pages.items():
                for origin, base, dpr in variants:
                    result = measure_first_visit(browser, base + path, dpr)
                    result.update(page=name, path=path, origin=origin)
                    results.append(result)
                    say(
                        f"weight {name} {origin} DPR {dpr}: text {kb(result['text'])}, "
                        f"all {kb(result['all'])}"
                    )
            browser_version = browser.version
        finally:
            browser.close()
    for result in results:
        result["chromium"] = browser_version
    return results


# --------------------------------------------------------------------------------------------
# 2. Throughput with wrk, static reference side by side


def run_wrk(url: str, seconds: int, script: Path | None = None) -> dict:
    command = ["wrk", "-t2", "-c8", f"-d{seconds}s", "-H", "Accept-Encoding: gzip"]
    if script:
        command += ["-s", str(script)]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, timeout=seconds + 60, check=True
    ).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if not rps:
        raise BenchError(f"wrk printed no Requests/sec:\n{output}")
    total = re.search(r"(\d+) requests in", output)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    latency = re.search(r"Latency\s+(\S+)\s+(\S+)\s+(\S+)", output)
    return {
        "url": url,
        "rps": float(rps.group(1)),
        "requests": int(total.group(1)) if total else 0,
        "non_2xx_3xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": sum(int(x) for x in socket_errors.groups()) if socket_errors else 0,
        "latency_avg": latency.group(1) if latency else "",
        "latency_max": latency.group(3) if latency else "",
        "command": " ".join([*command, url]),
    }


def check_static_reference(hub: Hub, reference_gz: bytes) -> dict:
    status, headers, body = http_get(hub.base + STATIC_REFERENCE, {"Accept-Encoding": "gzip"})
    served = (
        status == 200
        and headers.get("content-encoding") == "gzip"
        and body == reference_gz
        and "x-balai-cache" not in headers
    )
    if not served:
        raise BenchError(
            f"the static reference is not served by whitenoise as expected: {status} {headers}"
        )
    return {"status": status, "bytes": len(body), "headers": headers}


def page_cache_state(hub: Hub, path: str) -> str:
    """Warm a page in both workers and say whether the anonymous cache answers it."""
    states = set()
    for _ in range(6):
        _, headers, _ = http_get(hub.base + path, {"Accept-Encoding": "gzip"})
        states.add(headers.get("x-balai-cache", "none"))
    return "hit" if states == {"hit"} or "hit" in states else "/".join(sorted(states))


def wrk_ms(value: str) -> float:
    """wrk's latency ("850.00us", "12.77ms", "1.12s", "2.00m") in milliseconds."""
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    if not match:
        return float("nan")
    scale = {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[match.group(2)]
    return float(match.group(1)) * scale


def bench_throughput(hub: Hub, pages: dict[str, str], seconds: int, rounds: int) -> dict:
    """Requests per second of the static reference and of each page, side by side.

    Every round runs the static file and the three pages back to back, starting one further
    along each round. A page's ratio is its rate over the static file's rate in the same round
    and the figure is the median over the rounds, so that other work on the machine weighs on
    both sides of a ratio.
    """
    targets = {"static": STATIC_REFERENCE, **pages}
    names = list(targets)
    cache = {name: page_cache_state(hub, path) for name, path in pages.items()}
    for name in names:
        run_wrk(hub.base + targets[name], 2)  # warm-up: both workers, page caches
    runs: dict[str, list[dict]] = {name: [] for name in names}
    for round_number in range(rounds):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            boots_before = hub.worker_boots()
            result = run_wrk(hub.base + targets[name], seconds)
            result["worker_restarts"] = hub.worker_boots() - boots_before
            runs[name].append(result)
            say(f"wrk round {round_number + 1}/{rounds} {name}: {result['rps']:.0f} requests/s")
    out = {}
    for name in names:
        rates = [r["rps"] for r in runs[name]]
        ratios = [r["rps"] / s["rps"] for r, s in zip(runs[name], runs["static"], strict=True)]
        out[name] = {
            "path": targets[name],
            "rps": statistics.median(rates),
            "rps_runs": rates,
            "ratio": statistics.median(ratios),
            "ratio_runs": ratios,
            "cache": cache.get(name, ""),
            "latency_avg_ms": statistics.median(wrk_ms(r["latency_avg"]) for r in runs[name]),
            "latency_max_ms": max(wrk_ms(r["latency_max"]) for r in runs[name]),
            "errors": sum(r["non_2xx_3xx"] + r["socket_errors"] for r in runs[name]),
            "worker_restarts": sum(r["worker_restarts"] for r in runs[name]),
            "requests": sum(r["requests"] for r in runs[name]),
        }
    command = runs["static"][0]["command"]
    return {"seconds": seconds, "rounds": rounds, "targets": out, "command": command}


# --------------------------------------------------------------------------------------------
# 3. Uncached render, in-process (run as a child with the hub's environment)


def render_worker(paths: list[str], iterations: int, warmup: int) -> None:
    """Time full requests through the WSGI stack with the page cache emptied before each one.

    This is exactly what a visitor pays on a cache miss: every middleware (gzip included, as a
    phone accepts it), Wagtail's routing, the queries and the templates. Prints JSON.
    CPU time is reported beside wall time: on a machine shared with other work it shows what
    the render itself costs.
    """
    sys.path.insert(0, str(ROOT))
    from django.conf import settings
    from django.core.cache import caches
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    import hub.wsgi  # noqa: F401 - the application gunicorn serves, with its settings

    page_cache = caches["pages"] if "pages" in settings.CACHES else None
    client = Client(HTTP_HOST="127.0.0.1")
    out = {"debug": settings.DEBUG, "settings": settings.SETTINGS_MODULE, "pages": {}}

    def one(path: str) -> tuple[float, float]:
        if page_cache is not None:
            page_cache.clear()
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(path, HTTP_ACCEPT_ENCODING="gzip")
        cpu = (time.process_time() - started_cpu) * 1000
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200 or response.headers.get("X-Balai-Cache") == "hit":
            raise SystemExit(f"{path}: {response.status_code} {response.headers}")
        return elapsed, cpu

    # The pages take turns in blocks, so a slow spell of the machine weighs on all of them.
    blocks = 4
    samples: dict[str, list[list[tuple[float, float]]]] = {path: [] for path in paths}
    for path in paths:
        for _ in range(warmup):
            one(path)
    for block in range(blocks):
        size = iterations // blocks + (1 if block < iterations % blocks else 0)
        for path in paths:
            samples[path].append([one(path) for _ in range(size)])
    for path in paths:
        flat = [sample for block in samples[path] for sample in block]
        times = [wall for wall, _ in flat]
        if page_cache is not None:
            page_cache.clear()
        with CaptureQueriesContext(connection) as queries:
            one(path)
        out["pages"][path] = {
            "iterations": len(flat),
            "median_ms": statistics.median(times),
            "p95_ms": percentile(times, 95),
            "min_ms": min(times),
            "cpu_median_ms": statistics.median(cpu for _, cpu in flat),
            "block_medians_ms": [statistics.median(w for w, _ in b) for b in samples[path]],
            "queries": len(queries),
        }
    print(json.dumps(out))


def bench_render(data_dir: Path, pages: dict[str, str], iterations: int) -> dict:
    env = clean_env(
        data_dir,
        HUB_SECRET_KEY_FILE=str(data_dir / "secret_key"),
        HUB_DEBUG="0",
        PYTHONPATH=str(ROOT),
    )
    result = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--render-worker",
            *[arg for path in pages.values() for arg in ("--path", path)],
            "--iterations",
            str(iterations),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if result.returncode != 0:
        raise BenchError(f"the render benchmark failed:\n{result.stderr[-3000:]}")
    data = json.loads(result.stdout.strip().splitlines()[-1])
    if data["debug"]:
        raise BenchError("the render benchmark ran with DEBUG on; the figures would be wrong")
    by_name = {name: data["pages"][path] for name, path in pages.items()}
    return {"settings": data["settings"], "pages": by_name}


# --------------------------------------------------------------------------------------------
# 4. Memory after a minute of load


def bench_memory_under_load(hub: Hub, paths: list[str], seconds: int, data_dir: Path) -> dict:
    script = data_dir / "bench-rotate.lua"
    lua_paths = ", ".join(json.dumps(p) for p in paths)
    script.write_text(
        f"local paths = {{{lua_paths}}}\n"
        "local i = 0\n"
        "request = function()\n"
        "  i = i + 1\n"
        "  return wrk.format(nil, paths[(i % #paths) + 1])\n"
        "end\n"
    )
    result: dict = {}

    def load():
        result["wrk"] = run_wrk(hub.base + "/", seconds, script)

    thread = threading.Thread(target=load)
    thread.start()
    samples = []
    while thread.is_alive():
        samples.append(hub.memory())
        thread.join(timeout=2)
    after = hub.memory()
    # gunicorn replaces a worker every ~2000 requests: a sample taken just after a replacement
    # shows a young, small worker. The highest sample is what the hub must have room for.
    peak = max([*samples, after], key=lambda sample: sample["total"])
    totals = [sample["total"] for sample in samples]
    return {
        "seconds": seconds,
        "paths": paths,
        "peak": peak,
        "after": after,
        "sample_totals": totals,
        **result,
    }


# --------------------------------------------------------------------------------------------
# 5. Soak: writing admin clients and the cluster on SQLite


@dataclass
class Sample:
    kind: str
    status: int
    ms: float
    error: str = ""


@dataclass
class SoakClient:
    base: str
    username: str
    password: str
    seed: int
    samples: list[Sample] = field(default_factory=list)
    announcements: int = 0
    images: int = 0

    TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
    PUBLISH_AT = re.compile(r'name="publish_at" value="([^"]*)"')

    def __post_init__(self):
        import requests

        self.session = requests.Session()
        self.rng = random.Random(self.seed)

    def _request(self, kind: str, method: str, path: str, expect: int, **kwargs):
        started = time.perf_counter()
        try:
            response = self.session.request(
                method, self.base + path, allow_redirects=False, timeout=120, **kwargs
            )
        except Exception as exc:  # a timeout or a dropped connection is a failed write
            self.samples.append(
                Sample(kind, 0, (time.perf_counter() - started) * 1000, type(exc).__name__)
            )
            return None
        elapsed = (time.perf_counter() - started) * 1000
        error = ""
        if response.status_code >= 500:
            error = f"HTTP {response.status_code}"
        elif response.status_code != expect:
            error = f"HTTP {response.status_code} (expected {expect})"
        self.samples.append(Sample(kind, response.status_code, elapsed, error))
        return None if error else response

    def login(self) -> None:
        page = self._request("login form", "GET", "/admin/login/", 200)
        token = self.TOKEN.search(page.text).group(1) if page is not None else ""
        done = self._request(
            "login",
            "POST",
            "/admin/login/",
            302,
            data={
                "csrfmiddlewaretoken": token,
                "username": self.username,
                "password": self.password,
                "next": "/admin/",
            },
        )
        if done is None:
            raise BenchError(f"{self.username} could not log in to the admin")

    def add_announcement(self, number: int) -> None:
        path = "/admin/snippets/site/announcement/add/"
        form = self._request("announcement form", "GET", path, 200)
        if form is None:
            return
        text = f"Pengumuman uji beban {number} dari {self.username}: kerja bakti hari Minggu."
        body = {
            "blocks": [
                {
                    "key": secrets.token_hex(3)[:5],
                    "text": text,
                    "type": "unstyled",
                    "depth": 0,
                    "inlineStyleRanges": [],
                    "entityRanges": [],
                    "data": {},
                }
            ],
            "entityMap": {},
        }
        publish_at = self.PUBLISH_AT.search(form.text)
        saved = self._request(
            "announcement save",
            "POST",
            path,
            302,
            data={
                "csrfmiddlewaretoken": self.TOKEN.search(form.text).group(1),
                "title": f"Uji beban {self.username} #{number}",
                "category": self.rng.choice(["umum", "kesehatan", "pertanian", "sosial"]),
                "body": json.dumps(body),
                "image": "",
                "publish_at": publish_at.group(1) if publish_at else "",
                "expires_at": "",
            },
        )
        if saved is not None:
            self.announcements += 1

    def add_image(self, number: int) -> None:
        from PIL import Image, ImageDraw

        path = "/admin/images/add/"
        form = self._request("image form", "GET", path, 200)
        if form is None:
            return
        # A small photo-like JPEG, different every time (~40-60 KB).
        picture = Image.effect_noise((640, 480), 24).convert("RGB")
        draw = ImageDraw.Draw(picture)
        for _ in range(6):
            x, y = self.rng.randrange(640), self.rng.randrange(480)
            colour = tuple(self.rng.randrange(256) for _ in range(3))
            draw.ellipse([x - 60, y - 60, x + 60, y + 60], fill=colour)
        buffer = io.BytesIO()
        picture.save(buffer, "JPEG", quality=75)
        saved = self._request(
            "image upload",
            "POST",
            path,
            302,
            data={
                "csrfmiddlewaretoken": self.TOKEN.search(form.text).group(1),
                "title": f"Foto uji {self.username} #{number}",
                "description": "",
                "tags": "",
            },
            files={"file": (f"uji-{self.username}-{number}.jpg", buffer.getvalue(), "image/jpeg")},
        )
        if saved is not None:
            self.images += 1

    def run(self, start: threading.Event, deadline_box: list[float]) -> None:
        start.wait()
        number = 0
        while time.monotonic() < deadline_box[0]:
            number += 1
            self.add_announcement(number)
            if number % SOAK_IMAGE_EVERY == 0:
                self.add_image(number)


def create_soak_users(data_dir: Path, password: str) -> list[str]:
    names = [f"uji-beban-{i:02d}" for i in range(1, SOAK_CLIENTS + 1)]
    code = (
        "import os\n"
        "from django.contrib.auth import get_user_model\n"
        "User = get_user_model()\n"
        f"for name in {names!r}:\n"
        "    user, _ = User.objects.get_or_create(username=name)\n"
        "    user.is_staff = user.is_superuser = True\n"
        "    user.set_password(os.environ['BENCH_PASSWORD'])\n"
        "    user.save()\n"
    )
    manage_shell(data_dir, code, BENCH_PASSWORD=password)
    return names


SOAK_STATE = """
import json
from django.db.models import Count, Q
from django_q.models import OrmQ, Task
from wagtail.images import get_image_model
from hub.media.renditions import all_rendition_filters
from hub.site.models import Announcement
BalaiImage = get_image_model()
BalaiRendition = BalaiImage.get_rendition_model()
failed = Task.objects.filter(success=False)
specs = [f.spec for f in all_rendition_filters()]
images = BalaiImage.objects.filter(title__startswith="Foto uji")
made = Count("renditions", filter=Q(renditions__filter_spec__in=specs), distinct=True)
print(json.dumps({
    "announcements": Announcement.objects.filter(title__startswith="Uji beban").count(),
    "images": images.count(),
    "images_missing_renditions": images.annotate(made=made).filter(made__lt=len(specs)).count(),
    "renditions": BalaiRendition.objects.filter(image__title__startswith="Foto uji").count(),
    "tasks_ok": Task.objects.filter(success=True).count(),
    "tasks_failed": failed.count(),
    "task_failures": [str(t.result)[:200] for t in failed[:5]],
    "queued": OrmQ.objects.count(),
}))
"""


def exceptions_in(log: str) -> dict[str, int]:
    """The last line of each traceback in a log ("FileNotFoundError: ..."), counted."""
    found: dict[str, int] = {}
    for match in re.finditer(r"^([\w.]+(?:Error|Exception|Exit)): (.{0,160})", log, re.M):
        key = f"{match.group(1)}: {match.group(2)}"
        found[key] = found.get(key, 0) + 1
    return dict(sorted(found.items(), key=lambda item: -item[1]))


def bench_soak(hub: Hub, data_dir: Path, seconds: int) -> dict:
    password = secrets.token_urlsafe(18)
    say(f"soak: creating {SOAK_CLIENTS} admin accounts")
    names = create_soak_users(data_dir, password)
    clients = [SoakClient(hub.base, name, password, seed=i) for i, name in enumerate(names)]
    say("soak: logging in")
    for client in clients:
        client.login()
    log_offset = len(hub.log_text())
    start = threading.Event()
    deadline_box = [0.0]
    threads = [threading.Thread(target=c.run, args=(start, deadline_box)) for c in clients]
    for thread in threads:
        thread.start()
    say(f"soak: {SOAK_CLIENTS} writing clients for {seconds} s")
    began = time.monotonic()
    deadline_box[0] = began + seconds
    start.set()
    queue_peak = 0
    while any(t.is_alive() for t in threads):
        with contextlib.suppress(Exception):
            queue_peak = max(queue_peak, hub.health().get("queue", {}).get("queued") or 0)
        for thread in threads:
            thread.join(timeout=5 / len(threads))
    elapsed = time.monotonic() - began
    say("soak: waiting for the cluster to finish the queued renditions")
    drain = hub.wait_queue_empty(timeout=900)
    log = hub.log_text()[log_offset:]
    samples = [s for c in clients for s in c.samples if s.kind not in ("login form", "login")]
    kinds = {}
    for kind in sorted({s.kind for s in samples}):
        times = [s.ms for s in samples if s.kind == kind]
        kinds[kind] = {
            "requests": len(times),
            "p50_ms": statistics.median(times),
            "p95_ms": percentile(times, 95),
            "max_ms": max(times),
            "errors": sum(1 for s in samples if s.kind == kind and s.error),
        }
    all_times = [s.ms for s in samples]
    errors = [s for s in samples if s.error]
    state = json.loads(manage_shell(data_dir, SOAK_STATE).strip().splitlines()[-1])
    return {
        "seconds": seconds,
        "elapsed": elapsed,
        "clients": SOAK_CLIENTS,
        "requests": len(samples),
        "requests_per_second": len(samples) / elapsed if elapsed else 0,
        "p50_ms": statistics.median(all_times) if all_times else float("nan"),
        "p95_ms": percentile(all_times, 95),
        "http_500": sum(1 for s in samples if s.status >= 500),
        "other_errors": sum(1 for s in errors if s.status < 500),
        "error_examples": sorted({f"{s.kind}: {s.error}" for s in errors})[:10],
        "database_locked_in_log": log.count("database is locked"),
        "tracebacks_in_log": log.count("Traceback (most recent call last)"),
        "exceptions_in_log": exceptions_in(log),
        "announcements_created": sum(c.announcements for c in clients),
        "images_uploaded": sum(c.images for c in clients),
        "queue_peak": queue_peak,
        "queue_drain_seconds": drain,
        "kinds": kinds,
        "database": state,
    }


# --------------------------------------------------------------------------------------------
# Report


@dataclass
class Check:
    name: str
    figure: str
    target: str
    ok: bool | None  # None: skipped


def machine() -> dict:
    def run(*command: str) -> str:
        try:
            return subprocess.run(command, capture_output=True, text=True, timeout=10).stdout
        except OSError:
            return ""

    lscpu = run("lscpu")
    model = re.search(r"Model name:\s+(.+)", lscpu)
    mem = re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())
    wrk_version = run("wrk", "--version").splitlines()
    return {
        "cpus": os.cpu_count(),
        "nproc": run("nproc").strip(),
        "arch": platform.machine(),
        "cpu_model": model.group(1).strip() if model else "",
        "memory": f"{int(mem.group(1)) / MB:.1f} GB" if mem else "",
        "kernel": platform.release(),
        "python": platform.python_version(),
        "wrk": wrk_version[0].split(" [")[0] if wrk_version else "",
    }


def code_version() -> str:
    """The commit measured, and how many tracked files differ from it."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(ROOT), "log", "-1", "--format=%h %cI %s"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return "not a git checkout"
    return f"{commit}" + (f" (+{len(changed)} changed files)" if changed else "")


def build_checks(results: dict) -> list[Check]:
    checks = []
    for name, path in results["pages"].items():
        runs = [w for w in results["weight"] if w["page"] == name]
        text = max(runs, key=lambda w: w["text"])
        everything = max(runs, key=lambda w: w["all"])
        checks.append(
            Check(
                f"first visit {short(path)} HTML+CSS+JS",
                f"{kb(text['text'])} (worst: {text['origin']}, DPR {text['dpr']})",
                f"≤ {kb(TARGET_TEXT_BYTES)}",
                text["text"] <= TARGET_TEXT_BYTES,
            )
        )
        checks.append(
            Check(
                f"first visit {short(path)} with images",
                f"{kb(everything['all'])} (worst: {everything['origin']}, DPR {everything['dpr']})",
                f"≤ {kb(TARGET_ALL_BYTES)}",
                everything["all"] <= TARGET_ALL_BYTES,
            )
        )
    targets = results["throughput"]["targets"]
    for name, run in targets.items():
        if name == "static":
            continue
        checks.append(
            Check(
                f"requests/s {short(run['path'])} vs static",
                f"{run['rps']:.0f} vs {targets['static']['rps']:.0f}: {run['ratio']:.0%}",
                f"≥ {TARGET_RPS_RATIO:.0%}",
                run["ratio"] >= TARGET_RPS_RATIO,
            )
        )
    home = results["render"]["pages"]["home"]
    checks.append(
        Check(
            "uncached render of / (median)",
            f"{home['median_ms']:.1f} ms (p95 {home['p95_ms']:.1f} ms)",
            f"≤ {TARGET_RENDER_MS:.0f} ms",
            home["median_ms"] <= TARGET_RENDER_MS,
        )
    )
    memory = results["memory"]
    checks.append(
        Check(
            "memory in and after 1 min of load (PSS)",
            f"{mb(memory['peak']['total'])} highest (after: {mb(memory['after']['total'])})",
            f"≤ {mb(TARGET_PSS_BYTES)}",
            memory["peak"]["total"] <= TARGET_PSS_BYTES,
        )
    )
    soak = results.get("soak")
    if soak:
        # "database is locked" anywhere in the scripts/run log of the whole benchmark.
        locked = results["database_locked_in_whole_log"]
        checks.append(
            Check(
                f"soak {soak['clients']} writers {soak['seconds']} s",
                f"{soak['requests']} requests, {soak['http_500']} HTTP 500, "
                f"{soak['other_errors']} other errors, {locked} 'database is locked'",
                "0 errors, 0 locked",
                soak["http_500"] == 0 and soak["other_errors"] == 0 and locked == 0,
            )
        )
    else:
        checks.append(Check("soak of writing clients", "skipped (--skip-soak)", "", None))
    return checks


def table(headers: list[str], rows: list[list[str]], right: set[int] = frozenset()) -> str:
    widths = [max(len(str(x)) for x in column) for column in zip(headers, *rows, strict=True)]

    def line(cells):
        return "  ".join(
            str(c).rjust(w) if i in right else str(c).ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])


def report(results: dict, checks: list[Check]) -> str:
    m, pages = results["machine"], results["pages"]
    load = ", ".join(f"{k} {v:.2f}" for k, v in results["loadavg"].items())
    out = [
        "",
        f"Balai page benchmark, {results['date']}",
        f"machine: {m['nproc']} x {m['arch']} {m['cpu_model']}, {m['memory']} RAM, kernel "
        f"{m['kernel']}, Python {m['python']}, Chromium {results['weight'][0]['chromium']}, "
        f"{m['wrk']}",
        f"code: {results['code']}",
        f"load average (1 min) at each phase: {load}",
        "",
        "First visit, 390x844 phone, empty cache: bodies as sent (compressed), 1 KB = 1024 B",
    ]
    kinds = ("html", "css", "js", "text", "img", "other", "all")
    rows = [
        [short(w["path"]), w["origin"], str(w["dpr"]), *(kb(w[k]) for k in kinds)]
        + [str(w["requests"])]
        for w in results["weight"]
    ]
    out.append(table(["page", "origin", "DPR", *kinds, "req"], rows, right=set(range(2, 11))))

    t = results["throughput"]
    out += [
        "",
        f"Throughput: {t['rounds']} rounds of wrk -t2 -c8 -d{t['seconds']}s, Accept-Encoding: "
        "gzip, 127.0.0.1; medians over the rounds",
    ]
    rows = [
        [
            "static reference (whitenoise)" if name == "static" else short(r["path"]),
            f"{r['rps']:.0f}",
            f"{min(r['rps_runs']):.0f}-{max(r['rps_runs']):.0f}",
            "" if name == "static" else f"{r['ratio']:.0%}",
            r["cache"],
            f"{r['latency_avg_ms']:.1f}",
            f"{r['latency_max_ms']:.0f}",
            str(r["errors"]),
            str(r["worker_restarts"]),
        ]
        for name, r in t["targets"].items()
    ]
    headers = ["url", "req/s", "range", "vs static", "page cache", "avg ms", "max ms", "errors"]
    out.append(table([*headers, "worker restarts"], rows, right={1, 2, 3, 5, 6, 7, 8}))

    render = results["render"]
    out += ["", f"Uncached render in-process, page cache emptied each time ({render['settings']})"]
    rows = [
        [short(pages[n]), *(f"{r[k]:.1f}" for k in ("median_ms", "p95_ms", "min_ms"))]
        + [f"{r['cpu_median_ms']:.1f}", "/".join(f"{x:.0f}" for x in r["block_medians_ms"])]
        + [str(r["queries"]), str(r["iterations"])]
        for n, r in render["pages"].items()
    ]
    headers = ["page", "median ms", "p95 ms", "min ms", "CPU median", "per block", "queries"]
    out.append(table([*headers, "runs"], rows, {1, 2, 3, 4, 5, 6, 7}))

    out += ["", "Memory (PSS) of gunicorn and the django-q2 cluster"]
    samples = [
        ("after 1 min of load", results["memory"]["after"]),
        ("highest sample (every 2 s)", results["memory"]["peak"]),
    ]
    if results.get("memory_after_soak"):
        samples.append(("after the soak", results["memory_after_soak"]))
    roles = ("gunicorn master", "gunicorn worker", "django-q2 cluster")
    rows = [
        [
            label,
            *(mb(sample["by_role"].get(role, 0)) for role in roles),
            mb(sample["total"]),
            f"{len(sample['processes'])} ({'/'.join(sample['kinds'])})",
        ]
        for label, sample in samples
    ]
    headers = ["when", "master", "2 workers", "cluster", "total", "processes"]
    out.append(table(headers, rows, right={1, 2, 3, 4}))

    soak = results.get("soak")
    if soak:
        out += [
            "",
            f"Soak: {soak['clients']} admin clients writing for {soak['seconds']} s "
            f"({soak['requests_per_second']:.1f} requests/s) while the cluster makes renditions "
            f"(queue peak {soak['queue_peak']}, empty {soak['queue_drain_seconds']:.0f} s after)",
        ]
        rows = [
            [kind, str(k["requests"]), *(f"{k[x]:.0f}" for x in ("p50_ms", "p95_ms", "max_ms"))]
            + [str(k["errors"])]
            for kind, k in soak["kinds"].items()
        ]
        errors = soak["http_500"] + soak["other_errors"]
        rows.append(
            ["all", str(soak["requests"]), f"{soak['p50_ms']:.0f}", f"{soak['p95_ms']:.0f}", ""]
            + [str(errors)]
        )
        headers = ["request", "count", "p50 ms", "p95 ms", "max ms", "errors"]
        out.append(table(headers, rows, {1, 2, 3, 4, 5}))
        db = soak["database"]
        out.append(
            f"saved: {soak['announcements_created']} announcements, {soak['images_uploaded']} "
            f"images; in the database: {db['announcements']} announcements, {db['images']} "
            f"images ({db.get('images_missing_renditions', '?')} without all their renditions), "
            f"{db['renditions']} renditions; tasks failed "
            f"{db['tasks_failed']}; log: {soak['database_locked_in_log']} 'database is locked', "
            f"{soak['tracebacks_in_log']} tracebacks"
        )
        if soak["error_examples"]:
            out.append("errors: " + "; ".join(soak["error_examples"]))
        for exception, count in list(soak["exceptions_in_log"].items())[:5]:
            out.append(f"in the log {count}x: {exception}")
        if db["task_failures"]:
            out.append("task failures: " + "; ".join(db["task_failures"]))

    out += ["", "Stopping scripts/run (SIGTERM to its process group)"]
    for i, stop in enumerate(results.get("stops", []), 1):
        if stop["killed"]:
            left = ", ".join(stop["killed"])
            out.append(f"run {i}: still running after {stop['seconds']:.0f} s, killed: {left}")
        else:
            out.append(f"run {i}: stopped in {stop['seconds']:.1f} s")

    out += ["", "Targets"]
    rows = [
        [c.name, c.figure, c.target, "SKIP" if c.ok is None else ("PASS" if c.ok else "FAIL")]
        for c in checks
    ]
    out.append(table(["check", "figure", "target", "result"], rows))
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------------


def find_pages(hub: Hub) -> dict[str, str]:
    status, _, body = http_get(hub.base + "/pengumuman/")
    if status != 200:
        raise BenchError(f"/pengumuman/ answered {status}")
    match = NOTICE_PATH.search(body.decode())
    if not match:
        raise BenchError("no announcement linked from /pengumuman/")
    return {"home": "/", "list": "/pengumuman/", "detail": match.group(1)}


def stylesheet_path(html: bytes) -> str:
    match = re.search(rb'<link rel="stylesheet" href="([^"]+)"', html)
    if not match:
        raise BenchError("no stylesheet linked from the home page")
    return match.group(1).decode()


def loadavg(phase: str, results: dict) -> None:
    """Other work on the machine lowers every figure: the 1-minute load average is recorded."""
    results["loadavg"][phase] = float(Path("/proc/loadavg").read_text().split()[0])


def write_static_reference(data_dir: Path, html: bytes) -> bytes:
    """The home page's own HTML as a static file, compressed the way whitenoise does it."""
    static_root = data_dir / "static"
    if not static_root.is_dir():
        raise BenchError(f"no collected static dir at {static_root}")
    target = static_root / "bench" / "reference.html"
    target.parent.mkdir(exist_ok=True)
    target.write_bytes(html)
    compressed = gzip.compress(html, compresslevel=9, mtime=0)
    target.with_name(target.name + ".gz").write_bytes(compressed)
    return compressed


def run(args) -> int:
    data_dir = Path(tempfile.mkdtemp(prefix="balai-bench-"))
    port = args.port or free_port()
    log_path = data_dir / "run.log"
    hub = Hub(data_dir, port, log_path)
    results: dict = {
        "date": datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %z"),
        "command": "scripts/bench pages " + " ".join(sys.argv[1:]),
        "machine": machine(),
        "code": code_version(),
        "data_dir": str(data_dir),
        "loadavg": {},
    }
    try:
        say(f"first start of scripts/run on 127.0.0.1:{port}, data in {data_dir}")
        hub.start()
        hub.wait_ready()
        say("waiting for the cluster to make the demo village's renditions")
        results["first_renditions_seconds"] = hub.wait_queue_empty()
        pages = find_pages(hub)
        results["pages"] = pages
        _, _, home_html = http_get(hub.base + "/")

        loadavg("weight", results)
        say("page weight in headless Chromium")
        results["weight"] = bench_weight(hub, pages)
        # Memory is read on this first run, where the cluster has just made the renditions of
        # the demo photos: the state of any hub that has received a picture.
        loadavg("memory", results)
        say(f"memory: {args.load_seconds} s of load on the pages and the stylesheet")
        results["memory"] = bench_memory_under_load(
            hub, [*pages.values(), stylesheet_path(home_html)], args.load_seconds, data_dir
        )
        results["stops"] = [hub.stop()]

        # whitenoise indexes the static dir when gunicorn starts: write the reference first.
        reference_gz = write_static_reference(data_dir, home_html)
        results["static_reference"] = {"bytes": len(home_html), "gzip_bytes": len(reference_gz)}

        loadavg("render", results)
        say(f"uncached render, {args.render_iterations} requests per page")
        results["render"] = bench_render(data_dir, pages, args.render_iterations)

        say("second start of scripts/run")
        hub.start()
        hub.wait_ready()
        hub.wait_queue_empty()
        check_static_reference(hub, reference_gz)
        loadavg("throughput", results)
        say("throughput with wrk")
        results["throughput"] = bench_throughput(hub, pages, args.wrk_seconds, args.wrk_rounds)
        if not args.skip_soak:
            loadavg("soak", results)
            results["soak"] = bench_soak(hub, data_dir, args.soak_seconds)
            results["memory_after_soak"] = hub.memory()
        results["database_locked_in_whole_log"] = hub.log_text().count("database is locked")
    except BenchError as exc:
        say(f"error: {exc}")
        say(f"kept {data_dir} (log: {log_path})")
        return 2
    finally:
        if hub.process is not None:
            say("stopping the hub")
            results.setdefault("stops", []).append(hub.stop())
        loadavg("end", results)

    checks = build_checks(results)
    return finish(results, checks, report(results, checks), args, data_dir, log_path)


def finish(results: dict, checks: list, text: str, args, data_dir: Path, log_path: Path) -> int:
    """Print the report, write the figures, keep the data dir when asked or when a check
    failed; the exit status of a bench (1 when a target is missed)."""
    results["checks"] = [c.__dict__ for c in checks]
    print(text)
    failed = any(c.ok is False for c in checks)
    keep = args.keep or failed
    json_path = (
        Path(args.json) if args.json else (data_dir / "bench-results.json" if keep else None)
    )
    if json_path:
        json_path.write_text(json.dumps(results, indent=2, default=str))
        say(f"all figures: {json_path}")
    if keep:
        say(f"kept {data_dir} (log: {log_path})")
    else:
        shutil.rmtree(data_dir, ignore_errors=True)
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(prog="scripts/bench pages", description=__doc__.split("\n")[0])
    parser.add_argument("--soak-seconds", type=int, default=300, help="soak length (default 300)")
    parser.add_argument("--skip-soak", action="store_true", help="leave out the soak")
    parser.add_argument("--wrk-seconds", type=int, default=10, help="each wrk run (default 10)")
    parser.add_argument("--wrk-rounds", type=int, default=3, help="rounds of wrk runs (3)")
    parser.add_argument("--load-seconds", type=int, default=60, help="load before memory (60)")
    parser.add_argument("--render-iterations", type=int, default=200)
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--json", help="write all figures to this file")
    parser.add_argument("--keep", action="store_true", help="keep the data dir and its log")
    parser.add_argument("--render-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--path", action="append", default=[], help=argparse.SUPPRESS)
    parser.add_argument("--iterations", type=int, default=200, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.render_worker:
        render_worker(args.path, args.iterations, warmup=30)
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
