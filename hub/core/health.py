"""What /healthz reports: database, disk free in the data dir, age of the oldest queued task."""

import shutil
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.utils import timezone

from .disk import CRITICAL, disk_level


@dataclass
class Probe:
    ok: bool
    detail: dict


def database_probe() -> Probe:
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means the hub cannot serve
        return Probe(False, {"ok": False, "vendor": connection.vendor, "error": str(exc)[:200]})
    return Probe(
        True,
        {
            "ok": True,
            "vendor": connection.vendor,
            "ms": round((time.monotonic() - started) * 1000, 2),
        },
    )


def disk_probe() -> Probe:
    try:
        usage = shutil.disk_usage(settings.DATA_DIR)
    except OSError as exc:
        return Probe(False, {"ok": False, "error": exc.strerror})
    level = disk_level(usage.free)
    ok = level != CRITICAL
    return Probe(
        ok,
        {
            "ok": ok,
            "level": level,
            "free_bytes": usage.free,
            "total_bytes": usage.total,
            "min_free_bytes": settings.HUB_HEALTH_MIN_FREE_BYTES,
            "warn_free_bytes": settings.HUB_DISK_WARN_FREE_BYTES,
        },
    )


def queue_probe() -> Probe:
    """Age of the oldest task still waiting in django-q2's ORM queue.

    The ORM broker stores no enqueue time in a column, but every package carries ``started``
    (set by ``async_task``); the oldest rows by id are the candidates.
    """
    from django_q.models import OrmQ

    try:
        rows = list(OrmQ.objects.order_by("id")[:20])
        waiting = OrmQ.objects.count()
    except Exception as exc:
        return Probe(False, {"ok": False, "error": str(exc)[:200]})
    oldest_age = None
    now = timezone.now()
    for row in rows:
        started = row.task.get("started") if isinstance(row.task, dict) else None
        if started is not None:
            age = (now - started).total_seconds()
            oldest_age = age if oldest_age is None else max(oldest_age, age)
    ok = oldest_age is None or oldest_age <= settings.HUB_HEALTH_MAX_QUEUE_AGE_SECONDS
    return Probe(
        ok,
        {
            "ok": ok,
            "queued": waiting,
            "oldest_age_seconds": None if oldest_age is None else round(oldest_age, 1),
            "max_age_seconds": settings.HUB_HEALTH_MAX_QUEUE_AGE_SECONDS,
        },
    )


def health_report() -> tuple[bool, dict]:
    database = database_probe()
    probes = {"database": database, "disk": disk_probe()}
    # Without a database the queue cannot be read; say so once instead of twice.
    if database.ok:
        probes["queue"] = queue_probe()
    ok = all(p.ok for p in probes.values())
    return ok, {
        "status": "ok" if ok else "fail",
        "role": settings.HUB_ROLE,
        "time": timezone.now().isoformat(),
        **{name: p.detail for name, p in probes.items()},
    }
