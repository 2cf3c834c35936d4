"""``export_bundle`` and ``import_bundle`` between real nodes: an upstream on PostgreSQL and village
hubs with no link to it at all (their pinned upstream URL answers nothing), so whatever arrives
came in the signed file. The commands run as real ``manage.py`` processes; an agent per node
makes records and reads the database.

A node here is its data directory, database and node key, without web server or cluster
(``scripts/run``, gunicorn): nothing in a bundle needs them. The villages' data directories are
copies of the harness's migrated template, the upstream's database a copy of its own.
"""

import json
import os
import secrets
import shutil
import tarfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.harness import templates
from tests.harness.hubs import UPSTREAM_CODE, VILLAGE_CODES, Agent, UpstreamNode
from tests.harness.processes import clean_env, manage

pytestmark = pytest.mark.e2e

DEAD_LINK = "http://127.0.0.1:9"  # the discard port: nothing listens there
SERVICES = "from hub.sync.upstream.enrollment import village_enroll, village_revoke\n"

IMAGES_ATTACHED = (
    "from hub.site.models import Announcement\n"
    "result = sorted(Announcement.objects.filter(pk__in={ids!r}, image__isnull=False)"
    ".values_list('image__sha256', flat=True))"
)


def village_env(data_dir: Path) -> dict:
    env = clean_env()
    env.update(
        HUB_DATA_DIR=str(data_dir),
        HUB_SECRET_KEY_FILE=str(data_dir / "secret_key"),
        DJANGO_SETTINGS_MODULE="hub.settings.main",
        PYTHONUNBUFFERED="1",
        HUB_NO_DEMO="1",
        HUB_SYNC_INTERVAL="86400",
        HUB_SYNC_SOON_DELAY="86400",
    )
    return env


def write_secret_key(data_dir: Path) -> None:
    path = data_dir / "secret_key"
    path.write_text(secrets.token_urlsafe(50))
    path.chmod(0o600)


class OfflineVillage:
    """A village hub's data directory (a copy of a migrated one) with its code and node key;
    :meth:`join` enrolls it on the upstream and pins the upstream's real key, at an address
    that answers nothing."""

    def __init__(self, base: Path, code: str):
        self.code = code
        self.data_dir = templates.village_data_dir(base / f"village-{code}")
        write_secret_key(self.data_dir)
        self.env = village_env(self.data_dir)
        self.agent = Agent(self.env, base / f"agent-{code}.log")
        self.public_key = self.agent(
            "exec",
            code=(
                "from hub.site.services import village_identity_set\n"
                "from hub.sync.wire import keys\n"
                f"village_identity_set(code={code!r})\n"
                "key, _ = keys.node_key_create()\n"
                "result = keys.public_key_text(key.public_key())"
            ),
        )["result"]
        self.enroll_code = (
            f"{SERVICES}village_enroll(code={code!r}, public_key={self.public_key!r})"
        )

    def join(self, upstream: UpstreamNode, u: Agent) -> None:
        u("exec", code=self.enroll_code)
        self.agent(
            "exec",
            code=(
                "from hub.sync.village.pinning import upstream_set\n"
                f"upstream_set(url={DEAD_LINK!r}, public_key={upstream.public_key!r}, "
                f"code={UPSTREAM_CODE!r})"
            ),
        )

    def close(self):
        self.agent.close()


class UpstreamWithoutServer(UpstreamNode):
    """The upstream's PostgreSQL database, migrated, and its node key, without gunicorn:
    nothing in these tests goes over HTTP."""

    def start(self):
        self.server = None

    def stop(self, sig=None):
        pass


@dataclass
class Hubs:
    upstream: UpstreamNode
    u: Agent
    a: OfflineVillage
    b: OfflineVillage
    files: Path


@pytest.fixture(scope="module")
def hubs(tmp_path_factory):
    base = tmp_path_factory.mktemp("bundles")
    made = []
    try:
        # the upstream's PostgreSQL and the villages' SQLite databases are made side by side
        with ThreadPoolExecutor(max_workers=1) as pool:
            starting = pool.submit(UpstreamWithoutServer, base / "upstream")
            try:
                for code in VILLAGE_CODES[:2]:
                    made.append(OfflineVillage(base, code))
            finally:
                upstream = starting.result()
                made.append(upstream)
        a, b = made[:2]
        u = upstream.agent()
        a.join(upstream, u)
        b.join(upstream, u)
        files = base / "stick"
        files.mkdir()
        yield Hubs(upstream, u, a, b, files)
    finally:
        for node in reversed(made):
            node.close()


def export(env: dict, path: Path, *args: str) -> dict:
    return json.loads(manage(env, "export_bundle", str(path), *args, "--json").stdout)


def export_in_agent(agent: Agent, path: Path, **options) -> dict:
    return agent(
        "exec",
        code=(
            "from hub.sync.bundles.exchange import bundle_export\n"
            f"result = bundle_export(path={str(path)!r}, **{options!r})"
        ),
    )["result"]


def import_json(env: dict, path: Path) -> dict:
    return json.loads(manage(env, "import_bundle", str(path), "--json").stdout)


def import_refused(env: dict, path: Path) -> str:
    result = manage(env, "import_bundle", str(path), check=False)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "bundle refused" in result.stderr, result.stderr
    return result.stderr


def snapshot(agent: Agent) -> dict:
    """Everything an import could change on a node."""
    return {"records": agent("dump"), "state": agent("state")}


BLOB_FILES = (
    "from django.conf import settings\n"
    "root = settings.DATA_DIR / 'blobs'\n"
    "result = sum(1 for p in root.rglob('*') if p.is_file()) if root.exists() else 0"
)


@pytest.fixture(scope="module")
def province_bundle(hubs):
    """Province announcements with images, exported on the upstream for the whole province."""
    ids = hubs.u("create", n=2, prefix="pengumuman provinsi", image=True)["ids"]
    path = hubs.files / "provinsi.bundle"
    summary = export(hubs.upstream.env, path, "--scope", UPSTREAM_CODE)
    return path, summary, ids


@pytest.fixture(scope="module")
def village_b_bundle(hubs):
    """Village B's own changes, exported on B to go up (by the service, in B's agent: the
    command is what the other tests run)."""
    hubs.b.agent("create", n=1, prefix="pengumuman desa b")
    path = hubs.files / "desa-b.bundle"
    return path, export_in_agent(hubs.b.agent, path)


def test_province_bundle_holds_the_records_and_their_images(hubs, province_bundle):
    path, summary, ids = province_bundle
    # then the summary says what went in, and the file is there
    assert summary["direction"] == "down" and summary["scope"] == UPSTREAM_CODE
    # (the agent's images are plain colours: two may be the same file, stored once)
    shas = set(hubs.u("exec", code=IMAGES_ATTACHED.format(ids=ids))["result"])
    assert summary["records"] == 2 and summary["blobs"] == len(shas)
    assert summary["blobs_missing"] == 0
    assert summary["signer"] == UPSTREAM_CODE and summary["to"] > summary["after"] == 0
    assert path.stat().st_size == summary["bytes"]


def test_tampered_bundle_is_refused_whole(hubs, province_bundle):
    # given a copy of the province bundle with one byte of its page changed
    path, _summary, _ids = province_bundle
    tampered = hubs.files / "tampered.bundle"
    shutil.copy(path, tampered)
    with tarfile.open(tampered) as tar:
        page = tar.getmember("changes/000001.ndjson.zst")
    with tampered.open("r+b") as handle:
        handle.seek(page.offset_data + page.size // 2)
        byte = handle.read(1)
        handle.seek(-1, os.SEEK_CUR)
        handle.write(bytes([byte[0] ^ 0x01]))
    before = snapshot(hubs.a.agent)
    # when the offline village imports it
    stderr = import_refused(hubs.a.env, tampered)
    # then it is refused for the page's hash, and nothing changed: no record, no file
    assert "hash_mismatch" in stderr and "changes/000001.ndjson.zst" in stderr
    assert snapshot(hubs.a.agent) == before
    assert hubs.a.agent("exec", code=BLOB_FILES)["result"] == 0


@pytest.fixture(scope="module")
def province_imported(hubs, province_bundle):
    """Village A, whose link is dead, imports the province bundle: the command's output and the
    cursor right after it (the tests that need the records in A ask for this, in any order)."""
    path, _made, _ids = province_bundle
    result = manage(hubs.a.env, "import_bundle", str(path))
    return result, hubs.a.agent("state")["pull_cursor"]


def test_content_bundle_reaches_a_village_without_a_link(hubs, province_bundle, province_imported):
    _path, made, ids = province_bundle
    # when the village, whose link is dead, imports the province bundle
    result, cursor = province_imported
    # then the summary says so (Indonesian first), with progress on stderr
    assert "Bundel diimpor / bundle imported" in result.stdout
    assert "diterapkan / applied: 2, dilewati / skipped: 0, ditolak / refused: 0" in result.stdout
    assert f"berkas baru / new files: {made['blobs']}," in result.stdout
    assert "memeriksa / verifying: 100%" in result.stderr
    # and the province's records are here exactly as on the upstream, images included
    here = hubs.a.agent("dump", origin=UPSTREAM_CODE)
    assert here == hubs.u("dump", origin=UPSTREAM_CODE)
    assert set(here["site.announcement"]) == set(ids)
    shas = hubs.a.agent("exec", code=IMAGES_ATTACHED.format(ids=ids))["result"]
    assert shas == hubs.u("exec", code=IMAGES_ATTACHED.format(ids=ids))["result"]
    assert len(shas) == 2
    # and the pull cursor did not move: a region bundle proves nothing about this village's feed
    assert cursor == 0
    assert "pull_cursor: tidak berubah / unchanged (0)" in result.stdout


def test_importing_the_same_bundle_twice_changes_nothing(hubs, province_bundle, province_imported):
    path, made, _ids = province_bundle
    # given the bundle imported once (province_imported)
    before = snapshot(hubs.a.agent)
    # when the same bundle is imported again
    summary = import_json(hubs.a.env, path)
    # then nothing was applied, no file stored again, and the database is as it was
    assert summary["applied"] == 0 and summary["skipped"] == 2 and summary["refused"] == 0
    assert summary["blobs_new"] == 0 and summary["blobs_present"] == made["blobs"]
    assert snapshot(hubs.a.agent) == before


def test_bundle_for_one_village_moves_its_pull_cursor(hubs, province_imported):
    # given village A holding the province's records, and a bundle of exactly its feed
    path = hubs.files / f"untuk-{hubs.a.code}.bundle"
    made = export(hubs.upstream.env, path, "--for", hubs.a.code)
    assert made["for_node"] == hubs.a.code and made["records"] == 2 and made["to"] > 0
    # when A imports it
    summary = import_json(hubs.a.env, path)
    # then its records were already here, and the cursor now says the feed is here up to `to`,
    # so the next pull over the link starts after it
    assert summary["applied"] == 0 and summary["skipped"] == 2
    assert summary["checkpoint"] == {"name": "pull_cursor", "before": 0, "after": made["to"]}
    assert hubs.a.agent("state")["pull_cursor"] == made["to"]


def test_bundle_for_another_village_is_refused(hubs):
    # given a bundle made for village B
    path = hubs.files / f"untuk-{hubs.b.code}.bundle"
    export_in_agent(hubs.u, path, for_node=hubs.b.code)
    before = snapshot(hubs.a.agent)
    # when village A imports it
    stderr = import_refused(hubs.a.env, path)
    # then it is refused and nothing changed
    assert "not_for_this_hub" in stderr and hubs.b.code in stderr
    assert snapshot(hubs.a.agent) == before


def test_village_changes_go_up_in_a_bundle(hubs):
    # given announcements with images made on village A
    # (smaller than the province's images, so none is a file the upstream already has)
    ids = hubs.a.agent("create", n=2, prefix="pengumuman desa a", image=True, image_px=48)["ids"]
    files = set(hubs.a.agent("exec", code=IMAGES_ATTACHED.format(ids=ids))["result"])
    path = hubs.files / "desa-a.bundle"
    made = export(hubs.a.env, path)
    assert made["direction"] == "up" and made["records"] == 2 and made["blobs"] == len(files)
    # when the upstream imports A's bundle
    summary = import_json(hubs.upstream.env, path)
    # then the upstream holds A's records exactly as A does, images attached
    assert summary["applied"] == 2 and summary["refused"] == 0
    assert summary["blobs_new"] == len(files)
    mine = hubs.a.agent("dump", origin=hubs.a.code)
    assert mine == hubs.u("dump", origin=hubs.a.code)
    assert set(mine["site.announcement"]) == set(ids)
    shas = hubs.u("exec", code=IMAGES_ATTACHED.format(ids=ids))["result"]
    assert shas == hubs.a.agent("exec", code=IMAGES_ATTACHED.format(ids=ids))["result"]
    assert len(shas) == 2
    # and the upstream's record of A moved, while A's own checkpoint waits for a signed ack
    node_seq = (
        "from hub.sync.models import Node\n"
        f"result = Node.objects.get(code={hubs.a.code!r}).push_seq"
    )
    assert hubs.u("exec", code=node_seq)["result"] == made["to"]
    assert hubs.a.agent("state")["push_seq"] == 0
    # and importing it again changes nothing there either
    before = hubs.u("dump")
    again = import_json(hubs.upstream.env, path)
    assert again["applied"] == 0 and again["skipped"] == 2 and hubs.u("dump") == before


def test_bundle_signed_with_another_villages_key_is_refused(hubs):
    # given a bundle that claims to come from the upstream but is signed with village B's key
    path = hubs.files / "palsu.bundle"
    hubs.b.agent(
        "exec",
        code=(
            "import uuid\n"
            "from hub.sync.bundles.container import write_bundle\n"
            "from hub.sync.wire.codec import dumps, encode_page\n"
            "item = {'m': 'site.announcement', 'id': str(uuid.uuid4()), 'o': '15', 'r': 1,\n"
            "        'v': 1, 'f': {'title': 'palsu', 'body': '<p>palsu</p>'}}\n"
            "page = encode_page({'page': {'after': 0, 'to': 1}}, [dumps(item)])\n"
            "meta = {'direction': 'down', 'scope': '15', 'for_node': None, 'after': 0,\n"
            "        'to': 1, 'records': 1}\n"
            f"write_bundle({str(path)!r}, signer='15', meta=meta, pages=[page], blobs=[])\n"
        ),
    )
    before = snapshot(hubs.a.agent)
    # when village A imports it
    stderr = import_refused(hubs.a.env, path)
    # then the key is not the pinned upstream's: refused, nothing changed
    assert "wrong_signer" in stderr
    assert snapshot(hubs.a.agent) == before


def test_up_bundle_brought_to_a_village_is_refused(hubs, village_b_bundle):
    path, made = village_b_bundle
    assert made["direction"] == "up" and made["records"] == 1
    before = snapshot(hubs.a.agent)
    # when village A imports village B's bundle
    stderr = import_refused(hubs.a.env, path)
    # then it is refused as going the wrong way, and nothing changed
    assert "wrong_direction" in stderr and hubs.b.code in stderr
    assert snapshot(hubs.a.agent) == before


def test_bundle_from_a_revoked_village_is_refused(hubs, village_b_bundle):
    path, _made = village_b_bundle
    # given village B's key revoked on the upstream
    hubs.u("exec", code=f"{SERVICES}village_revoke(code={hubs.b.code!r})")
    before = snapshot(hubs.u)
    try:
        # when the upstream imports B's bundle
        stderr = import_refused(hubs.upstream.env, path)
        # then it is refused, and nothing of B's arrived
        assert "signer_revoked" in stderr
        assert snapshot(hubs.u) == before
        assert hubs.u("dump", origin=hubs.b.code)["site.announcement"] == {}
    finally:
        hubs.u("exec", code=hubs.b.enroll_code)
