"""Collecting blobs nothing needs any more, on both roles (the daily housekeeping task).

A blob is kept while a synced record on this node refers to it (each file field's
:meth:`~hub.sync.core.specs.FileAdapter.shas`), a record waits for it (``BlobNeed``), it is
queued to go up (``BlobUpload``), a held change declares it, or it is part-uploaded. Any other
blob is deleted once it is older than ``SYNC_BLOB_GC_GRACE`` (by the time it was stored), so a
blob that arrived just before the record that uses it, or one a record will point at again
after an edit is undone, is not lost; a record's own file stays in the domain's storage, from
which the engine takes it again if it is ever sent.
"""

import logging
import time
from dataclasses import dataclass

from django.conf import settings

from ..core.specs import all_specs
from ..models import BlobNeed, BlobReceipt, BlobUpload, HeldChange
from .store import blob_store

logger = logging.getLogger(__name__)


@dataclass
class Collected:
    blobs: int = 0
    bytes: int = 0
    kept: int = 0

    def as_dict(self) -> dict:
        return {"blobs": self.blobs, "bytes": self.bytes, "kept": self.kept}


def _held_shas() -> set[str]:
    found = set()
    for item in HeldChange.objects.values_list("item", flat=True).iterator():
        refs = item.get("b") if isinstance(item, dict) else None
        for ref in refs.values() if isinstance(refs, dict) else ():
            if isinstance(ref, dict) and isinstance(ref.get("sha256"), str):
                found.add(ref["sha256"])
    return found


def referenced_shas() -> set[str]:
    """Every blob something on this node still needs (see the module's docstring)."""
    found: set[str] = set()
    for spec in all_specs():
        for name, adapter in spec.files.items():
            found |= set(adapter.shas(spec.model, name))
    found |= set(BlobNeed.objects.values_list("sha256", flat=True))
    found |= set(BlobUpload.objects.values_list("sha256", flat=True))
    return found | _held_shas()


def blobs_collect(grace: int | None = None) -> Collected:
    """Delete the blobs nothing needs that are older than ``grace`` seconds (default
    ``SYNC_BLOB_GC_GRACE``); return how many and how many bytes went, and how many stay."""
    grace = settings.SYNC_BLOB_GC_GRACE if grace is None else grace
    if grace < 0:
        raise ValueError("the grace period cannot be negative")
    cutoff = time.time() - grace
    store = blob_store()
    keep = referenced_shas()
    collected = Collected()
    for sha, size, mtime in store.iter_blobs():
        if sha in keep or mtime > cutoff or store.partial_offset(sha):
            collected.kept += 1
            continue
        store.delete(sha)
        BlobReceipt.objects.filter(sha256=sha).delete()
        collected.blobs += 1
        collected.bytes += size
    if collected.blobs:
        logger.info(
            "sync: collected %s unreferenced blobs (%s bytes)", collected.blobs, collected.bytes
        )
    return collected
