"""Factories of the marketplace tests: a village with a BUMDes, products, staff users."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from hub.sync.core.journal import applying
from marketplace.models import Bumdes, BumdesStaff, Product, ProductCategory
from marketplace.services import LineWanted, order_place


@pytest.fixture
def category(db, village):
    """A category as it arrives from the upstream (origin: the province)."""
    with applying():
        return ProductCategory.objects.create(
            name="Hasil pertanian",
            name_en="Farm produce",
            slug="hasil-pertanian",
            origin=village.village_code[:2],
            rev=1,
        )


@pytest.fixture
def bumdes_factory(db, village):
    def make(**fields):
        defaults = {"name": "BUMDes Maju Bersama", "slug": "maju-bersama"}
        defaults.update(fields)
        bumdes = Bumdes(**defaults)
        bumdes.full_clean()
        bumdes.save()
        return bumdes

    return make


@pytest.fixture
def bumdes(bumdes_factory):
    return bumdes_factory(whatsapp="0812 3456 7890")


@pytest.fixture
def product_factory(db, bumdes, category):
    def make(**fields):
        defaults = {
            "bumdes": bumdes,
            "category": category,
            "name": "Beras merah",
            "slug": "beras-merah",
            "price": 15000,
            "unit": "kg",
            "fractional": True,
            "stock": Decimal("10"),
            "min_order": Decimal("0.5"),
        }
        defaults.update(fields)
        product = Product(**defaults)
        product.full_clean()
        product.save()
        return product

    return make


@pytest.fixture
def product(product_factory):
    return product_factory()


@pytest.fixture
def place_order():
    def place(product, quantity="1", **fields):
        defaults = {
            "bumdes": product.bumdes,
            "lines": [LineWanted(product.pk, quantity)],
            "buyer_name": "Siti",
            "buyer_phone": "081234567890",
        }
        defaults.update(fields)
        return order_place(**defaults)

    return place


@pytest.fixture
def staff_factory(db, django_user_model):
    """An admin user tied to one BUMDes, in the BUMDes staff group."""

    def make(bumdes, username="kasir"):
        user = django_user_model.objects.create_user(username, password="rahasia-kasir-123")
        group = Group.objects.filter(name="Pengelola BUMDes").first()
        if group is not None:
            user.groups.add(group)
        BumdesStaff.objects.create(user=user, bumdes=bumdes)
        return user

    return make
