"""The upstream's side of the protocol: a village's push, its feed, its blobs.

The views (:mod:`.views`) check the signature and call one of these. Enrollment is
:mod:`.enrollment`; the village's side of a sync run is :mod:`hub.sync.village.run`.
"""

import contextlib
import io
import logging
import time

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from .. import blobs
from ..blobs import access
from ..changes.apply import blob_arrived, changes_apply
from ..changes.feed import feed_page, ingest_refs
from ..core.identity import require_node_code
from ..core.timeline import mark
from ..models import Node, SeenNonce
from ..registry import heartbeat_facts_clean
from ..wire.codec import WireError, decode_page, encode_page
from .reseed import cursor_check

logger = logging.getLogger(__name__)

# journal seqs and checkpoints are 64-bit
MAX_SEQ = 2**63 - 1
HEARTBEAT_KEYS = {"version", "disk_free", "disk_low", "backlog", "last_errors", "time", "role"}


def _heartbeat_clean(data) -> dict:
    if not isinstance(data, dict):
        return {}
    clean = {k: v for k, v in data.items() if k in HEARTBEAT_KEYS}
    if isinstance(clean.get("last_errors"), list):
        clean["last_errors"] = [str(e)[:300] for e in clean["last_errors"][:5]]
    # the domains' facts: only those registered here, each of its declared kind
    facts = heartbeat_facts_clean(data.get("facts"))
    if facts:
        clean["facts"] = facts
    return _without_nul(clean)


def _without_nul(value):
    """PostgreSQL's jsonb refuses \\u0000 in strings."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    return value


def _feed_payload(*, node: Node, after: int, header: dict) -> bytes:
    page = feed_page(village_code=node.code, after=after, max_bytes=settings.SYNC_PAGE_MAX_BYTES)
    if page.blob_refs:
        ingest_refs(page.blob_refs)
    header["page"] = {"after": after, "to": page.to, "more": page.more, "count": page.count}
    header["time"] = int(time.time())
    return encode_page(header, page.items)


class OutOfOrder(Exception):
    """A pipelined batch (``"ordered": true``) whose predecessor has not been applied here
    within ``SYNC_PUSH_ORDER_WAIT`` seconds: refused (409 ``out_of_order``), nothing applied;
    the village sends again from its last acknowledged checkpoint."""

    def __init__(self, push_seq: int, after: int):
        super().__init__(
            f"batch continues from {after}, but this upstream has applied up to {push_seq}"
        )
        self.push_seq = push_seq


# pg_advisory_lock keys of "the pipelined batches of one node waiting for their predecessor":
# this base plus the node's code (ten digits at most) times 8 plus the slot (below 8), far from
# the journal's key (hub/sync/core/journal.py)
ORDER_WAIT_LOCK_BASE = 0x5359_4E43_0000_0000
ORDER_WAIT_SLOTS_MAX = 8
ORDER_WAIT_POLL = 0.02


def _order_wait_key(node: Node, slot: int) -> int:
    digits = "".join(c for c in node.code if c.isdigit())[:10]
    return ORDER_WAIT_LOCK_BASE + int(digits or 0) * ORDER_WAIT_SLOTS_MAX + slot


@contextlib.contextmanager
def _waiter_slot(node: Node):
    """True for a request of this node allowed to wait for its predecessor: at most
    ``SYNC_PUSH_ORDER_WAITERS`` of them at a time (a village pipelining N batches has N - 1
    waiting at most); False for any other meanwhile (on PostgreSQL, session advisory locks, one
    per slot): a stolen key cannot park more of the upstream's threads in the wait below."""
    if connection.vendor != "postgresql":
        yield True
        return
    slots = max(1, min(settings.SYNC_PUSH_ORDER_WAITERS, ORDER_WAIT_SLOTS_MAX))
    got = None
    with connection.cursor() as cursor:
        for slot in range(slots):
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [_order_wait_key(node, slot)])
            if cursor.fetchone()[0]:
                got = slot
                break
    try:
        yield got is not None
    finally:
        if got is not None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [_order_wait_key(node, got)])


def _applied_after_current_apply(node: Node, timeout: float) -> int:
    """The node's ``push_seq``; on PostgreSQL, read under the node's row lock (for at most
    ``timeout`` s), so while the batch before holds it (it is being applied) this returns right
    after that batch commits rather than at the next poll."""
    # (not inside a caller's transaction: the row lock would be held until that one ends)
    if connection.vendor == "postgresql" and timeout > 0 and not connection.in_atomic_block:
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    millis = str(max(1, int(timeout * 1000)))
                    cursor.execute("SELECT set_config('lock_timeout', %s, true)", [millis])
                seq = Node.objects.select_for_update().filter(pk=node.pk)
                return seq.values_list("push_seq", flat=True).first() or 0
        except OperationalError:  # lock_timeout: still applying when the wait ends
            pass
    return Node.objects.filter(pk=node.pk).values_list("push_seq", flat=True).first() or 0


def _wait_for_predecessor(node: Node, after: int) -> None:
    """Until the batch before this one is applied (``push_seq`` reaches ``after``), for at most
    ``SYNC_PUSH_ORDER_WAIT`` seconds, a few requests per node at a time (:func:`_waiter_slot`).
    Outside the apply's transaction: while the batch before is applied it holds the node's row
    lock, and this waits on that lock (:func:`_applied_after_current_apply`); while it is still
    on its way, this polls every ``ORDER_WAIT_POLL`` s."""
    with _waiter_slot(node) as allowed:
        if not allowed:
            return
        deadline = time.monotonic() + settings.SYNC_PUSH_ORDER_WAIT
        while True:
            applied = _applied_after_current_apply(node, deadline - time.monotonic())
            if applied >= after or time.monotonic() >= deadline:
                return
            time.sleep(ORDER_WAIT_POLL)


def push_receive(*, node: Node, body: bytes, restore_checks: bool = False) -> bytes:
    """Apply a village's batch with its checkpoint in one transaction; answer with the ack and
    the first feed page. A batch applied twice leaves the same state (records carry revs).

    Pipelining (docs/sync-protocol.md §7.2): a batch sent while the one before it is still on
    its way says ``"ordered": true``. It is applied only in order: it waits (on the node's row
    lock, then up to ``SYNC_PUSH_ORDER_WAIT`` s) for ``push_seq`` to reach its ``after``, and is
    refused (:class:`OutOfOrder`) otherwise; its ack then says ``"in_order": true`` (everything
    up to its ``to`` is applied here). ``"feed": false`` asks for the ack alone, no feed page.

    ``restore_checks`` (a village that speaks generations): a cursor or batch start ahead of
    this upstream is refused (:func:`.reseed.cursor_check`) instead of skipping rows; a
    pipelined batch's start is left to the wait for its predecessor.
    """
    header, items = decode_page(body)
    batch = header.get("batch") or {}
    if not isinstance(batch, dict):
        raise WireError("batch must be an object")
    cursor = header.get("cursor", 0)
    b_after, b_to = batch.get("after", 0), batch.get("to", 0)
    ordered, feed = batch.get("ordered", False), header.get("feed", True)
    if (
        # bool is an int to Python, not to the protocol: {"after": false} is refused too
        not all(type(v) is int and 0 <= v <= MAX_SEQ for v in (cursor, b_after, b_to))
        or b_to < b_after
    ):
        raise WireError("batch.after, batch.to and cursor must be whole numbers, after <= to")
    if type(ordered) is not bool or type(feed) is not bool:
        raise WireError("batch.ordered and feed must be true or false")
    if restore_checks:
        # a pipelined batch starts ahead of push_seq while its predecessor is still applied:
        # the wait below decides for it (OutOfOrder)
        cursor_check(node=node, cursor=cursor, push_after=None if ordered else b_after)
    now = timezone.now()
    ack = {"after": b_after, "to": b_to, "applied": 0, "skipped": 0, "refused": []}
    mark("up.decoded", after=b_after, to=b_to, count=len(items), ordered=ordered)
    if ordered and node.push_seq < b_after:
        _wait_for_predecessor(node, b_after)
        mark("up.waited", after=b_after)
    if items or ordered:
        with transaction.atomic():
            locked = Node.objects.select_for_update().get(pk=node.pk)
            mark("up.locked", after=b_after)
            if ordered and locked.push_seq < b_after:
                raise OutOfOrder(locked.push_seq, b_after)
            result = changes_apply(
                items, sender=node.code, me=require_node_code(), sender_is_upstream=False
            )
            locked.push_seq = max(locked.push_seq, b_to)
            locked.feed_cursor = max(locked.feed_cursor, cursor)
            locked.last_push_at = now
            locked.last_seen_at = now
            locked.heartbeat = _heartbeat_clean(header.get("heartbeat"))
            locked.save(
                update_fields=[
                    "push_seq",
                    "feed_cursor",
                    "last_push_at",
                    "last_seen_at",
                    "heartbeat",
                ]
            )
            mark("up.applied", after=b_after)
        mark("up.committed", after=b_after)
        ack.update(result.as_dict())
        if ordered:
            ack["in_order"] = True
    else:
        fields = {"last_seen_at": now, "heartbeat": _heartbeat_clean(header.get("heartbeat"))}
        if b_to > node.push_seq:
            fields["push_seq"] = b_to
        if cursor > node.feed_cursor:
            fields["feed_cursor"] = cursor
        Node.objects.filter(pk=node.pk).update(**fields)
    if not feed:
        return encode_page({"ack": ack, "node": node.code, "time": int(time.time())}, [])
    return _feed_payload(node=node, after=cursor, header={"ack": ack, "node": node.code})


def feed_answer(*, node: Node, after: int) -> bytes:
    # asking from ``after`` says every row up to it is applied there (a page and the cursor
    # commit together on the village): what journal compaction waits for
    if node.feed_cursor < after <= MAX_SEQ:
        Node.objects.filter(pk=node.pk, feed_cursor__lt=after).update(feed_cursor=after)
    return _feed_payload(node=node, after=after, header={"node": node.code})


class BlobRefused(Exception):
    """A blob the village may not move: ``code`` and ``detail`` go into the 403 answer."""

    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code, self.detail = code, detail


def blobs_missing(*, node: Node, shas: list[str]) -> dict[str, int]:
    """Of these, the blobs this upstream lacks and the village may upload, each with the bytes
    already here. A blob no record of the village's waits for is not listed: the village then
    stops offering it, and no one learns from the answer which blobs are stored here."""
    absent = [sha for sha in dict.fromkeys(shas) if not blobs.has(sha)]
    allowed = access.uploadable(node.code, absent)
    return {sha: blobs.partial_offset(sha) for sha in absent if sha in allowed}


def blob_readable(*, node: Node, sha: str) -> None:
    """BlobRefused unless a record visible to the village refers to ``sha``."""
    if not access.may_download(node.code, sha):
        raise BlobRefused("blob_not_visible", "no record visible to this village refers to it")


def blob_upload_chunk(*, node: Node, sha: str, offset: int, total: int, data: bytes) -> dict:
    if blobs.has(sha):
        return {"offset": total, "complete": True}
    if total < 0 or total > settings.SYNC_BLOB_MAX_BYTES:
        raise WireError("size out of range")
    if not access.may_upload(node.code, sha):
        raise BlobRefused("blob_not_referenced", "no record of this village here refers to it")
    try:
        access.check_quota(node.code, total)
    except access.BlobQuotaExceeded as exc:
        raise BlobRefused("blob_quota", str(exc)) from exc
    current = blobs.partial_offset(sha)
    if offset != current:
        return {"error": "offset", "offset": current, "complete": False}
    new_offset = blobs.partial_append(sha, offset=offset, stream=io.BytesIO(data), total_size=total)
    if new_offset < total:
        return {"offset": new_offset, "complete": False}
    try:
        blobs.partial_finish(sha)
    except blobs.HashMismatch:
        logger.warning("sync: blob %s from %s did not match its hash", sha, node.code)
        return {"error": "hash", "offset": 0, "complete": False}
    access.receipt_record(node.code, sha, total)
    blob_arrived(sha)
    return {"offset": total, "complete": True}


def nonces_forget() -> int:
    """Nonces older than twice the clock window can no longer be replayed: forget them."""
    cutoff = timezone.now() - timezone.timedelta(seconds=2 * settings.SYNC_CLOCK_WINDOW)
    deleted, _ = SeenNonce.objects.filter(seen_at__lt=cutoff).delete()
    return deleted
