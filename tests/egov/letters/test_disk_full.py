"""A letter request on a full data disk (issue 12 §4), on a real small tmpfs: refused with a
message before anything is written, or, when the photo write itself meets ENOSPC, the same
message with nothing saved (no request row, no stray photo file)."""

import pytest

from egov.letters.models import LetterAttachment, LetterRequest
from tests.harness.disk import fill, small_tmpfs

from .test_views import _post_data

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


@pytest.fixture
def tiny_disk(settings):
    with small_tmpfs(8 * MB) as mount:
        settings.DATA_DIR = mount
        settings.EGOV_LETTERS_PRIVATE_DIR = mount / "private"
        settings.HUB_HEALTH_MIN_FREE_BYTES = 1 * MB
        settings.HUB_DISK_WARN_FREE_BYTES = 4 * MB
        yield mount


def test_request_on_a_critical_disk_is_refused_with_a_message(client, village, sktm, tiny_disk):
    # given the disk under the critical level
    fill(tiny_disk, leave_bytes=MB // 2)
    # when a villager sends a request with its photos
    response = client.post("/surat/ajukan/tidak-mampu/", _post_data(sktm))
    # then the form says the storage is full; nothing saved
    assert response.status_code == 507
    assert "Penyimpanan hub desa sedang penuh" in response.content.decode()
    assert LetterRequest.objects.count() == 0


def test_photo_write_meeting_enospc_saves_nothing(client, village, sktm, tiny_disk, settings):
    # given a disk filled to the last byte and no threshold, so the photo write is tried
    settings.HUB_HEALTH_MIN_FREE_BYTES = 0
    settings.HUB_DISK_WARN_FREE_BYTES = 0
    (tiny_disk / "private" / "photos").mkdir(parents=True)
    fill(tiny_disk)
    # when a villager sends a request
    response = client.post("/surat/ajukan/tidak-mampu/", _post_data(sktm))
    # then the same clear message, no row, and no half-written photo left on the disk
    assert response.status_code == 507
    assert "Penyimpanan hub desa sedang penuh" in response.content.decode()
    assert LetterRequest.objects.count() == 0
    assert LetterAttachment.objects.count() == 0
    assert [p for p in (tiny_disk / "private").rglob("*") if p.is_file()] == []
