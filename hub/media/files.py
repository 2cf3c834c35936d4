"""How a plain file field travels between hubs: as a content-addressed blob.

A domain app registers a ``models.FileField`` (a regulation's PDF, a lesson's video) with
``files={"pdf": FileFieldAdapter(sha_field="pdf_sha256", size_field="pdf_size")}``. The sending
hub names the file by SHA-256; the receiving hub gets the record at once and the file when its
blob arrives (big media waits for the bulk window). Until then the field is empty and the
optional ``sha_field`` / ``size_field`` say what is coming, so a page can show "arrives after
tonight's sync" instead of a broken player.

This module uses only the engine's public API (``hub.sync.registry``).
"""

import hashlib
import mimetypes
import os
import re
from collections.abc import Callable
from typing import BinaryIO

from django.core.files import File

from hub.sync.registry import FileAdapter

CHUNK = 1024 * 1024

# The types a received file may be stored as, each with the one extension it gets. The
# extension is what a web server serves the file by, so it never comes from the sender's name:
# a type outside this table is stored as ``.bin`` (served as application/octet-stream).
STORED_EXTENSIONS = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "audio/mpeg": "mp3",
    "audio/ogg": "oga",
    "audio/mp4": "m4a",
    "video/mp4": "mp4",
    "video/webm": "webm",
    "video/ogg": "ogv",
    "text/vtt": "vtt",
    "text/plain": "txt",
    "text/csv": "csv",
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
}
UNKNOWN_EXTENSION = "bin"

# Magic numbers of the formats above: (offset, bytes, the types those bytes may be). Where one
# container holds several types (MP4, Ogg, ZIP), the declared type picks among them.
_ZIP_TYPES = (
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/zip",
)
_MAGIC = (
    (0, b"%PDF-", ("application/pdf",)),
    (0, b"GIF87a", ("image/gif",)),
    (0, b"GIF89a", ("image/gif",)),
    (0, b"\x89PNG\r\n\x1a\n", ("image/png",)),
    (0, b"\xff\xd8\xff", ("image/jpeg",)),
    (8, b"WEBP", ("image/webp",)),
    (4, b"ftyp", ("video/mp4", "audio/mp4")),
    (0, b"\x1aE\xdf\xa3", ("video/webm",)),
    (0, b"OggS", ("audio/ogg", "video/ogg")),
    (0, b"ID3", ("audio/mpeg",)),
    (0, b"\xff\xfb", ("audio/mpeg",)),
    (0, b"WEBVTT", ("text/vtt",)),
    (0, b"\xef\xbb\xbfWEBVTT", ("text/vtt",)),
    (0, b"PK\x03\x04", _ZIP_TYPES),
)
_SHA256_RE = re.compile(r"[0-9a-f]{64}")


def hash_name(sha: str) -> str:
    """``sha`` when it is a SHA-256 hex digest, else ValueError: it becomes a file name."""
    if not isinstance(sha, str) or not _SHA256_RE.fullmatch(sha):
        raise ValueError("not a SHA-256 hex digest")
    return sha


def sniffed_types(handle: BinaryIO) -> tuple[str, ...]:
    """The types the file's first bytes say it may be (empty: not recognised); the handle is
    left at its start."""
    handle.seek(0)
    head = handle.read(16)
    handle.seek(0)
    for offset, magic, kinds in _MAGIC:
        if head[offset : offset + len(magic)] == magic:
            return kinds
    return ()


def stored_type(declared: str, handle: BinaryIO | None) -> str:
    """The type a received file is stored as: what its bytes are when they say so (the declared
    type choosing inside a container format), else what the sender declared."""
    if handle is None:
        return declared
    kinds = sniffed_types(handle)
    if not kinds:
        return declared
    return declared if declared in kinds else kinds[0]


def stored_name(sha: str, kind: str) -> str:
    """``<sha256>.<extension of kind>``: the name a received file is stored under."""
    return f"{hash_name(sha)}.{STORED_EXTENSIONS.get(kind, UNKNOWN_EXTENSION)}"


def file_sha256(handle: BinaryIO) -> tuple[str, int]:
    """The SHA-256 (hex) and size of an open file, read in chunks from its start."""
    digest = hashlib.sha256()
    size = 0
    handle.seek(0)
    while chunk := handle.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    handle.seek(0)
    return digest.hexdigest(), size


def safe_name(name: str, default: str = "berkas") -> str:
    """A bare file name from a peer's metadata: no directories, no leading dots, ≤ 100 chars."""
    base = os.path.basename(str(name or "").replace("\\", "/")).lstrip(".")
    return base[-100:] or default


class FileFieldAdapter(FileAdapter):
    """A ``FileField`` travels as its file's SHA-256, size, bare name and content type.

    The receiver stores the file as ``<sha256>.<ext>``, the extension from the type its bytes
    show (else the declared one) through :data:`STORED_EXTENSIONS`: never the sender's name.

    ``sha_field`` / ``size_field`` name optional model fields that keep the hash and size: the
    sender then hashes a file once, and on the receiver they hold what is expected while the
    blob is on its way (the file field itself stays empty). ``content_types`` limits what is
    accepted by the name's type (empty: anything); ``max_size`` limits the size; ``validate``
    may look at the bytes (e.g. a PDF's magic number) and raise ``ValueError``. A refused file
    refuses the record, with the reason, and nothing is stored.
    """

    def __init__(
        self,
        *,
        sha_field: str | None = None,
        size_field: str | None = None,
        content_types: tuple[str, ...] = (),
        max_size: int | None = None,
        validate: Callable[[BinaryIO], None] | None = None,
    ):
        self.sha_field = sha_field
        self.size_field = size_field
        self.content_types = tuple(content_types)
        self.max_size = max_size
        self.validate = validate

    def to_wire(self, obj, field_name):
        fieldfile = getattr(obj, field_name)
        if not fieldfile:
            return None
        sha = getattr(obj, self.sha_field, "") if self.sha_field else ""
        size = getattr(obj, self.size_field, None) if self.size_field else None
        if not sha or size != fieldfile.size:
            # never hashed here, or the file was replaced since (a service replacing a file
            # should clear the hash field too: a same-size replacement is not seen here)
            with fieldfile.open("rb") as handle:
                sha, size = file_sha256(handle)
            self._remember(obj, sha, size)
        name = safe_name(fieldfile.name)
        return {
            "sha256": sha,
            "size": size,
            "meta": {"name": name, "type": mimetypes.guess_type(name)[0] or ""},
        }

    def open(self, obj, field_name):
        return getattr(obj, field_name).open("rb")

    def referring(self, model, field_name, sha):
        if not self.sha_field:
            return super().referring(model, field_name, sha)
        # a record whose file is still on its way refers to it too
        return model._base_manager.filter(**{self.sha_field: sha})

    def shas(self, model, field_name):
        if not self.sha_field:
            return super().shas(model, field_name)
        found = model._base_manager.values_list(self.sha_field, flat=True)
        return set(found) - {"", None}

    def attach(self, obj, field_name, ref, blob):
        fieldfile = getattr(obj, field_name)
        if ref is None:
            setattr(obj, field_name, "")
            self._set(obj, "", None)
            return
        meta = ref.get("meta") if isinstance(ref.get("meta"), dict) else {}
        name = safe_name(meta.get("name"))
        sha, size = hash_name(str(ref["sha256"])), ref.get("size")
        declared = str(meta.get("type") or "") or mimetypes.guess_type(name)[0] or ""
        self._check_type(name, declared)
        if self.max_size is not None and isinstance(size, int) and size > self.max_size:
            raise ValueError(f"{name}: {size} bytes, more than {self.max_size}")
        if blob is None:
            # on its way: nothing to show yet, but the page can say what is coming
            setattr(obj, field_name, "")
            self._set(obj, sha, size)
            return
        current = getattr(obj, self.sha_field, "") if self.sha_field else ""
        if fieldfile and current == sha:
            return
        kind = stored_type(declared, blob)
        self._check_type(name, kind)
        if self.validate is not None:
            blob.seek(0)
            self.validate(blob)
            blob.seek(0)
        stored = stored_name(sha, kind)
        fieldfile.save(stored, File(blob, name=stored), save=False)
        self._set(obj, sha, size)

    def _check_type(self, name: str, kind: str) -> None:
        if not self.content_types:
            return
        if kind not in self.content_types:
            raise ValueError(f"{name}: {kind or 'unknown type'} is not accepted here")

    def _set(self, obj, sha: str, size: int | None) -> None:
        if self.sha_field:
            setattr(obj, self.sha_field, sha)
        if self.size_field:
            setattr(obj, self.size_field, size)

    def _remember(self, obj, sha: str, size: int) -> None:
        """Keep the hash on the sender's row so the file is read once, not on every push."""
        if not (self.sha_field or self.size_field) or getattr(obj, "pk", None) is None:
            return
        self._set(obj, sha, size)
        values = {}
        if self.sha_field:
            values[self.sha_field] = sha
        if self.size_field:
            values[self.size_field] = size
        type(obj)._base_manager.filter(pk=obj.pk).update(**values)
