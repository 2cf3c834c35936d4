"""Content-addressed blob store: images, PDFs, audio and video, named by their SHA-256.

Records refer to files by hash, so a blob is immutable, is stored once whatever refers to it, and
a side that already has it never receives it again. Completed blobs live in the
``STORAGES["sync_blobs"]`` storage under ``ab/cd/<sha256>`` (two levels of folders keep
directories small on a Pi's SD card), so the upstream can swap in an S3-compatible storage.

Transfers over the satellite link are cut often, so they resume:

* download: :func:`hub.sync.blobs.http.blob_response` answers HTTP ``Range`` requests (one
  range per request);
* upload: :meth:`BlobStore.partial_append` appends at an explicit offset to a partial file in
  ``SYNC_BLOB_PARTIAL_DIR`` (``<sha>.part``, local disk, because the storage API cannot append),
  and :meth:`BlobStore.partial_finish` verifies the hash before the blob becomes visible.

Nothing reads a whole blob into memory: every copy, hash and response goes through reads of at
most 64 KiB (less if ``SYNC_BLOB_CHUNK_BYTES`` is smaller), as a Pi serves several transfers
with little RAM. A blob is only ever visible in the store complete and verified: it is written
to a temporary file first and renamed (or handed to ``storage.save``) once its hash is known.

Usage: ``store = blob_store()``; ``store.put_stream(f, expected_sha=sha)``; ``store.open(sha)``.
"""

import errno
import fcntl
import hashlib
import os
import re
import secrets
import time
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, storages

from hub.core.files import fsync_dir

from ..core.errors import HashMismatch

READ_BYTES = 64 * 1024
PARTIAL_SUFFIX = ".part"
TEMP_PREFIX = "tmp-"
# A put in progress writes to its temp file continuously; one untouched this long was abandoned
# (a killed worker, a power cut).
TEMP_MAX_AGE = 3600

_SHA256_RE = re.compile(r"[0-9a-f]{64}")


class BlobError(ValueError):
    """A sha, a size or a transfer the blob store refuses."""


class BlobNotFound(BlobError, FileNotFoundError):
    """No such blob (or no such partial)."""


class BlobTooLarge(BlobError):
    """More bytes than allowed: the caller's limit, the announced total or SYNC_BLOB_MAX_BYTES."""


class OffsetMismatch(BlobError):
    """An append at an offset other than the partial's size; ``offset`` is where to resume."""

    def __init__(self, offset: int, requested: int):
        super().__init__(f"partial is at offset {offset}, not {requested}")
        self.offset = offset


class PartialBusy(BlobError):
    """Another request is writing or finishing this partial (e.g. a retry while the cut
    request's worker still reads): the caller retries later."""


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def validate_sha256(text: str) -> str:
    """``text`` if it is a SHA-256 hex digest (64 lowercase hex characters), else BlobError.

    Every sha becomes part of a file path, so this is what keeps ``../`` and NUL out of them.
    """
    if not isinstance(text, str) or not _SHA256_RE.fullmatch(text):
        raise BlobError(f"not a SHA-256 hex digest (64 lowercase hex characters): {text!r:.80}")
    return text


def blob_name(sha: str) -> str:
    """The storage name of a blob: ``ab/cd/abcd…``."""
    sha = validate_sha256(sha)
    return f"{sha[:2]}/{sha[2:4]}/{sha}"


def read_bytes() -> int:
    return max(1, min(READ_BYTES, settings.SYNC_BLOB_CHUNK_BYTES))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _hash_fd(fd: int) -> tuple[str, int]:
    hasher = hashlib.sha256()
    size = 0
    os.lseek(fd, 0, os.SEEK_SET)
    while data := os.read(fd, read_bytes()):
        hasher.update(data)
        size += len(data)
    return hasher.hexdigest(), size


class BlobStore:
    """The blobs in one Django storage plus the partial uploads in one local directory.

    Get it with :func:`blob_store`; it holds no state of its own, so it is cheap to make.
    Limits are read from the settings at each call.
    """

    def __init__(self, storage: Storage, partial_dir: str | Path):
        self.storage = storage
        self.partial_dir = Path(partial_dir)

    # Reading.

    def has(self, sha: str) -> bool:
        return self.storage.exists(blob_name(sha))

    def size(self, sha: str) -> int | None:
        """Size in bytes, or None when the blob is not stored."""
        name = blob_name(sha)
        # exists() first: remote storages do not all raise FileNotFoundError from size().
        if not self.storage.exists(name):
            return None
        try:
            return self.storage.size(name)
        except FileNotFoundError:
            return None

    def open(self, sha: str):
        """The blob as a readable binary file (close it); BlobNotFound when missing."""
        try:
            return self.storage.open(blob_name(sha), "rb")
        except FileNotFoundError:
            raise BlobNotFound(f"no blob {sha}") from None

    def local_path(self, sha: str) -> str | None:
        """The blob's path on local disk (a FileSystemStorage), None when missing or remote."""
        path = self._local_path(blob_name(sha))
        return path if path is not None and os.path.isfile(path) else None

    @property
    def is_local(self) -> bool:
        """Blobs are files on this machine: renames and hard links work, paths can be handed out.

        Only FileSystemStorage (and subclasses) qualify: InMemoryStorage also has ``path()``.
        """
        return isinstance(self.storage, FileSystemStorage)

    def _local_path(self, name: str) -> str | None:
        return self.storage.path(name) if self.is_local else None

    def iter_blobs(self):
        """``(sha, size, mtime)`` of every stored blob (mtime: seconds since the epoch, when it
        was stored). Files in the store that are no blob (a copy being renamed) are skipped."""
        storage = self.storage
        try:
            first_level, _files = storage.listdir("")
        except FileNotFoundError:
            return
        for first in sorted(first_level):
            for second in sorted(storage.listdir(first)[0]):
                for name in sorted(storage.listdir(f"{first}/{second}")[1]):
                    if not _SHA256_RE.fullmatch(name) or name[:2] + name[2:4] != first + second:
                        continue
                    path = f"{first}/{second}/{name}"
                    try:
                        size = storage.size(path)
                        mtime = storage.get_modified_time(path).timestamp()
                    except FileNotFoundError:
                        continue  # deleted meanwhile
                    yield name, size, mtime

    def delete(self, sha: str) -> None:
        """Remove a stored blob (nothing when it is not there)."""
        self.storage.delete(blob_name(sha))

    # Writing whole blobs.

    def put_stream(
        self, stream: Readable, *, expected_sha: str | None = None, max_bytes: int | None = None
    ) -> tuple[str, int]:
        """Store what ``stream`` yields and return ``(sha, size)``.

        The bytes go to a temporary file in the partial directory while they are hashed; over
        ``max_bytes`` (default SYNC_BLOB_MAX_BYTES) or a hash other than ``expected_sha``, the
        file is deleted and BlobTooLarge / HashMismatch raised, so nothing half-written is left.
        Idempotent: a blob already stored is not rewritten, and when ``expected_sha`` is already
        stored the stream is not even read (a blob the hub has costs nothing).
        """
        if expected_sha is not None:
            expected_sha = validate_sha256(expected_sha)
            if (size := self.size(expected_sha)) is not None:
                return expected_sha, size
        limit = settings.SYNC_BLOB_MAX_BYTES if max_bytes is None else max_bytes
        tmp_path = self._temp_path()
        fd = os.open(tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
        try:
            hasher = hashlib.sha256()
            size = 0
            try:
                # One byte more than allowed is enough to know the stream is too long.
                while data := stream.read(min(read_bytes(), limit - size + 1)):
                    size += len(data)
                    if size > limit:
                        raise BlobTooLarge(f"blob larger than {limit} bytes")
                    hasher.update(data)
                    _write_all(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            sha = hasher.hexdigest()
            if expected_sha is not None and sha != expected_sha:
                raise HashMismatch(expected=expected_sha, actual=sha)
            self._commit(tmp_path, sha)
        except BaseException:
            tmp_path.unlink(missing_ok=True)
            raise
        return sha, size

    def put_path(
        self, path: str | Path, *, expected_sha: str | None = None, max_bytes: int | None = None
    ) -> tuple[str, int]:
        """Store the file at ``path`` (left in place) and return ``(sha, size)``.

        With a local storage on the same filesystem the blob is a hard link to ``path``: no
        copy, no extra space on the SD card. The caller hands the file over: it must not be
        modified in place afterwards (replacing it by a new file is fine). Otherwise (another
        filesystem, a FAT stick that cannot link, a remote storage) it is copied and verified
        as :meth:`put_stream` does.
        """
        limit = settings.SYNC_BLOB_MAX_BYTES if max_bytes is None else max_bytes
        if expected_sha is not None:
            expected_sha = validate_sha256(expected_sha)
            if (size := self.size(expected_sha)) is not None:
                return expected_sha, size
        if os.stat(path).st_size > limit:
            raise BlobTooLarge(f"blob larger than {limit} bytes")
        if self.is_local:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            try:
                sha, size = _hash_fd(fd)
            finally:
                os.close(fd)
            if size > limit:
                raise BlobTooLarge(f"blob larger than {limit} bytes")
            if expected_sha is not None and sha != expected_sha:
                raise HashMismatch(expected=expected_sha, actual=sha)
            if self.has(sha):
                return sha, size
            dest = self._local_path(blob_name(sha))
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            try:
                os.link(path, dest)
            except FileExistsError:
                return sha, size  # a concurrent put of the same content won
            except OSError:
                pass  # another filesystem or no hard links there: copy below
            else:
                fsync_dir(os.path.dirname(dest))
                return sha, size
            expected_sha = sha  # the copy must still be what was hashed
        with open(path, "rb") as file:
            return self.put_stream(file, expected_sha=expected_sha, max_bytes=limit)

    # Resumable uploads.

    def partial_offset(self, sha: str) -> int:
        """How many bytes of ``sha`` have arrived so far (0 when none)."""
        try:
            return self._partial_path(sha).stat().st_size
        except FileNotFoundError:
            return 0

    def partial_append(
        self,
        sha: str,
        *,
        offset: int,
        stream: Readable,
        total_size: int,
        max_chunk: int | None = None,
    ) -> int:
        """Append ``stream`` to the partial of ``sha`` at ``offset``; return the new offset.

        ``offset`` must equal the bytes already there (else OffsetMismatch with the real
        offset), so a retried or duplicated request cannot write a byte twice. A stream that
        would take the partial past ``total_size`` (itself at most SYNC_BLOB_MAX_BYTES), or
        that carries more than ``max_chunk`` bytes (a cap on one request; None: no cap), is
        refused with BlobTooLarge and the partial is left as it was. A stream that fails while
        reading (the link dropped: Django raises UnreadablePostError, an OSError) keeps what
        arrived: it is fsynced and the offset reached is returned, which is what the next
        attempt resumes from.
        """
        limit = settings.SYNC_BLOB_MAX_BYTES
        if not 0 <= total_size <= limit:
            raise BlobTooLarge(f"total size {total_size} outside 0..{limit} bytes")
        fd = self._open_partial(sha, create=offset == 0)
        if fd is None:
            raise OffsetMismatch(0, offset)
        try:
            current = os.fstat(fd).st_size
            if offset != current:
                raise OffsetMismatch(current, offset)
            room = total_size - current
            if max_chunk is not None:
                room = min(room, max_chunk)
            if room < 0:
                raise BlobTooLarge(f"partial already holds {current} of {total_size} bytes")
            os.lseek(fd, current, os.SEEK_SET)
            written = 0
            try:
                while True:
                    try:
                        data = stream.read(min(read_bytes(), room - written + 1))
                    except OSError:
                        break  # the connection was cut: keep what arrived
                    if not data:
                        break
                    if written + len(data) > room:
                        os.ftruncate(fd, current)
                        raise BlobTooLarge(
                            f"more than {room} bytes after offset {current} of {total_size}"
                        )
                    _write_all(fd, data)
                    written += len(data)
            finally:
                os.fsync(fd)
            return current + written
        finally:
            os.close(fd)

    def partial_finish(self, sha: str) -> int:
        """Verify the whole partial of ``sha`` and move it into the store; return its size.

        On a hash mismatch the partial is deleted (resuming from corrupt bytes would never
        succeed) and HashMismatch raised: the transfer starts again from 0. BlobNotFound
        when there is no partial.
        """
        fd = self._open_partial(sha, create=False)
        if fd is None:
            raise BlobNotFound(f"no partial upload of {sha}")
        path = self._partial_path(sha)
        try:
            actual, size = _hash_fd(fd)
            if actual != sha:
                path.unlink()
                raise HashMismatch(expected=sha, actual=actual)
            # Still holding the lock: no append can slip in while the file moves.
            self._commit(path, sha)
        finally:
            os.close(fd)
        return size

    def cleanup_partials(self, max_age: int | None = None) -> int:
        """Delete partials untouched (by mtime) for more than ``max_age`` seconds (default
        SYNC_BLOB_PARTIAL_MAX_AGE) and abandoned temp files; return how many were deleted.

        Partials being written by a request are skipped. Other files in the directory are
        left alone.
        """
        max_age = settings.SYNC_BLOB_PARTIAL_MAX_AGE if max_age is None else max_age
        now = time.time()
        deleted = 0
        try:
            entries = list(os.scandir(self.partial_dir))
        except FileNotFoundError:
            return 0
        for entry in entries:
            if entry.name.endswith(PARTIAL_SUFFIX):
                age_limit = max_age
            elif entry.name.startswith(TEMP_PREFIX):
                age_limit = min(max_age, TEMP_MAX_AGE)
            else:
                continue
            try:
                if not entry.is_file(follow_symlinks=False):
                    continue
                if now - entry.stat(follow_symlinks=False).st_mtime <= age_limit:
                    continue
                if entry.name.endswith(PARTIAL_SUFFIX):
                    sha = entry.name.removesuffix(PARTIAL_SUFFIX)
                    if not _SHA256_RE.fullmatch(sha):
                        continue
                    try:
                        fd = self._open_partial(sha, create=False)
                    except PartialBusy:
                        continue
                    if fd is None:
                        continue
                    try:
                        os.unlink(entry.path)
                    finally:
                        os.close(fd)
                else:
                    os.unlink(entry.path)
            except FileNotFoundError:
                continue  # gone meanwhile (finished or cleaned by another process)
            deleted += 1
        return deleted

    # Internals.

    def _partial_path(self, sha: str) -> Path:
        return self.partial_dir / f"{validate_sha256(sha)}{PARTIAL_SUFFIX}"

    def _temp_path(self) -> Path:
        self.partial_dir.mkdir(parents=True, exist_ok=True)
        return self.partial_dir / f"{TEMP_PREFIX}{secrets.token_hex(8)}"

    def _open_partial(self, sha: str, *, create: bool) -> int | None:
        """A descriptor on the partial, exclusively locked, or None when there is none.

        The lock (flock, released on close) keeps two requests for the same blob from
        interleaving; gunicorn runs several workers, and a client retries while the worker of
        its cut request may still be reading.
        """
        path = self._partial_path(sha)
        self.partial_dir.mkdir(parents=True, exist_ok=True)
        flags = os.O_RDWR | os.O_CLOEXEC | (os.O_CREAT if create else 0)
        try:
            fd = os.open(path, flags, 0o666)
        except FileNotFoundError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            # Between open and lock the file may have been finished (renamed into the store) or
            # cleaned up: never append to a stored blob or to a deleted file.
            if not os.path.samestat(os.fstat(fd), os.stat(path)):
                raise BlockingIOError
        except (BlockingIOError, FileNotFoundError):
            os.close(fd)
            raise PartialBusy(f"another transfer of {sha} is in progress") from None
        except BaseException:
            os.close(fd)
            raise
        return fd

    def _commit(self, src: Path, sha: str) -> None:
        """Move the verified file ``src`` (in the partial directory) into the store as ``sha``.

        Local storage: a rename, atomic and free on the same filesystem; across filesystems a
        copy beside the destination then a rename, so a power cut never leaves a truncated
        file under a blob's name. Remote storage: ``storage.save`` (an object upload is atomic).
        """
        name = blob_name(sha)
        if self.storage.exists(name):
            src.unlink()
            return
        dest = self._local_path(name)
        if dest is None:
            with open(src, "rb") as file:
                saved = self.storage.save(name, File(file, name=name))
            if saved != name:
                # A concurrent put stored the same bytes first; the storage renamed ours.
                self.storage.delete(saved)
            src.unlink()
            return
        directory = os.path.dirname(dest)
        os.makedirs(directory, exist_ok=True)
        mode = getattr(self.storage, "file_permissions_mode", None)
        if mode is not None:
            os.chmod(src, mode)
        try:
            os.replace(src, dest)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            self._copy_into(src, dest)
            src.unlink()
        fsync_dir(directory)

    @staticmethod
    def _copy_into(src: Path, dest: str) -> None:
        tmp = f"{dest}.{TEMP_PREFIX}{secrets.token_hex(8)}"
        fd_in = os.open(src, os.O_RDONLY | os.O_CLOEXEC)
        try:
            fd_out = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
            try:
                while data := os.read(fd_in, read_bytes()):
                    _write_all(fd_out, data)
                os.fsync(fd_out)
            finally:
                os.close(fd_out)
            os.chmod(tmp, os.stat(src).st_mode & 0o777)
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        finally:
            os.close(fd_in)


def blob_store() -> BlobStore:
    """The hub's blob store (``STORAGES["sync_blobs"]`` and ``SYNC_BLOB_PARTIAL_DIR``)."""
    return BlobStore(storages["sync_blobs"], settings.SYNC_BLOB_PARTIAL_DIR)
