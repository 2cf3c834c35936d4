"""The upstream's ``ROOT_URLCONF`` (``hub.settings.upstream``): the hub's URLs with the province
market under /pasar/ instead of the village shop."""

from django.urls import include, path

from egov.documents import urls as documents_urls
from hub.urls import handler404, handler500, hub_urlpatterns
from marketplace import urls as market_urls

__all__ = ["handler404", "handler500", "urlpatterns"]

# the kabupaten's overview of its villages' documents and the JDIH feed, upstream only
urlpatterns = [
    path("produk-hukum/", include((documents_urls.upstream_urlpatterns, "egov_jdih"))),
    *hub_urlpatterns(market_urls.upstream_urlpatterns),
]
