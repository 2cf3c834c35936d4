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
from collections.abc import Callable
from typing import BinaryIO

from django.core.files import File

from hub.sync.registry import FileAdapter

CHUNK = 1024 * 1024


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

    def attach(self, obj, field_name, ref, blob):
        fieldfile = getattr(obj, field_name)
        if ref is None:
            setattr(obj, field_name, "")
            self._set(obj, "", None)
            return
        meta = ref.get("meta") if isinstance(ref.get("meta"), dict) else {}
        name = safe_name(meta.get("name"))
        sha, size = str(ref["sha256"]), ref.get("size")
        self._check_name(name)
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
        if self.validate is not None:
            blob.seek(0)
            self.validate(blob)
            blob.seek(0)
        fieldfile.save(name, File(blob, name=name), save=False)
        self._set(obj, sha, size)

    def _check_name(self, name: str) -> None:
        if not self.content_types:
            return
        kind = mimetypes.guess_type(name)[0]
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
