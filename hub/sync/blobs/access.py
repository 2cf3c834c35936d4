"""Who may move which blob: a blob is reachable only through a record that refers to it.

An enrolled village's key may be stolen; knowing a hash must not be enough to read another
village's photo, nor may the upstream's disk become anyone's free storage. So, on the upstream:

* a village may **download** a blob only when a record visible to it (its own, or one whose
  audience covers it: what its feed carries) refers to it;
* it may **upload** a blob only when a record of its own that the upstream has applied waits
  for it (a :class:`~hub.sync.models.BlobNeed`) or a change of its own held here declares it;
* what it uploaded and is still stored counts against ``SYNC_BLOB_NODE_QUOTA_BYTES``.

Which records refer to a blob comes from each field's
:meth:`~hub.sync.core.specs.FileAdapter.referring`.
"""

from collections.abc import Iterator

from django.conf import settings
from django.db.models import Sum

from ..core.identity import audience_prefixes
from ..core.specs import SyncSpec, all_specs, spec_for
from ..models import BlobNeed, BlobReceipt, HeldChange


class BlobQuotaExceeded(ValueError):
    """The upload would take the village past its blob quota."""


def records_referring(sha: str) -> Iterator[tuple[SyncSpec, object]]:
    """Every synced record on this node whose file field refers to blob ``sha``."""
    for spec in all_specs():
        for name, adapter in spec.files.items():
            for obj in adapter.referring(spec.model, name, sha):
                yield spec, obj


def may_download(node_code: str, sha: str) -> bool:
    """A record the village owns or is addressed to refers to ``sha``."""
    prefixes = set(audience_prefixes(node_code))
    for spec, obj in records_referring(sha):
        if obj.origin == node_code or spec.audience(obj) in prefixes:
            return True
    return False


def uploadable(node_code: str, shas) -> set[str]:
    """Of ``shas``, those a record of the village's, applied here, waits for, or a change of
    its own held here (waiting for another record) declares. A few queries whatever the
    number of hashes (``blobs/missing`` asks about up to 1000)."""
    wanted = set(shas)
    if not wanted:
        return set()
    found: set[str] = set()
    by_model: dict[str, dict] = {}
    for sha, label, uid in BlobNeed.objects.filter(sha256__in=wanted).values_list(
        "sha256", "model", "uid"
    ):
        by_model.setdefault(label, {}).setdefault(uid, set()).add(sha)
    for label, needs in by_model.items():
        spec = spec_for(label)
        if spec is None:
            continue
        own = spec.model._base_manager.filter(pk__in=list(needs), origin=node_code)
        for pk in own.values_list("pk", flat=True):
            found |= needs[pk]
    if wanted - found:
        for item in HeldChange.objects.filter(sender=node_code).values_list("item", flat=True):
            refs = item.get("b") if isinstance(item, dict) else None
            for ref in refs.values() if isinstance(refs, dict) else ():
                if isinstance(ref, dict) and ref.get("sha256") in wanted:
                    found.add(ref["sha256"])
    return found


def may_upload(node_code: str, sha: str) -> bool:
    """The village may send blob ``sha`` (see :func:`uploadable`)."""
    return sha in uploadable(node_code, [sha])


def node_usage(node_code: str) -> int:
    """Bytes of the blobs the village uploaded that are still stored here."""
    return BlobReceipt.objects.filter(node=node_code).aggregate(n=Sum("size"))["n"] or 0


def check_quota(node_code: str, size: int) -> None:
    """BlobQuotaExceeded when one more blob of ``size`` bytes would pass the village's quota."""
    quota = settings.SYNC_BLOB_NODE_QUOTA_BYTES
    used = node_usage(node_code)
    if used + size > quota:
        raise BlobQuotaExceeded(f"blob quota: {used} of {quota} bytes used, {size} more do not fit")


def receipt_record(node_code: str, sha: str, size: int) -> None:
    """Count a finished upload against the village's quota."""
    BlobReceipt.objects.get_or_create(sha256=sha, defaults={"node": node_code, "size": size})
