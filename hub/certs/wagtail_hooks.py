"""The dashboard's certificate panels: on a village, shown only when the certificate expires
within ``HUB_TLS_WARN_DAYS`` or the last one offered was refused; on the upstream, the villages
whose certificate expires before their expected next sync."""

from wagtail import hooks
from wagtail.admin.ui.components import Component

from hub.core.roles import is_upstream

from .models import CertificateInstall
from .selectors import certificate_expiry_warning, certificate_install_last, certificates_at_risk


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


class FleetCertificatePanel(Component):
    """Upstream: villages whose certificate will expire before they are expected to sync."""

    name = "certs_fleet"
    template_name = "certs/admin/fleet_panel.html"
    order = 60

    def __init__(self, rows):
        self.rows = rows

    def get_context_data(self, parent_context):
        return {"rows": self.rows}


@hooks.register("construct_homepage_panels")
def add_certificate_panel(request, panels):
    if not request.user.is_superuser:
        return
    if is_upstream():
        rows = certificates_at_risk()
        if rows:
            panels.append(FleetCertificatePanel(rows))
        return
    expiring = certificate_expiry_warning()
    last = certificate_install_last()
    refused = last if last and last.result == CertificateInstall.RESULT_REFUSED else None
    if expiring or refused:
        panels.append(CertificatePanel(expiring, refused))
