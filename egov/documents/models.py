"""Legal and public documents (produk hukum, JDIH-style) with their PDF.

:class:`LegalDocument` is a synced record (see ``egov/documents/sync.py``): a kabupaten's or
province's regulations are made on the upstream and go down to the villages of their
``region``, read-only there; a village's own documents (Perdes, Perkades, SK Kades, APBDes …)
are made on the village hub and go up, where the kabupaten sees all its villages' Perdes.

The PDF travels as a content-addressed blob. The first-page preview is made on each hub, in
the background, from the PDF it holds; it never travels.
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from egov.services.models import region_field, region_validate
from hub.sync.records import SyncedRecord

FIRST_YEAR = 1945
PDF_MAGIC = b"%PDF-"
# the PDF header may follow some junk, but within the first kilobyte (PDF 1.7, annex H)
PDF_HEADER_WINDOW = 1024


def pdf_max_bytes() -> int:
    return getattr(settings, "EGOV_DOCUMENT_MAX_BYTES", 20 * 1024 * 1024)


class Kind(models.TextChoices):
    PERDES = "perdes", _("Peraturan Desa")
    PERKADES = "perkades", _("Peraturan Kepala Desa")
    SK_KADES = "sk-kades", _("Keputusan Kepala Desa")
    PERBERSAMA = "perber-kades", _("Peraturan Bersama Kepala Desa")
    APBDES = "apbdes", _("APB Desa")
    REALISASI = "realisasi-apbdes", _("Laporan Realisasi APB Desa")
    RPJMDES = "rpjmdes", _("RPJM Desa")
    RKPDES = "rkpdes", _("RKP Desa")
    PERDA = "perda", _("Peraturan Daerah")
    PERBUP = "perbup", _("Peraturan Bupati")
    SK_BUPATI = "sk-bupati", _("Keputusan Bupati")
    PERGUB = "pergub", _("Peraturan Gubernur")
    LAINNYA = "lainnya", _("Informasi publik lainnya")


# the village regulations a kabupaten oversees (its list of its villages' Perdes)
VILLAGE_REGULATION_KINDS = (Kind.PERDES, Kind.PERKADES, Kind.PERBERSAMA)


class Status(models.TextChoices):
    BERLAKU = "berlaku", _("Berlaku")
    DIUBAH = "diubah", _("Diubah")
    DICABUT = "dicabut", _("Dicabut")


def pdf_upload_to(instance, filename):
    """Files are named by their SHA-256 (the same PDF is stored once)."""
    sha = instance.pdf_sha256
    return f"egov/dokumen/{sha[:2]}/{sha}.pdf" if sha else f"egov/dokumen/{filename}"


class LegalDocument(SyncedRecord):
    """One regulation or public document with the JDIH metadata and its PDF. Edited by
    upstream operators (kabupaten/province regulations) or village officials (the village's
    own, which go up)."""

    kind = models.CharField(_("jenis"), max_length=20, choices=Kind.choices)
    number = models.CharField(_("nomor"), max_length=40)
    year = models.PositiveSmallIntegerField(_("tahun"))
    title = models.CharField(_("judul"), max_length=500)
    abstract = models.TextField(_("tentang/abstrak"), blank=True)
    enacted_on = models.DateField(_("tanggal penetapan"))
    promulgated_on = models.DateField(_("tanggal pengundangan"), null=True, blank=True)
    place_enacted = models.CharField(_("tempat penetapan"), max_length=100, blank=True)
    signer = models.CharField(_("penandatangan"), max_length=150, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.BERLAKU
    )
    changed_by = models.ForeignKey(
        "self",
        verbose_name=_("diubah/dicabut oleh"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="changes",
        help_text=_("Dokumen yang mengubah atau mencabut dokumen ini."),
    )
    subject = models.CharField(_("subjek"), max_length=200, blank=True)
    legal_field = models.CharField(_("bidang hukum"), max_length=100, blank=True)
    publisher = models.CharField(
        _("TEU/penerbit"), max_length=200, help_text=_("Mis. Pemerintah Desa Sukamaju")
    )
    language = models.CharField(_("bahasa"), max_length=40, default="Indonesia")
    source = models.CharField(
        _("sumber"), max_length=200, blank=True, help_text=_("Mis. Lembaran Desa No. 3 Tahun 2024")
    )
    # set through services.document_save (checked, named by hash), never by a plain form
    pdf = models.FileField(
        _("berkas PDF"), upload_to=pdf_upload_to, blank=True, max_length=200, editable=False
    )
    pdf_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    pdf_size = models.PositiveIntegerField(null=True, blank=True, editable=False)
    # local only: made here from the PDF here (see tasks.py), never synced
    preview = models.FileField(upload_to="egov/pratinjau/", blank=True, editable=False)
    preview_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    region = region_field()
    published = models.BooleanField(_("ditampilkan"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    origin_guard_message = _(
        "Dokumen ini diterbitkan oleh %(origin)s dan hanya dapat diubah di sana."
    )

    class Meta:
        verbose_name = _("produk hukum")
        verbose_name_plural = pgettext_lazy("jamak", "produk hukum")
        ordering = ["-year", "-enacted_on", "kind", "number"]
        indexes = [
            models.Index(fields=["published", "kind", "year"], name="legaldoc_kind_year"),
            models.Index(fields=["published", "year"], name="legaldoc_year"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.number}/{self.year}: {self.title}"

    @property
    def citation(self) -> str:
        return _("%(kind)s Nomor %(number)s Tahun %(year)s") % {
            "kind": self.get_kind_display(),
            "number": self.number,
            "year": self.year,
        }

    def clean(self):
        super().clean()
        region_validate(self.region)
        errors = {}
        this_year = datetime.date.today().year
        if self.year is not None and not FIRST_YEAR <= self.year <= this_year + 1:
            errors["year"] = _("Tahun harus antara %(first)d dan %(last)d.") % {
                "first": FIRST_YEAR,
                "last": this_year + 1,
            }
        if self.enacted_on and self.year and self.enacted_on.year != self.year:
            errors["enacted_on"] = _("Tanggal penetapan harus jatuh pada tahun dokumen.")
        if self.promulgated_on and self.enacted_on and self.promulgated_on < self.enacted_on:
            errors["promulgated_on"] = _(
                "Tanggal pengundangan tidak boleh sebelum tanggal penetapan."
            )
        if self.status == Status.BERLAKU and self.changed_by_id:
            errors["changed_by"] = _(
                "Dokumen yang masih berlaku tidak diubah atau dicabut oleh dokumen lain."
            )
        if self.changed_by_id and self.changed_by_id == self.pk:
            errors["changed_by"] = _("Dokumen tidak dapat mengubah dirinya sendiri.")
        if errors:
            raise ValidationError(errors)
