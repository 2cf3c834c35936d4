"""Background tasks of legal documents, run by the django-q2 cluster."""

from .services import document_preview_create


def document_preview_task(document_id: str) -> bool:
    """Make the first-page preview of one document (never inside a request)."""
    return document_preview_create(document_id=document_id)
