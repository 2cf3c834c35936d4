"""How the site's records sync: announcements and agenda items, with their images as blobs.

Registered from ``SiteConfig.ready()``; this module uses only the engine's public API.
"""

import os

from django.core.files import File
from PIL import UnidentifiedImageError
from willow.image import UnrecognisedImageFormatError

from hub.sync.registry import FileAdapter, register


class ImageAdapter(FileAdapter):
    """An image foreign key travels as the original file's SHA-256 plus its title and focal
    point; the receiving hub makes (or reuses) a ``BalaiImage`` from the blob, and the cluster
    makes its renditions there."""

    def to_wire(self, obj, field_name):
        image = getattr(obj, field_name)
        if image is None:
            return None
        if not image.sha256:
            image._set_file_hash()
            type(image).objects.filter(pk=image.pk).update(
                sha256=image.sha256, file_hash=image.file_hash
            )
        return {
            "sha256": image.sha256,
            "size": image.file_size or image.file.size,
            "meta": {
                "title": image.title[:255],
                "name": os.path.basename(image.file.name)[:100],
                "focal": [
                    image.focal_point_x,
                    image.focal_point_y,
                    image.focal_point_width,
                    image.focal_point_height,
                ],
            },
        }

    def open(self, obj, field_name):
        return getattr(obj, field_name).file.open("rb")

    def attach(self, obj, field_name, ref, blob):
        from .models import BalaiImage

        if ref is None or blob is None:
            # no image, or not here yet: the page shows none until the blob arrives
            setattr(obj, field_name, None)
            return
        image = BalaiImage.objects.filter(sha256=ref["sha256"]).first()
        if image is None:
            meta = ref.get("meta") if isinstance(ref.get("meta"), dict) else {}
            # "." and ".." are names the storage refuses (SuspiciousFileOperation)
            name = os.path.basename(str(meta.get("name") or "")).strip(". ") or "gambar"
            image = BalaiImage(title=str(meta.get("title") or name)[:255])
            focal = meta.get("focal") or []
            if len(focal) == 4 and all(isinstance(v, int) or v is None for v in focal):
                (
                    image.focal_point_x,
                    image.focal_point_y,
                    image.focal_point_width,
                    image.focal_point_height,
                ) = focal
            try:
                image.file.save(name, File(blob), save=False)
            except (UnrecognisedImageFormatError, UnidentifiedImageError) as exc:
                raise ValueError("the blob is not an image") from exc
            if not image.width or not image.height:
                image.file.delete(save=False)
                raise ValueError("the blob is not an image")
            image._set_image_file_metadata()
            image.save()
        setattr(obj, field_name, image)


def register_synced_models():
    from .models import AgendaItem, Announcement

    images = ImageAdapter()
    register(Announcement, files={"image": images}, blob_priority=3)
    register(AgendaItem, files={"image": images}, blob_priority=3)
