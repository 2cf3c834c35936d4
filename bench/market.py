"""`scripts/bench market` (``python -m bench market``): the BUMDes shop with 2,000 products,
measured against its targets.

Run through ``scripts/bench market``. A fresh data directory in /tmp (nothing is written into the
repository), ``scripts/run`` started there as a technician would (demo village and demo shop,
gunicorn with its workers, the django-q2 cluster), then:

1. seed: 2,000 products of three BUMDes, saved one by one through the model (200 a transaction)
   (so each has its journal row, its revision and its search index entry: real data), with
   photos drawn by Pillow and their renditions made by the cluster, as for an uploaded photo;
2. weight of the catalogue and of a product page: the HTML as served (gzip) plus the CSS and JS
   it links, as served (gzip): target 14 KB each;
3. every list photo a phone loads from the catalogue (each candidate of each card's ``srcset``):
   target 30 KB each;
4. uncached catalogue page: over HTTP against gunicorn, each request with a query string never
   used before, so the anonymous page cache misses (checked on its ``X-Balai-Cache`` header) and
   the whole page is rendered: target median 30 ms;
5. placing an order: HTTP POSTs of the real order form against gunicorn (CSRF cookie and token
   from the form, a redirect to the confirmation on success), one after the other: target median
   50 ms on the SQLite hub.

Prints a table with PASS/FAIL per target; exits 1 when a target fails, 2 when the benchmark
itself could not run. Figures and how to read them: docs/benchmarks.md.
"""

import argparse
import gzip
import http.client
import os
import re
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode, urljoin

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
from .pages import bench_render

PRODUCTS = 2000
PHOTOS = 24
TARGET_TEXT_BYTES = 14 * KB
TARGET_PHOTO_BYTES = 30 * KB
TARGET_CATALOGUE_MS = 30.0
TARGET_ORDER_MS = 50.0
CATALOGUE = "/pasar/"
RESERVED_WORDS = {"kategori", "bumdes", "pesan", "pesanan", "status"}
PRODUCT_LINK = re.compile(r'href="(/pasar/([a-z0-9-]+)/([a-z0-9-]+)/)"')
STYLESHEET = re.compile(r'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"')
SCRIPT = re.compile(r'<script[^>]+src="([^"]+)"')
IMG = re.compile(r"<img\b[^>]*>")
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def get(hub: Hub, path: str) -> tuple[int, dict, bytes]:
    """A phone's GET: gzip accepted, the body as it crossed the wire."""
    return http_get(hub.base + path, {"Accept-Encoding": "gzip"})


def text_weight(hub: Hub, path: str) -> dict:
    """HTML + the CSS and JS it links, each compressed as the hub serves it to a phone."""
    status, headers, body = get(hub, path)
    if status != 200:
        raise BenchError(f"{path} answered {status}")
    if headers.get("content-encoding") != "gzip":
        raise BenchError(f"{path} was not served gzipped: {headers.get('content-encoding')}")
    html = gzip.decompress(body).decode()
    parts = {"html": len(body), "css": 0, "js": 0}
    for kind, pattern in (("css", STYLESHEET), ("js", SCRIPT)):
        for url in pattern.findall(html):
            s, h, b = get(hub, urljoin(path, url))
            if s != 200:
                raise BenchError(f"{url} (linked from {path}) answered {s}")
            parts[kind] += len(b)
    parts["text"] = parts["html"] + parts["css"] + parts["js"]
    return {"path": path, **parts, "html_raw": len(html.encode())}


def img_candidates(tag: str) -> list[str]:
    urls = []
    src = re.search(r'\ssrc="([^"]+)"', tag)
    if src:
        urls.append(src.group(1))
    srcset = re.search(r'\ssrcset="([^"]+)"', tag)
    if srcset:
        urls.extend(part.strip().split()[0] for part in srcset.group(1).split(",") if part.strip())
    return list(dict.fromkeys(u for u in urls if not u.startswith("data:")))


def photo_weights(hub: Hub, html: str) -> dict:
    """Every photo candidate of the catalogue's cards (1x and 2x), as fetched by a phone."""
    tags = IMG.findall(html)
    sizes = {}
    placeholders = sum('src="data:' in tag for tag in tags)
    for tag in tags:
        for url in img_candidates(tag):
            if url in sizes:
                continue
            status, headers, body = get(hub, url)
            if status != 200:
                raise BenchError(f"photo {url} answered {status}")
            sizes[url] = {"bytes": len(body), "type": headers.get("content-type", "")}
    return {"images": len(tags), "placeholders": placeholders, "files": sizes}


def catalogue_html(hub: Hub) -> str:
    status, _, body = get(hub, CATALOGUE)
    if status != 200:
        raise BenchError(f"{CATALOGUE} answered {status}")
    return gzip.decompress(body).decode()


def find_product_page(html: str) -> str:
    for path, first, _second in PRODUCT_LINK.findall(html):
        if first not in RESERVED_WORDS:
            return path
    raise BenchError(f"no product page linked from {CATALOGUE}")


CLOCK_TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")


def workers_cpu_ms(hub: Hub) -> float:
    """CPU time (user + system) the gunicorn workers have used so far, in ms."""
    total = 0.0
    for pid, role in hub.processes():
        if role != "gunicorn worker":
            continue
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        total += (int(fields[11]) + int(fields[12])) * CLOCK_TICK_MS
    return total


def uncached_times(hub: Hub, path: str, iterations: int, warmup: int = 20, session=None) -> dict:
    """Full renders over HTTP: each request's query string is new, so the page cache misses.

    With ``session`` (a logged-in ``requests.Session``) the GETs carry its cookies: an
    official's page, which the page cache never stores (no ``X-Balai-Cache`` header expected)
    and which must answer 200 itself, not redirect to the login."""
    times, states = [], set()
    stamp = int(time.time())
    joiner = "&" if "?" in path else "?"
    cpu_before = 0.0
    for i in range(warmup + iterations):
        if i == warmup:
            cpu_before = workers_cpu_ms(hub)
        url = f"{hub.base}{path}{joiner}bench={stamp}-{i}"
        started = time.perf_counter()
        if session is None:
            status, headers, _ = http_get(url, {"Accept-Encoding": "gzip"})
        else:
            response = session.get(
                url, headers={"Accept-Encoding": "gzip"}, allow_redirects=False, timeout=30
            )
            response.content  # noqa: B018 -- read the whole body inside the timing
            status, headers = (
                response.status_code,
                {k.lower(): v for k, v in response.headers.items()},
            )
        elapsed = (time.perf_counter() - started) * 1000
        if status != 200:
            raise BenchError(f"{url} answered {status}")
        states.add(headers.get("x-balai-cache", "none"))
        if i >= warmup:
            times.append(elapsed)
    server_cpu = (workers_cpu_ms(hub) - cpu_before) / iterations
    # "none": a parameter no page reads (bench=…) bypasses the page cache, a full render too
    if "hit" in states:
        raise BenchError(f"{path}: the page cache answered {states}, not only misses")
    return {
        "path": path,
        "server_cpu_ms": server_cpu,
        "iterations": iterations,
        "median_ms": statistics.median(times),
        "p95_ms": percentile(times, 95),
        "min_ms": min(times),
        "cache": "/".join(sorted(states)),
    }


def http_floor(hub: Hub, path: str, iterations: int = 100) -> dict:
    """What a GET costs over HTTP here without any rendering: a static file from whitenoise."""
    times = []
    for _ in range(iterations):
        started = time.perf_counter()
        status, _, _ = http_get(hub.base + path, {"Accept-Encoding": "gzip"})
        times.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise BenchError(f"{path} answered {status}")
    return {"path": path, "median_ms": statistics.median(times)}


def _request(hub: Hub, method: str, path: str, body: str | None = None, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", hub.port, timeout=60)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheader("Set-Cookie", ""), response.read()
    finally:
        connection.close()


def order_times(hub: Hub, product_pk: str, iterations: int, warmup: int = 10) -> dict:
    """The villager's order form posted again and again, timed from request to redirect."""
    path = f"/pasar/pesan/{product_pk}/"
    status, cookie, body = _request(hub, "GET", path)
    token = CSRF_INPUT.search(body.decode(errors="replace"))
    if status != 200 or token is None or "csrftoken=" not in cookie:
        raise BenchError(f"GET {path} answered {status} without a CSRF token and cookie")
    csrf_cookie = cookie.split("csrftoken=", 1)[1].split(";", 1)[0]
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": f"csrftoken={csrf_cookie}",
    }
    times = []
    cpu_before = 0.0
    for i in range(warmup + iterations):
        if i == warmup:
            cpu_before = workers_cpu_ms(hub)
        form = urlencode(
            {
                "csrfmiddlewaretoken": token.group(1),
                "buyer_name": f"Pembeli bench {i}",
                "buyer_phone": f"0813{i:08d}",
                "quantity": "1",
                "fulfilment": "ambil",
                "delivery_address": "",
                "note": "",
            }
        )
        started = time.perf_counter()
        status, _, answer = _request(hub, "POST", path, form, headers)
        elapsed = (time.perf_counter() - started) * 1000
        if status != 302:
            text = re.sub(r"\s+", " ", answer.decode(errors="replace"))[:400]
            raise BenchError(f"order {i} answered {status}: {text}")
        if i >= warmup:
            times.append(elapsed)
    return {
        "path": path,
        "server_cpu_ms": (workers_cpu_ms(hub) - cpu_before) / iterations,
        "iterations": iterations,
        "median_ms": statistics.median(times),
        "p95_ms": percentile(times, 95),
        "min_ms": min(times),
    }


def loadavg() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def build_checks(results: dict) -> list[Check]:
    checks = []
    for name, weight in results["weight"].items():
        checks.append(
            Check(
                f"{name} page: gzip HTML + CSS + JS",
                f"{kb(weight['text'])} (html {kb(weight['html'])}, css {kb(weight['css'])}, "
                f"js {kb(weight['js'])}; {weight['text'] / TARGET_TEXT_BYTES:.0%} of target)",
                f"<= {kb(TARGET_TEXT_BYTES)}",
                weight["text"] <= TARGET_TEXT_BYTES,
            )
        )
    photos = results["photos"]
    files = photos["files"]
    if files:
        largest = max(f["bytes"] for f in files.values())
        checks.append(
            Check(
                "catalogue list photo (each 1x/2x candidate)",
                f"largest {kb(largest)} of {len(files)} files "
                f"({photos['images']} cards, {photos['placeholders']} placeholders)",
                f"<= {kb(TARGET_PHOTO_BYTES)} each",
                largest <= TARGET_PHOTO_BYTES,
            )
        )
    else:
        checks.append(Check("catalogue list photo", "no photo on the page", "", False))
    render = results["catalogue_uncached"]
    checks.append(
        Check(
            f"uncached catalogue, {results['seed']['products']} products (HTTP)",
            f"median {render['median_ms']:.1f} ms, p95 {render['p95_ms']:.1f} ms "
            f"({render['median_ms'] / TARGET_CATALOGUE_MS:.0%} of target); server CPU "
            f"{render['server_cpu_ms']:.1f} ms/request",
            f"<= {TARGET_CATALOGUE_MS:.0f} ms",
            render["median_ms"] <= TARGET_CATALOGUE_MS,
        )
    )
    order = results["order"]
    checks.append(
        Check(
            "placing an order (HTTP POST, SQLite)",
            f"median {order['median_ms']:.1f} ms, p95 {order['p95_ms']:.1f} ms "
            f"({order['median_ms'] / TARGET_ORDER_MS:.0%} of target); server CPU "
            f"{order['server_cpu_ms']:.1f} ms/order",
            f"<= {TARGET_ORDER_MS:.0f} ms",
            order["median_ms"] <= TARGET_ORDER_MS,
        )
    )
    return checks


def report(results: dict, checks: list[Check]) -> str:
    m = results["machine"]
    load = ", ".join(f"{k} {v:.2f}" for k, v in results["loadavg"].items())
    seed = results["seed"]
    rows = [
        [c.name, c.figure, c.target, {True: "PASS", False: "FAIL", None: "skip"}[c.ok]]
        for c in checks
    ]
    render = results["render"]
    extra = [
        [
            "product page, uncached (HTTP)",
            f"median {results['product_uncached']['median_ms']:.1f} ms, server CPU "
            f"{results['product_uncached']['server_cpu_ms']:.1f} ms/request",
            "",
            "info",
        ],
        [
            "catalogue, uncached, in-process WSGI",
            f"median {render['catalogue']['median_ms']:.1f} ms (CPU "
            f"{render['catalogue']['cpu_median_ms']:.1f} ms), {render['catalogue']['queries']} "
            "queries",
            "",
            "info",
        ],
        [
            "product page, uncached, in-process WSGI",
            f"median {render['product']['median_ms']:.1f} ms (CPU "
            f"{render['product']['cpu_median_ms']:.1f} ms), {render['product']['queries']} queries",
            "",
            "info",
        ],
        [
            "home page, uncached, in-process WSGI (yardstick)",
            f"median {render['home']['median_ms']:.1f} ms (CPU "
            f"{render['home']['cpu_median_ms']:.1f} ms)",
            "",
            "info",
        ],
        [
            "HTTP floor: static CSS over HTTP",
            f"median {results['http_floor']['median_ms']:.1f} ms",
            "",
            "info",
        ],
        [
            "seed (model save, 200 per transaction)",
            f"{seed['products']} products in {seed['seconds']:.1f} s "
            f"(photos {seed['photo_seconds']:.1f} s), renditions {results['renditions_s']:.0f} s",
            "",
            "info",
        ],
    ]
    return "\n".join(
        [
            "",
            f"Balai marketplace benchmark, {results['date']}",
            f"code: {results['code']}",
            f"machine: {m['nproc']} CPUs {m['arch']} {m['cpu_model']}, {m['memory']}, "
            f"Linux {m['kernel']}, Python {m['python']}",
            f"load average (1 min): {load}",
            f"hub: scripts/run, gunicorn {results['workers']} workers, SQLite; data in "
            f"{results['data_dir']}",
            "",
            table(["check", "figure", "target", "result"], rows + extra),
            "",
        ]
    )


def run(args) -> int:
    data_dir = Path(tempfile.mkdtemp(prefix="balai-bench-market-"))
    port = args.port or free_port()
    log_path = data_dir / "run.log"
    # every POST comes from 127.0.0.1: the per-client order limit would stop the bench
    hub = Hub(data_dir, port, log_path, extra_env={"HUB_MARKET_ORDER_RATE_LIMIT": "1000000"})
    results: dict = {
        "date": datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %z"),
        "command": "scripts/bench market " + " ".join(args.argv),
        "machine": machine(),
        "code": code_version(),
        "data_dir": str(data_dir),
        "workers": "2 (default)",
        "loadavg": {},
    }
    try:
        say(f"starting scripts/run on 127.0.0.1:{port}, data in {data_dir}")
        hub.start()
        hub.wait_ready()
        hub.wait_queue_empty()
        results["loadavg"]["seed"] = loadavg()
        say(f"seeding {args.products} products with {PHOTOS} photos")
        results["seed"] = run_step(data_dir, "market_seed", products=args.products, photos=PHOTOS)
        say(f"seeded in {results['seed']['seconds']:.1f} s; waiting for the renditions")
        results["renditions_s"] = hub.wait_queue_empty()

        results["loadavg"]["weight"] = loadavg()
        html = catalogue_html(hub)
        product_path = find_product_page(html)
        results["weight"] = {
            "catalogue": text_weight(hub, CATALOGUE),
            "product": text_weight(hub, product_path),
        }
        results["photos"] = photo_weights(hub, html)

        results["loadavg"]["render"] = loadavg()
        say(f"uncached catalogue, {args.iterations} requests")
        results["catalogue_uncached"] = uncached_times(hub, CATALOGUE, args.iterations)
        results["product_uncached"] = uncached_times(hub, product_path, args.iterations // 2)
        stylesheet = STYLESHEET.search(html).group(1)
        results["http_floor"] = http_floor(hub, stylesheet)
        say("uncached catalogue in-process (the WSGI app, page cache emptied before each)")
        # the home page beside them: docs/benchmarks.md has its figure on a quieter machine
        results["render"] = bench_render(
            data_dir,
            {"catalogue": CATALOGUE, "product": product_path, "home": "/"},
            args.iterations,
        )["pages"]

        results["loadavg"]["order"] = loadavg()
        say(f"placing {args.orders} orders")
        results["order"] = order_times(hub, results["seed"]["order_product"], args.orders)
        results["state"] = run_step(data_dir, "market_state")
        log = hub.log_text()
        results["database_locked"] = log.count("database is locked")
        results["tracebacks"] = log.count("Traceback")
    except BenchError as exc:
        say(f"error: {exc}")
        say(f"kept {data_dir} (log: {log_path})")
        return 2
    finally:
        if hub.process is not None:
            say("stopping the hub")
            hub.stop()
        results["loadavg"]["end"] = loadavg()

    checks = build_checks(results)
    if results["database_locked"] or results["tracebacks"]:
        checks.append(
            Check(
                "hub log",
                f"{results['database_locked']} 'database is locked', "
                f"{results['tracebacks']} tracebacks",
                "none",
                False,
            )
        )
    return finish(results, checks, report(results, checks), args, data_dir, log_path)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/bench market", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--products", type=int, default=PRODUCTS, help="products to seed (2000)")
    parser.add_argument("--iterations", type=int, default=200, help="uncached page requests")
    parser.add_argument("--orders", type=int, default=200, help="orders placed (200)")
    return hub_bench_main(parser, run, argv)
