from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertsConfig(AppConfig):
    """HTTPS certificates for every hub (docs/https.md). A village hub makes its own key and
    certificate request and sends the request up through the sync engine; the upstream proves
    control of the hub's name to a public ACME CA by DNS-01 and sends the certificate down; the
    village checks it against its key and name and installs it where nginx reads it."""

    name = "hub.certs"
    label = "certs"
    verbose_name = _("Sertifikat HTTPS")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import (
            checks,  # noqa: F401
            signal_handlers,  # noqa: F401
        )
        from .sync import register_heartbeat_facts, register_synced_models

        register_synced_models()
        register_heartbeat_facts()
