"""Service standards under /layanan/ (the same on village hubs and the upstream)."""

from django.urls import path

from . import views

app_name = "egov_services"

urlpatterns = [
    path("", views.index, name="index"),
    path("<uuid:pk>/", views.detail, name="detail"),
    path("<uuid:pk>/cetak/", views.bring_list, name="bring_list"),
]
