"""Courses, lessons, their blocks, quiz questions and the media behind them.

Every model here is a synced record (``elearning/courses/sync.py``). Courses are made by the
upstream's content teams (Dinas Pertanian, Dinkes, Dinas Koperasi/UMKM, Diskominfo) and go
down to the villages of their region, read-only there; a village may add a course of its own
(a local farmer's demonstration video), which goes up only. A course's lessons, blocks,
questions and media belong to the course's origin and follow it (same audience).

Media (video, audio, PDF, captions) is a :class:`MediaAsset`: its file travels as a blob by
SHA-256, in the bulk window, after the small records. A village shows a block whose file has not
arrived yet as "video tiba setelah sinkronisasi", never as a broken player.
"""

import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from hub.core.regions import region_prefix_check
from hub.sync.records import SyncedRecord

from .profiles import nickname_clean, nickname_key

COURSE_ORIGIN_MESSAGE = _(
    "Kursus ini dibuat oleh %(origin)s dan hanya dapat diubah di sana; salin isinya bila perlu."
)


class Category(models.TextChoices):
    PERTANIAN = "pertanian", _("Pertanian")
    KESEHATAN = "kesehatan", _("Kesehatan")
    USAHA = "usaha", _("Usaha/UMKM")
    PENDIDIKAN = "pendidikan", _("Pendidikan")
    LITERASI_DIGITAL = "literasi-digital", _("Literasi digital")
    KEUANGAN = "keuangan", _("Keuangan")


class Level(models.TextChoices):
    PEMULA = "pemula", _("Pemula")
    MENENGAH = "menengah", _("Menengah")
    LANJUT = "lanjut", _("Lanjut")


class Course(SyncedRecord):
    """A course: ordered lessons on one subject, with its licence and source. Edited by the
    upstream's content teams in the admin (or a village's officials for a local course);
    synced down to ``region`` (or the upstream's whole region when empty), or up from a
    village."""

    title = models.CharField(_("judul"), max_length=160)
    slug = models.SlugField(_("slug"), max_length=80)
    summary = models.TextField(_("ringkasan"), blank=True, max_length=1000)
    category = models.CharField(_("kategori"), max_length=20, choices=Category.choices)
    level = models.CharField(_("tingkat"), max_length=10, choices=Level.choices, default="pemula")
    language = models.CharField(
        _("bahasa"),
        max_length=10,
        default="id",
        help_text=_("Kode bahasa: id (Indonesia), en, jv, su, atau bahasa daerah lain."),
    )
    cover = models.ForeignKey(
        settings.WAGTAILIMAGES_IMAGE_MODEL,
        verbose_name=_("sampul"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    licence = models.CharField(
        _("lisensi"),
        max_length=120,
        help_text=_("Mis. CC BY 4.0, CC BY-SA 4.0, domain publik, atau nomor perjanjian."),
    )
    source = models.CharField(
        _("sumber"), max_length=200, help_text=_("Pembuat atau lembaga asal materi.")
    )
    region = models.CharField(
        _("wilayah tujuan"),
        max_length=10,
        blank=True,
        help_text=_(
            "Kode wilayah Kemendagri (2, 4, 6 atau 10 angka) bila kursus hanya untuk sebagian "
            "wilayah; kosong: seluruh wilayah server ini."
        ),
    )
    published = models.BooleanField(_("terbit"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("urutan"), default=100)
    updated_at = models.DateTimeField(auto_now=True)

    origin_guard_message = COURSE_ORIGIN_MESSAGE

    class Meta:
        verbose_name = _("kursus")
        verbose_name_plural = pgettext_lazy("jamak", "kursus")
        ordering = ["sort_order", "title"]
        constraints = [
            models.UniqueConstraint(fields=["origin", "slug"], name="course_slug_per_origin")
        ]

    def __str__(self):
        return self.title

    def clean(self):
        super().clean()
        region_prefix_check(self.region)
        if not (self.licence or "").strip() or not (self.source or "").strip():
            raise ValidationError(_("Setiap kursus wajib mencantumkan lisensi dan sumbernya."))


class Lesson(SyncedRecord):
    """One lesson of a course: ordered blocks. Edited with its course, travels with it."""

    course = models.ForeignKey(
        Course, verbose_name=_("kursus"), on_delete=models.CASCADE, related_name="lessons"
    )
    title = models.CharField(_("judul"), max_length=160)
    sort_order = models.PositiveSmallIntegerField(_("urutan"), default=100)

    origin_guard_message = COURSE_ORIGIN_MESSAGE

    class Meta:
        verbose_name = _("pelajaran")
        verbose_name_plural = pgettext_lazy("jamak", "pelajaran")
        ordering = ["course", "sort_order", "title"]

    def __str__(self):
        return self.title


class MediaKind(models.TextChoices):
    VIDEO = "video", _("Video")
    AUDIO = "audio", _("Audio")
    PDF = "pdf", _("PDF")
    CAPTIONS = "captions", _("Teks film (WebVTT)")


class TranscodeStatus(models.TextChoices):
    WAITING = "menunggu", _("Menunggu diproses")
    READY = "siap", _("Siap")
    FAILED = "gagal", _("Gagal")


MEDIA_TYPES = {
    MediaKind.VIDEO: "video/mp4",
    MediaKind.AUDIO: "audio/mp4",
    MediaKind.PDF: "application/pdf",
    MediaKind.CAPTIONS: "text/vtt",
}


def media_upload_to(instance, filename):
    # a fresh directory per file: a name is never reused for other bytes, so /media/ may let
    # phones cache it for good
    return f"belajar/{uuid.uuid4().hex[:16]}/{filename}"


class MediaAsset(SyncedRecord):
    """A video, audio track, PDF or captions file of a course. Uploaded upstream by a content
    team; video and audio are transcoded there for phones (``tasks.py``) before they travel.
    The file goes down as a blob in the bulk window; until it has arrived ``file`` is empty on
    a village and the pages say it is on its way."""

    course = models.ForeignKey(
        Course, verbose_name=_("kursus"), on_delete=models.CASCADE, related_name="media"
    )
    kind = models.CharField(_("jenis"), max_length=10, choices=MediaKind.choices)
    title = models.CharField(_("judul"), max_length=160)
    file = models.FileField(_("berkas"), upload_to=media_upload_to, blank=True, max_length=200)
    sha256 = models.CharField(max_length=64, blank=True, editable=False)
    size = models.PositiveBigIntegerField(_("ukuran (bita)"), default=0, editable=False)
    duration = models.PositiveIntegerField(_("durasi (detik)"), default=0, editable=False)
    language = models.CharField(
        _("bahasa"), max_length=10, default="id", help_text=_("Bahasa suara atau teks film.")
    )
    poster = models.ForeignKey(
        settings.WAGTAILIMAGES_IMAGE_MODEL,
        verbose_name=_("gambar sampul video"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=TranscodeStatus.choices,
        default=TranscodeStatus.WAITING,
        editable=False,
    )
    status_message = models.CharField(_("keterangan"), max_length=300, blank=True, editable=False)

    origin_guard_message = COURSE_ORIGIN_MESSAGE

    class Meta:
        verbose_name = _("media kursus")
        verbose_name_plural = pgettext_lazy("jamak", "media kursus")
        ordering = ["course", "title"]

    def __str__(self):
        return self.title

    @property
    def arrived(self) -> bool:
        """The file is on this hub (a village gets it after the record, in the bulk window)."""
        return bool(self.file) and self.status == TranscodeStatus.READY

    @property
    def content_type(self) -> str:
        return MEDIA_TYPES[self.kind]


class BlockKind(models.TextChoices):
    TEXT = "teks", _("Teks")
    IMAGE = "gambar", _("Gambar")
    VIDEO = "video", _("Video")
    AUDIO = "audio", _("Audio")
    PDF = "pdf", _("PDF")
    QUIZ = "kuis", _("Kuis")


BLOCK_MEDIA_KINDS = {
    BlockKind.VIDEO: MediaKind.VIDEO,
    BlockKind.AUDIO: MediaKind.AUDIO,
    BlockKind.PDF: MediaKind.PDF,
}


class Block(SyncedRecord):
    """One block of a lesson, in order: text, an image, a video (with captions), an audio
    track, a PDF, or a quiz (its :class:`Question` rows). Travels with its course."""

    lesson = models.ForeignKey(
        Lesson, verbose_name=_("pelajaran"), on_delete=models.CASCADE, related_name="blocks"
    )
    kind = models.CharField(_("jenis"), max_length=10, choices=BlockKind.choices)
    sort_order = models.PositiveSmallIntegerField(_("urutan"), default=100)
    heading = models.CharField(_("judul bagian"), max_length=160, blank=True)
    text = models.TextField(_("teks"), blank=True, max_length=20000)
    image = models.ForeignKey(
        settings.WAGTAILIMAGES_IMAGE_MODEL,
        verbose_name=_("gambar"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    media = models.ForeignKey(
        MediaAsset,
        verbose_name=_("media"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    captions = models.ForeignKey(
        MediaAsset,
        verbose_name=_("teks film"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    origin_guard_message = COURSE_ORIGIN_MESSAGE

    class Meta:
        verbose_name = _("bagian pelajaran")
        verbose_name_plural = pgettext_lazy("jamak", "bagian pelajaran")
        ordering = ["lesson", "sort_order"]

    def __str__(self):
        return self.heading or self.get_kind_display()

    def clean(self):
        super().clean()
        errors = {}
        if self.kind == BlockKind.TEXT and not self.text.strip():
            errors["text"] = _("Bagian teks perlu isi.")
        if self.kind == BlockKind.IMAGE and not self.image_id:
            errors["image"] = _("Pilih gambarnya.")
        wanted = BLOCK_MEDIA_KINDS.get(self.kind)
        if wanted and (self.media is None or self.media.kind != wanted):
            errors["media"] = _("Pilih media berjenis %(kind)s.") % {
                "kind": MediaKind(wanted).label
            }
        if self.captions is not None and self.captions.kind != MediaKind.CAPTIONS:
            errors["captions"] = _("Teks film harus berkas WebVTT.")
        if errors:
            raise ValidationError(errors)


class QuestionKind(models.TextChoices):
    CHOICE = "pilihan", _("Pilihan ganda")
    TRUE_FALSE = "benar-salah", _("Benar/salah")


TRUE_FALSE_CHOICES = (_("Benar"), _("Salah"))


def validate_choices(value):
    if (
        not isinstance(value, list)
        or not all(isinstance(c, str) and c.strip() for c in value)
        or not 2 <= len(value) <= 6
    ):
        raise ValidationError(_("Tulis 2 sampai 6 pilihan jawaban, tidak ada yang kosong."))


class Question(SyncedRecord):
    """A quiz question of a quiz block: multiple choice (2–6 choices) or true/false, the index
    of the right answer and an explanation shown after answering. Graded on the server."""

    block = models.ForeignKey(
        Block, verbose_name=_("kuis"), on_delete=models.CASCADE, related_name="questions"
    )
    kind = models.CharField(
        _("jenis"), max_length=12, choices=QuestionKind.choices, default=QuestionKind.CHOICE
    )
    sort_order = models.PositiveSmallIntegerField(_("urutan"), default=100)
    prompt = models.TextField(_("pertanyaan"), max_length=1000)
    choices = models.JSONField(
        _("pilihan jawaban"),
        default=list,
        blank=True,
        help_text=_(
            'Daftar pilihan, mis. ["Pupuk kandang", "Pestisida"]. Kosong untuk benar/salah.'
        ),
    )
    answer = models.PositiveSmallIntegerField(
        _("jawaban benar (nomor urut, mulai 0)"), default=0, validators=[MaxValueValidator(5)]
    )
    explanation = models.TextField(_("penjelasan"), max_length=2000, blank=True)

    origin_guard_message = COURSE_ORIGIN_MESSAGE

    class Meta:
        verbose_name = _("pertanyaan kuis")
        verbose_name_plural = pgettext_lazy("jamak", "pertanyaan kuis")
        ordering = ["block", "sort_order"]

    def __str__(self):
        return self.prompt[:60]

    @property
    def options(self) -> list[str]:
        if self.kind == QuestionKind.TRUE_FALSE:
            return [str(c) for c in TRUE_FALSE_CHOICES]
        return list(self.choices)

    def clean(self):
        super().clean()
        if self.kind == QuestionKind.TRUE_FALSE:
            self.choices = []
            if self.answer > 1:
                raise ValidationError({"answer": _("Benar/salah: 0 untuk benar, 1 untuk salah.")})
            return
        try:
            validate_choices(self.choices)
        except ValidationError as exc:
            raise ValidationError({"choices": exc.messages}) from exc
        if self.answer >= len(self.choices):
            raise ValidationError({"answer": _("Nomor jawaban benar melebihi jumlah pilihan.")})


CERTIFICATE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def certificate_token() -> str:
    return "".join(secrets.choice(CERTIFICATE_ALPHABET) for _ in range(10))


class Certificate(models.Model):
    """A certificate of completion, issued on this hub to a phone whose signed progress says the
    course is done. Verifiable by its random code on the hub that issued it; it holds no
    personal data beyond an optional nickname. Local: does not sync (a course withdrawn later
    keeps its certificates, with the title they were issued for)."""

    token = models.CharField(_("kode"), max_length=10, unique=True, default=certificate_token)
    course = models.ForeignKey(
        Course, verbose_name=_("kursus"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    course_title = models.CharField(_("judul kursus"), max_length=160)
    course_source = models.CharField(_("sumber"), max_length=200)
    lesson_count = models.PositiveSmallIntegerField(_("jumlah pelajaran"))
    nickname = models.CharField(_("nama panggilan"), max_length=40, blank=True)
    issued_at = models.DateTimeField(_("diterbitkan"), auto_now_add=True)

    class Meta:
        verbose_name = _("sertifikat")
        verbose_name_plural = pgettext_lazy("jamak", "sertifikat")
        ordering = ["-issued_at"]

    def __str__(self):
        return f"{self.token} · {self.course_title}"


class CourseMonthStat(SyncedRecord):
    """How a course was used on one hub in one month, with no personal data: devices that
    started it, devices that completed it, and per quiz question the first answers given and
    how many were right (to find bad questions). Written by the hub as learners go; owned by
    the hub and sent up only, where content teams read the sums. The course is named by id and
    title, not a foreign key, so withdrawing a course keeps its history."""

    course_id_ref = models.UUIDField(_("kursus (id)"), db_index=True)
    course_title = models.CharField(_("judul kursus"), max_length=160)
    month = models.DateField(_("bulan"))
    started = models.PositiveIntegerField(_("mulai"), default=0)
    completed = models.PositiveIntegerField(_("selesai"), default=0)
    answers = models.JSONField(
        _("jawaban pertama per soal"),
        default=dict,
        blank=True,
        help_text=_("{id soal: [dijawab, benar]}"),
    )

    class Meta:
        verbose_name = _("statistik kursus per bulan")
        verbose_name_plural = pgettext_lazy("jamak", "statistik kursus per bulan")
        ordering = ["-month", "course_title"]
        constraints = [
            models.UniqueConstraint(
                fields=["origin", "course_id_ref", "month"], name="course_stat_per_month"
            )
        ]

    def __str__(self):
        return f"{self.course_title} · {self.month:%Y-%m}"


class GroupKind(models.TextChoices):
    KELOMPOK = "kelompok", _("Kelompok")
    KELAS = "kelas", _("Kelas")


class LearnerGroup(models.Model):
    """A class or learning group of the village (kelas, kelompok: "Kelompok Tani Maju"), made by
    the village's officials in the admin; its facilitators (pendamping) see its learners'
    progress. Local to the hub: it does not sync (only the month's figures go up, with no
    names)."""

    name = models.CharField(_("nama"), max_length=80, unique=True)
    kind = models.CharField(
        _("jenis"), max_length=10, choices=GroupKind.choices, default=GroupKind.KELOMPOK
    )
    facilitators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("pendamping"),
        blank=True,
        related_name="learner_groups",
        help_text=_("Akun admin yang melihat kemajuan kelompok ini (kelompok Pendamping)."),
    )
    active = models.BooleanField(
        _("aktif"), default=True, help_text=_("Hanya kelompok aktif yang dapat dipilih pelajar.")
    )

    class Meta:
        verbose_name = _("kelompok belajar")
        verbose_name_plural = pgettext_lazy("jamak", "kelompok belajar")
        ordering = ["name"]
        permissions = [("view_learner_progress", _("Melihat kemajuan pelajar kelompoknya"))]

    def __str__(self):
        return self.name


class Learner(models.Model):
    """An optional learner profile: a nickname and a 4-digit PIN, in one group — not an admin
    account and nothing personal beyond the nickname. Made by the learner on the course pages;
    the progress it holds has the shape of the device cookie (``progress.py``: finished
    lessons, best quiz scores, certificates) so both merge with the same code. The PIN is
    hashed with a salt (``profiles.py``) and guarded by a lock after wrong tries. Local to the
    hub: profiles never sync."""

    nickname = models.CharField(_("nama panggilan"), max_length=40)
    nickname_key = models.CharField(max_length=40, unique=True, editable=False)
    group = models.ForeignKey(
        LearnerGroup,
        verbose_name=_("kelompok"),
        on_delete=models.PROTECT,
        related_name="learners",
    )
    pin_hash = models.CharField(max_length=128, editable=False)
    failed_pins = models.PositiveSmallIntegerField(_("PIN salah berturut-turut"), default=0)
    locked_until = models.DateTimeField(_("terkunci sampai"), null=True, blank=True)
    login_version = models.PositiveIntegerField(default=1, editable=False)
    progress = models.JSONField(default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)
    last_seen = models.DateTimeField(_("terakhir belajar"), null=True, blank=True)

    class Meta:
        verbose_name = _("pelajar")
        verbose_name_plural = pgettext_lazy("jamak", "pelajar")
        ordering = ["group", "nickname"]

    def __str__(self):
        return self.nickname

    def save(self, *args, **kwargs):
        self.nickname_key = nickname_key(self.nickname)
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        self.nickname = nickname_clean(self.nickname)
        taken = Learner.objects.filter(nickname_key=nickname_key(self.nickname))
        if taken.exclude(pk=self.pk).exists():
            raise ValidationError({"nickname": _("Nama panggilan ini sudah dipakai.")})


class PinFailure(models.Model):
    """One wrong PIN (or unknown nickname) typed from one client address, kept for an hour: the
    login refuses an address with too many, so trying one PIN on every nickname cannot lock the
    village's profiles one after another. The address is kept only as a keyed hash. Local: does
    not sync."""

    address_key = models.CharField(max_length=64, db_index=True)
    at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("PIN salah")
        verbose_name_plural = pgettext_lazy("jamak", "PIN salah")

    def __str__(self):
        return f"{self.address_key[:8]} · {self.at:%Y-%m-%d %H:%M}"
