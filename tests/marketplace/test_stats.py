"""The marketplace's Satu Data indicators: orders per status and completed sales, per month."""

from datetime import date

import pytest

from hub.stats.indicators import indicator_for
from hub.stats.models import StatSeries
from hub.stats.services import stats_compute
from marketplace.models import Order, OrderStatus

pytestmark = pytest.mark.django_db


def test_orders_and_sales_of_the_month_become_series_without_the_buyers(product, place_order):
    # given three orders this month, one of them done
    orders = [place_order(product, quantity="2", buyer_phone=f"08123456789{n}") for n in range(3)]
    Order.objects.filter(pk=orders[0].pk).update(status=OrderStatus.DONE)
    today = orders[0].placed_at.date()
    # when the daily statistics job runs
    stats_compute(today=today)
    # then the orders are counted per status and the sale's value summed
    period = f"{today:%Y-%m}"
    counts = StatSeries.objects.get(indicator="pasar.pesanan", period=period)
    assert counts.values == [
        {"d": {"status": "baru"}, "v": 2},
        {"d": {"status": "selesai"}, "v": 1},
    ]
    sales = StatSeries.objects.get(indicator="pasar.penjualan", period=period)
    done = Order.objects.get(pk=orders[0].pk)
    assert sales.values == [{"d": {}, "v": done.total}] and sales.unit == "rupiah"
    # and no buyer's name or phone is in any figure
    for series in StatSeries.objects.all():
        text = repr(series.values) + series.definition + series.method
        assert "Siti" not in text and "0812" not in text


def test_a_month_without_orders_sends_nothing(db, village):
    # given no order in January 2020
    # when that month is computed
    stats_compute(today=date(2020, 1, 15))
    # then no series was made for it
    assert not StatSeries.objects.filter(period__in=["2019-12", "2020-01"]).exists()
    assert indicator_for("pasar.pesanan").dimensions == ("status",)
