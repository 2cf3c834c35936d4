"""django-q2 tasks of the letters app, and their schedule (made after migrations)."""

import logging

from hub.core.schedules import schedule_ensure

from . import retention

logger = logging.getLogger(__name__)

RETENTION_SCHEDULE = "balai-letters-retention"


def letters_retention_task():
    """Daily: delete old photos, erase old requests' personal data (counts in the log only)."""
    done = retention.letters_retention_apply()
    logger.info(
        "letters retention: %(photos)d with photos deleted, %(anonymised)d anonymised, "
        "%(forwards)d forwarded copies erased",
        done,
    )
    return done


def schedules_ensure() -> None:
    schedule_ensure(RETENTION_SCHEDULE, "egov.letters.tasks.letters_retention_task", every="day")
