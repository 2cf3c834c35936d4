"""Archives published upstream reach villages through the sync engine (the link, in the bulk
window, or a bundle), verified by hash, placed in the library folder whole, scanned and served by
a real kiwix-serve; withdrawn upstream, they leave it. The upstream runs in-process
(tests/harness/inprocess.py); the archive is the small one zimwriterfs builds."""

import hashlib
import shutil
import time
import urllib.request

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from elearning.library.models import LibraryArchive
from elearning.library.services import LIBRARY_XML, archive_publish, library_prepare
from elearning.library.sync import ARCHIVE_BLOB_PRIORITY
from hub.sync.bundles.exchange import bundle_export, bundle_import
from hub.sync.models import SyncRun
from hub.sync.registry import spec_for
from hub.sync.village.run import sync_run
from tests.harness.inprocess import village_linked

from .zims import kiwix_serve_start

UPSTREAM = "15"
VILLAGE = "1503012021"
NAME = "pustaka_tani.zim"

# sync_run commits, so these tests do too (see tests/sync/test_client_inprocess.py)
linked = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def village_library(settings, tmp_path, small_zim):
    """The village's library folder, empty, with its library.xml (as scripts/run prepares it)."""
    settings.LIBRARY_DIR = tmp_path / "village" / "library"
    library_prepare()
    return settings.LIBRARY_DIR


@pytest.fixture
def transport(upstream, settings, tmp_path, village, village_library):
    return village_linked(upstream, settings, tmp_path / "village", VILLAGE)


@pytest.fixture
def published(upstream, small_zim, tmp_path):
    """The small archive published upstream for kabupaten 1503 (the village's)."""
    source = tmp_path / NAME
    shutil.copyfile(small_zim, source)
    with upstream.active():
        archive = archive_publish(
            path=source,
            title="Pustaka Tani",
            licence="CC BY-SA 4.0",
            source="Dinas Pertanian",
            region="1503",
        )
    return archive


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def catalog(server) -> str:
    with urllib.request.urlopen(f"{server.url}/pustaka/catalog/v2/entries", timeout=5) as answer:
        return answer.read().decode()


def eventually(predicate, seconds=10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def closed_window() -> str:
    hour = timezone.localtime().hour
    return f"{(hour + 2) % 24}-{(hour + 3) % 24}"


def test_archives_travel_last_of_all_blobs():
    spec = spec_for(LibraryArchive)
    assert spec.owner == "upstream" and set(spec.files) == {"archive"}
    assert spec.blob_priority == ARCHIVE_BLOB_PRIORITY
    assert spec_for("elearning_courses.mediaasset").blob_priority < ARCHIVE_BLOB_PRIORITY
    # the upstream's storage path, hash and size never travel as plain fields
    assert not {"file", "sha256", "size"} & {f.name for f in spec.wire_fields()}


@linked
def test_an_archive_published_upstream_is_served_by_the_village_after_the_bulk_window(
    upstream, transport, published, village_library, settings, tmp_path, small_zim
):
    # given kiwix-serve running on the village's (empty) library, and the bulk window closed
    server = kiwix_serve_start(village_library / LIBRARY_XML, tmp_path / "kiwix.log")
    try:
        settings.SYNC_BULK_BLOB_BYTES, settings.SYNC_BULK_WINDOW = 1024, closed_window()

        # when the village syncs outside the window
        run = sync_run(trigger="test", force=True, transport=transport)

        # then the record is here and says what is coming, the file is not
        assert run.outcome == SyncRun.Outcome.PARTIAL, run.error
        here = LibraryArchive.objects.get()
        assert (here.name, here.sha256, here.size) == (NAME, published.sha256, published.size)
        assert not (village_library / NAME).exists()
        assert "Pustaka Tani" not in catalog(server)

        # when the window opens and the village syncs again
        settings.SYNC_BULK_WINDOW = ""
        run = sync_run(trigger="test", force=True, transport=transport)

        # then the file is in the library folder, byte for byte, scanned, and kiwix-serve
        # (watching library.xml) serves it without a restart
        assert run.outcome == SyncRun.Outcome.OK, run.error
        assert sha256(village_library / NAME) == published.sha256 == sha256(small_zim)
        assert f'path="{NAME}"' in (village_library / LIBRARY_XML).read_text()
        assert not [p.name for p in village_library.iterdir() if p.name.startswith(f".{NAME}")]
        assert eventually(lambda: "Pustaka Tani" in catalog(server)), catalog(server)

        # when the upstream withdraws it and the village syncs
        with upstream.active():
            LibraryArchive.objects.get(pk=published.pk).delete()
        run = sync_run(trigger="test", force=True, transport=transport)

        # then it is gone from the folder, the library and kiwix-serve's catalog
        assert run.outcome == SyncRun.Outcome.OK, run.error
        assert not LibraryArchive.objects.exists()
        assert not (village_library / NAME).exists()
        assert NAME not in (village_library / LIBRARY_XML).read_text()
        assert eventually(lambda: "Pustaka Tani" not in catalog(server)), catalog(server)
    finally:
        server.stop()


@linked
def test_an_archive_reaches_a_village_in_a_bundle(
    upstream, transport, published, village_library, tmp_path, small_zim
):
    # given a region bundle of the upstream's content (a technician's USB stick)
    path = tmp_path / "stick" / "jambi.balai"
    path.parent.mkdir()
    with upstream.active():
        summary = bundle_export(path=path, scope="1503")
    assert summary["blobs"] >= 1 and summary["blob_bytes"] >= published.size

    # when the village imports it
    result = bundle_import(path=path)

    # then the archive is in its library, verified and served, with no link needed
    assert result["records"] >= 1, result
    assert sha256(village_library / NAME) == published.sha256
    assert f'path="{NAME}"' in (village_library / LIBRARY_XML).read_text()
    assert LibraryArchive.objects.get().sha256 == sha256(small_zim)


@linked
def test_a_record_naming_a_path_outside_the_library_is_refused_and_nothing_lands(
    upstream, transport, small_zim, village_library, tmp_path
):
    # given a record upstream whose name climbs out of the library folder (written around
    # the model's validation, as a hostile or buggy upstream would)
    with upstream.active():
        archive = LibraryArchive(
            name="../../etc/jahat.zim", title="x", licence="CC0", source="x", region="1503"
        )
        archive.file.save("jahat.zim", small_zim.open("rb"), save=False)
        archive.sha256, archive.size = sha256(small_zim), small_zim.stat().st_size
        archive.save()

    # when the village syncs (window open)
    run = sync_run(trigger="test", force=True, transport=transport)

    # then the record is refused, nothing is written anywhere near the library
    assert run.refused >= 1, (run.outcome, run.error)
    assert not LibraryArchive.objects.exists()
    assert sorted(p.name for p in village_library.iterdir()) == [LIBRARY_XML]
    assert not (tmp_path / "village" / "etc").exists()


@pytest.mark.django_db
def test_publishing_refuses_a_bad_archive_or_a_village_and_changes_nothing(
    upstream, small_zim, tmp_path, settings
):
    # given a truncated copy of the archive and a file of a name kiwix-serve would mangle
    truncated = tmp_path / "potong.zim"
    truncated.write_bytes(small_zim.read_bytes()[:20_000])
    badly_named = tmp_path / "nama aneh.zim"
    shutil.copyfile(small_zim, badly_named)
    options = {"title": "T", "licence": "CC0", "source": "S"}
    with upstream.active():
        # when / then: each is refused with the reason
        with pytest.raises(ValueError, match="terpotong"):
            archive_publish(path=truncated, **options)
        with pytest.raises(ValueError, match="Nama berkas"):
            archive_publish(path=badly_named, **options)
        with pytest.raises(CommandError, match="lisensi"):
            call_command("library_publish", str(small_zim), title="T", licence=" ", source="S")
        with pytest.raises(CommandError, match="tidak ada"):
            call_command("library_publish", str(tmp_path / "tidak-ada.zim"), **options)
        assert not LibraryArchive.objects.exists()
    # and a village cannot publish at all (the upstream owns archives)
    with pytest.raises(ValueError, match="upstream"):
        archive_publish(path=small_zim, **options)
    assert not LibraryArchive.objects.exists()
