"""`scripts/bench pages` (``python -m bench pages``): the villager pages and the hub measured
against the project's targets.

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
import gzip
import re
import statistics
import subprocess
import tempfile
import time
from datetime import datetime
from pathlib import Path

from tests.harness.chromium import PHONE, chromium, chromium_missing
from tests.harness.processes import free_port

from .common import (
    KB,
    MB,
    BenchError,
    Check,
    code_version,
    finish,
    http_get,
    hub_bench_main,
    kb,
    machine,
    say,
    short,
    table,
)
from .hub import Hub, run_step
from .memory import bench_memory_under_load, memory_check, memory_report
from .soak import bench_soak

# A phone on the village Wi-Fi reaches the hub by name over plain HTTP: no service worker there
# (not a secure context) and no brotli (Chromium offers it over HTTPS and localhost only).
LAN_HOST = "balai.lan"
PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 13; SM-A145F) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36"
)

TARGET_TEXT_BYTES = 14 * KB
TARGET_ALL_BYTES = 100 * KB
TARGET_RPS_RATIO = 0.60
TARGET_RENDER_MS = 10.0
# Hardware profiles as Ansible renders them (ansible/group_vars/hw_*.yml), each with the memory
# that gunicorn and the django-q2 cluster may take together. On the 512 MB Pi Zero 2 W the OS,
# nginx and kiwix-serve need the rest.
PROFILES = {
    "default": {"env": {}, "pss_bytes": 250 * MB},
    "pi-zero-2w": {
        "env": {
            "HUB_WEB_WORKERS": "1",
            "HUB_WEB_THREADS": "4",
            "HUB_WEB_MAX_REQUESTS": "1000",
            "HUB_Q_WORKERS": "1",
            "HUB_RENDITION_WIDTHS": "360,720",
        },
        "pss_bytes": 200 * MB,
    },
}

STATIC_REFERENCE = "/static/bench/reference.html"
NOTICE_PATH = re.compile(r'href="(/pengumuman/(?:[a-z0-9-]+-)?[0-9a-f]{10}/)"')


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
    lan_base = f"http://{LAN_HOST}:{hub.port}"
    variants = [
        ("127.0.0.1 (SW, br)", hub.base, 2),
        ("127.0.0.1 (SW, br)", hub.base, 3),
        (f"{LAN_HOST} (plain HTTP)", lan_base, 2),
        (f"{LAN_HOST} (plain HTTP)", lan_base, 3),
    ]
    results = []
    if problem := chromium_missing():
        raise BenchError(problem)
    with chromium(f"--host-resolver-rules=MAP {LAN_HOST} 127.0.0.1") as browser:
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


def bench_render(data_dir: Path, pages: dict[str, str], iterations: int) -> dict:
    data = run_step(
        data_dir,
        "render_pages",
        paths=list(pages.values()),
        iterations=iterations,
        warmup=30,
        cold_paths=[pages["home"]],
    )
    if data["debug"]:
        raise BenchError("the render benchmark ran with DEBUG on; the figures would be wrong")
    by_name = {name: data["pages"][path] for name, path in pages.items()}
    return {"settings": data["settings"], "pages": by_name, "cold": data["cold"]}


def render_check(results: dict) -> Check:
    home = results["render"]["pages"]["home"]
    return Check(
        "uncached render of / (median)",
        f"{home['median_ms']:.1f} ms (p95 {home['p95_ms']:.1f} ms)",
        f"≤ {TARGET_RENDER_MS:.0f} ms",
        home["median_ms"] <= TARGET_RENDER_MS,
    )


def render_report(results: dict) -> list[str]:
    render, pages = results["render"], results["pages"]
    out = ["", f"Uncached render in-process, page cache emptied each time ({render['settings']})"]
    rows = [
        [short(pages[n]), *(f"{r[k]:.1f}" for k in ("median_ms", "p95_ms", "min_ms"))]
        + [f"{r['cpu_median_ms']:.1f}", "/".join(f"{x:.0f}" for x in r["block_medians_ms"])]
        + [str(r["queries"]), str(r["iterations"])]
        for n, r in render["pages"].items()
    ]
    rows += [
        [f"{short(path)} after a publish", *(f"{r[k]:.1f}" for k in ("median_ms", "p95_ms"))]
        + [f"{r['min_ms']:.1f}", f"{r['cpu_median_ms']:.1f}", "", str(r["queries"])]
        + [str(r["iterations"])]
        for path, r in render.get("cold", {}).items()
    ]
    headers = ["page", "median ms", "p95 ms", "min ms", "CPU median", "per block", "queries"]
    out.append(table([*headers, "runs"], rows, {1, 2, 3, 4, 5, 6, 7}))
    out.append(
        '("after a publish": the page-cache generation moved before each request, so every '
        "value remembered per generation is made again)"
    )
    return out


# --------------------------------------------------------------------------------------------
# 4. Memory after a minute of load: bench/memory.py


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
    checks.append(render_check(results))
    checks.append(memory_check(results, PROFILES[results["profile"]]["pss_bytes"]))
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


def report(results: dict, checks: list[Check]) -> str:
    m = results["machine"]
    load = ", ".join(f"{k} {v:.2f}" for k, v in results["loadavg"].items())
    out = [
        "",
        f"Balai page benchmark, {results['date']}",
        f"machine: {m['nproc']} x {m['arch']} {m['cpu_model']}, {m['memory']} RAM, kernel "
        f"{m['kernel']}, Python {m['python']}, Chromium {results['weight'][0]['chromium']}, "
        f"{m['wrk']}",
        f"code: {results['code']}",
        f"profile: {results['profile']} {results['profile_env'] or '(the defaults)'}",
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

    out += render_report(results)

    out += memory_report(results)

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
    if args.data_dir:
        data_dir = Path(args.data_dir).resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
        args.keep = True  # a data dir named on the command line is never removed
    else:
        data_dir = Path(tempfile.mkdtemp(prefix="balai-bench-"))
    port = args.port or free_port()
    log_path = data_dir / "run.log"
    profile = PROFILES[args.profile]
    hub = Hub(data_dir, port, log_path, extra_env=profile["env"])
    results: dict = {
        "profile": args.profile,
        "profile_env": profile["env"],
        "date": datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %z"),
        "command": "scripts/bench pages " + " ".join(args.argv),
        "machine": machine(),
        "code": code_version(),
        "data_dir": str(data_dir),
        "loadavg": {},
    }
    if args.only == "render":
        return run_render_only(args, hub, results)
    try:
        say(f"first start of scripts/run on 127.0.0.1:{port}, data in {data_dir}")
        hub.start()
        hub.wait_ready()
        say("waiting for the cluster to make the demo village's renditions")
        results["first_renditions_seconds"] = hub.wait_queue_empty()
        pages = find_pages(hub)
        results["pages"] = pages
        _, _, home_html = http_get(hub.base + "/")

        if not args.only:
            loadavg("weight", results)
            say("page weight in headless Chromium")
            results["weight"] = bench_weight(hub, pages)
        # Memory is read on this first run, where the cluster has just made the renditions of
        # the demo photos: the state of any hub that has received a picture.
        loadavg("memory", results)
        say(f"memory: {args.load_seconds} s of load ({args.load}) on the pages and the stylesheet")
        results["memory"] = bench_memory_under_load(
            hub,
            [*pages.values(), stylesheet_path(home_html)],
            args.load_seconds,
            data_dir,
            load=args.load,
            run_wrk=run_wrk,
        )
        results["stops"] = [hub.stop()]
        if args.only == "memory":
            return finish_memory_only(results, args, data_dir, log_path)

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


def finish_memory_only(results: dict, args, data_dir: Path, log_path: Path) -> int:
    loadavg("end", results)
    checks = [memory_check(results, PROFILES[results["profile"]]["pss_bytes"])]
    m = results["machine"]
    text = "\n".join(
        [
            "",
            f"Balai page benchmark, memory only, {results['date']}",
            f"machine: {m['nproc']} x {m['arch']} {m['cpu_model']}, {m['memory']} RAM",
            f"code: {results['code']}",
            f"profile: {results['profile']} {results['profile_env'] or '(the defaults)'}",
            "load average (1 min) at each phase: "
            + ", ".join(f"{k} {v:.2f}" for k, v in results["loadavg"].items()),
            *memory_report(results),
            "",
            table(
                ["check", "figure", "target", "result"],
                [[c.name, c.figure, c.target, "PASS" if c.ok else "FAIL"] for c in checks],
            ),
        ]
    )
    return finish(results, checks, text + "\n", args, data_dir, log_path)


def run_render_only(args, hub: Hub, results: dict) -> int:
    """``--only render``: the hub started once (in a new data dir: migrations, the demo
    village and its renditions) to find the pages and stopped, then the uncached render alone.
    With ``--data-dir`` of an earlier run the start is quick (nothing to migrate or collect)."""
    try:
        say(f"scripts/run on 127.0.0.1:{hub.port}, data in {hub.data_dir}")
        hub.start()
        hub.wait_ready()
        say("waiting for the cluster to make the demo village's renditions")
        hub.wait_queue_empty()
        results["pages"] = find_pages(hub)
        results["stops"] = [hub.stop()]
        loadavg("render", results)
        say(f"uncached render, {args.render_iterations} requests per page")
        results["render"] = bench_render(hub.data_dir, results["pages"], args.render_iterations)
    except BenchError as exc:
        say(f"error: {exc}")
        say(f"kept {hub.data_dir} (log: {hub.log_path})")
        return 2
    finally:
        if hub.process is not None:
            say("stopping the hub")
            results.setdefault("stops", []).append(hub.stop())
        loadavg("end", results)
    load = ", ".join(f"{k} {v:.2f}" for k, v in results["loadavg"].items())
    checks = [render_check(results)]
    text = [
        "",
        f"Balai page benchmark (--only render), {results['date']}",
        f"code: {results['code']}",
        f"load average (1 min) at each phase: {load}",
        *render_report(results),
        "",
        table(
            ["check", "figure", "target", "result"],
            [[c.name, c.figure, c.target, "PASS" if c.ok else "FAIL"] for c in checks],
        ),
    ]
    return finish(results, checks, "\n".join(text) + "\n", args, hub.data_dir, hub.log_path)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="scripts/bench pages", description=__doc__.split("\n")[0])
    parser.add_argument("--soak-seconds", type=int, default=300, help="soak length (default 300)")
    parser.add_argument("--skip-soak", action="store_true", help="leave out the soak")
    parser.add_argument("--wrk-seconds", type=int, default=10, help="each wrk run (default 10)")
    parser.add_argument("--wrk-rounds", type=int, default=3, help="rounds of wrk runs (3)")
    parser.add_argument("--load-seconds", type=int, default=60, help="load before memory (60)")
    parser.add_argument("--render-iterations", type=int, default=200)
    parser.add_argument(
        "--only",
        choices=["memory", "render"],
        help="one part alone (memory: first start, the load; render: the uncached render, "
        "with one start of the hub to find the pages and make the renditions)",
    )
    parser.add_argument(
        "--load",
        choices=["wrk", "python"],
        default="wrk",
        help="what loads the pages for the memory part: wrk (default), or 8 Python clients "
        "where wrk is missing (fewer requests a second, said in the report)",
    )
    parser.add_argument(
        "--data-dir",
        help="use (and keep) this data dir, e.g. one kept by an earlier --keep run: its hub "
        "starts without migrating or collecting anew",
    )
    parser.add_argument(
        "--profile",
        choices=sorted(PROFILES),
        default="default",
        help="hardware profile of the hub's processes (default: 2 web workers; pi-zero-2w: "
        "1 worker x 4 threads, as ansible/group_vars/hw_pi_zero_2w.yml)",
    )
    return hub_bench_main(parser, run, argv)
