from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LibraryConfig(AppConfig):
    """The offline library: ZIM archives (Wikipedia, WikiHow, farming references) served by
    kiwix-serve beside the hub, listed and searched on Balai's "Perpustakaan" page. For
    villagers (reading), technicians (dropping archives into the folder) and content teams
    (publishing an archive upstream for the villages of a region: ``LibraryArchive``)."""

    name = "elearning.library"
    label = "elearning_library"
    verbose_name = _("Perpustakaan")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from hub.site.entries import HomeEntry, register_home_entry

        from . import signal_handlers  # noqa: F401
        from .selectors import library_has_archives
        from .sync import register_synced_models

        register_synced_models()

        register_home_entry(
            HomeEntry(
                key="perpustakaan",
                label=_("Perpustakaan"),
                description=_("Wikipedia dan bacaan lain tanpa internet: cari dan baca di sini."),
                url_name="library:index",
                has_content=library_has_archives,
                order=40,
            )
        )
