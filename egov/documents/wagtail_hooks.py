"""Admin registration: the "Produk hukum" menu item and its permissions in the group editor."""

from django.contrib.auth.models import Permission
from wagtail import hooks

from .admin.viewsets import LegalDocumentViewSet


@hooks.register("register_admin_viewset")
def register_documents_viewset():
    return LegalDocumentViewSet("egov_document_admin")


@hooks.register("register_permissions")
def register_documents_permissions():
    return Permission.objects.filter(content_type__app_label="egov_documents")
