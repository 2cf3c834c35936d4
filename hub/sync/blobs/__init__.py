"""Content-addressed blobs: the store (:mod:`.store`), serving them with HTTP Range
(:mod:`.http`) and counting the bytes of a transfer (:mod:`.streams`).

The rest of the engine calls the module-level shortcuts below, which act on the configured
store (``STORAGES["sync_blobs"]`` and ``SYNC_BLOB_PARTIAL_DIR``).
"""

from ..core.errors import HashMismatch
from .store import (
    BlobError,
    BlobNotFound,
    BlobStore,
    BlobTooLarge,
    OffsetMismatch,
    PartialBusy,
    blob_name,
    blob_store,
    validate_sha256,
)

__all__ = [
    "BlobError",
    "BlobNotFound",
    "BlobStore",
    "BlobTooLarge",
    "HashMismatch",
    "OffsetMismatch",
    "PartialBusy",
    "blob_name",
    "blob_store",
    "validate_sha256",
]


def has(sha: str) -> bool:
    return blob_store().has(sha)


def size(sha: str) -> int | None:
    return blob_store().size(sha)


def open_blob(sha: str):
    return blob_store().open(sha)


def put_stream(stream, *, expected_sha=None, max_bytes=None):
    return blob_store().put_stream(stream, expected_sha=expected_sha, max_bytes=max_bytes)


def put_path(path, *, expected_sha=None, max_bytes=None):
    return blob_store().put_path(path, expected_sha=expected_sha, max_bytes=max_bytes)


def partial_offset(sha: str) -> int:
    return blob_store().partial_offset(sha)


def partial_append(sha: str, *, offset: int, stream, total_size: int, max_chunk=None) -> int:
    return blob_store().partial_append(
        sha, offset=offset, stream=stream, total_size=total_size, max_chunk=max_chunk
    )


def partial_finish(sha: str) -> int:
    return blob_store().partial_finish(sha)


def partial_discard(sha: str) -> None:
    """Forget what arrived of ``sha`` (the other side could not resume it)."""
    blob_store()._partial_path(sha).unlink(missing_ok=True)


def cleanup_partials(max_age: int | None = None) -> int:
    return blob_store().cleanup_partials(max_age)
