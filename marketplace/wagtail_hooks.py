"""Admin registration: the "Pasar BUMDes" menu (orders, outside requests, products, BUMDes,
categories, staff links, reports), the new-orders panel on the dashboard, and the marketplace
permissions in the group editor."""

from django.contrib.auth.models import Permission
from django.urls import reverse
from wagtail import hooks
from wagtail.admin.ui.components import Component

from .admin.viewsets import REPORT_URLS, MarketViewSetGroup
from .permissions import REPORT_VIEW
from .selectors import new_orders_count, open_requests, staff_bumdes


@hooks.register("register_admin_viewset")
def register_market_viewsets():
    return MarketViewSetGroup()


@hooks.register("register_admin_urls")
def register_market_report_urls():
    return REPORT_URLS


class NewOrdersPanel(Component):
    """The dashboard's "Pesanan baru" panel: new orders and open outside requests, counted in
    the user's scope."""

    name = "market_new_orders"
    template_name = "marketplace/admin/home_panel.html"
    order = 50

    def __init__(self, user):
        self.user = user

    def get_context_data(self, parent_context):
        return {
            "bumdes": staff_bumdes(self.user),
            "new_orders": new_orders_count(self.user),
            "open_requests": open_requests(self.user).count(),
            "orders_url": reverse("market_orders:index") + "?status=baru",
            "requests_url": reverse("market_requests:index"),
        }


@hooks.register("construct_homepage_panels")
def add_new_orders_panel(request, panels):
    if request.user.has_perm(REPORT_VIEW):
        panels.append(NewOrdersPanel(request.user))


@hooks.register("register_permissions")
def register_market_permissions():
    return Permission.objects.filter(content_type__app_label="marketplace")
