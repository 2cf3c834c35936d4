"""Reading the journal: push batches (a village's own changes) and feed pages (the upstream's
changes for one village), coalesced to the latest version of each record and bounded in bytes;
the files those changes refer to, and how many changes still wait to go up."""

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum

from .. import blobs
from ..core.identity import audience_prefixes
from ..core.specs import spec_for
from ..models import BlobUpload, JournalEntry, Tombstone
from ..wire.codec import dumps, record_to_wire, tombstone_to_wire

CHUNK = 500
logger = logging.getLogger(__name__)


@dataclass
class Page:
    after: int
    to: int
    items: list[bytes] = field(default_factory=list)
    blob_refs: list[dict] = field(default_factory=list)
    more: bool = False
    raw_bytes: int = 0

    @property
    def count(self) -> int:
        return len(self.items)


def _serialize_rows(
    rows, *, audience: bool = False
) -> Iterator[tuple[int, bytes | None, list[dict]]]:
    """(seq, encoded record or None, blob refs) for journal rows, loading records in bulk.

    With ``audience``, each item carries its journal row's audience as ``"a"`` (what the
    upstream sends down): the village drops an item not addressed to it.
    """
    by_model: dict[str, set] = {}
    for row in rows:
        by_model.setdefault(row.model, set()).add(row.uid)
    objects = {}
    tombs = {}
    for label, uids in by_model.items():
        spec = spec_for(label)
        if spec is None:
            continue
        for obj in spec.model._base_manager.filter(pk__in=uids):
            objects[(label, obj.pk)] = (spec, obj)
        for tomb in Tombstone.objects.filter(model=label, uid__in=uids):
            tombs[(label, tomb.uid)] = tomb
    for row in rows:
        key = (row.model, row.uid)
        if key in objects:
            spec, obj = objects[key]
            data = record_to_wire(obj, spec)
            if audience:
                data["a"] = row.audience
            refs = [
                {
                    **ref,
                    "priority": spec.blob_priority,
                    "model": spec.label,
                    "uid": str(obj.pk),
                    "field": name,
                }
                for name, ref in (data.get("b") or {}).items()
                if ref
            ]
            yield row.seq, dumps(data), refs
        elif key in tombs:
            data = tombstone_to_wire(tombs[key])
            if audience:
                data["a"] = row.audience
            yield row.seq, dumps(data), []
        else:
            yield row.seq, None, []


def _page(queryset, *, after: int, max_bytes: int, audience: bool = False) -> Page:
    page = Page(after=after, to=after)
    seen: set = set()
    cursor = after
    while True:
        rows = list(queryset.filter(seq__gt=cursor).order_by("seq")[:CHUNK])
        if not rows:
            return page
        # rows of the same record inside this chunk: only the last one is serialized
        last = {}
        for row in rows:
            last[(row.model, row.uid)] = row.seq
        wanted = [
            r for r in rows if last[(r.model, r.uid)] == r.seq and (r.model, r.uid) not in seen
        ]
        encoded = {
            seq: (data, refs) for seq, data, refs in _serialize_rows(wanted, audience=audience)
        }
        for row in rows:
            key = (row.model, row.uid)
            if key in seen:
                # Changed again after its content was read for an earlier chunk of this page: a
                # writer may have committed in between, so that content can be older than this
                # row. Skipping the row would move the checkpoint past the change; the page ends
                # before it instead, and the next page reads the record again.
                page.more = True
                return page
            if row.seq in encoded:
                data, refs = encoded[row.seq]
                if data is not None:
                    if page.items and page.raw_bytes + len(data) > max_bytes:
                        page.more = True
                        return page
                    page.items.append(data)
                    page.blob_refs.extend(refs)
                    page.raw_bytes += len(data) + 1
                seen.add(key)
            page.to = row.seq
        cursor = rows[-1].seq
        if len(rows) < CHUNK:
            return page


def push_batch(*, me: str, after: int, max_bytes: int) -> Page:
    """Our own changes after the acknowledged seq."""
    return _page(JournalEntry.objects.filter(origin=me), after=after, max_bytes=max_bytes)


def feed_query(village_code: str):
    return JournalEntry.objects.filter(audience__in=audience_prefixes(village_code)).exclude(
        origin=village_code
    )


def feed_page(*, village_code: str, after: int, max_bytes: int) -> Page:
    """The upstream's changes that concern one village."""
    return _page(feed_query(village_code), after=after, max_bytes=max_bytes, audience=True)


def scope_page(*, prefix: str, after: int, max_bytes: int) -> Page:
    """Every change addressed to a whole region within ``prefix`` or around it (bundles for
    many villages): audiences ``""``, a province, a kabupaten or a kecamatan, never a single
    village's. What is addressed to one village (an outside buyer's order request, with the
    buyer's name and phone) goes to it alone, over the link or in a bundle made ``for_node``;
    a region bundle is copied to many hubs, a USB stick and the Ansible controller."""
    audience = Q(audience="") | Q(audience__regex=r"^([0-9]{2}|[0-9]{4}|[0-9]{6})$")
    if prefix:
        audience &= (
            Q(audience="")
            | Q(audience__startswith=prefix)
            | Q(audience__in=[prefix[:n] for n in (2, 4, 6) if n < len(prefix)])
        )
    return _page(
        JournalEntry.objects.filter(audience), after=after, max_bytes=max_bytes, audience=True
    )


def ingest_refs(refs: list[dict]) -> list[dict]:
    """Make sure the files behind these blob refs are in the blob store (hard-linked or copied
    from where the domain keeps them), so the other side can fetch them by hash. Returns the
    refs whose blob is now in the store."""
    stored = []
    for ref in refs:
        sha = ref.get("sha256")
        if not sha:
            continue
        if not blobs.has(sha):
            spec = spec_for(ref["model"])
            obj = spec.model._base_manager.filter(pk=ref["uid"]).first() if spec else None
            if obj is None:
                continue
            try:
                with spec.files[ref["field"]].open(obj, ref["field"]) as handle:
                    blobs.put_stream(handle, expected_sha=sha)
            except (OSError, blobs.BlobError, blobs.HashMismatch) as exc:
                logger.warning("sync: file of %s %s unreadable: %s", ref["model"], ref["uid"], exc)
                continue
        stored.append(ref)
    return stored


def ingest_upload_refs(refs: list[dict]) -> None:
    """Copy the files of pushed records into the blob store and queue them for upload."""
    for ref in ingest_refs(refs):
        BlobUpload.objects.get_or_create(
            sha256=ref["sha256"],
            defaults={"size": int(ref.get("size") or 0), "priority": ref.get("priority", 5)},
        )


def backlog_figures(me: str, after: int) -> dict:
    """What still waits to go up: our records changed after ``after`` and the queued files."""
    rows = JournalEntry.objects.filter(origin=me, seq__gt=after)
    figures = rows.aggregate(n=Count("seq"))
    records = rows.values("model", "uid").distinct().count() if figures["n"] else 0
    uploads = BlobUpload.objects.aggregate(n=Count("id"), size=Sum("size"))
    return {
        "records": records,
        "blobs": uploads["n"] or 0,
        "blob_bytes": uploads["size"] or 0,
    }
