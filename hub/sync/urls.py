"""``/sync/v2/`` and ``/sync/v1/``: the upstream's endpoints (:mod:`hub.sync.upstream.views`);
the URLconf passes ``protocol=2`` under ``/sync/v2/``."""

from django.urls import path

from .upstream import views

app_name = "sync"
urlpatterns = [
    path("push", views.push, name="push"),
    path("changes", views.changes, name="changes"),
    path("reseed", views.reseed_view, name="reseed"),
    path("blobs/missing", views.blobs_missing, name="blobs_missing"),
    path("blobs/<str:sha256>", views.blob, name="blob"),
]
