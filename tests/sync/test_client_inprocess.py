"""The village's client against the upstream's views, in one process (see inprocess.py).

Push, pull, blob upload and download and the signed acknowledgement, without starting servers:
the real-process tests (test_sync_e2e.py, test_sync_faults.py) prove the rest (the network,
gunicorn, the cluster, cuts).
"""

import base64
import io

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.datastructures import CaseInsensitiveMapping

from hub.media.services import image_from_bytes
from hub.site.models import Announcement
from hub.sync.core.generation import HEADER as GENERATION_HEADER
from hub.sync.core.generation import local_generation
from hub.sync.models import BlobNeed, JournalEntry, Node, SyncRun, SyncState
from hub.sync.upstream.enrollment import village_enroll
from hub.sync.village.pinning import upstream_set
from hub.sync.village.run import sync_run
from hub.sync.wire import keys
from hub.sync.wire.signing import HEADER_SIGNATURE
from tests.conftest import png_bytes
from tests.harness.inprocess import InProcessTransport, node_settings

UPSTREAM = "15"
VILLAGE = "1503012021"

# sync_run commits (and sets SQLite PRAGMAs outside any transaction), so these tests do too;
# the serialized rollback puts back the rows the migrations made for the tests that follow.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def transport(upstream, settings, tmp_path):
    """The village (this test's database) with its own key and data dir, enrolled on the
    upstream and pinned to it."""
    for name, value in node_settings(tmp_path / "village", SYNC_NODE_CODE=VILLAGE).items():
        setattr(settings, name, value)
    village_key, _created = keys.node_key_create()
    with upstream.active():
        village_enroll(code=VILLAGE, public_key=keys.public_key_text(village_key.public_key()))
    upstream_set(url="http://upstream.test", public_key=upstream.public_key, code=UPSTREAM)
    # two databases: the enrollment is the upstream's alone
    assert not Node.objects.filter(code=VILLAGE).exists()
    return InProcessTransport(upstream)


def image(title: str, color):
    return image_from_bytes(data=png_bytes(64, 48, color), title=title, name="foto.png")


def notice(title: str, **fields) -> Announcement:
    return Announcement.objects.create(
        title=title, body="<p>Isi</p>", publish_at=timezone.now(), **fields
    )


def test_push_sends_the_village_changes_and_moves_the_checkpoint_on_the_signed_ack(
    upstream, transport
):
    # given a village announcement
    made = notice("Kerja bakti")

    # when the village syncs
    run = sync_run(trigger="test", force=True, transport=transport)

    # then the upstream holds it, as the village's record
    assert run.outcome == SyncRun.Outcome.OK, run.error
    with upstream.active():
        there = Announcement.objects.get(pk=made.pk)
        node = Node.objects.get(code=VILLAGE)
    assert (there.title, there.origin, there.rev) == ("Kerja bakti", VILLAGE, made.rev)
    # and both checkpoints moved to the village's last journal row
    last = JournalEntry.objects.filter(origin=VILLAGE).order_by("-seq").first().seq
    assert SyncState.load().push_seq == last
    assert node.push_seq == last
    assert run.records_up == 1 and run.bytes_up > 0
    assert ("POST", "/sync/v2/push", 200) in transport.requests


def test_pull_brings_the_upstream_changes_for_the_village(upstream, transport):
    # given a province announcement on the upstream
    with upstream.active():
        made = notice("Vaksinasi provinsi")
    assert not Announcement.objects.filter(pk=made.pk).exists()

    # when the village syncs
    run = sync_run(trigger="test", force=True, transport=transport)

    # then the village holds it, owned by the upstream, and its cursor moved past it
    assert run.outcome == SyncRun.Outcome.OK, run.error
    here = Announcement.objects.get(pk=made.pk)
    assert (here.title, here.origin, here.is_local) == ("Vaksinasi provinsi", UPSTREAM, False)
    assert run.records_down == 1
    with upstream.active():
        feed_end = JournalEntry.objects.order_by("-seq").first().seq
    assert SyncState.load().pull_cursor == feed_end


def test_blob_goes_up_after_its_record(upstream, transport):
    # given a village announcement with a photo
    photo = image("Foto desa", (200, 30, 30))
    made = notice("Panen raya", image=photo)

    # when the village syncs
    run = sync_run(trigger="test", force=True, transport=transport)

    # then the upstream got the file and attached it to the record, named by its hash
    assert run.outcome == SyncRun.Outcome.OK, run.error
    assert run.blobs_up == 1
    content = photo.file.open("rb").read()
    with upstream.active():
        there = Announcement.objects.select_related("image").get(pk=made.pk)
        assert there.image is not None
        assert there.image.sha256 == photo.sha256
        assert there.image.file.name == f"original_images/{photo.sha256}.png"
        assert there.image.file.read() == content
    assert any(method == "PUT" for method, _path, _status in transport.requests)


def test_blob_comes_down_with_a_range_resumable_download(upstream, transport):
    # given a province announcement with a photo on the upstream
    with upstream.active():
        photo = image("Foto provinsi", (30, 30, 200))
        made = notice("Jadwal posyandu", image=photo)
        sha, content = photo.sha256, photo.file.open("rb").read()

    # when the village syncs
    run = sync_run(trigger="test", force=True, transport=transport)

    # then the village downloaded the file and attached it
    assert run.outcome == SyncRun.Outcome.OK, run.error
    assert run.blobs_down == 1
    here = Announcement.objects.select_related("image").get(pk=made.pk)
    assert here.image is not None and here.image.sha256 == sha
    assert here.image.file.open("rb").read() == content
    assert ("GET", f"/sync/v2/blobs/{sha}", 200) in transport.requests


class CaptivePortal(InProcessTransport):
    """A Wi-Fi login page answering every request with 200 and HTML."""

    def answer(self, response):
        response.status, response.data = 200, b"<html>Login to continue</html>"
        return response


class ForgedSignature(InProcessTransport):
    """A server that signs its answers with a key of its own, not the pinned upstream's."""

    key = Ed25519PrivateKey.generate()

    def answer(self, response):
        forged = keys.sign(response.data, self.key)
        headers = {
            **response.headers,
            HEADER_SIGNATURE: forged,  # protocol 1
            "Signature": f"balai=:{base64.b64encode(keys.b64d(forged)).decode()}:",  # protocol 2
        }
        response.headers = CaseInsensitiveMapping(headers)
        return response


@pytest.mark.parametrize("fake", [CaptivePortal, ForgedSignature], ids=["captive-portal", "forged"])
def test_an_unsigned_answer_moves_no_checkpoint(upstream, transport, fake):
    # given a village change and something that is not the pinned upstream answering
    notice("Rapat desa")
    before = SyncState.load().push_seq

    # when the village syncs
    run = sync_run(trigger="test", force=True, transport=fake(upstream))

    # then the run failed as "not signed" and the push checkpoint stayed where it was
    assert run.outcome == SyncRun.Outcome.FAILED
    assert "not signed by the pinned upstream" in run.error
    assert SyncState.load().push_seq == before
    # and the next real sync delivers the change (the upstream skips what it already applied)
    retried = sync_run(trigger="test", force=True, transport=transport)
    assert retried.outcome == SyncRun.Outcome.OK, retried.error
    assert SyncState.load().push_seq > before


class CountingTransport(InProcessTransport):
    """Records the SQL statements the upstream ran for each request."""

    def __init__(self, upstream):
        super().__init__(upstream)
        self.statements: list[list[str]] = []
        self.generations: list[str] = []

    def request(self, method, url, **kwargs):
        with CaptureQueriesContext(self.upstream.connection) as captured:
            answer = super().request(method, url, **kwargs)
        self.statements.append([q["sql"] for q in captured.captured_queries])
        self.generations.append(answer.headers.get(GENERATION_HEADER))
        return answer


def test_an_idle_sync_is_one_request_of_four_statements_on_the_upstream(upstream, transport):
    # given a village that has synced everything it had
    assert sync_run(trigger="test", force=True, transport=transport).outcome == "ok"
    counting = CountingTransport(upstream)

    # when it syncs with nothing to send or fetch
    run = sync_run(trigger="test", force=True, transport=counting)

    # then one request, answered with the upstream's generation read in the node's own query:
    # the node, the nonce, the node's last contact, the feed (scripts/bench sync counts the
    # same on PostgreSQL, where the target is 5 with the connection's health check)
    assert run.outcome == SyncRun.Outcome.OK, run.error
    assert run.records_up == run.records_down == 0
    (statements,) = counting.statements
    assert len(statements) == 4, "\n".join(statements)
    assert "sync_nodegeneration" in statements[0]
    assert counting.requests == [("POST", "/sync/v2/push", 200)]
    # the upstream's own generation, not the one the village sent
    with upstream.active():
        assert counting.generations == [local_generation()]
    assert local_generation() != counting.generations[0]


def test_a_blob_stored_while_its_record_is_applied_is_attached_all_the_same(
    upstream, transport, monkeypatch
):
    # given a village photo whose file reaches the upstream while the push that refers to it is
    # being applied there: after the apply looked for the file, before it committed (the
    # village's next run uploading it while a cut request's apply still runs)
    from hub.sync import blobs
    from hub.sync.changes import apply

    photo = image("Foto lumbung", (30, 120, 30))
    made = notice("Lumbung padi", image=photo)
    content = photo.file.open("rb").read()
    looked = apply.blobs.has

    def file_lands_meanwhile(sha):
        found = looked(sha)
        if sha == photo.sha256 and not found:
            blobs.put_stream(io.BytesIO(content), expected_sha=sha)
            assert apply.blob_arrived(sha) == 0  # nothing waits for it yet
        return found

    monkeypatch.setattr(apply.blobs, "has", file_lands_meanwhile)

    # when the village syncs
    run = sync_run(trigger="test", force=True, transport=transport)

    # then the upstream attached the file once the record was committed: nothing waits
    assert run.outcome == SyncRun.Outcome.OK, run.error
    with upstream.active():
        there = Announcement.objects.select_related("image").get(pk=made.pk)
        assert there.image.file.read() == content
        assert not BlobNeed.objects.exists()
