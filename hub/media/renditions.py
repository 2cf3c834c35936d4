"""Which renditions every image gets: the display sizes villager pages use and their filters."""

from functools import cache

from django.conf import settings
from wagtail.images.models import Filter

SIZES = ("thumb", "full", "logo")


@cache
def rendition_filters(size: str) -> tuple[Filter, ...]:
    """The Wagtail filters for a display size: ``thumb`` (list cards, 1x and 2x), ``logo``
    (1x and 2x) or ``full`` (phone widths for ``srcset``)."""
    if size == "thumb":
        return (Filter(settings.HUB_THUMBNAIL_SPEC), Filter(settings.HUB_THUMBNAIL_2X_SPEC))
    if size == "logo":
        return (Filter(settings.HUB_LOGO_SPEC), Filter(settings.HUB_LOGO_2X_SPEC))
    if size == "full":
        quality = settings.WAGTAILIMAGES_WEBP_QUALITY
        return tuple(
            Filter(f"width-{width}|format-webp|webpquality-{quality}")
            for width in sorted(settings.HUB_RENDITION_WIDTHS)
        )
    raise ValueError(f"unknown image size {size!r}")


def all_rendition_filters() -> tuple[Filter, ...]:
    """Every filter of every size: what the background task makes for each image."""
    return tuple(f for size in SIZES for f in rendition_filters(size))
