"""The marketplace's django-q2 tasks (each calls one service) and their schedules, made after
migrations."""

import logging

from hub.core.roles import is_upstream
from hub.core.schedules import schedule_ensure

from . import services

logger = logging.getLogger(__name__)

RETENTION_SCHEDULE = "balai-market-retention"
EXPIRE_SCHEDULE = "balai-market-order-expire"


def market_retention_task():
    """Daily: erase the buyer data of orders and requests closed longer than the retention
    period (counts in the log only)."""
    done = services.market_retention_apply()
    logger.info("market retention: %(orders)d orders, %(requests)d requests anonymised", done)
    return done


def order_expire_task() -> int:
    """Cancel new orders no one confirmed in time (every 15 minutes, on a village)."""
    return services.order_expire_stale()


def schedules_ensure() -> None:
    schedule_ensure(RETENTION_SCHEDULE, "marketplace.tasks.market_retention_task", every="day")
    # the upstream holds copies of village orders: only their village may change them
    schedule_ensure(
        EXPIRE_SCHEDULE, "marketplace.tasks.order_expire_task", every=15, enabled=not is_upstream()
    )
