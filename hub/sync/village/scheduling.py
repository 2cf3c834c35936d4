"""The django-q2 schedules: a sync every ``SYNC_INTERVAL`` seconds, one soon after local
changes, and daily housekeeping. Made idempotently after migrations."""

import time

from django.conf import settings
from django.utils import timezone

from hub.core.roles import is_upstream
from hub.core.schedules import schedule_ensure

# the django-q2 Schedule rows' names; their ``func`` is a dotted path into hub.sync.tasks
SCHEDULE_NAME = "balai-sync"
SOON_NAME = "balai-sync-soon"
HOUSEKEEPING_NAME = "balai-sync-housekeeping"
PROBE_NAME = "balai-sync-probe"
# the django-q2 cluster looks at its schedules every 30 s: a probe is armed (and may run) this
# much before its interval is up, so the tick that ends the interval runs it
SCHEDULER_SLACK = 3

_last_soon = 0.0


def schedules_ensure() -> None:
    schedule_ensure(
        SCHEDULE_NAME,
        "hub.sync.tasks.sync_task",
        every=max(1, settings.SYNC_INTERVAL // 60),
        enabled=not is_upstream(),
    )
    schedule_ensure(HOUSEKEEPING_NAME, "hub.sync.tasks.sync_housekeeping_task", every="day")


def sync_soon() -> None:
    """Ask for a sync ``SYNC_SOON_DELAY`` seconds from now (once, however many saves)."""
    global _last_soon
    if is_upstream() or time.monotonic() - _last_soon < settings.SYNC_SOON_DELAY:
        return
    _last_soon = time.monotonic()
    from django_q.models import Schedule

    next_run = timezone.now() + timezone.timedelta(seconds=settings.SYNC_SOON_DELAY)
    if not Schedule.objects.filter(name=SOON_NAME, next_run__gt=timezone.now()).exists():
        Schedule.objects.update_or_create(
            name=SOON_NAME,
            defaults={
                "func": "hub.sync.tasks.sync_task",
                "args": "'soon'",
                "schedule_type": Schedule.ONCE,
                "repeats": 1,
                "next_run": next_run,
            },
        )


def probe_arm_after(state) -> None:
    """While backing off: the link probe (``hub.sync.tasks.sync_probe_task``) once more,
    ``SYNC_PROBE_INTERVAL`` after the last probe (or now, when there was none)."""
    if is_upstream() or not state.failures:
        return
    from django_q.models import Schedule

    now = timezone.now()
    step = timezone.timedelta(seconds=max(1, settings.SYNC_PROBE_INTERVAL - SCHEDULER_SLACK))
    next_run = max(now, state.last_probe_at + step) if state.last_probe_at else now
    Schedule.objects.update_or_create(
        name=PROBE_NAME,
        defaults={
            "func": "hub.sync.tasks.sync_probe_task",
            "schedule_type": Schedule.ONCE,
            "repeats": 1,
            "next_run": next_run,
        },
    )
