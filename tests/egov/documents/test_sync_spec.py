"""What of a legal document travels: the metadata and the PDF by hash, never the local preview."""

import io

import pytest

from egov.documents.models import LegalDocument
from egov.documents.sync import pdf_validate
from egov.services.models import ServiceStandard
from hub.sync.registry import spec_for


def test_the_local_preview_never_travels():
    names = {f.name for f in spec_for(LegalDocument).wire_fields()}
    assert {"kind", "number", "year", "title", "status", "changed_by", "pdf_sha256"} <= names
    assert not names & {"preview", "preview_sha256", "pdf", "updated_at"}
    assert set(spec_for(LegalDocument).files) == {"pdf"}


def test_a_service_travels_whole_with_its_office():
    names = {f.name for f in spec_for(ServiceStandard).wire_fields()}
    assert {"title", "requirements", "office", "letter_code", "region", "legal_basis"} <= names


def test_a_blob_that_is_not_a_pdf_refuses_the_record():
    pdf_validate(io.BytesIO(b"%PDF-1.7\n..."))
    with pytest.raises(ValueError, match="not a PDF"):
        pdf_validate(io.BytesIO(b"MZ\x90\x00 an executable"))
