"""The villager's shop on the village hub: catalogue, BUMDes, product, order, status.

Catalogue, BUMDes and product pages set no cookie, so the anonymous page cache keeps them.
The order form and the status form carry a CSRF token, so they live on pages of their own and
are never cached. Nothing here runs JavaScript.
"""

from django.core import signing
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe
from wagtail.images import get_image_model

from hub.core.pagecache import per_generation
from hub.core.ratelimit import has_query, rate_limit
from hub.media.selectors import with_renditions

from .. import selectors, services
from ..forms import OrderForm, OrderLookupForm
from ..models import PHOTO_FIELDS, Bumdes, Order, Product, ProductCategory
from . import client_address

PAGE_SIZE = 24
MAX_QUERY_LENGTH = 100
PLACED_SALT = "marketplace.order-placed"
PLACED_MAX_AGE = 3 * 24 * 3600

# what a catalogue card shows, and what balai_image needs of its photo (the focal point picks
# the rendition); the rest of a product is left in the database
CARD_FIELDS = (
    "name",
    "slug",
    "price",
    "unit",
    "stock",
    "min_order",
    "preorder",
    "harvest_date",
    "bumdes__name",
    "bumdes__slug",
    "photo_1__file",
    "photo_1__width",
    "photo_1__height",
    "photo_1__focal_point_x",
    "photo_1__focal_point_y",
    "photo_1__focal_point_width",
    "photo_1__focal_point_height",
)


def _cards(queryset):
    return queryset.select_related(None).select_related("bumdes", "photo_1").only(*CARD_FIELDS)


def _filters():
    """The category and BUMDes links, once per cache generation (they change with products)."""
    return {
        "categories": per_generation(
            "market-categories", lambda: list(selectors.categories_in_use())
        ),
        "bumdes_list": per_generation(
            "market-bumdes",
            lambda: list(
                Bumdes.objects.filter(active=True, products__active=True)
                .distinct()
                .only("name", "slug")
            ),
        ),
    }


def _catalogue_render(request, *, category=None, bumdes=None):
    query = request.GET.get("q", "").strip()
    error = ""
    if len(query) > MAX_QUERY_LENGTH:
        error = _("Kata kunci terlalu panjang (paling banyak %(max)d huruf).") % {
            "max": MAX_QUERY_LENGTH
        }
        query = query[:MAX_QUERY_LENGTH]
        items = Paginator([], PAGE_SIZE).get_page(1)
    elif query:
        found = selectors.products_search(query, category=category, bumdes=bumdes)
        items = Paginator(found, PAGE_SIZE).get_page(request.GET.get("halaman"))
    else:
        products = _cards(selectors.products_for_sale(category=category, bumdes=bumdes))
        items = Paginator(products, PAGE_SIZE).get_page(request.GET.get("halaman"))
    with_renditions([product.photo_1 for product in items], "thumb")
    if bumdes is not None:
        with_renditions([bumdes.logo], "logo")
    context = {
        "items": items,
        "query": query,
        "error": error,
        "category": category,
        "bumdes": bumdes,
        "base_url": request.path,
        **_filters(),
    }
    return render(request, "marketplace/catalogue.html", context, status=400 if error else 200)


@require_safe
@rate_limit("search", when=has_query)
def catalogue(request):
    return _catalogue_render(request)


@require_safe
@rate_limit("search", when=has_query)
def category(request, slug):
    found = ProductCategory.objects.filter(slug=slug).first()
    if found is None:
        raise Http404
    return _catalogue_render(request, category=found)


@require_safe
@rate_limit("search", when=has_query)
def bumdes(request, slug):
    found = Bumdes.objects.filter(slug=slug, active=True).select_related("logo").first()
    if found is None:
        raise Http404
    return _catalogue_render(request, bumdes=found)


def _product_for_sale(*related: str, **lookup) -> Product:
    product = Product.objects.for_sale().select_related("bumdes", *related).filter(**lookup).first()
    if product is None:
        raise Http404
    return product


def _other_photos_load(product: Product) -> None:
    """Photos 2 to 5 in one query: cheaper than four more joins on every product page."""
    wanted = [(f, getattr(product, f"{f}_id")) for f in PHOTO_FIELDS[1:]]
    wanted = [(field, pk) for field, pk in wanted if pk is not None]
    if not wanted:
        return
    images = get_image_model().objects.in_bulk([pk for _field, pk in wanted])
    for field, pk in wanted:
        setattr(product, field, images.get(pk))


@require_safe
def product(request, bumdes_slug, product_slug):
    found = _product_for_sale("category", "photo_1", bumdes__slug=bumdes_slug, slug=product_slug)
    _other_photos_load(found)
    with_renditions(found.photos, "full")
    return render(request, "marketplace/product.html", {"product": found})


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def order(request, pk):
    found = _product_for_sale("photo_1", pk=pk)
    status = 200
    if request.method == "POST":
        form = OrderForm(request.POST, product=found)
        if form.is_valid():
            data = form.cleaned_data
            try:
                placed = services.order_place(
                    bumdes=found.bumdes,
                    lines=[services.LineWanted(found.pk, data["quantity"])],
                    buyer_name=data["buyer_name"],
                    buyer_phone=data["buyer_phone"],
                    fulfilment=data["fulfilment"],
                    delivery_address=data["delivery_address"],
                    note=data["note"],
                    client_key=services.client_key_for(client_address(request)),
                )
            except services.RateLimited as exc:
                form.add_service_error(exc)
                status = 429
            except services.OrderError as exc:
                form.add_service_error(exc)
                status = 507 if getattr(exc, "code", None) == "disk" else 400
            else:
                token = signing.dumps(str(placed.pk), salt=PLACED_SALT)
                return redirect("market:order_placed", token=token)
        else:
            status = 400
    else:
        form = OrderForm(product=found)
    with_renditions([found.photo_1], "thumb")
    return render(
        request, "marketplace/order_form.html", {"product": found, "form": form}, status=status
    )


@never_cache
@require_safe
def order_placed(request, token):
    """The confirmation after the POST. The URL holds only a signed order id: no name or phone."""
    try:
        pk = signing.loads(token, salt=PLACED_SALT, max_age=PLACED_MAX_AGE)
    except signing.BadSignature:
        raise Http404 from None
    placed = get_object_or_404(
        Order.objects.select_related("bumdes").prefetch_related("lines"), pk=pk
    )
    status_url = reverse("market:order_status") + "?kode=" + placed.code
    return render(
        request,
        "marketplace/order_placed.html",
        {"order": placed, "status_url": status_url},
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@rate_limit("lookup", methods=("POST",))
def order_status(request):
    """Order code and phone in, the order out; any wrong pair gets the same "not found"."""
    found = None
    not_found = False
    if request.method == "POST":
        form = OrderLookupForm(request.POST)
        if form.is_valid():
            found = selectors.order_for_buyer(
                code=form.cleaned_data["code"], phone=form.cleaned_data["phone"]
            )
            not_found = found is None
    else:
        form = OrderLookupForm(initial={"code": request.GET.get("kode", "")[:12]})
    return render(
        request,
        "marketplace/order_status.html",
        {"form": form, "order": found, "not_found": not_found},
    )
