"""How legal documents sync (registered from ``ready()``; engine public API only).

Made on the upstream: down to ``region`` (or the upstream's whole region). Made on a village:
up only, so the kabupaten sees its villages' Perdes. The PDF travels as a blob by SHA-256
(``hub.media.files.FileFieldAdapter``), checked on arrival as an upload is; the preview is made
on each hub from its own copy and never travels.
"""

from egov.services.sync import region_audience
from hub.media.files import FileFieldAdapter
from hub.sync.registry import register

from .models import PDF_HEADER_WINDOW, PDF_MAGIC, LegalDocument, pdf_max_bytes

LOCAL_FIELDS = ("preview", "preview_sha256")


def pdf_validate(blob) -> None:
    """A blob that does not start like a PDF refuses the record (ValueError)."""
    if PDF_MAGIC not in blob.read(PDF_HEADER_WINDOW):
        raise ValueError("the blob is not a PDF")


def register_synced_models():
    register(
        LegalDocument,
        owner="either",
        audience=region_audience,
        files={
            "pdf": FileFieldAdapter(
                sha_field="pdf_sha256",
                size_field="pdf_size",
                content_types=("application/pdf",),
                max_size=pdf_max_bytes(),
                validate=pdf_validate,
            )
        },
        exclude=LOCAL_FIELDS,
        blob_priority=6,
    )
