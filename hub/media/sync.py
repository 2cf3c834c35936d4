"""How an image travels between hubs: as a blob, behind any synced record's image field.

Domain apps register their image foreign keys with ``files={"image": ImageAdapter()}``; this
module uses only the engine's public API (``hub.sync.registry``).
"""

import os

from wagtail.images import get_image_model

from hub.sync.registry import FileAdapter

from .files import hash_name
from .services import NotAnImage, image_extension, image_from_file


class ImageAdapter(FileAdapter):
    """An image foreign key travels as the original file's SHA-256 plus its title and focal
    point; the receiving hub makes (or reuses) an image from the blob, and the cluster makes its
    renditions there."""

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

    def referring(self, model, field_name, sha):
        return model._base_manager.filter(**{f"{field_name}__sha256": sha})

    def shas(self, model, field_name):
        # an image not hashed yet gets its SHA-256 when it first goes out (to_wire)
        found = model._base_manager.filter(**{f"{field_name}__isnull": False}).values_list(
            f"{field_name}__sha256", flat=True
        )
        return set(found) - {""}

    def attach(self, obj, field_name, ref, blob):
        if ref is None or blob is None:
            # no image, or not here yet: the page shows none until the blob arrives
            setattr(obj, field_name, None)
            return
        image = get_image_model().objects.filter(sha256=ref["sha256"]).first()
        if image is None:
            meta = ref.get("meta") if isinstance(ref.get("meta"), dict) else {}
            focal = meta.get("focal") or []
            valid_focal = len(focal) == 4 and all(isinstance(v, int) or v is None for v in focal)
            try:
                # The sender's name is never a file name here (a GIF named x.html would be
                # served as a page): the original is named by its hash and real format.
                name = f"{hash_name(ref['sha256'])}.{image_extension(blob)}"
                image = image_from_file(
                    file=blob,
                    title=str(meta.get("title") or os.path.basename(str(meta.get("name") or ""))),
                    name=name,
                    focal=tuple(focal) if valid_focal else None,
                )
            except NotAnImage as exc:
                raise ValueError("the blob is not an image") from exc
        setattr(obj, field_name, image)
