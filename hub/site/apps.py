from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SiteConfig(AppConfig):
    """The Wagtail village site: pages, announcements, agenda, profile, search, PWA."""

    name = "hub.site"
    label = "site"
    verbose_name = _("Situs desa")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from hub.core.demo import register_demo

        from . import checks, signal_handlers  # noqa: F401
        from .sync import register_synced_models

        register_synced_models()
        register_demo("desa", "hub.site.demo.load_demo", order=10)
