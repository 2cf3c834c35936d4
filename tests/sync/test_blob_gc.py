"""Blob garbage collection: the daily housekeeping deletes the blobs nothing refers to once
they are older than the grace period, on both roles, and says how many and how many bytes."""

import io
import os
import time
import uuid

import pytest
from django.utils import timezone

from hub.media.services import image_from_bytes
from hub.site.models import Announcement
from hub.sync import blobs
from hub.sync.blobs.gc import blobs_collect
from hub.sync.models import BlobNeed, BlobReceipt, BlobUpload, HeldChange
from hub.sync.tasks import sync_housekeeping_task
from tests.conftest import png_bytes

pytestmark = pytest.mark.django_db

DAY = 24 * 3600


@pytest.fixture
def store(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SYNC_BLOB_PARTIAL_DIR = tmp_path / "blobs-partial"
    settings.STORAGES = {
        **settings.STORAGES,
        "sync_blobs": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "blobs")},
        },
    }
    settings.SYNC_BLOB_GC_GRACE = 7 * DAY
    return blobs.blob_store()


def put(data: bytes, *, age_days: float) -> str:
    """Store ``data`` as a blob stored ``age_days`` ago."""
    sha, _size = blobs.put_stream(io.BytesIO(data))
    path = blobs.blob_store().local_path(sha)
    stamp = time.time() - age_days * DAY
    os.utime(path, (stamp, stamp))
    return sha


@pytest.mark.parametrize("role", ["village", "upstream"])
def test_housekeeping_collects_only_old_blobs_nothing_needs(settings, store, role):
    # given, on either role, old blobs that a record, a waiting record, a queued upload and a
    # held change need, one old blob nothing needs, and one young one nothing needs yet
    settings.HUB_ROLE = role
    photo_bytes = png_bytes(30, 20, (1, 2, 3))
    photo = image_from_bytes(data=photo_bytes, title="Foto", name="foto.png")
    Announcement.objects.create(
        title="Panen", body="<p>Isi</p>", publish_at=timezone.now(), image=photo
    )
    used = put(photo_bytes, age_days=30)
    assert used == photo.sha256
    waited = put(b"ditunggu" * 10, age_days=30)
    BlobNeed.objects.create(
        sha256=waited, model="site.announcement", uid=uuid.uuid4(), field="image"
    )
    queued = put(b"antre" * 10, age_days=30)
    BlobUpload.objects.create(sha256=queued, size=50)
    held = put(b"ditahan" * 10, age_days=30)
    HeldChange.objects.create(
        model="site.announcement",
        uid=uuid.uuid4(),
        rev=1,
        sender="1503012021",
        item={"b": {"image": {"sha256": held, "size": 70}}},
    )
    orphan_bytes = b"tidak dipakai" * 100
    orphan = put(orphan_bytes, age_days=8)
    BlobReceipt.objects.create(sha256=orphan, node="1503012021", size=len(orphan_bytes))
    young = put(b"baru tiba" * 10, age_days=1)

    # when the daily housekeeping runs
    report = sync_housekeeping_task()

    # then the old orphan is gone (and no longer counts against its village's quota), the
    # count and bytes are reported, and everything else stays
    assert report["blobs_collected"] == 1
    assert report["blob_bytes_collected"] == len(orphan_bytes)
    assert not blobs.has(orphan)
    assert not BlobReceipt.objects.filter(sha256=orphan).exists()
    for sha in (used, waited, queued, held, young):
        assert blobs.has(sha), sha


def test_a_blob_a_deleted_record_used_goes_after_the_grace_period(store):
    # given a record with a photo whose blob is old, then the record is deleted
    photo_bytes = png_bytes(20, 20, (9, 9, 9))
    photo = image_from_bytes(data=photo_bytes, title="Foto", name="foto.png")
    made = Announcement.objects.create(
        title="Lama", body="<p>Isi</p>", publish_at=timezone.now(), image=photo
    )
    sha = put(photo_bytes, age_days=10)
    assert blobs_collect().blobs == 0
    made.delete()
    # when the collector runs (the image is still in the library, but no record refers to it)
    collected = blobs_collect()
    # then the blob is collected, with its bytes counted
    assert (collected.blobs, collected.bytes) == (1, len(photo_bytes))
    assert not blobs.has(sha)


def test_a_part_uploaded_blob_is_not_collected(store):
    # given an old stored blob whose partial is also being written (a concurrent re-upload)
    data = b"sebagian" * 100
    sha = put(data, age_days=30)
    blobs.partial_append(sha, offset=0, stream=io.BytesIO(data[:10]), total_size=len(data))
    # when the collector runs / then it is kept
    assert blobs_collect().blobs == 0 and blobs.has(sha)


def test_a_negative_grace_period_is_refused_and_deletes_nothing(store):
    # given an old unreferenced blob
    sha = put(b"x" * 10, age_days=30)
    # when the collector is asked for a negative grace period / then it refuses, deletes nothing
    with pytest.raises(ValueError, match="grace"):
        blobs_collect(grace=-1)
    assert blobs.has(sha)
