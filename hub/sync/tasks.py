"""django-q2 tasks of the sync engine: the scheduled run, the run soon after local changes,
and housekeeping. They parse nothing and call one service each."""

import logging

from django.conf import settings

logger = logging.getLogger(__name__)

SCHEDULE_NAME = "balai-sync"
SOON_NAME = "balai-sync-soon"
HOUSEKEEPING_NAME = "balai-sync-housekeeping"


def sync_task(trigger: str = "schedule"):
    """Run a sync if this hub has an upstream pinned; quietly nothing otherwise."""
    from .client import NotConfigured, sync_run
    from .identity import NodeNotConfigured

    if settings.HUB_ROLE != "village":
        return None
    try:
        # a person asked (the admin's button): now, whatever the backoff says
        run = sync_run(trigger=trigger, force=trigger == "manual")
    except (NotConfigured, NodeNotConfigured) as exc:
        logger.info("sync: not configured yet: %s", exc)
        return None
    return run.outcome if run else "skipped"


def sync_housekeeping_task():
    from . import blobs
    from .services import nonces_forget

    removed = blobs.cleanup_partials()
    nonces = nonces_forget() if settings.HUB_ROLE == "upstream" else 0
    return {"partials": removed, "nonces": nonces}
