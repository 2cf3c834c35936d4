"""Signal handlers only enqueue work after the commit; they do none of it themselves."""

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django_q.tasks import async_task

from hub.core import pagecache

from .models import BalaiImage


@receiver(post_save, sender=BalaiImage)
def image_saved(sender, instance, raw=False, **kwargs):
    if raw:
        return
    image_id = instance.pk
    transaction.on_commit(
        lambda: async_task(
            "hub.media.tasks.image_renditions_task",
            image_id,
            task_name=f"renditions-image-{image_id}",
        )
    )


# a changed or deleted image changes every page showing it
pagecache.invalidate_on_change(BalaiImage)
