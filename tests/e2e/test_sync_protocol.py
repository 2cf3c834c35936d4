"""The sync protocol between real processes: restores on either side (generations) and a
village that still speaks the old protocol, against one upstream (gunicorn and its cluster on
PostgreSQL) and one village hub (scripts/run on SQLite) shared by the module.

A village backup is a copy of its SQLite file taken with SQLite's backup API while nothing
writes; restoring it stops the hub, puts the file back, bumps the generation (what
balai-restore does) and starts the hub again. The upstream's backup is ``pg_dump``; restoring it
stops the upstream, recreates its database with ``pg_restore``, bumps, starts it again.
"""

import json
import os
import shutil
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
import uuid

import pytest
from cryptography.hazmat.primitives import serialization

from hub.sync.wire import codec as wire
from hub.sync.wire import httpsig, keys
from tests.harness import templates
from tests.harness.hubs import VILLAGE_CODES, Agent, start_hub
from tests.harness.processes import manage

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def village(villages):
    return villages(VILLAGE_CODES[2])


def agent(node, *, fresh: bool = False) -> Agent:
    """The node's agent, started once and shared by the module's tests (an agent start is a
    Django start: seconds under load); ``fresh``: a new one, the old ones closed (after a
    restore, which replaces the files and the database they hold open)."""
    live = [one for one in node.agents if one.process.poll() is None and not one.log.closed]
    if live and not fresh:
        return live[-1]
    for old in node.agents:
        old.close()
    node.agents.clear()
    return node.agent()


TITLES_CODE = """
from hub.site.models import Announcement
result = dict((str(pk), title) for pk, title in
              Announcement.objects.filter(pk__in={ids!r}).values_list("pk", "title"))
"""


def holds_everything(village_agent, upstream_agent, origin: str) -> tuple[dict, dict]:
    """Every record and tombstone of the village's, as the village holds it, is the same on the
    upstream. Returns both dumps."""
    mine = village_agent("dump", origin=origin)
    theirs = upstream_agent("dump", origin=origin)
    for label, rows in mine.items():
        for key, value in rows.items():
            assert theirs[label].get(key) == value, (label, key)
    return mine, theirs


def test_a_village_restored_from_an_older_file_loses_none_of_its_later_changes(
    upstream, village, tmp_path
):
    v, u = agent(village), agent(upstream)
    # given a village that synced three notices, then was backed up
    ids = v("create", n=3, prefix="sebelum cadangan")["ids"]
    assert v("sync")["ok"]
    database = village.data_dir / "db.sqlite3"
    backup = tmp_path / "village-backup.sqlite3"
    with sqlite3.connect(database) as source, sqlite3.connect(backup) as target:
        source.backup(target)
    # and after the backup edited two of them and made one more, and synced
    v("edit", ids=ids[:2], suffix=" (diubah)")
    lost_here = v("create", n=1, prefix="setelah cadangan")["ids"]
    assert v("sync")["ok"]
    # when the old file is restored (the hub stopped), the generation bumped, the hub started
    v.close()
    village.hub.stop()
    shutil.copyfile(backup, database)
    for suffix in ("-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)
    bumped = manage(village.env, "sync_generation_bump").stdout
    assert "->" in bumped
    village.hub = start_hub(
        village.data_dir, village.base / "scripts-run-restored.log", extra_env=village.extra_env
    )
    # and the village makes new changes (its journal seqs and revs are the backup's again)
    v = agent(village, fresh=True)
    v("edit", ids=[ids[0]], suffix=" (setelah pemulihan)")
    new = v("create", n=1, prefix="baru setelah pemulihan")["ids"]
    result = v("sync")
    # then the sync succeeded, and the upstream holds every record as the village holds it now
    assert result["ok"], result
    mine, theirs = holds_everything(v, u, village.code)
    notices = mine["site.announcement"]
    # and the village got back what the restore took: the notice made after the backup, and
    # the edit of ids[1] made after it; ids[0]'s edit made after the restore is kept
    assert set(ids + new + lost_here) == set(notices)
    titles = v("exec", code=TITLES_CODE.format(ids=ids + lost_here))["result"]
    assert titles == {
        ids[0]: "sebelum cadangan 0 (setelah pemulihan)",
        ids[1]: "sebelum cadangan 1 (diubah)",
        ids[2]: "sebelum cadangan 2",
        lost_here[0]: "setelah cadangan 0",
    }
    # and nothing is doubled: the upstream holds exactly the village's five notices
    assert set(theirs["site.announcement"]) == set(notices) and len(notices) == 5
    # and a later edit on the village, of a record it took back, reaches the upstream
    v("edit", ids=lost_here, suffix=" (diubah lagi)")
    assert v("sync")["runs"][-1]["records_up"] == 1
    holds_everything(v, u, village.code)
    # and a second sync has nothing to send
    assert v("sync")["runs"][-1]["records_up"] == 0


def test_an_upstream_restored_from_an_older_dump_gets_back_what_it_lost(
    upstream, village, tmp_path
):
    v, u = agent(village), agent(upstream)
    assert v("sync")["ok"]
    pg = upstream.pg
    env = {**os.environ, "PGPASSWORD": pg["HUB_TEST_PG_PASSWORD"]}
    connect = ["-h", pg["HUB_TEST_PG_HOST"], "-p", pg["HUB_TEST_PG_PORT"], "-U",
               pg["HUB_TEST_PG_USER"]]  # fmt: skip
    if not shutil.which("pg_dump") or not shutil.which("pg_restore"):
        pytest.fail("pg_dump and pg_restore (postgresql-client) are needed: run scripts/test")
    # given a dump of the upstream's database, taken while it runs
    dump = tmp_path / "upstream.dump"
    subprocess.run(
        ["pg_dump", *connect, "-Fc", "-f", str(dump), upstream.db_name], env=env, check=True
    )
    # and, after it, village records pushed and a province notice pulled by the village
    pushed = v("create", n=2, prefix="sebelum pemulihan upstream")["ids"]
    u("create", n=1, prefix="provinsi sebelum pemulihan")
    assert v("sync")["ok"]
    # when the upstream's database is restored from the dump and its generation bumped
    u.close()
    upstream.stop()
    with templates.pg_connect(pg) as conn:
        templates.drop_database(conn, upstream.db_name)
        conn.execute(f'CREATE DATABASE "{upstream.db_name}"')
    subprocess.run(
        ["pg_restore", *connect, "-d", upstream.db_name, "--no-owner", str(dump)],
        env=env, check=True,
    )  # fmt: skip
    manage(upstream.env, "sync_generation_bump")
    # (it lost the pushed records: seen before gunicorn is back, since the village hub's own
    # cluster, probing the link, syncs as soon as it answers) and it writes a new notice, whose
    # feed seq the village's cursor has already passed
    u = agent(upstream, fresh=True)
    theirs = u("dump", origin=village.code)["site.announcement"]
    assert not set(pushed) & set(theirs)
    newer = u("create", n=1, prefix="provinsi setelah pemulihan")["ids"]
    upstream.start()
    result = v("sync", attempts=3)
    # then the village pushed again everything it owns, and pulled the new notice
    assert result["ok"], result
    holds_everything(v, u, village.code)
    assert set(newer) <= set(v("dump", origin="15")["site.announcement"])
    # and a second sync has nothing to send
    assert v("sync")["runs"][-1]["records_up"] == 0


SYNC_RECORDING_URLS = """
from hub.sync.village.run import sync_run
from hub.sync.village.transport import Urllib3Transport


class Recording(Urllib3Transport):
    urls = []

    def request(self, method, url, **kwargs):
        Recording.urls.append(url)
        return super().request(method, url, **kwargs)


run = sync_run(trigger="test", force=True, transport=Recording())
result = {"outcome": run.outcome, "error": run.error, "urls": Recording.urls}
"""


def test_a_village_still_on_protocol_1_syncs_with_the_new_upstream(upstream, village):
    # given the village's hub run as a village not upgraded yet (HUB_SYNC_PROTOCOL=1: the
    # original X-Balai-* signatures, no generations) with new records
    old = Agent({**village.env, "HUB_SYNC_PROTOCOL": "1"}, village.base / "agent-protocol-1.log")
    try:
        made = old("create", n=2, prefix="desa belum diperbarui")["ids"]
        # when it syncs over HTTP with the upstream
        result = old("exec", code=SYNC_RECORDING_URLS)["result"]
        # then every request went to /sync/v1/ and the run succeeded
        assert result["outcome"] == "ok", result
        assert result["urls"] and all("/sync/v1/" in url for url in result["urls"]), result
        # and the upstream holds its records as the village does
        mine, _theirs = holds_everything(old, agent(upstream), village.code)
        assert set(made) <= set(mine["site.announcement"])
    finally:
        old.close()


_direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def v2_post(url: str, body: bytes, headers: dict) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _direct.open(request, timeout=60) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_v2_over_http_replays_and_tampering_are_refused_and_nothing_is_applied(upstream, village):
    # given a push signed in protocol 2 with the village's own key, as gunicorn receives it
    key = serialization.load_pem_private_key(
        (village.data_dir / "keys" / "node_ed25519.pem").read_bytes(), password=None
    )
    generation = agent(village)("exec", code=(
        "from hub.sync.core.generation import local_generation\n"
        "result = local_generation()"))["result"]  # fmt: skip
    record = uuid.uuid4()
    line = wire.dumps({
        "m": "site.announcement", "id": str(record), "o": village.code, "r": 1, "v": 1,
        "f": {"title": "lewat v2", "body": "<p>x</p>", "category": "umum",
              "publish_at": "2026-11-01T00:00:00+00:00", "expires_at": None, "pinned": False},
    })  # fmt: skip
    state = agent(village)("state")
    header = {"batch": {"after": state["push_seq"], "to": state["push_seq"]},
              "cursor": state["pull_cursor"], "heartbeat": {}}  # fmt: skip
    body = wire.encode_page(header, [line])
    url = upstream.url + "/sync/v2/push"

    def signed(*, created=None, tampered_body=None):
        headers = {httpsig.HEADER_GENERATION: generation, "Content-Type": "application/x-ndjson"}
        httpsig.request_sign(
            method="POST", url=url, headers=headers, body=body, key_id=village.code, key=key,
            created=created or int(time.time()), nonce=httpsig.new_nonce(),
        )  # fmt: skip
        return headers, tampered_body or body

    u = agent(upstream)
    # when the body is changed after signing, or the request is old, it is refused
    headers, changed = signed(tampered_body=body[:-1] + bytes([body[-1] ^ 1]))
    status, _h, data = v2_post(url, changed, headers)
    assert status == 401 and json.loads(data)["error"] == "bad_signature", data
    headers, same = signed(created=int(time.time()) - 3600)
    status, _h, data = v2_post(url, same, headers)
    assert status == 401 and json.loads(data)["error"] == "stale", data
    assert str(record) not in u("dump", origin=village.code)["site.announcement"]
    # when it is sent as signed, it is applied, and the answer verifies for this request
    headers, same = signed()
    status, answer_headers, data = v2_post(url, same, headers)
    assert status == 200, data
    httpsig.answer_verify(
        httpsig.Answer(status, answer_headers, httpsig.Request("POST", url, headers)), data,
        keys.parse_public_key(upstream.public_key), "15",
    )  # fmt: skip
    # and the same bytes sent again are a replay
    status, _h, data = v2_post(url, same, headers)
    assert status == 401 and json.loads(data)["error"] == "replay", data
    assert str(record) in u("dump", origin=village.code)["site.announcement"]
