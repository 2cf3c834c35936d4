"""A cache of rendered anonymous pages, shared-nothing between gunicorn workers.

Each worker keeps pages in its own memory (fast, no pickling through a database on an SD card).
Staleness is handled by a *generation*: the mtime of one small file in the data dir. Publishing
anything a villager sees calls :func:`invalidate`, which touches the file; every worker sees the
new mtime on its next request (one ``stat``) and stops using older entries.
"""

import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone


def _generation_file() -> Path:
    return Path(settings.HUB_PAGE_CACHE_GENERATION_FILE)


def generation() -> int:
    try:
        return os.stat(_generation_file()).st_mtime_ns
    except FileNotFoundError:
        return 0


def invalidate() -> None:
    """Drop every cached page in every worker (called after commits that change public pages)."""
    path = _generation_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Writing a counter makes the mtime move even on file systems with coarse timestamps.
    try:
        count = int(path.read_text() or "0") + 1
    except (FileNotFoundError, ValueError):
        count = 1
    # A private temporary name: the web workers and the cluster may invalidate at once.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".generation-")
    with os.fdopen(fd, "w") as handle:
        handle.write(str(count))
    os.replace(tmp, path)
    caches["pages"].clear()
    caches["pages-query"].clear()


def invalidate_on_commit(callback=invalidate) -> None:
    """``callback`` (:func:`invalidate`) once the current transaction commits, once however many
    saves in it ask (an order saves each of its products)."""
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(
        func is callback for _sids, func, _robust in connection.run_on_commit
    ):
        return
    transaction.on_commit(callback)


def invalidate_on_change(*models, signals=(post_save, post_delete)) -> None:
    """Drop every cached page after the commit of any change to ``models``.

    Called from an app's ``signal_handlers`` with what its public pages show. ``signals`` are
    those that mean a change: saves and deletes by default; add the sync engine's
    ``records_applied`` for records it writes in bulk (no ``post_save``). With no model, any
    sender counts (Wagtail's ``page_published`` is sent by each page class). Each call
    invalidates once per transaction, however many of its rows change.
    """

    def invalidate_these():
        invalidate()

    def changed(**kwargs):
        invalidate_on_commit(invalidate_these)

    for sender in models or (None,):
        for signal in signals:
            signal.connect(changed, sender=sender, weak=False)


def cache(*, query: bool = False):
    """The cache of plain pages, or (``query``) of pages asked for with a query string."""
    return caches["pages-query" if query else "pages"]


_memo: dict[str, tuple[int, object, object]] = {}


def per_generation(name: str, factory):
    """``factory()``, computed once per generation in this process.

    For what every page needs and only publishing changes (the village settings, the menu):
    the same generation that drops cached pages drops these.
    """
    current = generation()
    hit = _memo.get(name)
    if hit is not None and hit[0] == current:
        return hit[1]
    value = factory()
    _memo[name] = (current, value, None)
    return value


def per_generation_until(name: str, factory):
    """:func:`per_generation` for what the clock changes too (a notice whose publication time
    comes, an event that ends): ``factory()`` returns ``(value, until)``, and the value is used
    until the generation moves or the clock reaches ``until`` (an aware datetime; None: never).

    The value is shared by every request (and thread) of this process: it must be read, never
    changed, by whoever gets it.
    """
    current = generation()
    hit = _memo.get(name)
    if hit is not None and hit[0] == current and (hit[2] is None or timezone.now() < hit[2]):
        return hit[1]
    value, until = factory()
    _memo[name] = (current, value, until)
    return value


def forget(name: str) -> None:
    """Drop one memoized value of this process (what it was computed from changed shape)."""
    _memo.pop(name, None)


def clear_local() -> None:
    """Forget this process's memoized values (tests, whose rollbacks never invalidate)."""
    _memo.clear()
    caches["pages"].clear()
    caches["pages-query"].clear()
