from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    """Statistics for Satu Data: each village computes monthly aggregates of its own services
    (indicators that domain apps register) and sends them up, with their metadata, as records it
    owns; the upstream shows them per kabupaten, kecamatan and village and exports CSV. Nothing
    personal: only counts, medians and totals travel."""

    name = "hub.stats"
    label = "stats"
    verbose_name = _("Statistik")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import signal_handlers  # noqa: F401
        from .sync import register_synced_models

        register_synced_models()
