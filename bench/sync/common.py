"""What the parts of the sync bench share: the targets, the link's settings, the upstream node
as the bench starts it, the result rows, one sync, the counters of a block, the machine."""

import contextlib
import json
import os
import platform
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest  # the harness reports its failures with pytest.fail

from tests.harness.hubs import UpstreamNode
from tests.harness.linksim import LinkSim

from ..common import KB, ROOT, BenchError, say

TARGET_IDLE_BYTES = 1 * KB
TARGET_PUSH_RATIO = 1.1
TARGET_PUSH_TIME_FACTOR = 1.3
PUSH_ROUND_TRIPS = 3
TARGET_RESEND_BYTES = 256 * KB
TARGET_IDLE_QUERIES = 5

LINK_LATENCY_MS = 600
LINK_KBPS = 2000  # 1 kbit = 1000 bits, as linksim counts
RECORD_PREFIX = "catatan bench"
FAKE_VILLAGE_PREFIX = "15990000"  # + two digits: villages of the upstream's province (15)
SYNC_PATHS = ("/sync/v2/", "/sync/v1/")


def load_average() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


@dataclass
class Row:
    target: str
    figure: str
    limit: str
    passed: bool | None  # None: reported, no limit

    @property
    def verdict(self) -> str:
        return {True: "PASS", False: "FAIL", None: "—"}[self.passed]


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)
    data: dict = field(default_factory=dict)

    def add(self, target: str, figure: str, limit: str, passed: bool | None) -> None:
        row = Row(target, figure, limit, passed)
        self.rows.append(row)
        say(f"{target}: {figure} (limit {limit}) {row.verdict}")


class BenchUpstream(UpstreamNode):
    """The harness's upstream, started as Ansible starts one: gthread workers (``hub_web``'s
    default is 2 threads; with 1 thread gunicorn's sync worker closes every connection after
    its answer, so nothing could be warm) and an access log to count requests."""

    def __init__(self, base: Path, *, threads: int, access_log: Path):
        self.bench_env = {
            "HUB_WEB_THREADS": str(threads),
            "HUB_ACCESS_LOG": str(access_log),
            "HUB_SYNC_TIMELINE": "1",  # the push's steps (bench/sync/timeline.py)
        }
        self.access_log = access_log
        super().__init__(base, workers=2)

    def start(self):
        self.env.update(self.bench_env)
        super().start()

    def sync_requests(self) -> list[str]:
        """Request lines of the access log that went to /sync/v2/ or /sync/v1/, so far."""
        try:
            lines = self.access_log.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return []
        return [line for line in lines if any(p in line for p in SYNC_PATHS)]


def sync_once(agent) -> dict:
    """One sync_run (forced); its counters."""
    answer = agent("sync", attempts=1, timeout=600)
    if not answer["runs"]:
        raise BenchError("the village agent could not take the sync lock (another sync held it)")
    return answer["runs"][-1]


@contextlib.contextmanager
def measured(link: LinkSim, upstream: BenchUpstream):
    """Link counters and the upstream's sync requests over the block."""
    link.reset_stats()
    before = len(upstream.sync_requests())
    started = time.monotonic()
    out: dict = {"started": started}
    yield out
    out["ended"] = time.monotonic()
    out["seconds"] = out["ended"] - started
    stats = link.stats()
    out.update({k: stats[k] for k in ("connections", "bytes_up", "bytes_down", "cuts")})
    time.sleep(0.2)  # gunicorn writes the access line after the answer has left
    out["requests"] = upstream.sync_requests()[before:]


def machine() -> dict:
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    pg = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()
    return {
        "commit": commit,
        "uncommitted_changes": bool(dirty),
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "arch": platform.machine(),
        "python": platform.python_version(),
        "postgresql": pg,
        "kernel": platform.release(),
    }


def print_table(results: Results) -> None:
    rows = [("target", "figure", "limit", "")] + [
        (r.target, r.figure, r.limit, r.verdict) for r in results.rows
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for number, row in enumerate(rows):
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if number == 0:
            print("  ".join("-" * w for w in widths))


class BenchRun:
    """One run of a bench, from its start (:meth:`start`: the results file, a temporary folder
    for the data dirs and logs, the results with the machine and the options) to its end (the
    ``with`` block: a failure of the bench itself is reported, not raised; then the results
    are written, the folder kept or removed, the table printed). ``status``: 0 every target
    met, 1 one missed, 2 the bench could not run."""

    def __init__(self, args, json_path: Path, base: Path, results: Results):
        self.args, self.json_path, self.base, self.results = args, json_path, base, results
        self.status = 2

    @classmethod
    def start(cls, args, name: str) -> "BenchRun":
        started_at = datetime.now(UTC)
        json_path = args.json or ROOT / "var" / "bench" / f"{name}-{started_at:%Y%m%d-%H%M%S}.json"
        results = Results()
        results.data.update(
            started_at=started_at.isoformat(timespec="seconds"),
            machine=machine(),
            options={k: str(v) for k, v in vars(args).items()},
        )
        return cls(args, json_path, Path(tempfile.mkdtemp(prefix=f"balai-bench-{name}-")), results)

    def __enter__(self) -> "BenchRun":
        return self

    def __exit__(self, kind, exc, tb) -> bool:
        handled = kind is not None and issubclass(kind, (BenchError, pytest.fail.Exception))
        if kind is None:
            self.status = 1 if any(r.passed is False for r in self.results.rows) else 0
        elif handled:
            say(f"the benchmark could not run: {exc}")
            self.results.data["error"] = str(exc)
        self._end()
        return handled

    def _end(self) -> None:
        results = self.results
        results.data["rows"] = [r.__dict__ | {"verdict": r.verdict} for r in results.rows]
        results.data["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        results.data["exit_status"] = self.status
        self.json_path.parent.mkdir(parents=True, exist_ok=True)
        self.json_path.write_text(json.dumps(results.data, indent=2, default=str) + "\n")
        if self.args.keep or self.status != 0:
            say(f"kept {self.base}")
        else:
            shutil.rmtree(self.base, ignore_errors=True)
        print()
        print_table(results)
        print()
        say(f"results in {self.json_path}")
