"""``/sync/v2/`` and ``/sync/v1/`` on the upstream (docs/sync-protocol.md, docs/sync-openapi.yaml).

Every request is signed by an enrolled village; every answer is signed by the upstream. The
views parse and check, then call one service (:mod:`.services`).
"""

import contextlib
import functools
import json
import logging
import time

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.db import IntegrityError, connection, transaction
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from hub.core.roles import is_upstream

from .. import blobs
from ..blobs.http import blob_response
from ..core import timeline
from ..core.generation import HEADER as HEADER_GENERATION
from ..core.generation import local_generation, local_generation_subquery, valid_generation
from ..core.identity import local_node_code
from ..models import Node, SeenNonce
from ..wire import httpsig, keys
from ..wire.codec import WireError
from ..wire.signing import (
    HEADER_NODE,
    HEADER_NONCE,
    HEADER_SERVER_TIME,
    HEADER_SIGNATURE,
    HEADER_TIME,
    answer_message,
    body_digest,
    request_message,
)
from . import reseed, services

logger = logging.getLogger(__name__)

NDJSON_ZSTD = "application/x-ndjson"


def _signed(response: HttpResponse, nonce: str, request=None) -> HttpResponse:
    """Sign an answer: v1 (:mod:`..wire.signing`) unless ``request`` came in on ``/sync/v2/``
    (RFC 9421, :mod:`..wire.httpsig`)."""
    response[HEADER_SERVER_TIME] = str(int(time.time()))
    # read with the node's row where the request got that far (one query less per sync)
    response[HEADER_GENERATION] = getattr(request, "upstream_generation", "") or local_generation()
    response["Cache-Control"] = "no-store"
    body = b"" if response.streaming else response.content
    try:
        if getattr(request, "sync_protocol", 1) == 2:
            _signed_v2(response, request)
        else:
            response[HEADER_SIGNATURE] = keys.sign(
                answer_message(nonce=nonce, status=response.status_code, digest=body_digest(body))
            )
    except keys.KeyError_:
        logger.error("sync: the upstream has no node key; run manage.py node_init")
    return response


def _absolute_uri(request) -> str:
    try:
        return request.build_absolute_uri()
    except DisallowedHost:
        return "http://invalid/"


def _signed_v2(response: HttpResponse, request) -> None:
    if HEADER_SIGNATURE in response:
        del response[HEADER_SIGNATURE]  # an error a view signed v1-style before it came here
    for name in ("Content-Digest", "Signature-Input", "Signature"):
        if name in response:
            del response[name]
    answer = httpsig.Answer(
        status_code=response.status_code,
        headers=response.headers,
        request=httpsig.Request(request.method, _absolute_uri(request), request.headers),
    )
    # a streamed blob is checked by its SHA-256, not by a digest of the answer
    body = None if response.streaming else response.content
    httpsig.answer_sign(answer, body, key_id=local_node_code(), key=keys.load_private_key())


def error(
    status: int, code: str, detail: str, nonce: str = "", *, request=None, **extra
) -> HttpResponse:
    body = {"error": code, "detail": detail, "server_time": int(time.time()), **extra}
    return _signed(JsonResponse(body, status=status), nonce, request)


class Refused(Exception):
    """A request the signature check refuses: the answer to send."""

    def __init__(self, response: HttpResponse):
        self.response = response


def _checked_headers(request, *, nonce: str, node_code: str, stamp) -> int:
    """The shared checks of both protocols on the unverified key id, nonce and time."""
    refuse = functools.partial(error, request=request)
    if (
        len(nonce) > 32
        or len(node_code) > 10
        # PostgreSQL refuses NUL in text: the node lookup and the nonce row would fail
        or "\x00" in node_code + nonce
    ):
        raise Refused(refuse(400, "malformed", "malformed signature headers"))
    try:
        if len(str(stamp)) > 20:
            raise ValueError  # far beyond any clock, and would overflow the check below
        stamp = int(stamp)
    except ValueError:
        detail = "the signature time is not a number"
        raise Refused(refuse(400, "malformed", detail, nonce)) from None
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        raise Refused(refuse(400, "malformed", "Content-Length is not a number", nonce)) from None
    limit = settings.SYNC_REQUEST_MAX_BYTES
    if length > limit:
        raise Refused(refuse(413, "too_large", f"body over {limit} bytes", nonce))
    return stamp


def _node(request, node_code: str, nonce: str) -> Node:
    node = (
        Node.objects.filter(code=node_code)
        .annotate(upstream_generation=local_generation_subquery())
        .first()
    )
    if node is None:
        detail = "this key is not enrolled"
        raise Refused(error(403, "unknown_node", detail, nonce, request=request))
    if node.revoked_at is not None:
        raise Refused(
            error(403, "revoked", "this village's key has been revoked", nonce, request=request)
        )
    request.upstream_generation = node.upstream_generation
    return node


def _fresh_and_new(request, node_code: str, nonce: str, stamp: int) -> None:
    # only after the signature: a signed "stale" answer (whose server_time the village
    # adopts) goes to the key's holder alone, never to whoever altered the time
    if abs(time.time() - stamp) > settings.SYNC_CLOCK_WINDOW:
        raise Refused(
            error(401, "stale", "request time outside the window; use server_time", nonce,
                  request=request)
        )  # fmt: skip
    try:
        # inside a transaction (a test's), a savepoint: the refusal below still reads the
        # database (the generation); in autocommit, as served, no savepoint queries
        with transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext():
            SeenNonce.objects.create(node=node_code, nonce=nonce)
    except IntegrityError:
        raise Refused(
            error(401, "replay", "this request was seen before", nonce, request=request)
        ) from None


def _authenticate_v1(request) -> tuple[Node, str]:
    nonce = request.headers.get(HEADER_NONCE, "")
    node_code = request.headers.get(HEADER_NODE, "")
    signature = request.headers.get(HEADER_SIGNATURE, "")
    stamp = request.headers.get(HEADER_TIME, "")
    if not (node_code and nonce and signature and stamp):
        raise Refused(error(401, "unsigned", "signed requests only", nonce[:32]))
    if len(signature) > 100:
        raise Refused(error(400, "malformed", "malformed signature headers"))
    stamp = _checked_headers(request, nonce=nonce, node_code=node_code, stamp=stamp)
    node = _node(request, node_code, nonce)
    message = request_message(
        method=request.method,
        path=request.get_full_path(),
        node=node_code,
        time=stamp,
        nonce=nonce,
        digest=body_digest(request.body),
    )
    if not keys.verify(node.public_key, message, signature):
        raise Refused(error(401, "bad_signature", "signature does not match", nonce))
    _fresh_and_new(request, node_code, nonce, stamp)
    return node, nonce


def _authenticate_v2(request) -> tuple[Node, str]:
    params = httpsig.signature_params(request.headers)
    if params is None or not request.headers.get("Signature"):
        raise Refused(
            error(401, "unsigned", "RFC 9421 signature 'balai' required", request=request)
        )
    nonce, node_code = params.nonce, params.key_id
    if len(request.headers.get("Signature", "")) > 200:
        raise Refused(error(400, "malformed", "malformed signature headers", request=request))
    stamp = _checked_headers(request, nonce=nonce, node_code=node_code, stamp=params.created)
    node = _node(request, node_code, nonce)
    try:
        httpsig.request_verify(
            httpsig.Request(request.method, _absolute_uri(request), request.headers),
            request.body,
            keys.parse_public_key(node.public_key),
            node_code,
        )
    except (*httpsig.SignatureError, keys.KeyError_) as exc:
        detail = f"signature does not match: {exc}"[:300]
        raise Refused(error(401, "bad_signature", detail, nonce, request=request)) from exc
    _fresh_and_new(request, node_code, nonce, stamp)
    return node, nonce


def signed_endpoint(view):
    """Authenticate the node, refuse replays and stale requests, sign the answer. The URLconf
    says which protocol (``protocol=2`` under ``/sync/v2/``, RFC 9421; v1 otherwise)."""

    @csrf_exempt
    @functools.wraps(view)
    def wrapper(request, *args, protocol=1, **kwargs):
        request.sync_protocol = protocol
        timed = view.__name__ == "push" and timeline.enabled()
        if timed:
            timeline.mark("up.head")
            # the body's last byte here (read before the size check only when timing a bench)
            timeline.mark("up.body", bytes=len(request.body))
        if not is_upstream():
            return error(404, "not_upstream", "this hub is not an upstream", request=request)
        try:
            node, nonce = (_authenticate_v2 if protocol == 2 else _authenticate_v1)(request)
        except Refused as refused:
            return refused.response
        request.sync_node = node
        # a village that speaks generations (docs/sync-protocol.md, "Generations"); an older
        # one sends none and is served as before (v2 signatures cover the header)
        generation = request.headers.get(HEADER_GENERATION)
        if generation is not None and not valid_generation(generation):
            return error(
                400, "malformed", f"{HEADER_GENERATION} is 16 hex digits", nonce, request=request
            )
        request.sync_generation = generation
        try:
            if generation:
                # only the re-seed itself may bring a new generation (its GET, the return of
                # the village's records, needs the one accepted)
                reseeding = view.__name__ == "reseed_view" and request.method == "POST"
                reseed.generation_check(node=node, generation=generation, reseeding=reseeding)
            response = view(request, *args, **kwargs)
        except reseed.ReseedRefusal as exc:
            return error(409, exc.code, exc.detail, nonce, request=request, **exc.extra)
        except (WireError, blobs.BlobError, ValueError) as exc:
            return error(400, "bad_request", str(exc)[:300], nonce, request=request)
        response = _signed(response, nonce, request)
        if timed:
            timeline.mark("up.answer", status=response.status_code)
        return response

    return wrapper


def _page_response(payload: bytes) -> HttpResponse:
    response = HttpResponse(payload, content_type=NDJSON_ZSTD)
    response["Content-Encoding"] = "zstd"
    return response


@signed_endpoint
@require_http_methods(["POST"])
def push(request):
    """A batch of the village's changes (maybe empty), its heartbeat and its pull cursor; the
    answer is the signed acknowledgement and the first page of changes for it."""
    try:
        payload = services.push_receive(
            node=request.sync_node, body=request.body, restore_checks=bool(request.sync_generation)
        )
    except services.OutOfOrder as exc:
        return error(409, "out_of_order", str(exc), push_seq=exc.push_seq)
    return _page_response(payload)


@signed_endpoint
@require_http_methods(["GET"])
def changes(request):
    try:
        after = int(request.GET.get("after", "0"))
    except ValueError:
        return error(400, "bad_request", "after must be a whole number")
    if after < 0:
        return error(400, "bad_request", "after must not be negative")
    if request.sync_generation:
        reseed.cursor_check(node=request.sync_node, cursor=after)
    payload = services.feed_answer(node=request.sync_node, after=after)
    return _page_response(payload)


@signed_endpoint
@require_http_methods(["GET", "POST"])
def reseed_view(request):
    """POST: a restored village's new generation: accepted; the answer says which rev its
    re-announced records must exceed. GET ``?after=N``: a page of the village's own records as
    held here, so it gets back what the restore took (its generation must be the accepted one)."""
    if not request.sync_generation:
        return error(400, "bad_request", f"{HEADER_GENERATION} is required here")
    if request.method == "GET":
        try:
            after = int(request.GET.get("after", "0"))
        except ValueError:
            return error(400, "bad_request", "after must be a whole number")
        if not 0 <= after <= services.MAX_SEQ:
            return error(400, "bad_request", "after must be a seq (0 or more)")
        return _page_response(
            reseed.returned_page(
                node=request.sync_node, generation=request.sync_generation, after=after
            )
        )
    return JsonResponse(
        reseed.reseed_accept(node=request.sync_node, generation=request.sync_generation)
    )


@signed_endpoint
@require_http_methods(["POST"])
def blobs_missing(request):
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, RecursionError):  # RecursionError: "[[[[…" nested beyond the parser
        return error(400, "bad_request", "not JSON")
    wanted = data.get("sha256") if isinstance(data, dict) else None
    if not isinstance(wanted, list) or len(wanted) > 1000:
        return error(400, "bad_request", "sha256: a list of at most 1000 hashes")
    shas = [blobs.validate_sha256(str(sha)) for sha in wanted]
    return JsonResponse({"missing": services.blobs_missing(node=request.sync_node, shas=shas)})


@signed_endpoint
@require_http_methods(["GET", "HEAD", "PUT"])
def blob(request, sha256):
    sha = blobs.validate_sha256(sha256)
    try:
        if request.method in ("GET", "HEAD"):
            services.blob_readable(node=request.sync_node, sha=sha)
            return blob_response(request, sha)
        try:
            offset = int(request.GET["offset"])
            total = int(request.GET["size"])
        except (KeyError, ValueError):
            return error(400, "bad_request", "offset and size are required whole numbers")
        result = services.blob_upload_chunk(
            node=request.sync_node, sha=sha, offset=offset, total=total, data=request.body
        )
    except services.BlobRefused as exc:
        return error(403, exc.code, exc.detail)
    status = 409 if result.get("error") else 200
    return JsonResponse(result, status=status)
