"""Villager-facing abuse of the BUMDes shop (issue 12 §3) and orders on a full disk (§4).

Each test is an attack or a fault: one buyer reserving the whole stock, orders nobody confirms,
guessing order codes, flooding the search, an SD card that fills up. What must be seen: a clear
message (400/429/507, never 500), nothing saved, the stock right.
"""

import json
import os
import shutil
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from django_q.models import Schedule

from hub.core import disk
from marketplace.models import CancelKind, Order, OrderStatus
from marketplace.services import (
    LineWanted,
    OrderError,
    order_expire_stale,
    order_place,
    order_status_set,
    phone_cap,
)
from marketplace.tasks import EXPIRE_SCHEDULE as EXPIRE_SCHEDULE_NAME
from marketplace.tasks import order_expire_task
from tests.harness.disk import fill, small_tmpfs

pytestmark = pytest.mark.django_db

PHONE = "081234567890"


@pytest.fixture
def limits(settings):
    settings.HUB_RATE_LIMITS = {"lookup": (3, 300), "search": (4, 60), "page-query": (60, 60)}
    return settings.HUB_RATE_LIMITS


def _order_form(product, quantity, phone=PHONE, **extra):
    return {
        "quantity": quantity,
        "buyer_name": "Siti",
        "buyer_phone": phone,
        "fulfilment": "ambil",
        "delivery_address": "",
        "note": "",
        **extra,
    }


# --- quantity caps ------------------------------------------------------------------------


def test_one_phone_cannot_reserve_the_whole_stock_by_default(place_order, product):
    # given 10 units and no cap on the product (the hub's default: half of what is available)
    # when one phone orders 4, then tries 2 more
    place_order(product, "4")
    with pytest.raises(OrderError) as refused:
        place_order(product, "2")
    # then the second order is refused with what the phone already holds, nothing saved
    assert refused.value.code == "cap_phone"
    assert "sudah memesan 4" in refused.value.messages[0]
    product.refresh_from_db()
    assert product.stock == Decimal("6")
    assert Order.objects.count() == 1
    # and another phone may still order
    place_order(product, "3", buyer_phone="082111222333")


def test_the_product_caps_win_over_the_default(place_order, product):
    # given the BUMDes allows 2 per order and 3 per phone
    product.max_per_order = Decimal("2")
    product.max_per_phone = Decimal("3")
    product.save()
    # when one phone asks 3 at once, then 2 + 2
    with pytest.raises(OrderError) as too_big:
        place_order(product, "3")
    place_order(product, "2")
    with pytest.raises(OrderError) as too_many:
        place_order(product, "2")
    # then both are refused with the cap, the stock moved only for the order placed
    assert too_big.value.code == "cap_order"
    assert "Paling banyak 2" in too_big.value.messages[0]
    assert too_many.value.code == "cap_phone"
    product.refresh_from_db()
    assert product.stock == Decimal("8")


def test_closed_orders_no_longer_count_against_the_phone(place_order, product):
    # given a phone at its cap, whose order is then collected (done)
    first = place_order(product, "5")
    for status in (OrderStatus.CONFIRMED, OrderStatus.READY, OrderStatus.DONE):
        order_status_set(order=first, status=status)
    # when it orders again, it may (half of the 5 left, floored: 2)
    place_order(product, "2")
    with pytest.raises(OrderError):
        place_order(product, "1")


def test_default_cap_never_goes_below_the_minimum_order(product):
    # one unit left: half of it is less than the minimum of 1; one phone may still buy it
    product.fractional = False
    product.min_order = Decimal("1")
    product.stock = Decimal("1")
    assert phone_cap(product, held=Decimal("0")) == Decimal("1")
    product.fractional = True
    product.min_order = Decimal("0.5")
    product.stock = Decimal("2.5")
    assert phone_cap(product, held=Decimal("0.5")) == Decimal("1.5")


def test_cap_message_on_the_order_form(client, product):
    # given a product capped at 2 per order
    product.max_per_order = Decimal("2")
    product.save()
    # when a villager posts 5
    response = client.post(f"/pasar/pesan/{product.pk}/", _order_form(product, "5"))
    # then the form says why, on the quantity, and nothing was ordered
    assert response.status_code == 400
    assert "Paling banyak 2" in response.content.decode()
    assert Order.objects.count() == 0


def test_an_accepted_outside_request_is_not_capped(product, place_order):
    # the BUMDes accepting an outside buyer's request decides itself: no per-phone cap
    from marketplace.models import OrderRequest
    from marketplace.services import order_request_accept

    request = OrderRequest.objects.create(
        bumdes=product.bumdes,
        code="REQ123",
        buyer_name="Budi",
        buyer_phone="+6281234567890",
        lines=[{"product": str(product.pk), "quantity": "8"}],
    )
    order = order_request_accept(order_request=request)
    assert order.status == OrderStatus.CONFIRMED


# --- expiry -------------------------------------------------------------------------------


def _age(order, hours):
    Order.objects.filter(pk=order.pk).update(placed_at=timezone.now() - timedelta(hours=hours))


def test_unconfirmed_orders_expire_and_give_their_stock_back(place_order, product, settings):
    # given orders a buyer never came for: one 49 hours old, one 47 hours old, one confirmed
    settings.MARKET_ORDER_EXPIRE_HOURS = 48
    stale = place_order(product, "2")
    fresh = place_order(product, "1", buyer_phone="082111222333")
    confirmed = place_order(product, "1", buyer_phone="083111222333")
    order_status_set(order=confirmed, status=OrderStatus.CONFIRMED)
    for order, hours in ((stale, 49), (fresh, 47), (confirmed, 100)):
        _age(order, hours)
    rev_before = Order.objects.get(pk=stale.pk).rev
    # when the scheduled task runs
    assert order_expire_task() == 1
    # then only the stale one is cancelled, as expired, with its stock back
    stale.refresh_from_db()
    assert (stale.status, stale.cancel_kind) == (OrderStatus.CANCELLED, CancelKind.EXPIRED)
    assert "48 jam" in stale.cancel_reason
    assert stale.rev > rev_before  # an ordinary change of the village's record: it syncs up
    product.refresh_from_db()
    assert product.stock == Decimal("10") - 1 - 1
    assert Order.objects.get(pk=fresh.pk).status == OrderStatus.NEW
    assert Order.objects.get(pk=confirmed.pk).status == OrderStatus.CONFIRMED
    # and a second run changes nothing (no stock returned twice)
    assert order_expire_stale() == 0
    product.refresh_from_db()
    assert product.stock == Decimal("8")


def test_a_bumdes_may_set_its_own_expiry(place_order, product, settings):
    settings.MARKET_ORDER_EXPIRE_HOURS = 48
    product.bumdes.order_expire_hours = 6
    product.bumdes.save()
    order = place_order(product, "1")
    _age(order, 7)
    assert order_expire_stale() == 1


def test_expiry_off_and_never_on_the_upstream(place_order, product, settings):
    order = place_order(product, "1")
    _age(order, 10_000)
    settings.MARKET_ORDER_EXPIRE_HOURS = 0
    assert order_expire_stale() == 0
    settings.MARKET_ORDER_EXPIRE_HOURS = 48
    settings.HUB_ROLE = "upstream"
    assert order_expire_stale() == 0
    assert Order.objects.get(pk=order.pk).status == OrderStatus.NEW


def test_the_buyers_status_page_says_why(client, place_order, product, settings):
    # given an order that expired
    settings.MARKET_ORDER_EXPIRE_HOURS = 48
    order = place_order(product, "1")
    _age(order, 49)
    order_expire_stale()
    # when the buyer looks it up, in Indonesian and in English
    form = {"code": order.code, "phone": PHONE}
    indonesian = client.post("/pasar/status/", form).content.decode()
    client.cookies["balai_bahasa"] = "en"
    english = client.post("/pasar/status/", form).content.decode()
    # then the page says it was not confirmed in 48 hours and the stock went back
    assert "belum mengonfirmasinya dalam 48 jam" in indonesian
    assert "Dibatalkan" in indonesian
    assert "did not confirm it within 48 hours" in english


def test_the_expiry_schedule_is_made_after_migrations():
    schedule = Schedule.objects.get(name=EXPIRE_SCHEDULE_NAME)
    assert schedule.func == "marketplace.tasks.order_expire_task"
    assert (schedule.schedule_type, schedule.minutes) == (Schedule.MINUTES, 15)


# --- rate limits --------------------------------------------------------------------------


def test_order_code_guessing_is_stopped_and_the_right_code_is_not_revealed(
    client, limits, product, place_order
):
    # given a real order, and an attacker guessing codes for its phone
    order = place_order(product, "1", buyer_phone="081234567890")
    guesses = [
        client.post("/pasar/status/", {"code": f"AAAA{n:02d}", "phone": "081234567890"})
        for n in range(3)
    ]
    # when the 4th try has the right code
    right = client.post("/pasar/status/", {"code": order.code, "phone": "081234567890"})
    # then the guesses were answered "not found" and the right one gets the 429 page only
    assert [g.status_code for g in guesses] == [200] * 3
    assert all("Pesanan tidak ditemukan" in g.content.decode() for g in guesses)
    assert right.status_code == 429
    body = right.content.decode()
    assert order.code not in body and "Terlalu banyak permintaan" in body
    assert 1 <= int(right["Retry-After"]) <= 300
    assert "no-store" in right["Cache-Control"]
    # and another phone on the Wi-Fi (another address) still looks its order up
    other = client.post(
        "/pasar/status/",
        {"code": order.code, "phone": "081234567890"},
        REMOTE_ADDR="10.20.0.7",
    )
    assert other.status_code == 200 and order.code in other.content.decode()


def test_the_status_form_itself_is_not_limited(client, limits):
    # opening the empty form (GET) costs no lookup
    assert {client.get("/pasar/status/").status_code for _ in range(6)} == {200}


def test_market_search_is_limited_but_browsing_is_not(client, limits, product):
    searches = [client.get("/pasar/", {"q": f"beras {n}"}) for n in range(5)]
    assert searches[-1].status_code == 429
    # the catalogue without a search is a cached page: not counted, not refused
    assert client.get("/pasar/").status_code == 200
    assert client.get("/pasar/", {"halaman": "1"}).status_code == 200


# --- a full disk --------------------------------------------------------------------------


@pytest.fixture
def tiny_disk(settings):
    """The hub's data directory on an 8 MB tmpfs; critical below 1 MB, low below 4 MB."""
    with small_tmpfs(8 * 1024 * 1024) as mount:
        settings.DATA_DIR = mount
        settings.MEDIA_ROOT = mount / "media"
        settings.HUB_HEALTH_MIN_FREE_BYTES = 1024 * 1024
        settings.HUB_DISK_WARN_FREE_BYTES = 4 * 1024 * 1024
        yield mount


def test_order_on_a_nearly_full_disk_is_refused_with_a_message(client, product, tiny_disk):
    # given the data disk filled to ~0.5 MB free (below the critical 1 MB)
    fill(tiny_disk, leave_bytes=512 * 1024)
    assert disk.disk_level() == disk.CRITICAL
    # when a villager orders
    response = client.post(f"/pasar/pesan/{product.pk}/", _order_form(product, "1"))
    # then a clear message, not a 500; nothing saved, the stock untouched
    assert response.status_code == 507
    assert "Penyimpanan hub desa sedang penuh" in response.content.decode()
    assert Order.objects.count() == 0
    product.refresh_from_db()
    assert product.stock == Decimal("10")
    # and /healthz says 503 with the disk level
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json()["disk"]["level"] == "critical"


def test_orders_still_work_when_the_disk_is_only_low(client, product, tiny_disk):
    fill(tiny_disk, leave_bytes=2 * 1024 * 1024)
    assert disk.disk_level() == disk.LOW
    response = client.post(f"/pasar/pesan/{product.pk}/", _order_form(product, "1"))
    assert response.status_code == 302
    assert client.get("/healthz").status_code == 200


ORDER_ON_FULL_DISK = """
import json, os, sys
import django
django.setup()
from decimal import Decimal
from marketplace.models import Order, Product
from marketplace.services import LineWanted, OrderError, order_place
from tests.harness.disk import fill

product = Product.objects.get(slug="beras-merah")  # opens the database: WAL and shm exist
orders_before = Order.objects.count()
fill(__import__("pathlib").Path(os.environ["HUB_DATA_DIR"]))  # then the card fills up
try:
    order_place(bumdes=product.bumdes, lines=[LineWanted(product.pk, "1")],
                buyer_name="Siti", buyer_phone="081234567890", note="x" * 400)
    outcome = {"placed": True}
except OrderError as exc:
    outcome = {"code": exc.code, "message": exc.messages[0], "cause": str(exc.__cause__)}
os.remove(os.path.join(os.environ["HUB_DATA_DIR"], "ballast"))  # room to read the result
product.refresh_from_db()
outcome.update(stock=str(product.stock), orders=Order.objects.count() - orders_before)
print(json.dumps(outcome))
"""


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sqlite_on_a_full_card_refuses_the_order_with_a_message(product, settings):
    # given the hub's real database on an 8 MB tmpfs (a copy of this test's, by VACUUM INTO),
    # and no free-space threshold, so SQLite itself meets the full disk
    with small_tmpfs(8 * 1024 * 1024) as mount:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM INTO %s", [str(mount / "db.sqlite3")])
        shutil.copy(settings.HUB_FIELD_KEY_FILE, mount / "field_key")
        env = {
            "PATH": os.environ["PATH"],
            "DJANGO_SETTINGS_MODULE": "hub.settings.main",
            "HUB_DATA_DIR": str(mount),
            "HUB_SECRET_KEY": settings.SECRET_KEY,
            "HUB_FIELD_KEY_FILE": str(mount / "field_key"),
            "HUB_HEALTH_MIN_FREE_MB": "0",
            "HUB_DISK_WARN_FREE_MB": "0",
            "HUB_LOG_LEVEL": "ERROR",
        }
        # when a villager's order is written after the card has filled up
        result = subprocess.run(
            [sys.executable, "-c", ORDER_ON_FULL_DISK],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    # then SQLite's own "database or disk is full" became the clear message; nothing saved
    assert outcome.get("code") == "disk", outcome
    assert "Penyimpanan hub desa sedang penuh" in outcome["message"]
    assert "full" in outcome["cause"] or "space" in outcome["cause"], outcome
    assert outcome["orders"] == 0
    assert Decimal(outcome["stock"]) == Decimal("10")


def test_order_place_service_refuses_on_a_full_disk(product, tiny_disk):
    fill(tiny_disk)
    with pytest.raises(OrderError) as refused:
        order_place(
            bumdes=product.bumdes,
            lines=[LineWanted(product.pk, "1")],
            buyer_name="Siti",
            buyer_phone=PHONE,
        )
    assert refused.value.code == "disk"
    assert Order.objects.count() == 0
