"""`scripts/bench sync` (``python -m bench sync``): the sync engine measured against the
project's targets, real processes.

Run through ``scripts/bench sync`` (it installs and starts PostgreSQL when missing, as
``scripts/test`` does, and exports ``HUB_TEST_PG_*``). The nodes are those of the multi-process
sync tests (:mod:`tests.harness.hubs`): an upstream under gunicorn with 2 workers on its own
PostgreSQL database, a village under ``scripts/run`` (gunicorn + the django-q2 cluster on
SQLite), an agent process per node to act on its database, and ``scripts/linksim`` between the
village and the upstream, whose counters are the bytes that really crossed the link.

Order of work:

1. the upstream, the link (no latency) and the village are started; the village syncs once;
2. idle sync: one more sync with nothing to do; requests, new connections and bytes each way;
3. a ~20 MB image made on the upstream for an announcement to the village's region; the
   village syncs through a link that cuts once after half of it, then syncs again and resumes;
4. SQL queries of one idle push, in-process on the upstream's PostgreSQL database;
5. 20 enrolled villages push idle syncs at the upstream (directly, no link) for 20 s;
6. 10,000 announcements of realistic size (a title and three paragraphs, as in 7) made in
   the village, the reference (the same records as zstd NDJSON) made in the village agent,
   then one sync through the link at 2 Mbit/s and 600 ms round trip (the push is pipelined:
   the next batch crosses the link while the upstream applies the one before).
   Late, because a push that fails leaves the upstream busy with its batch for a while;
7. 5,000 announcements of realistic size (three paragraphs) made in the village, then synced
   (runs until one succeeds) through a link that cuts every connection after a random 20-60 KB;
   the bytes that crossed against the same records as zstd NDJSON, and whether they converged.

What each figure means and the results of a full run are in docs/benchmarks.md.
"""

import argparse
import contextlib
import http.client
import json
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest  # the harness reports its failures with pytest.fail

from hub.sync.wire import keys, signing  # noqa: E402 - no settings needed for these
from tests.harness.hubs import VILLAGE_CODES, UpstreamNode, VillageNode
from tests.harness.linksim import LinkSim

from .common import KB, MB, ROOT, BenchError, kb, percentile, say
from .sync_timeline import push_timeline, timeline_table

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


# --------------------------------------------------------------------------------------------
# The nodes


class BenchUpstream(UpstreamNode):
    """The harness's upstream, started as Ansible starts one: gthread workers (``hub_web``'s
    default is 2 threads; with 1 thread gunicorn's sync worker closes every connection after
    its answer, so nothing could be warm) and an access log to count requests."""

    def __init__(self, base: Path, *, threads: int, access_log: Path):
        self.bench_env = {
            "HUB_WEB_THREADS": str(threads),
            "HUB_ACCESS_LOG": str(access_log),
            "HUB_SYNC_TIMELINE": "1",  # the push's steps (bench/sync_timeline.py)
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


def exec_result(agent, code: str, timeout: float = 300):
    return agent("exec", code=code, timeout=timeout)["result"]


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


REFERENCE_CODE = """
from django.conf import settings
from hub.sync.changes.feed import push_batch
from hub.sync.core.identity import require_node_code
from hub.sync.models import JournalEntry, SyncState
from hub.sync.registry import spec_for
from hub.sync.wire.codec import compress, dumps, encode_page, record_to_wire

spec = spec_for("site.announcement")
records = list(spec.model._base_manager.filter(title__startswith={prefix!r}))
# in the order of the journal, as a push sends them
seq = dict(JournalEntry.objects.filter(model=spec.label).values_list("uid", "seq"))
records.sort(key=lambda obj: seq[obj.pk])
raw = b"\\n".join(dumps(record_to_wire(obj, spec)) for obj in records)
# the batches the next push will send, as the client encodes them (without its heartbeat);
# a pipelined push sends smaller ones (hub/sync/village/pipeline.py)
size = settings.SYNC_BATCH_MAX_BYTES
if settings.SYNC_PUSH_PIPELINE > 1:
    size = min(size, settings.SYNC_PUSH_PIPELINE_BATCH_BYTES)
batches, after = [], SyncState.load().push_seq
while True:
    batch = push_batch(me=require_node_code(), after=after, max_bytes=size)
    header = {{"batch": {{"after": batch.after, "to": batch.to}}, "cursor": 0, "heartbeat": {{}}}}
    batches.append({{"records": batch.count, "raw": batch.raw_bytes,
                    "body": len(encode_page(header, batch.items))}})
    after = batch.to
    if not batch.more:
        break
result = {{"records": len(records), "ndjson": len(raw), "zstd": len(compress(raw)),
          "batches": batches}}
"""


def bench_push(
    results: Results, v, u, link: LinkSim, upstream: BenchUpstream, n: int, settle: float,
    pipeline: int | None = None, prefix: str = RECORD_PREFIX, label: str = "",
    logs: tuple = (),
) -> None:  # fmt: skip
    say(f"push: making {n:,} announcements of three paragraphs in the village")
    started = time.monotonic()
    code = CUT_CREATE_CODE.format(words=CUT_WORDS, n=n, prefix=prefix)
    v("exec", code=code, timeout=1800)
    made_seconds = time.monotonic() - started
    if pipeline is not None:
        # the agent process runs the sync: its settings decide (1: one batch after the other)
        exec_result(
            v,
            "from django.conf import settings\nfrom hub.sync.village import transport\n"
            f"settings.SYNC_PUSH_PIPELINE = {pipeline}\n"
            "transport._transports.clear()  # a pool of as many warm connections\n"
            "result = None",
        )
    reference = exec_result(v, REFERENCE_CODE.format(prefix=prefix + " "))
    if reference["records"] != n:
        raise BenchError(f"the village holds {reference['records']} bench records, not {n}")
    batches = reference["batches"]
    say(
        f"push: {n:,} records made in {made_seconds:.0f} s; NDJSON {kb(reference['ndjson'])}, "
        f"zstd {kb(reference['zstd'])}; the push will be {len(batches)} batches "
        f"({', '.join(str(b['records']) for b in batches)} records)"
    )
    depth = exec_result(v, "from django.conf import settings\nresult = settings.SYNC_PUSH_PIPELINE")
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
    count_code = (
        "from hub.site.models import Announcement\n"
        f"result = Announcement.objects.filter(title__startswith={prefix + ' '!r}).count()"
    )
    arrived = exec_result(u, count_code)
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
        arrived = exec_result(u, count_code)
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
CUT_WORDS = (
    "warga desa kerja bakti balai musyawarah panen padi jagung sawah irigasi posyandu imunisasi "
    "balita jadwal pasar bumdes pupuk bantuan jalan jembatan gotong royong sekolah guru listrik "
    "air bersih sumur puskesmas bidan kader rapat kepala dusun anggaran dana desa laporan"
)

CUT_CREATE_CODE = """
import random
from django.utils import timezone
from hub.site.models import Announcement

words = {words!r}.split()
rng = random.Random(5)

def sentence():
    return " ".join(rng.choice(words) for _ in range(rng.randint(8, 16))).capitalize() + "."

for i in range({n}):
    body = "".join("<p>" + " ".join(sentence() for _ in range(3)) + "</p>" for _ in range(3))
    Announcement.objects.create(
        title=f"{prefix} {{i}} {{sentence()[:60]}}", body=body, publish_at=timezone.now()
    )
result = {n}
"""

CUT_REFERENCE_CODE = """
from hub.site.models import Announcement
from hub.sync.registry import spec_for
from hub.sync.wire.codec import compress, dumps, record_to_wire

spec = spec_for("site.announcement")
records = Announcement.objects.filter(title__startswith={prefix!r}).order_by("pk")
raw = b"\\n".join(dumps(record_to_wire(obj, spec)) for obj in records)
result = {{"records": len(records), "ndjson": len(raw), "zstd": len(compress(raw))}}
"""

CUT_RUNS_CODE = """
from hub.sync.models import SyncRun, SyncState
runs = list(SyncRun.objects.filter(started_at__gte={since!r}).values(
    "trigger", "outcome", "bytes_up", "bytes_down", "records_up", "cuts"))
result = {{"runs": runs, "batch_bytes": SyncState.load().push_batch_bytes}}
"""


def bench_cut_push(results: Results, v, u, link: LinkSim, upstream, n: int) -> None:
    say(f"cut push: making {n:,} announcements of three paragraphs in the village")
    v("exec", code=CUT_CREATE_CODE.format(words=CUT_WORDS, n=n, prefix=CUT_PREFIX), timeout=1800)
    reference = exec_result(v, CUT_REFERENCE_CODE.format(prefix=CUT_PREFIX + " "))
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
    runs = exec_result(v, CUT_RUNS_CODE.format(since=since))
    count_code = (
        "from hub.site.models import Announcement\n"
        f"result = Announcement.objects.filter(title__startswith={CUT_PREFIX + ' '!r}).count()"
    )
    arrived = exec_result(u, count_code)
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


# --------------------------------------------------------------------------------------------
# 3. A big blob, cut and resumed


BLOB_CODE = """
import io, os
from PIL import Image
from hub.media.services import image_from_bytes
from hub.site.models import Announcement
from hub.sync import blobs

side = {side}
buffer = io.BytesIO()
# random noise: PNG cannot compress it, so the file is about side * side * 3 bytes
Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(
    buffer, "PNG", compress_level=1
)
image = image_from_bytes(data=buffer.getvalue(), title="bench blob", name="bench-blob.png")
announcement = Announcement(title="bench blob", body="<p>bench blob</p>", image=image)
announcement.save()
result = {{"sha": image.sha256, "size": image.file.size, "announcement": str(announcement.pk),
          "image": image.pk}}
"""

# Only when the upstream answered 404 for its own image: it never put the file in its store.
BLOB_STORE_CODE = """
from wagtail.images import get_image_model
from hub.sync import blobs
image = get_image_model().objects.get(pk={image!r})
result = blobs.put_path(image.file.path, expected_sha=image.sha256)
"""

ATTACHED_CODE = """
from hub.site.models import Announcement
from hub.sync import blobs
obj = Announcement.objects.filter(pk={pk!r}).first()
result = {{"blob": blobs.has({sha!r}), "image": bool(obj and obj.image_id),
          "image_sha": obj.image.sha256 if obj and obj.image_id else None}}
"""


def bench_blob(
    results: Results, v, u, link: LinkSim, upstream, village, side: int, kbps: float
) -> None:
    say(f"blob: a {side} × {side} noise PNG on the upstream, announced to the region")
    blob = exec_result(u, BLOB_CODE.format(side=side))
    sha, size = blob["sha"], blob["size"]
    partial_path = village.data_dir / "blobs-partial" / f"{sha}.part"
    cut_at = size // 2
    missing_upstream = None
    # A rate, however generous: unpaced, linksim hands bytes to the kernel faster than the
    # village writes them to disk, and the RST of the cut throws away what sits in the socket
    # buffers (megabytes on loopback), which the link has counted as sent.
    link.configure(cut_after_bytes=cut_at, bandwidth_kbps=kbps)
    try:
        with measured(link, upstream) as first_m:
            first = sync_once(v)
        if first_m["cuts"] == 0 and "404" in first["error"]:
            missing_upstream = first["error"]
            say(
                f"blob: the upstream answered 404 for its own image ({first['error'][:90]}): "
                "nothing put the file in its blob store; putting it there to go on measuring"
            )
            exec_result(u, BLOB_STORE_CODE.format(image=blob["image"]))
            link.configure(cut_after_bytes=cut_at)  # re-arm
            with measured(link, upstream) as first_m:
                first = sync_once(v)
        partial = partial_path.stat().st_size if partial_path.exists() else 0
        say(
            f"blob: first sync {first['outcome']} ({first['error'][:80]}); the link carried "
            f"{first_m['bytes_down']:,} B down, the partial file holds {partial:,} B"
        )
        if first["outcome"] == "ok" or first_m["cuts"] != 1:
            raise BenchError(f"the link did not cut the download: {first_m}, {first}")
        with measured(link, upstream) as second_m:
            second = sync_once(v)
    finally:
        link.configure(cut_after_bytes=None, bandwidth_kbps=None)
    if second["outcome"] != "ok":
        raise BenchError(f"the resumed sync failed: {second['error']}")
    attached = exec_result(v, ATTACHED_CODE.format(pk=blob["announcement"], sha=sha))
    if not (attached["blob"] and attached["image_sha"] == sha):
        raise BenchError(f"the blob did not arrive or was not attached: {attached}")
    remaining = size - partial
    extra = second_m["bytes_down"] - remaining
    lost_in_cut = first_m["bytes_down"] - partial
    blob_requests = [
        line for line in second_m["requests"] if any(f"{p}blobs/" in line for p in SYNC_PATHS)
    ]
    results.data["blob"] = {
        "sha256": sha,
        "size": size,
        "upstream_answered_404_for_its_own_image": missing_upstream,
        "cut_after_bytes": cut_at,
        "bandwidth_kbps": kbps,
        "first": {
            "run": first,
            "link": {k: first_m[k] for k in ("connections", "bytes_up", "bytes_down", "cuts")},
        },
        "partial_bytes": partial,
        "delivered_but_not_kept": lost_in_cut,
        "second": {
            "run": second,
            "link": {k: second_m[k] for k in ("connections", "bytes_up", "bytes_down")},
            "requests": len(second_m["requests"]),
            "blob_requests": len(blob_requests),
        },
        "remaining": remaining,
        "resent_beyond_arrived": extra,
        "attached": attached,
    }
    results.add(
        f"{size / MB:.1f} MB blob cut at half: re-sent beyond what had arrived",
        (
            "upstream 404 for its own image, file put in its store by hand; then "
            if missing_upstream
            else ""
        )
        + f"{kb(extra)}: {second_m['bytes_down']:,} B down for the {remaining:,} B missing "
        f"(the whole second sync, HTTP headers and its push answer included; the cut run's "
        f"link counted {kb(lost_in_cut)} more than the partial file kept)",
        f"≤ {kb(TARGET_RESEND_BYTES)}",
        extra <= TARGET_RESEND_BYTES,
    )


# --------------------------------------------------------------------------------------------
# 4. The upstream under idle syncs: queries per sync, syncs per second


CURSOR_CODE = """
from django.db.models import Max
from hub.sync.models import JournalEntry
from hub.sync.wire.codec import encode_page
cursor = JournalEntry.objects.aggregate(top=Max("seq"))["top"] or 0
body = encode_page({"batch": {"after": 0, "to": 0}, "cursor": cursor, "heartbeat": {}}, [])
result = {"cursor": cursor, "body": body.hex()}
"""

ENROLL_CODE = """
from hub.sync.upstream.enrollment import village_enroll
for code, public_key in {villages!r}:
    village_enroll(code=code, public_key=public_key)
result = len({villages!r})
"""

QUERIES_CODE = """
import time
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import close_old_connections, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from hub.sync.wire import keys, signing

key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex({key!r}))
body = bytes.fromhex({body!r})
client = Client(HTTP_HOST="127.0.0.1")
health_checks = []
is_usable = connection.is_usable


def counted_is_usable():
    health_checks.append(1)
    return is_usable()


connection.is_usable = counted_is_usable


def push():
    nonce, stamp = signing.new_nonce(), int(time.time())
    message = signing.request_message(
        method="POST", path="/sync/v1/push", node={code!r}, time=stamp, nonce=nonce,
        digest=signing.body_digest(body),
    )
    headers = {{
        signing.HEADER_NODE: {code!r}, signing.HEADER_TIME: str(stamp),
        signing.HEADER_NONCE: nonce, signing.HEADER_SIGNATURE: keys.sign(message, key),
    }}
    # gunicorn runs close_old_connections on request_started (CONN_MAX_AGE, health checks);
    # the test client disconnects it, so it is called here
    close_old_connections()
    return client.post(
        "/sync/v1/push", data=body, content_type="application/x-ndjson", headers=headers
    )


answer = push()  # warm-up: the first request connects and fills caches
assert answer.status_code == 200, (answer.status_code, answer.content[:300])
counts, checks = [], []
for _ in range({rounds}):
    health_checks.clear()
    with CaptureQueriesContext(connection) as captured:
        answer = push()
    assert answer.status_code == 200, (answer.status_code, answer.content[:300])
    counts.append(len(captured))
    checks.append(len(health_checks))
result = {{"counts": counts, "health_checks": checks,
          "sql": [q["sql"] for q in captured.captured_queries],
          "answer_bytes": len(answer.content)}}
"""


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
    found = exec_result(
        u,
        QUERIES_CODE.format(
            key=village.private_hex, body=body.hex(), code=village.code, rounds=rounds
        ),
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


# --------------------------------------------------------------------------------------------


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


def main(argv: list[str]) -> int:
    if any(arg == "--years" or arg.startswith("--years=") for arg in argv):
        from .years import main as years_main  # five years of activity: bench/years.py

        return years_main(argv)
    parser = argparse.ArgumentParser(
        prog="scripts/bench sync", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--records", type=int, default=10_000, help="records pushed (10000)")
    parser.add_argument(
        "--cut-records", type=int, default=5_000, help="records pushed through cuts (5000)"
    )
    parser.add_argument(
        "--only",
        default="idle,blob,queries,load,push,cut",
        help="comma-separated parts to run (idle,blob,queries,load,push,cut: all)",
    )
    parser.add_argument(
        "--push-pipeline",
        type=int,
        help="push batches in flight at once for the 10,000-record push (default: the "
        "village's SYNC_PUSH_PIPELINE; 1 sends one after the other, to compare)",
    )
    parser.add_argument(
        "--push-compare",
        action="store_true",
        help="push twice in the same run, one batch at a time then pipelined, each with "
        "--records new records (the ratio of the two, on a loaded machine)",
    )
    parser.add_argument("--blob-side", type=int, default=2600, help="noise PNG side, px (2600)")
    parser.add_argument(
        "--blob-kbps", type=float, default=40_000, help="link rate for the blob, kbit/s (40000)"
    )
    parser.add_argument("--load-seconds", type=float, default=20, help="idle-sync load (20)")
    parser.add_argument("--load-villages", type=int, default=20, help="concurrent villages (20)")
    parser.add_argument(
        "--upstream-threads", type=int, default=2, help="gunicorn threads per worker (2)"
    )
    parser.add_argument(
        "--settle-seconds",
        type=float,
        default=120,
        help="after a failed push, how long to wait for the upstream to commit its batch (120)",
    )
    parser.add_argument("--json", type=Path, help="result file (var/bench/sync-<time>.json)")
    parser.add_argument("--keep", action="store_true", help="keep the data dirs and logs")
    args = parser.parse_args(argv)

    started_at = datetime.now(UTC)
    json_path = args.json or ROOT / "var" / "bench" / f"sync-{started_at:%Y%m%d-%H%M%S}.json"
    base = Path(tempfile.mkdtemp(prefix="balai-bench-sync-"))
    results = Results()
    results.data.update(
        started_at=started_at.isoformat(timespec="seconds"),
        machine=machine(),
        options={k: str(v) for k, v in vars(args).items()},
    )
    say(f"data dirs and logs in {base}; load average {load_average()}")
    status = 2
    try:
        with contextlib.ExitStack() as stack:
            say("starting the upstream (PostgreSQL, gunicorn 2 workers)")
            upstream = BenchUpstream(
                base / "upstream",
                threads=args.upstream_threads,
                access_log=base / "upstream-access.log",
            )
            stack.callback(upstream.close)
            link = stack.enter_context(LinkSim(upstream.port))
            say(f"starting the village (scripts/run) behind linksim on port {link.port}")
            village = VillageNode(
                base, VILLAGE_CODES[0], upstream, via_port=link.port,
                env={"HUB_SYNC_TIMELINE": "1"},
            )  # fmt: skip
            logs = (
                lambda: sorted(village.base.glob("agent-*.log")),
                lambda: [upstream.base / "upstream-gunicorn.log"],
            )
            stack.callback(village.close)
            v, u = village.agent(), upstream.agent()
            # the cluster's own schedule must not sync through the link while it is measured
            exec_result(
                v,
                "from django.utils import timezone\nfrom django_q.models import Schedule\n"
                "result = Schedule.objects.filter(func='hub.sync.tasks.sync_task').update("
                "next_run=timezone.now() + timezone.timedelta(days=1))",
            )

            parts = set(args.only.split(","))
            if "idle" in parts:
                bench_idle(results, v, link, upstream)
            if "blob" in parts:
                bench_blob(results, v, u, link, upstream, village, args.blob_side, args.blob_kbps)

            if parts & {"queries", "load"}:
                fakes = fake_villages(base, args.load_villages)
                villages = [(f.code, f.public_key) for f in fakes]
                exec_result(u, ENROLL_CODE.format(villages=villages))
                prepared = exec_result(u, CURSOR_CODE)
                body = bytes.fromhex(prepared["body"])
                results.data["idle_push_body_bytes"] = len(body)
                if "queries" in parts:
                    bench_queries(results, u, fakes[0], body)
                if "load" in parts:
                    bench_load(results, upstream, fakes, body, args.load_seconds)

            # late: a push that times out leaves the upstream applying its batch for a while
            if "push" in parts:
                pipelined = args.push_pipeline or exec_result(
                    v, "from django.conf import settings\nresult = settings.SYNC_PUSH_PIPELINE"
                )
                if args.push_compare:
                    bench_push(
                        results, v, u, link, upstream, args.records, args.settle_seconds,
                        1, prefix="catatan serial", label=" (one batch at a time)", logs=logs,
                    )  # fmt: skip
                bench_push(
                    results, v, u, link, upstream, args.records, args.settle_seconds,
                    pipelined,
                    label=" (pipelined)" if args.push_compare else "", logs=logs,
                )  # fmt: skip
            if "cut" in parts:
                bench_cut_push(results, v, u, link, upstream, args.cut_records)
            others = exec_result(
                v,
                "from hub.sync.models import SyncRun\nresult = list(SyncRun.objects"
                ".exclude(trigger='test').values_list('trigger', 'started_at'))",
            )
            results.data["village_runs_not_ours"] = others
            if others:
                say(f"note: the village's cluster synced by itself: {others}")
        status = 1 if any(r.passed is False for r in results.rows) else 0
    except (BenchError, pytest.fail.Exception) as exc:
        say(f"the benchmark could not run: {exc}")
        results.data["error"] = str(exc)
    finally:
        results.data["rows"] = [r.__dict__ | {"verdict": r.verdict} for r in results.rows]
        results.data["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        results.data["exit_status"] = status
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(results.data, indent=2, default=str) + "\n")
        if args.keep or status != 0:
            say(f"kept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    print()
    print_table(results)
    print()
    say(f"results in {json_path}")
    return status
