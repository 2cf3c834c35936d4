"""The "Statistik desa" page in the admin menu: on the upstream every village's figures, on a
village its own (what it sends up)."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import views


@hooks.register("register_admin_urls")
def register_stats_urls():
    return [path("statistik/", views.table, name="stats_table")]


class StatsMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm(views.VIEW_PERMISSION)


@hooks.register("register_admin_menu_item")
def register_stats_menu_item():
    return StatsMenuItem(
        _("Statistik desa"), reverse("stats_table"), name="stats", icon_name="table", order=900
    )
