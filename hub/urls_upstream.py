"""The upstream's ``ROOT_URLCONF`` (``hub.settings.upstream``): the hub's URLs with the province
market under /pasar/ instead of the village shop."""

from hub.urls import handler404, handler500, hub_urlpatterns
from marketplace import urls as market_urls

__all__ = ["handler404", "handler500", "urlpatterns"]

urlpatterns = hub_urlpatterns(market_urls.upstream_urlpatterns)
