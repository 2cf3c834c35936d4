"""Marketplace pages under /pasar/: the BUMDes shop on a village hub, the province market on the
upstream. Each role's ``ROOT_URLCONF`` (``hub.urls``, ``hub.urls_upstream``) includes its own
list under the ``market`` namespace; the names a template may reverse are shared."""

from django.urls import path

from .views import province, village

app_name = "market"

# fixed words first (a BUMDes slugged kategori, bumdes, pesan or pesanan would be shadowed)
village_urlpatterns = [
    path("", village.catalogue, name="catalogue"),
    path("kategori/<slug:slug>/", village.category, name="category"),
    path("bumdes/<slug:slug>/", village.bumdes, name="bumdes"),
    path("pesan/<uuid:pk>/", village.order, name="order"),
    path("pesanan/<str:token>/", village.order_placed, name="order_placed"),
    path("status/", village.order_status, name="order_status"),
    path("<slug:bumdes_slug>/<slug:product_slug>/", village.product, name="product"),
]

upstream_urlpatterns = [
    path("", province.catalogue, name="catalogue"),
    path("produk/<uuid:pk>/", province.product, name="product"),
    path("status/", province.request_status, name="order_status"),
]
