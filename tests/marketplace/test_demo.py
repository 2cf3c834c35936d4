"""The demo shop: loaded after the demo village, complete, and idempotent."""

from django.contrib.auth import get_user_model
from django.core.management import call_command

from hub.site.demo import load_demo_village
from hub.sync.models import JournalEntry
from marketplace.models import (
    Bumdes,
    BumdesStaff,
    Order,
    OrderLine,
    OrderStatus,
    Product,
    ProductCategory,
)


def counts() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (ProductCategory, Bumdes, Product, Order, OrderLine, BumdesStaff, JournalEntry)
    } | {"users": get_user_model().objects.count()}


def test_demo_shop_is_complete_and_loading_it_twice_adds_nothing(db, capsys):
    # given the demo village
    load_demo_village()

    # when the demo shop is loaded, then loaded again
    call_command("load_demo", only=["pasar"])
    first_output = capsys.readouterr().out
    after_first = counts()
    stock_after_first = dict(Product.objects.values_list("slug", "stock"))
    call_command("load_demo", only=["pasar"])
    second_output = capsys.readouterr().out

    # then the shop has a BUMDes with WhatsApp, hours and address, and products with photos
    bumdes = Bumdes.objects.get()
    assert bumdes.whatsapp == "+6281260002021"
    assert bumdes.opening_hours and bumdes.address
    products = Product.objects.all()
    assert 8 <= len(products) <= 10
    assert all(p.photo_1 is not None and p.bumdes == bumdes for p in products)
    # and categories as the province (15) sent them: not editable on the village
    categories = ProductCategory.objects.all()
    assert {c.origin for c in categories} == {"15"}
    assert not any(c.editable_here for c in categories)
    # and a couple of orders placed through the service: stock reserved, one confirmed
    orders = Order.objects.all()
    assert len(orders) == 2
    assert {o.status for o in orders} == {OrderStatus.NEW, OrderStatus.CONFIRMED}
    assert Product.objects.get(slug="beras-merah").stock == 115
    # and a staff account of that BUMDes whose password is printed once
    staff = BumdesStaff.objects.select_related("user").get()
    assert staff.bumdes == bumdes
    assert "Akun BUMDes / BUMDes staff login: bumdes" in first_output
    password = first_output.split("sandi / password: ")[1].split()[0]
    assert staff.user.check_password(password)
    assert "password" not in second_output
    # and the second load added and changed nothing: no row, no revision, no journal entry
    assert counts() == after_first
    assert dict(Product.objects.values_list("slug", "stock")) == stock_after_first
