"""Signal handlers only enqueue work after the commit; they do none of it themselves."""

from django.db import transaction
from django.db.models import F
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django_q.tasks import async_task

from hub.core import pagecache
from hub.sync.registry import records_applied

from .models import LegalDocument

pagecache.invalidate_on_change(LegalDocument, signals=(post_save, post_delete, records_applied))


def _preview_later(document_ids) -> None:
    def enqueue():
        for document_id in document_ids:
            async_task(
                "egov.documents.tasks.document_preview_task",
                str(document_id),
                task_name=f"preview-document-{document_id}",
            )

    transaction.on_commit(enqueue)


@receiver(post_save, sender=LegalDocument)
def document_saved(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or not instance.pdf or instance.preview_sha256 == instance.pdf_sha256:
        return
    _preview_later([instance.pk])


@receiver(records_applied)
def documents_applied(sender, pks=(), **kwargs):
    """Documents the sync engine wrote in bulk (no ``post_save``): preview the new PDFs."""
    if sender is not LegalDocument:
        return
    stale = (
        LegalDocument.objects.filter(pk__in=list(pks))
        .exclude(pdf="")
        .exclude(preview_sha256=F("pdf_sha256"))
        .values_list("pk", flat=True)
    )
    _preview_later(list(stale))
