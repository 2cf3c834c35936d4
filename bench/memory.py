"""Memory of the hub's processes under load, for ``scripts/bench pages``: PSS of gunicorn's master
and workers and of the django-q2 cluster, sampled every 2 s during a minute of requests.

``scripts/bench pages --only memory`` runs this part alone (a first start of ``scripts/run``,
the demo's renditions, the load, the stop): a few minutes instead of the whole bench's ten.
The load comes from wrk (-t2 -c8, as the throughput part), or with ``--load python`` from eight
keep-alive HTTP clients in this process, for a machine without wrk: fewer requests a second,
the same pages in the same rotation, said in the report.
"""

import http.client
import json
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from .common import BenchError, Check, mb, table

PYTHON_CLIENTS = 8


def rotation_script(data_dir: Path, paths: list[str]) -> Path:
    """wrk's Lua script that asks for ``paths`` in turn."""
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
    return script


def python_load(base: str, paths: list[str], seconds: int) -> dict:
    """``PYTHON_CLIENTS`` keep-alive clients asking for ``paths`` in turn for ``seconds``;
    the same figures as ``run_wrk`` where they exist."""
    host = urlsplit(base)
    deadline = time.monotonic() + seconds
    counts = {"requests": 0, "non_2xx_3xx": 0, "socket_errors": 0}
    lock = threading.Lock()

    def client(offset: int):
        done = bad = errors = 0
        conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
        i = offset
        while time.monotonic() < deadline:
            i += 1
            try:
                conn.request("GET", paths[i % len(paths)], headers={"Accept-Encoding": "gzip"})
                response = conn.getresponse()
                response.read()
                done += 1
                bad += not 200 <= response.status < 400
            except (OSError, http.client.HTTPException):
                errors += 1
                conn.close()
                conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
        conn.close()
        with lock:
            counts["requests"] += done
            counts["non_2xx_3xx"] += bad
            counts["socket_errors"] += errors

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(PYTHON_CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return {
        "url": base,
        "rps": counts["requests"] / elapsed,
        **counts,
        "command": f"{PYTHON_CLIENTS} Python keep-alive clients, {seconds} s",
    }


def bench_memory_under_load(
    hub, paths: list[str], seconds: int, data_dir: Path, *, load: str, run_wrk
) -> dict:
    """Load on ``paths`` for ``seconds`` (``load``: "wrk" through ``run_wrk``, or "python")
    while sampling the processes' PSS every 2 s."""
    result: dict = {}

    def run_load():
        try:
            if load == "wrk":
                result["wrk"] = run_wrk(hub.base + "/", seconds, rotation_script(data_dir, paths))
            else:
                result["wrk"] = python_load(hub.base, paths, seconds)
        except Exception as exc:  # noqa: BLE001 - reported below, in the main thread
            result["error"] = exc

    thread = threading.Thread(target=run_load)
    thread.start()
    samples = []
    while thread.is_alive():
        samples.append(hub.memory())
        thread.join(timeout=2)
    if "error" in result:
        raise BenchError(f"the load ({load}) failed: {result.pop('error')}")
    after = hub.memory()
    # gunicorn replaces a worker every ~20,000 requests (1,000 on the Pi Zero): a sample taken
    # just after a replacement shows a young, small worker. The highest sample is what the hub
    # must have room for.
    peak = max([*samples, after], key=lambda sample: sample["total"])
    return {
        "seconds": seconds,
        "paths": paths,
        "load": load,
        "peak": peak,
        "after": after,
        "sample_totals": [sample["total"] for sample in samples],
        **result,
    }


def memory_check(results: dict, target_pss: int) -> Check:
    memory = results["memory"]
    return Check(
        f"memory in and after 1 min of load (PSS, profile {results['profile']})",
        f"{mb(memory['peak']['total'])} highest (after: {mb(memory['after']['total'])})",
        f"≤ {mb(target_pss)}",
        memory["peak"]["total"] <= target_pss,
    )


ROLES = ("gunicorn master", "gunicorn worker", "django-q2 cluster")


def memory_report(results: dict) -> list[str]:
    """The memory table: each part's PSS and the number of its processes."""
    memory = results["memory"]
    load = memory.get("wrk", {})
    out = [
        "",
        "Memory (PSS) of gunicorn and the django-q2 cluster, under "
        f"{load.get('command', memory.get('load', 'wrk'))}: {load.get('requests', 0)} requests, "
        f"{load.get('rps', 0):.0f}/s, {load.get('non_2xx_3xx', 0)} non-2xx/3xx",
    ]
    samples = [
        ("after 1 min of load", memory["after"]),
        ("highest sample (every 2 s)", memory["peak"]),
    ]
    if results.get("memory_after_soak"):
        samples.append(("after the soak", results["memory_after_soak"]))
    rows = []
    for label, sample in samples:
        counts = {role: 0 for role in ROLES}
        for process in sample["processes"]:
            counts[process["role"]] += 1
        rows.append(
            [
                label,
                mb(sample["by_role"].get(ROLES[0], 0)),
                f"{mb(sample['by_role'].get(ROLES[1], 0))} ({counts[ROLES[1]]})",
                f"{mb(sample['by_role'].get(ROLES[2], 0))} ({counts[ROLES[2]]})",
                mb(sample["total"]),
                f"{len(sample['processes'])} ({'/'.join(sample['kinds'])})",
            ]
        )
    headers = ["when", "master", "workers (n)", "cluster (n)", "total", "processes"]
    out.append(table(headers, rows, right={1, 2, 3, 4}))
    return out
