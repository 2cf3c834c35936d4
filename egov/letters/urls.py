"""Letter pages: the villager's under /surat/ (village hubs only, where the requests are), the
verification page under /verifikasi/ on both roles (the record syncs up)."""

from django.urls import path

from .views import verify, village

app_name = "letters"

village_urlpatterns = [
    path("", village.letter_types, name="types"),
    path("ajukan/<slug:code>/", village.request_form, name="request"),
    path("terkirim/<str:token>/", village.request_sent, name="sent"),
    path("status/", village.request_status, name="status"),
    path("perbaiki/", village.request_correct, name="correct"),
    path("unduh/", village.letter_download, name="download"),
    path("anjungan/", village.kiosk, name="kiosk"),
]

verify_urlpatterns = [
    path("<str:token>/", verify.verification, name="verify"),
]
