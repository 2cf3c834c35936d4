"""The sync bench's parts 4 and 5: SQL queries of one idle push on the upstream's PostgreSQL,
and idle syncs per second from 20 enrolled villages."""

import http.client
import statistics
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from hub.sync.wire import keys, signing  # no settings needed for these

from ..common import agent_step, percentile, say
from .common import FAKE_VILLAGE_PREFIX, TARGET_IDLE_QUERIES, BenchUpstream, Results, load_average

STEPS = "bench.sync.steps"


@dataclass
class FakeVillage:
    code: str
    key: object  # Ed25519PrivateKey

    @property
    def public_key(self) -> str:
        return keys.public_key_text(self.key.public_key())

    @property
    def private_hex(self) -> str:
        return self.key.private_bytes_raw().hex()


def fake_villages(base: Path, count: int) -> list[FakeVillage]:
    """Villages with keys made as a node makes its own (hub.sync.wire.keys, 0600 PEM files)."""
    out = []
    for i in range(count):
        code = f"{FAKE_VILLAGE_PREFIX}{i + 1:02d}"
        key, _created = keys.node_key_create(base / "fake-keys" / f"{code}.pem")
        out.append(FakeVillage(code, key))
    return out


def bench_queries(results: Results, u, village: FakeVillage, body: bytes, rounds=10) -> None:
    say("queries: idle pushes in-process on the upstream's PostgreSQL database")
    found = agent_step(
        u,
        f"{STEPS}:idle_push_queries",
        key=village.private_hex,
        body=body.hex(),
        code=village.code,
        rounds=rounds,
    )
    queries, checks = max(found["counts"]), max(found["health_checks"])
    results.data["queries"] = found
    for number, sql in enumerate(found["sql"], 1):
        say(f"  {number}. {sql[:160]}")
    total = queries + checks
    results.add(
        "SQL queries per idle sync (upstream, PostgreSQL)",
        f"{queries} queries + {checks} connection health check = {total} statements "
        f"(same in all {rounds} runs)"
        if len(set(found["counts"])) == 1 and len(set(found["health_checks"])) == 1
        else f"{found['counts']} queries, {found['health_checks']} health checks",
        f"≤ {TARGET_IDLE_QUERIES}",
        total <= TARGET_IDLE_QUERIES,
    )


class IdlePusher(threading.Thread):
    """One fake village on one keep-alive connection, pushing idle batches in a loop."""

    def __init__(self, village: FakeVillage, port: int, body: bytes, stop: threading.Event):
        super().__init__(daemon=True)
        self.village, self.port, self.body, self.stop = village, port, body, stop
        self.measuring = False
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.connections = 0
        self.digest = signing.body_digest(body)

    def _connect(self):
        self.connections += 1
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def run(self):
        conn = self._connect()
        while not self.stop.is_set():
            nonce, stamp = signing.new_nonce(), int(time.time())
            message = signing.request_message(
                method="POST", path="/sync/v1/push", node=self.village.code, time=stamp,
                nonce=nonce, digest=self.digest,
            )  # fmt: skip
            headers = {
                "Content-Type": "application/x-ndjson",
                signing.HEADER_NODE: self.village.code,
                signing.HEADER_TIME: str(stamp),
                signing.HEADER_NONCE: nonce,
                signing.HEADER_SIGNATURE: keys.sign(message, self.village.key),
            }
            started = time.perf_counter()
            try:
                conn.request("POST", "/sync/v1/push", body=self.body, headers=headers)
                response = conn.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException) as exc:
                if self.measuring:
                    self.errors.append(f"{exc.__class__.__name__}: {exc}")
                conn.close()
                conn = self._connect()
                continue
            elapsed = time.perf_counter() - started
            if response.status != 200 or not response.getheader(signing.HEADER_SIGNATURE):
                if self.measuring:
                    self.errors.append(f"HTTP {response.status}: {data[:120]!r}")
                continue
            if response.will_close:
                conn.close()
                conn = self._connect()
            if self.measuring:
                self.latencies.append(elapsed)
        conn.close()


def bench_load(
    results: Results, upstream: BenchUpstream, villages: list[FakeVillage], body: bytes,
    seconds: float, warmup: float = 3,
) -> None:  # fmt: skip
    say(f"load: {len(villages)} villages pushing idle syncs for {warmup:g} + {seconds:g} s")
    stop = threading.Event()
    pushers = [IdlePusher(village, upstream.port, body, stop) for village in villages]
    for pusher in pushers:
        pusher.start()
    time.sleep(warmup)
    connections_before = sum(p.connections for p in pushers)
    for pusher in pushers:
        pusher.measuring = True
    load_before = load_average()
    started = time.monotonic()
    time.sleep(seconds)
    for pusher in pushers:
        pusher.measuring = False
    elapsed = time.monotonic() - started
    load_after = load_average()
    stop.set()
    for pusher in pushers:
        pusher.join(timeout=35)
    latencies = [t for p in pushers for t in p.latencies]
    errors = [e for p in pushers for e in p.errors]
    reconnects = sum(p.connections for p in pushers) - connections_before
    rate = len(latencies) / elapsed
    results.data["load"] = {
        "villages": len(villages),
        "seconds": round(elapsed, 2),
        "syncs": len(latencies),
        "per_second": round(rate, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "p95_ms": round(percentile(latencies, 95) * 1000, 1),
        "max_ms": round(max(latencies, default=0) * 1000, 1),
        "errors": len(errors),
        "error_samples": errors[:5],
        "new_connections_while_measuring": reconnects,
        "load_average": [load_before, load_after],
        "upstream_workers": 2,
        "upstream_threads": int(upstream.bench_env["HUB_WEB_THREADS"]),
    }
    say(f"load: load average {load_before} → {load_after}")
    results.add(
        f"idle syncs per second, upstream 2 workers × {upstream.bench_env['HUB_WEB_THREADS']} "
        f"threads on PostgreSQL",
        f"{rate:,.0f}/s ({len(villages)} villages, {elapsed:.0f} s, p50 "
        f"{results.data['load']['p50_ms']} ms, p95 {results.data['load']['p95_ms']} ms, "
        f"{len(errors)} errors)",
        "reported",
        None if not errors else False,
    )
