from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketplaceConfig(AppConfig):
    """The BUMDes marketplace: products, orders and stock; the province market upstream."""

    name = "marketplace"
    label = "marketplace"
    verbose_name = _("Pasar BUMDes")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from hub.core.demo import register_demo
        from hub.site.entries import HomeEntry, register_home_entry
        from hub.stats.indicators import register_indicator

        from . import signal_handlers  # noqa: F401
        from .selectors import market_has_products
        from .stats import INDICATORS
        from .sync import register_synced_models

        register_synced_models()
        for indicator in INDICATORS:
            register_indicator(indicator)
        register_demo("pasar", "marketplace.demo.load_demo", order=20)
        register_home_entry(
            HomeEntry(
                key="pasar",
                label=_("Pasar"),
                description=_("Produk BUMDes desa: pesan di sini, ambil atau diantar."),
                url_name="market:catalogue",
                has_content=market_has_products,
                order=10,
            )
        )
