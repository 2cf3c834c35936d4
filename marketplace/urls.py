"""Villager-facing marketplace pages, under /pasar/."""

from django.urls import path

from . import views

app_name = "market"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
]
