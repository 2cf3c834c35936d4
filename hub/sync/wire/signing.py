"""Signed requests and answers.

A request carries ``X-Balai-Node`` (the key id: the node's code), ``X-Balai-Time`` (Unix
seconds), ``X-Balai-Nonce`` (random, once) and ``X-Balai-Signature``: the node's Ed25519
signature of ``request_message()``, which binds the method, path and query, node, time, nonce and
the SHA-256 of the body. An answer carries ``X-Balai-Signature``: the upstream's signature of
``answer_message()``, binding the request's nonce, the status and the body's digest, so an
answer cannot be replayed to another request and a captive portal's page is no answer at all.
"""

import hashlib
import secrets

HEADER_NODE = "X-Balai-Node"
HEADER_TIME = "X-Balai-Time"
HEADER_NONCE = "X-Balai-Nonce"
HEADER_SIGNATURE = "X-Balai-Signature"
HEADER_SERVER_TIME = "X-Balai-Server-Time"


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def request_message(
    *, method: str, path: str, node: str, time: int, nonce: str, digest: str
) -> bytes:
    return "\n".join(
        ["BALAI-SYNC-1 request", method.upper(), path, node, str(time), nonce, digest]
    ).encode()


def answer_message(*, nonce: str, status: int, digest: str) -> bytes:
    return "\n".join(["BALAI-SYNC-1 answer", nonce, str(status), digest]).encode()


def new_nonce() -> str:
    return secrets.token_urlsafe(16)
