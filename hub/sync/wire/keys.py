"""Ed25519 node keys: made on the node, kept in the data directory, never leave it.

A public key travels as text, ``ed25519:`` followed by the 32 raw bytes in unpadded base64url, so
it fits on one line of an inventory, a command line or a file.
"""

import base64
import binascii
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

PREFIX = "ed25519:"


class KeyError_(Exception):
    """A key that is missing, unreadable or malformed."""


class NodeKeyMissing(KeyError_):
    pass


def b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64d(text: str) -> bytes:
    text = text.strip()
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise KeyError_("not base64url") from exc


def key_path() -> Path:
    return Path(settings.DATA_DIR) / "keys" / "node_ed25519.pem"


def public_key_text(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return PREFIX + b64e(raw)


def parse_public_key(text: str) -> Ed25519PublicKey:
    """``ed25519:…`` text to a key; a clear error for anything else."""
    text = (text or "").strip()
    if not text.startswith(PREFIX):
        raise KeyError_(f"a public key starts with {PREFIX!r}")
    raw = b64d(text[len(PREFIX) :])
    if len(raw) != 32:
        raise KeyError_("an Ed25519 public key is 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def node_key_create(path: Path | None = None) -> tuple[Ed25519PrivateKey, bool]:
    """The node's key, made once (mode 0600) and kept: returns (key, created)."""
    path = path or key_path()
    if path.exists():
        return load_private_key(path), False
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, pem)
        os.fsync(fd)
    finally:
        os.close(fd)
    # link, not rename: two processes racing both keep the first key written
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return load_private_key(path), True


_cache: dict[str, tuple[float, Ed25519PrivateKey]] = {}


def load_private_key(path: Path | None = None) -> Ed25519PrivateKey:
    path = path or key_path()
    try:
        stat = path.stat()
    except FileNotFoundError as exc:
        raise NodeKeyMissing(
            f"no node key at {path}: run `manage.py node_init` (Ansible does it on provisioning)"
        ) from exc
    cached = _cache.get(str(path))
    if cached and cached[0] == stat.st_mtime:
        return cached[1]
    if stat.st_mode & 0o077:
        raise KeyError_(f"{path} is readable by others (mode {stat.st_mode & 0o777:o}); chmod 600")
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyError_(f"{path} is not an Ed25519 key")
    _cache[str(path)] = (stat.st_mtime, key)
    return key


def sign(data: bytes, key: Ed25519PrivateKey | None = None) -> str:
    """Detached signature of ``data`` as unpadded base64url (86 characters)."""
    key = key or load_private_key()
    return b64e(key.sign(data))


def verify(public_key: str | Ed25519PublicKey, data: bytes, signature: str) -> bool:
    """True when ``signature`` (base64url) is the key's signature of ``data``; never raises."""
    try:
        if isinstance(public_key, str):
            public_key = parse_public_key(public_key)
        raw = b64d(signature)
        if len(raw) != 64:
            return False
        public_key.verify(raw, data)
    except (InvalidSignature, KeyError_, ValueError):
        return False
    return True


def public_key_argument(text: str | None, path: str | None) -> str:
    """The key of a ``--public-key`` / ``--public-key-file`` pair of command options."""
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise KeyError_(f"{path}: {exc.strerror}") from exc
    return (text or "").strip()
