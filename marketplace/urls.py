"""Marketplace pages under /pasar/: the BUMDes shop on a village hub, the province market on the
upstream (the role picks one set; the names a template may reverse are shared)."""

from django.conf import settings
from django.urls import path

from .views import province, village

app_name = "market"

if settings.HUB_ROLE == "upstream":
    urlpatterns = [
        path("", province.catalogue, name="catalogue"),
    ]
else:
    urlpatterns = [
        path("", village.catalogue, name="catalogue"),
    ]
