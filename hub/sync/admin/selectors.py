"""Reads for the sync page and ``sync_status``."""

from django.conf import settings
from django.db.models import Count, Sum

from hub.core.roles import is_upstream

from ..changes.feed import backlog_figures
from ..core.identity import local_node_code
from ..models import BlobNeed, HeldChange, JournalEntry, Node, SyncRun, SyncState
from ..village.budget import month_bytes


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
            "waiting_downloads": {"blobs": needs["n"] or 0, "bytes": needs["size"] or 0},
            # records that came before a record they refer to (applied when it arrives)
            **held_figures(),
            "month_bytes": month_bytes(),
            "month_budget": settings.SYNC_MONTHLY_BUDGET_BYTES or None,
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
