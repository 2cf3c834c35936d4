"""Applying changes from another node: the one code path for push, pull and bundles.

Idempotent by ``rev``: a version no newer than the one held (or than its tombstone) is skipped,
so a batch applied twice leaves the same state. A change the sender may not make (it is not the
record's origin, or it would touch one of our own records) is refused and reported, and never
blocks the rest: each record is applied in its own savepoint. A change whose synced foreign key
points at a record not here yet (an order line in a batch before its order, or in an earlier
batch) is held (:class:`~hub.sync.models.HeldChange`) and applied as soon as that record
arrives: neither refused nor lost.
"""

import logging
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.db import DatabaseError, IntegrityError, OperationalError, models, transaction

from hub.core.tasks_backend import defer_search_index, deferred_index

from .. import blobs
from ..core.journal import applying, journal_locked_batch, local_only
from ..core.specs import records_applied, spec_for
from ..models import BlobNeed, HeldChange, JournalEntry, Tombstone
from ..wire.codec import WireError, field_from_wire

logger = logging.getLogger(__name__)


@dataclass
class ApplyResult:
    applied: int = 0
    skipped: int = 0
    refused: list[dict] = field(default_factory=list)
    # records applied whose files have not arrived yet
    needs: int = 0
    # changes kept until a record they refer to arrives (see HeldChange)
    held: int = 0

    def as_dict(self) -> dict:
        return {
            "applied": self.applied,
            "skipped": self.skipped,
            "refused": self.refused,
        }


# rev is a PositiveIntegerField: what every database's integer column holds
MAX_REV = 2**31 - 1


class RecordRefused(Exception):
    """One change the sender may not make, or that makes no sense: reported, never applied
    (the rest of the batch goes on)."""


class NotYet(Exception):
    """The change refers to a record that has not arrived: hold it, do not refuse it."""


def _synced_fks(spec) -> list:
    return [
        f
        for f in spec.wire_fields()
        if isinstance(f, models.ForeignKey) and spec_for(f.related_model) is not None
    ]


def dependency_rank(label: str, _seen: frozenset = frozenset()) -> int:
    """0 for a model whose synced foreign keys point nowhere; else one more than the deepest
    model it points to. Applying a batch in this order puts an order before its lines."""
    spec = spec_for(label)
    if spec is None or label in _seen:
        return 0
    targets = {spec_for(f.related_model).label for f in _synced_fks(spec)} - {label}
    return max((1 + dependency_rank(t, _seen | {label}) for t in targets), default=0)


def _check_item(item: dict):
    spec = spec_for(str(item.get("m", "")))
    if spec is None:
        raise RecordRefused("unknown model")
    try:
        uid = uuid.UUID(str(item.get("id")))
    except ValueError as exc:
        raise RecordRefused("bad id") from exc
    origin, rev = item.get("o"), item.get("r")
    if not isinstance(origin, str) or not origin or len(origin) > 10:
        raise RecordRefused("bad origin")
    if not isinstance(rev, int) or isinstance(rev, bool) or not 1 <= rev <= MAX_REV:
        raise RecordRefused("bad rev")
    version = item.get("v", 1)
    if not isinstance(version, int) or isinstance(version, bool):
        raise RecordRefused("bad schema version")
    if version > spec.version:
        raise RecordRefused(
            f"schema version {item.get('v')} is newer than this hub's {spec.version}"
        )
    return spec, uid, origin, rev


def sender_may_write(*, sender: str, origin: str, me: str, sender_is_upstream: bool) -> str | None:
    """None when allowed, else the reason. A village may only send its own records; the
    upstream relays any record except the receiving village's own."""
    if origin == me:
        return "record belongs to the receiving node"
    if not sender_is_upstream and origin != sender:
        return "sender is not the record's origin"
    return None


def _fill(obj, spec, fields: dict, origin: str, rev: int) -> None:
    """Set the record's fields from the wire; fields this hub's schema lacks (a newer minor
    version) are ignored."""
    by_attname = {f.attname: f for f in spec.wire_fields()}
    for attname, value in fields.items():
        f = by_attname.get(attname)
        if f is not None:
            setattr(obj, attname, field_from_wire(f, value))
    obj.origin, obj.rev = origin, rev


def item_apply(item: dict, *, sender: str, me: str, sender_is_upstream: bool, result) -> None:
    spec, uid, origin, rev = _check_item(item)
    reason = sender_may_write(
        sender=sender, origin=origin, me=me, sender_is_upstream=sender_is_upstream
    )
    if reason:
        raise RecordRefused(reason)
    model = spec.model
    tomb = Tombstone.objects.filter(model=spec.label, uid=uid).first()
    if tomb is not None and tomb.rev >= rev:
        result.skipped += 1
        return
    obj = model._base_manager.filter(pk=uid).first()
    if obj is not None and obj.origin != origin:
        raise RecordRefused("record has another origin here")
    if obj is not None and obj.rev >= rev:
        result.skipped += 1
        return
    if item.get("d"):
        if obj is not None:
            obj.rev = rev
            with applying():
                obj.delete()
        else:
            Tombstone.objects.update_or_create(
                model=spec.label, uid=uid, defaults={"origin": origin, "rev": rev}
            )
        result.applied += 1
        return
    fields = item.get("f")
    if not isinstance(fields, dict):
        raise RecordRefused("no fields")
    if obj is None:
        obj = model(pk=uid)
    _fill(obj, spec, fields, origin, rev)
    for f in _synced_fks(spec):
        target = getattr(obj, f.attname)
        if target is not None and not f.related_model._base_manager.filter(pk=target).exists():
            raise NotYet(f"{spec_for(f.related_model).label} {target}")
    pending = []
    refs = item.get("b") or {}
    if not isinstance(refs, dict):
        raise RecordRefused("b is not an object")
    for name, adapter in spec.files.items():
        ref = refs.get(name)
        if ref is not None:
            size = ref.get("size", 0) if isinstance(ref, dict) else None
            if type(size) is not int or not 0 <= size <= settings.SYNC_BLOB_MAX_BYTES:
                raise RecordRefused(
                    f"{name}: a file is {{sha256, size, meta}} with a size in range"
                )
            sha = blobs.validate_sha256(str(ref.get("sha256", "")))
            if blobs.has(sha):
                with blobs.open_blob(sha) as handle:
                    adapter.attach(obj, name, ref, handle)
            else:
                adapter.attach(obj, name, ref, None)
                pending.append((name, sha, ref))
        else:
            adapter.attach(obj, name, None, None)
    try:
        with applying():
            obj.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise RecordRefused(f"invalid: {exc.messages[:3]}") from exc
    with applying():
        obj.save()
    BlobNeed.objects.filter(model=spec.label, uid=uid).exclude(
        field__in=[name for name, _sha, _ref in pending]
    ).delete()
    for name, sha, ref in pending:
        BlobNeed.objects.update_or_create(
            model=spec.label,
            uid=uid,
            field=name,
            defaults={
                "sha256": sha,
                "size": ref.get("size", 0),
                "ref": ref,
                "priority": spec.blob_priority,
            },
        )
        result.needs += 1
    HeldChange.objects.filter(model=spec.label, uid=uid, rev__lte=rev).delete()
    result.applied += 1


def changes_apply(items, *, sender: str, me: str, sender_is_upstream: bool) -> ApplyResult:
    """Apply a page or batch; call inside the transaction that also moves the checkpoint.

    New records without files or references go in bulk (one INSERT per model and chunk, the
    journal likewise); everything else one by one in a savepoint of its own, parents before
    children; then the held changes whose records have arrived.
    """
    result = ApplyResult()
    applied: dict = {}
    with deferred_index(), journal_locked_batch():
        rest = _insert_in_bulk(
            items,
            sender=sender,
            me=me,
            sender_is_upstream=sender_is_upstream,
            result=result,
            applied=applied,
        )
        _apply_items(
            rest,
            sender=sender,
            me=me,
            sender_is_upstream=sender_is_upstream,
            result=result,
            applied=applied,
        )
        if items:
            # what arrived may be what a held change waited for
            _held_retry(me=me, result=result)
        for model, pks in applied.items():
            records_applied.send(sender=model, pks=pks)
    return result


def _refuse(result, item, reason) -> None:
    result.refused.append({"id": str(item.get("id", ""))[:40], "reason": str(reason)[:200]})


def _insert_in_bulk(items, *, sender, me, sender_is_upstream, result, applied) -> list:
    """Insert brand-new plain records in bulk; return the items that need the careful path."""
    rest, fresh = [], {}
    for item in items:
        try:
            spec, uid, origin, _rev = _check_item(item)
            reason = sender_may_write(
                sender=sender, origin=origin, me=me, sender_is_upstream=sender_is_upstream
            )
            if reason:
                raise RecordRefused(reason)
        except RecordRefused as exc:
            _refuse(result, item, exc)
            continue
        refs = item.get("b") or {}
        if item.get("d") or not isinstance(refs, dict) or any(refs.values()):
            rest.append(item)
        else:
            fresh.setdefault(spec.label, []).append((spec, uid, item))
    for label, entries in fresh.items():
        spec = entries[0][0]
        model = spec.model
        uids = [uid for _spec, uid, _item in entries]
        known = set(model._base_manager.filter(pk__in=uids).values_list("pk", flat=True))
        known |= set(
            Tombstone.objects.filter(model=label, uid__in=uids).values_list("uid", flat=True)
        )
        synced_fks = _synced_fks(spec)
        objs, their_items = [], []
        for _spec, uid, item in entries:
            fields = item.get("f")
            if uid in known or not isinstance(fields, dict):
                rest.append(item)
                continue
            if any(fields.get(f.attname) is not None for f in synced_fks):
                rest.append(item)
                continue
            obj = model(pk=uid)
            try:
                _fill(obj, spec, fields, item["o"], item["r"])
                for name, adapter in spec.files.items():
                    adapter.attach(obj, name, None, None)
                with applying():
                    obj.full_clean(validate_unique=False, validate_constraints=False)
            except (WireError, ValidationError, ValueError, TypeError) as exc:
                _refuse(result, item, f"invalid: {exc}")
                continue
            objs.append(obj)
            their_items.append(item)
        if not objs:
            continue
        try:
            with transaction.atomic():
                model._base_manager.bulk_create(objs, batch_size=500)
                JournalEntry.objects.bulk_create(
                    [
                        JournalEntry(
                            model=label,
                            uid=obj.pk,
                            rev=obj.rev,
                            origin=obj.origin,
                            audience=spec.audience(obj),
                        )
                        for obj in objs
                    ],
                    batch_size=500,
                )
        except OperationalError:
            raise  # locked, deadlocked, disk full: fail the batch, it comes again
        except (IntegrityError, DatabaseError) as exc:
            logger.info("sync: bulk insert of %s fell back to one by one: %s", label, exc)
            rest.extend(their_items)
            continue
        for obj in objs:
            defer_search_index(obj)
        applied.setdefault(model, []).extend(obj.pk for obj in objs)
        result.applied += len(objs)
    return rest


def _item_label(item) -> str:
    return str(item.get("m", "")) if isinstance(item, dict) else ""


def _apply_one(item, *, sender, me, sender_is_upstream, result) -> bool:
    """Apply one item in a savepoint; False when it must wait for a record it refers to."""
    try:
        with transaction.atomic():
            item_apply(
                item,
                sender=sender,
                me=me,
                sender_is_upstream=sender_is_upstream,
                result=result,
            )
    except NotYet as exc:
        return _hold(item, sender=sender, sender_is_upstream=sender_is_upstream, reason=exc)
    except (RecordRefused, WireError, blobs.BlobError) as exc:
        _refuse(result, item, exc)
    except OperationalError:
        raise  # locked, deadlocked, disk full: not the record's fault; the batch comes again
    except (
        IntegrityError,
        ValidationError,
        SuspiciousOperation,  # a file name the storage refuses, from a FileAdapter
        ValueError,
        TypeError,
        DatabaseError,
    ) as exc:
        logger.warning("sync: refused %s from %s: %s", item.get("id"), sender, exc)
        _refuse(result, item, "not applicable")
    return True


def _hold(item, *, sender, sender_is_upstream, reason) -> bool:
    """Keep a change that waits for another record (the newest rev of it, once)."""
    spec, uid, _origin, rev = _check_item(item)
    held = HeldChange.objects.filter(model=spec.label, uid=uid).first()
    if held is None or held.rev < rev:
        HeldChange.objects.update_or_create(
            model=spec.label,
            uid=uid,
            defaults={
                "rev": rev,
                "sender": sender,
                "sender_is_upstream": sender_is_upstream,
                "item": item,
                "waiting_for": str(reason)[:200],
            },
        )
    return False


def _apply_items(items, *, sender, me, sender_is_upstream, result, applied) -> None:
    # parents before children (an order before its lines), in arrival order otherwise
    ranked = sorted(items, key=lambda item: dependency_rank(_item_label(item)))
    for item in ranked:
        if not _apply_one(
            item, sender=sender, me=me, sender_is_upstream=sender_is_upstream, result=result
        ):
            result.held += 1


def _held_retry(*, me: str, result) -> None:
    """Apply the held changes whose records have now arrived, until none moves."""
    while True:
        moved = 0
        held = sorted(
            HeldChange.objects.order_by("held_at", "pk"),
            key=lambda h: dependency_rank(h.model),
        )
        for change in held:
            if _apply_one(
                change.item,
                sender=change.sender,
                me=me,
                sender_is_upstream=change.sender_is_upstream,
                result=result,
            ):
                # applied, skipped or refused for good: it waits no longer
                HeldChange.objects.filter(pk=change.pk).delete()
                moved += 1
        if not moved:
            return


def blob_arrived(sha: str) -> int:
    """Attach a blob that just arrived to every record waiting for it (local-only saves)."""
    attached = 0
    for need in BlobNeed.objects.filter(sha256=sha):
        spec = spec_for(need.model)
        obj = spec.model._base_manager.filter(pk=need.uid).first() if spec else None
        if obj is not None:
            adapter = spec.files.get(need.field)
            if adapter is not None:
                with transaction.atomic(), blobs.open_blob(sha) as handle, local_only():
                    adapter.attach(obj, need.field, need.ref, handle)
                    obj.save()
                attached += 1
        need.delete()
    return attached
