"""Placing orders, moving them through their statuses, stock reserved and released."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from hub.core.personal import phone_normalize
from hub.sync.models import JournalEntry
from marketplace.models import Order, OrderStatus, Product
from marketplace.services import (
    LineWanted,
    OrderError,
    RateLimited,
    order_place,
    order_status_set,
)


@pytest.mark.parametrize(
    "raw", ["081234567890", "+6281234567890", "6281234567890", "0812-3456-7890", "0812 3456 7890"]
)
def test_phone_forms_all_store_as_international(raw):
    assert phone_normalize(raw) == "+6281234567890"


@pytest.mark.parametrize("raw", ["", "12345", "0212345678", "+1 555 0100", "08abc", "0812" * 5])
def test_not_a_mobile_number_is_refused(raw):
    with pytest.raises(ValidationError):
        phone_normalize(raw)


def test_order_reserves_stock_and_prices_from_the_database(product, place_order):
    # when
    order = place_order(product, "1,5")
    # then
    product.refresh_from_db()
    assert product.stock == Decimal("8.5")
    assert order.total == 22500
    line = order.lines.get()
    assert (line.unit_price, line.quantity, line.subtotal) == (15000, Decimal("1.5"), 22500)
    assert order.status == OrderStatus.NEW
    assert len(order.code) == 6 and order.buyer_phone == "+6281234567890"
    # and the order, its line and the product's new stock are in the journal, to go up
    labels = set(JournalEntry.objects.values_list("model", flat=True))
    assert {"marketplace.order", "marketplace.orderline", "marketplace.product"} <= labels


@pytest.mark.parametrize(
    ("quantity", "code"),
    [
        ("0", "quantity"),
        ("-1", "quantity"),
        ("abc", "quantity"),
        ("NaN", "quantity"),
        ("Infinity", "quantity"),
        ("0.0001", "quantity"),
        ("0.2", "minimum"),
        ("11", "stock"),
    ],
)
def test_bad_quantity_changes_nothing(product, place_order, quantity, code):
    # when
    with pytest.raises(OrderError) as caught:
        place_order(product, quantity)
    # then
    assert caught.value.code == code
    product.refresh_from_db()
    assert product.stock == Decimal("10")
    assert Order.objects.count() == 0


def test_fraction_of_a_whole_unit_is_refused(product_factory, place_order):
    eggs = product_factory(
        name="Telur bebek", slug="telur", unit="butir", fractional=False, min_order=1
    )
    with pytest.raises(OrderError) as caught:
        place_order(eggs, "1.5")
    assert caught.value.code == "fraction"


def test_cancel_releases_stock_and_needs_a_reason(product, place_order):
    order = place_order(product, "4")
    with pytest.raises(OrderError):
        order_status_set(order=order, status=OrderStatus.CANCELLED, reason="")
    order_status_set(order=order, status=OrderStatus.CANCELLED, reason="Stok rusak")
    product.refresh_from_db()
    assert product.stock == Decimal("10")
    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == ("dibatalkan", "Stok rusak")


def test_status_flow_is_enforced(product, place_order):
    order = place_order(product)
    with pytest.raises(OrderError):
        order_status_set(order=order, status=OrderStatus.DONE)
    for status in (OrderStatus.CONFIRMED, OrderStatus.READY, OrderStatus.DONE):
        order = order_status_set(order=order, status=status)
    assert order.status == OrderStatus.DONE
    with pytest.raises(OrderError):
        order_status_set(order=order, status=OrderStatus.CANCELLED, reason="terlambat")


def test_rate_limit_per_client(product, place_order, settings):
    settings.MARKET_ORDER_RATE_LIMIT = 2
    for _ in range(2):
        place_order(product, "1", client_key="k1")
    with pytest.raises(RateLimited):
        place_order(product, "1", client_key="k1")
    place_order(product, "1", client_key="k2")
    assert Order.objects.count() == 3


def test_product_of_another_bumdes_is_not_found(product, bumdes_factory):
    other = bumdes_factory(name="BUMDes Lain", slug="lain")
    with pytest.raises(OrderError) as caught:
        order_place(
            bumdes=other,
            lines=[LineWanted(product.pk, "1")],
            buyer_name="A",
            buyer_phone="081234567890",
        )
    assert caught.value.code == "product"
    assert Product.objects.get(pk=product.pk).stock == Decimal("10")


def test_search_follows_renames_but_an_order_does_not_reindex(product, place_order):
    from marketplace.selectors import products_search

    # given a product found by its name
    assert [p.pk for p in products_search("beras")] == [product.pk]
    # when an order moves only its stock, and then staff rename it
    place_order(product, "1")
    assert [p.pk for p in products_search("beras")] == [product.pk]
    product.name = "Gabah kering"
    product.save()
    # then the search knows the new name only
    assert [p.pk for p in products_search("gabah")] == [product.pk]
    assert products_search("beras") == []
