"""Background tasks of courses, run by the django-q2 cluster (upstream only)."""

from .services import media_transcode


def media_transcode_task(asset_id: str) -> str:
    """Prepare one uploaded video or audio file for phones; returns its status."""
    return media_transcode(asset_id=asset_id).status
