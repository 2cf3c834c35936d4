"""URLs of the offline library: Balai's page under /perpustakaan/ (``library`` namespace) and
kiwix-serve's content under /pustaka/ (proxied when no nginx is in front; see views)."""

from django.urls import path, re_path

from . import views

app_name = "library"

urlpatterns = [
    path("", views.index, name="index"),
]

# included at /pustaka/ by hub.urls; the name is outside the namespace for reverse("pustaka")
pustaka_urlpatterns = [
    re_path(r"^(?P<path>.*)$", views.pustaka, name="pustaka"),
]
