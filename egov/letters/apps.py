from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LettersConfig(AppConfig):
    """Letter requests (layanan surat): villagers ask the village office for a letter without an
    account, officials of the "Pelayanan" group review and approve it, the approved letter is
    rendered once to PDF and verifiable by a QR code on the village and, after a sync, on the
    upstream. Personal data stays on the village hub, encrypted."""

    name = "egov.letters"
    label = "egov_letters"
    verbose_name = _("Layanan surat")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from hub.core.demo import register_demo
        from hub.site.entries import HomeEntry, register_home_entry
        from hub.stats.indicators import register_indicator

        from . import signal_handlers  # noqa: F401
        from .selectors import letter_types_offered_exist
        from .stats import INDICATORS
        from .sync import register_synced_models

        register_synced_models()
        for indicator in INDICATORS:
            register_indicator(indicator)
        register_demo("surat", "egov.letters.demo.load_demo", order=40)
        register_home_entry(
            HomeEntry(
                key="surat",
                label=_("Surat"),
                description=_("Ajukan surat keterangan desa dari HP, tanpa antre."),
                url_name="letters:types",
                has_content=letter_types_offered_exist,
                order=30,
            )
        )
