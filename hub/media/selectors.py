"""Reads of images: their renditions fetched with the rows that show them."""

from django.db.models import Model, Prefetch, QuerySet, prefetch_related_objects
from wagtail.images import get_image_model

from .renditions import rendition_filters


def _renditions_prefetch(sizes: tuple[str, ...], through: str) -> Prefetch:
    specs = [f.spec for size in sizes for f in rendition_filters(size)]
    rendition_model = get_image_model().get_rendition_model()
    lookup = f"{through}__renditions" if through else "renditions"
    return Prefetch(lookup, queryset=rendition_model.objects.filter(filter_spec__in=specs))


def with_renditions(objects, *sizes: str, through: str = ""):
    """The renditions of ``sizes`` for the images of ``objects``, in one query, so that
    ``balai_image`` asks the database for none (a queryset ``through`` a foreign key also gets
    its images joined).

    ``objects`` is a queryset (returned with the prefetch added, still lazy) or rows already
    loaded (prefetched now; ``None`` entries, such as a missing photo, are skipped). They are
    images themselves, or rows whose image is the foreign key named by ``through``.
    """
    prefetch = _renditions_prefetch(sizes, through)
    if isinstance(objects, QuerySet):
        if through:
            # the image joined to its row: one query for the renditions, none for the images
            objects = objects.select_related(through)
        return objects.prefetch_related(prefetch)
    rows: list[Model] = [row for row in objects if row is not None]
    if rows:
        prefetch_related_objects(rows, prefetch)
    return rows
