"""Images: the project's Wagtail image model and its renditions.

Other apps never import these classes: they name the model through Wagtail's contract,
``settings.WAGTAILIMAGES_IMAGE_MODEL`` for foreign keys and ``wagtail.images.get_image_model()``
in code, so the image model has one home.
"""

import hashlib

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.images.models import AbstractImage, AbstractRendition, Image


class BalaiImage(AbstractImage):
    """An uploaded image. Edited in the admin's image library; travels between hubs as a blob
    (``hub.media.sync.ImageAdapter``).

    ``sha256`` is the SHA-256 of the original file: the sync engine moves images by it, so it is
    computed where Wagtail computes its own SHA-1 (on upload), never on a later ``save()``.
    The file is stored without its metadata (GPS, camera; ``hub.media.metadata``), so both
    hashes are of the clean file. ``source_sha256`` is set only on an image that arrived from
    another hub still carrying metadata: the hash it travelled under, before this hub stripped
    it (the sync engine still finds the record by the sender's reference).
    """

    sha256 = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    # nullable without a default: SQLite adds the column in place instead of rebuilding the table
    source_sha256 = models.CharField(
        max_length=64, null=True, blank=True, editable=False, db_index=True
    )

    admin_form_fields = Image.admin_form_fields

    def _set_file_hash(self):
        sha1 = hashlib.sha1(usedforsecurity=False)
        sha256 = hashlib.sha256()
        with self.open_file() as handle:
            handle.seek(0)
            for chunk in iter(lambda: handle.read(256 * 1024), b""):
                sha1.update(chunk)
                sha256.update(chunk)
            handle.seek(0)
        self.file_hash = sha1.hexdigest()
        self.sha256 = sha256.hexdigest()

    class Meta(AbstractImage.Meta):
        # The table kept the name it had when the model lived in hub.site: the move was
        # state-only, so no hub copies its image tables (or rebuilds the tables pointing at
        # them, as SQLite would) on an SD card. See migrations/0001_initial.py.
        db_table = "site_balaiimage"
        verbose_name = _("gambar")
        verbose_name_plural = _("gambar")


class BalaiRendition(AbstractRendition):
    """A resized copy of a :class:`BalaiImage`, made by the background task, never in a request."""

    image = models.ForeignKey(BalaiImage, on_delete=models.CASCADE, related_name="renditions")

    class Meta:
        db_table = "site_balairendition"
        unique_together = (("image", "filter_spec", "focal_point_key"),)
