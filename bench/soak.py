"""The soak of ``bench pages``: 20 admin clients writing announcements and uploading photos at
once while the cluster makes renditions, on SQLite; no "database is locked" allowed."""

import contextlib
import io
import json
import random
import re
import secrets
import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .common import BenchError, percentile, say
from .hub import Hub, run_step

SOAK_CLIENTS = 20
SOAK_IMAGE_EVERY = 4  # every 4th iteration of a client also uploads an image


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
    return run_step(
        data_dir, "soak_users_create", extra_env={"BENCH_PASSWORD": password}, names=names
    )


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
    state = run_step(data_dir, "soak_state")
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
