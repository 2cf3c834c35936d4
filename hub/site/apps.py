from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SiteConfig(AppConfig):
    """The Wagtail village site: pages, announcements, agenda, profile, search, PWA."""

    name = "hub.site"
    label = "site"
    verbose_name = _("Situs desa")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.conf import settings
        from PIL import Image

        from . import checks, signal_handlers  # noqa: F401
        from .sync import register_synced_models

        register_synced_models()

        # Pillow refuses to decode beyond twice this, wherever an image comes from (uploads are
        # checked against the same number by their header first).
        Image.MAX_IMAGE_PIXELS = settings.WAGTAILIMAGES_MAX_IMAGE_PIXELS
