"""Sync under faults, between real processes: a link that cuts at random points, an upstream
killed mid-sync, a village killed mid-apply, forged and replayed traffic, wrong and revoked
keys, and a captive portal answering in the upstream's place."""

import contextlib
import http.server
import os
import random
import signal
import sqlite3
import threading
import time
import urllib.error
import urllib.request
import uuid

import pytest
from cryptography.hazmat.primitives import serialization

from hub.sync.wire import codec as wire
from hub.sync.wire import keys, signing
from tests.harness.hubs import UPSTREAM_CODE, VILLAGE_CODES, Agent, UpstreamNode
from tests.harness.linksim import LinkSim

pytestmark = pytest.mark.e2e

_direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def load_key(village):
    path = village.data_dir / "keys" / "node_ed25519.pem"
    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def signed_post(base_url, path, body, *, node, key, nonce=None, stamp=None, tamper=False):
    """A push as a village would send it; returns (status, headers, body)."""
    nonce = nonce or signing.new_nonce()
    stamp = stamp or int(time.time())
    message = signing.request_message(
        method="POST", path=path, node=node, time=stamp, nonce=nonce,
        digest=signing.body_digest(body),
    )  # fmt: skip
    headers = {
        signing.HEADER_NODE: node,
        signing.HEADER_TIME: str(stamp),
        signing.HEADER_NONCE: nonce,
        signing.HEADER_SIGNATURE: keys.sign(message, key),
        "Content-Type": "application/x-ndjson",
    }
    if tamper:
        body = body[:-1] + bytes([body[-1] ^ 1])
    request = urllib.request.Request(base_url + path, data=body, headers=headers, method="POST")
    try:
        with _direct.open(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def record_line(record_id, origin, title, rev=1):
    return wire.dumps(
        {
            "m": "site.announcement",
            "id": str(record_id),
            "o": origin,
            "r": rev,
            "v": 1,
            "f": {
                "title": title,
                "body": "<p>x</p>",
                "category": "umum",
                "publish_at": "2026-11-01T00:00:00+00:00",
                "expires_at": None,
                "pinned": False,
            },
        }
    )


def batch(lines, after=0, to=0):
    header = {"batch": {"after": after, "to": to}, "cursor": 0, "heartbeat": {}}
    return wire.encode_page(header, lines)


def _differences(v, u, mine: dict, theirs: dict) -> str:
    """What differs between two dumps, record by record, as each side holds it (rev, fields,
    blob references), and the village's sync state: enough to tell a lost edit from a blob
    still on its way."""
    lines = []
    for model in sorted(set(mine) | set(theirs)):
        if model == "tombstones":
            if mine[model] != theirs.get(model):
                lines.append(f"tombstones: village {mine[model]} upstream {theirs.get(model)}")
            continue
        a, b = mine.get(model, {}), theirs.get(model, {})
        ids = sorted(uid for uid in set(a) | set(b) if a.get(uid) != b.get(uid))
        if ids:
            here, there = v("records", model=model, ids=ids), u("records", model=model, ids=ids)
            for uid in ids:
                lines.append(f"{model} {uid}:\n  village  {here[uid]}\n  upstream {there[uid]}")
    lines.append(f"village state: {v('state')}")
    return "\n".join(lines)


def assert_converged(v, u, code):
    mine, theirs = v("dump", origin=code), u("dump", origin=code)
    assert mine == theirs, "village records differ between village and upstream:\n" + _differences(
        v, u, mine, theirs
    )
    down_v, down_u = v("dump", origin=UPSTREAM_CODE), u("dump", origin=UPSTREAM_CODE)
    assert down_v == down_u, "upstream records differ between upstream and village:\n" + (
        _differences(v, u, down_v, down_u)
    )
    return mine


# a management command run in an agent, as scripts/manage runs it, without a Django start
COMMAND_CODE = """
import io
from django.core.management import call_command
call_command(*{args!r}, stdout=io.StringIO())
"""


def pin(agent, village, url, upstream):
    agent("exec", code=COMMAND_CODE.format(args=village._pin_command(url, upstream)))


def queued_tasks(village) -> int:
    """Tasks in the village cluster's queue, not yet done."""
    path = village.data_dir / "db.sqlite3"
    with contextlib.closing(sqlite3.connect(path, timeout=10)) as conn:
        return conn.execute("SELECT count(*) FROM django_q_ormq").fetchone()[0]


def pulled_count(village) -> int:
    """Upstream-origin announcements in the village's database, read beside its processes."""
    path = village.data_dir / "db.sqlite3"
    with contextlib.closing(sqlite3.connect(path, timeout=10)) as conn:
        query = "SELECT count(*) FROM site_announcement WHERE origin = ?"
        return conn.execute(query, (UPSTREAM_CODE,)).fetchone()[0]


@pytest.fixture(scope="module")
def upstream(tmp_path_factory):
    """The upstream of this module, with feed pages of 64 KB (2 MB by default): the village
    killed mid-pull has pages applied and pages still to come (a page is one transaction)."""
    node = UpstreamNode(tmp_path_factory.mktemp("sync"), env={"HUB_SYNC_PAGE_BYTES": "65536"})
    yield node
    node.close()


@pytest.fixture(scope="module")
def linked(upstream, villages):
    """A village whose link to the upstream goes through the link simulator."""
    sim = LinkSim(f"127.0.0.1:{upstream.port}")
    village = villages(VILLAGE_CODES[1], via_port=sim.port)
    yield village, sim, village.agent(), upstream.agent()
    # the cluster's backlog (the cycles' image renditions, the pulled pages' bulk indexing) is
    # worked off before scripts/run is stopped: its stop drains it, within 20 s only when the
    # machine is quiet (the key test, last, gives it no time)
    deadline = time.monotonic() + 120
    while queued_tasks(village) and time.monotonic() < deadline:
        time.sleep(0.2)
    sim.stop()


def test_hundred_cycles_of_random_cuts_converge_without_duplicates(linked):
    village, sim, v, u = linked
    rng = random.Random(20261123)
    made_here, made_there = [], []
    failures = 0
    cuts_before = sim.stats()["cuts"]
    for cycle in range(100):
        # given fresh changes on both sides, some with images (blob transfers to cut)
        made_here += v("create", n=2, prefix=f"c{cycle}", image=cycle % 4 == 0)["ids"]
        if cycle % 5 == 0:
            v("edit", ids=rng.sample(made_here, 2))
        if cycle % 7 == 0:
            made_there += u("create", n=1, prefix=f"u{cycle}", image=cycle % 14 == 0)["ids"]
        # when the link cuts at a random point of this cycle's traffic
        # (a cycle moves ~2-4 KB of records, ~10-20 KB more with an image)
        limit = rng.randint(50, 12000 if cycle % 4 == 0 else 1200)
        sim.configure(cut_after_bytes=limit, cut_every=False)
        result = v("sync", attempts=1)
        failures += not result["ok"]
    # then once the link holds, one more sync converges everything, with nothing doubled
    sim.configure(cut_after_bytes=None)
    final = v("sync", attempts=3)
    assert final["ok"], final
    mine = assert_converged(v, u, village.code)
    assert sorted(mine["site.announcement"]) == sorted(made_here)
    assert set(made_there) <= set(v("dump", origin=UPSTREAM_CODE)["site.announcement"])
    # (a cut request is retried once on a new connection, so not every cut fails its run)
    cuts = sim.stats()["cuts"] - cuts_before
    assert cuts >= 60, f"only {cuts} cuts in 100 cycles: the test cut too little"
    state = v("state")
    assert state["blob_needs"] == 0 and state["blob_uploads"] == 0
    assert (
        u("exec", code="from hub.sync.models import BlobNeed\nresult = BlobNeed.objects.count()")[
            "result"
        ]
        == 0
    )


def test_upstream_killed_mid_sync_then_back(linked, upstream):
    village, sim, v, u = linked
    # given 1500 changes and a slow link, so the push takes a while
    ids = v("create", n=1500, prefix="besar")["ids"]
    sim.configure(bandwidth_kbps=20, cut_after_bytes=None)
    sim.reset_stats()
    result = {}
    worker = threading.Thread(target=lambda: result.update(v("sync", attempts=1)))
    worker.start()
    # (at 20 kbit/s the push — 4 to 30 KB of zstd, as the records compress — is on the wire
    # for seconds: strike as soon as its first 2 KB have passed)
    deadline = time.monotonic() + 60
    while sim.stats()["bytes_up"] < 2000 and time.monotonic() < deadline:
        time.sleep(0.1)
    # when the upstream dies hard in the middle and comes back
    upstream.stop(signal.SIGKILL)
    worker.join(timeout=120)
    upstream.start()
    sim.configure(bandwidth_kbps=None)
    # then the interrupted run failed cleanly and the next one converges
    assert result and not result["ok"], result
    again = v("sync", attempts=3)
    assert again["ok"], again
    mine = assert_converged(v, u, village.code)
    assert set(ids) <= set(mine["site.announcement"])


def test_village_killed_mid_apply_then_restarted(linked):
    village, sim, v, u = linked
    # given 1500 upstream records for the village to pull
    made = u("create", n=1500, prefix="kiriman")["ids"]
    victim = village.agent()
    cursor_before = victim("state")["pull_cursor"]
    before = pulled_count(village)
    # when the applying process is killed with SIGKILL mid-pull: once its first feed page is
    # applied (the pages come in ~8 transactions of 64 KB)
    victim.process.stdin.write('{"op": "sync"}\n')
    victim.process.stdin.flush()
    deadline = time.monotonic() + 120
    while pulled_count(village) == before:
        assert victim.process.poll() is None and time.monotonic() < deadline, "no page applied"
        time.sleep(0.05)
    os.kill(victim.process.pid, signal.SIGKILL)
    victim.process.wait()
    # (it did land mid-pull: part of the records applied, the rest not)
    assert before < pulled_count(village) < before + len(made)
    # then a new process finds a consistent database and finishes the job
    fresh = Agent(village.env, village.base / "agent-after-kill.log")
    village.agents.append(fresh)
    assert fresh("sync", attempts=3)["ok"]
    assert fresh("state")["pull_cursor"] > cursor_before
    assert set(made) <= set(fresh("dump", origin=UPSTREAM_CODE)["site.announcement"])
    assert_converged(fresh, u, village.code)


class _Portal(http.server.BaseHTTPRequestHandler):
    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        body = b"<html><body>Silakan login ke hotspot</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = _answer

    def log_message(self, *args):
        pass


def test_captive_portal_200_is_not_an_acknowledgement(upstream, linked):
    village, sim, v, u = linked
    portal = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Portal)
    thread = threading.Thread(target=portal.serve_forever, daemon=True)
    thread.start()
    try:
        v("create", n=2, prefix="lewat portal")
        before = v("state")
        # when a captive portal answers 200 OK in the upstream's place
        pin(v, village, f"http://127.0.0.1:{portal.server_address[1]}", upstream)
        result = v("sync", attempts=1)
        # then the run failed and no checkpoint moved
        assert not result["ok"]
        assert "not signed by the pinned upstream" in result["runs"][-1]["error"]
        after = v("state")
        assert after["push_seq"] == before["push_seq"]
        assert after["pull_cursor"] == before["pull_cursor"]
    finally:
        portal.shutdown()
        pin(v, village, f"http://127.0.0.1:{sim.port}", upstream)
    # and with the real upstream back, the changes go up
    assert v("sync")["ok"]
    assert_converged(v, u, village.code)


def test_forged_replayed_and_foreign_traffic_is_refused(linked, upstream):
    # (next to last in the module: it writes a record straight to the upstream that the village
    # lacks)
    village, sim, v, u = linked
    key = load_key(village)
    other = VILLAGE_CODES[0]
    mine_id, theirs_id, up_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    body = batch(
        [
            record_line(mine_id, village.code, "milik sendiri"),
            record_line(theirs_id, other, "milik desa lain"),
            record_line(up_id, UPSTREAM_CODE, "milik upstream"),
        ]
    )
    nonce = signing.new_nonce()
    # when a batch mixes the village's own record with foreign-origin ones
    status, headers, data = signed_post(
        upstream.url, "/sync/v1/push", body, node=village.code, key=key, nonce=nonce
    )
    # then the village's record is applied and the others are refused in the signed ack
    assert status == 200
    header, _items = wire.decode_page(data)
    refused = {r["id"]: r["reason"] for r in header["ack"]["refused"]}
    assert set(refused) == {str(theirs_id), str(up_id)}
    assert header["ack"]["applied"] == 1
    assert keys.verify(
        upstream.public_key,
        signing.answer_message(nonce=nonce, status=200, digest=signing.body_digest(data)),
        headers[signing.HEADER_SIGNATURE],
    )
    # when the same request is replayed
    status, _h, data = signed_post(
        upstream.url, "/sync/v1/push", body, node=village.code, key=key, nonce=nonce
    )
    assert status == 401 and b'"replay"' in data
    # when the body is changed after signing
    status, _h, data = signed_post(
        upstream.url, "/sync/v1/push", batch([record_line(uuid.uuid4(), village.code, "x")]),
        node=village.code, key=key, tamper=True,
    )  # fmt: skip
    assert status == 401 and b'"bad_signature"' in data
    # when the request is old (captured and held back)
    status, _h, data = signed_post(
        upstream.url, "/sync/v1/push", body, node=village.code, key=key,
        stamp=int(time.time()) - 3600,
    )  # fmt: skip
    assert status == 401 and b'"stale"' in data and b"server_time" in data
    # and nothing of it reached the upstream
    dump = u("dump")["site.announcement"]
    assert str(mine_id) in dump and str(theirs_id) not in dump and str(up_id) not in dump


def test_wrong_and_revoked_keys_are_refused(linked):
    # (last in the module: the village's key is replaced and the village revoked)
    village, sim, v, u = linked
    v("create", n=1, prefix="sebelum")
    assert v("sync")["ok"]
    # given a key the upstream does not know (the village's key was replaced)
    (village.data_dir / "keys" / "node_ed25519.pem").unlink()
    v("exec", code=COMMAND_CODE.format(args=["node_init"]))
    v2 = village.agent()
    v2("create", n=1, prefix="kunci salah")
    result = v2("sync", attempts=1)
    assert not result["ok"] and "bad_signature" in result["runs"][-1]["error"]
    # given the village is revoked on the upstream
    u("exec", code=COMMAND_CODE.format(args=["village_revoke", village.code]))
    result = v2("sync", attempts=1)
    assert not result["ok"] and "revoked" in result["runs"][-1]["error"]
    state = v2("state")
    assert state["failures"] >= 2
