"""Writes of the marketplace: placing orders (with stock reserved atomically and capped per
order and per phone), moving an order through its statuses, expiring new orders nobody
confirmed, outside buyers' order requests and the village's answer to them, and the erasure of
buyers' personal data (retention and a buyer's request, UU 27/2022).

Views, the admin, commands and tests all call these, so every path checks the same rules.
Prices and totals always come from the database, never from what a form posted.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_FLOOR, Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.signal_handlers import disable_reference_index_auto_update

from hub.core.disk import disk_full_as, disk_space_require
from hub.core.personal import phone_masked, phone_normalize
from hub.core.roles import is_upstream

from .models import (
    ORDER_CODE_ALPHABET,
    ORDER_CODE_LENGTH,
    ORDER_NEXT,
    Bumdes,
    BuyerDataLog,
    CancelKind,
    Fulfilment,
    Order,
    OrderLine,
    OrderRequest,
    OrderStatus,
    Product,
    RequestStatus,
)

MAX_LINES = 20
MAX_QUANTITY = Decimal("100000")


class OrderError(ValidationError):
    """An order (or request) that cannot be placed as asked; nothing was changed."""


class RateLimited(OrderError):
    """Too many orders from one client in a short time."""


# an order that still holds stock: counted against its phone's cap
OPEN_STATUSES = (OrderStatus.NEW, OrderStatus.CONFIRMED, OrderStatus.READY)


@dataclass(frozen=True)
class LineWanted:
    product_id: object
    quantity: object  # as typed: parsed and checked by the service


def client_key_for(address: str) -> str:
    """A keyed digest of the client's address: enough to count its orders, not to recover it."""
    return hmac.new(
        settings.SECRET_KEY.encode(), str(address or "").encode(), hashlib.sha256
    ).hexdigest()


def quantity_parse(raw, product: Product) -> Decimal:
    """A quantity a villager typed (``2``, ``1,5``, ``1.5``) checked against the product."""
    text = str(raw if raw is not None else "").strip().replace(",", ".")
    try:
        quantity = Decimal(text)
    except InvalidOperation:
        raise OrderError(_("Jumlah harus berupa angka."), code="quantity") from None
    if not quantity.is_finite() or quantity <= 0:
        raise OrderError(_("Jumlah harus lebih dari nol."), code="quantity")
    if quantity > MAX_QUANTITY or quantity != quantity.quantize(Decimal("0.001")):
        raise OrderError(_("Jumlah tidak valid."), code="quantity")
    if not product.fractional and quantity != quantity.to_integral_value():
        raise OrderError(
            _("%(product)s dijual per %(unit)s utuh: jumlah tidak boleh pecahan.")
            % {"product": product.name, "unit": product.unit},
            code="fraction",
        )
    if quantity < product.min_order:
        raise OrderError(
            _("Pesanan minimum %(product)s adalah %(min)s %(unit)s.")
            % {"product": product.name, "min": _number(product.min_order), "unit": product.unit},
            code="minimum",
        )
    return quantity


def _number(value: Decimal) -> str:
    """``1.5`` as ``1,5`` and ``2.000`` as ``2``."""
    text = format(value.normalize(), "f")
    return text.replace(".", ",")


def _subtotal(price: int, quantity: Decimal) -> int:
    """Whole rupiah, rounded half up (1,5 kg × Rp 15.001 = Rp 22.502)."""
    return int((Decimal(price) * quantity).quantize(Decimal("1"), rounding="ROUND_HALF_UP"))


def _order_code_new(model) -> str:
    for _attempt in range(20):
        code = "".join(secrets.choice(ORDER_CODE_ALPHABET) for _ in range(ORDER_CODE_LENGTH))
        if not model.objects.filter(code=code).exists():
            return code
    raise RuntimeError("no free order code after 20 tries")


def _rate_limit_check(client_key: str) -> None:
    if not client_key:
        return
    window = timezone.now() - timedelta(seconds=settings.MARKET_ORDER_RATE_WINDOW)
    recent = Order.objects.filter(client_key=client_key, placed_at__gte=window).count()
    if recent >= settings.MARKET_ORDER_RATE_LIMIT:
        raise RateLimited(
            _(
                "Terlalu banyak pesanan dari perangkat ini dalam waktu singkat. "
                "Coba lagi beberapa menit lagi, atau hubungi BUMDes."
            ),
            code="rate",
        )


def _request_rate_limit_check(*, client_key: str, phone: str) -> None:
    """Outside buyers: the same limit, counted by address and, separately, by phone number."""
    window = timezone.now() - timedelta(seconds=settings.MARKET_ORDER_RATE_WINDOW)
    recent = OrderRequest.objects.filter(requested_at__gte=window)
    by_client = client_key and recent.filter(client_key=client_key).count()
    by_phone = recent.filter(buyer_phone=phone).count()
    if max(by_client or 0, by_phone) >= settings.MARKET_ORDER_RATE_LIMIT:
        raise RateLimited(
            _(
                "Terlalu banyak permintaan dari perangkat atau nomor ini dalam waktu singkat. "
                "Coba lagi beberapa menit lagi."
            ),
            code="rate",
        )


def _buyer_check(*, buyer_name: str, buyer_phone: str, fulfilment: str, delivery_address: str):
    errors = {}
    name = (buyer_name or "").strip()
    if not name:
        errors["buyer_name"] = [_("Nama pemesan wajib diisi.")]
    elif len(name) > 120:
        errors["buyer_name"] = [_("Nama terlalu panjang (paling banyak 120 huruf).")]
    try:
        phone = phone_normalize(buyer_phone)
    except ValidationError as exc:
        errors["buyer_phone"] = exc.messages
        phone = ""
    if fulfilment not in Fulfilment.values:
        errors["fulfilment"] = [_("Pilih diambil sendiri atau diantar.")]
    address = (delivery_address or "").strip()
    if fulfilment == Fulfilment.DELIVERY and not address:
        errors["delivery_address"] = [_("Tulis alamat antar di dalam desa.")]
    if len(address) > 300:
        errors["delivery_address"] = [_("Alamat terlalu panjang.")]
    if errors:
        raise OrderError(errors)
    return name, phone, address


def _lines_priced(bumdes: Bumdes, wanted: list[LineWanted], *, lock: bool):
    """The wanted lines against the products as they are now: ``[(product, quantity)]``."""
    if not wanted:
        raise OrderError(_("Pilih paling sedikit satu produk."), code="empty")
    if len(wanted) > MAX_LINES:
        raise OrderError(_("Terlalu banyak barang dalam satu pesanan."), code="lines")
    ids = [str(line.product_id) for line in wanted]
    if len(set(ids)) != len(ids):
        raise OrderError(_("Satu produk hanya boleh muncul sekali."), code="duplicate")
    queryset = Product.objects.filter(bumdes=bumdes, pk__in=ids)
    if lock:
        queryset = queryset.select_for_update()
    try:
        products = {str(p.pk): p for p in queryset}
    except ValidationError:
        raise OrderError(_("Produk tidak ditemukan."), code="product") from None
    out = []
    for line in wanted:
        product = products.get(str(line.product_id))
        if product is None or not product.active:
            raise OrderError(_("Produk tidak ditemukan atau tidak dijual lagi."), code="product")
        out.append((product, quantity_parse(line.quantity, product)))
    return out


def phone_cap(product: Product, *, held: Decimal) -> Decimal:
    """What one phone may hold of ``product`` in its open orders: the product's own cap, else
    ``MARKET_PHONE_MAX_SHARE_PERCENT`` of what is available to it (the stock left plus what it
    already holds), whole units for a product sold whole, and never below the minimum order."""
    if product.max_per_phone is not None:
        return product.max_per_phone
    share = Decimal(settings.MARKET_PHONE_MAX_SHARE_PERCENT) / 100
    cap = (product.stock + held) * share
    step = Decimal("0.001") if product.fractional else Decimal("1")
    return max(cap.quantize(step, rounding=ROUND_FLOOR), product.min_order)


def _caps_check(priced, phone: str) -> None:
    """Per order and per phone, so one buyer cannot reserve a BUMDes's whole stock with orders
    nobody confirms. Run inside the order's transaction, after the products are locked."""
    for product, quantity in priced:
        if product.max_per_order is not None and quantity > product.max_per_order:
            raise OrderError(
                _("Paling banyak %(max)s %(unit)s %(product)s dalam satu pesanan.")
                % {
                    "max": _number(product.max_per_order),
                    "unit": product.unit,
                    "product": product.name,
                },
                code="cap_order",
            )
        held = OrderLine.objects.filter(
            product=product, order__buyer_phone=phone, order__status__in=OPEN_STATUSES
        ).aggregate(total=Sum("quantity"))["total"] or Decimal("0")
        cap = phone_cap(product, held=held)
        if held + quantity > cap:
            raise OrderError(
                _(
                    "Satu nomor HP paling banyak memesan %(max)s %(unit)s %(product)s selama "
                    "pesanannya belum selesai; nomor ini sudah memesan %(held)s %(unit)s."
                )
                % {
                    "max": _number(cap),
                    "unit": product.unit,
                    "product": product.name,
                    "held": _number(held),
                },
                code="cap_phone",
            )


def _stock_save(product: Product) -> None:
    """Save a new stock figure (a journal row, so it syncs up). References do not change with the
    stock, so Wagtail's reference index is left alone; the search index skips it likewise."""
    with disable_reference_index_auto_update():
        product.save(update_fields=["stock", "updated_at"])


def order_place(
    *,
    bumdes: Bumdes,
    lines: list[LineWanted],
    buyer_name: str,
    buyer_phone: str,
    fulfilment: str = Fulfilment.PICKUP,
    delivery_address: str = "",
    note: str = "",
    client_key: str = "",
    request: OrderRequest | None = None,
    status: str = OrderStatus.NEW,
) -> Order:
    """Place an order and reserve its stock, in one transaction.

    On the village hub SQLite's IMMEDIATE transactions take the write lock at BEGIN, so two
    orders for the last units queue one after the other and the second sees the first's stock;
    on PostgreSQL the product rows are locked (``select_for_update``). Either way stock never goes
    below zero and nothing is sold twice.
    """
    if not bumdes.active:
        raise OrderError(_("BUMDes ini sedang tidak menerima pesanan."), code="inactive")
    name, phone, address = _buyer_check(
        buyer_name=buyer_name,
        buyer_phone=buyer_phone,
        fulfilment=fulfilment,
        delivery_address=delivery_address,
    )
    note = (note or "").strip()
    if len(note) > 500:
        raise OrderError({"note": [_("Catatan terlalu panjang (paling banyak 500 huruf).")]})
    disk_space_require(OrderError)
    with disk_full_as(OrderError), transaction.atomic():
        return _order_write(
            bumdes=bumdes,
            lines=lines,
            name=name,
            phone=phone,
            fulfilment=fulfilment,
            address=address,
            note=note,
            client_key=client_key,
            request=request,
            status=status,
        )


def _order_write(
    *, bumdes, lines, name, phone, fulfilment, address, note, client_key, request, status
) -> Order:
    """The writes of :func:`order_place`, inside its transaction."""
    _rate_limit_check(client_key)
    priced = _lines_priced(bumdes, lines, lock=True)
    for product, quantity in priced:
        if quantity > product.stock:
            raise OrderError(
                _("Stok %(product)s tinggal %(stock)s %(unit)s.")
                % {
                    "product": product.name,
                    "stock": _number(product.stock),
                    "unit": product.unit,
                },
                code="stock",
            )
    if request is None:
        # an outside request the BUMDes accepts is its own decision, not a villager's
        _caps_check(priced, phone)
    now = timezone.now()
    order = Order(
        bumdes=bumdes,
        code=_order_code_new(Order),
        buyer_name=name,
        buyer_phone=phone,
        fulfilment=fulfilment,
        delivery_address=address if fulfilment == Fulfilment.DELIVERY else "",
        note=note,
        status=status,
        placed_at=now,
        status_changed_at=now,
        request=request,
        client_key=client_key,
        total=sum(_subtotal(p.price, q) for p, q in priced),
    )
    order.save()
    for product, quantity in priced:
        OrderLine(
            order=order,
            product=product,
            product_name=product.name,
            unit=product.unit,
            unit_price=product.price,
            quantity=quantity,
            subtotal=_subtotal(product.price, quantity),
        ).save()
        product.stock -= quantity
        _stock_save(product)
    return order


def order_status_set(*, order: Order, status: str, reason: str = "") -> Order:
    """Move an order to its next status; cancelling needs a reason and gives the stock back."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if status not in ORDER_NEXT.get(order.status, set()):
            raise OrderError(
                _("Pesanan berstatus %(now)s tidak dapat diubah menjadi %(to)s.")
                % {
                    "now": order.get_status_display(),
                    "to": dict(OrderStatus.choices).get(status, status),
                },
                code="transition",
            )
        reason = (reason or "").strip()
        if status == OrderStatus.CANCELLED:
            if not reason:
                raise OrderError({"reason": [_("Tulis alasan pembatalan.")]})
            if len(reason) > 300:
                raise OrderError({"reason": [_("Alasan terlalu panjang.")]})
            _order_cancel(order, reason=reason)
        else:
            order.status = status
            order.status_changed_at = timezone.now()
            order.save()
    return order


def _order_cancel(order: Order, *, reason: str, kind: str = "") -> None:
    """Cancel a locked order and give its stock back, in the caller's transaction."""
    for line in order.lines.select_related("product"):
        if line.product is not None:
            product = Product.objects.select_for_update().get(pk=line.product_id)
            product.stock += line.quantity
            _stock_save(product)
    order.cancel_reason = reason
    order.cancel_kind = kind
    order.status = OrderStatus.CANCELLED
    order.status_changed_at = timezone.now()
    order.save()


def order_expire_stale(*, now=None) -> int:
    """Cancel the new orders no one confirmed within their BUMDes's time (its own
    ``order_expire_hours``, else ``MARKET_ORDER_EXPIRE_HOURS``; 0 turns the default off), stock
    returned in the same transaction. An ordinary status change of a village-owned record: it
    syncs up like a cancellation by the staff. Each order in its own short transaction, so
    villagers' orders never wait long for the write lock. Returns how many were cancelled."""
    if is_upstream():
        return 0  # orders are the villages' records: only their hub may change them
    now = now or timezone.now()
    expired = 0
    for bumdes in Bumdes.objects.all():
        hours = bumdes.order_expire_hours_effective
        if not hours:
            continue
        stale = Order.objects.filter(
            bumdes=bumdes, status=OrderStatus.NEW, placed_at__lt=now - timedelta(hours=hours)
        ).values_list("pk", flat=True)
        for pk in list(stale):
            with transaction.atomic():
                order = Order.objects.select_for_update().get(pk=pk)
                if order.status != OrderStatus.NEW:
                    continue  # confirmed or cancelled meanwhile
                # stored in Indonesian for the staff and the upstream; the buyer's status page
                # shows its own translated sentence (cancel_kind)
                reason = f"Dibatalkan otomatis: tidak dikonfirmasi BUMDes dalam {hours} jam."
                _order_cancel(order, reason=reason, kind=CancelKind.EXPIRED)
            expired += 1
    return expired


def order_request_place(
    *,
    bumdes: Bumdes,
    lines: list[LineWanted],
    buyer_name: str,
    buyer_phone: str,
    buyer_place: str = "",
    fulfilment: str = Fulfilment.PICKUP,
    delivery_address: str = "",
    note: str = "",
    client_key: str = "",
) -> OrderRequest:
    """An outside buyer's request on the province market (upstream). Nothing is reserved: the
    village decides when the request reaches it, against its real stock."""
    name, phone, address = _buyer_check(
        buyer_name=buyer_name,
        buyer_phone=buyer_phone,
        fulfilment=fulfilment,
        delivery_address=delivery_address,
    )
    priced = _lines_priced(bumdes, lines, lock=False)
    with transaction.atomic():
        _request_rate_limit_check(client_key=client_key, phone=phone)
        request = OrderRequest(
            bumdes=bumdes,
            code=_order_code_new(OrderRequest),
            buyer_name=name,
            buyer_phone=phone,
            buyer_place=(buyer_place or "").strip()[:200],
            fulfilment=fulfilment,
            delivery_address=address if fulfilment == Fulfilment.DELIVERY else "",
            note=(note or "").strip()[:500],
            lines=[
                {
                    "product": str(p.pk),
                    "name": p.name,
                    "unit": p.unit,
                    "quantity": format(q.normalize(), "f"),
                    "unit_price": p.price,
                }
                for p, q in priced
            ],
            total=sum(_subtotal(p.price, q) for p, q in priced),
            client_key=client_key,
        )
        request.full_clean()
        request.save()
    return request


def _request_open(order_request: OrderRequest) -> None:
    if Order.objects.filter(request=order_request).exists():
        raise OrderError(_("Permintaan ini sudah dijawab."), code="answered")
    if order_request.status != RequestStatus.SENT:
        raise OrderError(_("Permintaan ini sudah ditarik pembeli."), code="withdrawn")


def order_request_accept(*, order_request: OrderRequest) -> Order:
    """The village accepts an outside request: an order, confirmed, with its stock reserved."""
    with transaction.atomic():
        _request_open(order_request)
        return order_place(
            bumdes=order_request.bumdes,
            lines=[LineWanted(line["product"], line["quantity"]) for line in order_request.lines],
            buyer_name=order_request.buyer_name,
            buyer_phone=order_request.buyer_phone,
            fulfilment=order_request.fulfilment,
            delivery_address=order_request.delivery_address,
            note=order_request.note,
            request=order_request,
            status=OrderStatus.CONFIRMED,
        )


def order_request_decline(*, order_request: OrderRequest, reason: str) -> Order:
    """The village declines an outside request: a cancelled order with the reason, which syncs
    up so the buyer learns of it; no stock is touched."""
    reason = (reason or "").strip()
    if not reason:
        raise OrderError({"reason": [_("Tulis alasan penolakan untuk pembeli.")]})
    if len(reason) > 300:
        raise OrderError({"reason": [_("Alasan terlalu panjang.")]})
    with transaction.atomic():
        _request_open(order_request)
        now = timezone.now()
        order = Order(
            bumdes=order_request.bumdes,
            code=_order_code_new(Order),
            buyer_name=order_request.buyer_name,
            buyer_phone=order_request.buyer_phone,
            fulfilment=order_request.fulfilment,
            status=OrderStatus.CANCELLED,
            cancel_reason=reason,
            placed_at=now,
            status_changed_at=now,
            request=order_request,
            total=0,
        )
        order.save()
    return order


# -- buyers' personal data: retention and erasure ------------------------------------------
#
# An order's buyer data (name, phone, address, note) never leaves its village (marketplace/
# sync.py), so the village erases it; an outside request is the upstream's record, so the
# upstream erases it and the erasure reaches the village as the owner's change. A request's
# name and phone are required fields on every hub (older ones too), hence the placeholders.

CLOSED_ORDER_STATUSES = (OrderStatus.DONE, OrderStatus.CANCELLED)
ERASED_NAME = "(dihapus)"
ERASED_PHONE = "-"


def _order_anonymise(order: Order, now) -> None:
    order.buyer_name = order.buyer_phone = order.delivery_address = order.note = ""
    order.client_key = ""
    order.anonymised_at = now
    order.save()


def _request_anonymise(order_request: OrderRequest, now) -> None:
    order_request.buyer_name = ERASED_NAME
    order_request.buyer_phone = ERASED_PHONE
    order_request.buyer_place = order_request.delivery_address = order_request.note = ""
    order_request.client_key = ""
    order_request.anonymised_at = now
    order_request.save()


def _request_closed_since(order_request: OrderRequest):
    """When a request stopped mattering to its buyer: its answer's last status change once
    the answer is done or cancelled; its own date when withdrawn or never answered; ``None``
    while the village's answer is still open."""
    answer = Order.objects.filter(request=order_request).only("status", "status_changed_at")
    answer = answer.first()
    if answer is None:
        return order_request.requested_at
    if answer.status in CLOSED_ORDER_STATUSES:
        return answer.status_changed_at
    return None


def market_retention_apply(*, now=None) -> dict:
    """Erase the buyer data of orders closed (done or cancelled) ``MARKET_RETENTION_DAYS``
    ago on a village, and of outside requests closed that long ago on the upstream. Each
    erasure is a normal change by the record's owner (it syncs; an order's erased fields never
    left the village anyway). Returns the counts, which the log and ``BuyerDataLog`` keep."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.MARKET_RETENTION_DAYS)
    done = {"orders": 0, "requests": 0}
    if not is_upstream():
        old = Order.objects.filter(
            status__in=CLOSED_ORDER_STATUSES, status_changed_at__lte=cutoff, anonymised_at=None
        )
        for order in old:
            if order.is_local:
                with transaction.atomic():
                    _order_anonymise(order, now)
                done["orders"] += 1
    else:
        old = OrderRequest.objects.filter(requested_at__lte=cutoff, anonymised_at=None)
        for order_request in old:
            closed = _request_closed_since(order_request)
            if order_request.is_local and closed is not None and closed <= cutoff:
                with transaction.atomic():
                    _request_anonymise(order_request, now)
                done["requests"] += 1
    if done["orders"] or done["requests"]:
        BuyerDataLog.objects.create(
            action=BuyerDataLog.Action.RETENTION,
            detail=_("%(orders)d pesanan, %(requests)d permintaan (lebih dari %(days)d hari)")
            % {**done, "days": settings.MARKET_RETENTION_DAYS},
        )
    return done


@dataclass
class BuyerDataErased:
    """What an erasure did: the codes erased here, and those owned by another hub (left as
    they are: ``elsewhere`` maps each code to its owner, where the erasure must be asked)."""

    orders: list[str]
    requests: list[str]
    elsewhere: dict[str, str]


def buyer_data_erase(*, phone: str = "", code: str = "", user=None, reason: str = ""):
    """Erase the buyer data of every order and outside request placed with this phone number,
    or with this order/request code, at a buyer's request (UU 27/2022), whatever their age.

    Refused, with nothing changed, when neither is given, the phone is no phone, nothing
    matches, or a match is still open (the BUMDes must finish or cancel it first: an order
    whose buyer is unknown cannot be handed over). Records another hub owns are left and named
    in the result. Each erased record gets a :class:`BuyerDataLog` row (the user, the reason,
    the masked phone: never the data itself). Returns :class:`BuyerDataErased`.
    """
    code = (code or "").strip().upper()[:12]
    reason = (reason or "").strip()[:300]
    if phone:
        try:
            phone = phone_normalize(phone)
        except ValidationError as exc:
            raise OrderError(exc.messages, code="phone") from exc
    if not phone and not code:
        raise OrderError(_("Isi nomor HP atau kode pesanan."), code="empty")
    orders = Order.objects.none()
    requests = OrderRequest.objects.none()
    if phone:
        orders |= Order.objects.filter(buyer_phone=phone)
        requests |= OrderRequest.objects.filter(buyer_phone=phone)
    if code:
        orders |= Order.objects.filter(code=code)
        requests |= OrderRequest.objects.filter(code=code)
    orders = [o for o in orders.filter(anonymised_at=None) if o.buyer_name or o.buyer_phone]
    requests = list(requests.filter(anonymised_at=None).exclude(buyer_phone=ERASED_PHONE))
    if not orders and not requests:
        raise OrderError(
            _("Tidak ada pesanan atau permintaan dengan data pembeli untuk nomor/kode itu."),
            code="not_found",
        )
    elsewhere = {r.code: r.origin for r in [*orders, *requests] if not r.is_local}
    orders = [o for o in orders if o.is_local]
    requests = [r for r in requests if r.is_local]
    still_open = [o.code for o in orders if o.status not in CLOSED_ORDER_STATUSES]
    still_open += [r.code for r in requests if _request_closed_since(r) is None]
    still_open += [
        r.code
        for r in requests
        if r.status == RequestStatus.SENT and not Order.objects.filter(request=r).exists()
    ]
    if still_open:
        raise OrderError(
            _(
                "Masih berjalan: %(codes)s. Selesaikan atau batalkan dulu, lalu hapus data "
                "pembelinya."
            )
            % {"codes": ", ".join(sorted(set(still_open)))},
            code="open",
        )
    now = timezone.now()
    detail = "; ".join(
        part
        for part in (reason, phone_masked(phone) if phone else "", code and f"kode {code}")
        if part
    )
    with transaction.atomic():
        for order in orders:
            _order_anonymise(order, now)
            BuyerDataLog.objects.create(
                action=BuyerDataLog.Action.ERASE, user=user, order=order, detail=detail
            )
        for order_request in requests:
            _request_anonymise(order_request, now)
            BuyerDataLog.objects.create(
                action=BuyerDataLog.Action.ERASE, user=user, request=order_request, detail=detail
            )
    return BuyerDataErased(
        orders=[o.code for o in orders], requests=[r.code for r in requests], elsewhere=elsewhere
    )


def buyer_data_viewed(*, user, action: str, order=None, order_request=None) -> None:
    """Log that ``user`` saw a buyer's full data (an order's or request's page, a slip); a
    record whose buyer data is erased, or that holds none here, is not logged."""
    record = order if order is not None else order_request
    if record is None or record.anonymised_at is not None or not record.buyer_phone:
        return
    BuyerDataLog.objects.create(
        action=action, user=user, order=order, request=order_request, detail=record.code
    )
