"""``/sync/v1/`` on the upstream (docs/sync-protocol.md, docs/sync-openapi.yaml).

Every request is signed by an enrolled village; every answer is signed by the upstream. The
views parse and check, then call one service (:mod:`.services`).
"""

import functools
import json
import logging
import time

from django.conf import settings
from django.db import IntegrityError
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from hub.core.roles import is_upstream

from .. import blobs
from ..blobs.http import blob_response
from ..models import Node, SeenNonce
from ..wire import keys
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
from . import services

logger = logging.getLogger(__name__)

NDJSON_ZSTD = "application/x-ndjson"


def _signed(response: HttpResponse, nonce: str) -> HttpResponse:
    response[HEADER_SERVER_TIME] = str(int(time.time()))
    body = b"" if response.streaming else response.content
    try:
        response[HEADER_SIGNATURE] = keys.sign(
            answer_message(nonce=nonce, status=response.status_code, digest=body_digest(body))
        )
    except keys.KeyError_:
        logger.error("sync: the upstream has no node key; run manage.py node_init")
    response["Cache-Control"] = "no-store"
    return response


def error(status: int, code: str, detail: str, nonce: str = "", **extra) -> HttpResponse:
    body = {"error": code, "detail": detail, "server_time": int(time.time()), **extra}
    return _signed(JsonResponse(body, status=status), nonce)


def signed_endpoint(view):
    """Authenticate the node, refuse replays and stale requests, sign the answer."""

    @csrf_exempt
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_upstream():
            return error(404, "not_upstream", "this hub is not an upstream")
        nonce = request.headers.get(HEADER_NONCE, "")
        node_code = request.headers.get(HEADER_NODE, "")
        signature = request.headers.get(HEADER_SIGNATURE, "")
        stamp = request.headers.get(HEADER_TIME, "")
        if not (node_code and nonce and signature and stamp):
            return error(401, "unsigned", "signed requests only", nonce[:32])
        if (
            len(nonce) > 32
            or len(node_code) > 10
            or len(signature) > 100
            # PostgreSQL refuses NUL in text: the node lookup and the nonce row would fail
            or "\x00" in node_code + nonce
        ):
            return error(400, "malformed", "malformed signature headers")
        try:
            if len(stamp) > 20:
                raise ValueError  # far beyond any clock, and would overflow the check below
            stamp = int(stamp)
        except ValueError:
            return error(400, "malformed", "X-Balai-Time is not a number", nonce)
        try:
            length = int(request.headers.get("Content-Length") or 0)
        except ValueError:
            return error(400, "malformed", "Content-Length is not a number", nonce)
        limit = settings.SYNC_REQUEST_MAX_BYTES
        if length > limit:
            return error(413, "too_large", f"body over {limit} bytes", nonce)
        node = Node.objects.filter(code=node_code).first()
        if node is None:
            return error(403, "unknown_node", "this key is not enrolled", nonce)
        if node.revoked_at is not None:
            return error(403, "revoked", "this village's key has been revoked", nonce)
        body = request.body
        message = request_message(
            method=request.method,
            path=request.get_full_path(),
            node=node_code,
            time=stamp,
            nonce=nonce,
            digest=body_digest(body),
        )
        if not keys.verify(node.public_key, message, signature):
            return error(401, "bad_signature", "signature does not match", nonce)
        # only after the signature: a signed "stale" answer (whose server_time the village
        # adopts) goes to the key's holder alone, never to whoever altered X-Balai-Time
        if abs(time.time() - stamp) > settings.SYNC_CLOCK_WINDOW:
            return error(401, "stale", "request time outside the window; use server_time", nonce)
        try:
            SeenNonce.objects.create(node=node_code, nonce=nonce)
        except IntegrityError:
            return error(401, "replay", "this request was seen before", nonce)
        request.sync_node = node
        try:
            response = view(request, *args, **kwargs)
        except (WireError, blobs.BlobError, ValueError) as exc:
            return error(400, "bad_request", str(exc)[:300], nonce)
        return _signed(response, nonce)

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
        payload = services.push_receive(node=request.sync_node, body=request.body)
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
    payload = services.feed_answer(node=request.sync_node, after=after)
    return _page_response(payload)


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
