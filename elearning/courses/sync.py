"""How courses sync (registered from ``CoursesConfig.ready()``; engine public API only).

Down from the upstream: a course and everything in it go to the course's ``region`` (a
Kemendagri code prefix), or to the upstream's whole region when it names none — the engine's
default. Up from a village: a village's own course goes up only. Media files travel as blobs
with a high ``blob_priority`` number, so they wait behind small records and for the bulk window;
a video or audio file travels only once the upstream has transcoded it for phones.
"""

from hub.media.files import FileFieldAdapter
from hub.media.sync import ImageAdapter
from hub.sync.registry import default_audience, register

from .models import (
    Block,
    Course,
    CourseMonthStat,
    Lesson,
    MediaAsset,
    Question,
    TranscodeStatus,
)

# what a lesson's media may be; anything else refuses the record on arrival
MEDIA_CONTENT_TYPES = (
    "video/mp4",
    "audio/mp4",
    "audio/mpeg",
    "audio/ogg",
    "application/pdf",
    "text/vtt",
)
MEDIA_MAX_BYTES = 1024 * 1024 * 1024
# lower goes first when blobs compete for the link: pictures (4) before any lesson media
MEDIA_BLOB_PRIORITY = 50


def course_audience(course: Course) -> str | None:
    """The course's region when it names one and comes from above; the default otherwise."""
    audience = default_audience(course)
    if audience is None or not course.region:
        return audience
    return course.region


def child_audience(record) -> str | None:
    return course_audience(record_course(record))


def media_audience(asset: MediaAsset) -> str | None:
    """Nobody until the file is ready for phones: the upstream's untranscoded upload never
    travels; the saved, transcoded version does."""
    if asset.status != TranscodeStatus.READY:
        return None
    return course_audience(asset.course)


def record_course(record) -> Course:
    if isinstance(record, Lesson | MediaAsset):
        return record.course
    if isinstance(record, Block):
        return record.lesson.course
    return record.block.lesson.course


def stat_audience(stat: CourseMonthStat) -> None:
    """Usage figures go up to the upstream and no further (never down to other villages)."""
    return None


def register_synced_models():
    images = ImageAdapter()
    register(
        Course, owner="either", audience=course_audience, files={"cover": images}, blob_priority=4
    )
    register(Lesson, owner="either", audience=child_audience)
    register(
        MediaAsset,
        owner="either",
        audience=media_audience,
        files={
            "file": FileFieldAdapter(
                sha_field="sha256",
                size_field="size",
                content_types=MEDIA_CONTENT_TYPES,
                max_size=MEDIA_MAX_BYTES,
            ),
            "poster": images,
        },
        blob_priority=MEDIA_BLOB_PRIORITY,
    )
    register(
        Block, owner="either", audience=child_audience, files={"image": images}, blob_priority=4
    )
    register(Question, owner="either", audience=child_audience)
    register(CourseMonthStat, owner="village", audience=stat_audience)
