"""How legal documents sync (registered from ``ready()``; engine public API only).

Made on the upstream: down to ``region`` (or the upstream's whole region). Made on a village:
up only, so the kabupaten sees its villages' Perdes. The PDF travels as a blob by SHA-256; the
preview is made on each hub from its own copy and never travels.
"""

from django.core.exceptions import ValidationError

from egov.services.sync import region_audience
from hub.sync.registry import FileAdapter, register

from .models import LegalDocument
from .services import pdf_attach

LOCAL_FIELDS = ("preview", "preview_sha256")


class PdfAdapter(FileAdapter):
    """A document's PDF (a plain FileField) as a content-addressed blob.

    Stands in until the shared ``hub.media.files.FileFieldAdapter`` lands; the receiving hub
    checks the blob is a PDF within the size limit, as an upload is."""

    def to_wire(self, obj, field_name):
        if not getattr(obj, field_name):
            return None
        return {"sha256": obj.pdf_sha256, "size": obj.pdf_size, "meta": {"type": "pdf"}}

    def open(self, obj, field_name):
        return getattr(obj, field_name).open("rb")

    def attach(self, obj, field_name, ref, blob):
        if ref is None or blob is None:
            # no PDF, or not here yet: the page says so until the blob arrives
            setattr(obj, field_name, "")
            return
        try:
            pdf_attach(document=obj, data=blob.read())
        except ValidationError as exc:
            raise ValueError("the blob is not an acceptable PDF") from exc


def register_synced_models():
    register(
        LegalDocument,
        audience=region_audience,
        files={"pdf": PdfAdapter()},
        exclude=LOCAL_FIELDS,
        blob_priority=6,
    )
