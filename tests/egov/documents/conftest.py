"""Factories of the legal-document tests: documents of the village or, as if synced, of the
kabupaten upstream, with tiny generated PDFs."""

import datetime

import pytest

from egov.documents.models import Kind, LegalDocument
from egov.documents.samples import pdf_bytes
from egov.documents.services import document_save, pdf_attach
from hub.sync.core.journal import applying

DOCUMENT_DEFAULTS = {
    "kind": Kind.PERDES,
    "number": "1",
    "year": 2025,
    "title": "Anggaran Pendapatan dan Belanja Desa Tahun Anggaran 2025",
    "abstract": "Menetapkan pendapatan, belanja dan pembiayaan desa.",
    "enacted_on": datetime.date(2025, 1, 10),
    "publisher": "Pemerintah Desa Bukit Berantai",
}


@pytest.fixture
def sample_pdf():
    return pdf_bytes(["Peraturan Desa Nomor 1 Tahun 2025", "tentang APB Desa"])


@pytest.fixture
def document_factory(db, village, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"

    def make(upstream: str = "", pdf: bytes | None = None, **fields):
        document = LegalDocument(**{**DOCUMENT_DEFAULTS, **fields})
        if upstream:
            with applying():
                document.origin, document.rev = upstream, 1
                document.full_clean(exclude=["pdf"])
                if pdf is not None:
                    pdf_attach(document=document, data=pdf)
                document.save()
            return document
        return document_save(document=document, pdf_data=pdf)

    return make
