"""Rows that only grow unless something deletes them: sync runs and Django's sessions (seen
nonces: :func:`hub.sync.upstream.services.nonces_forget`). Run by the daily housekeeping."""

import contextlib
from importlib import import_module

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from ..models import SyncRun

# the month's data budget adds up this month's runs (hub.sync.village.budget)
RUN_KEEP_DAYS_MIN = 32
# rows per delete transaction: other writers wait at most one of them for SQLite's write lock
CHUNK = 2000


def rows_delete(model, column: str, values: list) -> int:
    """DELETE … WHERE column IN values, in SQL: the engine's post_delete receiver (listening
    to every model) would make Django load each row and send a signal for it."""
    if not values:
        return 0
    table = connection.ops.quote_name(model._meta.db_table)
    marks = ", ".join(["%s"] * len(values))
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE {connection.ops.quote_name(column)} IN ({marks})",  # noqa: S608
            values,
        )
        return cursor.rowcount


def _chunked_delete(queryset, column: str = "pk") -> int:
    model = queryset.model
    name = model._meta.pk.column if column == "pk" else column
    values = list(queryset.values_list(column, flat=True))
    deleted = 0
    for start in range(0, len(values), CHUNK):
        with transaction.atomic():
            deleted += rows_delete(model, name, values[start : start + CHUNK])
    return deleted


def sync_runs_prune(*, keep_days: int | None = None) -> int:
    """Delete sync runs older than ``keep_days`` (default ``SYNC_RUN_KEEP_DAYS``, never
    under 32 days); how many went."""
    days = settings.SYNC_RUN_KEEP_DAYS if keep_days is None else keep_days
    cutoff = timezone.now() - timezone.timedelta(days=max(days, RUN_KEEP_DAYS_MIN))
    return _chunked_delete(SyncRun.objects.filter(started_at__lt=cutoff))


def sessions_prune() -> int | None:
    """Expired sessions out of the session store (``clearsessions``); how many went, or None
    when the store cannot count them (a cache or cookie store expires its own)."""
    engine = import_module(settings.SESSION_ENGINE)
    store = engine.SessionStore
    if hasattr(store, "get_model_class"):
        model = store.get_model_class()
        return _chunked_delete(model.objects.filter(expire_date__lt=timezone.now()))
    with contextlib.suppress(NotImplementedError):
        store.clear_expired()
    return None
