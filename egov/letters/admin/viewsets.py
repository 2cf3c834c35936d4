"""The "Layanan surat" admin menu: the requests to review (a viewset of the views in
``admin.views``) and the letter types (a plain model viewset; its form runs the type's
``clean()``, so an unknown placeholder or a bad numbering pattern is refused there)."""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.base import ViewSet, ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from ..models import LetterType
from . import views


class ReviewMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm(views.REVIEW)


class LetterRequestViewSet(ViewSet):
    name = "letter_requests"
    url_prefix = "surat/permohonan"
    icon = "mail"
    menu_label = _("Permohonan surat")
    add_to_admin_menu = False

    def get_urlpatterns(self):
        return [
            path("", views.index, name="index"),
            path("<uuid:pk>/", views.detail, name="detail"),
            path("<uuid:pk>/foto/<uuid:photo_pk>/", views.photo, name="photo"),
            path("<uuid:pk>/surat.pdf", views.pdf, name="pdf"),
            path("<uuid:pk>/setujui/", views.approve, name="approve"),
            path("<uuid:pk>/perbaikan/", views.ask_correction, name="ask_correction"),
            path("<uuid:pk>/tolak/", views.reject, name="reject"),
            path("<uuid:pk>/cabut/", views.revoke, name="revoke"),
            path("<uuid:pk>/hapus-data/", views.erase, name="erase"),
        ]

    def get_menu_item(self, order=None):
        return ReviewMenuItem(
            self.menu_label,
            self.menu_url,
            name=self.menu_name,
            icon_name=self.menu_icon,
            order=order if order is not None else self.menu_order,
        )


class LetterTypeViewSet(ModelViewSet):
    model = LetterType
    name = "letter_types"
    url_prefix = "surat/jenis"
    icon = "doc-full"
    menu_label = _("Jenis surat")
    add_to_admin_menu = False
    copy_view_enabled = False
    search_backend_name = None
    list_display = ["name", "code", "klasifikasi", "number_pattern", "active"]
    form_fields = [
        "code",
        "name",
        "description",
        "klasifikasi",
        "number_pattern",
        "fields",
        "attachments",
        "body_template",
        "signer_name",
        "signer_position",
        "forward_to",
        "forward_fields",
        "active",
        "sort_order",
    ]


class LettersViewSetGroup(ViewSetGroup):
    menu_label = _("Layanan surat")
    menu_icon = "mail"
    menu_order = 260
    items = (LetterRequestViewSet, LetterTypeViewSet)
