"""Blob access on the upstream, with real keys through its views (see inprocess.py): a village
reads only blobs a record visible to it refers to, uploads only blobs its own records refer to,
within its quota."""

import hashlib
import os

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.utils import timezone

from hub.media.services import image_from_bytes
from hub.site.models import Announcement
from hub.sync import blobs
from hub.sync.models import BlobReceipt, BlobUpload, Node, SyncRun, SyncState
from hub.sync.upstream.enrollment import village_enroll
from hub.sync.village.run import sync_run
from hub.sync.village.transport import Upstream, UpstreamRefused
from hub.sync.wire import keys
from tests.conftest import png_bytes
from tests.harness.inprocess import village_linked

UPSTREAM = "15"
VILLAGE_A = "1503012021"
VILLAGE_B = "1503012022"

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def transport(upstream, settings, tmp_path):
    """Village A is this test's database, enrolled on the upstream and pinned to it."""
    return village_linked(upstream, settings, tmp_path / "village", VILLAGE_A)


@pytest.fixture
def village_b(upstream, transport):
    """Requests signed with village B's own enrolled key (B is a neighbour of A)."""
    key = Ed25519PrivateKey.generate()
    with upstream.active():
        village_enroll(code=VILLAGE_B, public_key=keys.public_key_text(key.public_key()))
    client = Upstream(SyncState.load(), VILLAGE_B, None, transport)
    client.key = key
    return client


def photo_notice(title: str, color) -> Announcement:
    photo = image_from_bytes(data=png_bytes(64, 48, color), title=title, name="foto.png")
    return Announcement.objects.create(
        title=title, body="<p>Isi</p>", publish_at=timezone.now(), image=photo
    )


def test_village_b_cannot_fetch_village_a_photo_by_hash(upstream, transport, village_b):
    # given village A's announcement with a photo, synced up (the upstream stores the photo)
    made = photo_notice("Panen raya", (200, 30, 30))
    run = sync_run(trigger="test", force=True, transport=transport)
    assert run.outcome == SyncRun.Outcome.OK, run.error
    sha = made.image.sha256
    with upstream.active():
        assert blobs.has(sha)

    # when village B, which knows the hash, asks for it with its valid key
    with pytest.raises(UpstreamRefused) as refused:
        village_b.request("GET", f"/sync/v2/blobs/{sha}")

    # then it is refused: no record visible to B refers to that blob
    assert (refused.value.status, refused.value.code) == (403, "blob_not_visible")
    # while village A still may read its own blob
    assert village_a(transport).download(sha, made.image.file_size)


def village_a(transport) -> Upstream:
    return Upstream(SyncState.load(), VILLAGE_A, None, transport)


def test_a_province_photo_is_readable_by_every_village_it_is_addressed_to(
    upstream, transport, village_b
):
    # given a province announcement with a photo on the upstream, addressed to region 15
    with upstream.active():
        photo = image_from_bytes(data=png_bytes(40, 30, (5, 5, 250)), title="P", name="p.png")
        Announcement.objects.create(
            title="Posyandu", body="<p>Isi</p>", publish_at=timezone.now(), image=photo
        )
        sha, size = photo.sha256, photo.file_size
    # when village B's feed carries the record (which puts the photo in the blob store)
    village_b.request("GET", "/sync/v2/changes?after=0")
    # then both villages may read it
    assert village_b.download(sha, size)
    blobs.blob_store().storage.delete(blobs.blob_name(sha))
    assert village_a(transport).download(sha, size)


def test_a_village_cannot_upload_an_unreferenced_10_mb_blob(upstream, transport):
    # given 10 MB no record refers to
    data = os.urandom(10 * 1024 * 1024)
    sha = hashlib.sha256(data).hexdigest()
    client = village_a(transport)

    # when the village offers it and then sends its first chunk with a valid key
    missing = client.request(
        "POST",
        "/sync/v2/blobs/missing",
        f'{{"sha256": ["{sha}"]}}'.encode(),
        content_type="application/json",
    ).json()["missing"]
    with pytest.raises(UpstreamRefused) as refused:
        client.request(
            "PUT",
            f"/sync/v2/blobs/{sha}?offset=0&size={len(data)}",
            data[: 256 * 1024],
            content_type="application/octet-stream",
        )

    # then the upstream does not ask for it, refuses it, and keeps not a byte of it
    assert missing == {}
    assert (refused.value.status, refused.value.code) == (403, "blob_not_referenced")
    with upstream.active():
        assert not blobs.has(sha)
        assert blobs.partial_offset(sha) == 0
        assert not BlobReceipt.objects.exists()


def test_a_village_cannot_upload_a_blob_another_village_record_waits_for(
    upstream, transport, village_b
):
    # given village A's record applied on the upstream, its photo not there yet (no quota left)
    made = photo_notice("Panen raya", (10, 120, 30))
    upstream.settings["SYNC_BLOB_NODE_QUOTA_BYTES"] = 0
    sync_run(trigger="test", force=True, transport=transport)
    sha, size = made.image.sha256, made.image.file_size
    with upstream.active():
        assert Announcement.objects.filter(pk=made.pk).exists() and not blobs.has(sha)

    # when village B tries to plant bytes under that hash
    with pytest.raises(UpstreamRefused) as refused:
        village_b.request(
            "PUT",
            f"/sync/v2/blobs/{sha}?offset=0&size={size}",
            b"x" * size,
            content_type="application/octet-stream",
        )

    # then it is refused (only village A may send it) and nothing was written
    assert (refused.value.status, refused.value.code) == (403, "blob_not_referenced")
    with upstream.active():
        assert blobs.partial_offset(sha) == 0


def test_uploads_stop_at_the_village_quota_with_a_clear_reason(upstream, transport):
    # given an upstream that lets a village keep fewer bytes than its photo
    made = photo_notice("Panen raya", (90, 90, 30))
    upstream.settings["SYNC_BLOB_NODE_QUOTA_BYTES"] = made.image.file_size - 1

    # when the village syncs
    run = sync_run(trigger="test", force=True, transport=transport)

    # then the record went up, the photo did not; the run says why and the photo stays queued
    assert run.outcome == SyncRun.Outcome.PARTIAL
    assert "blob quota" in run.error
    assert BlobUpload.objects.filter(sha256=made.image.sha256).exists()
    with upstream.active():
        assert Announcement.objects.filter(pk=made.pk).exists()
        assert not blobs.has(made.image.sha256)

    # when the quota is raised, the next sync sends it and counts it
    upstream.settings["SYNC_BLOB_NODE_QUOTA_BYTES"] = 10 * 1024 * 1024
    run = sync_run(trigger="test", force=True, transport=transport)
    assert run.outcome == SyncRun.Outcome.OK, run.error
    with upstream.active():
        assert blobs.has(made.image.sha256)
        receipt = BlobReceipt.objects.get(sha256=made.image.sha256)
        assert (receipt.node, receipt.size) == (VILLAGE_A, made.image.file_size)
        assert Node.objects.filter(code=VILLAGE_A).exists()
