"""Sealing a letter's forwarded personal data to its recipient's public key.

An anonymous sealed box built from ``cryptography`` primitives (already a runtime dependency
for the sync engine's Ed25519): a fresh X25519 key pair per message, its Diffie-Hellman secret
with the recipient's public key stretched by HKDF-SHA256 into a ChaCha20-Poly1305 key, and the
record's facts (id, recipient, key, village, number) as associated data, so a ciphertext moved to
another record, or any changed byte, fails to open. Only the holder of the recipient's private
key can open it: the village forgets its ephemeral key at once, the upstream never has one.

Sealed text: base64 of ``version (1) | ephemeral public key (32) | nonce (12) | ciphertext+tag``.
Keys: the public key as base64 of its 32 raw bytes; the private key as a PKCS#8 PEM file.
"""

import base64
import binascii
import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = 1
INFO = b"balai egov.letters forward v1"
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
_RAW = serialization.Encoding.Raw, serialization.PublicFormat.Raw


class SealError(ValueError):
    """A key or a sealed text that cannot be used: malformed, wrong key, or tampered with."""


def public_key_parse(text: str) -> bytes:
    """The 32 raw bytes of an X25519 public key written as base64 (standard or URL-safe)."""
    cleaned = "".join(str(text or "").split())
    try:
        raw = base64.b64decode(cleaned.replace("-", "+").replace("_", "/"), validate=True)
        # a trial exchange refuses a low-order point (an all-zero shared secret), which
        # would otherwise only fail when a letter is approved
        X25519PrivateKey.generate().exchange(X25519PublicKey.from_public_bytes(raw))
    except (binascii.Error, ValueError) as exc:
        raise SealError("not an X25519 public key (base64 of 32 bytes)") from exc
    return raw


def public_key_text(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def key_id(raw: bytes) -> str:
    """A short fingerprint of a public key: which key a sealed record was made for."""
    return hashlib.sha256(raw).hexdigest()[:16]


def private_key_new() -> tuple[bytes, str]:
    """A new key pair: ``(PKCS#8 PEM of the private key, base64 public key)``."""
    private = X25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return pem, public_key_text(private.public_key().public_bytes(*_RAW))


def private_key_load(pem: bytes) -> X25519PrivateKey:
    try:
        private = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise SealError("not a PEM private key without a passphrase") from exc
    if not isinstance(private, X25519PrivateKey):
        raise SealError("the private key is not an X25519 key")
    return private


def private_key_public(private: X25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(*_RAW)


def _key(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=ephemeral + recipient, info=INFO).derive(
        shared
    )


def seal(*, public_key: bytes, plaintext: bytes, aad: bytes) -> str:
    """``plaintext`` readable only with the private key of ``public_key``, bound to ``aad``."""
    recipient = X25519PublicKey.from_public_bytes(public_key)
    ephemeral = X25519PrivateKey.generate()
    ephemeral_raw = ephemeral.public_key().public_bytes(*_RAW)
    key = _key(ephemeral.exchange(recipient), ephemeral_raw, public_key)
    nonce = os.urandom(NONCE_BYTES)
    sealed = ChaCha20Poly1305(key).encrypt(nonce, plaintext, aad)
    return base64.b64encode(bytes([VERSION]) + ephemeral_raw + nonce + sealed).decode()


def unseal(*, private_key: X25519PrivateKey, sealed: str, aad: bytes) -> bytes:
    """The plaintext, or :class:`SealError` when anything was changed or the key is not the
    recipient's."""
    try:
        blob = base64.b64decode(sealed, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SealError("the sealed text is not base64") from exc
    if len(blob) < 1 + KEY_BYTES + NONCE_BYTES + TAG_BYTES or blob[0] != VERSION:
        raise SealError("the sealed text is too short or of an unknown version")
    ephemeral_raw = blob[1 : 1 + KEY_BYTES]
    nonce = blob[1 + KEY_BYTES : 1 + KEY_BYTES + NONCE_BYTES]
    try:
        shared = private_key.exchange(X25519PublicKey.from_public_bytes(ephemeral_raw))
        key = _key(shared, ephemeral_raw, private_key_public(private_key))
        return ChaCha20Poly1305(key).decrypt(nonce, blob[1 + KEY_BYTES + NONCE_BYTES :], aad)
    except (InvalidTag, ValueError) as exc:
        raise SealError("the sealed text was changed, or this is not the recipient's key") from exc
