"""Writes of legal documents: the admin, the demo, tests and the sync adapter call these."""

import hashlib
import subprocess
import tempfile
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from .models import PDF_HEADER_WINDOW, PDF_MAGIC, LegalDocument, pdf_max_bytes

PREVIEW_WIDTH = 480
PREVIEW_TIMEOUT = 60


class NotAPdf(ValidationError):
    pass


def pdf_size_check(size: int) -> None:
    """Refuse a file over the size limit (before reading it)."""
    limit = pdf_max_bytes()
    if size > limit:
        raise NotAPdf(
            _("Berkas terlalu besar (%(size)s MB; paling besar %(max)s MB).")
            % {"size": round(size / 1048576, 1), "max": round(limit / 1048576, 1)}
        )


def pdf_check(data: bytes) -> None:
    """Refuse what is not a PDF (by its header, not its name) or is over the size limit."""
    pdf_size_check(len(data))
    if PDF_MAGIC not in data[:PDF_HEADER_WINDOW]:
        raise NotAPdf(_("Berkas ini bukan PDF."))


def pdf_attach(*, document: LegalDocument, data: bytes) -> None:
    """Put ``data`` (a checked PDF) behind ``document.pdf``; the caller saves the document.
    The file is named by its SHA-256, so the same PDF is stored once."""
    pdf_check(data)
    digest = hashlib.sha256(data).hexdigest()
    document.pdf_sha256, document.pdf_size = digest, len(data)
    same = (
        LegalDocument.objects.filter(pdf_sha256=digest)
        .exclude(pdf="")
        .values_list("pdf", flat=True)
    ).first()
    if same and document.pdf.storage.exists(same):
        document.pdf.name = same
    else:
        document.pdf.save(f"{digest}.pdf", ContentFile(data), save=False)


@transaction.atomic
def document_save(*, document: LegalDocument, pdf_data: bytes | None = None) -> LegalDocument:
    """Validate and save a document, with a new PDF when ``pdf_data`` is given. Bad input (a
    field, a non-PDF, an oversized file) raises ValidationError and saves nothing."""
    if pdf_data is not None:
        try:
            pdf_check(pdf_data)
        except NotAPdf as exc:
            raise ValidationError({"pdf": exc.messages}) from exc
    document.full_clean(exclude=["pdf"])
    if pdf_data is not None:
        pdf_attach(document=document, data=pdf_data)
    document.save()
    return document


def document_create(*, pdf_data: bytes | None = None, **fields) -> LegalDocument:
    return document_save(document=LegalDocument(**fields), pdf_data=pdf_data)


def preview_render(pdf_path: str) -> bytes:
    """The first page of the PDF at ``pdf_path`` as a PNG, ``PREVIEW_WIDTH`` pixels wide.

    Rendered by poppler's ``pdftoppm`` as a separate process (GPL, so never imported; a hostile
    PDF that crashes or hangs it costs a child process, not the cluster worker). Raises
    RuntimeError when it fails."""
    with tempfile.TemporaryDirectory(prefix="balai-preview-") as tmp:
        out = Path(tmp) / "page"
        try:
            subprocess.run(
                [
                    "pdftoppm",
                    "-f",
                    "1",
                    "-l",
                    "1",
                    "-singlefile",
                    "-png",
                    "-scale-to-x",
                    str(PREVIEW_WIDTH),
                    "-scale-to-y",
                    "-1",
                    pdf_path,
                    str(out),
                ],
                check=True,
                capture_output=True,
                timeout=PREVIEW_TIMEOUT,
            )
        except FileNotFoundError as exc:
            raise RuntimeError("pdftoppm is missing: install poppler-utils") from exc
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            raise RuntimeError(f"pdftoppm failed on the PDF: {exc}") from exc
        return (Path(tmp) / "page.png").read_bytes()


def document_preview_create(*, document_id) -> bool:
    """Make the first-page preview of one document from the PDF this hub holds, unless it is
    already made from that PDF. True when a preview exists afterwards."""
    document = LegalDocument.objects.filter(pk=document_id).first()
    if document is None or not document.pdf:
        return False
    if document.preview and document.preview_sha256 == document.pdf_sha256:
        return True
    try:
        local_path = document.pdf.path
    except NotImplementedError:
        local_path = None
    if local_path and Path(local_path).is_file():
        png = preview_render(local_path)
    else:
        # a storage without local files: render from a temporary copy
        with document.pdf.open("rb") as f, tempfile.NamedTemporaryFile(suffix=".pdf") as tmp:
            tmp.write(f.read())
            tmp.flush()
            png = preview_render(tmp.name)
    document.preview.save(f"{document.pdf_sha256}.png", ContentFile(png), save=False)
    # the preview is local bookkeeping: no new revision, no journal row
    LegalDocument.objects.filter(pk=document.pk).update(
        preview=document.preview.name, preview_sha256=document.pdf_sha256
    )
    return True
