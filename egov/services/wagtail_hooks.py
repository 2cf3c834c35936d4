"""Admin registration: the "Standar pelayanan" menu and its permissions in the group editor."""

from django.contrib.auth.models import Permission
from wagtail import hooks

from .admin.viewsets import ServicesViewSetGroup


@hooks.register("register_admin_viewset")
def register_services_viewsets():
    return ServicesViewSetGroup()


@hooks.register("register_permissions")
def register_services_permissions():
    return Permission.objects.filter(content_type__app_label="egov_services")
