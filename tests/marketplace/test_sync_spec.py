"""What of the marketplace travels: the local-only and personal fields stay where they are."""

from hub.sync.registry import spec_for
from marketplace.models import Order, OrderRequest


def wire_names(model) -> set[str]:
    return {f.name for f in spec_for(model).wire_fields()}


def test_an_order_goes_up_without_the_buyers_personal_data():
    names = wire_names(Order)
    assert {"code", "status", "total", "bumdes", "request", "cancel_reason"} <= names
    assert not names & {"buyer_name", "buyer_phone", "delivery_address", "note", "client_key"}


def test_a_request_goes_down_with_the_buyer_but_not_the_address_digest():
    names = wire_names(OrderRequest)
    assert {"buyer_name", "buyer_phone", "lines", "bumdes"} <= names
    assert "client_key" not in names
