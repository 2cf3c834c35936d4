"""The province market on the upstream: every village's products, outside buyers' requests.

Stock and prices on this server are as each village last synced them, so every page says when
that was, and a buyer's request promises nothing until the village answers it.
"""

import re
import threading
from datetime import timedelta
from decimal import Decimal
from urllib.parse import quote, urlencode

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from hub.core.ratelimit import has_query, rate_limit
from hub.core.regions import REGION_PREFIX_RE, format_village_code, region_names

from .. import selectors, services
from ..models import (
    PHOTO_FIELDS,
    Fulfilment,
    OrderRequest,
    OrderStatus,
    Product,
    ProductCategory,
    RequestStatus,
)
from . import client_address

PAGE_SIZE = 24
SEARCH_MAX = 100

# Official names by region code, per process: the list is a static file, read in one pass for
# all the codes a page needs that this process has not named yet.
_names: dict[str, str] = {}
_names_lock = threading.Lock()


def _region_names(codes) -> dict[str, str]:
    wanted = {c for c in codes if c}
    missing = wanted - _names.keys()
    if missing:
        found = region_names(missing)
        with _names_lock:
            for code in missing:
                _names[code] = found.get(code, "")
    return {code: _names[code] for code in wanted}


def rupiah(amount) -> str:
    """``15000`` as ``Rp 15.000``."""
    return "Rp " + f"{int(amount or 0):,}".replace(",", ".")


def number(value) -> str:
    """``1.500`` as ``1,5`` and ``2.000`` as ``2`` (a quantity as Indonesians write it)."""
    text = format(value.normalize(), "f")
    return text.replace(".", ",")


def _ago(moment) -> str:
    return _("%(time)s lalu") % {"time": timesince(moment, timezone.now(), depth=1)}


class VillageInfo:
    """A village as a buyer sees it: its name, kabupaten and how fresh its data is here."""

    def __init__(self, code: str, names: dict, synced_at):
        self.code = code
        self.name = names.get(code) or format_village_code(code)
        self.kabupaten = names.get(code[:4], "")
        self.synced_at = synced_at

    @property
    def label(self) -> str:
        # the seventh digit of a Kemendagri code: 1 kelurahan, 2 desa
        if self.code[6:7] == "1":
            return _("Kelurahan %(name)s") % {"name": self.name}
        return _("Desa %(name)s") % {"name": self.name}

    @property
    def synced_ago(self) -> str:
        return _ago(self.synced_at) if self.synced_at else ""

    @property
    def stale(self) -> bool:
        return self.synced_at is None or timezone.now() - self.synced_at > timedelta(days=1)


def _villages(codes) -> dict[str, VillageInfo]:
    codes = {c for c in codes if c}
    names = _region_names(codes | {c[:4] for c in codes})
    synced = selectors.villages_last_synced(codes)
    return {code: VillageInfo(code, names, synced.get(code)) for code in codes}


def _decorate(products, villages: dict) -> None:
    for product in products:
        product.village = villages.get(product.origin)
        product.price_display = rupiah(product.price)
        product.stock_display = number(product.stock)
        product.min_order_display = number(product.min_order)


def _digits(value: str, length: int) -> str:
    value = (value or "").strip()
    return value if len(value) == length and REGION_PREFIX_RE.match(value) else ""


@rate_limit("search", when=has_query)
def catalogue(request):
    """Products of every village, filtered by kabupaten, village, category and a search."""
    kabupaten = _digits(request.GET.get("kabupaten"), 4)
    village = _digits(request.GET.get("desa"), 10)
    if village and kabupaten and not village.startswith(kabupaten):
        village = ""
    category = None
    slug = (request.GET.get("kategori") or "").strip()[:80]
    if slug:
        category = ProductCategory.objects.filter(slug=slug).first()
    query = (request.GET.get("q") or "").strip()[:SEARCH_MAX]

    filters = {"category": category, "village_prefix": village or kabupaten}
    if query:
        products = selectors.products_search(query, **filters)
    else:
        products = selectors.products_for_sale(**filters)
    page = Paginator(products, PAGE_SIZE).get_page(request.GET.get("halaman"))

    # the filter choices: every kabupaten with products, the villages of the chosen one
    origins = set(Product.objects.for_sale().values_list("origin", flat=True).distinct())
    shown = {p.origin for p in page.object_list}
    villages = _villages(origins | shown)
    names = _region_names({o[:4] for o in origins})
    kabupatens = sorted(
        ({"code": k, "name": names.get(k) or k} for k in {o[:4] for o in origins}),
        key=lambda k: k["name"],
    )
    # villages are offered within one kabupaten: a province has hundreds
    within = kabupaten or (kabupatens[0]["code"] if len(kabupatens) == 1 else "")
    village_choices = sorted(
        (villages[o] for o in origins if within and o.startswith(within)),
        key=lambda v: v.name,
    )
    _decorate(page.object_list, villages)

    kept = {
        k: v
        for k, v in (
            ("kabupaten", kabupaten),
            ("desa", village),
            ("kategori", category.slug if category else ""),
            ("q", query),
        )
        if v
    }
    return render(
        request,
        "marketplace/province/catalogue.html",
        {
            "products": page,
            "query": query,
            "kabupaten": kabupaten,
            "village_code": village,
            "category": category,
            "categories": selectors.categories_in_use(),
            "kabupatens": kabupatens,
            "village_choices": village_choices,
            "filters_query": urlencode(kept),
            "filtered": bool(kept),
        },
    )


def _product_or_404(pk) -> Product:
    return get_object_or_404(
        selectors.products_for_sale().select_related(*(f for f in PHOTO_FIELDS if f != "photo_1")),
        pk=pk,
    )


def _whatsapp_link(product: Product) -> str:
    if not product.bumdes.whatsapp:
        return ""
    text = _("Halo %(bumdes)s, saya melihat %(product)s di Pasar Provinsi. Apakah masih ada?") % {
        "bumdes": product.bumdes.name,
        "product": product.name,
    }
    return f"https://wa.me/{product.bumdes.whatsapp.lstrip('+')}?text={quote(text)}"


def _error_dict(exc: ValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        return {field: list(messages) for field, messages in exc.message_dict.items()}
    return {"__all__": list(exc.messages)}


@require_http_methods(["GET", "HEAD", "POST"])
def product(request, pk):
    """A product with its village's freshness, and the outside buyer's request form."""
    item = _product_or_404(pk)
    villages = _villages({item.origin})
    _decorate([item], villages)
    values = {"fulfilment": Fulfilment.PICKUP, "quantity": number(item.min_order)}
    errors: dict = {}
    if request.method == "POST":
        values = {
            key: (request.POST.get(key) or "").strip()
            for key in (
                "buyer_name",
                "buyer_phone",
                "buyer_place",
                "fulfilment",
                "delivery_address",
                "quantity",
                "note",
                "price_seen",
            )
        }
        order_request, errors = _request_place(item, values, client_address(request))
        if order_request is not None:
            return _confirmation(request, order_request, item)
    return render(
        request,
        "marketplace/province/product.html",
        {
            "product": item,
            "village": item.village,
            "photos": item.photos,
            "whatsapp": _whatsapp_link(item),
            "values": values,
            "errors": errors,
            "fulfilments": _fulfilment_choices(),
        },
        status=400 if errors else 200,
    )


def _fulfilment_choices():
    return [
        (Fulfilment.PICKUP, _("Diambil sendiri di BUMDes")),
        (Fulfilment.DELIVERY, _("Diantar (ongkos dan jangkauan dibicarakan dengan BUMDes)")),
    ]


def _request_place(item: Product, values: dict, address: str):
    """``(request, {})`` when placed, ``(None, errors)`` when not (nothing changed then)."""
    # the price the buyer saw must still be the price: the village may have changed it in a
    # sync since the page was loaded, and a posted price is never taken as the price
    if values["price_seen"] != str(item.price):
        return None, {
            "__all__": [
                _(
                    "Harga %(product)s sekarang %(price)s per %(unit)s. Periksa lagi lalu "
                    "kirim ulang."
                )
                % {"product": item.name, "price": rupiah(item.price), "unit": item.unit}
            ]
        }
    try:
        order_request = services.order_request_place(
            bumdes=item.bumdes,
            lines=[services.LineWanted(item.pk, values["quantity"])],
            buyer_name=values["buyer_name"],
            buyer_phone=values["buyer_phone"],
            buyer_place=values["buyer_place"],
            fulfilment=values["fulfilment"],
            delivery_address=values["delivery_address"],
            note=values["note"],
            client_key=services.client_key_for(address),
        )
    except ValidationError as exc:
        return None, _error_dict(exc)
    return order_request, {}


def _lines(order_request: OrderRequest) -> list[dict]:
    return [
        {
            "name": line.get("name", ""),
            "unit": line.get("unit", ""),
            "quantity": number(Decimal(str(line["quantity"]))),
            "price": rupiah(line.get("unit_price", 0)),
        }
        for line in order_request.lines
    ]


def _confirmation(request, order_request: OrderRequest, item: Product):
    response = render(
        request,
        "marketplace/province/request_sent.html",
        {
            "order_request": order_request,
            "product": item,
            "village": item.village,
            "lines": _lines(order_request),
            "total": rupiah(order_request.total),
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "HEAD", "POST"])
@rate_limit("lookup", methods=("POST",))
def request_status(request):
    """An outside buyer's request, found by its code and the phone it was made with."""
    code = re.sub(r"[^A-Z0-9]", "", (request.GET.get("kode") or "").upper())[:12]
    context: dict = {"code": code, "errors": {}}
    if request.method == "POST":
        code = (request.POST.get("kode") or "").strip().upper()[:12]
        context["code"] = code
        order_request = selectors.request_for_buyer(code=code, phone=request.POST.get("hp") or "")
        if order_request is None:
            context["errors"] = {
                "__all__": [_("Permintaan tidak ditemukan. Periksa kode dan nomor HP.")]
            }
        else:
            context.update(_status_context(order_request))
    response = render(
        request,
        "marketplace/province/request_status.html",
        context,
        status=404 if context["errors"] else 200,
    )
    response["Cache-Control"] = "no-store"
    return response


def _status_context(order_request: OrderRequest) -> dict:
    village = _villages({order_request.bumdes.origin})[order_request.bumdes.origin]
    answer = selectors.request_answer(order_request)
    state = "waiting"
    if answer is not None:
        if answer.status != OrderStatus.CANCELLED:
            state = "accepted"
        elif answer.lines.exists():
            state = "cancelled"
        else:
            state = "declined"
    elif order_request.status == RequestStatus.WITHDRAWN:
        state = "withdrawn"
    reached = village.synced_at is not None and village.synced_at >= order_request.requested_at
    context = {
        "order_request": order_request,
        "village": village,
        "state": state,
        "reached": reached,
        "lines": _lines(order_request),
        "estimate": rupiah(order_request.total),
        "answer": answer,
    }
    if answer is not None:
        context["answer_lines"] = [
            {
                "name": line.product_name,
                "unit": line.unit,
                "quantity": number(line.quantity),
                "subtotal": rupiah(line.subtotal),
            }
            for line in answer.lines.all()
        ]
        context["answer_total"] = rupiah(answer.total)
        context["answer_ago"] = _ago(answer.status_changed_at)
    return context
