"""Course pages under /belajar/ (the ``courses`` namespace), the same on both roles."""

from django.urls import path

from .views import profile, village

app_name = "courses"

urlpatterns = [
    path("", village.index, name="index"),
    path("kategori/<slug:category>/", village.index, name="category"),
    path("kursus/<uuid:pk>/", village.course, name="course"),
    path("pelajaran/<uuid:pk>/", village.lesson, name="lesson"),
    path("pelajaran/<uuid:pk>/kuis/<uuid:block_pk>/", village.quiz, name="quiz"),
    path("pelajaran/<uuid:pk>/selesai/", village.lesson_done, name="lesson_done"),
    path("kursus/<uuid:pk>/sertifikat/", village.certificate_request, name="certificate_request"),
    path("profil/", profile.profile, name="profile"),
    path("profil/masuk/", profile.login, name="profile_login"),
    path("profil/baru/", profile.create, name="profile_create"),
    path("profil/keluar/", profile.logout, name="profile_logout"),
    path("sertifikat/", village.certificate_check, name="certificate_check"),
    path("sertifikat/<str:token>/", village.certificate, name="certificate"),
]
