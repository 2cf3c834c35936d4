"""The marketplace's indicators for Satu Data (hub.stats): orders per status and the value of
completed sales per month, for the village's BUMDes together. Counts and sums only."""

from django.db.models import Count, Sum
from django.utils.translation import gettext_lazy as _

from hub.stats.indicators import Indicator

from .models import Order, OrderStatus


def orders_by_status(start, end):
    rows = (
        Order.objects.filter(placed_at__gte=start, placed_at__lt=end)
        .values("status")
        .annotate(n=Count("pk"))
        .order_by("status")
    )
    return [({"status": row["status"]}, row["n"]) for row in rows]


def sales_value(start, end):
    total = Order.objects.filter(
        placed_at__gte=start, placed_at__lt=end, status=OrderStatus.DONE
    ).aggregate(total=Sum("total"))["total"]
    return [({}, total)] if total else []


INDICATORS = [
    Indicator(
        code="pasar.pesanan",
        name=_("Pesanan produk BUMDes"),
        definition=_(
            "Banyaknya pesanan produk BUMDes desa yang masuk dalam satu bulan, menurut status "
            "pesanan pada saat penghitungan."
        ),
        unit=_("pesanan"),
        method=_(
            "Pesanan dihitung menurut bulan waktu pesan (WIB); pesanan dari luar desa termasuk."
        ),
        source=_("Pasar BUMDes pada hub Balai desa"),
        dimensions=("status",),
        compute="marketplace.stats.orders_by_status",
    ),
    Indicator(
        code="pasar.penjualan",
        name=_("Nilai penjualan BUMDes"),
        definition=_(
            "Jumlah nilai pesanan produk BUMDes desa yang selesai, menurut bulan waktu pesan."
        ),
        unit=_("rupiah"),
        method=_("Penjumlahan total pesanan berstatus selesai; pesanan dibatalkan tidak dihitung."),
        source=_("Pasar BUMDes pada hub Balai desa"),
        compute="marketplace.stats.sales_value",
    ),
]
