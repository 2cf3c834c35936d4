"""Writing legal documents: the PDF check, the metadata rules, the background preview."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from egov.documents import checks
from egov.documents.models import LegalDocument, Status
from egov.documents.services import document_preview_create, pdf_check
from egov.documents.tasks import document_preview_task


def test_a_document_with_its_pdf_is_stored_by_hash(village, document_factory, sample_pdf):
    # when a village official saves a Perdes with its PDF
    document = document_factory(pdf=sample_pdf)

    # then the village owns it, and the file is named by its SHA-256
    assert document.origin == village.village_code
    assert document.pdf_size == len(sample_pdf)
    assert document.pdf.name.endswith(f"{document.pdf_sha256}.pdf")
    assert document.pdf.read() == sample_pdf
    assert str(document) == (
        "Peraturan Desa 1/2025: Anggaran Pendapatan dan Belanja Desa Tahun Anggaran 2025"
    )


def test_the_same_pdf_is_stored_once(document_factory, sample_pdf):
    first = document_factory(pdf=sample_pdf)
    second = document_factory(number="2", pdf=sample_pdf)
    assert first.pdf.name == second.pdf.name


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"GIF89a not a pdf at all", "bukan PDF"),
        (b"<html><script>alert(1)</script></html>", "bukan PDF"),
        (b"", "bukan PDF"),
        (b"\x00" * 2000 + b"%PDF-1.4", "bukan PDF"),
    ],
)
def test_what_is_not_a_pdf_is_refused_and_nothing_saved(document_factory, data, message):
    with pytest.raises(ValidationError) as caught:
        document_factory(pdf=data)
    assert message in " ".join(caught.value.message_dict["pdf"])
    assert not LegalDocument.objects.exists()


def test_an_oversized_pdf_is_refused_and_nothing_saved(document_factory, sample_pdf, settings):
    # given a limit smaller than the file
    settings.EGOV_DOCUMENT_MAX_BYTES = len(sample_pdf) - 1
    # when it is uploaded
    with pytest.raises(ValidationError) as caught:
        document_factory(pdf=sample_pdf)
    # then the message gives the limit, and nothing is saved
    assert "terlalu besar" in " ".join(caught.value.message_dict["pdf"])
    assert not LegalDocument.objects.exists()


def test_a_pdf_header_after_a_little_junk_is_still_a_pdf(sample_pdf):
    pdf_check(b"\r\n" + sample_pdf)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"year": 1800, "enacted_on": datetime.date(1800, 1, 1)}, "year"),
        ({"year": 2999, "enacted_on": datetime.date(2999, 1, 1)}, "year"),
        ({"year": 2024}, "enacted_on"),
        ({"promulgated_on": datetime.date(2024, 12, 31)}, "promulgated_on"),
        ({"kind": "undang-undang-palsu"}, "kind"),
        ({"region": "abc"}, "region"),
        ({"number": ""}, "number"),
        ({"publisher": ""}, "publisher"),
    ],
)
def test_bad_metadata_is_refused_with_a_clear_message(document_factory, sample_pdf, fields, field):
    with pytest.raises(ValidationError) as caught:
        document_factory(pdf=sample_pdf, **fields)
    assert field in caught.value.message_dict
    assert not LegalDocument.objects.exists()


def test_a_document_in_force_cannot_name_what_changed_it(document_factory):
    newer = document_factory(number="2")
    with pytest.raises(ValidationError) as caught:
        document_factory(number="3", changed_by=newer)
    assert "changed_by" in caught.value.message_dict


def test_a_changed_document_links_to_the_one_that_changed_it(document_factory):
    newer = document_factory(number="2", title="Perubahan APB Desa 2025")
    older = document_factory(status=Status.DIUBAH, changed_by=newer)
    assert list(newer.changes.all()) == [older]


def test_a_kabupaten_document_cannot_be_edited_on_the_village(document_factory):
    from egov.documents.services import document_save

    document = document_factory(upstream="1503", kind="perbup")
    document.title = "Diubah di desa"
    with pytest.raises(ValidationError) as caught:
        document_save(document=document)
    assert "1503" in " ".join(caught.value.messages)


def test_the_preview_is_the_first_page_as_an_image(document_factory, sample_pdf):
    # given a document with a PDF (the commit that would enqueue the task never happens here)
    document = document_factory(pdf=sample_pdf)
    assert not document.preview

    # when the cluster runs the preview task
    assert document_preview_task(str(document.pk)) is True

    # then a PNG of the first page, 480 px wide, is stored, made from this PDF
    document.refresh_from_db()
    assert document.preview_sha256 == document.pdf_sha256
    with Image.open(document.preview.open("rb")) as image:
        assert image.format == "PNG" and image.width == 480 and image.height > image.width
    # and it is made once: the rev did not move, a second run changes nothing
    assert document.rev == 1
    name = document.preview.name
    assert document_preview_create(document_id=document.pk) is True
    document.refresh_from_db()
    assert document.preview.name == name


def test_the_preview_is_made_after_the_commit(
    document_factory, sample_pdf, django_capture_on_commit_callbacks
):
    # when a document with a PDF is saved and committed (the test cluster runs tasks at once)
    with django_capture_on_commit_callbacks(execute=True):
        document = document_factory(pdf=sample_pdf)
    # then its preview exists
    document.refresh_from_db()
    assert document.preview and document.preview_sha256 == document.pdf_sha256


def test_a_broken_pdf_fails_the_task_clearly_and_keeps_the_document(document_factory):
    # given a file that starts like a PDF but is not one
    document = document_factory(pdf=b"%PDF-1.4\nthis is not really a pdf\n")
    # when the preview task runs
    with pytest.raises(RuntimeError, match="pdftoppm failed"):
        document_preview_task(str(document.pk))
    # then the document stays, without a preview
    document.refresh_from_db()
    assert not document.preview


def test_a_hub_without_pdftoppm_is_warned(monkeypatch):
    # given pdftoppm on this machine
    assert checks.pdftoppm_installed(None) == []
    # when it is missing
    monkeypatch.setattr(checks.shutil, "which", lambda name: None)
    # then the check says what to install
    [warning] = checks.pdftoppm_installed(None)
    assert warning.id == "egov_documents.W001" and "poppler-utils" in warning.hint
