"""django-q2 tasks of the sync engine: the scheduled run, the run soon after local changes,
and housekeeping. They parse nothing and call one service each.

Schedules and queued tasks name these functions by dotted path (``hub.sync.tasks.sync_task``,
stored in the database by :mod:`hub.sync.village.scheduling` and the admin's button): they stay
here, at the app's conventional ``tasks.py``, so every stored path keeps resolving.
"""

import logging

from hub.core.roles import is_upstream

from . import blobs
from .core.identity import NodeNotConfigured
from .models import SyncState
from .upstream.services import nonces_forget
from .village.probe import probe_then_sync
from .village.run import NotConfigured, sync_run
from .village.scheduling import probe_arm_after

logger = logging.getLogger(__name__)


def sync_task(trigger: str = "schedule"):
    """Run a sync if this hub has an upstream pinned; quietly nothing otherwise."""
    if is_upstream():
        return None
    try:
        # a person asked (the admin's button): now, whatever the backoff says
        run = sync_run(trigger=trigger, force=trigger == "manual")
    except (NotConfigured, NodeNotConfigured) as exc:
        logger.info("sync: not configured yet: %s", exc)
        return None
    if run is None:
        # backing off (or another run holds the lock): make sure the link is being probed
        probe_arm_after(SyncState.load())
    return run.outcome if run else "skipped"


def sync_probe_task():
    """While backing off: probe the link, sync as soon as it answers (re-arms itself)."""
    if is_upstream():
        return None
    try:
        return probe_then_sync()
    except (NotConfigured, NodeNotConfigured) as exc:
        logger.info("sync: not configured yet: %s", exc)
        return None


def sync_housekeeping_task():
    removed = blobs.cleanup_partials()
    nonces = nonces_forget() if is_upstream() else 0
    return {"partials": removed, "nonces": nonces}
