"""Admin registration: the "Layanan surat" menu and the letters' permissions in the group
editor."""

from django.contrib.auth.models import Permission
from wagtail import hooks

from .admin.viewsets import LettersViewSetGroup


@hooks.register("register_admin_viewset")
def register_letter_viewsets():
    return LettersViewSetGroup()


@hooks.register("register_permissions")
def register_letter_permissions():
    return Permission.objects.filter(content_type__app_label="egov_letters")
