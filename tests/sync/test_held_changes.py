"""A change whose synced foreign key points at a record not here yet is held, not refused, and
applied once that record arrives (an order line before its order, across batches too)."""

from decimal import Decimal

import pytest

from hub.sync.changes.apply import changes_apply, dependency_rank
from hub.sync.core.journal import applying
from hub.sync.models import HeldChange
from hub.sync.registry import spec_for
from hub.sync.wire.codec import record_to_wire
from marketplace.models import Bumdes, Order, OrderLine, Product

OTHER = "1503012022"
UPSTREAM = "15"


@pytest.fixture
def wire_items(village):
    """A BUMDes, product, order and order line of another village, as the upstream relays them
    (made here, turned into wire items, then removed without leaving tombstones)."""
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
    return changes_apply(items, sender=UPSTREAM, me="1503012021", sender_is_upstream=True)


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
    # given a line that claims the receiving village as its origin (forged)
    forged = {**wire_items["line"], "o": "1503012021"}
    # when
    result = apply([forged])
    # then it is refused outright, never held
    assert result.held == 0 and len(result.refused) == 1
    assert not HeldChange.objects.exists()
