"""Factories of the course tests: a course as it comes down from the province, its lessons,
blocks, quiz questions and media files (small real files)."""

import pytest
from django.core.files.base import ContentFile

from elearning.courses.models import (
    Block,
    BlockKind,
    Course,
    Lesson,
    MediaAsset,
    MediaKind,
    Question,
    QuestionKind,
    TranscodeStatus,
)
from hub.sync.registry import received_from_origin

MP4_BYTES = b"\x00\x00\x00\x18ftypmp42" + b"v" * 1000


@pytest.fixture
def media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def province(village):
    return village.village_code[:2]


@pytest.fixture
def upstream_make(db, province):
    """Make a record as if the province's upstream had sent it."""

    def make(model, **fields):
        with received_from_origin():
            obj = model(origin=fields.pop("origin", province), rev=1, **fields)
            obj.full_clean()
            obj.save()
        return obj

    return make


@pytest.fixture
def course(upstream_make):
    return upstream_make(
        Course,
        title="Budidaya cabai",
        slug="budidaya-cabai",
        category="pertanian",
        licence="CC BY 4.0",
        source="Dinas Pertanian Provinsi Jambi",
        summary="Menanam cabai di lahan sempit.",
    )


@pytest.fixture
def lessons(course, upstream_make):
    return [
        upstream_make(Lesson, course=course, title=title, sort_order=i)
        for i, title in enumerate(["Menyemai benih", "Merawat tanaman"], start=1)
    ]


@pytest.fixture
def text_block(lessons, upstream_make):
    return upstream_make(
        Block, lesson=lessons[0], kind=BlockKind.TEXT, sort_order=1, text="Rendam benih semalam."
    )


@pytest.fixture
def quiz(lessons, upstream_make):
    block = upstream_make(Block, lesson=lessons[1], kind=BlockKind.QUIZ, sort_order=5)
    upstream_make(
        Question,
        block=block,
        sort_order=1,
        prompt="Kapan benih disemai?",
        choices=["Setelah direndam", "Langsung dari kantong", "Setelah dijemur seminggu"],
        answer=0,
        explanation="Benih yang direndam tumbuh lebih cepat.",
    )
    upstream_make(
        Question,
        block=block,
        kind=QuestionKind.TRUE_FALSE,
        sort_order=2,
        prompt="Cabai suka tanah yang tergenang.",
        answer=1,
        explanation="Akar cabai busuk bila tergenang.",
    )
    return block


@pytest.fixture
def asset_make(course, upstream_make, media_root):
    def make(kind=MediaKind.VIDEO, data=MP4_BYTES, name="v.mp4", arrived=True, **fields):
        asset = upstream_make(
            MediaAsset,
            course=course,
            kind=kind,
            title=fields.pop("title", "Video menyemai"),
            status=TranscodeStatus.READY,
            size=len(data),
            **fields,
        )
        if arrived:
            asset.file.save(name, ContentFile(data), save=False)
            MediaAsset.objects.filter(pk=asset.pk).update(file=asset.file.name)
        return asset

    return make


@pytest.fixture
def video_block(lessons, asset_make, upstream_make):
    def make(arrived=True, captions=True):
        video = asset_make(arrived=arrived)
        vtt = None
        if captions:
            vtt = asset_make(
                kind=MediaKind.CAPTIONS,
                data=b"WEBVTT\n\n00:00.000 --> 00:01.000\nHalo\n",
                name="id.vtt",
                title="Bahasa Indonesia",
                arrived=arrived,
            )
        return upstream_make(
            Block,
            lesson=lessons[0],
            kind=BlockKind.VIDEO,
            sort_order=2,
            media=video,
            captions=vtt,
        )

    return make


@pytest.fixture
def course_here(db, village):
    """A course made on this node (the upstream or the village, whichever the test is)."""
    course = Course(
        title="Budidaya cabai",
        slug="budidaya-cabai-lokal",
        category="pertanian",
        licence="CC BY 4.0",
        source="Kelompok tani Maju",
    )
    course.full_clean()
    course.save()
    return course


@pytest.fixture
def learner_group(db):
    from elearning.courses.models import LearnerGroup

    return LearnerGroup.objects.create(name="Kelompok Tani Maju")


@pytest.fixture
def learner_make(learner_group):
    """A learner profile made through the service, as the profile page makes it."""
    from elearning.courses.services import learner_create

    def make(nickname="Siti", pin="2468", group=None):
        return learner_create(
            nickname=nickname, pin=pin, pin_again=pin, group_id=(group or learner_group).pk
        )

    return make
