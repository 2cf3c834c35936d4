"""Giving the space freed by journal compaction back to the SD card (SQLite only).

Deleted rows leave free pages inside the database file; SQLite reuses them but never shrinks
the file by itself. A village database runs with ``auto_vacuum=INCREMENTAL`` (set at
connection time in ``hub/settings/village.py``; it takes effect on a new database or after one
``VACUUM``), so free pages go back to the disk with ``PRAGMA incremental_vacuum(N)``, a few MB
per step, each step a short write transaction: a villager's order waits one step at most.

A database made before that setting has ``auto_vacuum=NONE``: the first time enough space is
free, one ``VACUUM`` rewrites it (and switches it to incremental). That one holds the write lock
for as long as it takes to copy the live data (measured by ``scripts/bench sync --years 5``,
docs/benchmarks.md), which is why it runs only when worth it and from the daily housekeeping.
"""

import time

from django.db import connection

# 4 MiB of 4 KiB pages per step
STEP_PAGES = 1024
INCREMENTAL = 2


def _value(cursor, pragma: str) -> int:
    cursor.execute(f"PRAGMA {pragma}")
    return int(cursor.fetchone()[0])


def _run_to_end(cursor, sql: str) -> None:
    """Python's ``execute`` steps a statement without result columns once, and
    ``incremental_vacuum`` frees one page per step; ``executescript`` steps it to the end."""
    raw = cursor if hasattr(cursor, "executescript") else cursor.cursor
    raw.executescript(sql)


def database_figures(cursor) -> dict:
    """Size of the database file (pages × page size) and of its free pages, in bytes."""
    page_size = _value(cursor, "page_size")
    return {
        "bytes": _value(cursor, "page_count") * page_size,
        "free_bytes": _value(cursor, "freelist_count") * page_size,
        "auto_vacuum": _value(cursor, "auto_vacuum"),
    }


def space_reclaim(*, min_bytes: int, cursor=None, step_pages: int = STEP_PAGES) -> dict:
    """Shrink the SQLite database when at least ``min_bytes`` of it is free. ``cursor``: a
    DB-API cursor in autocommit mode (default: Django's connection, which
    must not be inside a transaction: VACUUM cannot run in one). Returns the sizes before and
    after, the way it was done (``none``, ``vacuum``, ``incremental``) and the longest single
    write step in seconds."""
    if cursor is None:
        if connection.vendor != "sqlite":
            return {"method": "none", "reason": connection.vendor}
        if connection.in_atomic_block:
            return {"method": "none", "reason": "inside a transaction"}
        with connection.cursor() as django_cursor:
            return space_reclaim(min_bytes=min_bytes, cursor=django_cursor, step_pages=step_pages)
    before = database_figures(cursor)
    result = {
        "method": "none",
        "bytes_before": before["bytes"],
        "free_before": before["free_bytes"],
        "bytes_after": before["bytes"],
        "longest_step": 0.0,
        "seconds": 0.0,
    }
    if before["free_bytes"] < max(min_bytes, 1):
        return result
    started = time.monotonic()
    if before["auto_vacuum"] != INCREMENTAL:
        cursor.execute("PRAGMA auto_vacuum=INCREMENTAL")
        cursor.execute("VACUUM")
        result["method"] = "vacuum"
        result["longest_step"] = time.monotonic() - started
    else:
        result["method"] = "incremental"
        while _value(cursor, "freelist_count"):
            began = time.monotonic()
            _run_to_end(cursor, f"PRAGMA incremental_vacuum({int(step_pages)});")
            result["longest_step"] = max(result["longest_step"], time.monotonic() - began)
    # in WAL mode the file shrinks when the log is written back
    cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    cursor.fetchall()
    result["seconds"] = round(time.monotonic() - started, 3)
    result["longest_step"] = round(result["longest_step"], 3)
    result["bytes_after"] = database_figures(cursor)["bytes"]
    return result
