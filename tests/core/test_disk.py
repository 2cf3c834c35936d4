"""A data disk that fills up (hub.core.disk), on a real small tmpfs: the admin banner, /healthz,
the heartbeat flag, image uploads refused or failing with a message (never a 500).

The marketplace's orders on a full disk are in tests/marketplace/test_abuse.py, letter requests
in tests/egov/letters/test_disk_full.py.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from django.test import Client
from wagtail.models import Collection

from hub.core import disk
from hub.media.models import BalaiImage
from hub.sync.models import SyncState
from hub.sync.village.run import heartbeat
from tests.conftest import png_bytes
from tests.harness.disk import fill, small_tmpfs

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


@pytest.fixture
def tiny_disk(settings):
    """The data directory on an 8 MB tmpfs; critical below 1 MB, low below 4 MB."""
    with small_tmpfs(8 * MB) as mount:
        settings.DATA_DIR = mount
        settings.MEDIA_ROOT = mount / "media"
        settings.HUB_HEALTH_MIN_FREE_BYTES = 1 * MB
        settings.HUB_DISK_WARN_FREE_BYTES = 4 * MB
        yield mount


def _upload(client):
    return client.post(
        "/admin/images/add/",
        {
            "title": "Foto panen",
            "file": SimpleUploadedFile("panen.png", png_bytes(320, 240), "image/png"),
            "collection": Collection.get_first_root_node().pk,
            "tags": "",
        },
    )


def test_levels_follow_the_free_space(tiny_disk):
    assert disk.disk_level() == disk.OK
    fill(tiny_disk, leave_bytes=2 * MB)
    assert disk.disk_level() == disk.LOW
    fill(tiny_disk, leave_bytes=MB // 2)
    assert disk.disk_level() == disk.CRITICAL


def test_low_disk_shows_a_banner_on_the_admin_dashboard(admin_client, tiny_disk):
    # given plenty of space: no banner
    assert "hub-disk" not in admin_client.get("/admin/").content.decode()
    # when the disk fills to 2 MB free (under the 4 MB warning)
    fill(tiny_disk, leave_bytes=2 * MB)
    page = admin_client.get("/admin/").content.decode()
    # then the dashboard warns first, with what is left
    assert "hub-disk" in page
    assert "Penyimpanan hub mulai penuh" in page
    # and at the critical level it says what is refused
    fill(tiny_disk, leave_bytes=MB // 2)
    assert "Pesanan baru, permohonan surat dan unggahan ditolak" in (
        admin_client.get("/admin/").content.decode()
    )


def test_healthz_goes_503_only_at_the_critical_level(client, tiny_disk):
    fill(tiny_disk, leave_bytes=2 * MB)
    low = client.get("/healthz")
    assert low.status_code == 200 and low.json()["disk"]["level"] == "low"
    fill(tiny_disk, leave_bytes=MB // 2)
    critical = client.get("/healthz")
    assert critical.status_code == 503 and critical.json()["disk"]["level"] == "critical"


def test_heartbeat_carries_the_low_disk_flag(tiny_disk):
    state = SyncState.load()
    assert heartbeat(state, "1503012021")["disk_low"] is False
    fill(tiny_disk, leave_bytes=2 * MB)
    beat = heartbeat(state, "1503012021")
    assert beat["disk_low"] is True and beat["disk_free"] < 4 * MB


def test_upload_on_a_critical_disk_is_refused_in_the_form(admin_client, tiny_disk):
    # given the disk under the critical level
    fill(tiny_disk, leave_bytes=MB // 2)
    # when an official uploads a photo
    response = _upload(admin_client)
    # then the form says the storage is full; nothing is stored
    assert response.status_code == 200
    assert "Penyimpanan hub desa sedang penuh" in response.content.decode()
    assert BalaiImage.objects.count() == 0


def test_upload_that_hits_enospc_answers_507_not_500(admin_client, tiny_disk, settings):
    # given a disk filled to the last byte, and thresholds off so the write is really tried
    settings.HUB_HEALTH_MIN_FREE_BYTES = 0
    settings.HUB_DISK_WARN_FREE_BYTES = 0
    (tiny_disk / "media" / "original_images").mkdir(parents=True)
    fill(tiny_disk)
    # when an official uploads a photo (the file write raises ENOSPC)
    response = _upload(admin_client)
    # then the disk-full page, not a server error, and no image row
    assert response.status_code == 507
    assert "Penyimpanan hub penuh" in response.content.decode()
    assert BalaiImage.objects.count() == 0


def test_a_full_disk_outside_a_view_gets_the_disk_page_from_the_500_handler(rf):
    # e.g. the session saved by its middleware after the view: no process_exception runs there
    from hub.site.views import server_error

    try:
        raise OperationalError("database or disk is full")
    except OperationalError:
        response = server_error(rf.get("/"))
    assert response.status_code == 507
    try:
        raise OperationalError("no such table: x")
    except OperationalError:
        assert server_error(rf.get("/")).status_code == 500


def test_disk_page_is_in_english_for_an_english_reader():
    client = Client()
    client.cookies["balai_bahasa"] = "en"
    response = disk.disk_full_response(client.get("/healthz").wsgi_request)
    assert response.status_code == 507
    assert "Hub storage full" in response.content.decode()
