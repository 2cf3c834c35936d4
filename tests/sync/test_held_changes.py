"""A change whose synced foreign key points at a record not here yet is held, not refused, and
applied once that record arrives (an order line before its order, across batches too); only
the arrival of the record it waits for retries it, a sender's held changes are capped, and they
expire after SYNC_HELD_MAX_AGE (counted on the sync page and in sync_status)."""

import io
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hub.sync.admin.selectors import held_figures
from hub.sync.changes.apply import changes_apply, dependency_rank
from hub.sync.core.journal import applying
from hub.sync.models import HeldChange
from hub.sync.registry import spec_for
from hub.sync.tasks import sync_housekeeping_task
from hub.sync.wire.codec import record_to_wire
from marketplace.models import Bumdes, Order, OrderLine, Product

OTHER = "1503012022"
UPSTREAM = "15"


@pytest.fixture
def wire_items(village):
    """A BUMDes, product, order and order line of another village, as it pushes them up to the
    upstream (made here, turned into wire items, then removed without leaving tombstones)."""
    with applying():
        bumdes = Bumdes.objects.create(name="BUMDes Tetangga", slug="tetangga", origin=OTHER, rev=1)
        product = Product.objects.create(
            bumdes=bumdes, name="Madu", slug="madu", price=50000, stock=3, origin=OTHER, rev=1
        )
        order = Order.objects.create(bumdes=bumdes, code="ACDEFG", total=50000, origin=OTHER, rev=1)
        line = OrderLine.objects.create(
            order=order,
            product=product,
            product_name="Madu",
            unit="botol",
            unit_price=50000,
            quantity=Decimal("1"),
            subtotal=50000,
            origin=OTHER,
            rev=1,
        )
    items = {
        name: record_to_wire(obj, spec_for(type(obj)))
        for name, obj in (
            ("bumdes", bumdes),
            ("product", product),
            ("order", order),
            ("line", line),
        )
    }
    for model in (OrderLine, Order, Product, Bumdes):
        model._base_manager.all()._raw_delete(model._base_manager.db)
    return items


def apply(items):
    return changes_apply(items, sender=OTHER, me=UPSTREAM, sender_is_upstream=False)


def test_parents_rank_before_children():
    assert dependency_rank("marketplace.bumdes") == 0
    assert dependency_rank("marketplace.product") >= 1
    assert dependency_rank("marketplace.orderline") > dependency_rank("marketplace.order")


def test_a_batch_in_reverse_order_applies_whole(wire_items):
    # given the line first and the BUMDes last
    batch = [wire_items[k] for k in ("line", "order", "product", "bumdes")]
    # when
    result = apply(batch)
    # then
    assert (result.applied, result.refused, result.held) == (4, [], 0)
    assert OrderLine.objects.get().order.code == "ACDEFG"


def test_a_line_before_its_order_waits_across_batches(wire_items):
    # when the line comes alone
    first = apply([wire_items["line"]])
    # then it is held, not refused, and not applied
    assert (first.applied, first.refused, first.held) == (0, [], 1)
    assert HeldChange.objects.get().model == "marketplace.orderline"
    assert not OrderLine.objects.exists()
    # when its BUMDes and product come, it still waits for its order
    second = apply([wire_items["bumdes"], wire_items["product"]])
    assert second.refused == [] and HeldChange.objects.count() == 1
    # when the order comes
    third = apply([wire_items["order"]])
    # then the held line is applied too and nothing waits any more
    assert third.applied == 2 and third.refused == []
    assert OrderLine.objects.get().quantity == Decimal("1")
    assert not HeldChange.objects.exists()
    # and applying everything again changes nothing (idempotent)
    again = apply(list(wire_items.values()))
    assert (again.applied, again.refused, again.held) == (0, [], 0)


def test_a_held_change_is_still_checked_when_it_is_applied(wire_items):
    # given a line that claims the receiving upstream as its origin (forged)
    forged = {**wire_items["line"], "o": UPSTREAM}
    # when
    result = apply([forged])
    # then it is refused outright, never held
    assert result.held == 0 and len(result.refused) == 1
    assert not HeldChange.objects.exists()


FLOODER = "1503012023"


def dangling_lines(template: dict, n: int, *, origin: str) -> list[dict]:
    """``n`` order lines of ``origin`` whose order and product exist nowhere."""
    return [
        {
            **template,
            "id": str(uuid.uuid4()),
            "o": origin,
            "f": {**template["f"], "order_id": str(uuid.uuid4()), "product_id": str(uuid.uuid4())},
        }
        for _ in range(n)
    ]


def another_bumdes(template: dict, slug: str) -> dict:
    return {**template, "id": str(uuid.uuid4()), "f": {**template["f"], "slug": slug}}


def test_only_the_arrival_of_the_awaited_record_retries_a_held_change(wire_items):
    # given a line held for its order
    apply([wire_items["line"]])
    held = HeldChange.objects.get()
    assert (held.waiting_model, str(held.waiting_uid)) == (
        "marketplace.order",
        wire_items["line"]["f"]["order_id"],
    )
    # when an unrelated record arrives
    unrelated = apply([wire_items["bumdes"]])
    # then the held line is not even tried
    assert (unrelated.applied, unrelated.retried) == (1, 0)
    # when the order arrives (its product still missing), the line is tried once and now waits
    # for the product, by key
    order = apply([wire_items["order"]])
    assert (order.retried, order.applied) == (1, 1)
    held = HeldChange.objects.get()
    assert held.waiting_model == "marketplace.product"
    # and the product's arrival applies it
    product = apply([wire_items["product"]])
    assert (product.retried, product.applied) == (1, 2)
    assert OrderLine.objects.exists() and not HeldChange.objects.exists()


def test_a_flood_of_dangling_changes_costs_the_next_sender_nothing(wire_items, settings):
    # given a village's push timed (in queries) before any flood
    before_batch = [another_bumdes(wire_items["bumdes"], "sebelum")]
    with CaptureQueriesContext(connection) as before:
        first = apply(before_batch)
    assert first.applied == 1

    # when a rooted village pushes 5,000 lines that point nowhere
    settings.SYNC_HELD_MAX_PER_SENDER = 2000
    flood = dangling_lines(wire_items["line"], 5000, origin=FLOODER)
    flooded = changes_apply(flood, sender=FLOODER, me=UPSTREAM, sender_is_upstream=False)

    # then it hits the cap: 2,000 held, the rest refused with a clear reason
    assert flooded.held == 2000
    assert len(flooded.refused) == 3000
    assert "SYNC_HELD_MAX_PER_SENDER" in flooded.refused[0]["reason"]
    assert HeldChange.objects.filter(sender=FLOODER).count() == 2000
    # and the next village's push retries none of them and costs the same queries as before
    with CaptureQueriesContext(connection) as after:
        second = apply([another_bumdes(wire_items["bumdes"], "sesudah")])
    assert (second.applied, second.retried, second.refused) == (1, 0, [])
    assert len(after.captured_queries) == len(before.captured_queries)
    # and the sync page reports the waiting changes against the cap
    figures = held_figures()
    assert figures["held_records"] == 2000
    assert figures["held_by_sender"][0] == {"sender": FLOODER, "held": 2000}


def test_held_changes_expire_and_are_reported(wire_items, settings):
    # given a line held for longer than SYNC_HELD_MAX_AGE
    settings.SYNC_HELD_MAX_AGE = 3600
    apply([wire_items["line"]])
    HeldChange.objects.update(held_at=timezone.now() - timedelta(hours=2))

    # when the next batch is applied
    result = apply([wire_items["bumdes"]])

    # then it expired: its data is gone, the row counts as expired, never as waiting
    assert result.expired == 1
    held = HeldChange.objects.get()
    assert held.expired_at is not None and held.item == {}
    assert held_figures()["held_records"] == 0
    assert held_figures()["held_expired"] == 1
    out = io.StringIO()
    call_command("sync_status", stdout=out)
    assert "held_expired: 1" in out.getvalue()
    # and the arrival of what it waited for no longer applies it
    later = apply([wire_items["product"], wire_items["order"]])
    assert later.retried == 0
    assert not OrderLine.objects.exists()
    # while the sender sending it again holds it anew (and it is applied: all is here now)
    again = apply([wire_items["line"]])
    assert again.applied == 1 and OrderLine.objects.exists()


def test_a_dangling_reference_from_a_village_is_not_held_for_another_village(wire_items):
    # given an order of OTHER here
    apply([wire_items["bumdes"], wire_items["product"], wire_items["order"]])
    # when FLOODER sends a line pointing at OTHER's order and product
    forged = {**wire_items["line"], "id": str(uuid.uuid4()), "o": FLOODER}
    result = changes_apply([forged], sender=FLOODER, me=UPSTREAM, sender_is_upstream=False)
    # then it is refused: the sender neither owns those records nor receives them
    assert result.applied == 0 and result.held == 0
    assert "neither owns nor receives" in result.refused[0]["reason"]
    assert not OrderLine.objects.exists()


def test_the_sync_page_shows_waiting_and_expired_changes(wire_items, django_user_model):
    # given one change waiting from FLOODER and one expired
    changes_apply(
        dangling_lines(wire_items["line"], 2, origin=FLOODER),
        sender=FLOODER,
        me=UPSTREAM,
        sender_is_upstream=False,
    )
    HeldChange.objects.filter(pk=HeldChange.objects.first().pk).update(
        expired_at=timezone.now(), item={}
    )
    official = django_user_model.objects.create_user("sekdes", password="rahasia-sekdes-123")
    official.groups.add(Group.objects.get(name="Editors"))
    official.user_permissions.add(
        Permission.objects.get(content_type__app_label="sync", codename="view_syncrun")
    )
    client = Client()
    client.force_login(official)

    # when the official opens the sync page
    response = client.get("/admin/sync/")

    # then both counts are there, the waiting one against the per-sender cap
    text = " ".join(response.content.decode().split())
    assert response.status_code == 200
    assert "Catatan yang kedaluwarsa menunggu induknya</th> <td>1</td>" in text
    assert f"Menunggu, dari {FLOODER}</th> <td>1 / 2000</td>" in text


def test_daily_housekeeping_expires_held_changes_without_any_batch(wire_items, settings):
    # given a change held for longer than SYNC_HELD_MAX_AGE and no batch since
    settings.SYNC_HELD_MAX_AGE = 3600
    apply([wire_items["line"]])
    HeldChange.objects.update(held_at=timezone.now() - timedelta(hours=2))
    # when the daily housekeeping runs
    done = sync_housekeeping_task()
    # then it expired there
    assert done["held_expired"] == 1
    assert HeldChange.objects.get().expired_at is not None
