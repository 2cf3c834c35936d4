"""Reads for the sync page and ``sync_status``."""

import os
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.db.models import Count, Sum

from hub.core.roles import is_upstream

from ..blobs import blob_store
from ..changes.feed import backlog_figures
from ..core.identity import local_node_code
from ..core.space import database_figures
from ..models import (
    BlobNeed,
    HeldChange,
    JournalEntry,
    Node,
    NodeGeneration,
    SeenNonce,
    SyncRun,
    SyncState,
    Tombstone,
)
from ..village.budget import month_bytes


def _tree_bytes(root: Path) -> int:
    total = 0
    stack = [root]
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except FileNotFoundError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                stack.append(entry.path)
            elif entry.is_file(follow_symlinks=False):
                total += entry.stat(follow_symlinks=False).st_size
    return total


def _database_bytes() -> dict:
    """The database's size on disk: the SQLite file with its write-ahead log (and the free
    pages inside it), or PostgreSQL's ``pg_database_size``."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            figures = database_figures(cursor)
            wal = Path(f"{connection.settings_dict['NAME']}-wal")
            wal_bytes = wal.stat().st_size if wal.exists() else 0
            return {"bytes": figures["bytes"] + wal_bytes, "free_bytes": figures["free_bytes"]}
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_database_size(current_database())")
            return {"bytes": cursor.fetchone()[0], "free_bytes": None}
    return {"bytes": None, "free_bytes": None}


def storage_sizes() -> dict:
    """What the engine keeps and how big it has grown: rows of its tables, the blob store's
    bytes (None when it is not on this machine) and the database's size."""
    store = blob_store()
    blob_bytes = _tree_bytes(Path(store.storage.location)) if store.is_local else None
    database = _database_bytes()
    return {
        "journal_rows": JournalEntry.objects.count(),
        "tombstones": Tombstone.objects.count(),
        "held_changes": HeldChange.objects.count(),
        "runs": SyncRun.objects.count(),
        "nonces": SeenNonce.objects.count(),
        "blob_bytes": blob_bytes,
        "database_bytes": database["bytes"],
        "database_free_bytes": database["free_bytes"],
    }


def link_state(state: SyncState) -> str:
    if not state.upstream_url:
        return "unconfigured"
    if state.last_attempt_at is None:
        return "never"
    if state.failures:
        return "down"
    return "up"


def link_summary(state: SyncState | None = None) -> dict:
    """What the dashboard shows first: the link's state, the last good sync and what waits to
    go up (three cheap queries); :func:`sync_overview` adds the rest for the sync page."""
    state = state or SyncState.load()
    return {
        "role": settings.HUB_ROLE,
        "link": link_state(state),
        "last_success_at": state.last_success_at,
        "last_attempt_at": state.last_attempt_at,
        "backlog": backlog_figures(local_node_code(), state.push_seq),
    }


def held_figures(senders: int = 5) -> dict:
    """Changes waiting for a record that has not arrived: how many wait, how many expired
    (SYNC_HELD_MAX_AGE), and the senders with the most waiting against the per-sender cap."""
    active = HeldChange.objects.filter(expired_at__isnull=True)
    return {
        "held_records": active.count(),
        "held_expired": HeldChange.objects.filter(expired_at__isnull=False).count(),
        "held_cap": settings.SYNC_HELD_MAX_PER_SENDER,
        "held_by_sender": list(
            active.values("sender").annotate(held=Count("id")).order_by("-held", "sender")[:senders]
        ),
    }


def sync_overview(runs: int = 10) -> dict:
    me = local_node_code()
    overview = {"role": settings.HUB_ROLE, "node": me or "—"}
    if is_upstream():
        overview["villages"] = Node.objects.filter(revoked_at__isnull=True).count()
        overview["revoked"] = Node.objects.filter(revoked_at__isnull=False).count()
        overview["feed_seq"] = (
            JournalEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
        )
    state = SyncState.load()
    needs = BlobNeed.objects.aggregate(n=Count("id"), size=Sum("size"))
    overview.update(link_summary(state))
    overview.update(
        {
            "upstream": state.upstream_url or "—",
            "next_attempt_at": state.next_attempt_at,
            "last_error": state.last_error,
            "push_seq": state.push_seq,
            "pull_cursor": state.pull_cursor,
            # restores (docs/sync-protocol.md, section 5.3): this node's generation, the
            # upstream's as last seen, and whether a re-seed waits for the next sync
            "protocol": settings.SYNC_PROTOCOL,
            "generation": NodeGeneration.objects.filter(pk=1)
            .values_list("generation", flat=True)
            .first()
            or "—",
            "upstream_generation": state.upstream_generation or "—",
            "reseed_pending": state.reseed_pending,
            "waiting_downloads": {"blobs": needs["n"] or 0, "bytes": needs["size"] or 0},
            # records that came before a record they refer to (applied when it arrives)
            **held_figures(),
            "month_bytes": month_bytes(),
            "month_budget": settings.SYNC_MONTHLY_BUDGET_BYTES or None,
            "sizes": storage_sizes(),
            "runs": list(
                SyncRun.objects.values(
                    "started_at",
                    "finished_at",
                    "trigger",
                    "outcome",
                    "bytes_up",
                    "bytes_down",
                    "records_up",
                    "records_down",
                    "blobs_up",
                    "blobs_down",
                    "refused",
                    "error",
                )[:runs]
            ),
        }
    )
    return overview
