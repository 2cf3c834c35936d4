"""Bundle files: signed changes and blobs carried on a USB stick or pushed by Ansible.

A bundle is an uncompressed POSIX (ustar) tar whose members are, in this order:

- ``manifest.json``: UTF-8 JSON with sorted keys: ``format`` (``balai-bundle/1``), ``signer``
  (node code), ``signer_key`` (its public key text), ``created_at`` (ISO 8601, UTC), ``meta``
  (the engine's: direction, scope, cursors, counts) and ``members``, one ``{name, size, sha256}``
  for every member after ``manifest.sig``, in order;
- ``manifest.sig``: the signer's Ed25519 signature (``keys.sign``) of manifest.json's bytes;
- ``changes/000001.ndjson.zst``, ``changes/000002.ndjson.zst``, …: pages made by the engine;
- ``blobs/<sha256>``: raw blob bytes, named by their hash.

The signature covers the manifest and the manifest covers every member's hash, so one
signature check and one streaming pass prove the whole file. ``open_bundle`` refuses the file
on anything unexpected (a hub never "mostly" trusts a file found on a stick), and never
extracts anything by name: members are read by offset from a file descriptor, so a hostile
member name, link or device can do nothing but get the file refused. The tar headers are
parsed here rather than by ``tarfile``, which would follow pax headers, GNU long names and
silently stop at a damaged header; the writer does use ``tarfile`` (plain ustar).
"""

import hashlib
import io
import json
import os
import re
import stat
import tarfile
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

from hub.core.files import fsync_dir

from ..core.errors import HashMismatch
from ..wire import keys
from .errors import (
    BadManifest,
    BadMemberName,
    BadSignature,
    BlobNameMismatch,
    BundleRefused,
    BundleWriteError,
    DuplicateMember,
    MemberMismatch,
    NotABundle,
    TooLarge,
    Truncated,
    UnknownSigner,
    UnsafeMember,
    WrongSigner,
)

FORMAT = "balai-bundle/1"
MANIFEST_NAME = "manifest.json"
SIGNATURE_NAME = "manifest.sig"
PAGE_NAME = re.compile(r"changes/([0-9]{6})\.ndjson\.zst")
BLOB_NAME = re.compile(r"blobs/([0-9a-f]{64})")
SHA256 = re.compile(r"[0-9a-f]{64}")

MiB = 1024 * 1024
GiB = 1024 * MiB
# an Ed25519 signature is 86 characters of base64url; anything much longer is not one
SIGNATURE_MAX_BYTES = 1024

BLOCK = 512
# tarfile pads an archive to a 10 KiB record after the two zero blocks that end it
END_MAX_BYTES = 2 * BLOCK + tarfile.RECORDSIZE
READ_CHUNK = MiB
REGULAR_TYPES = (tarfile.REGTYPE, tarfile.AREGTYPE)


@dataclass(frozen=True)
class BundleLimits:
    """What a reader accepts and a writer may produce (the writer checks the same limits).

    The manifest holds ~160 bytes a member, so 16 MiB is what 100 000 members need.
    ``max_blob_bytes`` of None means the ``SYNC_BLOB_MAX_BYTES`` setting.
    """

    max_manifest_bytes: int = 16 * MiB
    max_page_bytes: int = 8 * MiB
    max_blob_bytes: int | None = None
    max_total_bytes: int = 8 * GiB
    max_members: int = 100_000

    def blob_limit(self) -> int:
        if self.max_blob_bytes is not None:
            return self.max_blob_bytes
        return settings.SYNC_BLOB_MAX_BYTES


@dataclass(frozen=True)
class Member:
    name: str
    size: int
    sha256: str
    offset: int = 0  # of the data in the file, once verified

    @property
    def is_page(self) -> bool:
        return self.name.startswith("changes/")


# Writing ----------------------------------------------------------------------------------------


def manifest_dumps(manifest: dict) -> bytes:
    return json.dumps(
        manifest, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


class _CheckedReader:
    """Gives ``tarfile`` exactly ``size`` bytes of a stream, checking its length and hash.

    The check runs in the read that would return the last bytes, so a blob that is not what
    the caller said never completes its tar member.
    """

    def __init__(self, stream: BinaryIO, member: Member, *, at_end: bool = True):
        self.stream = stream
        self.at_end = at_end
        self.name = member.name
        self.size = member.size
        self.sha256 = member.sha256
        self.remaining = member.size
        self.hasher = hashlib.sha256()
        self.finished = False

    def read(self, n: int = -1) -> bytes:
        want = self.remaining if n is None or n < 0 else min(n, self.remaining)
        parts = []
        while want:
            chunk = self.stream.read(want)
            if not chunk:
                raise BundleWriteError(
                    f"{self.name} is shorter than its declared {self.size} bytes"
                )
            parts.append(chunk)
            want -= len(chunk)
        data = b"".join(parts)
        self.hasher.update(data)
        self.remaining -= len(data)
        if not self.remaining:
            self.finish()
        return data

    def finish(self) -> None:
        if self.finished:
            return
        if self.remaining:
            raise BundleWriteError(f"{self.name} was not fully written")
        if self.at_end and self.stream.read(1):
            raise BundleWriteError(f"{self.name} is longer than its declared {self.size} bytes")
        if self.hasher.hexdigest() != self.sha256:
            raise BundleWriteError(
                f"{self.name}: the content's SHA-256 is {self.hasher.hexdigest()}, "
                f"not {self.sha256}"
            )
        self.finished = True


def write_bundle(
    dest_path,
    *,
    signer: str,
    key=None,
    meta: dict,
    pages: Iterable[bytes],
    blobs: Iterable[tuple[str, int, Callable[[], BinaryIO]]],
    limits: BundleLimits | None = None,
) -> dict:
    """Write a signed bundle at ``dest_path`` atomically and return its manifest.

    ``key`` is an Ed25519 private key (default: this node's). ``pages`` are compressed pages
    (``compress_page``), numbered in the order given. ``blobs`` are ``(sha256, size, opener)``;
    each opener returns a binary stream, read once, in chunks, and checked against the hash and
    size while it is copied: a mismatch raises ``BundleWriteError`` and leaves no file. Pages
    are spooled to an unnamed temporary file next to ``dest_path`` (their sizes and hashes go
    in the manifest, which comes first); blobs are not copied twice. A blob listed twice is
    written once. A bundle that ``open_bundle`` would refuse under ``limits`` is not written.
    """
    dest = Path(dest_path)
    limits = limits or BundleLimits()
    key = key or keys.load_private_key()
    created = datetime.now(UTC).replace(microsecond=0)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as out, tempfile.TemporaryFile(dir=dest.parent) as spool:
            members = []
            for number, page in enumerate(pages, start=1):
                spool.write(page)
                name = f"changes/{number:06d}.ndjson.zst"
                members.append(Member(name, len(page), hashlib.sha256(page).hexdigest()))
            openers: dict[str, tuple[int, Callable[[], BinaryIO]]] = {}
            for sha, size, opener in blobs:
                if openers.setdefault(sha, (size, opener))[0] != size:
                    raise BundleWriteError(f"blob {sha} is listed with two sizes")
            members += [Member(f"blobs/{sha}", size, sha) for sha, (size, _) in openers.items()]
            manifest = {
                "format": FORMAT,
                "signer": signer,
                "signer_key": keys.public_key_text(key.public_key()),
                "created_at": created.isoformat(),
                "meta": meta,
                "members": [{"name": m.name, "size": m.size, "sha256": m.sha256} for m in members],
            }
            manifest_bytes = manifest_dumps(manifest)
            try:
                # the reader's own checks, so a hub never writes what a hub would refuse
                _parse_manifest(manifest_bytes)
                _check_members(manifest, limits)
                if len(manifest_bytes) > limits.max_manifest_bytes:
                    raise TooLarge(f"the manifest is {len(manifest_bytes)} bytes")
            except BundleRefused as exc:
                raise BundleWriteError(f"{exc.reason}: split the bundle") from exc
            signature = keys.sign(manifest_bytes, key).encode("ascii")

            spool.seek(0)
            with tarfile.open(
                fileobj=out, mode="w", format=tarfile.USTAR_FORMAT, copybufsize=READ_CHUNK
            ) as tar:

                def add(name: str, size: int, stream) -> None:
                    info = tarfile.TarInfo(name)
                    info.size = size
                    info.mtime = int(created.timestamp())
                    tar.addfile(info, stream)

                add(MANIFEST_NAME, len(manifest_bytes), io.BytesIO(manifest_bytes))
                add(SIGNATURE_NAME, len(signature), io.BytesIO(signature))
                for member in members:
                    if member.is_page:
                        reader = _CheckedReader(spool, member, at_end=False)
                        add(member.name, member.size, reader)
                        reader.finish()
                        continue
                    with openers[member.sha256][1]() as stream:
                        reader = _CheckedReader(stream, member)
                        add(member.name, member.size, reader)
                        reader.finish()
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp_name, dest)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    fsync_dir(dest.parent)
    return manifest


# Reading ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Header:
    offset: int
    name: str
    size: int

    @property
    def data_offset(self) -> int:
        return self.offset + BLOCK

    @property
    def next_offset(self) -> int:
        return self.data_offset + _padded(self.size)


def _padded(size: int) -> int:
    return -(-size // BLOCK) * BLOCK


def _nul_terminated(field: bytes, what: str) -> bytes:
    value, _, rest = field.partition(b"\0")
    if rest.strip(b"\0"):
        raise BadMemberName(f"a member's {what} contains a NUL byte")
    return value


def _octal(field: bytes, what: str, offset: int) -> int:
    text = field.split(b"\0", 1)[0].strip(b" ")
    if not text or text.strip(b"01234567"):
        raise NotABundle(f"the tar header at byte {offset} has a malformed {what} field")
    return int(text, 8)


_TYPE_NAMES = {
    tarfile.SYMTYPE: "a symbolic link",
    tarfile.LNKTYPE: "a hard link",
    tarfile.CHRTYPE: "a character device",
    tarfile.BLKTYPE: "a block device",
    tarfile.DIRTYPE: "a directory",
    tarfile.FIFOTYPE: "a FIFO",
    tarfile.CONTTYPE: "a contiguous file",
    tarfile.XHDTYPE: "a pax extended header",
    tarfile.XGLTYPE: "a pax global header",
    tarfile.GNUTYPE_LONGNAME: "a GNU long name",
    tarfile.GNUTYPE_LONGLINK: "a GNU long link",
    tarfile.GNUTYPE_SPARSE: "a sparse file",
}


class _Reader:
    """Reads the bundle by offset (``os.pread``) from one file descriptor."""

    def __init__(self, fd: int, file_size: int, progress=None):
        self.fd = fd
        self.file_size = file_size
        self.progress = progress

    def read_exact(self, offset: int, size: int) -> bytes:
        parts = []
        while size:
            chunk = os.pread(self.fd, min(size, READ_CHUNK), offset)
            if not chunk:
                raise Truncated(f"the file ends at byte {offset}, in the middle of a member")
            parts.append(chunk)
            offset += len(chunk)
            size -= len(chunk)
        return b"".join(parts)

    def sha256(self, offset: int, size: int) -> str:
        hasher = hashlib.sha256()
        end = offset + size
        while offset < end:
            chunk = self.read_exact(offset, min(READ_CHUNK, end - offset))
            hasher.update(chunk)
            offset += len(chunk)
            self.report(offset)
        return hasher.hexdigest()

    def report(self, done: int) -> None:
        if self.progress is not None:
            self.progress(done, self.file_size)

    def header(self, offset: int) -> _Header | None:
        """The header at ``offset``, None for a zero block (the end of the archive)."""
        if offset == 0 and self.file_size < BLOCK:
            raise NotABundle(f"the file is {self.file_size} bytes, too short to be a bundle")
        block = os.pread(self.fd, BLOCK, offset)
        if len(block) < BLOCK:
            raise Truncated(
                f"the file ends at byte {offset + len(block)} but the archive goes on "
                "(an incomplete copy?)"
            )
        if block == bytes(BLOCK):
            return None
        stored = block[148:156].split(b"\0", 1)[0].strip(b" ")
        computed = sum(block[:148]) + 8 * 32 + sum(block[156:])
        if not stored or stored.strip(b"01234567") or int(stored, 8) != computed:
            if offset == 0:
                raise NotABundle("the file is not a tar archive")
            raise NotABundle(f"the tar header at byte {offset} is damaged (bad checksum)")
        if block[257:265] != b"ustar\x0000":
            if offset == 0:
                raise NotABundle("the file is not a POSIX ustar archive")
            raise NotABundle(f"the tar header at byte {offset} is not a POSIX ustar header")
        typeflag = block[156:157]
        if typeflag not in REGULAR_TYPES:
            kind = _TYPE_NAMES.get(typeflag, f"of tar type {typeflag!r}")
            shown = block[0:100].split(b"\0", 1)[0].decode("ascii", "replace")
            raise UnsafeMember(
                f"the member {shown!r} at byte {offset} is {kind}, not a regular file"
            )
        raw = _nul_terminated(block[0:100], "name")
        prefix = _nul_terminated(block[345:500], "name")
        if prefix:
            raw = prefix + b"/" + raw
        try:
            name = raw.decode("ascii")
        except UnicodeDecodeError:
            raise BadMemberName(f"the member name {raw!r} is not ASCII") from None
        size = _octal(block[124:136], "size", offset)
        return _Header(offset=offset, name=name, size=size)


def _check_name(name: str) -> None:
    if name in (MANIFEST_NAME, SIGNATURE_NAME):
        raise BadMemberName(f"{name!r} appears again after the start of the bundle")
    if not (PAGE_NAME.fullmatch(name) or BLOB_NAME.fullmatch(name)):
        raise BadMemberName(
            f"the member name {name!r} is neither changes/NNNNNN.ndjson.zst nor blobs/<sha256>"
        )


def _json_object(pairs):
    obj = {}
    for k, v in pairs:
        if k in obj:
            raise ValueError(f"duplicate key {k!r}")
        obj[k] = v
    return obj


def _json_constant(name):
    raise ValueError(f"{name} is not JSON")


def _parse_manifest(data: bytes) -> dict:
    try:
        manifest = json.loads(
            data.decode("utf-8"), object_pairs_hook=_json_object, parse_constant=_json_constant
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadManifest(f"manifest.json is not valid UTF-8 JSON ({exc})") from None
    if not isinstance(manifest, dict):
        raise BadManifest("manifest.json is not a JSON object")
    if manifest.get("format") != FORMAT:
        raise BadManifest(
            f"the bundle's format is {manifest.get('format')!r}; this hub reads {FORMAT!r}"
        )
    for field in ("signer", "signer_key", "created_at"):
        if not isinstance(manifest.get(field), str) or not manifest[field]:
            raise BadManifest(f"manifest.json has no {field}")
    return manifest


def _check_trust(manifest: dict, data: bytes, signature: bytes, trusted_key) -> None:
    signer = manifest["signer"]
    trusted = trusted_key(signer)
    if not trusted:
        raise UnknownSigner(f"the bundle is signed by {signer!r}, a node this hub does not trust")
    if manifest["signer_key"].strip() != trusted.strip():
        raise WrongSigner(
            f"the bundle claims to come from {signer!r} but is signed with another key "
            f"({manifest['signer_key'][:24]}…), not the one this hub knows for {signer!r}"
        )
    try:
        text = signature.decode("ascii")
    except UnicodeDecodeError:
        text = ""
    if not keys.verify(trusted, data, text):
        raise BadSignature(
            f"the signature of manifest.json does not match the key this hub trusts for "
            f"{signer!r}: the manifest was altered or signed by someone else"
        )


def _check_members(manifest: dict, limits: BundleLimits) -> list[Member]:
    """The manifest's member list, checked against the format and the limits."""
    try:
        created = datetime.fromisoformat(manifest["created_at"])
    except ValueError:
        raise BadManifest(f"created_at {manifest['created_at']!r} is not ISO 8601") from None
    if created.utcoffset() is None:
        raise BadManifest("created_at has no time zone")
    if not isinstance(manifest.get("meta"), dict):
        raise BadManifest("manifest.json has no meta object")
    entries = manifest.get("members")
    if not isinstance(entries, list):
        raise BadManifest("manifest.json has no members list")
    if len(entries) > limits.max_members:
        raise TooLarge(f"the bundle lists {len(entries)} members, over {limits.max_members}")
    members: list[Member] = []
    seen: set[str] = set()
    pages = 0
    total = 0
    for entry in entries:
        if not isinstance(entry, dict) or set(entry) != {"name", "size", "sha256"}:
            raise BadManifest(f"a member entry is not {{name, size, sha256}}: {entry!r:.200}")
        name, size, sha = entry["name"], entry["size"], entry["sha256"]
        if not isinstance(name, str):
            raise BadManifest(f"a member name is not text: {name!r:.100}")
        _check_name(name)
        if name in seen:
            raise DuplicateMember(f"the manifest lists {name} twice")
        seen.add(name)
        if type(size) is not int or size < 0:
            raise BadManifest(f"{name}: size {size!r:.50} is not a byte count")
        if not isinstance(sha, str) or not SHA256.fullmatch(sha):
            raise BadManifest(f"{name}: sha256 {sha!r:.100} is not a lowercase hex SHA-256")
        page = PAGE_NAME.fullmatch(name)
        if page:
            pages += 1
            if int(page.group(1)) != pages or len(members) != pages - 1:
                raise BadManifest(f"{name} is out of order: pages are numbered from 000001 first")
            if size > limits.max_page_bytes:
                raise TooLarge(f"{name} is {size} bytes, over {limits.max_page_bytes}")
        else:
            if BLOB_NAME.fullmatch(name).group(1) != sha:
                raise BlobNameMismatch(f"{name} is listed with content of SHA-256 {sha}")
            if size > limits.blob_limit():
                raise TooLarge(f"{name} is {size} bytes, over {limits.blob_limit()}")
        total += size
        members.append(Member(name, size, sha))
    if total > limits.max_total_bytes:
        raise TooLarge(f"the bundle holds {total} bytes, over {limits.max_total_bytes}")
    return members


def open_bundle(
    path,
    *,
    trusted_key: Callable[[str], str | None],
    limits: BundleLimits | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> "VerifiedBundle":
    """Verify the whole bundle at ``path`` and return it open, or raise ``BundleRefused``.

    ``trusted_key(signer)`` gives the public key text this hub trusts for that node code, or
    None. Everything is checked before this returns: the tar's structure, the signature, every
    member's type, name, size and hash, the limits. Memory stays bounded (one 1 MiB chunk, plus
    the manifest). ``progress(done_bytes, file_bytes)`` is called as the file is read; an
    exception it raises (a cancel button) stops the verification. Close the result (or use it
    in a ``with``) when done.
    """
    limits = limits or BundleLimits()
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotABundle(f"{path} is not a regular file")
        bundle = _verify(fd, info.st_size, trusted_key, limits, progress)
    except BaseException:
        os.close(fd)
        raise
    return bundle


def _verify(fd: int, file_size: int, trusted_key, limits: BundleLimits, progress):
    reader = _Reader(fd, file_size, progress)
    reader.report(0)

    first = reader.header(0)
    if first is None or first.name != MANIFEST_NAME:
        raise NotABundle(
            f"the first member is {first.name if first else 'missing'!r}, not {MANIFEST_NAME}"
        )
    if first.size > limits.max_manifest_bytes:
        raise TooLarge(
            f"manifest.json is {first.size} bytes, over the limit of {limits.max_manifest_bytes}"
        )
    manifest_bytes = reader.read_exact(first.data_offset, first.size)
    second = reader.header(first.next_offset)
    if second is None or second.name != SIGNATURE_NAME:
        raise NotABundle(
            f"the second member is {second.name if second else 'missing'!r}, not {SIGNATURE_NAME}"
        )
    if second.size > SIGNATURE_MAX_BYTES:
        raise BadSignature(f"manifest.sig is {second.size} bytes, too long for a signature")
    signature = reader.read_exact(second.data_offset, second.size)

    manifest = _parse_manifest(manifest_bytes)
    _check_trust(manifest, manifest_bytes, signature, trusted_key)
    expected = _check_members(manifest, limits)

    # First the headers (cheap: one block a member), so a wrong or short file is refused before
    # gigabytes are hashed; then the contents.
    listed = {m.name for m in expected}
    seen: set[str] = set()
    located: list[Member] = []
    offset = second.next_offset
    for member in expected:
        header = reader.header(offset)
        if header is None:
            raise MemberMismatch(f"the archive ends where the manifest lists {member.name}")
        _check_header(header, seen, listed)
        if header.name != member.name:
            raise MemberMismatch(
                f"found {header.name} where the manifest lists {member.name} (out of order)"
            )
        if header.size != member.size:
            raise MemberMismatch(
                f"{member.name} is {header.size} bytes; the manifest says {member.size}"
            )
        located.append(Member(member.name, member.size, member.sha256, header.data_offset))
        offset = header.next_offset
    extra = reader.header(offset)
    if extra is not None:
        _check_header(extra, seen, listed)
        raise MemberMismatch(f"{extra.name} is in the archive but not in the manifest")
    if reader.header(offset + BLOCK) is not None:
        raise NotABundle(f"the archive's end marker at byte {offset} is incomplete")
    tail = file_size - offset
    if tail > END_MAX_BYTES or reader.read_exact(offset, tail).strip(b"\0"):
        raise NotABundle(f"unexpected data follows the end of the archive at byte {offset}")

    for member in located:
        digest = reader.sha256(member.offset, member.size)
        if digest != member.sha256:
            raise HashMismatch(
                f"{member.name}'s content does not match the signed manifest (SHA-256 {digest})"
            )
    reader.report(file_size)
    return VerifiedBundle(fd, manifest, located)


def _check_header(header: _Header, seen: set[str], listed: set[str]) -> None:
    _check_name(header.name)
    if header.name in seen:
        raise DuplicateMember(f"{header.name} appears twice in the archive")
    seen.add(header.name)
    if header.name not in listed:
        raise MemberMismatch(f"{header.name} is in the archive but not in the manifest")


class _MemberStream(io.RawIOBase):
    """One member's bytes, read by offset and checked against the signed hash.

    The hash is compared in the read that reaches the member's end: if the file changed since
    it was verified (a stick pulled and rewritten), that read raises ``HashMismatch`` instead of
    returning the last bytes. A caller that reads to EOF without an error got exactly the
    signed content; one that stops early has no such guarantee.
    """

    def __init__(self, bundle: "VerifiedBundle", member: Member):
        super().__init__()
        self._bundle = bundle  # keeps the file open while the stream lives
        self.member = member
        self.size = member.size
        self._pos = 0
        self._hasher = hashlib.sha256()
        if member.size == 0:
            self._finish()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        want = min(len(buffer), self.size - self._pos)
        if want <= 0:
            return 0
        if self._bundle._fd is None:
            raise ValueError("the bundle is closed")
        data = os.pread(self._bundle._fd, want, self.member.offset + self._pos)
        if not data:
            raise Truncated(f"{self.member.name} was cut short since the bundle was verified")
        self._hasher.update(data)
        self._pos += len(data)
        if self._pos == self.size:
            self._finish()
        buffer[: len(data)] = data
        return len(data)

    def _finish(self) -> None:
        if self._hasher.hexdigest() != self.member.sha256:
            raise HashMismatch(f"{self.member.name} changed on disk since the bundle was verified")


class VerifiedBundle:
    """A bundle whose every byte was checked; its members are re-checked as they are read.

    It holds the file open (the same file, even if the path is replaced); close it when done.
    """

    def __init__(self, fd: int, manifest: dict, members: list[Member]):
        self._fd = fd
        self.manifest = manifest
        self._members = members
        self._blobs = {m.name.removeprefix("blobs/"): m for m in members if not m.is_page}

    @property
    def signer(self) -> str:
        return self.manifest["signer"]

    @property
    def meta(self) -> dict:
        return self.manifest["meta"]

    @property
    def created_at(self) -> datetime:
        return datetime.fromisoformat(self.manifest["created_at"])

    @property
    def member_count(self) -> int:
        return len(self._members)

    @property
    def total_bytes(self) -> int:
        """Bytes of pages and blobs (what the manifest lists)."""
        return sum(m.size for m in self._members)

    @property
    def page_count(self) -> int:
        return len(self._members) - len(self._blobs)

    def pages(self) -> Iterator[bytes]:
        """Each page's compressed bytes, in order, re-hashed (``HashMismatch`` if changed)."""
        for member in self._members:
            if member.is_page:
                with _MemberStream(self, member) as stream:
                    data = bytearray(member.size)
                    view = memoryview(data)
                    done = 0
                    while done < member.size:
                        done += stream.readinto(view[done:])
                    yield bytes(data)

    def blob_names(self) -> list[str]:
        """The SHA-256 of every blob in the bundle, in the bundle's order."""
        return list(self._blobs)

    def blob_size(self, sha256: str) -> int:
        return self._blobs[sha256].size

    def open_blob(self, sha256: str) -> BinaryIO:
        """A binary stream of exactly that blob, verified as it is read (see _MemberStream).

        Raises KeyError for a hash the bundle does not hold.
        """
        return _MemberStream(self, self._blobs[sha256])

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()
