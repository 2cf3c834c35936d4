"""Protocol v2 signatures: RFC 9421 HTTP Message Signatures (Ed25519) and RFC 9530
``Content-Digest``, through the ``http-message-signatures`` library, so any system that speaks
the RFCs can verify Balai traffic with off-the-shelf code (docs/sync-protocol.md).

A request carries ``Content-Digest`` (SHA-256 of the body as sent) and a signature labelled
``balai`` whose parameters are ``created``, ``keyid`` (the village code), ``nonce`` (random,
once), ``alg="ed25519"`` and ``tag="balai-sync"``, covering::

    "@method" "@target-uri" "balai-generation" "content-digest"

An answer is signed by the upstream (``keyid``: its region code) and covers::

    "@status" "balai-generation" "content-digest"
    "@method";req "@target-uri";req "signature";key="balai";req

The last three bind it to the request it answers (RFC 9421 section 2.4): the request's
signature covers its nonce, so an answer cannot be replayed to another request, and a captive
portal's page is no answer at all. Same coverage as v1 (:mod:`.signing`), in the standard form.
"""

import datetime
import secrets
from dataclasses import dataclass
from typing import Any

import http_sf
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    InvalidSignature,
    algorithms,
)
from http_message_signatures.exceptions import HTTPMessageSignaturesException

LABEL = "balai"
TAG = "balai-sync"
HEADER_GENERATION = "Balai-Generation"
REQUEST_COMPONENTS = ("@method", "@target-uri", "balai-generation", "content-digest")
ANSWER_COMPONENTS = (
    "@status",
    "balai-generation",
    "content-digest",
    '"@method";req',
    '"@target-uri";req',
    f'"signature";key="{LABEL}";req',
)
# an answer to a request whose signature could not be read (it is refused anyway): covers what
# it can; a village never takes it for an answer, since the binding to its request is missing
UNBOUND_ANSWER_COMPONENTS = ("@status", "balai-generation", "content-digest")

SignatureError = (InvalidSignature, HTTPMessageSignaturesException)


@dataclass
class Request:
    """What the library reads of a request: method, absolute URL, headers."""

    method: str
    url: str
    headers: Any


@dataclass
class Answer:
    """What the library reads of an answer: status, headers, the request it answers."""

    status_code: int
    headers: Any
    request: Request


class _Keys(HTTPSignatureKeyResolver):
    """One key id, one key: the verifier never looks any other key up."""

    def __init__(self, key_id: str, *, public: Ed25519PublicKey = None, private=None):
        self.key_id, self.public, self.private = key_id, public, private

    def resolve_public_key(self, key_id: str):
        return self.public if key_id == self.key_id else None

    def resolve_private_key(self, key_id: str):
        if key_id != self.key_id or self.private is None:
            raise InvalidSignature(f"no private key for {key_id!r}")
        return self.private


class _Verifier(HTTPMessageVerifier):
    # ``created`` is checked by the caller against SYNC_CLOCK_WINDOW after the signature, so a
    # "stale" refusal (whose signed server_time the village adopts) goes to the key's holder
    # only; the library's own check would refuse a village whose clock is ahead before that
    max_clock_skew = datetime.timedelta(days=365 * 100)


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


@dataclass
class SignatureParams:
    """The ``balai`` signature's parameters as sent, read before the signature is checked (to
    find the key and give a clear refusal); trusted only after :func:`request_verify`."""

    key_id: str
    nonce: str
    created: int


def signature_params(headers) -> SignatureParams | None:
    """The ``balai`` member of ``Signature-Input``, or None when it is absent or malformed."""
    value = headers.get("Signature-Input")
    if not value or len(value) > 1000:
        return None
    try:
        parsed = http_sf.parse(value.encode("ascii"), tltype="dictionary")
    except (ValueError, TypeError, UnicodeEncodeError):
        return None
    member = parsed.get(LABEL) if isinstance(parsed, dict) else None
    if not isinstance(member, tuple) or not isinstance(member[0], list):
        return None
    params = member[1]
    key_id, nonce, created = params.get("keyid"), params.get("nonce"), params.get("created")
    if not (isinstance(key_id, str) and isinstance(nonce, str) and type(created) is int):
        return None
    return SignatureParams(key_id=key_id, nonce=nonce, created=created)


def request_sign(
    *,
    method: str,
    url: str,
    headers: dict,
    body: bytes,
    key_id: str,
    key: Ed25519PrivateKey,
    created: int,
    nonce: str,
) -> None:
    """Add ``Content-Digest``, ``Signature-Input`` and ``Signature`` to ``headers`` (which must
    hold ``Balai-Generation`` already)."""
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.ED25519, key_resolver=_Keys(key_id, private=key)
    )
    signer.sign(
        Request(method=method.upper(), url=url, headers=headers),
        key_id=key_id,
        created=datetime.datetime.fromtimestamp(created, tz=datetime.UTC),
        nonce=nonce,
        label=LABEL,
        tag=TAG,
        covered_component_ids=REQUEST_COMPONENTS,
        body=body,
    )


def request_verify(request: Request, body: bytes, public_key: Ed25519PublicKey, key_id: str):
    """Raise one of :data:`SignatureError` unless the ``balai`` signature is ``key_id``'s, covers
    every request component and the digest matches ``body``."""
    verifier = _Verifier(
        signature_algorithm=algorithms.ED25519, key_resolver=_Keys(key_id, public=public_key)
    )
    results = verifier.verify(
        request,
        max_age=None,
        expect_tag=TAG,
        expect_label=LABEL,
        require_components=REQUEST_COMPONENTS,
        body=body,
    )
    if [r.parameters.get("keyid") for r in results] != [key_id]:
        raise InvalidSignature("not signed by this node")
    return results[0]


def answer_sign(answer: Answer, body: bytes | None, *, key_id: str, key: Ed25519PrivateKey) -> None:
    """Sign an answer in place (its headers get ``Content-Digest`` and the signature).
    ``body`` None: a streamed blob, checked by its SHA-256, so no digest is covered."""
    components = ANSWER_COMPONENTS
    if signature_params(answer.request.headers) is None or not answer.request.headers.get(
        "Signature"
    ):
        components = UNBOUND_ANSWER_COMPONENTS
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.ED25519, key_resolver=_Keys(key_id, private=key)
    )

    def sign(covered):
        if body is None:
            covered = tuple(c for c in covered if c != "content-digest")
        if "Content-Digest" in answer.headers:
            del answer.headers["Content-Digest"]
        signer.sign(
            answer, key_id=key_id, label=LABEL, tag=TAG, covered_component_ids=covered, body=body
        )

    try:
        sign(components)
    except HTTPMessageSignaturesException:
        # the request's own signature headers are unusable (a fuzzer's bytes): unbound
        sign(UNBOUND_ANSWER_COMPONENTS)


def answer_verify(answer: Answer, body: bytes, public_key: Ed25519PublicKey, key_id: str):
    """Raise one of :data:`SignatureError` unless the answer is signed by the pinned upstream,
    bound to ``answer.request`` (its signature, method and URI), with a matching digest."""
    verifier = _Verifier(
        signature_algorithm=algorithms.ED25519, key_resolver=_Keys(key_id, public=public_key)
    )
    results = verifier.verify(
        answer,
        max_age=None,
        expect_tag=TAG,
        expect_label=LABEL,
        require_components=ANSWER_COMPONENTS,
        body=body,
    )
    if [r.parameters.get("keyid") for r in results] != [key_id]:
        raise InvalidSignature("not signed by the pinned upstream")
    return results[0]
