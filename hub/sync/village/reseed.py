"""The village's side of re-seeding after a restore (docs/sync-protocol.md, "Generations").

- **This village was restored** (``sync_generation_bump`` set ``reseed_pending``, or the upstream
  refused a request with ``generation_changed``): ask the upstream (``reseed``) for the highest
  rev it has seen of anything this village owns; take back what the restore took from it (the
  upstream sends every record of the village's as it holds it: :func:`reseed_return`); then, in
  one transaction, raise the rev of every record and tombstone the village owns by that much,
  journal each, and push from zero. Whatever the village changes from now on outranks what the
  upstream holds from before the restore.
- **The upstream was restored** (its generation changed in a verified answer, or it refused a
  cursor with ``cursor_ahead``): pull the feed again from zero and push the journal again from
  zero; both are idempotent by rev, so nothing is doubled.
"""

import logging

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ..changes.apply import MAX_REV, changes_apply
from ..core.journal import journal_lock
from ..core.specs import all_specs
from ..models import JournalEntry, SyncState, Tombstone
from ..wire.codec import WireError, decode_page
from .transport import NotAnAnswer, SyncError, UpstreamRefused, UpstreamRestored

logger = logging.getLogger(__name__)

CHUNK = 500


def reseed_announce(*, me: str, base: int) -> int:
    """Every record and tombstone this village owns gets ``rev + base`` and a journal row; the
    push checkpoint goes back to zero. Returns how many were re-announced."""
    if base < 0:
        raise SyncError(f"re-seed: bad max_rev {base!r}")
    announced = 0
    with transaction.atomic():
        journal_lock()
        now = timezone.now()
        for spec in all_specs():
            owned = spec.model._base_manager.filter(origin=me)
            top = max(owned.order_by("-rev").values_list("rev", flat=True)[:1], default=0)
            if top + base > MAX_REV:
                raise SyncError(f"re-seed: revs of {spec.label} would pass {MAX_REV}")
            owned.update(rev=F("rev") + base)
            rows = []
            for obj in owned.iterator(chunk_size=CHUNK):
                rows.append(
                    JournalEntry(
                        model=spec.label,
                        uid=obj.pk,
                        rev=obj.rev,
                        origin=me,
                        audience=spec.audience(obj),
                        created_at=now,
                    )  # fmt: skip
                )
                if len(rows) >= CHUNK:
                    JournalEntry.objects.bulk_create(rows)
                    announced += len(rows)
                    rows = []
            JournalEntry.objects.bulk_create(rows)
            announced += len(rows)
        tombs = Tombstone.objects.filter(origin=me)
        tombs.update(rev=F("rev") + base)
        rows = [
            JournalEntry(model=t.model, uid=t.uid, rev=t.rev, origin=me, created_at=now)
            for t in tombs.iterator(chunk_size=CHUNK)
        ]
        JournalEntry.objects.bulk_create(rows, batch_size=CHUNK)
        announced += len(rows)
        SyncState.objects.filter(pk=1).update(push_seq=0, reseed_pending=False)
    logger.warning("sync: re-seeded %s records above rev %s after a restore", announced, base)
    return announced


def reseed_return(up, state: SyncState, me: str) -> int:
    """Take back the records the restore took: every record and tombstone of ours the upstream
    holds comes in signed pages (``GET reseed?after=N``, each naming our generation), applied
    with our own records allowed (``changes_apply(returning=…)``) only where we hold none or an
    older rev, and never over one changed here since the restore (journaled above
    ``SyncState.reseed_after_seq``). Each page in its own transaction; a cut starts again from
    the first page (what came back is skipped by rev). Returns how many were taken back."""
    cursor, more, taken = 0, True, 0
    while more:
        answer = up.request("GET", up.path(f"reseed?after={cursor}"))
        try:
            header, items = decode_page(answer.data)
        except WireError as exc:
            raise NotAnAnswer(f"unreadable answer: {exc}") from exc
        page = header.get("page") or {}
        to = page.get("to")
        if (header.get("returning") or {}).get("generation") != up.generation:
            raise NotAnAnswer("re-seed page is not for this village's generation")
        more = bool(page.get("more"))
        if page.get("after") != cursor or type(to) is not int or to < cursor + more:
            # (a page that says "more" must move on, or this would ask for it forever)
            raise NotAnAnswer("re-seed page does not continue from the last one")
        with transaction.atomic():
            result = changes_apply(
                items,
                sender=state.upstream_code,
                me=me,
                sender_is_upstream=True,
                returning=state.reseed_after_seq,
            )
        taken += result.applied
        for refusal in result.refused:
            logger.warning("sync: refused in the re-seed's return: %s", refusal)
        if up.run is not None:
            up.run.records_down += result.applied
            up.run.refused += len(result.refused)
        if result.kept:
            logger.warning(
                "sync: re-seed: %s records changed here since the restore keep this version",
                result.kept,
            )
        cursor = to
    return taken


def reseed_run(up, state: SyncState, me: str) -> int:
    """Ask the upstream what to outrank, take back what the restore took (when the upstream
    can send it), then re-announce (``up``: a transport.Upstream)."""
    answer = up.request("POST", up.path("reseed"), b"{}", content_type="application/json")
    data = answer.json()
    base = data.get("max_rev") if isinstance(data, dict) else None
    if type(base) is not int:
        raise SyncError("re-seed: the upstream's answer has no max_rev")
    if data.get("records") is True:  # an upstream of the version before cannot: skipped
        taken = reseed_return(up, state, me)
        logger.warning("sync: re-seed: took back %s records the restore had taken", taken)
    announced = reseed_announce(me=me, base=base)
    state.push_seq, state.reseed_pending = 0, False
    return announced


def recovered(up, state: SyncState, me: str, exc: SyncError) -> bool:
    """Handle a refusal or answer that says a restore happened on either side; True when the
    exchange should start again."""
    if isinstance(exc, UpstreamRestored):
        return True  # the checkpoints are back at zero already
    if not isinstance(exc, UpstreamRefused):
        return False
    if exc.code == "generation_changed":
        if not state.reseed_pending:
            # the generation changed without sync_generation_bump, which would have noted where
            # the restored journal ended: what the upstream has not acknowledged is kept as is
            state.reseed_after_seq = state.push_seq
            SyncState.objects.filter(pk=1).update(reseed_after_seq=state.push_seq)
        reseed_run(up, state, me)
        return True
    if exc.code == "cursor_ahead":
        fields = {}
        high, pushed = exc.payload.get("feed_high"), exc.payload.get("push_seq")
        if type(high) is int and state.pull_cursor > high:
            fields["pull_cursor"] = state.pull_cursor = 0
        if type(pushed) is int and state.push_seq > pushed:
            fields["push_seq"] = state.push_seq = 0
        if not fields:
            return False
        SyncState.objects.filter(pk=1).update(**fields)
        logger.warning("sync: the upstream is behind us (restored?): %s from 0", sorted(fields))
        return True
    return False
