"""The Django-side steps of ``scripts/bench learn --only sync`` (:mod:`bench.learn_sync`), run
in the upstream's and the village's agent processes (:func:`bench.common.agent_step`).

They import the project's modules inside, so importing this module needs no settings.
"""

from .steps import bench_course


def course_with_video_create(*, region: str, path: str) -> dict:
    """On the upstream: a course for ``region`` with a text block and the video at ``path``."""
    from django.core.files import File

    from elearning.courses.models import Block, MediaAsset

    course, lesson = bench_course(
        title="Bench: video lewat satelit",
        slug="bench-sinkron",
        lesson_title="Video 20 MB",
        region=region,
    )
    asset = MediaAsset(course=course, kind="video", title="Video", status="siap")
    with open(path, "rb") as handle:
        asset.file.save("video.mp4", File(handle, name="video.mp4"), save=False)
        asset.save()
    Block.objects.create(lesson=lesson, kind="video", media=asset, sort_order=2)
    return {"course": str(course.pk), "lesson": str(lesson.pk), "asset": str(asset.pk)}


def village_sync_run(*, window_open: bool, headroom: int | None, asset: str) -> dict:
    """On the village: one sync with the bulk window open or not and ``headroom`` bytes of the
    month's quota left when it starts (None: no quota); its counters and where ``asset`` is."""
    from django.test import override_settings
    from django.utils import timezone

    from elearning.courses.models import MediaAsset
    from hub.sync.models import BlobNeed
    from hub.sync.village.budget import month_bytes
    from hub.sync.village.run import sync_run

    hour = timezone.localtime().hour
    window = "" if window_open else f"{(hour + 2) % 24}-{(hour + 3) % 24}"
    budget = 0 if headroom is None else month_bytes() + headroom
    with override_settings(
        SYNC_BULK_WINDOW=window,
        SYNC_MONTHLY_BUDGET_BYTES=budget,
        SYNC_BULK_BLOB_BYTES=1024 * 1024,
    ):
        run = sync_run(trigger="test", force=True)
    found = MediaAsset.objects.filter(pk=asset).first()
    return {
        "outcome": run.outcome,
        "error": run.error[:300],
        "bytes_down": run.bytes_down,
        "bytes_up": run.bytes_up,
        "records_down": run.records_down,
        "blobs_down": run.blobs_down,
        "window": window,
        "budget": budget,
        "month_bytes": month_bytes(),
        "asset_known": found is not None,
        "video_here": bool(found and found.file),
        "expected_sha": found.sha256 if found else "",
        "expected_size": found.size if found else 0,
        "blob_needs": BlobNeed.objects.count(),
    }
