"""The sync bench's parts through the simulated link: an idle sync (1), 10,000 records pushed
at 2 Mbit/s and 600 ms round trip (6), records pushed through a link cut every 20-60 KB (7)."""

import time
from datetime import UTC, datetime

from tests.harness.hubs import VILLAGE_CODES
from tests.harness.linksim import LinkSim

from ..common import BenchError, agent_step, kb, say
from .common import (
    LINK_KBPS,
    LINK_LATENCY_MS,
    PUSH_ROUND_TRIPS,
    RECORD_PREFIX,
    SYNC_PATHS,
    TARGET_IDLE_BYTES,
    TARGET_PUSH_RATIO,
    TARGET_PUSH_TIME_FACTOR,
    BenchUpstream,
    Results,
    measured,
    sync_once,
)
from .timeline import push_timeline, timeline_table

STEPS = "bench.sync.steps"

# --------------------------------------------------------------------------------------------
# 1. Idle sync


def bench_idle(results: Results, v, link: LinkSim, upstream: BenchUpstream) -> None:
    say("idle sync: a warm-up sync, then one with nothing to do")
    warm = sync_once(v)
    if warm["outcome"] != "ok":
        raise BenchError(f"warm-up sync failed: {warm['error']}")
    with measured(link, upstream) as m:
        run = sync_once(v)
    if run["outcome"] != "ok":
        raise BenchError(f"idle sync failed: {run['error']}")
    moved = run["records_up"] + run["records_down"] + run["blobs_up"] + run["blobs_down"]
    requests = [line.split('"')[1] if '"' in line else line for line in m["requests"]]
    results.data["idle"] = {
        "link": {k: m[k] for k in ("connections", "bytes_up", "bytes_down")},
        "requests": requests,
        "seconds": round(m["seconds"], 3),
        "run": run,
    }
    say(f"idle sync: {len(requests)} requests {requests}, {m['connections']} new connections")
    results.add(
        "idle sync: HTTP requests, new connections",
        f"{len(requests)} request, {m['connections']} new connection"
        + ("s" if m["connections"] != 1 else "")
        + ("" if moved == 0 else f" ({moved} items moved!)"),
        "1 request, warm (0 new)",
        len(requests) == 1 and m["connections"] == 0 and moved == 0,
    )
    results.add(
        "idle sync: bytes up (village → upstream)",
        f"{m['bytes_up']:,} B",
        f"≤ {TARGET_IDLE_BYTES:,} B",
        m["bytes_up"] <= TARGET_IDLE_BYTES,
    )
    results.add(
        "idle sync: bytes down (upstream → village)",
        f"{m['bytes_down']:,} B",
        f"≤ {TARGET_IDLE_BYTES:,} B",
        m["bytes_down"] <= TARGET_IDLE_BYTES,
    )


# --------------------------------------------------------------------------------------------
# 2. 10,000 records pushed


def bench_push(
    results: Results, v, u, link: LinkSim, upstream: BenchUpstream, n: int, settle: float,
    pipeline: int | None = None, prefix: str = RECORD_PREFIX, label: str = "",
    logs: tuple = (),
) -> None:  # fmt: skip
    say(f"push: making {n:,} announcements of three paragraphs in the village")
    started = time.monotonic()
    agent_step(v, f"{STEPS}:announcements_make", prefix=prefix, n=n, timeout=1800)
    made_seconds = time.monotonic() - started
    if pipeline is not None:
        # the agent process runs the sync: its settings decide (1: one batch after the other)
        agent_step(v, f"{STEPS}:push_pipeline_set", pipeline=pipeline)
    reference = agent_step(v, f"{STEPS}:push_reference", prefix=prefix + " ")
    if reference["records"] != n:
        raise BenchError(f"the village holds {reference['records']} bench records, not {n}")
    batches = reference["batches"]
    say(
        f"push: {n:,} records made in {made_seconds:.0f} s; NDJSON {kb(reference['ndjson'])}, "
        f"zstd {kb(reference['zstd'])}; the push will be {len(batches)} batches "
        f"({', '.join(str(b['records']) for b in batches)} records)"
    )
    depth = agent_step(v, f"{STEPS}:push_pipeline")
    results.data["push_pipeline"] = depth
    say(f"push: {depth} batch(es) in flight at once (SYNC_PUSH_PIPELINE)")
    link.configure(latency_ms=LINK_LATENCY_MS, bandwidth_kbps=LINK_KBPS)
    sync_started = time.monotonic()
    say(f"push: syncing through {LINK_KBPS / 1000:g} Mbit/s, {LINK_LATENCY_MS} ms round trip")
    try:
        with measured(link, upstream) as m:
            run = sync_once(v)
    finally:
        link.configure(latency_ms=0, bandwidth_kbps=None)
    arrived = agent_step(u, f"{STEPS}:announcements_count", prefix=prefix + " ")
    wire = m["bytes_up"] + m["bytes_down"]
    rate = LINK_KBPS * 1000 / 8
    rtt = LINK_LATENCY_MS / 1000
    pushes = [line for line in m["requests"] if any(f"{p}push" in line for p in SYNC_PATHS)]
    data = results.data["push" + (f" {label.strip()}" if label else "")] = {
        "pipeline": depth,
        "records": n,
        "create_seconds": round(made_seconds, 1),
        "reference": reference,
        "link": {k: m[k] for k in ("connections", "bytes_up", "bytes_down")},
        "requests": len(m["requests"]),
        "push_requests": len(pushes),
        "sync_seconds": round(m["seconds"], 2),
        "run": run,
        "arrived_upstream_when_the_sync_ended": arrived,
    }
    time.sleep(0.5)  # the last log lines
    steps = push_timeline([p for pattern in logs for p in pattern()], m["started"], m["ended"])
    data["timeline"] = {str(k): v for k, v in steps.items()}
    say("push timeline (s from the sync's start):\n" + "\n".join(timeline_table(steps)))
    say(
        f"push: sync {run['outcome']} after {m['seconds']:.1f} s {run['error'][:100]}; "
        f"{run['records_up']:,} records acknowledged, {len(pushes)} push requests answered, "
        f"{m['connections']} connections; the upstream holds {arrived:,}"
    )
    if run["outcome"] == "ok":
        if run["records_up"] != n or arrived != n:
            raise BenchError(f"pushed {run['records_up']}, upstream holds {arrived}, expected {n}")
        ratio = wire / reference["zstd"]
        ideal = wire / rate + PUSH_ROUND_TRIPS * rtt
        data["ideal_seconds"] = round(ideal, 2)
        results.add(
            f"{n:,} records pushed{label}: bytes on the wire (up + down)",
            f"{kb(wire)} = {ratio:.2f} × {kb(reference['zstd'])} "
            f"(up {kb(m['bytes_up'])}, down {kb(m['bytes_down'])})",
            f"≤ {TARGET_PUSH_RATIO} × zstd NDJSON",
            ratio <= TARGET_PUSH_RATIO,
        )
        limit = TARGET_PUSH_TIME_FACTOR * ideal
        results.add(
            f"{n:,} records pushed{label}: time at 2 Mbit/s, 600 ms RTT",
            f"{m['seconds']:.1f} s = {m['seconds'] / ideal:.2f} × {ideal:.2f} s "
            f"({len(m['requests'])} requests, {m['connections']} connection)",
            f"≤ {limit:.2f} s ({TARGET_PUSH_TIME_FACTOR} × (bytes ÷ rate + 3 RTT))",
            m["seconds"] <= limit,
        )
        return
    # The push did not complete: the bytes target cannot be read off the wire. What can be
    # said: the bodies the client sends (computed above, checked against the link's count for
    # what it did send), and how long the upstream takes over the batch it was given.
    bodies = sum(b["body"] for b in batches)
    body_ratio = bodies / reference["zstd"]
    settle_deadline = time.monotonic() + settle
    while arrived == data["arrived_upstream_when_the_sync_ended"] and (
        time.monotonic() < settle_deadline
    ):
        time.sleep(2)
        arrived = agent_step(u, f"{STEPS}:announcements_count", prefix=prefix + " ")
    committed_after = time.monotonic() - sync_started
    data["arrived_upstream_later"] = arrived
    data["seconds_until_that_commit"] = round(committed_after, 1)
    first = batches[0]["records"]
    say(
        f"push: the upstream held {arrived:,} bench records {committed_after:.0f} s after the "
        f"sync started (the first batch had {first:,})"
    )
    # the client sends a batch once the one before is acknowledged: the acknowledged ones and
    # the one it was waiting for crossed the link in this run
    acked, total = 0, 0
    for batch in batches:
        if total >= run["records_up"]:
            break
        total += batch["records"]
        acked += 1
    sent = min(acked + 1, len(batches))
    sent_bodies = sum(b["body"] for b in batches[:sent])
    projected = m["bytes_up"] / sent_bodies * bodies / reference["zstd"]
    floor = bodies / rate + (len(batches) + 1) * rtt
    data.update(
        batches_sent=sent,
        bodies_sent=sent_bodies,
        projected_ratio=round(projected, 3),
        floor_seconds_instant_upstream=round(floor, 2),
    )
    results.add(
        f"{n:,} records pushed: bytes on the wire (up + down)",
        f"not measured, the push did not complete. The link carried {kb(m['bytes_up'])} up for "
        f"the {sent} batches sent (bodies {kb(sent_bodies)}); all {len(batches)} bodies: "
        f"{kb(bodies)} = {body_ratio:.2f} × {kb(reference['zstd'])}, ~{projected:.2f} × "
        "with headers",
        f"≤ {TARGET_PUSH_RATIO} × zstd NDJSON",
        False,
    )
    results.add(
        f"{n:,} records pushed: time at 2 Mbit/s, 600 ms RTT",
        f"sync failed after {m['seconds']:.0f} s ({run['error'][:40]}) with {run['records_up']:,} "
        f"records acknowledged; the upstream committed {arrived:,} by {committed_after:.0f} s. "
        f"An instant upstream: ≥ {floor:.1f} s ({len(batches)} batches, 1 round trip each)",
        f"≤ {TARGET_PUSH_TIME_FACTOR * (bodies / rate + PUSH_ROUND_TRIPS * rtt):.2f} s "
        f"({TARGET_PUSH_TIME_FACTOR} × (bytes ÷ rate + 3 RTT))",
        False,
    )


# --------------------------------------------------------------------------------------------
# 7. A push through a link cut every 20-60 KB

CUT_PREFIX = "catatan putus"
CUT_LOW, CUT_HIGH = 20_000, 60_000
TARGET_CUT_RATIO = 2.0


def bench_cut_push(results: Results, v, u, link: LinkSim, upstream, n: int) -> None:
    say(f"cut push: making {n:,} announcements of three paragraphs in the village")
    agent_step(v, f"{STEPS}:announcements_make", prefix=CUT_PREFIX, n=n, timeout=1800)
    reference = agent_step(v, f"{STEPS}:cut_reference", prefix=CUT_PREFIX + " ")
    if reference["records"] != n:
        raise BenchError(f"the village holds {reference['records']} cut-push records, not {n}")
    say(f"cut push: NDJSON {kb(reference['ndjson'])}, zstd {kb(reference['zstd'])}")
    since = datetime.now(UTC).isoformat()
    link.configure(cut_after_bytes=CUT_LOW, cut_after_bytes_max=CUT_HIGH, cut_every=True)
    try:
        with measured(link, upstream) as m:
            answer = v("sync", attempts=60, timeout=1800)
    finally:
        link.configure(cut_after_bytes=None, cut_after_bytes_max=None, cut_every=False)
    runs = agent_step(v, f"{STEPS}:sync_runs_since", since=since)
    arrived = agent_step(u, f"{STEPS}:announcements_count", prefix=CUT_PREFIX + " ")
    same = v("dump", origin=VILLAGE_CODES[0]) == u("dump", origin=VILLAGE_CODES[0])
    wire = m["bytes_up"] + m["bytes_down"]
    ratio = wire / reference["zstd"]
    counted = sum(r["bytes_up"] + r["bytes_down"] for r in runs["runs"])
    results.data["cut_push"] = {
        "records": n,
        "reference": reference,
        "link": {k: m[k] for k in ("connections", "bytes_up", "bytes_down", "cuts")},
        "requests": len(m["requests"]),
        "seconds": round(m["seconds"], 1),
        "runs": runs["runs"],
        "counted_by_runs": counted,
        "batch_bytes_after": runs["batch_bytes"],
        "arrived": arrived,
        "converged": same,
    }
    say(
        f"cut push: {'ok' if answer['ok'] else 'FAILED'} after {len(runs['runs'])} runs, "
        f"{m['seconds']:.0f} s, {m['cuts']} cuts, {m['connections']} connections, "
        f"{len(m['requests'])} requests; the upstream holds {arrived:,}"
    )
    results.add(
        f"{n:,} records through a link cut every {CUT_LOW // 1000}-{CUT_HIGH // 1000} KB: "
        "converged, nothing lost or doubled",
        f"{arrived:,} on the upstream, copies {'identical' if same else 'DIFFER'}, "
        f"{len(runs['runs'])} runs, {m['cuts']} cuts, {m['seconds']:.0f} s",
        f"{n:,}, identical",
        answer["ok"] and arrived == n and same,
    )
    results.add(
        f"{n:,} records through a link cut every {CUT_LOW // 1000}-{CUT_HIGH // 1000} KB: "
        "bytes on the wire (up + down, cut attempts included)",
        f"{kb(wire)} = {ratio:.2f} × {kb(reference['zstd'])} (the runs counted {kb(counted)})",
        f"≤ {TARGET_CUT_RATIO} × zstd NDJSON",
        answer["ok"] and ratio <= TARGET_CUT_RATIO,
    )
