from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EgovDocumentsConfig(AppConfig):
    """Legal and public documents (produk hukum, JDIH-style): the village's Perdes, APBDes …
    and the kabupaten's regulations, with their PDF and a first-page preview. Villagers read
    them on /produk-hukum/; the upstream lists its villages' Perdes and exports a JDIH feed."""

    name = "egov.documents"
    label = "egov_documents"
    verbose_name = _("Produk hukum")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from hub.core.demo import register_demo
        from hub.site.entries import HomeEntry, register_home_entry
        from hub.stats.indicators import register_indicator

        from . import checks, signal_handlers  # noqa: F401
        from .selectors import documents_exist
        from .stats import INDICATORS
        from .sync import register_synced_models

        register_synced_models()
        for indicator in INDICATORS:
            register_indicator(indicator)
        register_demo("produk-hukum", "egov.documents.demo.load_demo", order=31)
        register_home_entry(
            HomeEntry(
                key="produk-hukum",
                label=_("Produk hukum"),
                description=_("Peraturan desa, APBDes dan peraturan daerah, bisa dibaca di sini."),
                url_name="egov_documents:index",
                has_content=documents_exist,
                order=21,
            )
        )
