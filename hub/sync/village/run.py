"""The village's side of a sync run: push, pull, then blobs, over one warm HTTP connection
(:mod:`.transport`).

A run never trusts an answer it cannot verify: checkpoints move only on answers signed by the
pinned upstream key and bound to the request's nonce. Anything else (a captive portal's page, a
proxy's error, a cut) ends the run as failed, with backoff, and nothing is lost: the journal still
holds every unacknowledged change.
"""

import contextlib
import fcntl
import json
import logging
import math
import random
import shutil
import time
from pathlib import Path
from types import SimpleNamespace

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .. import blobs
from ..changes.apply import blob_arrived, changes_apply
from ..changes.feed import backlog_figures, ingest_upload_refs, push_batch
from ..core.identity import require_node_code
from ..core.journal import adopt_unowned
from ..core.timeline import mark
from ..models import BlobNeed, BlobUpload, SyncRun, SyncState
from ..registry import heartbeat_facts_collect
from ..wire import keys
from ..wire.codec import WireError, decode_page, encode_page
from .budget import blob_allowed
from .pipeline import pipeline_depth, push_pipelined
from .reseed import recovered as reseed_recovered
from .reseed import reseed_run
from .scheduling import probe_arm_after
from .transport import (
    LinkCut,
    NotAnAnswer,
    NotConfigured,
    SyncError,
    Transport,
    Upstream,
    UpstreamRefused,
)

logger = logging.getLogger(__name__)

VERSION = "1"
UPLOAD_CHUNK = 256 * 1024


@contextlib.contextmanager
def run_lock():
    """One sync per hub: the cluster's schedule, ``sync_now`` and a test may race."""
    path = Path(settings.DATA_DIR) / "sync.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _durable_commit() -> None:
    """Make every commit so far durable before anything is sent (WAL with synchronous=NORMAL
    may lose the last commits on a power cut; a record the upstream has seen must not be)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
            cursor.execute("PRAGMA synchronous=NORMAL")


def heartbeat(state: SyncState, me: str) -> dict:
    errors = list(
        SyncRun.objects.exclude(error="")
        .order_by("-started_at")
        .values_list("error", flat=True)[:3]
    )
    disk_free = shutil.disk_usage(settings.DATA_DIR).free
    return {
        "version": VERSION,
        "role": settings.HUB_ROLE,
        "disk_free": disk_free,
        # the hub's own threshold (HUB_DISK_WARN_FREE_MB): the fleet view flags it as it is set
        "disk_low": disk_free < settings.HUB_DISK_WARN_FREE_BYTES,
        "backlog": backlog_figures(me, state.push_seq),
        "last_errors": errors,
        "time": int(time.time()),
        # what domains registered (register_heartbeat_fact): the certificate's expiry, …
        "facts": heartbeat_facts_collect(),
    }


def _apply_page(state: SyncState, header: dict, items: list[dict], run: SyncRun, me: str) -> bool:
    page = header.get("page") or {}
    after, to = page.get("after"), page.get("to")
    if after != state.pull_cursor or not isinstance(to, int) or to < after:
        raise NotAnAnswer("feed page does not continue from our cursor")
    if items or to != state.pull_cursor:
        with transaction.atomic():
            result = changes_apply(
                items, sender=state.upstream_code, me=me, sender_is_upstream=True
            )
            state.pull_cursor = to
            SyncState.objects.filter(pk=1).update(pull_cursor=to)
        run.records_down += result.applied
        # a relayed record not addressed to this village is dropped: counted with the refusals
        run.refused += len(result.refused) + result.dropped
        for refusal in result.refused:
            logger.warning("sync: refused from upstream: %s", refusal)
        if result.dropped:
            logger.warning(
                "sync: dropped %s records from upstream not addressed to this village",
                result.dropped,
            )
    return bool(page.get("more"))


def batch_bytes(state: SyncState) -> int:
    """The raw size of the next push batch: what the link has carried lately."""
    top = settings.SYNC_BATCH_MAX_BYTES
    return max(min(state.push_batch_bytes or top, top), min(settings.SYNC_BATCH_MIN_BYTES, top))


def _batch_bytes_set(state: SyncState, size: int) -> None:
    size = max(min(size, settings.SYNC_BATCH_MAX_BYTES), settings.SYNC_BATCH_MIN_BYTES)
    if size != state.push_batch_bytes:
        state.push_batch_bytes = size
        SyncState.objects.filter(pk=1).update(push_batch_bytes=size)


def batch_bytes_after_cut(*, carried: int, sent: int, raw: int, overhead: int) -> int:
    """The raw size of the batch to send after a cut.

    ``carried``: the bytes the cut connection had moved before (requests and answers), ``sent``:
    the cut request's bytes, ``raw``: its batch's raw NDJSON, ``overhead``: the headers of a
    request and its answer (``H``). A request of ``S`` bytes on a
    connection that carries ``C`` before it drops costs ``C / S`` times the headers ``H`` and
    loses about ``S / 2`` in the cut: ``S = sqrt(2 H C)`` wastes least. ``C`` is estimated by
    what the cut connection carried; when the cut request was its first, by a quarter of it.
    """
    capacity = carried or sent / 4
    target = math.sqrt(2 * overhead * capacity) - overhead
    return int(target * raw / max(1, sent - overhead)) if target > 0 else 0


def _shrink_after_cut(up: Upstream, state: SyncState, body: bytes, batch) -> None:
    overhead = up.header_up + up.header_down
    smaller = batch_bytes_after_cut(
        carried=up.carried_before_cut, sent=len(body) + overhead, raw=batch.raw_bytes,
        overhead=overhead,
    )  # fmt: skip
    _batch_bytes_set(state, min(smaller, batch.raw_bytes // 2))


# what the pipelined push (:mod:`.pipeline`) shares with the serial loop below
PUSH_HOOKS = SimpleNamespace(
    durable_commit=lambda: _durable_commit(),
    batch_bytes=lambda state: batch_bytes(state),
    batch_bytes_set=lambda state, size: _batch_bytes_set(state, size),
    heartbeat=lambda state, me: heartbeat(state, me),
    shrink_after_cut=lambda up, state, body, batch: _shrink_after_cut(up, state, body, batch),
    apply_page=lambda state, reply, items, run, me: _apply_page(state, reply, items, run, me),
)


def _pull_rest(up: Upstream, state: SyncState, run: SyncRun, me: str, more: bool) -> None:
    while more:
        answer = up.request("GET", up.path(f"changes?after={state.pull_cursor}"))
        try:
            reply, items = decode_page(answer.data)
        except WireError as exc:
            raise NotAnAnswer(f"unreadable answer: {exc}") from exc
        more = _apply_page(state, reply, items, run, me)


def exchange(up: Upstream, state: SyncState, run: SyncRun, me: str) -> None:
    """Push every unacknowledged change, pull every page of the feed.

    A push the link cuts is sent again at once, as a smaller batch sized to what the link
    carried before the cut (:func:`batch_bytes_after_cut`, down to ``SYNC_BATCH_MIN_BYTES``);
    each acknowledged full batch lets the next one grow by a quarter (up to
    ``SYNC_BATCH_MAX_BYTES``). So a link that never carries more than a few tens of KB per
    connection still moves every connection forward, and a good link keeps big batches. After
    ``SYNC_PUSH_CUTS_MAX`` cuts in a row the run fails (and backs off) as on a link that is down.
    """
    # pipelined while the link carries full batches; after cuts (smaller batches, until they
    # grow back) one at a time, so a cut never costs two batches in flight
    if pipeline_depth(up) > 1 and batch_bytes(state) >= settings.SYNC_BATCH_MAX_BYTES:
        more = push_pipelined(up, state, run, me, hooks=PUSH_HOOKS)
        if more is not None:
            _pull_rest(up, state, run, me, more)
            return
        # the pipeline stopped (a cut, a refusal): one batch at a time from the checkpoint
    cuts = 0
    while True:
        mark("village.build", after=state.push_seq)
        _durable_commit()  # also what was saved while the previous batch was on its way
        size = batch_bytes(state)
        batch = push_batch(me=me, after=state.push_seq, max_bytes=size)
        header = {
            "batch": {"after": batch.after, "to": batch.to},
            "cursor": state.pull_cursor,
            "heartbeat": heartbeat(state, me),
        }
        body = encode_page(header, batch.items)
        mark("village.built", after=batch.after, to=batch.to, count=batch.count, bytes=len(body))
        mark("village.post", after=batch.after, bytes=len(body))
        try:
            answer = up.request(
                "POST",
                up.path("push"),
                body,
                content_type="application/x-ndjson",
                # a cut push is followed by a smaller batch, not the same one again (a
                # kept-alive connection gone stale costs one smaller batch)
                retry=False,
            )
        except LinkCut as exc:
            cuts += 1
            if batch.items:
                _shrink_after_cut(up, state, body, batch)
            if cuts >= settings.SYNC_PUSH_CUTS_MAX:
                raise LinkCut(f"{cuts} pushes cut in a row: {exc}") from exc
            continue
        cuts = 0
        mark("village.answer", after=batch.after)
        if batch.more:
            _batch_bytes_set(state, size + size // 4)
        try:
            reply, items = decode_page(answer.data)
        except WireError as exc:
            raise NotAnAnswer(f"unreadable answer: {exc}") from exc
        ack = reply.get("ack") or {}
        if ack.get("after") != batch.after or ack.get("to") != batch.to:
            raise NotAnAnswer("acknowledgement is not for this batch")
        ingest_upload_refs(batch.blob_refs)
        with transaction.atomic():
            state.push_seq = batch.to
            SyncState.objects.filter(pk=1).update(push_seq=batch.to)
        run.records_up += batch.count
        run.refused += len(ack.get("refused") or [])
        for refusal in ack.get("refused") or []:
            logger.warning("sync: upstream refused %s", refusal)
        mark("village.acked", after=batch.after)
        more = _apply_page(state, reply, items, run, me)
        if not batch.more:
            _pull_rest(up, state, run, me, more)
            return


def exchange_after_restores(up: Upstream, state: SyncState, run: SyncRun, me: str) -> None:
    """:func:`exchange`, after re-seeding if this village was restored; once more after a
    refusal or answer that says either side was restored (:mod:`.reseed`)."""
    if state.reseed_pending and up.protocol >= 2:  # v1 has no generations: it waits for v2
        reseed_run(up, state, me)
    try:
        exchange(up, state, run, me)
    except SyncError as exc:
        if not reseed_recovered(up, state, me, exc):
            raise
        exchange(up, state, run, me)


def upload_blobs(up: Upstream, run: SyncRun) -> int:
    pending = list(BlobUpload.objects.order_by("priority", "size")[:1000])
    if not pending:
        return 0
    answer = up.request(
        "POST",
        up.path("blobs/missing"),
        json.dumps({"sha256": [b.sha256 for b in pending]}).encode(),
        content_type="application/json",
    )
    missing = answer.json().get("missing") or {}
    waiting = 0
    for item in pending:
        if item.sha256 not in missing:
            item.delete()
            continue
        if not blobs.has(item.sha256):
            item.delete()  # the file is gone here; nothing can be sent
            continue
        size = blobs.size(item.sha256)
        offset = int(missing[item.sha256] or 0)
        if not blob_allowed(size - offset, run):
            waiting += 1
            continue
        restarts = 0
        unwanted = False
        with blobs.open_blob(item.sha256) as handle:
            handle.seek(offset)
            while offset < size:
                chunk = handle.read(UPLOAD_CHUNK)
                path = up.path(f"blobs/{item.sha256}?offset={offset}&size={size}")
                try:
                    result = up.request(
                        "PUT", path, chunk, content_type="application/octet-stream"
                    ).json()
                except UpstreamRefused as exc:
                    if exc.code == "blob_not_referenced":
                        # no record of ours there waits for it (refused, or replaced since)
                        logger.warning("sync: upstream wants no blob %s", item.sha256[:12])
                        unwanted = True
                        break
                    if exc.code == "blob_quota":
                        # our share of the upstream's disk is full: the rest waits, visibly
                        logger.warning("sync: %s", exc)
                        run.error = str(exc)[:1000]
                        return waiting + len(pending) - pending.index(item)
                    if exc.status != 409:
                        raise
                    restarts += 1
                    if restarts > 3:
                        raise SyncError(
                            f"blob {item.sha256[:12]}: upstream keeps refusing it"
                        ) from exc
                    offset = int(exc.payload.get("offset") or 0)
                    handle.seek(offset)
                    continue
                offset = int(result.get("offset", offset))
                handle.seek(offset)
                if result.get("complete"):
                    break
        item.delete()
        run.blobs_up += 0 if unwanted else 1
    return waiting


def download_blobs(up: Upstream, run: SyncRun) -> int:
    waiting = 0
    for sha, size in (
        BlobNeed.objects.order_by("priority", "size")
        .values_list("sha256", "size")
        .distinct()[:1000]
    ):
        if not blobs.has(sha):
            if not blob_allowed(size - blobs.partial_offset(sha), run):
                waiting += 1
                continue
            try:
                up.download(sha, size)
            except UpstreamRefused as exc:
                if exc.status != 404:
                    raise
                # the upstream does not hold it (yet): a record of ours taken back after a
                # restore whose file never went up, or a file still on its way there; the other
                # files go on, the run is partial and says why
                logger.warning("sync: blob %s: %s", sha[:12], exc)
                run.error = str(exc)[:1000]
                waiting += 1
                continue
            run.blobs_down += 1
        blob_arrived(sha)
    return waiting


def _backoff(state: SyncState) -> None:
    delay = min(settings.SYNC_BACKOFF_MAX, 30 * 2 ** min(state.failures, 12))
    state.failures += 1
    state.next_attempt_at = timezone.now() + timezone.timedelta(
        seconds=delay * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not a secret
    )


def sync_run(
    *, trigger: str = "schedule", force: bool = False, transport: Transport | None = None
) -> SyncRun | None:
    """One sync with the pinned upstream; None when another run holds the lock or backoff says
    wait. Records the run whatever happens. ``transport``: how to reach the upstream (default:
    the ``SYNC_TRANSPORT`` setting's)."""
    with run_lock() as got:
        if not got:
            return None
        state = SyncState.load()
        if not state.upstream_url or not state.upstream_key:
            raise NotConfigured(
                "no upstream pinned: run `manage.py upstream_set URL --public-key …`"
            )
        now = timezone.now()
        if not force and state.next_attempt_at and state.next_attempt_at > now:
            return None
        me = require_node_code()
        adopt_unowned()
        _durable_commit()
        run = SyncRun.objects.create(trigger=trigger)
        state.last_attempt_at = now
        waiting = 0
        try:
            up = Upstream(state, me, run, transport)
            exchange_after_restores(up, state, run, me)
            waiting += upload_blobs(up, run)
            waiting += download_blobs(up, run)
        except (SyncError, blobs.BlobError, blobs.HashMismatch, keys.KeyError_, OSError) as exc:
            run.outcome = SyncRun.Outcome.FAILED
            run.error = str(exc)[:1000]
            state.last_error = run.error
            _backoff(state)
            probe_arm_after(state)
        else:
            run.outcome = SyncRun.Outcome.PARTIAL if waiting else SyncRun.Outcome.OK
            state.failures = 0
            state.next_attempt_at = None
            state.last_success_at = timezone.now()
            state.last_error = ""
        run.finished_at = timezone.now()
        run.save()
        SyncState.objects.filter(pk=1).update(
            failures=state.failures,
            next_attempt_at=state.next_attempt_at,
            last_success_at=state.last_success_at,
            last_attempt_at=state.last_attempt_at,
            last_error=state.last_error,
        )
        return run
