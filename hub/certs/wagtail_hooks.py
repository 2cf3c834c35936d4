"""The dashboard's certificate panel: shown only when the certificate expires within
``HUB_TLS_WARN_DAYS`` or the last one offered was refused."""

from wagtail import hooks
from wagtail.admin.ui.components import Component

from hub.core.roles import is_upstream

from .models import CertificateInstall
from .selectors import certificate_expiry_warning, certificate_install_last


class CertificatePanel(Component):
    """Warns the operator about the hub's HTTPS certificate."""

    name = "certs_warning"
    template_name = "certs/admin/home_panel.html"
    order = 10

    def __init__(self, expiring, refused):
        self.expiring = expiring
        self.refused = refused

    def get_context_data(self, parent_context):
        return {"expiring": self.expiring, "refused": self.refused}


@hooks.register("construct_homepage_panels")
def add_certificate_panel(request, panels):
    if is_upstream() or not request.user.is_superuser:
        return
    expiring = certificate_expiry_warning()
    last = certificate_install_last()
    refused = last if last and last.result == CertificateInstall.RESULT_REFUSED else None
    if expiring or refused:
        panels.append(CertificatePanel(expiring, refused))
