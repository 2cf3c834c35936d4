"""An archive of the offline library published by the upstream for the villages of a region.

A technician's ZIM dropped into a village's library folder needs no record: the folder is the
source of truth there (``services.library_scan``). A :class:`LibraryArchive` is how a content
team sends one archive to many villages without a technician: the record travels as a synced
record, the file as a blob by SHA-256 (over the link in the bulk window, or in a bundle on a USB
stick), and on arrival the village places it in its library folder under ``name`` and scans it
(``sync.py``). Deleting the record upstream withdraws the archive from the villages.
"""

import re
import uuid

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from hub.core.regions import region_prefix_check
from hub.sync.records import SyncedRecord

# what kiwix-serve turns into a URL segment (/pustaka/<name without .zim>/): keep names plain
ARCHIVE_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,120}\.zim$")


def archive_upload_to(instance, filename):
    # a fresh directory per file: a new edition of an archive never overwrites the one the
    # villages may still be fetching
    return f"pustaka/{uuid.uuid4().hex[:16]}/{filename}"


class LibraryArchive(SyncedRecord):
    """A ZIM archive (Wikipedia in Indonesian, WikiHow, a farming reference) published by an
    upstream content team with ``manage.py library_publish``. Upstream-owned, synced down to
    ``region`` (or the upstream's whole region); on a village read-only, its file in the library
    folder rather than in ``file`` (which holds the upstream's copy)."""

    name = models.CharField(
        _("nama berkas"),
        max_length=125,
        validators=[RegexValidator(ARCHIVE_NAME_RE)],
        help_text=_("Mis. wikipedia_id_all_nopic_2024-06.zim: menjadi alamat /pustaka/…/."),
    )
    title = models.CharField(_("judul"), max_length=160)
    description = models.TextField(_("uraian"), blank=True, max_length=1000)
    licence = models.CharField(_("lisensi"), max_length=120)
    source = models.CharField(_("sumber"), max_length=200)
    region = models.CharField(_("wilayah tujuan"), max_length=10, blank=True)
    file = models.FileField(_("berkas"), upload_to=archive_upload_to, blank=True, max_length=200)
    sha256 = models.CharField(max_length=64, blank=True, editable=False)
    size = models.PositiveBigIntegerField(_("ukuran (bita)"), default=0, editable=False)

    class Meta:
        verbose_name = _("arsip perpustakaan")
        verbose_name_plural = _("arsip perpustakaan")
        ordering = ["name"]

    def __str__(self):
        return self.title

    def clean(self):
        super().clean()
        region_prefix_check(self.region)
        if not (self.licence or "").strip() or not (self.source or "").strip():
            raise ValidationError(_("Setiap arsip wajib mencantumkan lisensi dan sumbernya."))
