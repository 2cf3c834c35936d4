"""Service standards (standar pelayanan) and the offices that serve them.

Both models are synced records (see ``egov/services/sync.py``):

- made on the upstream (a province or kabupaten Diskominfo), they go down to the villages of
  their ``region`` (a Kemendagri code prefix; blank: the upstream's whole region) and are
  read-only there;
- made on a village hub (the village's own services), they go up only.

A service follows the 14 components of Permenpan-RB 15/2014: the six a villager needs are shown
on the service page, the other eight are admin fields shown on a details view.
"""

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from hub.core.personal import phone_normalize
from hub.core.regions import REGION_PREFIX_RE
from hub.sync.records import SyncedRecord

# the letter types the village office can start (egov.letters' seeded codes); the request form
# is letters:request
LETTER_CODES = (
    ("domisili", _("Surat keterangan domisili")),
    ("usaha", _("Surat keterangan usaha (SKU)")),
    ("tidak-mampu", _("Surat keterangan tidak mampu (SKTM)")),
    ("pengantar-skck", _("Surat pengantar SKCK")),
    ("keterangan-umum", _("Surat keterangan umum")),
    ("kelahiran", _("Surat keterangan kelahiran")),
    ("kematian", _("Surat keterangan kematian")),
    ("pindah", _("Surat keterangan pindah")),
    ("pengantar-nikah", _("Surat pengantar nikah")),
    ("pengantar-kk", _("Surat pengantar KK")),
)


LANDLINE_RE = re.compile(r"^(?:\+62|0)?[1-9][0-9 \-]{1,14}\Z")


def letter_request_path(code: str) -> str:
    """Where a villager starts the letter request of type ``code`` (egov.letters' form), or ""
    where there is none: the upstream takes no letter requests (the personal data stays in the
    village)."""
    try:
        return reverse("letters:request", args=[code])
    except NoReverseMatch:
        return ""


def lines(text: str) -> list[str]:
    """The non-empty lines of a one-item-per-line field, stripped, list markers dropped."""
    out = []
    for raw in (text or "").splitlines():
        item = raw.strip().lstrip("-•*").strip()
        if item:
            out.append(item)
    return out


def region_validate(region: str) -> None:
    """A record's audience: blank or a Kemendagri code prefix (2, 4, 6 or 10 digits)."""
    if region and not REGION_PREFIX_RE.match(region):
        raise ValidationError(
            {
                "region": _(
                    "Kode wilayah harus 2, 4, 6 atau 10 angka (mis. 15 untuk provinsi, "
                    "1503 untuk kabupaten)."
                )
            }
        )


def region_field():
    """Who receives an upstream record: a Kemendagri code prefix, blank for the owner's whole
    region (see ``sync.region_audience``)."""
    return models.CharField(
        _("wilayah"),
        max_length=10,
        blank=True,
        help_text=_("Kode wilayah yang menerima data ini; kosong: seluruh wilayah pemilik."),
    )


# the eight components of a service's management (Permenpan-RB 15/2014), the regulation's order
MANAGEMENT_FIELDS = (
    "legal_basis",
    "facilities",
    "competence",
    "oversight",
    "staffing",
    "guarantee",
    "security",
    "evaluation",
)


class Category(models.TextChoices):
    KEPENDUDUKAN = "kependudukan", _("Kependudukan")
    KESEHATAN = "kesehatan", _("Kesehatan")
    PENDIDIKAN = "pendidikan", _("Pendidikan")
    PERTANIAN = "pertanian", _("Pertanian")
    SOSIAL = "sosial", _("Sosial")
    USAHA = "usaha", _("Usaha dan perizinan")
    PERTANAHAN = "pertanahan", _("Pertanahan")


class Office(SyncedRecord):
    """An office that serves villagers (kantor desa, kecamatan, Dukcapil, Puskesmas, Samsat …)
    with its address, hours and phone. Edited by upstream operators (their region's offices)
    or village officials (the village office); synced like the services that point to it."""

    class Kind(models.TextChoices):
        DESA = "desa", _("Kantor desa")
        KECAMATAN = "kecamatan", _("Kantor kecamatan")
        DUKCAPIL = "dukcapil", _("Dinas Dukcapil")
        PUSKESMAS = "puskesmas", _("Puskesmas")
        SAMSAT = "samsat", _("Samsat")
        POLSEK = "polisi", _("Kepolisian")
        KUA = "kua", _("KUA")
        BPJS = "bpjs", _("BPJS")
        DINAS = "dinas", _("Dinas lain")
        LAINNYA = "lainnya", _("Lainnya")

    name = models.CharField(_("nama kantor"), max_length=150)
    kind = models.CharField(_("jenis kantor"), max_length=20, choices=Kind.choices)
    address = models.TextField(_("alamat"), blank=True)
    hours = models.CharField(
        _("jam layanan"), max_length=150, blank=True, help_text=_("Mis. Senin–Jumat 08.00–15.00")
    )
    phone = models.CharField(_("telepon"), max_length=16, blank=True)
    region = region_field()
    updated_at = models.DateTimeField(auto_now=True)

    origin_guard_message = _("Kantor ini dikelola oleh %(origin)s dan hanya dapat diubah di sana.")

    class Meta:
        verbose_name = _("kantor layanan")
        verbose_name_plural = pgettext_lazy("jamak", "kantor layanan")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        region_validate(self.region)
        if self.phone:
            self.phone = " ".join(self.phone.split())
            try:
                self.phone = phone_normalize(self.phone)
            except ValidationError as exc:
                # an office may have a landline (0745 123456) or a short number (165)
                if not LANDLINE_RE.match(self.phone):
                    raise ValidationError(
                        {"phone": _("Tulis nomor telepon kantor, mis. 0745 123456.")}
                    ) from exc


class ServiceStandard(SyncedRecord):
    """One public service and its standard (Permenpan-RB 15/2014). Edited by upstream
    operators (province/kabupaten services, read-only on villages) or village officials (the
    village's own services, which go up only)."""

    title = models.CharField(_("nama layanan"), max_length=150)
    category = models.CharField(_("kategori"), max_length=20, choices=Category.choices)
    summary = models.CharField(_("ringkasan"), max_length=300, blank=True)
    # the six components villagers see
    requirements = models.TextField(
        _("persyaratan"), help_text=_("Satu syarat per baris; warga mencentangnya di ponsel.")
    )
    procedure = models.TextField(
        _("sistem, mekanisme dan prosedur"), help_text=_("Satu langkah per baris, berurutan.")
    )
    duration = models.CharField(_("jangka waktu"), max_length=150)
    free_of_charge = models.BooleanField(
        _("gratis"), default=True, help_text=_("Centang bila warga tidak membayar apa pun.")
    )
    cost = models.CharField(
        _("biaya/tarif"),
        max_length=300,
        blank=True,
        help_text=_("Wajib diisi bila layanan tidak gratis, mis. Rp 30.000 (PNBP)."),
    )
    product = models.CharField(_("produk layanan"), max_length=300)
    complaints = models.TextField(
        _("penanganan pengaduan, saran dan masukan"),
        help_text=_("Ke mana warga mengadu: kantor, nomor, SP4N-LAPOR!"),
    )
    # the eight components of the service's management (admin, shown on a details view)
    legal_basis = models.TextField(_("dasar hukum"), blank=True)
    facilities = models.TextField(_("sarana, prasarana dan/atau fasilitas"), blank=True)
    competence = models.TextField(_("kompetensi pelaksana"), blank=True)
    oversight = models.TextField(_("pengawasan internal"), blank=True)
    staffing = models.TextField(_("jumlah pelaksana"), blank=True)
    guarantee = models.TextField(_("jaminan pelayanan"), blank=True)
    security = models.TextField(_("jaminan keamanan dan keselamatan pelayanan"), blank=True)
    evaluation = models.TextField(_("evaluasi kinerja pelaksana"), blank=True)
    # where to go
    office = models.ForeignKey(
        Office,
        verbose_name=_("kantor yang melayani"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="services",
    )
    letter_code = models.CharField(
        _("surat dari kantor desa"),
        max_length=30,
        blank=True,
        choices=LETTER_CODES,
        help_text=_("Bila kantor desa dapat memulai layanan ini dengan surat, pilih jenisnya."),
    )
    region = region_field()
    active = models.BooleanField(_("ditampilkan"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    origin_guard_message = _(
        "Standar pelayanan ini dikelola oleh %(origin)s dan hanya dapat diubah di sana."
    )

    class Meta:
        verbose_name = _("standar pelayanan")
        verbose_name_plural = pgettext_lazy("jamak", "standar pelayanan")
        ordering = ["title"]
        indexes = [models.Index(fields=["active", "category", "title"], name="service_cat_title")]

    def __str__(self):
        return self.title

    def clean(self):
        super().clean()
        region_validate(self.region)
        errors = {}
        if not lines(self.requirements):
            errors["requirements"] = _("Tulis paling sedikit satu syarat.")
        if not lines(self.procedure):
            errors["procedure"] = _("Tulis paling sedikit satu langkah.")
        if not self.free_of_charge and not self.cost.strip():
            errors["cost"] = _("Tulis biayanya, atau centang “gratis”.")
        if errors:
            raise ValidationError(errors)

    @property
    def requirement_list(self) -> list[str]:
        return lines(self.requirements)

    @property
    def procedure_steps(self) -> list[str]:
        return lines(self.procedure)

    @property
    def letter_url(self) -> str:
        return letter_request_path(self.letter_code) if self.letter_code else ""

    def management_components(self) -> list[tuple[str, str]]:
        """The eight admin components, (label, text), in the regulation's order."""
        return [(self._meta.get_field(n).verbose_name, getattr(self, n)) for n in MANAGEMENT_FIELDS]
