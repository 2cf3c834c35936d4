"""How the village reaches its upstream: signed requests over a pluggable transport.

:class:`Upstream` signs each request with the node key and verifies that each answer is signed
by the pinned upstream key and bound to the request's nonce (a captive portal's ``200 OK`` is no
answer). The bytes go through a :class:`Transport`, chosen by ``SYNC_TRANSPORT`` like a session
backend: :class:`Urllib3Transport` (one warm connection) on a hub; a test can hand ``sync_run`` one
that calls the upstream's views in-process.
"""

import json
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import urllib3
from django.conf import settings
from django.utils.module_loading import import_string

from .. import blobs
from ..blobs.streams import CountingStream
from ..core.generation import HEADER as HEADER_GENERATION
from ..core.generation import local_generation
from ..models import SyncRun, SyncState
from ..wire import httpsig, keys, signing

logger = logging.getLogger(__name__)


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


class UpstreamRestored(SyncError):
    """A verified answer carries a new upstream generation: the upstream was restored from a
    backup. Both checkpoints are back at zero; the exchange starts again (:mod:`.reseed`)."""


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


class TransportError(Exception):
    """The request did not get through, or its answer did not come back (the link is down)."""


class ConnectFailed(TransportError):
    """No connection could be opened (refused, unreachable, timed out): nothing was sent."""


class LinkCut(LinkDown):
    """A request was cut after it may have been sent, in part or whole (its bytes are counted)."""


# what a request and its answer cost beyond their bodies (request line, signature headers,
# status line, signed answer headers), as counted against the budget, by protocol version:
# (up, down), the mean of a sync's push, blobs/missing, blob PUTs and GET as the link simulator
# counted them against gunicorn (tests/e2e/test_sync_link.py checks them; v2 measured 612 and
# 790 B, v1 407 and 541 B). RFC 9421's Signature-Input and Content-Digest make v2's larger.
HEADER_BYTES = {1: (410, 540), 2: (610, 790)}


class Response(Protocol):
    """What a transport answers: the status, headers (case-insensitive ``get``), the body."""

    status: int
    headers: Mapping[str, str]

    @property
    def data(self) -> bytes: ...

    def read(self, n: int) -> bytes: ...

    def release_conn(self) -> None: ...


class Transport:
    """Carries a request to the upstream and its answer back; knows nothing of signatures.

    ``request`` raises :class:`TransportError` when nothing came back. With ``stream=True``
    the body is read with ``read(n)`` (a read that raises one of ``cut_errors`` means the link
    was cut there) and the caller calls ``release_conn()``; otherwise it is in ``data``.
    """

    cut_errors: tuple[type[BaseException], ...] = ()
    # requests may be made from several threads at once (a pipelined push, :mod:`.pipeline`)
    concurrent = False

    def request(
        self, method: str, url: str, *, body: bytes | None, headers: dict, stream: bool = False
    ) -> Response:
        raise NotImplementedError

    def reset(self) -> None:
        """Forget kept-alive connections (the other end or a NAT may have dropped them)."""


class Urllib3Transport(Transport):
    """HTTP(S) through one urllib3 pool: one warm connection, no retries, no redirects."""

    cut_errors = (urllib3.exceptions.HTTPError, OSError)
    concurrent = True

    def __init__(self):
        self.pool = urllib3.PoolManager(
            num_pools=2,
            # one warm connection per batch a pipelined push has in flight
            maxsize=max(1, settings.SYNC_PUSH_PIPELINE),
            retries=False,
            timeout=urllib3.Timeout(connect=30, read=settings.SYNC_HTTP_TIMEOUT),
        )

    def request(self, method, url, *, body, headers, stream=False):
        # decode_content=False: the signature covers the bytes as sent (a zstd page with
        # Content-Encoding: zstd); urllib3 must never inflate them on its own
        try:
            return self.pool.request(
                method, url, body=body, headers=headers, preload_content=not stream,
                decode_content=False, redirect=False,
            )  # fmt: skip
        except urllib3.exceptions.ConnectTimeoutError as exc:  # NewConnectionError too
            raise ConnectFailed(f"{exc.__class__.__name__}: {exc}") from exc
        except urllib3.exceptions.HTTPError as exc:
            raise TransportError(f"{exc.__class__.__name__}: {exc}") from exc

    def reset(self):
        self.pool.clear()


_transports: dict[str, Transport] = {}


def transport_from_settings() -> Transport:
    """The ``SYNC_TRANSPORT`` class's instance, made once per process (it keeps connections)."""
    path = settings.SYNC_TRANSPORT
    if path not in _transports:
        _transports[path] = import_string(path)()
    return _transports[path]


class AnswerTooLarge(NotAnAnswer):
    """An answer over SYNC_ANSWER_MAX_BYTES: refused before it is read whole."""


class Upstream:
    """Signed requests to the pinned upstream, counting bytes each way.

    An answer is streamed into memory up to ``SYNC_ANSWER_MAX_BYTES`` (a bigger one is refused
    as soon as it says so or goes past it), its signature checked, and only then parsed. The
    clock offset is learnt from the signed body of a "stale" refusal, never from a header.
    """

    def __init__(
        self,
        state: SyncState,
        node: str,
        run: SyncRun | None = None,
        transport: Transport | None = None,
    ):
        self.state, self.node, self.run = state, node, run
        self.answers = 0  # verified answers so far
        # bytes of the requests and answers completed on the current connection, and on the
        # one before the last cut: what the link carried before it dropped
        self.carried = self.carried_before_cut = 0
        self.key = keys.load_private_key()
        # guards the byte counts and ``_sent``: a pipelined push uses both from several threads
        self._lock = threading.Lock()
        self.transport = transport or transport_from_settings()
        self.generation = local_generation()
        # v2: RFC 9421 signatures and generations; v1 only towards an upstream not upgraded yet
        self.protocol = settings.SYNC_PROTOCOL
        self.prefix = f"/sync/v{self.protocol}"
        self.header_up, self.header_down = HEADER_BYTES[self.protocol]
        # v2: the requests signed and not answered yet, by nonce, so each answer is bound to its
        # own request (a pipelined push has several in flight on different threads)
        self._sent: dict[str, httpsig.Request] = {}

    def path(self, endpoint: str) -> str:
        """The path of an endpoint (``push``, ``changes?after=3``) in the protocol spoken."""
        return f"{self.prefix}/{endpoint}"

    def _count(self, up: int, down: int) -> None:
        if self.run is not None:
            with self._lock:
                self.run.bytes_up += up
                self.run.bytes_down += down

    def _headers(self, method: str, path: str, body: bytes) -> tuple[dict, str]:
        stamp = int(time.time()) + self.state.clock_offset
        if self.protocol == 2:
            nonce = httpsig.new_nonce()
            url = self.state.upstream_url + path
            headers = {HEADER_GENERATION: self.generation}
            httpsig.request_sign(
                method=method, url=url, headers=headers, body=body, key_id=self.node,
                key=self.key, created=stamp, nonce=nonce,
            )  # fmt: skip
            with self._lock:
                self._sent[nonce] = httpsig.Request(method.upper(), url, headers)
            return headers, nonce
        nonce = signing.new_nonce()
        message = signing.request_message(
            method=method, path=path, node=self.node, time=stamp, nonce=nonce,
            digest=signing.body_digest(body),
        )  # fmt: skip
        headers = {
            signing.HEADER_NODE: self.node,
            signing.HEADER_TIME: str(stamp),
            signing.HEADER_NONCE: nonce,
            signing.HEADER_SIGNATURE: keys.sign(message, self.key),
        }
        return headers, nonce

    def request(
        self, method: str, path: str, body: bytes = b"", *, content_type=None, retry=True
    ) -> Answer:
        """``retry=False``: a failed request is not sent again here (the push loop sends a
        smaller batch instead of the same one)."""
        for attempt in (1, 2):
            headers, nonce = self._headers(method, path, body)
            if content_type:
                headers["Content-Type"] = content_type
            try:
                response = self.transport.request(
                    method, self.state.upstream_url + path, body=body or None, headers=headers,
                    stream=True,
                )  # fmt: skip
            except TransportError as exc:
                self._forget(nonce)
                cut = not isinstance(exc, ConnectFailed)
                if cut:
                    # it may have crossed the link, in part or whole, before the cut: a
                    # failed attempt costs the budget what it sent (what came back of the
                    # answer before the cut is not known here)
                    self._count(len(body) + self.header_up, 0)
                    if self.run is not None:
                        self.run.cuts += 1
                    self.carried_before_cut, self.carried = self.carried, 0
                if attempt == 1 and retry:
                    # a kept-alive connection the other end (or a NAT) dropped meanwhile:
                    # once more on a new connection, with a new nonce
                    self.transport.reset()
                    continue
                self.transport.reset()
                raise (LinkCut if cut else LinkDown)(f"link down: {exc}") from exc
            try:
                data = self._read_capped(response, sent=len(body))
            except SyncError:
                self._forget(nonce)
                raise
            self._count(len(body) + self.header_up, len(data) + self.header_down)
            self.carried += len(body) + self.header_up + len(data) + self.header_down
            self.verify(response, nonce, data)
            if self.protocol == 2:
                self._generation_seen(response.headers.get(HEADER_GENERATION) or "")
            if response.status == 401 and attempt == 1:
                detail = _json_or_empty(data)
                server_time = detail.get("server_time")
                if detail.get("error") == "stale" and type(server_time) is int and server_time > 0:
                    # from the signed body: X-Balai-Server-Time is outside the signature
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
            self.answers += 1
            return Answer(response.status, dict(response.headers), data)
        raise SyncError("unreachable")

    def _read_capped(self, response, *, sent: int) -> bytes:
        """The answer's body, read in chunks up to ``SYNC_ANSWER_MAX_BYTES``."""
        cap = settings.SYNC_ANSWER_MAX_BYTES
        chunks, total, refused = [], 0, None
        try:
            declared = response.headers.get("Content-Length")
            if declared is not None and declared.strip().isdigit() and int(declared) > cap:
                refused = f"answer of {int(declared)} bytes is over the {cap}-byte limit"
            while refused is None:
                try:
                    chunk = response.read(64 * 1024)
                except self.transport.cut_errors as exc:
                    # the request crossed, the answer was cut: counted like a cut request
                    self._count(sent + self.header_up, total + self.header_down)
                    if self.run is not None:
                        self.run.cuts += 1
                    self.carried += sent + self.header_up + total + self.header_down
                    self.carried_before_cut, self.carried = self.carried, 0
                    self.transport.reset()
                    raise LinkCut(f"link cut while reading the answer: {exc}") from exc
                if not chunk:
                    break
                total += len(chunk)
                if total > cap:
                    refused = f"answer goes past the {cap}-byte limit"
                chunks.append(chunk)
        finally:
            response.release_conn()
        if refused:
            # the rest is never read: drop the connection rather than reuse it mid-answer
            self.transport.reset()
            self._count(sent + self.header_up, total + self.header_down)
            raise AnswerTooLarge(refused)
        return b"".join(chunks)

    def _generation_seen(self, seen: str) -> None:
        """Remember the upstream's generation; a new one (a restored upstream) sends both
        checkpoints back to zero and raises :class:`UpstreamRestored`."""
        state = self.state
        if not seen or seen == state.upstream_generation:
            return
        known = state.upstream_generation
        state.upstream_generation = seen
        if not known:
            SyncState.objects.filter(pk=1).update(upstream_generation=seen)
            return
        state.push_seq = state.pull_cursor = 0
        SyncState.objects.filter(pk=1).update(upstream_generation=seen, push_seq=0, pull_cursor=0)
        logger.warning("sync: the upstream's generation changed (restored): pushing and pulling "
                       "again from zero")  # fmt: skip
        raise UpstreamRestored("the upstream was restored from a backup; syncing again from zero")

    def _forget(self, nonce: str) -> None:
        with self._lock:
            self._sent.pop(nonce, None)

    def verify(self, response, nonce: str, data: bytes) -> None:
        if self.protocol == 2:
            self._verify_v2(response, nonce, data)
            return
        signature = response.headers.get(signing.HEADER_SIGNATURE, "")
        message = signing.answer_message(
            nonce=nonce, status=response.status, digest=signing.body_digest(data)
        )
        if not signature or not keys.verify(self.state.upstream_key, message, signature):
            raise NotAnAnswer(
                f"answer {response.status} not signed by the pinned upstream "
                "(captive portal or wrong server?)"
            )

    def _verify_v2(self, response, nonce: str, data: bytes) -> None:
        with self._lock:
            sent = self._sent.pop(nonce, None)
        try:
            if sent is None:
                raise httpsig.InvalidSignature("no request of ours to bind it to")
            httpsig.answer_verify(
                httpsig.Answer(response.status, response.headers, sent),
                data,
                keys.parse_public_key(self.state.upstream_key),
                self.state.upstream_code,
            )
        except (*httpsig.SignatureError, keys.KeyError_) as exc:
            raise NotAnAnswer(
                f"answer {response.status} not signed by the pinned upstream for this request "
                f"(captive portal or wrong server?): {exc}"[:300]
            ) from exc

    def download(self, sha: str, size: int) -> bool:
        """Fetch a blob into its partial file from where it stopped; True when complete."""
        offset = blobs.partial_offset(sha)
        path = self.path(f"blobs/{sha}")
        headers, nonce = self._headers("GET", path, b"")
        self._forget(nonce)  # a blob is checked by its SHA-256, not by the answer's signature
        if offset:
            headers["Range"] = f"bytes={offset}-"
        try:
            response = self.transport.request(
                "GET", self.state.upstream_url + path, body=None,
                headers=headers, stream=True,
            )  # fmt: skip
        except TransportError as exc:
            raise LinkDown(f"link down: {exc}") from exc
        try:
            if response.status not in (200, 206):
                data = response.read(4096)
                self._count(self.header_up, len(data) + self.header_down)
                raise UpstreamRefused(response.status, "blob", data[:200].decode(errors="replace"))
            if response.status == 200 and offset:
                blobs.partial_discard(sha)
                offset = 0
            elif response.status == 206:
                start = response.headers.get("Content-Range", "").split(" ")[-1].split("-")[0]
                if start != str(offset):
                    raise NotAnAnswer("blob range does not start where asked")
            counted = CountingStream(response, cut_errors=self.transport.cut_errors)
            try:
                reached = blobs.partial_append(sha, offset=offset, stream=counted, total_size=size)
            finally:
                self._count(self.header_up, counted.count + self.header_down)
        finally:
            response.release_conn()
        if reached < size:
            raise LinkDown(f"blob {sha[:12]} cut at {reached} of {size} bytes")
        blobs.partial_finish(sha)
        return True


def _json_or_empty(data: bytes) -> dict:
    try:
        value = json.loads(data)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
