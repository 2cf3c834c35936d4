"""Legal documents in the admin menu ("Produk hukum")."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList

from egov.services.admin.owned import OwnedRecordViewSet

from ..models import LegalDocument
from .forms import LegalDocumentForm


class LegalDocumentViewSet(OwnedRecordViewSet):
    model = LegalDocument
    icon = "doc-full"
    menu_label = _("Produk hukum")
    menu_order = 330
    add_to_admin_menu = True
    list_display = ["title", "kind", "number", "year", "status", "origin"]
    list_filter = ["kind", "year", "status"]
    search_fields = ["title", "number", "abstract"]
    inspect_view_fields = [
        "kind",
        "number",
        "year",
        "title",
        "abstract",
        "enacted_on",
        "promulgated_on",
        "place_enacted",
        "signer",
        "status",
        "changed_by",
        "subject",
        "legal_field",
        "publisher",
        "language",
        "source",
        "pdf",
        "pdf_sha256",
        "region",
        "published",
        "origin",
    ]
    edit_handler = ObjectList(
        [
            MultiFieldPanel(
                [
                    FieldRowPanel([FieldPanel("kind"), FieldPanel("number"), FieldPanel("year")]),
                    FieldPanel("title"),
                    FieldPanel("abstract"),
                    FieldPanel("pdf_upload"),
                ],
                heading=_("Dokumen"),
            ),
            MultiFieldPanel(
                [
                    FieldRowPanel([FieldPanel("enacted_on"), FieldPanel("promulgated_on")]),
                    FieldRowPanel([FieldPanel("place_enacted"), FieldPanel("signer")]),
                    FieldRowPanel([FieldPanel("status"), FieldPanel("changed_by")]),
                ],
                heading=_("Penetapan dan status"),
            ),
            MultiFieldPanel(
                [
                    FieldRowPanel([FieldPanel("subject"), FieldPanel("legal_field")]),
                    FieldRowPanel([FieldPanel("publisher"), FieldPanel("language")]),
                    FieldPanel("source"),
                ],
                heading=_("Metadata JDIH"),
            ),
            FieldRowPanel([FieldPanel("region"), FieldPanel("published")]),
        ],
        base_form_class=LegalDocumentForm,
    )
