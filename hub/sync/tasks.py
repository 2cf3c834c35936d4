"""django-q2 tasks of the sync engine: the scheduled run, the run soon after local changes,
and housekeeping. They parse nothing and call one service each.

Schedules and queued tasks name these functions by dotted path (``hub.sync.tasks.sync_task``,
stored in the database by :mod:`hub.sync.village.scheduling` and the admin's button): they stay
here, at the app's conventional ``tasks.py``, so every stored path keeps resolving.
"""

import logging

from django.conf import settings

from hub.core.roles import is_upstream

from . import blobs
from .blobs.gc import blobs_collect
from .changes.apply import held_expire
from .changes.compaction import journal_compact
from .core.identity import NodeNotConfigured
from .core.pruning import sessions_prune, sync_runs_prune
from .core.space import space_reclaim
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
    """Daily: what only grows unless deleted (stale partial uploads, seen nonces, old sync runs,
    expired sessions, held changes past their age, superseded journal rows and deletions every
    reader has read, blobs no record refers to), then the freed space back to the disk.
    Returns (and logs) the counts."""
    report = {
        "partials": blobs.cleanup_partials(),
        "nonces": nonces_forget() if is_upstream() else 0,
        "runs": sync_runs_prune(),
        "sessions": sessions_prune(),
        "journal": journal_compact(),
        # also on a hub that receives no batch for a while (each batch expires them too)
        "held_expired": held_expire(),
    }
    # after the held changes expired: a blob only they declared is garbage now (past the grace)
    collected = blobs_collect()
    report["blobs_collected"], report["blob_bytes_collected"] = collected.blobs, collected.bytes
    report["space"] = space_reclaim(min_bytes=settings.SYNC_VACUUM_MIN_BYTES)
    logger.info("sync: housekeeping %s", report)
    return report
