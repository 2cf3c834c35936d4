"""Writes of images: an image made from a file or bytes, its renditions."""

import io
import os
from typing import IO

from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.db import transaction
from PIL import Image as PILImage
from PIL import UnidentifiedImageError
from wagtail.images import get_image_model
from wagtail.images.models import AbstractImage
from willow.image import UnrecognisedImageFormatError

from hub.core import pagecache

from .metadata import strip_metadata, stripped_file
from .renditions import all_rendition_filters

Focal = tuple[int | None, int | None, int | None, int | None]


class NotAnImage(ValueError):
    """The bytes are no image Pillow can read."""


# Pillow's name of a format -> the extension an image of it is stored under. Only the formats
# the hub accepts (settings.WAGTAILIMAGES_EXTENSIONS); anything else is no image here.
IMAGE_EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}


def image_extension(file: IO[bytes]) -> str:
    """The extension of the format the bytes really are (``gif`` for a GIF whatever its name
    says), read from the file's header; the file is left at its start.

    Raises :class:`NotAnImage` for bytes that are no image of an accepted format.
    """
    file.seek(0)
    try:
        with PILImage.open(file) as image:
            kind = image.format
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise NotAnImage("unrecognised image") from exc
    finally:
        file.seek(0)
    if kind not in IMAGE_EXTENSIONS:
        raise NotAnImage(f"{kind} images are not accepted")
    return IMAGE_EXTENSIONS[kind]


def image_from_file(
    *, file: IO[bytes], title: str, name: str, focal: Focal | None = None
) -> AbstractImage:
    """Save a new image from an open binary file, with its SHA-1 and SHA-256, size and
    dimensions, as an upload through the admin would (its renditions follow from the cluster).

    ``name`` is the original file name (its extension picks the format Wagtail stores it as);
    it is the title too when ``title`` is empty. What the file says besides its pixels (GPS
    position, camera, comments) is stripped first, orientation applied (``hub.media.metadata``):
    the hashes are taken of the clean file.
    Raises :class:`NotAnImage` for anything Pillow cannot read, before storing a byte.
    """
    # "." and ".." are names the storage refuses (SuspiciousFileOperation)
    name = os.path.basename(name).strip(". ") or "gambar"
    image = get_image_model()(title=(title or name)[:255])
    if focal is not None:
        (
            image.focal_point_x,
            image.focal_point_y,
            image.focal_point_width,
            image.focal_point_height,
        ) = focal
    try:
        clean = stripped_file(file)
    except (UnidentifiedImageError, OSError, ValueError, PILImage.DecompressionBombError) as exc:
        raise NotAnImage(name) from exc
    try:
        image.file = ImageFile(clean, name=name)
        image._set_image_file_metadata()
    except (UnrecognisedImageFormatError, UnidentifiedImageError) as exc:
        raise NotAnImage(name) from exc
    if not image.width or not image.height:
        raise NotAnImage(name)
    image.save()
    return image


def image_from_bytes(
    *, data: bytes, title: str, name: str = "gambar.png", focal: Focal | None = None
) -> AbstractImage:
    """:func:`image_from_file` for an image held in memory (demo data, tests, benches)."""
    return image_from_file(file=io.BytesIO(data), title=title, name=name, focal=focal)


def image_renditions_create(*, image_id: int) -> int:
    """Create every rendition the villager pages use for one image (idempotent)."""
    image = get_image_model().objects.filter(pk=image_id).first()
    if image is None:  # deleted before the task ran
        return 0
    filters = all_rendition_filters()
    renditions = image.create_renditions(*filters)
    # Wagtail saves them with bulk_create, which sends no post_save: drop the cached pages here
    # so that placeholders turn into pictures.
    transaction.on_commit(pagecache.invalidate)
    return len(renditions)


def _referring_records(image) -> list:
    """Every synced record whose image field (an ``ImageAdapter``) points at ``image``."""
    from hub.sync.registry import all_specs

    from .sync import ImageAdapter

    found = []
    for spec in all_specs():
        for name, adapter in spec.files.items():
            if isinstance(adapter, ImageAdapter):
                found += list(spec.model._base_manager.filter(**{name: image}))
    return found


def images_metadata_strip(*, dry_run: bool = False) -> dict:
    """Strip the metadata of images stored before uploads were stripped (``hub.media.metadata``)
    on the hub that owns them: the original is rewritten clean, its hashes taken again, its
    renditions (Wagtail copies EXIF into them, and they are public) dropped and made again by
    the cluster, and every synced record of this hub showing it saved again so the clean file
    travels under its new hash. An image another hub's record shows (it arrived by sync) is
    that hub's to strip: it is left, since its file must stay the bytes its hash names.
    Returns counts; ``dry_run`` only counts. Running it twice changes nothing the second time.
    """
    done = {"stripped": 0, "left_to_owner": 0, "records_resent": 0}
    for image in get_image_model().objects.order_by("pk").iterator():
        try:
            with image.file.open("rb") as handle:
                clean = strip_metadata(handle)
        except (OSError, ValueError, UnidentifiedImageError, PILImage.DecompressionBombError):
            continue
        if clean is None:
            continue
        records = _referring_records(image)
        if image.source_sha256 or any(not record.is_local for record in records):
            done["left_to_owner"] += 1
            continue
        done["stripped"] += 1
        done["records_resent"] += len(records)
        if dry_run:
            continue
        with transaction.atomic():
            old_name, storage = image.file.name, image.file.storage
            image.file.save(os.path.basename(old_name), ContentFile(clean), save=False)
            with PILImage.open(io.BytesIO(clean)) as turned:
                image.width, image.height = turned.size
            image._set_image_file_metadata()
            image.save()
            image.renditions.all().delete()
            for record in records:
                record.save()
            transaction.on_commit(lambda name=old_name, storage=storage: storage.delete(name))
    return done
