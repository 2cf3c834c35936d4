"""What every bench shares: messages, units, percentiles, HTTP without decoding, the machine and
code measured, the PASS/FAIL table and the end of a run (report, figures, data dir)."""

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KB = 1024
MB = 1024 * 1024


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


def hub_bench_main(parser, run, argv: list[str]) -> int:
    """The options of a bench of one ``scripts/run`` hub (port, JSON file, keep), then ``run``
    with the parsed arguments (and ``argv``, for the report's command line)."""
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--json", help="write all figures to this file")
    parser.add_argument("--keep", action="store_true", help="keep the data dir and its log")
    args = parser.parse_args(argv)
    args.argv = argv
    return run(args)


def agent_step(agent, function: str, *, timeout: float = 300, **kwargs):
    """A Django-side step run in a node's agent process (:mod:`tests.harness.agent`):
    ``function`` names an importable function ("bench.sync.steps:push_reference") called there
    with ``kwargs``; its answer returned."""
    return agent("call", function=function, timeout=timeout, **kwargs)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))  # ceil
    return ordered[int(rank) - 1]


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


def table(headers: list[str], rows: list[list[str]], right: set[int] = frozenset()) -> str:
    widths = [max(len(str(x)) for x in column) for column in zip(headers, *rows, strict=True)]

    def line(cells):
        return "  ".join(
            str(c).rjust(w) if i in right else str(c).ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])


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
