"""The marketplace's django-q2 tasks: they call one service each."""

from .services import order_expire_stale


def order_expire_task() -> int:
    """Cancel new orders no one confirmed in time (scheduled every 15 minutes on a village)."""
    return order_expire_stale()
