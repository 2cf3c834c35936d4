"""What of the courses travels, and to whom: courses down to their region only, a village's
course up, media after the small records and inside the bulk window (a lesson shows the waiting
message until then), a course withdrawn upstream gone from villages with the device's progress
cookie still working."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone

from elearning.courses.models import (
    Block,
    BlockKind,
    Course,
    Lesson,
    MediaAsset,
    MediaKind,
    TranscodeStatus,
)
from elearning.courses.progress import COOKIE_NAME
from elearning.courses.sync import MEDIA_BLOB_PRIORITY, course_audience, media_audience
from hub.sync.models import SyncRun
from hub.sync.registry import spec_for
from hub.sync.upstream.enrollment import village_enroll
from hub.sync.village.pinning import upstream_set
from hub.sync.village.run import sync_run
from hub.sync.wire import keys
from tests.harness.inprocess import InProcessTransport, node_settings

from .conftest import MP4_BYTES

UPSTREAM = "15"
VILLAGE = "1503012021"


def test_every_course_record_syncs_and_media_waits_behind_the_small_ones():
    for model in (Course, Lesson, Block, MediaAsset):
        assert spec_for(model) is not None, model
    assert (
        spec_for(MediaAsset).blob_priority == MEDIA_BLOB_PRIORITY > spec_for(Course).blob_priority
    )
    assert set(spec_for(MediaAsset).files) == {"file", "poster"}


@pytest.mark.django_db
def test_a_course_goes_to_its_region_and_its_media_only_once_ready(settings, course_here):
    # given an upstream course for one kabupaten
    settings.HUB_ROLE, settings.SYNC_NODE_CODE = "upstream", UPSTREAM
    course_here.origin, course_here.region = UPSTREAM, "1503"
    asset = MediaAsset(course=course_here, kind=MediaKind.VIDEO, title="Video")
    # then the course and its ready media go to the kabupaten; media waiting for ffmpeg nowhere
    assert course_audience(course_here) == "1503"
    assert media_audience(asset) is None
    asset.status = TranscodeStatus.READY
    assert media_audience(asset) == "1503"
    # and without a region: the upstream's whole region
    course_here.region = ""
    assert course_audience(course_here) == UPSTREAM


@pytest.mark.django_db
def test_a_village_course_goes_up_only(course_here):
    assert course_audience(course_here) is None


@pytest.mark.django_db
def test_a_region_code_must_be_a_kemendagri_prefix():
    course = Course(
        title="x", slug="x", category="pertanian", licence="CC0", source="s", region="15.03"
    )
    with pytest.raises(ValidationError, match="2, 4, 6 atau 10 angka"):
        course.full_clean()


@pytest.mark.django_db
def test_a_course_without_licence_or_source_is_refused():
    course = Course(title="x", slug="x", category="pertanian", licence=" ", source="")
    with pytest.raises(ValidationError, match="lisensi"):
        course.clean()


# sync_run commits, so these tests do too (see tests/sync/test_client_inprocess.py)
linked = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def transport(upstream, settings, tmp_path, village):
    for name, value in node_settings(tmp_path / "village", SYNC_NODE_CODE=VILLAGE).items():
        setattr(settings, name, value)
    village_key, _created = keys.node_key_create()
    with upstream.active():
        village_enroll(code=VILLAGE, public_key=keys.public_key_text(village_key.public_key()))
    upstream_set(url="http://upstream.test", public_key=upstream.public_key, code=UPSTREAM)
    return InProcessTransport(upstream)


def upstream_course(slug: str, region: str) -> tuple[Course, Lesson]:
    course = Course.objects.create(
        title=f"Kursus {slug}",
        slug=slug,
        category="kesehatan",
        licence="CC BY 4.0",
        source="Dinas Kesehatan",
        region=region,
    )
    lesson = Lesson.objects.create(course=course, title="Cuci tangan", sort_order=1)
    Block.objects.create(lesson=lesson, kind=BlockKind.TEXT, text="Pakai sabun.", sort_order=1)
    return course, lesson


def closed_window() -> str:
    hour = timezone.localtime().hour
    return f"{(hour + 2) % 24}-{(hour + 3) % 24}"


@linked
def test_courses_come_down_to_their_region_media_in_the_bulk_window_and_withdrawn_ones_go(
    upstream, transport, settings, client, home
):
    # given two courses upstream, one for this village's kabupaten with a video, one elsewhere
    with upstream.active():
        ours, lesson = upstream_course("cuci-tangan", "1503")
        upstream_course("lain", "1504")
        video = MediaAsset(
            course=ours, kind=MediaKind.VIDEO, title="Video", status=TranscodeStatus.READY
        )
        video.file.save("cuci.mp4", ContentFile(MP4_BYTES), save=False)
        video.save()
        Block.objects.create(lesson=lesson, kind=BlockKind.VIDEO, media=video, sort_order=2)
    # and the bulk window closed for anything bigger than a few bytes
    settings.SYNC_BULK_BLOB_BYTES, settings.SYNC_BULK_WINDOW = 16, closed_window()

    # when the village syncs
    run = sync_run(trigger="test", force=True, transport=transport)

    # then our course and its lesson came, the other kabupaten's did not, the video waits
    assert run.outcome == SyncRun.Outcome.PARTIAL, run.error
    assert list(Course.objects.values_list("slug", flat=True)) == ["cuci-tangan"]
    here = MediaAsset.objects.get(pk=video.pk)
    assert not here.file and here.size == len(MP4_BYTES)
    page = client.get(f"/belajar/pelajaran/{lesson.pk}/")
    assert "<video" not in page.text and "tiba setelah sinkronisasi" in page.text

    # when the window opens and the village syncs again
    settings.SYNC_BULK_WINDOW = ""
    run = sync_run(trigger="test", force=True, transport=transport)

    # then the video is here and plays, seekable
    assert run.outcome == SyncRun.Outcome.OK, run.error
    here.refresh_from_db()
    assert here.file and here.file.read() == MP4_BYTES
    page = client.get(f"/belajar/pelajaran/{lesson.pk}/")
    assert '<video controls preload="none"' in page.text
    ranged = client.get(here.file.url, headers={"Range": "bytes=4-11"})
    assert ranged.status_code == 206 and b"".join(ranged.streaming_content) == b"ftypmp42"

    # given the learner finished the lesson on this phone
    client.post(f"/belajar/pelajaran/{lesson.pk}/selesai/")
    cookie = client.cookies[COOKIE_NAME].value

    # when the province withdraws the course and the village syncs
    with upstream.active():
        Course.objects.get(pk=ours.pk).delete()
    run = sync_run(trigger="test", force=True, transport=transport)

    # then the course is gone from the village, and the phone's progress still works
    assert run.outcome == SyncRun.Outcome.OK, run.error
    assert not Course.objects.exists() and not Lesson.objects.exists()
    assert client.get(f"/belajar/kursus/{ours.pk}/").status_code == 404
    listing = client.get("/belajar/")
    assert listing.status_code == 200 and "Kursus cuci-tangan" not in listing.text
    assert client.cookies[COOKIE_NAME].value == cookie


@linked
def test_a_village_course_goes_up(upstream, transport):
    # given a farmer's demonstration course made in the village
    course = Course.objects.create(
        title="Demo plot jagung",
        slug="demo-jagung",
        category="pertanian",
        licence="CC BY 4.0",
        source="Kelompok Tani Sejahtera",
    )
    Lesson.objects.create(course=course, title="Menanam", sort_order=1)
    # when the village syncs
    run = sync_run(trigger="test", force=True, transport=transport)
    # then the upstream holds it as the village's
    assert run.outcome == SyncRun.Outcome.OK, run.error
    with upstream.active():
        there = Course.objects.get(pk=course.pk)
        assert (there.origin, there.title) == (VILLAGE, "Demo plot jagung")
        assert there.lessons.count() == 1
