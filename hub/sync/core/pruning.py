"""Rows that only grow unless something deletes them: sync runs and Django's sessions (seen
nonces: :func:`hub.sync.upstream.services.nonces_forget`). Run by the daily housekeeping."""

import contextlib
from importlib import import_module

from django.conf import settings
from django.utils import timezone

from ..models import SyncRun

# the month's data budget adds up this month's runs (hub.sync.village.budget)
RUN_KEEP_DAYS_MIN = 32


def sync_runs_prune(*, keep_days: int | None = None) -> int:
    """Delete sync runs older than ``keep_days`` (default ``SYNC_RUN_KEEP_DAYS``, never
    under 32 days); how many went."""
    days = settings.SYNC_RUN_KEEP_DAYS if keep_days is None else keep_days
    cutoff = timezone.now() - timezone.timedelta(days=max(days, RUN_KEEP_DAYS_MIN))
    deleted, _ = SyncRun.objects.filter(started_at__lt=cutoff).delete()
    return deleted


def sessions_prune() -> int | None:
    """Expired sessions out of the session store (``clearsessions``); how many went, or None
    when the store cannot count them (a cache or cookie store expires its own)."""
    engine = import_module(settings.SESSION_ENGINE)
    store = engine.SessionStore
    if hasattr(store, "get_model_class"):
        model = store.get_model_class()
        deleted, _ = model.objects.filter(expire_date__lt=timezone.now()).delete()
        return deleted
    with contextlib.suppress(NotImplementedError):
        store.clear_expired()
    return None
