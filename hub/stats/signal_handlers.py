"""After migrations: the daily statistics schedule (villages compute, the upstream receives)."""

from django.db.models.signals import post_migrate
from django.dispatch import receiver
from django_q.models import Schedule

from hub.core.roles import is_upstream

SCHEDULE_NAME = "balai-stats"


@receiver(post_migrate)
def stats_schedule_ensure(sender, app_config=None, **kwargs):
    if app_config is None or app_config.label != "stats":
        return
    if is_upstream():
        Schedule.objects.filter(name=SCHEDULE_NAME).delete()
        return
    Schedule.objects.update_or_create(
        name=SCHEDULE_NAME,
        defaults={
            "func": "hub.stats.tasks.stats_compute_task",
            "schedule_type": Schedule.DAILY,
            "repeats": -1,
        },
    )
