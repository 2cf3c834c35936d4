"""Monotonic timestamps of a push's steps on both sides, for the bench's timeline.

Off unless the ``hub.sync.timeline`` logger is at DEBUG (``HUB_SYNC_TIMELINE=1``): one line per
step, ``sync-timeline <monotonic seconds> <event> <json>``. ``time.monotonic()`` is the system's
CLOCK_MONOTONIC, so the village's and the upstream's lines compare on one machine (the bench
runs both there); between machines only the differences within one side mean anything.
"""

import json
import logging
import os
import threading
import time

logger = logging.getLogger("hub.sync.timeline")


def enabled() -> bool:
    return logger.isEnabledFor(logging.DEBUG)


def mark(event: str, **fields) -> None:
    if enabled():
        fields.update(pid=os.getpid(), thread=threading.current_thread().name)
        logger.debug("sync-timeline %.4f %s %s", time.monotonic(), event, json.dumps(fields))
