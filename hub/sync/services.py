"""Sync services: enrollment and pinning, the upstream's side of the protocol, bundles.

The village's side of a sync run is :mod:`hub.sync.client`.
"""

import logging
import time

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import blobs, keys
from .apply import blob_arrived, changes_apply
from .feed import feed_page, ingest_refs
from .identity import VILLAGE_CODE_RE, require_node_code
from .models import Node, SeenNonce, SyncState
from .wire import WireError, decode_page, encode_page

logger = logging.getLogger(__name__)

# journal seqs and checkpoints are 64-bit
MAX_SEQ = 2**63 - 1
HEARTBEAT_KEYS = {"version", "disk_free", "backlog", "last_errors", "time", "role"}


class EnrollmentError(ValueError):
    pass


# --- enrollment and pinning -----------------------------------------------------------------


def village_enroll(*, code: str, public_key: str) -> tuple[Node, bool]:
    """Enroll (or re-key) a village on this upstream. Returns (node, created)."""
    code = code.strip().replace(".", "")
    if not VILLAGE_CODE_RE.match(code):
        raise EnrollmentError(f"{code!r} is not a ten-digit village code")
    try:
        keys.parse_public_key(public_key)
    except keys.KeyError_ as exc:
        raise EnrollmentError(f"public key: {exc}") from exc
    with transaction.atomic():
        node, created = Node.objects.select_for_update().get_or_create(
            code=code, defaults={"public_key": public_key.strip()}
        )
        if not created and (node.public_key != public_key.strip() or node.revoked_at):
            node.public_key = public_key.strip()
            node.revoked_at = None
            node.save(update_fields=["public_key", "revoked_at"])
    return node, created


def village_revoke(*, code: str) -> Node:
    code = code.strip().replace(".", "")
    node = Node.objects.filter(code=code).first()
    if node is None:
        raise EnrollmentError(f"village {code} is not enrolled")
    if node.revoked_at is None:
        node.revoked_at = timezone.now()
        node.save(update_fields=["revoked_at"])
    return node


def upstream_set(*, url: str, public_key: str, code: str) -> SyncState:
    """Pin the upstream this village syncs with: its URL, its code and its public key."""
    from django.core.exceptions import ValidationError
    from django.core.validators import URLValidator

    url = url.strip().rstrip("/")
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as exc:
        raise EnrollmentError(f"{url!r} is not an http(s) URL") from exc
    try:
        keys.parse_public_key(public_key)
    except keys.KeyError_ as exc:
        raise EnrollmentError(f"public key: {exc}") from exc
    if not (code.isdigit() and len(code) in (2, 4)):
        raise EnrollmentError("the upstream's code is its region code (2 or 4 digits)")
    with transaction.atomic():
        state = SyncState.load()
        if state.upstream_key and state.upstream_key != public_key.strip():
            # another upstream: its feed numbers mean nothing here
            state.pull_cursor = 0
        state.upstream_url = url
        state.upstream_key = public_key.strip()
        state.upstream_code = code
        state.failures = 0
        state.next_attempt_at = None
        state.save()
    return state


# --- the upstream's side --------------------------------------------------------------------


def _heartbeat_clean(data) -> dict:
    if not isinstance(data, dict):
        return {}
    clean = {k: v for k, v in data.items() if k in HEARTBEAT_KEYS}
    if isinstance(clean.get("last_errors"), list):
        clean["last_errors"] = [str(e)[:300] for e in clean["last_errors"][:5]]
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


def push_receive(*, node: Node, body: bytes) -> bytes:
    """Apply a village's batch with its checkpoint in one transaction; answer with the ack and
    the first feed page. A batch applied twice leaves the same state (records carry revs)."""
    header, items = decode_page(body)
    batch = header.get("batch") or {}
    if not isinstance(batch, dict):
        raise WireError("batch must be an object")
    cursor = header.get("cursor", 0)
    b_after, b_to = batch.get("after", 0), batch.get("to", 0)
    if (
        # bool is an int to Python, not to the protocol: {"after": false} is refused too
        not all(type(v) is int and 0 <= v <= MAX_SEQ for v in (cursor, b_after, b_to))
        or b_to < b_after
    ):
        raise WireError("batch.after, batch.to and cursor must be whole numbers, after <= to")
    now = timezone.now()
    ack = {"after": b_after, "to": b_to, "applied": 0, "skipped": 0, "refused": []}
    if items:
        with transaction.atomic():
            locked = Node.objects.select_for_update().get(pk=node.pk)
            result = changes_apply(
                items, sender=node.code, me=require_node_code(), sender_is_upstream=False
            )
            locked.push_seq = max(locked.push_seq, b_to)
            locked.last_push_at = now
            locked.last_seen_at = now
            locked.heartbeat = _heartbeat_clean(header.get("heartbeat"))
            locked.save(update_fields=["push_seq", "last_push_at", "last_seen_at", "heartbeat"])
        ack.update(result.as_dict())
    else:
        fields = {"last_seen_at": now, "heartbeat": _heartbeat_clean(header.get("heartbeat"))}
        if b_to > node.push_seq:
            fields["push_seq"] = b_to
        Node.objects.filter(pk=node.pk).update(**fields)
    return _feed_payload(node=node, after=cursor, header={"ack": ack, "node": node.code})


def feed_answer(*, node: Node, after: int) -> bytes:
    return _feed_payload(node=node, after=after, header={"node": node.code})


def blobs_missing(shas: list[str]) -> dict[str, int]:
    """Of these, the blobs this node lacks, each with the bytes it already holds."""
    return {sha: blobs.partial_offset(sha) for sha in dict.fromkeys(shas) if not blobs.has(sha)}


def blob_upload_chunk(*, node: Node, sha: str, offset: int, total: int, data: bytes) -> dict:
    if blobs.has(sha):
        return {"offset": total, "complete": True}
    if total < 0 or total > settings.SYNC_BLOB_MAX_BYTES:
        raise WireError("size out of range")
    current = blobs.partial_offset(sha)
    if offset != current:
        return {"error": "offset", "offset": current, "complete": False}
    import io

    new_offset = blobs.partial_append(sha, offset=offset, stream=io.BytesIO(data), total_size=total)
    if new_offset < total:
        return {"offset": new_offset, "complete": False}
    try:
        blobs.partial_finish(sha)
    except blobs.HashMismatch:
        logger.warning("sync: blob %s from %s did not match its hash", sha, node.code)
        return {"error": "hash", "offset": 0, "complete": False}
    blob_arrived(sha)
    return {"offset": total, "complete": True}


def nonces_forget() -> int:
    """Nonces older than twice the clock window can no longer be replayed: forget them."""
    cutoff = timezone.now() - timezone.timedelta(seconds=2 * settings.SYNC_CLOCK_WINDOW)
    deleted, _ = SeenNonce.objects.filter(seen_at__lt=cutoff).delete()
    return deleted
