"""Pipelined push: the next batch crosses the link while the upstream applies the one before.

A push sends one batch, waits for its signed acknowledgement, then sends the next: the link
idles while the upstream applies each batch and while the answer comes back (one round trip a
batch). Here up to ``SYNC_PUSH_PIPELINE`` batches are in flight at once, each on its own
connection of the transport's pool. The batch bodies are made on the calling thread (it owns
the database connection); only the HTTP requests run on worker threads.

Ordering is the upstream's (docs/sync-protocol.md §7.2): a batch sent before the one ahead of
it is acknowledged says ``"ordered": true``; the upstream applies it only once the one before
is applied (it waits for it, then refuses with 409 ``out_of_order``), and says
``"in_order": true`` in its ack. Batches that are not the last ask for no feed page
(``"feed": false``); the last one brings the first page, as a serial push does.

The checkpoint moves only on a signed ack that continues from it, or on an ``in_order`` ack
(everything up to its ``to`` is applied there, even if the answer before it was lost). Anything
else (a cut, a refusal, an unreadable answer) ends the pipeline: the serial loop of
:func:`hub.sync.village.run.exchange` goes on from the last acknowledged checkpoint, with a
smaller batch after a cut, so nothing is lost and a record sent twice is skipped by its rev.
"""

import logging
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.db import connections, transaction

from ..changes.feed import ingest_upload_refs, push_batch
from ..core.timeline import mark
from ..models import SyncRun, SyncState
from ..wire.codec import WireError, decode_page, encode_page
from .transport import LinkCut, NotAnAnswer, SyncError, Upstream

logger = logging.getLogger(__name__)


@dataclass
class Sent:
    batch: object  # hub.sync.changes.feed.PushBatch
    body: bytes
    size: int  # the raw batch size asked for
    future: object


def _post(up: Upstream, body: bytes, after: int):
    mark("village.post", after=after, bytes=len(body))
    try:
        answer = up.request(
            "POST", up.path("push"), body, content_type="application/x-ndjson", retry=False
        )
        mark("village.answer", after=after)
        return answer
    finally:
        connections.close_all()  # this worker thread's own, if a stale-clock retry opened one


def pipeline_depth(up: Upstream) -> int:
    if not getattr(up.transport, "concurrent", False):
        return 1
    return max(1, settings.SYNC_PUSH_PIPELINE)


def _build(state: SyncState, me: str, after: int, hooks):
    """The next batch after ``after`` and its body (:class:`Sent` without its request)."""
    mark("village.build", after=after)
    hooks.durable_commit()
    size = hooks.batch_bytes(state)
    # small batches: several in flight keep the link busy while each is applied upstream
    batch = push_batch(
        me=me, after=after, max_bytes=min(size, settings.SYNC_PUSH_PIPELINE_BATCH_BYTES)
    )
    head = {"after": batch.after, "to": batch.to}
    if batch.after != state.push_seq:
        head["ordered"] = True
    header = {"batch": head, "cursor": state.pull_cursor, "heartbeat": hooks.heartbeat(state, me)}
    if batch.more:
        header["feed"] = False
    body = encode_page(header, batch.items)
    mark("village.built", after=after, to=batch.to, count=batch.count, bytes=len(body))
    return Sent(batch, body, size, None)


def push_pipelined(up: Upstream, state: SyncState, run: SyncRun, me: str, *, hooks) -> bool | None:
    """Push every unacknowledged change with batches in flight together.

    Returns whether the feed has more pages after the one the last ack brought (the caller
    pulls them), or None when the pipeline stopped early (the caller's serial loop goes on from
    ``state.push_seq``). ``hooks``: the serial loop's helpers (durable commit, batch sizing,
    heartbeat, page apply), so both paths make the same batches. While the batches in flight
    cross the link, the next one is built, so it leaves as soon as an answer frees its slot.
    """
    depth = pipeline_depth(up)
    in_flight: deque[Sent] = deque()
    ready: Sent | None = None
    after, more_to_send = state.push_seq, True
    executor = ThreadPoolExecutor(max_workers=depth, thread_name_prefix="sync-push")
    try:
        while True:
            while more_to_send and len(in_flight) < depth:
                sent, ready = ready or _build(state, me, after, hooks), None
                sent.future = executor.submit(_post, up, sent.body, sent.batch.after)
                in_flight.append(sent)
                after, more_to_send = sent.batch.to, sent.batch.more
            if more_to_send and ready is None:
                ready = _build(state, me, after, hooks)
            sent = in_flight.popleft()
            try:
                answer = sent.future.result()
            except LinkCut:
                if sent.batch.items:
                    hooks.shrink_after_cut(up, state, sent.body, sent.batch)
                _drain(in_flight, up, state, run, unacked=[sent])
                return None
            except SyncError as exc:
                logger.info("sync: pipelined push stopped (%s); going on one batch at a time", exc)
                _drain(in_flight, up, state, run, unacked=[sent])
                return None
            reply, items = _read(answer)
            mark("village.read", after=sent.batch.after)
            if not _accept(reply, sent, state, run, unacked=[]):
                _drain(in_flight, up, state, run, unacked=[sent])
                return None
            mark("village.acked", after=sent.batch.after)
            if sent.batch.more:
                hooks.batch_bytes_set(state, sent.size + sent.size // 4)
                continue
            return hooks.apply_page(state, reply, items, run, me)
    finally:
        executor.shutdown(wait=True)


def _read(answer):
    try:
        return decode_page(answer.data)
    except WireError as exc:
        raise NotAnAnswer(f"unreadable answer: {exc}") from exc


def _accept(reply: dict, sent: Sent, state: SyncState, run: SyncRun, *, unacked: list) -> bool:
    """Move the checkpoint on this batch's ack (and over ``unacked`` batches before it, when
    the ack says everything up to it is applied in order). False when it may not move."""
    ack = reply.get("ack") or {}
    batch = sent.batch
    if ack.get("after") != batch.after or ack.get("to") != batch.to:
        raise NotAnAnswer("acknowledgement is not for this batch")
    if batch.after != state.push_seq and ack.get("in_order") is not True:
        return False
    for earlier in [*unacked, sent]:
        ingest_upload_refs(earlier.batch.blob_refs)
        run.records_up += earlier.batch.count
    with transaction.atomic():
        state.push_seq = batch.to
        SyncState.objects.filter(pk=1).update(push_seq=batch.to)
    run.refused += len(ack.get("refused") or [])
    for refusal in ack.get("refused") or []:
        logger.warning("sync: upstream refused %s", refusal)
    return True


def _drain(in_flight: deque, up: Upstream, state: SyncState, run: SyncRun, *, unacked) -> None:
    """After a batch failed: collect the answers of the batches behind it. One acknowledged in
    order proves the failed one was applied after all (only its answer was lost)."""
    while in_flight:
        sent = in_flight.popleft()
        try:
            answer = sent.future.result()
            reply, _items = _read(answer)
            if _accept(reply, sent, state, run, unacked=unacked):
                unacked = []
                continue
        except SyncError as exc:
            logger.info("sync: pipelined batch %s-%s not acknowledged: %s",
                        sent.batch.after, sent.batch.to, exc)  # fmt: skip
        unacked.append(sent)
