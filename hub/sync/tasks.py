"""django-q2 tasks of the sync engine: the scheduled run, the run soon after local changes,
and housekeeping. They parse nothing and call one service each.

Schedules and queued tasks name these functions by dotted path (``hub.sync.tasks.sync_task``,
stored in the database by :mod:`hub.sync.village.scheduling` and the admin's button): they stay
here, at the app's conventional ``tasks.py``, so every stored path keeps resolving.
"""

import logging

from hub.core.roles import is_upstream

from . import blobs
from .blobs.gc import blobs_collect
from .core.identity import NodeNotConfigured
from .upstream.services import nonces_forget
from .village.run import NotConfigured, sync_run

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
    return run.outcome if run else "skipped"


def sync_housekeeping_task():
    removed = blobs.cleanup_partials()
    nonces = nonces_forget() if is_upstream() else 0
    collected = blobs_collect()
    return {
        "partials": removed,
        "nonces": nonces,
        "blobs_collected": collected.blobs,
        "blob_bytes_collected": collected.bytes,
    }
