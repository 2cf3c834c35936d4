"""The marketplace in the admin menu ("Pasar BUMDes"): orders, outside requests, products,
BUMDes, categories, staff links, and the two reports.

Every viewset here is a plain :class:`ModelViewSet` (not a snippet: snippets bring bulk actions,
a chooser and a snippet index that would need scoping of their own) with the scoped views of
``admin.views`` and a :class:`~marketplace.permissions.MarketPermissionPolicy`.
"""

from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup

from ..models import (
    PHOTO_FIELDS,
    Bumdes,
    BumdesStaff,
    Order,
    OrderRequest,
    Product,
    ProductCategory,
)
from ..permissions import ALL_ACTIONS, REPORT_VIEW, MarketPermissionPolicy
from ..selectors import new_orders_count, open_requests
from ..templatetags.market import rupiah
from . import reports, views
from .forms import ProductForm, UnitInput


def _rupiah_column(name, label):
    return Column(name, label=label, accessor=lambda obj: rupiah(getattr(obj, name)))


class MarketViewSet(ModelViewSet):
    """A model viewset with the marketplace's scope and permission rules."""

    owner_role = "village"
    refused: tuple = ()
    staff_refused: tuple = ()
    index_view_class = views.ScopedIndexView
    edit_view_class = views.ScopedEditView
    delete_view_class = views.ScopedDeleteView
    inspect_view_class = views.ScopedInspectView
    history_view_class = views.ScopedHistoryView
    usage_view_class = views.ScopedUsageView
    copy_view_class = views.ScopedCopyView
    inspect_view_enabled = True
    copy_view_enabled = False
    # the database's LIKE, on the scoped queryset: no search index to keep in step
    search_backend_name = None

    @cached_property
    def permission_policy(self):
        return MarketPermissionPolicy(
            self.model,
            owner_role=self.owner_role,
            refused=self.refused,
            staff_refused=self.staff_refused,
        )


class CountMenuItem(MenuItem):
    """A menu item whose label carries a count for the user looking at it ("Pesanan (3)")."""

    def __init__(self, *args, count, is_shown, **kwargs):
        super().__init__(*args, **kwargs)
        self._count = count
        self._is_shown = is_shown

    def is_shown(self, request):
        return self._is_shown(request)

    def render_component(self, request):
        component = super().render_component(request)
        count = self._count(request.user)
        if count:
            component.label = f"{self.label} ({count})"
        return component


class CountedViewSet(MarketViewSet):
    """A viewset whose menu item shows ``menu_count(user)`` beside its label."""

    def menu_count(self, user) -> int:
        raise NotImplementedError

    def get_menu_item(self, order=None):
        return CountMenuItem(
            self.menu_label,
            self.menu_url,
            name=self.menu_name,
            icon_name=self.menu_icon,
            order=order if order is not None else self.menu_order,
            count=self.menu_count,
            is_shown=lambda request: self.permission_policy.user_has_permission(
                request.user, "view"
            ),
        )


class OrderViewSet(CountedViewSet):
    model = Order
    name = "market_orders"
    url_prefix = "pasar/pesanan"
    icon = "list-ul"
    menu_label = _("Pesanan")
    # an order changes only through the services: the status buttons of its page
    refused = ("add", "change", "delete")
    form_fields: list = []  # an empty form: its add and edit views refuse everyone anyway
    inspect_view_class = views.OrderInspectView
    list_display = [
        "code",
        "bumdes",
        "buyer_name",
        Column("buyer_phone_masked", label=_("Nomor HP")),
        _rupiah_column("total", _("Total")),
        "status",
        "placed_at",
    ]
    list_filter = ["status", "fulfilment"]
    search_fields = ["code"]
    ordering = ["-placed_at"]
    list_export = [
        "code",
        "bumdes",
        "placed_at",
        "status_label",
        "fulfilment",
        "buyer_name",
        "buyer_phone_masked",
        "total",
    ]
    export_headings = {"status_label": _("Status"), "buyer_phone_masked": _("Nomor HP")}
    export_filename = "pesanan"

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("status/<uuid:pk>/", views.order_status, name="status"),
            path("slip/<uuid:pk>/", views.order_slip, name="slip"),
        ]

    menu_count = staticmethod(new_orders_count)


class RequestIndexView(views.ScopedIndexView):
    """Outside requests still waiting for this village's answer."""

    def get_base_queryset(self):
        return super().get_base_queryset().filter(status="terkirim", order__isnull=True)


class OrderRequestViewSet(CountedViewSet):
    model = OrderRequest
    name = "market_requests"
    url_prefix = "pasar/permintaan"
    icon = "mail"
    menu_label = _("Permintaan luar desa")
    # owned by the upstream; answered with the accept and decline buttons, never edited
    owner_role = "upstream"
    refused = ("add", "change", "delete")
    form_fields: list = []
    index_view_class = RequestIndexView
    inspect_view_class = views.RequestInspectView
    list_display = [
        "code",
        "bumdes",
        "buyer_name",
        "buyer_place",
        _rupiah_column("total", _("Perkiraan total")),
        "requested_at",
    ]
    search_fields = ["code", "buyer_name"]
    ordering = ["requested_at"]

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("terima/<uuid:pk>/", views.request_accept, name="accept"),
            path("tolak/<uuid:pk>/", views.request_decline, name="decline"),
        ]

    menu_count = staticmethod(lambda user: open_requests(user).count())


class ProductViewSet(MarketViewSet):
    model = Product
    name = "market_products"
    url_prefix = "pasar/produk"
    icon = "tag"
    menu_label = _("Produk")
    list_display = [
        "name",
        "bumdes",
        _rupiah_column("price", _("Harga")),
        "stock",
        "unit",
        "active",
        "preorder",
    ]
    list_filter = ["active", "preorder", "category"]
    search_fields = ["name", "short_description"]
    ordering = ["name"]
    list_export = [
        "name",
        "bumdes",
        "category",
        "price",
        "unit",
        "stock",
        "min_order",
        "active",
        "preorder",
        "harvest_date",
    ]
    export_filename = "produk"
    inspect_view_fields_exclude = ["id", "origin", "rev"]
    edit_handler = ObjectList(
        [
            FieldPanel("bumdes"),
            FieldPanel("name"),
            FieldPanel("slug"),
            FieldPanel("category"),
            FieldPanel("short_description"),
            FieldRowPanel(
                [
                    FieldPanel(
                        "price",
                        help_text=_(
                            "Harga per satuan dalam rupiah, angka saja: 15000 tampil sebagai "
                            "Rp 15.000."
                        ),
                    ),
                    FieldPanel(
                        "unit",
                        widget=UnitInput,
                        help_text=_("Mis. kg, ikat, buah, liter; boleh ditulis sendiri."),
                    ),
                ]
            ),
            MultiFieldPanel(
                [
                    FieldPanel("fractional"),
                    FieldRowPanel([FieldPanel("stock"), FieldPanel("min_order")]),
                    FieldRowPanel([FieldPanel("max_per_order"), FieldPanel("max_per_phone")]),
                ],
                heading=_("Stok"),
            ),
            MultiFieldPanel(
                [FieldPanel(name) for name in PHOTO_FIELDS],
                heading=_("Foto (sampai 5)"),
            ),
            FieldPanel("active"),
            FieldRowPanel([FieldPanel("preorder"), FieldPanel("harvest_date")]),
        ],
        base_form_class=ProductForm,
    )


class BumdesViewSet(MarketViewSet):
    model = Bumdes
    name = "market_bumdes"
    url_prefix = "pasar/bumdes"
    icon = "group"
    menu_label = _("BUMDes")
    # staff edit their own BUMDes; adding and removing one is for village officials
    staff_refused = ("add", "delete")
    list_display = ["name", "whatsapp", "opening_hours", "active"]
    search_fields = ["name", "legal_name"]
    ordering = ["name"]
    inspect_view_fields_exclude = ["id", "origin", "rev"]
    panels = [
        FieldPanel("name"),
        FieldPanel("legal_name"),
        FieldPanel("slug"),
        FieldPanel("description"),
        FieldPanel("whatsapp"),
        FieldPanel("address"),
        FieldPanel("opening_hours"),
        FieldPanel("order_expire_hours"),
        FieldPanel("logo"),
        MultiFieldPanel(
            [
                FieldPanel("bank_name"),
                FieldPanel("bank_account_number"),
                FieldPanel("bank_account_holder"),
            ],
            heading=_("Rekening untuk transfer (boleh kosong)"),
        ),
        FieldPanel("active"),
    ]


class CategoryViewSet(MarketViewSet):
    model = ProductCategory
    name = "market_categories"
    url_prefix = "pasar/kategori"
    icon = "folder-open-inverse"
    menu_label = _("Kategori")
    # the upstream's: read-only on a village hub, edited by the operators upstream
    owner_role = "upstream"
    list_display = ["name", "name_en", "slug", "sort_order"]
    search_fields = ["name", "name_en"]
    ordering = ["sort_order", "name"]
    inspect_view_fields_exclude = ["id", "rev"]
    panels = [
        FieldPanel("name"),
        FieldPanel("name_en"),
        FieldPanel("slug"),
        FieldPanel("sort_order"),
    ]


class BumdesStaffViewSet(MarketViewSet):
    model = BumdesStaff
    name = "market_staff"
    url_prefix = "pasar/pengelola"
    icon = "user"
    menu_label = _("Pengelola BUMDes")
    # who manages which BUMDes is for village officials: never for staff themselves
    staff_refused = tuple(ALL_ACTIONS)
    list_display = ["user", "bumdes"]
    search_fields = ["user__username", "bumdes__name"]
    panels = [FieldPanel("user"), FieldPanel("bumdes")]


class ReportMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm(REPORT_VIEW)


class AdministratorMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.is_superuser


class MarketViewSetGroup(ModelViewSetGroup):
    menu_label = _("Pasar BUMDes")
    menu_icon = "tag"
    menu_name = "pasar-bumdes"
    menu_order = 250
    items = (
        OrderViewSet,
        OrderRequestViewSet,
        ProductViewSet,
        BumdesViewSet,
        CategoryViewSet,
        BumdesStaffViewSet,
    )

    def get_submenu_items(self):
        items = super().get_submenu_items()
        order = len(items) + 1
        return items + [
            ReportMenuItem(
                _("Ringkasan harian"),
                reverse("market_report_daily"),
                name="market-report-daily",
                icon_name="date",
                order=order,
            ),
            ReportMenuItem(
                _("Penjualan per bulan"),
                reverse("market_report_sales"),
                name="market-report-sales",
                icon_name="table",
                order=order + 1,
            ),
            AdministratorMenuItem(
                _("Data pembeli"),
                reverse("market_buyer_data"),
                name="market-buyer-data",
                icon_name="user",
                order=order + 2,
            ),
        ]


REPORT_URLS = [
    path("pasar/laporan/harian/", reports.daily, name="market_report_daily"),
    path("pasar/laporan/penjualan/", reports.sales, name="market_report_sales"),
    path("pasar/data-pembeli/", views.buyer_data_erase_view, name="market_buyer_data"),
]
