"""django-q2 tasks of the letters app, and their schedule (made after migrations)."""

import logging

from . import services

logger = logging.getLogger(__name__)

RETENTION_SCHEDULE = "balai-letters-retention"


def letters_retention_task():
    """Daily: delete old photos, erase old requests' personal data (counts in the log only)."""
    done = services.letters_retention_apply()
    logger.info(
        "letters retention: %(photos)d with photos deleted, %(anonymised)d anonymised", done
    )
    return done


def schedules_ensure() -> None:
    from django_q.models import Schedule

    Schedule.objects.update_or_create(
        name=RETENTION_SCHEDULE,
        defaults={
            "func": "egov.letters.tasks.letters_retention_task",
            "schedule_type": Schedule.DAILY,
            "repeats": -1,
        },
    )
