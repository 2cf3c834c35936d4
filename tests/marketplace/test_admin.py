"""The BUMDes staff's admin pages: the product form (unit suggestions, photo choosers, pre-order
with harvest date, the price's help), photo uploads as staff, the order page and its slip, the
menu's count of new orders."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from wagtail.images import get_image_model
from wagtail.models import Collection

from marketplace.models import UNIT_SUGGESTIONS, Product
from tests.conftest import png_bytes
from tests.media.test_images import upload


@pytest.fixture
def staff(bumdes, staff_factory):
    return staff_factory(bumdes)


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def _text(response) -> str:
    return response.content.decode()


def _product_post(category, **fields):
    data = {
        "name": "Cabai rawit",
        "slug": "",
        "category": category.pk,
        "price": "40000",
        "unit": "kg",
        "fractional": "on",
        "stock": "12.5",
        "min_order": "0.25",
        "active": "on",
    }
    data.update(fields)
    return data


def test_product_form_offers_units_photos_and_price_help(staff_client):
    # when
    response = staff_client.get(reverse("market_products:add"))
    # then
    text = _text(response)
    assert response.status_code == 200
    assert 'list="market-unit-suggestions"' in text
    assert '<datalist id="market-unit-suggestions">' in text
    for unit in UNIT_SUGGESTIONS:
        assert f'<option value="{unit}">' in text
    for n in range(1, 6):
        assert f'name="photo_{n}"' in text
    assert text.count("image-chooser") >= 5
    assert "15000 tampil sebagai Rp 15.000" in text
    assert 'name="harvest_date"' in text
    # and the BUMDes is fixed to theirs
    assert "BUMDes Maju Bersama" in text


def test_staff_add_a_product_with_photos(staff_client, bumdes, category, make_image):
    # given: two photos in the library
    first, second = make_image(title="Cabai 1"), make_image(title="Cabai 2")
    # when
    response = staff_client.post(
        reverse("market_products:add"),
        _product_post(category, photo_1=first.pk, photo_2=second.pk, unit=" ikat kecil "),
    )
    # then
    assert response.status_code == 302, _text(response)
    product = Product.objects.get(name="Cabai rawit")
    assert product.bumdes == bumdes
    assert product.photos == [first, second]
    assert product.stock == Decimal("12.5")
    assert product.unit == "ikat kecil"


def test_preorder_needs_a_harvest_date(staff_client, category):
    # when: pre-order without a date
    refused = staff_client.post(
        reverse("market_products:add"), _product_post(category, preorder="on")
    )
    # then
    assert refused.status_code == 200
    assert "memerlukan perkiraan tanggal panen" in _text(refused)
    assert not Product.objects.exists()
    # when: with a date
    accepted = staff_client.post(
        reverse("market_products:add"),
        _product_post(category, preorder="on", harvest_date="2027-02-15"),
    )
    # then
    assert accepted.status_code == 302
    assert Product.objects.get().harvest_date == date(2027, 2, 15)


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"price": "0"}, "Pastikan nilai ini lebih besar dari atau sama dengan 1"),
        ({"price": "lima ribu"}, "Tulis harga dalam rupiah, angka saja"),
        ({"price": "15000,5"}, "Tulis harga dalam rupiah, angka saja"),
        ({"price": "1.5"}, "Tulis harga dalam rupiah, angka saja"),
        ({"stock": "-1"}, "Pastikan nilai ini lebih besar dari atau sama dengan 0"),
        ({"fractional": "", "stock": "2.5"}, "harus bilangan bulat"),
        ({"unit": "x" * 21}, "paling banyak 20 karakter"),
    ],
)
def test_bad_product_input_is_refused_and_saves_nothing(staff_client, category, fields, message):
    # when
    response = staff_client.post(reverse("market_products:add"), _product_post(category, **fields))
    # then
    assert response.status_code == 200
    assert message in _text(response)
    assert not Product.objects.exists()


@pytest.mark.parametrize("typed", ["15000", "15.000", "Rp 15.000", "rp15000"])
def test_price_written_as_people_write_it_is_read_as_rupiah(staff_client, category, typed):
    # when: as prices are written in Indonesia (Django alone read "15.000" as Rp 15)
    response = staff_client.post(
        reverse("market_products:add"), _product_post(category, price=typed)
    )
    # then
    assert response.status_code == 302
    assert Product.objects.get().price == 15000


# -- photo uploads through the admin, as staff ------------------------------------------------


def test_staff_upload_a_product_photo(staff_client):
    # when
    response = upload(staff_client, png_bytes(320, 240))
    # then: the group may add images (a redirect to the library)
    assert response.status_code == 302
    assert get_image_model().objects.count() == 1


def test_staff_oversized_photo_is_refused_and_nothing_saved(staff_client, settings):
    # given: a limit of 200 KB and a PNG padded past it
    settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE = 200_000
    big = png_bytes(8, 8) + b"\0" * 300_000
    # when
    response = upload(staff_client, big)
    # then
    assert response.status_code == 200
    assert "terlalu besar" in _text(response) or "too large" in _text(response)
    assert not get_image_model().objects.exists()


def test_staff_non_image_photo_is_refused_and_nothing_saved(staff_client):
    # when: a PDF renamed .jpg
    response = upload(staff_client, b"%PDF-1.4 bukan gambar", name="foto.jpg")
    # then
    assert response.status_code == 200
    assert "bukan merupakan berkas gambar" in _text(response)
    assert not get_image_model().objects.exists()


def test_upload_stays_in_the_root_collection(staff_client):
    # when
    upload(staff_client, png_bytes(64, 64))
    # then
    assert get_image_model().objects.get().collection == Collection.get_first_root_node()


# -- the order page, its slip, the menu count -------------------------------------------------


def test_order_page_shows_lines_and_the_next_statuses(staff_client, product, place_order):
    # given
    order = place_order(product, "1.5", note="Tolong dibungkus")
    # when
    response = staff_client.get(reverse("market_orders:inspect", args=[order.pk]))
    # then
    text = _text(response)
    assert response.status_code == 200
    assert "Beras merah" in text
    assert "Rp 22.500" in text
    assert 'value="dikonfirmasi"' in text
    assert 'value="selesai"' not in text
    assert 'name="reason"' in text
    assert "Tolong dibungkus" in text
    assert reverse("market_orders:slip", args=[order.pk]) in text


@pytest.mark.parametrize(
    "query, page_rule",
    [({}, "size: A4"), ({"ukuran": "58"}, "size: 58mm auto")],
)
def test_order_slip_prints_on_a4_and_58mm(staff_client, product, place_order, query, page_rule):
    # given
    order = place_order(
        product,
        "2",
        buyer_name="Siti Aminah",
        fulfilment="antar",
        delivery_address="RT 02, dekat masjid",
        note="Sore saja",
    )
    # when
    response = staff_client.get(reverse("market_orders:slip", args=[order.pk]), query)
    # then
    text = _text(response)
    assert response.status_code == 200
    assert page_rule in text
    assert "<script" not in text
    for expected in (
        "BUMDes Maju Bersama",
        order.code,
        "Siti Aminah",
        "+6281234567890",
        "Beras merah",
        "Rp 30.000",
        "RT 02, dekat masjid",
        "Sore saja",
    ):
        assert expected in text


def test_menu_shows_the_count_of_new_orders(staff_client, product, place_order):
    # given
    place_order(product, "1")
    place_order(product, "1", client_key="lain")
    # when
    response = staff_client.get(reverse("wagtailadmin_home"))
    # then
    assert "Pesanan (2)" in _text(response)


def test_outside_request_page_shows_when_it_arrived(staff_client, product):
    # given
    from tests.marketplace.test_permissions import _request_for

    order_request = _request_for(product, "RQWAIT")
    # when
    response = staff_client.get(reverse("market_requests:inspect", args=[order_request.pk]))
    listing = staff_client.get(reverse("market_requests:index"))
    # then
    assert response.status_code == 200
    assert "yang lalu" in _text(response)
    assert "Terima permintaan" in _text(response)
    assert "RQWAIT" in _text(listing)


@pytest.mark.parametrize(
    "url_name, with_object",
    [
        ("market_orders:index", None),
        ("market_orders:inspect", "order"),
        ("market_orders:slip", "order"),
        ("market_requests:index", None),
        ("market_products:index", None),
        ("market_products:add", None),
        ("market_products:edit", "product"),
        ("market_products:history", "product"),
        ("market_bumdes:index", None),
        ("market_bumdes:add", None),
        ("market_bumdes:edit", "bumdes"),
        ("market_categories:index", None),
        ("market_categories:inspect", "category"),
        ("market_staff:index", None),
        ("market_staff:add", None),
        ("market_report_daily", None),
        ("market_report_sales", None),
        ("wagtailadmin_home", None),
    ],
)
def test_every_market_page_renders_for_a_superuser(
    admin_client, product, category, place_order, url_name, with_object
):
    # given
    objects = {
        "order": place_order(product, "1"),
        "product": product,
        "bumdes": product.bumdes,
        "category": category,
    }
    args = [objects[with_object].pk] if with_object else []
    # when
    response = admin_client.get(reverse(url_name, args=args))
    # then
    assert response.status_code == 200
