"""Village officials' admin for legal documents: the PDF upload is checked by its bytes, the
kabupaten's regulations are read-only, and every screen speaks Indonesian."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from egov.documents.models import LegalDocument
from tests.core.test_admin_language import assert_indonesian

pytestmark = pytest.mark.django_db


def _post(pdf: bytes | None = None, name="perdes.pdf", **fields):
    data = {
        "kind": "perdes",
        "number": "4",
        "year": "2025",
        "title": "Pungutan Desa",
        "abstract": "Tarif pasar desa",
        "enacted_on": "2025-02-03",
        "promulgated_on": "",
        "place_enacted": "Bukit Berantai",
        "signer": "Kepala Desa",
        "status": "berlaku",
        "changed_by": "",
        "subject": "",
        "legal_field": "",
        "publisher": "Pemerintah Desa Bukit Berantai",
        "language": "Indonesia",
        "source": "",
        "region": "",
        "published": "on",
    }
    if pdf is not None:
        data["pdf_upload"] = SimpleUploadedFile(name, pdf, content_type="application/pdf")
    data.update(fields)
    return data


def test_an_official_uploads_a_perdes_with_its_pdf(editor_client, village, sample_pdf, settings):
    # when an official adds a Perdes with its PDF
    response = editor_client.post(reverse("egov_document_admin:add"), _post(sample_pdf))
    # then it is the village's, with the file stored by hash
    assert response.status_code == 302, response.content.decode()[:3000]
    document = LegalDocument.objects.get()
    assert document.origin == village.village_code
    assert document.pdf.read() == sample_pdf and len(document.pdf_sha256) == 64


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"MZ\x90\x00 not a pdf", "perdes.pdf", "bukan PDF"),
        (b"<script>alert(1)</script>", "perdes.pdf", "bukan PDF"),
    ],
)
def test_a_file_that_is_not_a_pdf_is_refused(editor_client, village, data, name, message):
    response = editor_client.post(reverse("egov_document_admin:add"), _post(data, name=name))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not LegalDocument.objects.exists()


def test_an_oversized_pdf_is_refused(editor_client, village, sample_pdf, settings):
    settings.EGOV_DOCUMENT_MAX_BYTES = 100
    response = editor_client.post(reverse("egov_document_admin:add"), _post(sample_pdf))
    assert response.status_code == 200
    assert "terlalu besar" in response.content.decode()
    assert not LegalDocument.objects.exists()


def test_a_bogus_year_is_refused(editor_client, village, sample_pdf):
    response = editor_client.post(
        reverse("egov_document_admin:add"), _post(sample_pdf, year="1066", enacted_on="1066-10-14")
    )
    assert response.status_code == 200
    assert "Tahun harus antara" in response.content.decode()
    assert not LegalDocument.objects.exists()


def test_a_kabupaten_regulation_is_read_only(editor_client, document_factory):
    document = document_factory(upstream="1503", kind="perbup")
    opened = editor_client.get(reverse("egov_document_admin:edit", args=[document.pk]))
    deleted = editor_client.post(reverse("egov_document_admin:delete", args=[document.pk]))
    assert opened.status_code == 302
    # (the admin answers a refusal with a redirect to the dashboard and a message)
    assert deleted.status_code == 302 and deleted["Location"] == "/admin/"
    assert LegalDocument.objects.filter(pk=document.pk).exists()


def test_the_admin_screens_speak_indonesian(editor_client, document_factory, sample_pdf):
    document = document_factory(pdf=sample_pdf)
    assert_indonesian(
        editor_client,
        [
            reverse("egov_document_admin:index"),
            reverse("egov_document_admin:add"),
            reverse("egov_document_admin:edit", args=[document.pk]),
            reverse("egov_document_admin:inspect", args=[document.pk]),
        ],
    )
