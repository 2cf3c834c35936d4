"""URLs: the Wagtail admin, the villager-facing extras (search, language, PWA, health), pages.

This is the village hub's ``ROOT_URLCONF``; ``hub.urls_upstream`` is the upstream's. Both are
built by :func:`hub_urlpatterns`, which differs only in the marketplace pages under /pasar/.
"""

from django.conf import settings
from django.urls import include, path, re_path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from egov.letters import urls as letter_urls
from elearning.library import urls as library_urls
from hub.core import views as core_views
from hub.site import views as site_views
from marketplace import urls as market_urls


def hub_urlpatterns(market_patterns: list) -> list:
    """Every URL of a hub, with ``market_patterns`` (the role's) as the ``market`` namespace."""
    patterns = [
        path("admin/", include(wagtailadmin_urls)),
        path("dokumen/", include(wagtaildocs_urls)),
        path("healthz", core_views.healthz, name="healthz"),
        # protocol v2 (RFC 9421 signatures); v1 stays for villages not yet upgraded
        path("sync/v2/", include("hub.sync.urls", namespace="sync_v2"), {"protocol": 2}),
        path("sync/v1/", include("hub.sync.urls")),
        path("pasar/", include((market_patterns, market_urls.app_name))),
        path("perpustakaan/", include(library_urls)),
        path("pustaka/", include(library_urls.pustaka_urlpatterns)),
        path("layanan/", include("egov.services.urls")),
        path("produk-hukum/", include("egov.documents.urls")),
        path(
            "verifikasi/",
            include((letter_urls.verify_urlpatterns, "letter_verify")),
        ),
        path("belajar/", include("elearning.courses.urls")),
        path("cari/", site_views.search, name="search"),
        path("bahasa/<str:code>/", site_views.language_switch, name="language_switch"),
        path("offline/", site_views.offline, name="offline"),
        path("sw.js", site_views.service_worker, name="service_worker"),
        path("manifest.webmanifest", site_views.manifest, name="manifest"),
    ]
    if settings.HUB_SERVE_MEDIA:
        patterns.append(
            re_path(r"^media/(?P<path>.+)$", core_views.media, name="media"),
        )
    patterns.append(path("", include(wagtail_urls)))
    return patterns


# letter requests live on the village hub only (the personal data stays there)
urlpatterns = [
    path("surat/", include((letter_urls.village_urlpatterns, letter_urls.app_name))),
    *hub_urlpatterns(market_urls.village_urlpatterns),
]

handler404 = "hub.site.views.page_not_found"
handler500 = "hub.site.views.server_error"
