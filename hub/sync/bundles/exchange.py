"""Bundles: the sync engine's changes and blobs carried in a signed file instead of the link.

A bundle goes one of two ways, written in its signed ``meta``:

- **down** (made on the upstream): content for villages, either one village's own feed
  (``for_node``, the same pages a network pull would get) or every change whose audience lies
  within a region prefix (``scope``: what Ansible pushes to many hubs);
- **up** (made on a village): the village's changes the upstream has not acknowledged yet, with
  their files and every file still waiting to be uploaded (big media that waits for the quota
  is exactly what a technician's USB stick is good for).

Importing verifies the whole file first (:func:`.container.open_bundle`), then stores the blobs,
then applies each page through :func:`hub.sync.changes.apply.changes_apply`, the code the network
path uses, so a bundle can do nothing a signed push or pull could not. A village trusts only its
pinned upstream; the upstream trusts only enrolled, non-revoked villages. Records carry revs, so
importing a bundle twice, or getting the same changes again over the link, changes nothing.

The container (tar layout, signature, limits) is :mod:`.container`.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from hub.core.regions import REGION_PREFIX_RE
from hub.core.roles import is_upstream

from .. import blobs
from ..blobs.streams import CountingStream
from ..changes.apply import blob_arrived, changes_apply
from ..changes.feed import feed_page, ingest_refs, ingest_upload_refs, push_batch, scope_page
from ..core.identity import REGION_CODE_RE, VILLAGE_CODE_RE, require_node_code
from ..core.journal import adopt_unowned
from ..models import BlobUpload, Node, SyncState
from ..wire.codec import WireError, decode_page, encode_page
from ..wire.errors import CorruptPage
from .container import open_bundle, write_bundle
from .errors import BundleRefused

logger = logging.getLogger(__name__)

DOWN = "down"
UP = "up"
# refusals of single records listed in a summary (all are counted)
REFUSALS_SHOWN = 50

# progress(step, done, total): step is "changes", "blobs", "verify" or "apply"; total is None
# when it is not known in advance.
Progress = Callable[[str, int, int | None], None]


class BundleExportError(ValueError):
    """Options that make no bundle: a scope on a village, a malformed village code."""


class WrongDirection(BundleRefused):
    """An "up" bundle brought to a village, or a "down" bundle brought to the upstream."""

    code = "wrong_direction"


class SignerRevoked(BundleRefused):
    code = "signer_revoked"


class NoUpstreamPinned(BundleRefused):
    code = "no_upstream"


class NotForThisHub(BundleRefused):
    """A bundle made for another village, or for a region this village is not in."""

    code = "not_for_this_hub"


class BadMeta(BundleRefused):
    code = "bad_meta"


class TooOld(BundleRefused):
    """Made before deletions this hub may have forgotten (journal compaction drops tombstones
    older than ``SYNC_TOMBSTONE_KEEP_DAYS``): its records could bring deleted ones back."""

    code = "too_old"


def _check_age(bundle) -> None:
    days = settings.SYNC_TOMBSTONE_KEEP_DAYS
    if bundle.created_at < timezone.now() - timezone.timedelta(days=days):
        raise TooOld(
            f"bundle made {bundle.created_at:%Y-%m-%d}, more than {days} days ago: "
            "deletions since then may be forgotten here; export a new one"
        )


# Export -----------------------------------------------------------------------------------------


@dataclass
class _Collected:
    pages: list[bytes] = field(default_factory=list)
    refs: list[dict] = field(default_factory=list)
    records: int = 0
    to: int = 0


def _collect(next_page, *, after: int, progress: Progress | None) -> _Collected:
    """Every page after ``after`` until the journal has no more, each encoded as the network
    encodes it. The compressed pages are kept in memory (each holds at most
    SYNC_PAGE_MAX_BYTES of records before compression): the manifest, which comes first in
    the file, needs their hashes and the final cursor."""
    collected = _Collected(to=after)
    cursor = after
    while True:
        page = next_page(cursor)
        if page.items:
            header = {"page": {"after": page.after, "to": page.to}}
            collected.pages.append(encode_page(header, page.items))
            collected.refs.extend(page.blob_refs)
            collected.records += page.count
            if progress:
                progress("changes", collected.records, None)
        collected.to = cursor = page.to
        if not page.more:
            return collected


class _ByteProgress:
    def __init__(self, step: str, total: int, progress: Progress | None):
        self.step, self.total, self.progress, self.done = step, total, progress, 0
        if progress:
            progress(step, 0, total)

    def __call__(self, n: int) -> None:
        self.done += n
        if self.progress:
            self.progress(self.step, self.done, self.total)


def _normalized_code(text: str | None) -> str:
    return (text or "").strip().replace(".", "")


def bundle_export(
    *,
    path,
    scope: str | None = None,
    after: int | None = None,
    for_node: str | None = None,
    progress: Progress | None = None,
) -> dict:
    """Write a signed bundle at ``path`` and return its summary.

    On the upstream: content going down, one village's feed (``for_node``) or every change for
    the region prefix ``scope`` (default: all of it), after feed seq ``after`` (default 0). On a
    village: its own changes after ``after`` (default: what the upstream has acknowledged; 0
    re-sends everything, e.g. after the upstream was restored from a backup).
    """
    me = require_node_code()
    if after is not None and after < 0:
        raise BundleExportError("after is a journal position: 0 or more")
    max_bytes = settings.SYNC_PAGE_MAX_BYTES
    if is_upstream():
        if scope is not None and for_node is not None:
            raise BundleExportError("give a scope or a village, not both")
        start = after or 0
        if for_node is not None:
            village = _normalized_code(for_node)
            if not VILLAGE_CODE_RE.match(village):
                raise BundleExportError(f"{for_node!r} is not a ten-digit village code")
            scope = None
            collected = _collect(
                lambda cursor: feed_page(village_code=village, after=cursor, max_bytes=max_bytes),
                after=start,
                progress=progress,
            )
        else:
            village = None
            scope = _normalized_code(scope)
            if scope and not REGION_PREFIX_RE.match(scope):
                raise BundleExportError(
                    f"{scope!r} is not a region code (2, 4, 6 or 10 digits, e.g. 63 or 6301)"
                )
            collected = _collect(
                lambda cursor: scope_page(prefix=scope, after=cursor, max_bytes=max_bytes),
                after=start,
                progress=progress,
            )
        # The upstream's own files (a province notice's image) live where Wagtail keeps them
        # until something copies them into the blob store by hash.
        ingest_refs(collected.refs)
        pending = []
        meta = {
            "direction": DOWN,
            "scope": scope,
            "for_node": village,
            "after": start,
            "to": collected.to,
            "records": collected.records,
        }
    else:
        if scope is not None or for_node is not None:
            raise BundleExportError(
                "a village exports only its own changes: --scope and --for are for the upstream"
            )
        adopt_unowned()
        start = SyncState.load().push_seq if after is None else after
        collected = _collect(
            lambda cursor: push_batch(me=me, after=cursor, max_bytes=max_bytes),
            after=start,
            progress=progress,
        )
        # Into the blob store and onto the upload queue, as a push does: the link will still
        # offer them later, and an upstream that already got them from this bundle says so at
        # no cost.
        ingest_upload_refs(collected.refs)
        # and every file still queued for upload, records acknowledged or not: big media waits
        # for the quota and the bulk window, and a stick is how it can travel sooner
        pending = list(
            BlobUpload.objects.order_by("priority", "size").values_list("sha256", flat=True)
        )
        meta = {"direction": UP, "after": start, "to": collected.to, "records": collected.records}

    referenced = list(dict.fromkeys(ref["sha256"] for ref in collected.refs))
    sizes = {}
    for sha in dict.fromkeys([*referenced, *pending]):
        size = blobs.size(sha)
        if size is not None:
            sizes[sha] = size
    # a file this hub lacks (unreadable, deleted): the receiver waits for it over the link
    missing = sum(1 for sha in referenced if sha not in sizes)
    written = _ByteProgress("blobs", sum(sizes.values()), progress if sizes else None)

    def opener(sha):
        return lambda: CountingStream(blobs.open_blob(sha), written)

    manifest = write_bundle(
        path,
        signer=me,
        meta=meta,
        pages=collected.pages,
        blobs=[(sha, size, opener(sha)) for sha, size in sizes.items()],
    )
    return {
        **meta,
        "path": str(path),
        "signer": me,
        "pages": len(collected.pages),
        "blobs": len(sizes),
        "blob_bytes": sum(sizes.values()),
        "blobs_missing": missing,
        "created_at": manifest["created_at"],
    }


# Import -----------------------------------------------------------------------------------------


def _village_trust(state: SyncState) -> Callable[[str], str | None]:
    if not state.upstream_code or not state.upstream_key:
        raise NoUpstreamPinned(
            "this hub has no pinned upstream yet (`manage.py upstream_set`), so it trusts no bundle"
        )

    def trusted_key(signer: str) -> str | None:
        if signer == state.upstream_code:
            return state.upstream_key
        if VILLAGE_CODE_RE.match(signer):
            raise WrongDirection(
                f"this bundle was exported by village {signer} to go up to an upstream; a "
                f"village hub imports only bundles from its upstream ({state.upstream_code})"
            )
        return None

    return trusted_key


def _upstream_trusted_key(signer: str) -> str | None:
    node = Node.objects.filter(code=signer).first()
    if node is None:
        if REGION_CODE_RE.match(signer):
            raise WrongDirection(
                f"this bundle was exported by the upstream {signer} to go down to villages; an "
                "upstream imports only bundles exported by its enrolled villages"
            )
        return None
    if node.revoked_at is not None:
        raise SignerRevoked(
            f"village {signer}'s key was revoked on {node.revoked_at:%Y-%m-%d}: its bundles "
            "are refused (enroll it again with its new key first)"
        )
    return node.public_key


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _checked_meta(meta: dict, *, expected: str) -> dict:
    direction = meta.get("direction")
    if direction != expected:
        raise WrongDirection(
            f"this bundle goes {direction!r}, but this hub only imports bundles going "
            f"{expected!r} ({'from its upstream' if expected == DOWN else 'from villages'})"
        )
    if not all(_whole(meta.get(k)) for k in ("after", "to", "records")) or (
        meta["to"] < meta["after"]
    ):
        raise BadMeta("meta.after, meta.to and meta.records must be whole numbers, after <= to")
    for key in ("scope", "for_node"):
        if meta.get(key) is not None and not (
            isinstance(meta[key], str) and (meta[key] == "" or meta[key].isdigit())
        ):
            raise BadMeta(f"meta.{key} is not a region code")
    return meta


def _check_addressed_to(meta: dict, me: str) -> None:
    for_node = meta.get("for_node")
    if for_node is not None:
        if for_node != me:
            raise NotForThisHub(
                f"this bundle was made for village {for_node}, not for this one ({me}): it holds "
                "what concerns that village only"
            )
    elif not me.startswith(meta.get("scope") or ""):
        raise NotForThisHub(
            f"this bundle was made for region {meta['scope']}; this village ({me}) is not in it"
        )


def _page_ranges(bundle, meta: dict) -> int:
    """Decode every page once before anything is applied and return the number of records.

    The signature proves who wrote the pages, not that they make sense: a page this hub cannot
    read, or cursors out of order, refuse the whole bundle rather than half of it.
    """
    records = 0
    previous = meta["after"]
    for number, data in enumerate(bundle.pages(), start=1):
        try:
            header, items = decode_page(data)
        except WireError as exc:
            raise CorruptPage(f"page {number} is not a page of changes: {exc}") from exc
        page = header.get("page") if isinstance(header.get("page"), dict) else {}
        after, to = page.get("after"), page.get("to")
        if not (_whole(after) and _whole(to) and previous <= after <= to <= meta["to"]):
            raise BadMeta(
                f"page {number} covers {after!r}..{to!r}, outside the bundle's "
                f"{meta['after']}..{meta['to']} or out of order"
            )
        previous = to
        records += len(items)
    return records


def _village_checkpoint(meta: dict, me: str) -> dict:
    """Move the pull cursor if, and only if, this bundle proves the feed is complete up to it.

    Only a bundle made from this village's own feed (``for_node``), starting at or before the
    cursor, proves "every change for this village up to ``to`` is here". A bundle for a region
    is made by another query (every change within the prefix, for all its villages): which
    changes a village's feed holds is the upstream's rule, and if the two ever differ, a cursor
    moved by a region bundle would make this village skip a record forever. Not moving it costs
    only a re-send over the link: those records are skipped by rev and their blobs are here.
    """
    state = SyncState.objects.select_for_update().get(pk=1)
    before = state.pull_cursor
    if meta.get("for_node") == me and meta["after"] <= before < meta["to"]:
        SyncState.objects.filter(pk=1).update(pull_cursor=meta["to"])
        return {"name": "pull_cursor", "before": before, "after": meta["to"]}
    return {"name": "pull_cursor", "before": before, "after": before}


def _upstream_checkpoint(meta: dict, signer: str) -> dict:
    """Record on the village's ``Node`` that its changes up to ``meta.to`` are here.

    The village's own push checkpoint does not move: it moves only on a signed acknowledgement
    over the link, which a file cannot carry back. Its next push re-sends these changes and
    this upstream skips them by rev.
    """
    node = Node.objects.select_for_update().get(code=signer)
    before = node.push_seq
    if meta["after"] <= before < meta["to"]:
        node.push_seq = meta["to"]
        node.save(update_fields=["push_seq"])
    return {"name": "push_seq", "before": before, "after": node.push_seq}


def bundle_import(*, path, progress: Progress | None = None) -> dict:
    """Verify the bundle at ``path``, then store its blobs and apply its changes; the summary.

    Raises :class:`~hub.sync.core.errors.Refused` (a ``BundleRefused``, a ``CorruptPage``, a
    ``HashMismatch``) for a file this hub does not trust or cannot read in full, before
    anything is applied (only a file rewritten on disk during the import can stop it part-way:
    each page is applied in its own transaction, and importing a good copy finishes the job).
    Single records the sender may not write are refused and counted, as over the link, without
    stopping the rest.
    """
    me = require_node_code()
    on_village = not is_upstream()
    trusted_key = _village_trust(SyncState.load()) if on_village else _upstream_trusted_key

    def verifying(done: int, total: int) -> None:
        progress("verify", done, total)

    bundle = open_bundle(path, trusted_key=trusted_key, progress=verifying if progress else None)
    with bundle:
        meta = _checked_meta(dict(bundle.meta), expected=DOWN if on_village else UP)
        _check_age(bundle)
        if on_village:
            _check_addressed_to(meta, me)
        total_records = _page_ranges(bundle, meta)

        # Blobs first: records applied next find their files already here.
        names = bundle.blob_names()
        new = [sha for sha in names if not blobs.has(sha)]
        stored = _ByteProgress(
            "blobs", sum(bundle.blob_size(s) for s in new), progress if new else None
        )
        for sha in new:
            with bundle.open_blob(sha) as stream:
                try:
                    blobs.put_stream(CountingStream(stream, stored), expected_sha=sha)
                except blobs.BlobError as exc:
                    raise BundleRefused(f"blob {sha} cannot be stored here: {exc}") from exc

        summary = {
            "signer": bundle.signer,
            "direction": meta["direction"],
            "scope": meta.get("scope"),
            "for_node": meta.get("for_node"),
            "after": meta["after"],
            "to": meta["to"],
            "created_at": bundle.manifest["created_at"],
            "pages": bundle.page_count,
            "records": total_records,
            "applied": 0,
            "skipped": 0,
            "refused": 0,
            # records whose audience does not cover this village (a bundle for a wider region,
            # or one that should not carry them): dropped, never applied nor held
            "dropped": 0,
            "refusals": [],
            "files_waiting": 0,
            "blobs_new": len(new),
            "blobs_present": len(names) - len(new),
        }
        if progress:
            progress("apply", 0, total_records)
        done = 0
        pages = bundle.page_count
        for number, data in enumerate(bundle.pages(), start=1):
            _header, items = decode_page(data)
            own = 0
            if on_village:
                # A region bundle carries what the upstream relays to the whole region, which
                # may include this village's own records: it has them already (and the apply
                # would refuse them as ours), so they are skipped, not reported as refused.
                kept = [item for item in items if item.get("o") != me]
                own, items = len(items) - len(kept), kept
            with transaction.atomic():
                result = changes_apply(
                    items, sender=bundle.signer, me=me, sender_is_upstream=on_village
                )
                if number == pages:
                    summary["checkpoint"] = _checkpoint(meta, me, bundle.signer, on_village)
            summary["applied"] += result.applied
            summary["skipped"] += result.skipped + own
            summary["refused"] += len(result.refused)
            summary["dropped"] += result.dropped
            summary["files_waiting"] += result.needs
            room = REFUSALS_SHOWN - len(summary["refusals"])
            summary["refusals"] += result.refused[: max(room, 0)]
            done += len(items) + own
            if progress:
                progress("apply", done, total_records)
        if not pages:
            with transaction.atomic():
                summary["checkpoint"] = _checkpoint(meta, me, bundle.signer, on_village)
        # Records that were already waiting for one of these files (from an earlier pull or
        # push whose blob did not make it over the link) get it now.
        summary["attached"] = sum(blob_arrived(sha) for sha in names)
    for refusal in summary["refusals"]:
        logger.warning("sync: bundle from %s: refused %s", summary["signer"], refusal)
    return summary


def _checkpoint(meta: dict, me: str, signer: str, on_village: bool) -> dict:
    if on_village:
        return _village_checkpoint(meta, me)
    return _upstream_checkpoint(meta, signer)
