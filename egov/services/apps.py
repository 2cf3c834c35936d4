from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EgovServicesConfig(AppConfig):
    """Service standards (standar pelayanan, Permenpan-RB 15/2014): what a villager must bring,
    where to go, how long it takes and what it costs. Read by villagers on /layanan/; kept by
    the kabupaten/province upstream (down to its villages) and by each village for its own."""

    name = "egov.services"
    label = "egov_services"
    verbose_name = _("Standar pelayanan")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from hub.core.demo import register_demo
        from hub.site.entries import HomeEntry, register_home_entry

        from . import signal_handlers  # noqa: F401
        from .selectors import services_exist
        from .sync import register_synced_models

        register_synced_models()
        register_demo("layanan", "egov.services.demo.load_demo", order=30)
        register_home_entry(
            HomeEntry(
                key="layanan",
                label=_("Layanan"),
                description=_("Syarat, tempat dan biaya mengurus KTP, KK, akta dan lainnya."),
                url_name="egov_services:index",
                has_content=services_exist,
                order=20,
            )
        )
