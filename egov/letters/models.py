"""Letter types, requests, their attachments, the numbering counter, the view log, the
verification record that travels up, and forwarding to an office such as the kecamatan.

What syncs: :class:`LetterVerification` (village-owned, up; nothing personal),
:class:`ForwardRecipient` (upstream-owned, down to its region: an office's public key) and
:class:`LetterForward` (village-owned, up: the personal fields a type forwards, sealed to the
recipient's key, unreadable on the upstream). Everything else stays on the village hub: a
request's name, NIK, KK, phone, address and the type's field values are encrypted at rest with
the hub's field key.
"""

import re
import string
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hub.core.fields import BlindIndexField, EncryptedTextField
from hub.core.personal import personal_number_masked, phone_masked
from hub.core.regions import REGION_PREFIX_RE
from hub.sync.records import SyncedRecord

# a tracking code: no 0/O, 1/I/L, 2/Z, 5/S, 8/B that a villager could misread from a phone
TRACKING_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
TRACKING_LENGTH = 8

FIELD_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}\Z")
PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")
FIELD_KINDS = ("text", "textarea", "date", "choice", "person")

# placeholders every letter body may use, besides the type's own fields
COMMON_PLACEHOLDERS = {
    "nama": _("nama pemohon"),
    "nik": _("NIK pemohon"),
    "kk": _("nomor KK pemohon"),
    "alamat": _("alamat pemohon"),
    "jenis_kelamin": _("jenis kelamin (dari NIK)"),
    "tanggal_lahir": _("tanggal lahir (dari NIK)"),
    "keperluan": _("keperluan"),
    "desa": _("nama desa"),
    "kecamatan": _("kecamatan"),
    "kabupaten": _("kabupaten/kota"),
    "provinsi": _("provinsi"),
}
NUMBER_PARTS = {"seq", "year", "month", "month_roman", "klasifikasi"}
MAX_FIELDS = 20
MAX_ATTACHMENTS = 6


def field_placeholders(fields: list) -> set[str]:
    """The placeholder names a type's fields give (a person gives ``x`` and ``x_nik``)."""
    names = set()
    for spec in fields or []:
        names.add(spec["name"])
        if spec.get("kind") == "person":
            names.add(f"{spec['name']}_nik")
    return names


def fields_check(fields) -> list[str]:
    """Errors in a type's field list (structured data the admin edits as JSON)."""
    if not isinstance(fields, list):
        return [str(_("Daftar isian harus berupa daftar (list) JSON."))]
    if len(fields) > MAX_FIELDS:
        return [str(_("Paling banyak %(max)d isian.") % {"max": MAX_FIELDS})]
    errors, seen = [], set(COMMON_PLACEHOLDERS)
    for index, spec in enumerate(fields, start=1):
        if not isinstance(spec, dict):
            errors.append(str(_("Isian ke-%(n)d bukan objek JSON.") % {"n": index}))
            continue
        name = spec.get("name", "")
        if not isinstance(name, str) or not FIELD_NAME_RE.match(name):
            errors.append(
                str(
                    _("Isian ke-%(n)d: nama harus huruf kecil, angka atau garis bawah.")
                    % {"n": index}
                )
            )
            continue
        if name in seen or f"{name}_nik" in seen:
            errors.append(str(_("Isian '%(name)s' dipakai dua kali.") % {"name": name}))
        seen.update({name, f"{name}_nik"} if spec.get("kind") == "person" else {name})
        if spec.get("kind") not in FIELD_KINDS:
            errors.append(
                str(
                    _("Isian '%(name)s': jenis harus salah satu dari %(kinds)s.")
                    % {"name": name, "kinds": ", ".join(FIELD_KINDS)}
                )
            )
        if not isinstance(spec.get("label"), str) or not spec.get("label", "").strip():
            errors.append(str(_("Isian '%(name)s' tidak punya label.") % {"name": name}))
        choices = spec.get("choices")
        if spec.get("kind") == "choice" and (
            not isinstance(choices, list)
            or not choices
            or not all(isinstance(c, str) and c.strip() for c in choices)
        ):
            errors.append(str(_("Isian '%(name)s' perlu daftar pilihan.") % {"name": name}))
    return errors


def attachments_check(attachments) -> list[str]:
    if not isinstance(attachments, list):
        return [str(_("Daftar lampiran harus berupa daftar (list) JSON."))]
    if len(attachments) > MAX_ATTACHMENTS:
        return [str(_("Paling banyak %(max)d lampiran.") % {"max": MAX_ATTACHMENTS})]
    errors, seen = [], set()
    for index, spec in enumerate(attachments, start=1):
        name = spec.get("name", "") if isinstance(spec, dict) else ""
        if not isinstance(name, str) or not FIELD_NAME_RE.match(name) or name in seen:
            errors.append(str(_("Lampiran ke-%(n)d: nama tidak sah atau ganda.") % {"n": index}))
            continue
        seen.add(name)
        if not isinstance(spec.get("label"), str) or not spec["label"].strip():
            errors.append(str(_("Lampiran '%(name)s' tidak punya label.") % {"name": name}))
    return errors


def body_placeholders_check(body: str, fields) -> list[str]:
    """Each ``{name}`` in a body must be a common placeholder or one of the type's fields."""
    known = set(COMMON_PLACEHOLDERS) | field_placeholders(
        fields if isinstance(fields, list) else []
    )
    unknown = sorted({name for name in PLACEHOLDER_RE.findall(body or "") if name not in known})
    if not unknown:
        return []
    return [
        str(
            _("Isian {%(names)s} di isi surat tidak dikenal. Yang boleh: %(known)s.")
            % {"names": "}, {".join(unknown), "known": ", ".join(sorted(known))}
        )
    ]


def forward_fields_check(forward_to: str, forward_fields, fields) -> list[str]:
    """A forwarding type names its recipient and at least one known field; a type that does
    not forward names none (nothing personal leaves the village by accident)."""
    if not isinstance(forward_fields, list) or not all(
        isinstance(name, str) for name in forward_fields
    ):
        return [str(_("Isian yang diteruskan harus berupa daftar (list) JSON nama isian."))]
    if not forward_to:
        if forward_fields:
            return [str(_("Isian yang diteruskan diisi, tetapi penerimanya tidak."))]
        return []
    if not forward_fields:
        return [str(_("Pilih isian yang diteruskan ke penerima (paling sedikit satu)."))]
    known = set(COMMON_PLACEHOLDERS) | field_placeholders(
        fields if isinstance(fields, list) else []
    )
    unknown = sorted(set(forward_fields) - known)
    if unknown:
        return [
            str(
                _("Isian %(names)s tidak dikenal. Yang boleh: %(known)s.")
                % {"names": ", ".join(unknown), "known": ", ".join(sorted(known))}
            )
        ]
    if len(set(forward_fields)) != len(forward_fields):
        return [str(_("Isian yang diteruskan memuat nama ganda."))]
    return []


def number_pattern_check(pattern: str) -> list[str]:
    try:
        parts = [name for _text, name, _spec, _conv in string.Formatter().parse(pattern or "")]
        names = {name for name in parts if name is not None}
    except ValueError:
        return [str(_("Pola nomor tidak sah (kurung kurawal tidak berpasangan)."))]
    unknown = names - NUMBER_PARTS
    if unknown:
        return [
            str(
                _("Pola nomor memakai {%(names)s} yang tidak dikenal. Yang boleh: %(known)s.")
                % {"names": "}, {".join(sorted(unknown)), "known": ", ".join(sorted(NUMBER_PARTS))}
            )
        ]
    if "seq" not in names:
        return [str(_("Pola nomor harus memuat {seq} (nomor urut)."))]
    try:
        number_format(pattern, seq=1, year=2026, month=1, klasifikasi="470")
    except (ValueError, TypeError, IndexError, KeyError):
        return [str(_("Pola nomor tidak sah, misalnya 470/{seq:03}/DS/{year}."))]
    return []


ROMAN_MONTHS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")


def number_format(pattern: str, *, seq: int, year: int, month: int, klasifikasi: str) -> str:
    return pattern.format(
        seq=seq,
        year=year,
        month=month,
        month_roman=ROMAN_MONTHS[month - 1],
        klasifikasi=klasifikasi,
    )


class LetterType(models.Model):
    """A kind of letter the village office issues (SKTM, SKU, domisili …), configured by
    officials in the admin: the fields a villager fills in, the photos to attach, the body with
    placeholders, the classification code and the numbering pattern. ``code`` is the stable
    slug other apps link to (``egov.services`` starts a letter by it). Local, not synced."""

    code = models.SlugField(_("kode"), max_length=40, unique=True)
    name = models.CharField(_("nama surat"), max_length=120)
    description = models.TextField(_("keterangan untuk warga"), blank=True)
    klasifikasi = models.CharField(
        _("kode klasifikasi arsip"),
        max_length=20,
        help_text=_("Kode klasifikasi arsip Permendagri 83/2022, misalnya 470 (kependudukan)."),
        validators=[RegexValidator(r"^[0-9]{3}(\.[0-9]{1,3}){0,3}\Z")],
    )
    number_pattern = models.CharField(
        _("pola nomor"),
        max_length=80,
        default="{klasifikasi}/{seq:03}/DS/{year}",
        help_text=_(
            "Bagian: {seq} nomor urut (per jenis dan tahun), {year}, {month}, {month_roman}, "
            "{klasifikasi}. Contoh: 470/{seq:03}/DS/{year}."
        ),
    )
    fields = models.JSONField(
        _("isian"),
        default=list,
        blank=True,
        help_text=_(
            'Daftar JSON: [{"name": "nama_usaha", "label": "Nama usaha", "kind": "text", '
            '"required": true}]. Jenis: text, textarea, date, choice (dengan "choices"), person.'
        ),
    )
    attachments = models.JSONField(
        _("lampiran wajib"),
        default=list,
        blank=True,
        help_text=_('Daftar JSON: [{"name": "ktp", "label": "Foto KTP"}].'),
    )
    body_template = models.TextField(
        _("isi surat"),
        help_text=_("Teks surat dengan isian dalam kurung kurawal, misalnya {nama} dan {nik}."),
    )
    signer_name = models.CharField(_("nama penanda tangan"), max_length=120, blank=True)
    signer_position = models.CharField(
        _("jabatan penanda tangan"), max_length=120, default="Kepala Desa"
    )
    forward_to = models.SlugField(
        _("teruskan ke"),
        max_length=40,
        blank=True,
        help_text=_(
            "Kode penerima (mis. kantor kecamatan) yang menerima data pribadi surat ini, "
            "terenkripsi dengan kunci publiknya. Kosong: tidak ada data pribadi yang keluar desa."
        ),
    )
    forward_fields = models.JSONField(
        _("isian yang diteruskan"),
        default=list,
        blank=True,
        help_text=_('Daftar JSON nama isian, mis. ["nama", "nik", "kk", "alamat"].'),
    )
    active = models.BooleanField(_("dibuka untuk warga"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("urutan"), default=100)

    class Meta:
        verbose_name = _("jenis surat")
        verbose_name_plural = _("jenis surat")
        ordering = ["sort_order", "name"]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        errors = {}
        for field, found in (
            ("fields", fields_check(self.fields)),
            ("attachments", attachments_check(self.attachments)),
            ("body_template", body_placeholders_check(self.body_template, self.fields)),
            ("number_pattern", number_pattern_check(self.number_pattern)),
            (
                "forward_fields",
                forward_fields_check(self.forward_to, self.forward_fields, self.fields),
            ),
        ):
            if found:
                errors[field] = found
        if (
            self.forward_to
            and not ForwardRecipient.objects.filter(code=self.forward_to, active=True).exists()
        ):
            errors["forward_to"] = [
                str(
                    _(
                        "Penerima '%(code)s' tidak ada di hub ini (atau tidak aktif). Penerima "
                        "didaftarkan di server induk dan tiba lewat sinkronisasi."
                    )
                    % {"code": self.forward_to}
                )
            ]
        if errors:
            raise ValidationError(errors)


class LetterCounter(models.Model):
    """The last number given to a type's letters in a year. Approving a letter increments it
    in the transaction that stores the number, so numbers have no gap and no duplicate."""

    letter_type = models.ForeignKey(LetterType, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["letter_type", "year"], name="letter_counter_per_year")
        ]

    def __str__(self):
        return f"{self.letter_type_id}/{self.year}: {self.last}"


class RequestStatus(models.TextChoices):
    SUBMITTED = "diajukan", _("Diajukan, menunggu pemeriksaan")
    CORRECTION = "perbaikan", _("Perlu diperbaiki")
    REJECTED = "ditolak", _("Ditolak")
    APPROVED = "disetujui", _("Disetujui, surat siap")


OPEN_STATUSES = (RequestStatus.SUBMITTED, RequestStatus.CORRECTION)
DONE_STATUSES = (RequestStatus.REJECTED, RequestStatus.APPROVED)


class LetterRequest(models.Model):
    """A villager's request for a letter (no account: a tracking code and the phone number).

    Personal data (name, NIK, KK, phone, address, the type's field values) is encrypted at
    rest; NIK and KK have blind indexes for exact lookup. Local to the village: never synced,
    never in a URL, masked in every list. Erased after the retention period
    (``anonymised_at``); the letter's :class:`LetterVerification` stays."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(_("kode pelacakan"), max_length=12, unique=True)
    letter_type = models.ForeignKey(
        LetterType, verbose_name=_("jenis surat"), on_delete=models.PROTECT, related_name="requests"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=RequestStatus.choices, default=RequestStatus.SUBMITTED
    )
    name = EncryptedTextField(_("nama"), blank=True)
    nik = EncryptedTextField(_("NIK"), blank=True)
    nik_index = BlindIndexField(source="nik")
    kk = EncryptedTextField(_("nomor KK"), blank=True)
    kk_index = BlindIndexField(source="kk")
    phone = EncryptedTextField(_("nomor HP"), blank=True)
    address = EncryptedTextField(_("alamat"), blank=True)
    purpose = EncryptedTextField(_("keperluan"), blank=True)
    # the type's field values, as JSON, encrypted like the rest
    data = EncryptedTextField(_("isian"), blank=True)
    correction_note = models.TextField(_("yang perlu diperbaiki"), blank=True)
    reject_reason = models.TextField(_("alasan penolakan"), blank=True)
    submitted_at = models.DateTimeField(_("diajukan"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("diubah"), auto_now=True)
    completed_at = models.DateTimeField(_("selesai"), null=True, blank=True, db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("diputuskan oleh"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    number = models.CharField(_("nomor surat"), max_length=80, blank=True)
    letter_date = models.DateField(_("tanggal surat"), null=True, blank=True)
    pdf_sha256 = models.CharField(_("SHA-256 PDF"), max_length=64, blank=True)
    # the letter's PDF, relative to the private directory (conf.private_dir)
    pdf_path = models.CharField(max_length=200, blank=True, editable=False)
    verification = models.OneToOneField(
        "LetterVerification",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="request",
    )
    # HMAC of the client address, for the rate limit
    client_key = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    attachments_deleted_at = models.DateTimeField(null=True, blank=True)
    anonymised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("permohonan surat")
        verbose_name_plural = _("permohonan surat")
        ordering = ["-submitted_at"]
        # the officials' queue by status, newest first (count and page of one status)
        indexes = [models.Index(fields=["status", "-submitted_at"], name="letters_request_queue")]
        permissions = [
            ("review_letterrequest", _("Dapat memeriksa permohonan surat dan data pribadinya"))
        ]

    def __str__(self):
        return self.code

    @property
    def nik_masked(self) -> str:
        return personal_number_masked(self.nik)

    @property
    def kk_masked(self) -> str:
        return personal_number_masked(self.kk)

    @property
    def phone_masked(self) -> str:
        return phone_masked(self.phone) if self.phone else ""

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class LetterAttachment(models.Model):
    """A photo of a document (KTP, KK, pengantar RT) sent with a request: re-encoded as JPEG
    without metadata and kept under the private data directory, never public. Local."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request = models.ForeignKey(LetterRequest, on_delete=models.CASCADE, related_name="photos")
    kind = models.CharField(_("lampiran"), max_length=40)
    label = models.CharField(_("label"), max_length=120)
    path = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self):
        return self.label


class LetterViewLog(models.Model):
    """Who opened a request's personal data (its detail, a photo, the letter), or erased it at
    the villager's request, and when."""

    class Action(models.TextChoices):
        DETAIL = "detail", _("membuka rincian")
        PHOTO = "foto", _("membuka lampiran")
        PDF = "pdf", _("membuka surat")
        ERASE = "hapus", _("menghapus data pribadi")

    request = models.ForeignKey(LetterRequest, on_delete=models.CASCADE, related_name="views")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=10, choices=Action.choices)
    viewed_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-viewed_at"]

    def __str__(self):
        return f"{self.viewed_at:%Y-%m-%d %H:%M} {self.action}"


class VerificationStatus(models.TextChoices):
    VALID = "sah", _("Sah")
    REVOKED = "dicabut", _("Dicabut")


class LetterVerification(SyncedRecord):
    """What a third party may know about an issued letter: its type, number, date, village,
    the SHA-256 of its PDF and whether it still stands. Found by a random token (the QR code),
    never by the number. Village-owned, synced up so the upstream verifies it too. Nothing
    personal: no name, no NIK, no request."""

    token = models.CharField(max_length=43, unique=True)
    letter_type_code = models.CharField(max_length=40)
    letter_type_name = models.CharField(_("jenis surat"), max_length=120)
    number = models.CharField(_("nomor surat"), max_length=80)
    letter_date = models.DateField(_("tanggal surat"))
    village_code = models.CharField(_("kode desa"), max_length=10)
    village_name = models.CharField(_("desa"), max_length=160, blank=True)
    pdf_sha256 = models.CharField(_("SHA-256 PDF"), max_length=64)
    status = models.CharField(
        max_length=8, choices=VerificationStatus.choices, default=VerificationStatus.VALID
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    origin_guard_message = _(
        "Surat ini diterbitkan desa %(origin)s dan hanya dapat diubah di sana."
    )

    class Meta:
        verbose_name = _("verifikasi surat")
        verbose_name_plural = _("verifikasi surat")

    def __str__(self):
        return self.number


class ForwardRecipient(SyncedRecord):
    """An office that may receive personal data from letters (a kantor kecamatan, Dukcapil):
    its name and X25519 public key. Registered on the upstream by an operator
    (``letters_recipient_set``), upstream-owned, synced down to the villages of ``region`` (a
    Kemendagri code prefix, e.g. the kecamatan's six digits); read-only on a village. Holds no
    secret: the private key stays with the office."""

    code = models.SlugField(_("kode"), max_length=40, unique=True)
    name = models.CharField(_("nama"), max_length=160)
    region = models.CharField(
        _("wilayah"),
        max_length=10,
        help_text=_("Kode wilayah desa-desa yang boleh meneruskan ke penerima ini."),
        validators=[RegexValidator(REGION_PREFIX_RE)],
    )
    public_key = models.CharField(_("kunci publik (X25519, base64)"), max_length=64)
    key_id = models.CharField(_("sidik kunci"), max_length=16)
    active = models.BooleanField(_("aktif"), default=True)

    origin_guard_message = _(
        "Penerima ini didaftarkan di server induk %(origin)s dan hanya dapat diubah di sana."
    )

    class Meta:
        verbose_name = _("penerima data surat")
        verbose_name_plural = _("penerima data surat")
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.code})"


class LetterForward(SyncedRecord):
    """The personal fields a letter type forwards, of one approved letter, sealed to the
    recipient's public key (:mod:`egov.letters.sealing`). Made by the village on approval,
    village-owned, synced up; the upstream stores it but cannot read it, the recipient opens it
    with its private key (``letters_forward_read``). In the clear only what is not personal:
    which letter (type, number, date, village, verification token) and for whom. Erased with
    the request (``sealed`` emptied, the facts kept)."""

    recipient_code = models.CharField(_("penerima"), max_length=40, db_index=True)
    key_id = models.CharField(_("sidik kunci"), max_length=16)
    token = models.CharField(max_length=43)
    letter_type_code = models.CharField(max_length=40)
    number = models.CharField(_("nomor surat"), max_length=80)
    letter_date = models.DateField(_("tanggal surat"))
    village_code = models.CharField(_("kode desa"), max_length=10)
    # empty once the request's personal data is erased (egov.letters.retention): the change
    # syncs up like any other and replaces the upstream's copy of the ciphertext
    sealed = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    origin_guard_message = _("Data ini dibuat desa %(origin)s dan hanya dapat diubah di sana.")

    class Meta:
        verbose_name = _("data surat yang diteruskan")
        verbose_name_plural = _("data surat yang diteruskan")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.number} → {self.recipient_code}"

    def associated_data(self) -> bytes:
        """What the ciphertext is bound to: changing any of it makes the record unreadable."""
        return "|".join(
            (
                str(self.id),
                self.recipient_code,
                self.key_id,
                self.village_code,
                self.letter_type_code,
                self.number,
                self.letter_date.isoformat(),
                self.token,
            )
        ).encode()
