"""The daily sales summary and the sales per product and month, with their CSV: right figures,
cancelled orders left out, cells quoted properly and formulas defused."""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone

from hub.core.exports import csv_cell
from marketplace.models import Order
from marketplace.services import order_status_set


@pytest.fixture
def staff_client(client, bumdes, staff_factory):
    client.force_login(staff_factory(bumdes))
    return client


def _placed(order, when):
    Order.objects.filter(pk=order.pk).update(placed_at=when)
    return order


def _csv_rows(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _text(response) -> str:
    return response.content.decode()


def test_daily_summary_counts_the_day_and_leaves_cancelled_out(staff_client, product, place_order):
    # given: today two orders (one cancelled later), yesterday one
    kept = place_order(product, "2")
    cancelled = place_order(product, "1", client_key="lain")
    order_status_set(order=cancelled, status="dibatalkan", reason="Tidak jadi")
    _placed(place_order(product, "3", client_key="kemarin"), timezone.now() - timedelta(days=1))
    # when
    response = staff_client.get(reverse("market_report_daily"))
    # then
    text = _text(response)
    assert response.status_code == 200
    assert kept.total == 30000
    assert "Rp 30.000" in text  # the revenue: only the order still standing
    assert "Rp 45.000" not in text  # yesterday's is not today's
    assert "Beras merah" in text


def test_daily_summary_of_a_picked_day(staff_client, product, place_order):
    # given: an order yesterday
    yesterday = timezone.localdate() - timedelta(days=1)
    _placed(place_order(product, "3"), timezone.now() - timedelta(days=1))
    # when
    response = staff_client.get(reverse("market_report_daily"), {"tanggal": yesterday.isoformat()})
    # then
    assert "Rp 45.000" in _text(response)
    assert f'value="{yesterday.isoformat()}"' in _text(response)


@pytest.mark.parametrize("raw", ["kemarin", "2026-13-40", "'; DROP TABLE"])
def test_daily_summary_with_a_bad_date_shows_today_and_says_so(staff_client, raw):
    # when
    response = staff_client.get(reverse("market_report_daily"), {"tanggal": raw})
    # then
    assert response.status_code == 200
    assert "Tanggal tidak valid" in _text(response)
    assert f'value="{timezone.localdate().isoformat()}"' in _text(response)


def test_sales_per_product_and_month(staff_client, product_factory, place_order):
    # given: rice in two months, honey in one, one cancelled honey order
    rice = product_factory(stock="100")
    honey = product_factory(
        name="Madu hutan",
        slug="madu",
        price=80000,
        unit="botol",
        fractional=False,
        stock="10",
        min_order="1",
    )
    now = timezone.now()
    last_month = now.replace(day=1) - timedelta(days=2)
    place_order(rice, "2")
    place_order(rice, "1.5", client_key="b")
    _placed(place_order(rice, "4", client_key="c"), last_month)
    place_order(honey, "1", client_key="d")
    order_status_set(
        order=place_order(honey, "2", client_key="e"), status="dibatalkan", reason="Batal"
    )
    # when
    response = staff_client.get(reverse("market_report_sales"), {"format": "csv"})
    # then
    rows = _csv_rows(response)
    assert rows[0] == [
        "Bulan",
        "BUMDes",
        "Produk",
        "Satuan",
        "Jumlah terjual",
        "Nilai (Rp)",
        "Pesanan",
    ]
    this, previous = timezone.localtime(now).strftime("%Y-%m"), last_month.strftime("%Y-%m")
    assert sorted(rows[1:]) == sorted(
        [
            [this, "BUMDes Maju Bersama", "Beras merah", "kg", "3.5", "52500", "2"],
            [this, "BUMDes Maju Bersama", "Madu hutan", "botol", "1", "80000", "1"],
            [previous, "BUMDes Maju Bersama", "Beras merah", "kg", "4", "60000", "1"],
        ]
    )
    # and the page shows the same, with the sum
    page = _text(staff_client.get(reverse("market_report_sales")))
    assert "Rp 192.500" in page


def test_sales_of_one_year(staff_client, product, place_order):
    # given: an order two years ago and one now
    _placed(place_order(product, "1"), timezone.now() - timedelta(days=800))
    place_order(product, "2", client_key="b")
    year = timezone.localdate().year
    # when
    rows = _csv_rows(
        staff_client.get(reverse("market_report_sales"), {"format": "csv", "tahun": str(year)})
    )
    # then
    assert len(rows) == 2
    assert rows[1][4] == "2"


@pytest.mark.parametrize(
    "name",
    [
        '=HYPERLINK("http://jahat.example","klik")',
        "+6281234567890",
        "-1+1",
        "@SUM(A1:A9)",
    ],
)
def test_sales_csv_defuses_formulas(staff_client, product_factory, place_order, name):
    # given: a product whose name a spreadsheet would run as a formula
    product = product_factory(name=name, slug="rumus")
    place_order(product, "1")
    # when
    rows = _csv_rows(staff_client.get(reverse("market_report_sales"), {"format": "csv"}))
    # then: read back as text with a leading apostrophe
    assert rows[1][2] == "'" + name


def test_sales_csv_quotes_commas_quotes_and_line_breaks(staff_client, product_factory, place_order):
    # given
    name = 'Kopi "Robusta", bubuk'
    product = product_factory(name=name, slug="kopi", unit="bks, 250 g")
    place_order(product, "1")
    # when
    response = staff_client.get(reverse("market_report_sales"), {"format": "csv"})
    # then: the raw file quotes them, and a CSV reader gets the exact cells back
    raw = response.content.decode("utf-8-sig")
    assert '"Kopi ""Robusta"", bubuk"' in raw
    rows = _csv_rows(response)
    assert rows[1][2] == name
    assert rows[1][3] == "bks, 250 g"
    assert len(rows[1]) == 7


def test_admin_listing_export_defuses_formulas(staff_client, product_factory):
    # given
    product_factory(name="=1+2", slug="rumus")
    # when
    response = staff_client.get(reverse("market_products:index"), {"export": "csv"})
    # then
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[1][0] == "'=1+2"


@pytest.mark.parametrize(
    "value, expected",
    [("=A1", "'=A1"), ("biasa", "biasa"), ("", ""), (15000, 15000), ("\t=A1", "'\t=A1")],
)
def test_csv_cell(value, expected):
    assert csv_cell(value) == expected


@pytest.mark.parametrize("url_name", ["market_report_daily", "market_report_sales"])
def test_reports_need_the_order_permission(client, django_user_model, url_name):
    # given: an admin user without the marketplace permissions
    user = django_user_model.objects.create_user("tamu", password="rahasia-tamu-12345")
    group = Group.objects.create(name="Tamu")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    user.groups.add(group)
    client.force_login(user)
    # when
    response = client.get(reverse(url_name), {"format": "csv"})
    # then
    assert response.status_code in (302, 403)
    assert "text/csv" not in response.get("Content-Type", "")
