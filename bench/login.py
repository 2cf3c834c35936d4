"""`scripts/bench login` (``python -m bench login``): the admin login on an open network, against
a real hub (``scripts/run``: gunicorn, PBKDF2 passwords, SQLite) on 127.0.0.1.

1. One address guessing one user name's password: how many guesses are checked before the
   lockout (HUB_LOGIN_FAILURE_LIMIT), the time each checked guess takes (a PBKDF2 run), and how
   fast refusals come once locked (no hashing). The guesses per second one address can make is
   the limit over the lockout window.
2. A villager page's latency (p95 of ``/`` read by ``--readers`` clients) idle, then during a
   flood of ``--flooders`` clients posting wrong passwords for the officials' names (locked out
   after a few guesses each: target p95 ≤ 2 × idle), then during a flood with a new user name
   on every post, which the per-name lockout cannot stop and nginx's limit_req on the login
   (hub_nginx_login_rate, per address) is for: reported, no target, since no nginx runs here.

Prints a table with PASS/FAIL; exits 1 when a target fails, 2 when the bench could not run.
Figures: docs/benchmarks.md.
"""

import argparse
import contextlib
import re
import secrets
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

from .common import (
    BenchError,
    Check,
    code_version,
    finish,
    hub_bench_main,
    machine,
    percentile,
    say,
    table,
)
from .hub import Hub, run_step

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
LOGIN = "/admin/login/"
TARGET_RATIO = 2.0


def _session(base: str):
    import requests

    session = requests.Session()
    page = session.get(base + LOGIN, timeout=60)
    match = TOKEN.search(page.text)
    if page.status_code != 200 or not match:
        raise BenchError(f"the login form answered {page.status_code} without a CSRF token")
    return session, match.group(1)


def _post(base: str, session, token: str, username: str, password: str) -> tuple[int, float]:
    started = time.perf_counter()
    response = session.post(
        base + LOGIN,
        data={"csrfmiddlewaretoken": token, "username": username, "password": password},
        allow_redirects=False,
        timeout=120,
    )
    return response.status_code, time.perf_counter() - started


def guesses_until_lockout(base: str, username: str, refused: int) -> dict:
    session, token = _session(base)
    checked = []
    statuses = []
    while len(statuses) < 50:
        status, seconds = _post(base, session, token, username, secrets.token_hex(8))
        statuses.append(status)
        if status == 429:
            locked_at = len(statuses)
            checked.append(seconds)  # the guess that reached the limit was checked too
            break
        if status != 200:
            raise BenchError(f"a wrong password answered {status}")
        checked.append(seconds)
    else:
        raise BenchError("50 wrong passwords and no lockout")
    started = time.perf_counter()
    refusals = [_post(base, session, token, username, secrets.token_hex(8)) for _ in range(refused)]
    refused_s = time.perf_counter() - started
    if any(status != 429 for status, _ in refusals):
        raise BenchError("a guess during the lockout was not refused")
    return {
        "guesses_checked": locked_at,
        "checked_s": checked,
        "checked_per_s": len(checked) / sum(checked),
        "refused": refused,
        "refused_per_s": refused / refused_s,
        "refused_p95_ms": percentile([s * 1000 for _, s in refusals], 95),
    }


def reader_latencies(base: str, readers: int, seconds: float, flood=None) -> dict:
    """p95 of GET / by ``readers`` clients for ``seconds``, with ``flood`` (a function run by
    each flooding thread until told to stop) beside them."""
    import requests

    stop = threading.Event()
    samples: list[float] = []
    errors: list[str] = []
    flood_posts = [0, {}]
    lock = threading.Lock()

    def read():
        session = requests.Session()
        while not stop.is_set():
            started = time.perf_counter()
            try:
                response = session.get(base + "/", timeout=120)
                ok = response.status_code == 200
            except requests.RequestException as exc:
                ok, response = False, exc
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                if ok:
                    samples.append(elapsed)
                else:
                    errors.append(str(getattr(response, "status_code", response)))

    threads = [threading.Thread(target=read) for _ in range(readers)]
    if flood is not None:
        runner, count = flood
        threads += [
            threading.Thread(target=runner, args=(number, stop, flood_posts, lock))
            for number in range(count)
        ]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=180)
    if not samples:
        raise BenchError(f"no villager page was read ({errors[:3]})")
    return {
        "requests": len(samples),
        "p50_ms": percentile(samples, 50),
        "p95_ms": percentile(samples, 95),
        "errors": len(errors),
        "flood_posts": flood_posts[0],
        "flood_posts_per_s": flood_posts[0] / seconds,
        "flood_statuses": {str(k): v for k, v in sorted(flood_posts[1].items())},
    }


def flooder(base: str, names: list[str], fresh_names: bool):
    import requests

    def run(number, stop, counter, lock):
        session, token = _session(base)
        while not stop.is_set():
            name = f"tamu-{secrets.token_hex(6)}" if fresh_names else names[number % len(names)]
            status = 0  # a dropped connection or a timeout is still a post that was made
            with contextlib.suppress(OSError, requests.RequestException):
                status, _ = _post(base, session, token, name, secrets.token_hex(8))
            with lock:
                counter[0] += 1
                counter[1][status] = counter[1].get(status, 0) + 1

    return run


def report(results: dict, checks: list[Check]) -> str:
    m = results["machine"]
    rows = [
        [c.name, c.figure, c.target, "—" if c.ok is None else ("PASS" if c.ok else "FAIL")]
        for c in checks
    ]
    return "\n".join(
        [
            f"scripts/bench login — {results['date']}",
            f"machine: {m['cpus']} CPUs ({m['cpu_model']}), {m['memory']}, Python {m['python']}",
            f"load average (1 min) at the start / end: {results['load_start']} / "
            f"{results['load_end']}",
            f"code: {results['code']}",
            "",
            table(["check", "figure", "target", "result"], rows),
            "",
        ]
    )


def run(args) -> int:
    from tests.harness.processes import free_port

    data_dir = Path(tempfile.mkdtemp(prefix="balai-bench-login-"))
    port = args.port or free_port()
    log_path = data_dir / "run.log"
    hub = Hub(data_dir, port, log_path)
    results: dict = {
        "date": datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %z"),
        "machine": machine(),
        "code": code_version(),
        "load_start": Path("/proc/loadavg").read_text().split()[0],
    }
    names = [f"perangkat-{n}" for n in range(args.flooders)]
    try:
        say(f"starting scripts/run on 127.0.0.1:{port}, data in {data_dir}")
        hub.start()
        hub.wait_ready()
        hub.wait_queue_empty()
        run_step(
            data_dir,
            "soak_users_create",
            names=["sekdes", *names],
            extra_env={"BENCH_PASSWORD": secrets.token_urlsafe(16)},
        )
        base = hub.base
        say("one address guessing one name's password")
        results["guessing"] = guesses_until_lockout(base, "sekdes", args.refused)
        say(f"villager page idle, {args.seconds:.0f} s")
        results["idle"] = reader_latencies(base, args.readers, args.seconds)
        say(f"villager page during {args.flooders} clients posting wrong passwords")
        results["flood"] = reader_latencies(
            base, args.readers, args.seconds, (flooder(base, names, False), args.flooders)
        )
        say(f"villager page during {args.flooders} clients posting a new name each time")
        results["flood_fresh"] = reader_latencies(
            base, args.readers, args.seconds, (flooder(base, names, True), args.flooders)
        )
        log = hub.log_text()
        results["tracebacks"] = log.count("Traceback")
    except BenchError as exc:
        say(f"error: {exc}")
        say(f"kept {data_dir} (log: {log_path})")
        return 2
    finally:
        if hub.process is not None:
            say("stopping the hub")
            hub.stop()
        results["load_end"] = Path("/proc/loadavg").read_text().split()[0]

    guessing, idle, flood, fresh = (
        results["guessing"],
        results["idle"],
        results["flood"],
        results["flood_fresh"],
    )
    window = 15 * 60
    ratio = flood["p95_ms"] / idle["p95_ms"]
    checks = [
        Check(
            "guesses checked before the lockout (one name, one address)",
            f"{guessing['guesses_checked']} at {guessing['checked_per_s']:.1f}/s "
            f"({1000 / guessing['checked_per_s']:.0f} ms each, a PBKDF2 run)",
            "HUB_LOGIN_FAILURE_LIMIT (5)",
            guessing["guesses_checked"] == 5,
        ),
        Check(
            "guesses per second one address can make, per name, over the lockout",
            f"{guessing['guesses_checked'] / window:.4f}/s ({guessing['guesses_checked']} per "
            f"{window // 60} min)",
            "—",
            None,
        ),
        Check(
            "refusals during the lockout (no hashing)",
            f"{guessing['refused_per_s']:.0f}/s, p95 {guessing['refused_p95_ms']:.0f} ms",
            "—",
            None,
        ),
        Check(
            "villager page p95, idle",
            f"{idle['p95_ms']:.0f} ms (p50 {idle['p50_ms']:.0f}, {idle['requests']} reads)",
            "—",
            None,
        ),
        Check(
            f"villager page p95, {args.flooders} clients posting wrong passwords",
            f"{flood['p95_ms']:.0f} ms = {ratio:.2f} × idle ({flood['flood_posts_per_s']:.1f} "
            f"posts/s, statuses {flood['flood_statuses']}, {flood['errors']} read errors)",
            "≤ 2 × idle",
            ratio <= TARGET_RATIO and flood["errors"] == 0,
        ),
        Check(
            f"villager page p95, {args.flooders} clients, a new name each post (no nginx)",
            f"{fresh['p95_ms']:.0f} ms = {fresh['p95_ms'] / idle['p95_ms']:.2f} × idle "
            f"({fresh['flood_posts_per_s']:.1f} posts/s, statuses {fresh['flood_statuses']}, "
            f"{fresh['errors']} read errors)",
            "— (nginx limit_req)",
            None,
        ),
        Check("hub log", f"{results['tracebacks']} tracebacks", "none", results["tracebacks"] == 0),
    ]
    return finish(results, checks, report(results, checks), args, data_dir, log_path)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="scripts/bench login", description=__doc__.split("\n")[0])
    parser.add_argument("--readers", type=int, default=2, help="villager clients reading /")
    parser.add_argument("--flooders", type=int, default=20, help="clients posting passwords")
    parser.add_argument("--seconds", type=float, default=20, help="length of each phase")
    parser.add_argument("--refused", type=int, default=50, help="guesses sent while locked")
    return hub_bench_main(parser, run, argv)
