"""The library's django-q2 schedule, made idempotently after migrations."""

from django.db.models.signals import post_migrate
from django.dispatch import receiver

SCAN_SCHEDULE_NAME = "balai-library-scan"


@receiver(post_migrate)
def library_schedule_ensure(sender, **kwargs):
    # this app has no models, so no post_migrate of its own: hook the one of django_q's
    if sender.label != "django_q":
        return
    from django_q.models import Schedule

    # a dropped archive appears within a minute; a scan with nothing new costs a few stats
    Schedule.objects.update_or_create(
        name=SCAN_SCHEDULE_NAME,
        defaults={
            "func": "elearning.library.tasks.library_scan_task",
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
            "repeats": -1,
        },
    )
