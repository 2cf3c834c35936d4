from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MediaConfig(AppConfig):
    """Images: the Wagtail image model (``WAGTAILIMAGES_IMAGE_MODEL``), renditions, and how an
    image travels between hubs as a blob."""

    name = "hub.media"
    label = "media"
    verbose_name = _("Media")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.conf import settings
        from PIL import Image

        from . import checks, signal_handlers  # noqa: F401

        # Pillow refuses to decode beyond twice this, wherever an image comes from (uploads are
        # checked against the same number by their header first).
        Image.MAX_IMAGE_PIXELS = settings.WAGTAILIMAGES_MAX_IMAGE_PIXELS
