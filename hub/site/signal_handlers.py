"""Signal handlers only enqueue work after the commit; they do none of it themselves."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django_q.tasks import async_task
from wagtail.signals import page_published, page_unpublished

from hub.core import pagecache
from hub.sync.registry import records_applied

from .models import AgendaItem, Announcement, BalaiImage, VillageSettings


@receiver(post_save, sender=BalaiImage)
def image_saved(sender, instance, raw=False, **kwargs):
    if raw:
        return
    image_id = instance.pk
    transaction.on_commit(
        lambda: async_task(
            "hub.site.tasks.image_renditions_task",
            image_id,
            task_name=f"renditions-image-{image_id}",
        )
    )


def _invalidate_pages_after_commit(**kwargs):
    transaction.on_commit(pagecache.invalidate)


for model in (Announcement, AgendaItem, VillageSettings, BalaiImage):
    post_save.connect(_invalidate_pages_after_commit, sender=model, weak=False)
    post_delete.connect(_invalidate_pages_after_commit, sender=model, weak=False)
for model in (Announcement, AgendaItem):
    # records from the upstream written in bulk by the sync engine (no post_save)
    records_applied.connect(_invalidate_pages_after_commit, sender=model, weak=False)
page_published.connect(_invalidate_pages_after_commit, weak=False)
page_unpublished.connect(_invalidate_pages_after_commit, weak=False)
