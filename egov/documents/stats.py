"""The legal documents' indicator for Satu Data (hub.stats): the village's own documents
published per month, by type."""

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from hub.stats.indicators import Indicator

from .models import LegalDocument


def village_documents_by_kind(start, end):
    # the village's own documents only: the kabupaten's and the province's are counted there
    rows = (
        LegalDocument.objects.filter(
            published=True, enacted_on__gte=start.date(), enacted_on__lt=end.date()
        )
        .values("origin", "kind")
        .annotate(n=Count("pk"))
    )
    counts: dict[str, int] = {}
    for row in rows:
        if LegalDocument(origin=row["origin"]).is_local:
            counts[row["kind"]] = counts.get(row["kind"], 0) + row["n"]
    return [({"jenis": kind}, n) for kind, n in sorted(counts.items())]


INDICATORS = [
    Indicator(
        code="produk_hukum.terbit",
        name=_("Produk hukum desa yang ditetapkan"),
        definition=_(
            "Banyaknya produk hukum dan informasi publik desa (Perdes, Perkades, SK Kades, "
            "APBDes, RPJMDes/RKPDes …) yang ditetapkan dalam satu bulan dan ditampilkan di hub."
        ),
        unit=_("dokumen"),
        method=_("Dihitung menurut tanggal penetapan; hanya dokumen milik desa sendiri."),
        source=_("Produk hukum pada hub Balai desa"),
        dimensions=("jenis",),
        compute="egov.documents.stats.village_documents_by_kind",
    ),
]
