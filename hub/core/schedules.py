"""The django-q2 schedules each app makes after its migrations, one way for all of them.

A schedule is made or brought up to date by name, so a migrate run twice (or after an upgrade
that changes a task's timing) leaves one row; a schedule a role or a setting does not run is
removed, so a hub whose role changed does not keep running the other role's work.
"""

from django_q.models import Schedule

EVERY = {"day": Schedule.DAILY, "hour": Schedule.HOURLY}


def schedule_ensure(name: str, func: str, *, every: str | int, enabled: bool = True) -> None:
    """The schedule ``name`` running ``func`` (a dotted path) every ``"day"``, ``"hour"`` or
    that many minutes (an int); removed when not ``enabled``."""
    if not enabled:
        Schedule.objects.filter(name=name).delete()
        return
    defaults = {"func": func, "repeats": -1}
    if isinstance(every, int):
        defaults.update(schedule_type=Schedule.MINUTES, minutes=every)
    else:
        defaults.update(schedule_type=EVERY[every], minutes=None)
    Schedule.objects.update_or_create(name=name, defaults=defaults)
