"""Admin registration: the sync page under "Sinkronisasi", and its two permissions in the group
editor so a village can let an official see the link (and press "sync now") without making them
a superuser."""

from django.contrib.auth.models import Permission
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component

from .admin import views as admin_views
from .admin.selectors import link_summary


class SyncMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm(admin_views.VIEW_PERMISSION)


@hooks.register("register_admin_urls")
def register_sync_urls():
    return [
        path("sync/", admin_views.status, name="sync_admin_status"),
        path("sync/now/", admin_views.sync_now, name="sync_admin_now"),
    ]


@hooks.register("register_admin_menu_item")
def register_sync_menu_item():
    # just above Reports (9000) and Settings (10000): an official's check, not daily editing
    return SyncMenuItem(
        _("Sinkronisasi"),
        reverse("sync_admin_status"),
        name="sinkronisasi",
        icon_name="rotate",
        order=8900,
    )


@hooks.register("register_permissions")
def register_sync_permissions():
    return Permission.objects.filter(
        content_type__app_label="sync",
        codename__in=["view_syncrun", "add_syncrun"],
    )


class LinkPanel(Component):
    """Dashboard: the satellite link first (is it up, when did the last sync succeed, what
    waits to go up), for whoever may see the sync page."""

    name = "sync_link"
    template_name = "sync/admin/home_panel.html"
    order = 10

    def get_context_data(self, parent_context):
        return {"summary": link_summary(), "sync_url": reverse("sync_admin_status")}


@hooks.register("construct_homepage_panels")
def add_link_panel(request, panels):
    if request.user.has_perm(admin_views.VIEW_PERMISSION):
        panels.append(LinkPanel())
