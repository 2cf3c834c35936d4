"""The link's budget: bytes this month against ``SYNC_MONTHLY_BUDGET_BYTES``, and the hours
(``SYNC_BULK_WINDOW``) when big blobs may move."""

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from ..models import SyncRun, SyncState


def month_bytes() -> int:
    """This month's traffic: every run's bytes (cut attempts included) and the link probes'."""
    now = timezone.localtime()
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    total = SyncRun.objects.filter(started_at__gte=start).aggregate(
        up=Sum("bytes_up"), down=Sum("bytes_down")
    )
    probes = (
        SyncState.objects.filter(pk=1, probe_month=f"{now:%Y-%m}")
        .values_list("probe_bytes", flat=True)
        .first()
    )
    return (total["up"] or 0) + (total["down"] or 0) + (probes or 0)


def in_bulk_window(now=None) -> bool:
    window = settings.SYNC_BULK_WINDOW.strip()
    if not window:
        return True
    start, _, end = window.partition("-")
    hour = timezone.localtime(now).hour
    start, end = int(start), int(end)
    return start <= hour < end if start <= end else hour >= start or hour < end


def budget_left() -> int | None:
    budget = settings.SYNC_MONTHLY_BUDGET_BYTES
    return None if not budget else budget - month_bytes()


def blob_allowed(size: int, run: SyncRun) -> bool:
    left = budget_left()
    if left is not None and size + run.bytes_up + run.bytes_down > left:
        return False
    return size <= settings.SYNC_BULK_BLOB_BYTES or in_bulk_window()
