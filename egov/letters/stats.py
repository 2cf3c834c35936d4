"""The letters' indicators for Satu Data (hub.stats): requests per type and status, and the
median time from request to decision. Counts and durations only: no request, person or
number leaves the village this way."""

from statistics import median

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from hub.stats.indicators import Indicator

from .models import DONE_STATUSES, LetterRequest

SOURCE = _("Layanan surat pada hub Balai desa")


def requests_by_type_and_status(start, end):
    rows = (
        LetterRequest.objects.filter(submitted_at__gte=start, submitted_at__lt=end)
        .values("letter_type__code", "status")
        .annotate(n=Count("pk"))
        .order_by("letter_type__code", "status")
    )
    return [
        ({"jenis_surat": row["letter_type__code"], "status": row["status"]}, row["n"])
        for row in rows
    ]


def median_days_to_decision(start, end):
    durations: dict[str, list[float]] = {}
    decided = LetterRequest.objects.filter(
        completed_at__gte=start, completed_at__lt=end, status__in=DONE_STATUSES
    ).values_list("letter_type__code", "submitted_at", "completed_at")
    for code, submitted, completed in decided:
        durations.setdefault(code, []).append((completed - submitted).total_seconds() / 86400)
    return [
        ({"jenis_surat": code}, round(median(days), 2)) for code, days in sorted(durations.items())
    ]


INDICATORS = [
    Indicator(
        code="surat.permohonan",
        name=_("Permohonan surat"),
        definition=_(
            "Banyaknya permohonan surat keterangan atau pengantar yang diterima kantor desa "
            "dalam satu bulan, menurut jenis surat dan status permohonan pada saat penghitungan."
        ),
        unit=_("permohonan"),
        method=_("Dihitung menurut bulan tanggal permohonan masuk (WIB), lewat hub atau anjungan."),
        source=SOURCE,
        dimensions=("jenis_surat", "status"),
        compute="egov.letters.stats.requests_by_type_and_status",
    ),
    Indicator(
        code="surat.lama_layanan",
        name=_("Median lama layanan surat"),
        definition=_(
            "Median waktu dari permohonan masuk sampai diputuskan (disetujui atau ditolak), "
            "untuk permohonan yang diputuskan dalam bulan itu, menurut jenis surat."
        ),
        unit=_("hari"),
        method=_(
            "Selisih waktu keputusan dan waktu permohonan, dalam hari (dua desimal); median per "
            "jenis surat. Tidak dapat dijumlahkan antardesa."
        ),
        source=SOURCE,
        dimensions=("jenis_surat",),
        additive=False,
        compute="egov.letters.stats.median_days_to_decision",
    ),
]
