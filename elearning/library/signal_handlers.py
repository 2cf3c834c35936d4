"""The library's django-q2 schedule, made idempotently after migrations."""

from django.db.models.signals import post_migrate
from django.dispatch import receiver

from hub.core.schedules import schedule_ensure

SCAN_SCHEDULE_NAME = "balai-library-scan"


@receiver(post_migrate)
def library_schedule_ensure(sender, **kwargs):
    # this app has no models, so no post_migrate of its own: hook the one of django_q's
    if sender.label != "django_q":
        return
    # a dropped archive appears within a minute; a scan with nothing new costs a few stats
    schedule_ensure(SCAN_SCHEDULE_NAME, "elearning.library.tasks.library_scan_task", every=1)
