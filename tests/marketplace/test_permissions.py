"""Staff of BUMDes A see and change only A's: every admin URL of BUMDes B's objects answers
404 (or 403 where nobody may act), listings, searches, exports and reports hold only A's.
Village officials see every BUMDes; categories are the upstream's and read-only here."""

import csv
import io
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from openpyxl import load_workbook

from hub.sync.core.journal import applying
from marketplace.models import Bumdes, BumdesStaff, Order, OrderRequest, OrderStatus, Product


@dataclass
class Shop:
    bumdes: Bumdes
    product: Product
    order: Order
    request: OrderRequest


def _request_for(product, code):
    """An outside buyer's request as it arrives from the upstream."""
    with applying():
        return OrderRequest.objects.create(
            bumdes=product.bumdes,
            code=code,
            buyer_name="Pembeli Kota",
            buyer_phone="+6281299990000",
            buyer_place="Jambi",
            lines=[
                {
                    "product": str(product.pk),
                    "name": product.name,
                    "unit": product.unit,
                    "quantity": "1",
                    "unit_price": product.price,
                }
            ],
            total=product.price,
            origin="15",
            rev=1,
        )


@pytest.fixture
def shops(bumdes_factory, product_factory, place_order):
    made = {}
    for key, name, product_name, request_code in (
        ("a", "BUMDes Alpha", "Beras Alpha", "RQAAAA"),
        ("b", "BUMDes Beta", "Madu Beta", "RQBBBB"),
    ):
        bumdes = bumdes_factory(name=name, slug=f"bumdes-{key}")
        product = product_factory(bumdes=bumdes, name=product_name, slug=f"produk-{key}")
        order = place_order(product, "2", buyer_name=f"Pemesan {key.upper()}")
        made[key] = Shop(bumdes, product, order, _request_for(product, request_code))
    return made


@pytest.fixture
def staff_a(shops, staff_factory):
    return staff_factory(shops["a"].bumdes)


@pytest.fixture
def staff_client(client, staff_a):
    client.force_login(staff_a)
    return client


def _refused(response) -> bool:
    """Wagtail answers a permission refusal with 403, or by sending the user back to the
    dashboard with a "no permission" message."""
    return response.status_code == 403 or (
        response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
    )


def _text(response) -> str:
    return response.content.decode()


def _streamed(response) -> str:
    return b"".join(response.streaming_content).decode()


# -- listings, search, exports ---------------------------------------------------------------


@pytest.mark.parametrize(
    "index_name, shown, hidden",
    [
        ("market_products:index", "Beras Alpha", "Madu Beta"),
        ("market_orders:index", "Pemesan A", "Pemesan B"),
        ("market_requests:index", "RQAAAA", "RQBBBB"),
        ("market_bumdes:index", "BUMDes Alpha", "BUMDes Beta"),
    ],
)
def test_staff_listings_hold_only_their_bumdes(staff_client, index_name, shown, hidden):
    # when
    response = staff_client.get(reverse(index_name))
    # then
    assert response.status_code == 200
    assert shown in _text(response)
    assert hidden not in _text(response)


def test_staff_search_finds_nothing_of_another_bumdes(staff_client, shops):
    # given: B's product matches the query, A's does not
    # when
    response = staff_client.get(reverse("market_products:index"), {"q": "Madu"})
    # then
    assert response.status_code == 200
    assert "Madu Beta" not in _text(response)
    # and the same search finds A's own product by its name
    assert "Beras Alpha" in _text(
        staff_client.get(reverse("market_products:index"), {"q": "Beras"})
    )


def test_order_search_by_code_stays_in_scope(staff_client, shops):
    # when: staff of A search for the code of B's order
    response = staff_client.get(reverse("market_orders:index"), {"q": shops["b"].order.code})
    # then (the query itself is echoed in the page: look for the buyer's name)
    assert "Pemesan B" not in _text(response)
    found = staff_client.get(reverse("market_orders:index"), {"q": shops["a"].order.code})
    assert "Pemesan A" in _text(found)


@pytest.mark.parametrize(
    "index_name, shown, hidden",
    [
        ("market_products:index", "Beras Alpha", "Madu Beta"),
        ("market_orders:index", "Pemesan A", "Pemesan B"),
    ],
)
def test_staff_csv_export_holds_only_their_bumdes(staff_client, index_name, shown, hidden):
    # when
    response = staff_client.get(reverse(index_name), {"export": "csv"})
    # then
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(_streamed(response))))
    flat = [cell for row in rows[1:] for cell in row]
    assert shown in flat
    assert hidden not in flat
    assert len(rows) == 2  # the heading and A's one row


def test_staff_xlsx_export_holds_only_their_bumdes(staff_client):
    # when
    response = staff_client.get(reverse("market_products:index"), {"export": "xlsx"})
    # then
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = [cell.value for row in sheet.iter_rows() for cell in row]
    assert "Beras Alpha" in values
    assert "Madu Beta" not in values


def test_order_export_masks_the_buyer_phone(staff_client):
    # when
    text = _streamed(staff_client.get(reverse("market_orders:index"), {"export": "csv"}))
    # then
    assert "+6281234567890" not in text
    assert "+62812****7890" in text


def test_order_listing_masks_the_buyer_phone(staff_client):
    # when
    text = _text(staff_client.get(reverse("market_orders:index")))
    # then
    assert "+6281234567890" not in text
    assert "+62812****7890" in text


# -- direct URLs of another BUMDes's objects -------------------------------------------------


@pytest.mark.parametrize(
    "url_name, attr",
    [
        ("market_products:edit", "product"),
        ("market_products:delete", "product"),
        ("market_products:inspect", "product"),
        ("market_products:history", "product"),
        ("market_products:usage", "product"),
        ("market_orders:inspect", "order"),
        ("market_orders:slip", "order"),
        ("market_requests:inspect", "request"),
        ("market_bumdes:edit", "bumdes"),
        ("market_bumdes:inspect", "bumdes"),
        ("market_bumdes:history", "bumdes"),
        ("market_bumdes:usage", "bumdes"),
    ],
)
def test_staff_get_404_on_every_page_of_another_bumdes(staff_client, shops, url_name, attr):
    # given
    url_b = reverse(url_name, args=[getattr(shops["b"], attr).pk])
    url_a = reverse(url_name, args=[getattr(shops["a"], attr).pk])
    # when
    response = staff_client.get(url_b)
    # then: B's is not found; A's (where a page exists for staff) is not a 404
    assert response.status_code == 404
    assert staff_client.get(url_a).status_code != 404


def test_staff_cannot_edit_another_bumdes_product_by_post(staff_client, shops):
    # given
    product_b = shops["b"].product
    # when: a forged POST to B's product
    response = staff_client.post(
        reverse("market_products:edit", args=[product_b.pk]),
        {"bumdes": shops["a"].bumdes.pk, "name": "Dicuri", "slug": "dicuri", "price": "1"},
    )
    # then
    assert response.status_code == 404
    product_b.refresh_from_db()
    assert product_b.name == "Madu Beta"
    assert product_b.price == 15000


def test_staff_cannot_delete_another_bumdes_product(staff_client, shops):
    # when
    response = staff_client.post(reverse("market_products:delete", args=[shops["b"].product.pk]))
    # then
    assert response.status_code == 404
    assert Product.objects.filter(pk=shops["b"].product.pk).exists()


@pytest.mark.parametrize("status", ["dikonfirmasi", "dibatalkan"])
def test_staff_cannot_change_the_status_of_another_bumdes_order(staff_client, shops, status):
    # given
    order_b = shops["b"].order
    # when
    response = staff_client.post(
        reverse("market_orders:status", args=[order_b.pk]),
        {"status": status, "reason": "iseng"},
    )
    # then
    assert response.status_code == 404
    order_b.refresh_from_db()
    assert order_b.status == OrderStatus.NEW
    shops["b"].product.refresh_from_db()
    assert shops["b"].product.stock == Decimal("8")


@pytest.mark.parametrize("url_name", ["market_requests:accept", "market_requests:decline"])
def test_staff_cannot_answer_another_bumdes_request(staff_client, shops, url_name):
    # when
    response = staff_client.post(
        reverse(url_name, args=[shops["b"].request.pk]), {"reason": "tidak ada"}
    )
    # then
    assert response.status_code == 404
    assert not Order.objects.filter(request=shops["b"].request).exists()


def test_staff_product_is_always_of_their_bumdes(staff_client, shops, category):
    # when: the POST names BUMDes B
    response = staff_client.post(
        reverse("market_products:add"),
        {
            "bumdes": shops["b"].bumdes.pk,
            "name": "Kopi Alpha",
            "slug": "",
            "category": category.pk,
            "price": "25000",
            "unit": "bungkus",
            "stock": "5",
            "min_order": "1",
            "active": "on",
        },
    )
    # then: it is A's, with a slug made from its name
    assert response.status_code == 302, _text(response)
    product = Product.objects.get(name="Kopi Alpha")
    assert product.bumdes == shops["a"].bumdes
    assert product.slug == "kopi-alpha"


@pytest.mark.parametrize(
    "url_name, with_pk",
    [
        ("market_bumdes:add", False),
        ("market_bumdes:delete", True),
        ("market_staff:index", False),
        ("market_staff:add", False),
    ],
)
def test_staff_do_not_add_or_remove_bumdes_nor_manage_staff_links(
    staff_client, shops, url_name, with_pk
):
    # given
    url = reverse(url_name, args=[shops["a"].bumdes.pk]) if with_pk else reverse(url_name)
    # when
    response = staff_client.get(url)
    # then
    assert _refused(response)


def test_staff_cannot_link_themselves_to_another_bumdes(staff_client, staff_a, shops):
    # when
    staff_client.post(
        reverse("market_staff:add"), {"user": staff_a.pk, "bumdes": shops["b"].bumdes.pk}
    )
    # then
    assert BumdesStaff.objects.get(user=staff_a).bumdes == shops["a"].bumdes


def test_staff_edit_their_own_bumdes(staff_client, shops):
    # given
    bumdes_a = shops["a"].bumdes
    # when
    response = staff_client.post(
        reverse("market_bumdes:edit", args=[bumdes_a.pk]),
        {"name": "BUMDes Alpha Jaya", "slug": bumdes_a.slug, "whatsapp": "0812 1111 2222"},
    )
    # then
    assert response.status_code == 302, _text(response)
    bumdes_a.refresh_from_db()
    assert bumdes_a.name == "BUMDes Alpha Jaya"
    assert bumdes_a.whatsapp == "+6281211112222"


# -- reports, slips, counts ------------------------------------------------------------------


def test_staff_reports_hold_only_their_bumdes(staff_client):
    # when
    daily = _text(staff_client.get(reverse("market_report_daily")))
    monthly = _text(staff_client.get(reverse("market_report_sales")))
    monthly_csv = staff_client.get(reverse("market_report_sales"), {"format": "csv"})
    # then
    for text in (daily, monthly, monthly_csv.content.decode("utf-8-sig")):
        assert "Beras Alpha" in text
        assert "Madu Beta" not in text


def test_dashboard_counts_only_the_staff_bumdes_new_orders(staff_client, shops, place_order):
    # given: B has two new orders, A one
    place_order(shops["b"].product, "1")
    # when
    response = staff_client.get(reverse("wagtailadmin_home"))
    # then
    assert response.status_code == 200
    assert "1 pesanan baru" in _text(response)
    assert "2 pesanan baru" not in _text(response)


# -- village officials -----------------------------------------------------------------------


@pytest.fixture
def official_client(client, django_user_model):
    user = django_user_model.objects.create_user("sekdes", password="rahasia-sekdes-123")
    user.groups.add(Group.objects.get(name="Editors"))
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "index_name, names",
    [
        ("market_products:index", ("Beras Alpha", "Madu Beta")),
        ("market_orders:index", ("Pemesan A", "Pemesan B")),
        ("market_requests:index", ("RQAAAA", "RQBBBB")),
        ("market_bumdes:index", ("BUMDes Alpha", "BUMDes Beta")),
    ],
)
def test_officials_see_every_bumdes(official_client, shops, index_name, names):
    # when
    response = official_client.get(reverse(index_name))
    # then
    assert response.status_code == 200
    for name in names:
        assert name in _text(response)


def test_officials_link_staff_to_a_bumdes(official_client, shops, django_user_model):
    # given
    user = django_user_model.objects.create_user("kasir-beta", password="rahasia-kasir-123")
    # when
    response = official_client.post(
        reverse("market_staff:add"), {"user": user.pk, "bumdes": shops["b"].bumdes.pk}
    )
    # then
    assert response.status_code == 302, _text(response)
    assert BumdesStaff.objects.get(user=user).bumdes == shops["b"].bumdes


def test_a_bumdes_with_products_is_not_deleted(official_client, shops):
    # given: BUMDes A has a product and an order
    bumdes_a = shops["a"].bumdes
    # when
    response = official_client.post(
        reverse("market_bumdes:delete", args=[bumdes_a.pk]), follow=True
    )
    # then: refused with a message, not a server error, and nothing is gone
    assert response.status_code == 200
    assert "tidak dapat dihapus" in _text(response)
    assert Bumdes.objects.filter(pk=bumdes_a.pk).exists()


# -- categories are the upstream's -----------------------------------------------------------


@pytest.mark.parametrize("url_name", ["market_categories:edit", "market_categories:delete"])
def test_categories_refuse_edits_on_a_village(official_client, category, url_name):
    # when
    get = official_client.get(reverse(url_name, args=[category.pk]))
    post = official_client.post(
        reverse(url_name, args=[category.pk]), {"name": "Diubah", "slug": "diubah", "sort_order": 1}
    )
    # then
    assert _refused(get)
    assert _refused(post)
    category.refresh_from_db()
    assert category.name == "Hasil pertanian"


def test_categories_cannot_be_added_on_a_village_even_by_a_superuser(client, admin_user, category):
    # given
    client.force_login(admin_user)
    # when
    response = client.post(
        reverse("market_categories:add"), {"name": "Baru", "slug": "baru", "sort_order": 1}
    )
    # then
    assert _refused(response)
    assert not category.__class__.objects.filter(slug="baru").exists()
    # but they are listed, read-only
    assert "Hasil pertanian" in _text(client.get(reverse("market_categories:index")))


def test_categories_are_edited_on_the_upstream(client, admin_user, category, settings):
    # given: the upstream role, where operators own the categories
    settings.HUB_ROLE = "upstream"
    settings.ROOT_URLCONF = "hub.urls_upstream"
    client.force_login(admin_user)
    # when
    response = client.get(reverse("market_categories:edit", args=[category.pk]))
    # then
    assert response.status_code == 200


# -- orders move only through the services ---------------------------------------------------


@pytest.mark.parametrize("url_name", ["market_orders:edit", "market_orders:delete"])
def test_nobody_edits_or_deletes_an_order_by_hand(official_client, shops, url_name):
    # given
    order = shops["a"].order
    # when
    response = official_client.post(reverse(url_name, args=[order.pk]), {"total": "1"})
    # then
    assert _refused(response)
    order.refresh_from_db()
    assert order.total == 30000


def test_admin_confirms_an_order(staff_client, shops):
    # given
    order = shops["a"].order
    # when
    response = staff_client.post(
        reverse("market_orders:status", args=[order.pk]), {"status": "dikonfirmasi"}
    )
    # then
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED


def test_admin_cancel_needs_a_reason_and_releases_stock(staff_client, shops):
    # given: A's order reserved 2 of 10
    order, product = shops["a"].order, shops["a"].product
    url = reverse("market_orders:status", args=[order.pk])
    # when: without a reason
    refused = staff_client.post(url, {"status": "dibatalkan", "reason": "  "}, follow=True)
    # then: nothing changes, and the page says why
    order.refresh_from_db()
    product.refresh_from_db()
    assert order.status == OrderStatus.NEW
    assert product.stock == Decimal("8")
    assert "Tulis alasan pembatalan." in _text(refused)
    # when: with a reason
    staff_client.post(url, {"status": "dibatalkan", "reason": "Stok rusak kena hujan"})
    # then
    order.refresh_from_db()
    product.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert order.cancel_reason == "Stok rusak kena hujan"
    assert product.stock == Decimal("10")


def test_order_list_filters_by_status(staff_client, shops, place_order):
    # given: A has a new order and a confirmed one
    confirmed = place_order(shops["a"].product, "1", buyer_name="Pemesan Lama", client_key="x")
    staff_client.post(
        reverse("market_orders:status", args=[confirmed.pk]), {"status": "dikonfirmasi"}
    )
    # when
    response = staff_client.get(reverse("market_orders:index"), {"status": "baru"})
    # then
    assert "Pemesan A" in _text(response)
    assert "Pemesan Lama" not in _text(response)


def test_orders_are_not_moved_on_the_upstream(client, admin_user, shops, settings):
    # given: the upstream, where the villages' orders are copies
    settings.HUB_ROLE = "upstream"
    settings.ROOT_URLCONF = "hub.urls_upstream"
    client.force_login(admin_user)
    order = shops["a"].order
    # when
    response = client.post(
        reverse("market_orders:status", args=[order.pk]), {"status": "dikonfirmasi"}
    )
    # then
    assert _refused(response)
    order.refresh_from_db()
    assert order.status == OrderStatus.NEW


def test_admin_refuses_a_status_jump(staff_client, shops):
    # given
    order = shops["a"].order
    # when: from "baru" straight to "selesai"
    response = staff_client.post(
        reverse("market_orders:status", args=[order.pk]), {"status": "selesai"}, follow=True
    )
    # then
    order.refresh_from_db()
    assert order.status == OrderStatus.NEW
    assert "tidak dapat diubah" in _text(response)


def test_staff_accept_an_outside_request(staff_client, shops):
    # given
    order_request, product = shops["a"].request, shops["a"].product
    # when
    response = staff_client.post(reverse("market_requests:accept", args=[order_request.pk]))
    # then: a confirmed order with its stock reserved, and the request leaves the open list
    assert response.status_code == 302
    order = Order.objects.get(request=order_request)
    assert order.status == OrderStatus.CONFIRMED
    product.refresh_from_db()
    assert product.stock == Decimal("7")
    listing = _text(staff_client.get(reverse("market_requests:index")))
    assert reverse("market_requests:inspect", args=[order_request.pk]) not in listing


def test_staff_decline_an_outside_request_with_a_reason(staff_client, shops):
    # given
    order_request = shops["a"].request
    url = reverse("market_requests:decline", args=[order_request.pk])
    # when: no reason
    staff_client.post(url, {"reason": ""})
    # then
    assert not Order.objects.filter(request=order_request).exists()
    # when
    staff_client.post(url, {"reason": "Stok habis"})
    # then
    answer = Order.objects.get(request=order_request)
    assert answer.status == OrderStatus.CANCELLED
    assert answer.cancel_reason == "Stok habis"
