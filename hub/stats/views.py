"""The upstream's statistics page in the admin: a table per kabupaten, kecamatan or village, and
its CSV. Staff with the permission to view statistics series only."""

from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from hub.core.exports import csv_response
from hub.core.regions import REGION_PREFIX_RE

from .selectors import LEVELS, stat_choices, stat_table

VIEW_PERMISSION = "stats.view_statseries"


@require_safe
def table(request):
    """``?indikator=…&periode=YYYY-MM&tingkat=kabupaten|kecamatan|desa&wilayah=<prefix>``,
    ``&format=csv`` for the download. Unknown values fall back to the first choices, with a
    note, rather than an error page."""
    if not request.user.has_perm(VIEW_PERMISSION):
        raise PermissionDenied
    indicators, periods = stat_choices()
    codes = [code for code, _name in indicators]
    errors = []
    indicator = request.GET.get("indikator") or (codes[0] if codes else "")
    if codes and indicator not in codes:
        errors.append(_("Indikator tidak dikenal; yang ditampilkan indikator pertama."))
        indicator = codes[0]
    period = request.GET.get("periode") or (periods[0] if periods else "")
    if periods and period not in periods:
        errors.append(_("Periode tidak ada; yang ditampilkan periode terakhir."))
        period = periods[0]
    level = request.GET.get("tingkat") or "kabupaten"
    if level not in LEVELS:
        errors.append(_("Tingkat tidak dikenal; yang ditampilkan per kabupaten."))
        level = "kabupaten"
    prefix = request.GET.get("wilayah", "").strip()
    if prefix and not REGION_PREFIX_RE.match(prefix):
        errors.append(
            _("Kode wilayah tidak valid (2, 4, 6 atau 10 angka); semua wilayah ditampilkan.")
        )
        prefix = ""
    result = stat_table(indicator=indicator, period=period, level=level, prefix=prefix)
    if request.GET.get("format") == "csv" and result.meta is not None:
        return _csv(result)
    return TemplateResponse(
        request,
        "stats/admin/table.html",
        {
            "indicators": indicators,
            "periods": periods,
            "levels": list(LEVELS),
            "indicator": indicator,
            "period": period,
            "level": level,
            "prefix": prefix,
            "table": result,
            "errors": errors,
        },
    )


def _csv(result):
    meta = result.meta
    dims = list(meta.dimensions)
    header = [
        "kode_indikator",
        "nama_indikator",
        "satuan",
        "periode",
        "tingkat",
        "kode_wilayah",
        "nama_wilayah",
        *dims,
        "nilai",
        "jumlah_desa_melapor",
        "definisi",
        "cara_penghitungan",
        "sumber_data",
        "kode_kegiatan",
    ]
    rows = (
        [
            meta.indicator,
            meta.name,
            meta.unit,
            result.period,
            result.level,
            row.region,
            row.region_name,
            *[row.dimensions.get(d, "") for d in dims],
            "" if row.value is None else row.value,
            row.villages,
            meta.definition,
            meta.method,
            meta.source,
            meta.activity_code,
        ]
        for row in result.rows
    )
    name = f"statistik-{meta.indicator}-{result.period}-{result.level}.csv".replace("/", "-")
    return csv_response(name, header, rows)
