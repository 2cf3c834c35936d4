"""After migrations: the daily statistics schedule (villages compute, the upstream receives)."""

from django.db.models.signals import post_migrate
from django.dispatch import receiver

from hub.core.roles import is_upstream
from hub.core.schedules import schedule_ensure

SCHEDULE_NAME = "balai-stats"


@receiver(post_migrate)
def stats_schedule_ensure(sender, app_config=None, **kwargs):
    if app_config is None or app_config.label != "stats":
        return
    schedule_ensure(
        SCHEDULE_NAME, "hub.stats.tasks.stats_compute_task", every="day", enabled=not is_upstream()
    )
