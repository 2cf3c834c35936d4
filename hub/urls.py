"""URLs: the Wagtail admin, the villager-facing extras (search, language, PWA, health), pages."""

from django.conf import settings
from django.urls import include, path, re_path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from hub.core import views as core_views
from hub.site import views as site_views

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("dokumen/", include(wagtaildocs_urls)),
    path("healthz", core_views.healthz, name="healthz"),
    path("sync/v1/", include("hub.sync.urls")),
    path("pasar/", include("marketplace.urls")),
    path("cari/", site_views.search, name="search"),
    path("bahasa/<str:code>/", site_views.language_switch, name="language_switch"),
    path("offline/", site_views.offline, name="offline"),
    path("sw.js", site_views.service_worker, name="service_worker"),
    path("manifest.webmanifest", site_views.manifest, name="manifest"),
]
if settings.HUB_SERVE_MEDIA:
    urlpatterns.append(
        re_path(r"^media/(?P<path>.+)$", core_views.media, name="media"),
    )
urlpatterns.append(path("", include(wagtail_urls)))

handler404 = "hub.site.views.page_not_found"
handler500 = "hub.site.views.server_error"
