"""django-q2 tasks of the marketplace, and their schedule (made after migrations)."""

import logging

from . import services

logger = logging.getLogger(__name__)

RETENTION_SCHEDULE = "balai-market-retention"


def market_retention_task():
    """Daily: erase the buyer data of orders and requests closed longer than the retention
    period (counts in the log only)."""
    done = services.market_retention_apply()
    logger.info("market retention: %(orders)d orders, %(requests)d requests anonymised", done)
    return done


def schedules_ensure() -> None:
    from django_q.models import Schedule

    Schedule.objects.update_or_create(
        name=RETENTION_SCHEDULE,
        defaults={
            "func": "marketplace.tasks.market_retention_task",
            "schedule_type": Schedule.DAILY,
            "repeats": -1,
        },
    )
