"""The field-encryption key file (``HUB_FIELD_KEY_FILE``) and what is done with its keys.

The file is what the provisioning writes (ansible/roles/hub_app) and ``scripts/run`` makes: one
key per line, 32 random bytes in URL-safe base64 (the Fernet key format), the newest last.
Blank lines and ``#`` comments are ignored. ``field_keys_rotate`` appends a key; old keys stay
so what they encrypted stays readable until ``field_data_reencrypt`` has rewritten it.

From each key two keys are derived with HKDF-SHA256, so neither reveals the other:

- an AES-256-GCM key that encrypts field values;
- an HMAC-SHA256 key for the blind index (an exact-match lookup on an encrypted value).

A value is stored as ``balai1:<key id>:<base64url(nonce | ciphertext | tag)>``. The version and
key id are authenticated with the context (which model field the value belongs to), so a value
copied into another column, or a flipped byte, fails to decrypt instead of reading as garbage.
The key id is the first 8 hex digits of SHA-256 over a label and the key: it names a key without
revealing it, and ``balai-backup`` computes the same ids without this code.

The file is read again when it changes (its size, inode or modification time), so a key added
while the hub runs is used by every process without a restart.
"""

import base64
import binascii
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

VERSION = "balai1"
KEY_BYTES = 32
NONCE_BYTES = 12
_KEY_ID_LABEL = b"balai field key id\0"
_ENCRYPTION_INFO = b"balai field encryption v1"
_INDEX_INFO = b"balai blind index v1"


class FieldKeyError(ImproperlyConfigured):
    """The key file is missing, unreadable or malformed: encrypted fields cannot be used."""


class FieldDecryptionError(ValueError):
    """A stored value that does not decrypt: tampered with, cut, or made with a key we lack."""


def key_id(secret: bytes) -> str:
    return hashlib.sha256(_KEY_ID_LABEL + secret).hexdigest()[:8]


def _derive(secret: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret)


@dataclass(frozen=True)
class FieldKey:
    id: str
    aead: AESGCM
    index_key: bytes

    @classmethod
    def from_secret(cls, secret: bytes) -> "FieldKey":
        return cls(
            id=key_id(secret),
            aead=AESGCM(_derive(secret, _ENCRYPTION_INFO)),
            index_key=_derive(secret, _INDEX_INFO),
        )


def _aad(kid: str, context: str) -> bytes:
    return f"{VERSION}:{kid}:{context}".encode()


class FieldKeyring:
    """The keys of one key file, oldest first: the newest encrypts, every one decrypts."""

    def __init__(self, keys: list[FieldKey], source: str = ""):
        if not keys:
            raise FieldKeyError(f"The field key file {source} holds no key.")
        self.keys = tuple(keys)
        self.newest = keys[-1]
        self._by_id = {key.id: key for key in keys}
        self.source = source

    @property
    def ids(self) -> list[str]:
        return [key.id for key in self.keys]

    def encrypt(self, plaintext: str, context: str) -> str:
        key = self.newest
        nonce = os.urandom(NONCE_BYTES)
        sealed = key.aead.encrypt(nonce, plaintext.encode(), _aad(key.id, context))
        token = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
        return f"{VERSION}:{key.id}:{token}"

    def decrypt(self, stored: str, context: str) -> str:
        version, kid, token = split_stored(stored)
        key = self._by_id.get(kid)
        if key is None:
            raise FieldDecryptionError(
                f"A value was encrypted with key {kid}, which is not in {self.source}: restore "
                "the key file from the backup (docs/operations.md)."
            )
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            plain = key.aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _aad(kid, context))
        except (InvalidTag, binascii.Error, ValueError) as exc:
            raise FieldDecryptionError(
                f"An encrypted value of {context} fails its authentication: it was changed "
                "after it was written, or belongs to another field."
            ) from exc
        return plain.decode()

    def blind_indexes(self, value: str, context: str) -> list[str]:
        """The blind index of ``value`` under every key, the newest first (for lookups that
        also find rows not yet re-encrypted after a rotation)."""
        return [_blind_index(key, value, context) for key in reversed(self.keys)]

    def blind_index(self, value: str, context: str) -> str:
        return _blind_index(self.newest, value, context)


def _blind_index(key: FieldKey, value: str, context: str) -> str:
    message = f"{context}\0{value}".encode()
    return hmac.new(key.index_key, message, hashlib.sha256).hexdigest()


def split_stored(stored: str) -> tuple[str, str, str]:
    """``(version, key id, token)`` of a stored value; raises for anything else."""
    parts = stored.split(":", 2)
    if len(parts) != 3 or parts[0] != VERSION:
        raise FieldDecryptionError(
            "A value in an encrypted column is not in the balai1 format (written by hand, or "
            "by another program)."
        )
    return parts[0], parts[1], parts[2]


def new_key_line() -> str:
    """A new key as one line of the key file (the same format the provisioning writes)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def parse_key_file(text: str, source: str = "") -> FieldKeyring:
    keys = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            secret = base64.urlsafe_b64decode(line)
        except (binascii.Error, ValueError):
            secret = b""
        if len(secret) != KEY_BYTES:
            # The line itself is never quoted: it may be a key with one character lost.
            raise FieldKeyError(
                f"Line {number} of the field key file {source} is not a key (32 bytes in "
                "URL-safe base64, as `manage.py field_keys_rotate` writes)."
            )
        keys.append(FieldKey.from_secret(secret))
    return FieldKeyring(keys, source)


def load_keyring(path: Path) -> FieldKeyring:
    try:
        text = Path(path).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise FieldKeyError(
            f"HUB_FIELD_KEY_FILE={path} cannot be read ({reason}): encrypted fields (NIK, KK) "
            "cannot be read or written. scripts/run makes this file in the data directory and "
            "Ansible's hub_app makes /etc/balai/field_key; after a new SD card, restore the "
            "old key from the backup (docs/operations.md): a new key cannot read old data."
        ) from exc
    return parse_key_file(text, str(path))


_cache: dict[str, tuple[tuple, FieldKeyring]] = {}


def keyring() -> FieldKeyring:
    """The keyring of ``settings.HUB_FIELD_KEY_FILE``, read again whenever the file changes.

    Raises :class:`FieldKeyError` (an ``ImproperlyConfigured``) when it cannot be used.
    """
    path = str(settings.HUB_FIELD_KEY_FILE)
    try:
        info = os.stat(path)
        stamp = (info.st_ino, info.st_size, info.st_mtime_ns)
    except OSError:
        stamp = None
    cached = _cache.get(path)
    if cached and stamp is not None and cached[0] == stamp:
        return cached[1]
    ring = load_keyring(Path(path))
    _cache[path] = (stamp, ring)
    return ring


def key_file_add_key(path: Path) -> str:
    """Append a new key to the key file and return its id; the file is replaced atomically
    and keeps its mode and owner (it must exist: a new file would orphan the data)."""
    path = Path(path)
    text = path.read_text(encoding="ascii")
    load_keyring(path)  # refuse to add to a file that is already broken
    line = new_key_line()
    if text and not text.endswith("\n"):
        text += "\n"
    info = path.stat()
    partial = path.with_name(f".{path.name}.new")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(text + line + "\n")
            out.flush()
            os.fsync(out.fileno())
        os.chmod(partial, info.st_mode & 0o777)
        if os.geteuid() == 0:
            os.chown(partial, info.st_uid, info.st_gid)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return key_id(base64.urlsafe_b64decode(line))
