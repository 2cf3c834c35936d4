"""Reads of the marketplace: the catalogue, an order found by its code and phone, staff scope,
and the figures of the reports."""

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from hub.core.personal import phone_normalize
from hub.sync.registry import nodes_last_synced

from .models import (
    Bumdes,
    Order,
    OrderLine,
    OrderRequest,
    OrderStatus,
    Product,
    ProductCategory,
)


def market_has_products() -> bool:
    return Product.objects.for_sale().exists()


def products_for_sale(
    *,
    category: ProductCategory | None = None,
    bumdes: Bumdes | None = None,
    village_prefix: str = "",
) -> QuerySet:
    """Products a buyer may order, newest edits last, with what a list card needs."""
    queryset = Product.objects.for_sale().select_related("bumdes", "category", "photo_1")
    if category is not None:
        queryset = queryset.filter(category=category)
    if bumdes is not None:
        queryset = queryset.filter(bumdes=bumdes)
    if village_prefix:
        queryset = queryset.filter(origin__startswith=village_prefix)
    return queryset.order_by("name", "pk")


def products_search(query: str, **filters) -> list:
    """Products matching ``query`` (Wagtail search), within the same filters as the catalogue."""
    query = (query or "").strip()[:100]
    if not query:
        return []
    # the search backend filters only on indexed FilterFields (not bumdes__active, not origin):
    # search the active products, then keep the hits the catalogue's filters allow, in rank order
    hits = [p.pk for p in Product.objects.filter(active=True).search(query, operator="and")[:500]]
    found = products_for_sale(**filters).in_bulk(hits)
    return [found[pk] for pk in hits if pk in found]


def categories_in_use() -> QuerySet:
    return ProductCategory.objects.annotate(
        n=Count("products", filter=Q(products__active=True, products__bumdes__active=True))
    ).filter(n__gt=0)


def order_for_buyer(*, code: str, phone: str) -> Order | None:
    """The order with this code, only when the phone given is the one it was placed with."""
    code = (code or "").strip().upper()[:12]
    try:
        phone = phone_normalize(phone)
    except ValidationError:
        return None
    if not code:
        return None
    return (
        Order.objects.select_related("bumdes")
        .prefetch_related("lines")
        .filter(code=code, buyer_phone=phone)
        .first()
    )


def request_for_buyer(*, code: str, phone: str) -> OrderRequest | None:
    """An outside buyer's request (upstream), found the same way."""
    code = (code or "").strip().upper()[:12]
    try:
        phone = phone_normalize(phone)
    except ValidationError:
        return None
    return (
        OrderRequest.objects.select_related("bumdes").filter(code=code, buyer_phone=phone).first()
    )


def request_answer(order_request: OrderRequest) -> Order | None:
    """The village's answer to a request, once it has synced up."""
    return Order.objects.filter(request=order_request).first()


def staff_bumdes(user) -> Bumdes | None:
    """The one BUMDes a staff user is limited to; None for users not tied to one."""
    link = getattr(user, "bumdes_staff", None) if user.is_authenticated else None
    return link.bumdes if link is not None else None


def scoped(queryset: QuerySet, user, *, field: str = "bumdes") -> QuerySet:
    """``queryset`` limited to what ``user`` may see: their BUMDes only, when they have one."""
    bumdes = staff_bumdes(user)
    if bumdes is None:
        return queryset
    return queryset.filter(**{field: bumdes})


def new_orders_count(user) -> int:
    return scoped(Order.objects.filter(status=OrderStatus.NEW), user).count()


def open_requests(user) -> QuerySet:
    """Outside requests not answered yet, for this user's BUMDes."""
    return scoped(
        OrderRequest.objects.filter(status="terkirim", order__isnull=True), user
    ).select_related("bumdes")


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, start + timedelta(days=1)


def daily_summary(*, user, day: date) -> dict:
    """Orders placed on ``day`` (local time) and what was sold, per BUMDes in scope."""
    start, end = _day_bounds(day)
    orders = scoped(Order.objects.filter(placed_at__gte=start, placed_at__lt=end), user)
    by_status = dict(orders.values_list("status").annotate(n=Count("pk")))
    sold = orders.exclude(status=OrderStatus.CANCELLED)
    lines = (
        OrderLine.objects.filter(order__in=sold)
        .values("product_name", "unit")
        .annotate(quantity=Sum("quantity"), amount=Sum("subtotal"))
        .order_by("-amount", "product_name")
    )
    return {
        "day": day,
        "orders": orders.count(),
        "by_status": [(label, by_status.get(value, 0)) for value, label in OrderStatus.choices],
        "revenue": sold.aggregate(total=Sum("total"))["total"] or 0,
        "lines": list(lines),
    }


def sales_by_product_month(*, user, year: int | None = None) -> list[dict]:
    """Sold quantity and amount per product and month (cancelled orders left out)."""
    lines = scoped(
        OrderLine.objects.exclude(order__status=OrderStatus.CANCELLED), user, field="order__bumdes"
    )
    if year:
        lines = lines.filter(order__placed_at__year=year)
    rows = (
        lines.annotate(month=TruncMonth("order__placed_at"))
        .values("month", "product_name", "unit", "order__bumdes__name")
        .annotate(quantity=Sum("quantity"), amount=Sum("subtotal"), orders=Count("order"))
        .order_by("-month", "order__bumdes__name", "product_name")
    )
    return list(rows)


def villages_last_synced(codes) -> dict:
    return nodes_last_synced(codes)


def market_facets(products) -> dict:
    """Counts per category for a list of products (the filter links of the province market)."""
    counts = defaultdict(int)
    for product in products:
        counts[product.category_id] += 1
    return dict(counts)
