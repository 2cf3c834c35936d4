"""The library's django-q2 schedule, made idempotently after migrations; a withdrawn archive's
file removed once the deletion is committed."""

from django.db import transaction
from django.db.models.signals import post_delete, post_migrate
from django.dispatch import receiver

from hub.core.roles import is_upstream
from hub.core.schedules import schedule_ensure

from .models import LibraryArchive

SCAN_SCHEDULE_NAME = "balai-library-scan"


@receiver(post_migrate)
def library_schedule_ensure(sender, **kwargs):
    # the schedule needs django_q's tables: hook its post_migrate
    if sender.label != "django_q":
        return
    # a dropped archive appears within a minute; a scan with nothing new costs a few stats
    schedule_ensure(SCAN_SCHEDULE_NAME, "elearning.library.tasks.library_scan_task", every=1)


@receiver(post_delete, sender=LibraryArchive)
def archive_file_remove(sender, instance, **kwargs):
    """The upstream's copy leaves its storage; a village's leaves the library folder (withdrawn
    upstream: kiwix-serve stops serving it at the rescan)."""
    if instance.file:
        storage, name = instance.file.storage, instance.file.name
        transaction.on_commit(lambda: storage.delete(name))
    if not is_upstream():
        from .services import archive_withdraw

        name, size = instance.name, instance.size
        transaction.on_commit(lambda: archive_withdraw(name=name, size=size))
