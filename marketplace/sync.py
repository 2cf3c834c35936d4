"""How the marketplace syncs (registered from ``MarketplaceConfig.ready()``; engine public API
only).

Up from the village: BUMDes, products (photos as blobs), orders and order lines. An order goes up
without the buyer's name, phone, address and note: the upstream does not need a villager's
personal data to show a BUMDes its sales (UU 27/2022: collect and send only what a service
needs). Down from the upstream: categories to its whole region, and each outside order request
to the seller's village alone.
"""

from hub.media.sync import ImageAdapter
from hub.sync.registry import register

from .models import (
    PHOTO_FIELDS,
    Bumdes,
    Order,
    OrderLine,
    OrderRequest,
    Product,
    ProductCategory,
)

ORDER_LOCAL_FIELDS = (
    "buyer_name",
    "buyer_phone",
    "delivery_address",
    "note",
    "client_key",
    "anonymised_at",
)


def request_audience(request: OrderRequest) -> str:
    """The seller's village: an outside buyer's request concerns no one else."""
    return request.bumdes.origin


def register_synced_models():
    images = ImageAdapter()
    register(ProductCategory, owner="upstream")
    register(Bumdes, owner="village", files={"logo": images}, blob_priority=4)
    register(
        Product, owner="village", files={name: images for name in PHOTO_FIELDS}, blob_priority=4
    )
    register(Order, owner="village", exclude=ORDER_LOCAL_FIELDS)
    register(OrderLine, owner="village")
    # the village needs the buyer's name and phone to answer; the address digest stays upstream.
    # An erasure travels as the owner's change of the erased fields; its date stays upstream.
    register(
        OrderRequest,
        owner="upstream",
        audience=request_audience,
        exclude=("client_key", "anonymised_at"),
    )
