"""The "Kursus" admin menu: every screen opens; a media file saved on a village is ready as it
is; an upstream course cannot be changed in a village."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from elearning.courses.models import Course, MediaAsset, TranscodeStatus

pytestmark = pytest.mark.django_db

SCREENS = ["kursus", "pelajaran", "bagian", "soal", "media", "statistik"]


@pytest.mark.parametrize("model", SCREENS)
def test_every_screen_opens(admin_client, home, model):
    response = admin_client.get(f"/admin/belajar/{model}/")
    assert response.status_code == 200


def test_a_village_saves_its_own_pdf_ready_to_read(admin_client, home, course_here, media_root):
    # when an official uploads a PDF for the village's own course
    response = admin_client.post(
        "/admin/belajar/media/new/",
        {
            "course": str(course_here.pk),
            "kind": "pdf",
            "title": "Panduan",
            "language": "id",
            "file": SimpleUploadedFile("panduan.pdf", b"%PDF-1.4\n" + b"x" * 100),
        },
    )
    # then it is saved and ready, its size known
    assert response.status_code == 302, response.content[:2000]
    asset = MediaAsset.objects.get()
    assert asset.status == TranscodeStatus.READY and asset.size == 109


def test_an_upstream_course_cannot_be_edited_in_the_village(admin_client, home, course):
    # when an official tries to rename the province's course
    response = admin_client.post(
        f"/admin/belajar/kursus/edit/{course.pk}/",
        {
            "title": "Diubah",
            "slug": course.slug,
            "category": course.category,
            "level": course.level,
            "language": "id",
            "licence": course.licence,
            "source": course.source,
            "sort_order": 100,
            "published": "on",
        },
    )
    # then it is refused with the reason, and nothing changes
    assert response.status_code == 200
    assert "hanya dapat diubah di sana" in response.text
    assert Course.objects.get(pk=course.pk).title == "Budidaya cabai"


def test_the_monthly_figures_cannot_be_made_or_changed_by_hand(admin_client, home):
    response = admin_client.get("/admin/belajar/statistik/new/")
    assert response.status_code in (302, 403)
