"""`scripts/bench learn` (``python -m bench learn``): courses and video on phones, measured
against issue 14's targets.

A fresh data directory in /tmp, ``scripts/run`` started there as a technician would (gunicorn
as ``hub/gunicorn.conf.py`` configures it, the django-q2 cluster), then:

1. seed: a 10-minute test video made once with ffmpeg's ``testsrc`` (320×240, ≈ 200 kbit/s,
   cached in ``~/.cache/balai-bench/``), placed under the hub's media as 20 course videos (hard
   links: 20 files a phone each streams) of one village course, with a text lesson and a quiz;
2. weight of the course list, a course page and a lesson page with its video: the HTML as
   served (gzip) plus the CSS and JS it links: target 14 KB each (no media counted);
3. time to first byte of a Range request into the middle of the video (``bytes=N-``, as a
   phone's player asks after a seek), fresh connections: target ≤ 1 s (the worst);
4. page p95 (a lesson page, rendered each time: it is never cached) idle, then while 20
   clients stream 20 different videos at ≈ 600 kbit/s each, reading slowly like a phone that
   plays as it buffers: target p95 under load ≤ 2 × idle.

``--threads N`` sets ``HUB_WEB_THREADS`` (default: the gunicorn config's); ``--threads 1`` shows
what two single-threaded workers would do. Prints a table with PASS/FAIL per target; exits 1
when a target fails, 2 when the benchmark itself could not run (docs/benchmarks.md).
"""

import argparse
import gzip
import http.client
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest  # the harness reports its failures with pytest.fail

from tests.harness.processes import free_port

from .common import (
    KB,
    BenchError,
    Check,
    code_version,
    finish,
    http_get,
    hub_bench_main,
    kb,
    machine,
    percentile,
    say,
    table,
)
from .hub import Hub, run_step
from .learn_media import NginxSite, first_frame, say_frame
from .learn_sync import run_sync

STREAMS = 20
VIDEO_SECONDS = 600
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "balai-bench"
VIDEO_NAME = f"testsrc-{VIDEO_SECONDS}s-320x240.mp4"
TARGET_TEXT_BYTES = 14 * KB
TARGET_SEEK_S = 1.0
TARGET_LOAD_RATIO = 2.0
STREAM_RATE = 600_000 // 8  # bytes per second a phone reads
STYLESHEET = re.compile(r'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"')
SCRIPT = re.compile(r'<script[^>]+src="([^"]+)"')


def test_video() -> Path:
    """The 10-minute test video, made once and cached (about 15 MB)."""
    path = CACHE / VIDEO_NAME
    if path.exists():
        return path
    ffmpeg = shutil.which("ffmpeg") or ""
    if not ffmpeg:
        raise BenchError("ffmpeg not found: install Debian's ffmpeg (scripts/bench does)")
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part.mp4")
    say(f"making the {VIDEO_SECONDS} s test video once: {path}")
    done = subprocess.run(
        [
            ffmpeg,
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"testsrc=size=320x240:rate=15:duration={VIDEO_SECONDS}",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=440:duration={VIDEO_SECONDS}",
            "-c:v",
            "libx264",
            "-profile:v",
            "main",
            "-preset",
            "veryfast",
            "-b:v",
            "180k",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-b:a",
            "32k",
            "-movflags",
            "+faststart",
            str(partial),
        ],
        capture_output=True,
        timeout=1800,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(f"ffmpeg could not make the test video:\n{done.stderr.decode()[-2000:]}")
    partial.rename(path)
    return path


def seed(data_dir: Path, video: Path) -> dict:
    """The bench's course and its videos, made in the hub's environment
    (:func:`bench.steps.learn_seed`)."""
    return run_step(data_dir, "learn_seed", timeout=300, source=str(video), streams=STREAMS)


def text_weight(hub: Hub, path: str) -> dict:
    """HTML + the CSS and JS it links, each compressed as the hub serves it to a phone."""
    status, headers, body = http_get(hub.base + path, {"Accept-Encoding": "gzip"})
    if status != 200:
        raise BenchError(f"{path} answered {status}")
    html = gzip.decompress(body) if headers.get("content-encoding") == "gzip" else body
    parts = {path: len(body)}
    text = html.decode()
    for asset in STYLESHEET.findall(text) + SCRIPT.findall(text):
        _s, h, b = http_get(hub.base + asset, {"Accept-Encoding": "gzip"})
        parts[asset] = len(b)
    return {"total": sum(parts.values()), "parts": parts, "has_video": "<video" in text}


def seek_ttfb(hub: Hub, video: str, size: int, tries: int = 20) -> dict:
    """Seconds to the first byte of ``bytes=<middle>-`` on a fresh connection."""
    times = []
    for i in range(tries):
        start = size // 2 + i * 4096
        conn = http.client.HTTPConnection("127.0.0.1", hub.port, timeout=30)
        began = time.perf_counter()
        conn.request("GET", video, headers={"Range": f"bytes={start}-"})
        response = conn.getresponse()
        response.read(1)
        times.append(time.perf_counter() - began)
        if response.status != 206:
            raise BenchError(f"a seek answered {response.status}, not 206")
        conn.close()
    return {"max_s": max(times), "median_s": sorted(times)[len(times) // 2], "tries": tries}


PAGE_TIMEOUT = 10.0


def page_times(port: int, path: str, count: int) -> list[float]:
    """Seconds per GET of ``path``, each on a fresh connection; one that gets no answer within
    ``PAGE_TIMEOUT`` counts as that long (a page that never came)."""
    times = []
    for _ in range(count):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=PAGE_TIMEOUT)
        began = time.perf_counter()
        try:
            conn.request("GET", path, headers={"Accept-Encoding": "gzip"})
            response = conn.getresponse()
            response.read()
        except TimeoutError:
            times.append(PAGE_TIMEOUT)
            continue
        finally:
            conn.close()
        times.append(time.perf_counter() - began)
        if response.status != 200:
            raise BenchError(f"{path} answered {response.status}")
    return times


class Phone(threading.Thread):
    """A phone playing one video: ``bytes=0-``, read at ``STREAM_RATE`` with a small receive
    buffer, so the server's send blocks as it does on Wi-Fi to a player that buffers ahead."""

    def __init__(self, port: int, path: str, stop: threading.Event):
        super().__init__(daemon=True)
        self.port, self.path, self.stop = port, path, stop
        self.bytes = 0
        self.status = None
        self.error = ""

    def run(self):
        try:
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=60)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
            sock.sendall(
                f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nRange: bytes=0-\r\n\r\n".encode()
            )
            chunk = STREAM_RATE // 10
            while not self.stop.is_set():
                began = time.monotonic()
                data = sock.recv(chunk)
                if not data:
                    break
                if self.status is None:
                    self.status = data.split(b" ", 2)[1].decode(errors="replace")
                self.bytes += len(data)
                time.sleep(max(0.0, 0.1 - (time.monotonic() - began)))
            sock.close()
        except OSError as exc:
            self.error = str(exc)


def under_load(port: int, lesson: str, videos: list[str], count: int) -> dict:
    stop = threading.Event()
    phones = [Phone(port, video, stop) for video in videos]
    for phone in phones:
        phone.start()
    time.sleep(3)  # every phone connected and its server side blocked on a full buffer
    try:
        times = page_times(port, lesson, count)
    finally:
        stop.set()
        for phone in phones:
            phone.join(timeout=10)
    streaming = sum(1 for p in phones if p.status == "206" and p.bytes > 0)
    return {
        "times": times,
        "streaming": streaming,
        "bytes": sum(p.bytes for p in phones),
        "errors": [p.error for p in phones if p.error],
    }


def _load_check(results: dict, key: str, where: str) -> Check:
    idle, load = results[f"{key}_idle"]["p95_ms"], results[f"{key}_load"]["p95_ms"]
    streaming = results[f"{key}_load"]["streaming"]
    return Check(
        f"lesson page p95 with {STREAMS} streams vs idle ({where})",
        f"{load:.1f} ms vs {idle:.1f} ms ({load / idle:.2f}×), {streaming} streaming",
        f"≤ {TARGET_LOAD_RATIO:.0f}×, all {STREAMS} streaming",
        load <= TARGET_LOAD_RATIO * idle and streaming == STREAMS,
    )


def _frame_check(frame: dict, where: str) -> Check:
    return Check(
        f"seek to the middle of a 10-min video: first decoded frame, worst of "
        f"{len(frame['tries'])} ({where})",
        f"{frame['max_ms']:.0f} ms (median {frame['median_ms']:.0f} ms; {frame['how']}; "
        f"H.264 {frame['codec']}; pixels decoded: {frame['decoded']}; "
        f"206 from the middle: {frame['middle_206']})",
        f"≤ {TARGET_SEEK_S:.0f} s, decoded, 206",
        frame["max_ms"] <= TARGET_SEEK_S * 1000 and frame["decoded"] and frame["middle_206"],
    )


def build_checks(results: dict) -> list[Check]:
    checks = []
    for name, weight in results.get("weight", {}).items():
        checks.append(
            Check(
                f"{name} page, first visit (gzip, text)",
                kb(weight["total"]),
                f"≤ {kb(TARGET_TEXT_BYTES)}",
                weight["total"] <= TARGET_TEXT_BYTES,
            )
        )
    if seek := results.get("seek"):
        checks.append(
            Check(
                "seek to the middle of a 10-min video: first byte (worst of 20)",
                f"{seek['max_s'] * 1000:.1f} ms",
                f"≤ {TARGET_SEEK_S:.0f} s",
                seek["max_s"] <= TARGET_SEEK_S,
            )
        )
    if "frame" in results:
        checks.append(_frame_check(results["frame"], "scripts/run"))
    if "page_load" in results:
        checks.append(_load_check(results, "page", "scripts/run: gunicorn"))
    if "nginx_frame" in results:
        checks.append(_frame_check(results["nginx_frame"], "hub_nginx role"))
    if "nginx_load" in results:
        checks.append(_load_check(results, "nginx", "hub_nginx role in front"))
    return checks + results.get("sync_checks", [])


def report(results: dict, checks: list[Check]) -> str:
    rows = [[c.name, c.figure, c.target, "PASS" if c.ok else "FAIL"] for c in checks]
    return "\n".join(
        [
            "",
            f"scripts/bench learn — {results['date']} — {results['machine'].get('cpu_model', '')}",
            f"gunicorn threads per worker: {results['threads']}; load average before: "
            f"{results['load_before']}, after: {results['load_after']}",
            table(["check", "figure", "target", ""], rows),
            "",
        ]
    )


def _load_phase(results: dict, key: str, port: int, paths: dict, requests: int) -> None:
    page_times(port, paths["lesson"], 20)  # warm
    idle = page_times(port, paths["lesson"], requests)
    results[f"{key}_idle"] = {"p95_ms": percentile(idle, 95) * 1000}
    say(f"{STREAMS} phones streaming; {requests} lesson pages (port {port})")
    load = under_load(port, paths["lesson"], paths["videos"], requests)
    results[f"{key}_load"] = {
        "p95_ms": percentile(load["times"], 95) * 1000,
        "streaming": load["streaming"],
        "stream_bytes": load["bytes"],
        "errors": load["errors"],
    }


PARTS = ("pages", "seek", "frame", "load", "nginx", "sync")


def run(args) -> int:
    parts = set(args.only.split(","))
    if parts - set(PARTS):
        say(f"unknown parts: {', '.join(sorted(parts - set(PARTS)))} (known: {', '.join(PARTS)})")
        return 2
    data_dir = Path(tempfile.mkdtemp(prefix="balai-bench-learn-"))
    port = args.port or free_port()
    log_path = data_dir / "run.log"
    extra = {"HUB_NO_DEMO": "1"}
    if args.threads:
        extra["HUB_WEB_THREADS"] = str(args.threads)
    hub = Hub(data_dir, port, log_path, extra_env=extra)
    results: dict = {
        "date": datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %z"),
        "command": "scripts/bench learn " + " ".join(args.argv),
        "machine": machine(),
        "code": code_version(),
        "threads": args.threads or "default (hub/gunicorn.conf.py)",
        "load_before": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }
    nginx = None
    try:
        if parts - {"sync"}:
            video = test_video()
            say(f"starting scripts/run on 127.0.0.1:{port}, data in {data_dir}")
            hub.start()
            hub.wait_ready()
            paths = seed(data_dir, video)
            results["paths"] = paths
            results["video_bytes"] = video.stat().st_size
        if "pages" in parts:
            results["weight"] = {
                "course list": text_weight(hub, "/belajar/"),
                "course": text_weight(hub, paths["course"]),
                "lesson with video": text_weight(hub, paths["lesson"]),
            }
            if not results["weight"]["lesson with video"]["has_video"]:
                raise BenchError("the lesson page shows no <video>: the seed did not take")
        if "seek" in parts:
            results["seek"] = seek_ttfb(hub, paths["videos"][0], video.stat().st_size)
        if "frame" in parts:
            results["frame"] = first_frame(hub.base, paths["lesson"], args.frames)
            say_frame("scripts/run", results["frame"])
        if "load" in parts:
            _load_phase(results, "page", port, paths, args.requests)
        if "nginx" in parts:
            say("the hub_nginx role's configuration in front of the hub")
            nginx = NginxSite(data_dir / "nginx", data_dir=data_dir, app_port=port)
            results["nginx_frame"] = first_frame(nginx.base, paths["lesson"], args.frames)
            say_frame("nginx", results["nginx_frame"])
            _load_phase(results, "nginx", nginx.port, paths, args.requests)
        if nginx is not None:
            nginx.stop()
            nginx = None
        if parts - {"sync"}:
            hub.stop()
        if "sync" in parts:
            results["sync_checks"] = run_sync(results, data_dir / "sync", CACHE)
    except (BenchError, pytest.fail.Exception) as exc:
        say(f"the benchmark could not run: {exc}")
        if nginx is not None:
            nginx.stop()
        hub.stop()
        results["error"] = str(exc)
        return 2
    results["load_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    checks = build_checks(results)
    results.pop("sync_checks", None)
    return finish(results, checks, report(results, checks), args, data_dir, log_path)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="scripts/bench learn", description=__doc__)
    parser.add_argument("--threads", type=int, default=0, help="HUB_WEB_THREADS for gunicorn")
    parser.add_argument("--requests", type=int, default=200, help="lesson pages per phase")
    parser.add_argument("--frames", type=int, default=5, help="seeks timed to the first frame")
    parser.add_argument(
        "--only",
        default=",".join(PARTS),
        help=f"comma-separated parts ({','.join(PARTS)}: all; sync needs PostgreSQL)",
    )
    return hub_bench_main(parser, run, argv)
