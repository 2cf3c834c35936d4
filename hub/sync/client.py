"""The village's side of a sync run: push, pull, then blobs, over one warm HTTP connection.

A run never trusts an answer it cannot verify: checkpoints move only on answers signed by the
pinned upstream key and bound to the request's nonce. Anything else (a captive portal's page, a
proxy's error, a cut) ends the run as failed, with backoff, and nothing is lost: the journal still
holds every unacknowledged change.
"""

import contextlib
import fcntl
import json
import logging
import random
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import urllib3
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from . import blobs, keys
from .apply import blob_arrived, changes_apply
from .feed import ingest_refs, push_batch
from .identity import require_node_code
from .models import BlobNeed, BlobUpload, SyncRun, SyncState
from .selectors import backlog_figures
from .signing import (
    HEADER_NODE,
    HEADER_NONCE,
    HEADER_SERVER_TIME,
    HEADER_SIGNATURE,
    HEADER_TIME,
    answer_message,
    body_digest,
    new_nonce,
    request_message,
)
from .wire import WireError, decode_page, encode_page

logger = logging.getLogger(__name__)

VERSION = "1"
UPLOAD_CHUNK = 256 * 1024
_pool: urllib3.PoolManager | None = None


class SyncError(Exception):
    """A run that could not finish; the message is shown to operators."""


class LinkDown(SyncError):
    pass


class NotAnAnswer(SyncError):
    """Something answered that is not the pinned upstream (a captive portal, a proxy)."""


class UpstreamRefused(SyncError):
    def __init__(self, status, code, detail, payload=None):
        super().__init__(f"upstream refused ({status} {code}): {detail}")
        self.status, self.code, self.payload = status, code, payload or {}


class NotConfigured(SyncError):
    pass


def pool() -> urllib3.PoolManager:
    global _pool
    if _pool is None:
        _pool = urllib3.PoolManager(
            num_pools=2,
            maxsize=1,
            retries=False,
            timeout=urllib3.Timeout(connect=30, read=settings.SYNC_HTTP_TIMEOUT),
        )
    return _pool


@dataclass
class Answer:
    status: int
    headers: dict
    data: bytes

    def json(self):
        try:
            return json.loads(self.data)
        except ValueError as exc:
            raise NotAnAnswer("answer is not JSON") from exc


class Upstream:
    """Signed requests to the pinned upstream, counting bytes each way."""

    def __init__(self, state: SyncState, node: str, run: SyncRun | None = None):
        self.state, self.node, self.run = state, node, run
        self.key = keys.load_private_key()

    def _count(self, up: int, down: int) -> None:
        if self.run is not None:
            self.run.bytes_up += up
            self.run.bytes_down += down

    def _headers(self, method: str, path: str, body: bytes) -> tuple[dict, str]:
        nonce = new_nonce()
        stamp = int(time.time()) + self.state.clock_offset
        message = request_message(
            method=method, path=path, node=self.node, time=stamp, nonce=nonce,
            digest=body_digest(body),
        )  # fmt: skip
        headers = {
            HEADER_NODE: self.node,
            HEADER_TIME: str(stamp),
            HEADER_NONCE: nonce,
            HEADER_SIGNATURE: keys.sign(message, self.key),
        }
        return headers, nonce

    def request(self, method: str, path: str, body: bytes = b"", *, content_type=None) -> Answer:
        for attempt in (1, 2):
            headers, nonce = self._headers(method, path, body)
            if content_type:
                headers["Content-Type"] = content_type
            try:
                response = pool().request(
                    method, self.state.upstream_url + path, body=body or None, headers=headers,
                    preload_content=True, redirect=False,
                )  # fmt: skip
            except urllib3.exceptions.HTTPError as exc:
                if attempt == 1:
                    # a kept-alive connection the other end (or a NAT) dropped meanwhile:
                    # once more on a new connection, with a new nonce
                    pool().clear()
                    continue
                raise LinkDown(f"link down: {exc.__class__.__name__}: {exc}") from exc
            data = response.data
            self._count(len(body) + 400, len(data) + 300)
            self.verify(response, nonce, data)
            if response.status == 401 and attempt == 1:
                detail = _json_or_empty(data)
                if detail.get("error") == "stale":
                    server_time = int(response.headers.get(HEADER_SERVER_TIME, "0"))
                    self.state.clock_offset = server_time - int(time.time())
                    SyncState.objects.filter(pk=1).update(clock_offset=self.state.clock_offset)
                    logger.warning("sync: clock off by %ss; using the upstream's time",
                                   self.state.clock_offset)  # fmt: skip
                    continue
            if response.status >= 400:
                detail = _json_or_empty(data)
                raise UpstreamRefused(
                    response.status, detail.get("error", "?"), detail.get("detail", ""), detail
                )
            return Answer(response.status, dict(response.headers), data)
        raise SyncError("unreachable")

    def verify(self, response, nonce: str, data: bytes) -> None:
        signature = response.headers.get(HEADER_SIGNATURE, "")
        message = answer_message(nonce=nonce, status=response.status, digest=body_digest(data))
        if not signature or not keys.verify(self.state.upstream_key, message, signature):
            raise NotAnAnswer(
                f"answer {response.status} not signed by the pinned upstream "
                "(captive portal or wrong server?)"
            )

    def download(self, sha: str, size: int) -> bool:
        """Fetch a blob into its partial file from where it stopped; True when complete."""
        offset = blobs.partial_offset(sha)
        headers, _nonce = self._headers("GET", f"/sync/v1/blobs/{sha}", b"")
        if offset:
            headers["Range"] = f"bytes={offset}-"
        try:
            response = pool().request(
                "GET", self.state.upstream_url + f"/sync/v1/blobs/{sha}", headers=headers,
                preload_content=False, redirect=False,
            )  # fmt: skip
        except urllib3.exceptions.HTTPError as exc:
            raise LinkDown(f"link down: {exc.__class__.__name__}") from exc
        try:
            if response.status not in (200, 206):
                data = response.read(4096)
                self._count(300, len(data) + 300)
                raise UpstreamRefused(response.status, "blob", data[:200].decode(errors="replace"))
            if response.status == 200 and offset:
                blobs.partial_discard(sha)
                offset = 0
            elif response.status == 206:
                start = response.headers.get("Content-Range", "").split(" ")[-1].split("-")[0]
                if start != str(offset):
                    raise NotAnAnswer("blob range does not start where asked")
            counted = _CountingStream(response)
            try:
                reached = blobs.partial_append(sha, offset=offset, stream=counted, total_size=size)
            finally:
                self._count(300, counted.count + 300)
        finally:
            response.release_conn()
        if reached < size:
            raise LinkDown(f"blob {sha[:12]} cut at {reached} of {size} bytes")
        blobs.partial_finish(sha)
        return True


class _CountingStream:
    def __init__(self, response):
        self.response, self.count = response, 0

    def read(self, n=-1):
        try:
            data = self.response.read(n if n and n > 0 else 65536)
        except (urllib3.exceptions.HTTPError, OSError):
            return b""  # a cut: keep what arrived
        self.count += len(data)
        return data


def _json_or_empty(data: bytes) -> dict:
    try:
        value = json.loads(data)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


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


def adopt_unowned() -> int:
    """Records made before this hub had a village code (or before the engine existed) have no
    origin and no journal row: a local save gives them both, once."""
    from .registry import all_specs

    adopted = 0
    for spec in all_specs():
        for obj in spec.model._base_manager.filter(origin=""):
            obj.save()
            adopted += 1
    return adopted


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
    return {
        "version": VERSION,
        "role": settings.HUB_ROLE,
        "disk_free": shutil.disk_usage(settings.DATA_DIR).free,
        "backlog": backlog_figures(me, state.push_seq),
        "last_errors": errors,
        "time": int(time.time()),
    }


def month_bytes() -> int:
    start = timezone.localtime().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    total = SyncRun.objects.filter(started_at__gte=start).aggregate(
        up=Sum("bytes_up"), down=Sum("bytes_down")
    )
    return (total["up"] or 0) + (total["down"] or 0)


def in_bulk_window(now=None) -> bool:
    window = settings.SYNC_BULK_WINDOW.strip()
    if not window:
        return True
    start, _, end = window.partition("-")
    hour = timezone.localtime(now).hour
    start, end = int(start), int(end)
    return start <= hour < end if start <= end else hour >= start or hour < end


def _ingest_upload_refs(refs: list[dict]) -> None:
    """Copy the files of pushed records into the blob store and queue them for upload."""
    for ref in ingest_refs(refs):
        BlobUpload.objects.get_or_create(
            sha256=ref["sha256"],
            defaults={"size": int(ref.get("size") or 0), "priority": ref.get("priority", 5)},
        )


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
        run.refused += len(result.refused)
        for refusal in result.refused:
            logger.warning("sync: refused from upstream: %s", refusal)
    return bool(page.get("more"))


def exchange(up: Upstream, state: SyncState, run: SyncRun, me: str) -> None:
    """Push every unacknowledged change, pull every page of the feed."""
    while True:
        _durable_commit()  # also what was saved while the previous batch was on its way
        batch = push_batch(me=me, after=state.push_seq, max_bytes=settings.SYNC_BATCH_MAX_BYTES)
        header = {
            "batch": {"after": batch.after, "to": batch.to},
            "cursor": state.pull_cursor,
            "heartbeat": heartbeat(state, me),
        }
        answer = up.request(
            "POST",
            "/sync/v1/push",
            encode_page(header, batch.items),
            content_type="application/x-ndjson",
        )
        try:
            reply, items = decode_page(answer.data)
        except WireError as exc:
            raise NotAnAnswer(f"unreadable answer: {exc}") from exc
        ack = reply.get("ack") or {}
        if ack.get("after") != batch.after or ack.get("to") != batch.to:
            raise NotAnAnswer("acknowledgement is not for this batch")
        _ingest_upload_refs(batch.blob_refs)
        with transaction.atomic():
            state.push_seq = batch.to
            SyncState.objects.filter(pk=1).update(push_seq=batch.to)
        run.records_up += batch.count
        run.refused += len(ack.get("refused") or [])
        for refusal in ack.get("refused") or []:
            logger.warning("sync: upstream refused %s", refusal)
        more = _apply_page(state, reply, items, run, me)
        while more and not batch.more:
            answer = up.request("GET", f"/sync/v1/changes?after={state.pull_cursor}")
            try:
                reply, items = decode_page(answer.data)
            except WireError as exc:
                raise NotAnAnswer(f"unreadable answer: {exc}") from exc
            more = _apply_page(state, reply, items, run, me)
        if not batch.more and not more:
            return


def _budget_left() -> int | None:
    budget = settings.SYNC_MONTHLY_BUDGET_BYTES
    return None if not budget else budget - month_bytes()


def _blob_allowed(size: int, run: SyncRun) -> bool:
    left = _budget_left()
    if left is not None and size + run.bytes_up + run.bytes_down > left:
        return False
    return size <= settings.SYNC_BULK_BLOB_BYTES or in_bulk_window()


def upload_blobs(up: Upstream, run: SyncRun) -> int:
    pending = list(BlobUpload.objects.order_by("priority", "size")[:1000])
    if not pending:
        return 0
    answer = up.request(
        "POST",
        "/sync/v1/blobs/missing",
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
        if not _blob_allowed(size - offset, run):
            waiting += 1
            continue
        restarts = 0
        with blobs.open_blob(item.sha256) as handle:
            handle.seek(offset)
            while offset < size:
                chunk = handle.read(UPLOAD_CHUNK)
                path = f"/sync/v1/blobs/{item.sha256}?offset={offset}&size={size}"
                try:
                    result = up.request(
                        "PUT", path, chunk, content_type="application/octet-stream"
                    ).json()
                except UpstreamRefused as exc:
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
        run.blobs_up += 1
    return waiting


def download_blobs(up: Upstream, run: SyncRun) -> int:
    waiting = 0
    for sha, size in (
        BlobNeed.objects.order_by("priority", "size")
        .values_list("sha256", "size")
        .distinct()[:1000]
    ):
        if not blobs.has(sha):
            if not _blob_allowed(size - blobs.partial_offset(sha), run):
                waiting += 1
                continue
            up.download(sha, size)
            run.blobs_down += 1
        blob_arrived(sha)
    return waiting


def _backoff(state: SyncState) -> None:
    delay = min(settings.SYNC_BACKOFF_MAX, 30 * 2 ** min(state.failures, 12))
    state.failures += 1
    state.next_attempt_at = timezone.now() + timezone.timedelta(
        seconds=delay * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not a secret
    )


def sync_run(*, trigger: str = "schedule", force: bool = False) -> SyncRun | None:
    """One sync with the pinned upstream; None when another run holds the lock or backoff says
    wait. Records the run whatever happens."""
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
            up = Upstream(state, me, run)
            exchange(up, state, run, me)
            waiting += upload_blobs(up, run)
            waiting += download_blobs(up, run)
        except (SyncError, blobs.BlobError, keys.KeyError_, OSError) as exc:
            run.outcome = SyncRun.Outcome.FAILED
            run.error = str(exc)[:1000]
            state.last_error = run.error
            _backoff(state)
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
