"""The marketplace's reports in the admin: the day's sales summary and sales per product and
month (with a CSV download). Both show only the user's BUMDes for BUMDes staff."""

from datetime import date

from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from hub.core.exports import csv_response

from ..permissions import REPORT_VIEW
from ..selectors import daily_summary, sales_by_product_month, staff_bumdes

FIRST_YEAR = 2020


def _require_report_permission(user):
    if not user.has_perm(REPORT_VIEW):
        raise PermissionDenied


def _day_from(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw)
    except (TypeError, ValueError):
        return None


@require_safe
def daily(request):
    """Orders and sales of one day (``?tanggal=YYYY-MM-DD``, today when absent)."""
    _require_report_permission(request.user)
    today = timezone.localdate()
    raw = request.GET.get("tanggal", "")
    day = _day_from(raw) if raw else today
    error = ""
    if day is None:
        error = _("Tanggal tidak valid; yang ditampilkan hari ini.")
        day = today
    summary = daily_summary(user=request.user, day=day)
    return TemplateResponse(
        request,
        "marketplace/admin/report_daily.html",
        {
            "summary": summary,
            "day": day,
            "error": error,
            "bumdes": staff_bumdes(request.user),
            "previous_day": day.fromordinal(day.toordinal() - 1),
            "next_day": day.fromordinal(day.toordinal() + 1) if day < today else None,
        },
    )


def _plain_number(value) -> str:
    """``2.500`` as ``2.5``: a dot, whatever the language, so a spreadsheet reads a number."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _year_from(raw: str) -> int | None:
    if not raw:
        return None
    try:
        year = int(raw)
    except ValueError:
        return None
    return year if FIRST_YEAR <= year <= timezone.localdate().year + 1 else None


@require_safe
def sales(request):
    """Sold quantity and amount per product and month; ``?format=csv`` downloads it."""
    _require_report_permission(request.user)
    year = _year_from(request.GET.get("tahun", ""))
    rows = sales_by_product_month(user=request.user, year=year)
    if request.GET.get("format") == "csv":
        return csv_response(
            f"penjualan-{year or 'semua'}.csv",
            [
                _("Bulan"),
                _("BUMDes"),
                _("Produk"),
                _("Satuan"),
                _("Jumlah terjual"),
                _("Nilai (Rp)"),
                _("Pesanan"),
            ],
            (
                [
                    row["month"].strftime("%Y-%m"),
                    row["order__bumdes__name"],
                    row["product_name"],
                    row["unit"],
                    _plain_number(row["quantity"]),
                    row["amount"],
                    row["orders"],
                ]
                for row in rows
            ),
        )
    this_year = timezone.localdate().year
    return TemplateResponse(
        request,
        "marketplace/admin/report_sales.html",
        {
            "rows": rows,
            "year": year,
            "years": list(range(this_year, FIRST_YEAR - 1, -1)),
            "bumdes": staff_bumdes(request.user),
            "total": sum(row["amount"] or 0 for row in rows),
        },
    )
