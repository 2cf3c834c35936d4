"""Service standards in the admin menu ("Standar pelayanan"): services and offices."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.model import ModelViewSetGroup

from ..models import MANAGEMENT_FIELDS, Office, ServiceStandard
from .owned import OwnedRecordViewSet


def _owner_column():
    return Column("origin", label=_("Pengelola"), accessor="origin")


class ServiceViewSet(OwnedRecordViewSet):
    model = ServiceStandard
    icon = "list-ul"
    menu_label = _("Layanan")
    add_to_admin_menu = False
    list_display = ["title", "category", "office", _owner_column()]
    list_filter = ["category", "active"]
    search_fields = ["title", "requirements"]
    inspect_view_fields = [
        "title",
        "category",
        "summary",
        "requirements",
        "procedure",
        "duration",
        "free_of_charge",
        "cost",
        "product",
        "complaints",
        *MANAGEMENT_FIELDS,
        "office",
        "letter_code",
        "region",
        "active",
        "origin",
    ]
    panels = [
        MultiFieldPanel(
            [FieldPanel("title"), FieldPanel("category"), FieldPanel("summary")],
            heading=_("Layanan"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("requirements"),
                FieldPanel("procedure"),
                FieldRowPanel([FieldPanel("duration"), FieldPanel("free_of_charge")]),
                FieldPanel("cost"),
                FieldPanel("product"),
                FieldPanel("complaints"),
            ],
            heading=_("Untuk warga"),
        ),
        MultiFieldPanel(
            [FieldPanel(name) for name in MANAGEMENT_FIELDS],
            heading=_("Pengelolaan (rincian)"),
            classname="collapsed",
        ),
        MultiFieldPanel(
            [FieldPanel("office"), FieldPanel("letter_code"), FieldPanel("region")],
            heading=_("Tempat layanan"),
        ),
        FieldPanel("active"),
    ]
    edit_handler = ObjectList(panels)


class OfficeViewSet(OwnedRecordViewSet):
    model = Office
    icon = "home"
    menu_label = _("Kantor layanan")
    add_to_admin_menu = False
    list_display = ["name", "kind", "phone", _owner_column()]
    list_filter = ["kind"]
    search_fields = ["name", "address"]
    inspect_view_fields = ["name", "kind", "address", "hours", "phone", "region", "origin"]
    form_fields = ["name", "kind", "address", "hours", "phone", "region"]


class ServicesViewSetGroup(ModelViewSetGroup):
    menu_label = _("Standar pelayanan")
    menu_icon = "list-ul"
    menu_order = 320
    items = (ServiceViewSet("egov_service_admin"), OfficeViewSet("egov_office_admin"))
