"""Legal documents under /produk-hukum/: the villagers' pages on every hub (``urlpatterns``)
and, on the upstream only, the kabupaten's overview and JDIH feed (``upstream_urlpatterns``,
included by ``hub.urls_upstream`` under its own namespace)."""

from django.urls import path

from . import views

app_name = "egov_documents"

urlpatterns = [
    path("", views.index, name="index"),
    path("<uuid:pk>/", views.detail, name="detail"),
    path("<uuid:pk>/pdf/", views.pdf, name="pdf"),
]

upstream_urlpatterns = [
    path("desa/", views.region_list, name="region_list"),
    path("jdih.json", views.jdih_feed, name="jdih_feed"),
]
