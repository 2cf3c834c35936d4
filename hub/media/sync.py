"""How an image travels between hubs: as a blob, behind any synced record's image field.

Domain apps register their image foreign keys with ``files={"image": ImageAdapter()}``; this
module uses only the engine's public API (``hub.sync.registry``).
"""

import os

from django.db.models import Q
from PIL.Image import DecompressionBombError
from wagtail.images import get_image_model

from hub.sync.registry import FileAdapter

from .files import file_sha256, hash_name
from .metadata import stripped_file
from .services import NotAnImage, image_extension, image_from_file


class ImageAdapter(FileAdapter):
    """An image foreign key travels as the original file's SHA-256 plus its title and focal
    point; the receiving hub makes (or reuses) an image from the blob, and the cluster makes its
    renditions there.

    The owner strips an image's metadata before hashing it, so the blob is already clean. A
    blob that is not (from a hub older than that rule) is stripped here and stored under the
    clean file's hash, with the hash it came under kept as ``source_sha256``: the record is
    still found by the sender's reference, and what this hub passes on is the clean file under
    its own hash (``hub.media.metadata`` explains why not refuse, nor keep the sender's hash).
    """

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
        return model._base_manager.filter(
            Q(**{f"{field_name}__sha256": sha}) | Q(**{f"{field_name}__source_sha256": sha})
        )

    def shas(self, model, field_name):
        # an image not hashed yet gets its SHA-256 when it first goes out (to_wire)
        found = model._base_manager.filter(**{f"{field_name}__isnull": False}).values_list(
            f"{field_name}__sha256", flat=True
        )
        return set(found) - {""}

    def attach(self, obj, field_name, ref, blob):
        if ref is None:
            setattr(obj, field_name, None)
            return
        # the image may be here already, under the sender's hash or (stripped) under its own
        image = (
            get_image_model()
            .objects.filter(Q(sha256=ref["sha256"]) | Q(source_sha256=ref["sha256"]))
            .first()
        )
        if image is None and blob is None:
            # not here yet: the page shows none until the blob arrives
            setattr(obj, field_name, None)
            return
        if image is None:
            meta = ref.get("meta") if isinstance(ref.get("meta"), dict) else {}
            focal = meta.get("focal") or []
            valid_focal = len(focal) == 4 and all(isinstance(v, int) or v is None for v in focal)
            try:
                sha = hash_name(ref["sha256"])
                ext = image_extension(blob)
                clean = stripped_file(blob)
            except (NotAnImage, OSError, ValueError, DecompressionBombError) as exc:
                raise ValueError("the blob is not an image") from exc
            if clean is not blob:
                # it carried metadata (a hub from before stripping): stored clean, under the
                # clean file's hash, remembering the one it came under
                sha = file_sha256(clean)[0]
                image = get_image_model().objects.filter(sha256=sha).first()
            if image is None:
                try:
                    # The sender's name is never a file name here (a GIF named x.html would be
                    # served as a page): the original is named by its hash and real format.
                    image = image_from_file(
                        file=clean,
                        title=str(
                            meta.get("title") or os.path.basename(str(meta.get("name") or ""))
                        ),
                        name=f"{sha}.{ext}",
                        focal=tuple(focal) if valid_focal else None,
                    )
                except NotAnImage as exc:
                    raise ValueError("the blob is not an image") from exc
            if image.sha256 != ref["sha256"] and not image.source_sha256:
                image.source_sha256 = ref["sha256"]
                type(image).objects.filter(pk=image.pk).update(source_sha256=image.source_sha256)
        setattr(obj, field_name, image)
