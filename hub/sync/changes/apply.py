"""Applying changes from another node: the one code path for push, pull and bundles.

Idempotent by ``rev``: a version no newer than the one held (or than its tombstone) is skipped,
so a batch applied twice leaves the same state. A change the sender may not make (it is not the
record's origin, or it would touch one of our own records) is refused and reported, and never
blocks the rest: each record is applied in its own savepoint. A change whose synced foreign key
points at a record not here yet (an order line in a batch before its order, or in an earlier
batch) is held (:class:`~hub.sync.models.HeldChange`) and applied as soon as that record
arrives: neither refused nor lost.

Trust (a stolen village key must reach nothing beyond its own records):

- the model's owner role (``register(owner=…)``): a village cannot write upstream-owned kinds of
  record, the upstream cannot originate village-owned ones;
- a synced foreign key a village sends must point at a record it owns or one addressed to it;
- on a village, a relayed record whose audience does not cover this village is dropped and
  counted (:attr:`ApplyResult.dropped`), never applied nor held: the network feed and a region
  bundle go through this same check;
- held changes are indexed by the record they wait for (only its arrival retries them), capped
  per sender (``SYNC_HELD_MAX_PER_SENDER``) and expired after ``SYNC_HELD_MAX_AGE``.

The one exception to "never our own records": a village restored from a backup gets back the
records the restore took from it (:mod:`hub.sync.village.reseed`). Only pages the upstream signed
as that return are applied with ``returning`` (the journal seq the restore left), and then only
this village's own records, only at a rev above the one held here (or its tombstone's), and never
one changed here since the restore (journaled above that seq).
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.db import DatabaseError, IntegrityError, OperationalError, models, transaction
from django.utils import timezone

from hub.core.tasks_backend import defer_search_index, deferred_index

from .. import blobs
from ..core.identity import audience_prefixes
from ..core.journal import applying, journal_locked_batch, local_only
from ..core.specs import records_applied, spec_for
from ..models import BlobNeed, HeldChange, JournalEntry, SyncState, Tombstone
from ..wire.codec import WireError, field_from_wire
from .rules import (  # noqa: F401 - MAX_REV and sender_may_write are this module's API too
    MAX_REV,
    HeldCapReached,
    NotAddressed,
    NotYet,
    RecordRefused,
    audience_check,
    changed_here_since,
    check_item,
    reference_refusal,
    returned_refusal,
    sender_may_write,
    sender_refusal,
)

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
    # relayed records not addressed to this node: dropped, never applied nor held
    dropped: int = 0
    # held changes tried again because the record they waited for arrived
    retried: int = 0
    # held changes expired (older than SYNC_HELD_MAX_AGE) while this batch was applied
    expired: int = 0
    # records sent back after a restore that were changed here since: this version is kept
    kept: int = 0
    # (label, uid) of every record written: what a held change may be waiting for
    arrived: set = field(default_factory=set, repr=False)
    # active held changes per sender, counted once per batch (the cap)
    held_counts: dict = field(default_factory=dict, repr=False)

    def as_dict(self) -> dict:
        return {
            "applied": self.applied,
            "skipped": self.skipped,
            "refused": self.refused,
        }


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


def _fill(obj, spec, fields: dict, origin: str, rev: int) -> None:
    """Set the record's fields from the wire; fields this hub's schema lacks (a newer minor
    version) are ignored."""
    by_attname = {f.attname: f for f in spec.wire_fields()}
    for attname, value in fields.items():
        f = by_attname.get(attname)
        if f is not None:
            setattr(obj, attname, field_from_wire(f, value))
    obj.origin, obj.rev = origin, rev


def item_apply(
    item: dict,
    *,
    sender: str,
    me: str,
    sender_is_upstream: bool,
    result,
    returning: int | None = None,
) -> None:
    """Apply one change. ``returning``: this is the upstream sending back our own records after
    a restore (the journal seq the restore left, see the module's docstring)."""
    spec, uid, origin, rev = check_item(item)
    if returning is None:
        reason = sender_refusal(
            spec, sender=sender, origin=origin, me=me, sender_is_upstream=sender_is_upstream
        )
    else:
        reason = returned_refusal(spec, origin=origin, me=me)
    if reason:
        raise RecordRefused(reason)
    if returning is not None and changed_here_since(spec.label, uid, me=me, after_seq=returning):
        result.kept += 1
        result.skipped += 1
        return
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
    # our own records coming back are addressed to us by the return itself
    addressed = sender_is_upstream and returning is None
    if item.get("d"):
        if addressed:
            audience_check(item, spec, obj, me=me)
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
    if addressed:
        audience_check(item, spec, obj, me=me)
    for f in _synced_fks(spec):
        target_id = getattr(obj, f.attname)
        if target_id is None:
            continue
        target_spec = spec_for(f.related_model)
        target = f.related_model._base_manager.filter(pk=target_id).first()
        if target is None:
            raise NotYet(target_spec.label, target_id)
        if not sender_is_upstream:
            refusal = reference_refusal(target, target_spec, sender)
            if refusal:
                raise RecordRefused(f"{f.name}: {refusal}")
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
    if pending:
        # The blob may arrive while this change is applied (a request cut on the village's side
        # goes on here while the village's next run uploads the file): that upload's
        # blob_arrived ran before this need was committed and attached nothing. Once committed,
        # a blob already stored is attached here instead of waiting for an upload that never
        # comes again.
        shas = {sha for _name, sha, _ref in pending}

        def attach_what_arrived():
            for sha in shas:
                if blobs.has(sha):
                    blob_arrived(sha)

        transaction.on_commit(attach_what_arrived)
        result.needs += 1
    HeldChange.objects.filter(model=spec.label, uid=uid, rev__lte=rev).delete()
    result.arrived.add((spec.label, uid))
    result.applied += 1


def changes_apply(
    items, *, sender: str, me: str, sender_is_upstream: bool, returning: int | None = None
) -> ApplyResult:
    """Apply a page or batch; call inside the transaction that also moves the checkpoint.

    New records without files or references go in bulk (one INSERT per model and chunk, the
    journal likewise); everything else one by one in a savepoint of its own, parents before
    children; then the held changes whose records have arrived. ``returning``: a page of our own
    records the upstream sends back after a restore (:func:`item_apply`); all one by one.
    """
    result = ApplyResult()
    applied: dict = {}
    if sender_is_upstream:
        items = _addressed_items(items, me=me, result=result)
    with deferred_index(), journal_locked_batch():
        result.expired = held_expire()
        if returning is None:
            rest = _insert_in_bulk(
                items,
                sender=sender,
                me=me,
                sender_is_upstream=sender_is_upstream,
                result=result,
                applied=applied,
            )
        else:
            rest = items
        _apply_items(
            rest,
            sender=sender,
            me=me,
            sender_is_upstream=sender_is_upstream,
            result=result,
            applied=applied,
            returning=returning,
        )
        # what arrived may be what a held change waited for (only those are tried again)
        _held_retry(me=me, result=result)
        for model, pks in applied.items():
            records_applied.send(sender=model, pks=pks)
    return result


def _refuse(result, item, reason) -> None:
    result.refused.append({"id": str(item.get("id", ""))[:40], "reason": str(reason)[:200]})


def _addressed_items(items, *, me: str, result) -> list:
    """Drop (and count) relayed items whose stated audience does not cover this village; the
    rest are checked again against their own audience once their fields are read."""
    mine = audience_prefixes(me)
    kept = []
    for item in items:
        if isinstance(item, dict) and "a" in item and item["a"] not in mine:
            result.dropped += 1
        else:
            kept.append(item)
    return kept


def _insert_in_bulk(items, *, sender, me, sender_is_upstream, result, applied) -> list:
    """Insert brand-new plain records in bulk; return the items that need the careful path."""
    rest, fresh = [], {}
    for item in items:
        try:
            spec, uid, origin, _rev = check_item(item)
            reason = sender_refusal(
                spec, sender=sender, origin=origin, me=me, sender_is_upstream=sender_is_upstream
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
                if sender_is_upstream:
                    audience_check(item, spec, obj, me=me)
                for name, adapter in spec.files.items():
                    adapter.attach(obj, name, None, None)
                with applying():
                    obj.full_clean(validate_unique=False, validate_constraints=False)
            except NotAddressed:
                result.dropped += 1
                continue
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
            result.arrived.add((label, obj.pk))
        applied.setdefault(model, []).extend(obj.pk for obj in objs)
        result.applied += len(objs)
    return rest


def _item_label(item) -> str:
    return str(item.get("m", "")) if isinstance(item, dict) else ""


def _apply_one(item, *, sender, me, sender_is_upstream, result, returning=None) -> bool:
    """Apply one item in a savepoint; False when it must wait for a record it refers to."""
    try:
        with transaction.atomic():
            item_apply(
                item,
                sender=sender,
                me=me,
                sender_is_upstream=sender_is_upstream,
                result=result,
                returning=returning,
            )
    except NotYet as exc:
        try:
            return _hold(
                item,
                # a record of ours sent back after a restore waits as sent by ourselves: the
                # only held change whose sender is this node (see _held_retry)
                sender=me if returning is not None else sender,
                sender_is_upstream=sender_is_upstream,
                missing=exc,
                result=result,
            )
        except HeldCapReached as cap:
            _refuse(result, item, cap)
    except NotAddressed:
        result.dropped += 1
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


def _hold(item, *, sender, sender_is_upstream, missing: NotYet, result) -> bool:
    """Keep a change that waits for another record (the newest rev of it, once), indexed by
    the key it waits for; refuse it (:class:`HeldCapReached`) when its sender already has
    ``SYNC_HELD_MAX_PER_SENDER`` changes waiting."""
    spec, uid, _origin, rev = check_item(item)
    held = HeldChange.objects.filter(model=spec.label, uid=uid).first()
    active = held is not None and held.expired_at is None
    if active and held.rev > rev:
        return False  # a newer copy already waits
    defaults = {
        "rev": rev,
        "sender": sender,
        "sender_is_upstream": sender_is_upstream,
        "item": item,
        "waiting_for": str(missing)[:200],
        "waiting_model": missing.label,
        "waiting_uid": missing.uid,
        "expired_at": None,
    }
    if not active:
        count = result.held_counts.get(sender)
        if count is None:
            count = HeldChange.objects.filter(sender=sender, expired_at__isnull=True).count()
        cap = settings.SYNC_HELD_MAX_PER_SENDER
        if count >= cap:
            raise HeldCapReached(
                f"waits for {missing}, but {sender} already has {cap} changes waiting for "
                "records that have not arrived (SYNC_HELD_MAX_PER_SENDER)"
            )
        result.held_counts[sender] = count + 1
        # an expired change held again starts its time anew; one still waiting keeps its age
        defaults["held_at"] = timezone.now()
    HeldChange.objects.update_or_create(model=spec.label, uid=uid, defaults=defaults)
    return False


def held_expire(now=None) -> int:
    """Expire the changes held longer than ``SYNC_HELD_MAX_AGE``: their data is dropped, the
    row stays, counted on the sync page and in ``sync_status``. Returns how many expired."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.SYNC_HELD_MAX_AGE)
    expired = HeldChange.objects.filter(expired_at__isnull=True, held_at__lt=cutoff).update(
        expired_at=now, item={}
    )
    if expired:
        logger.warning(
            "sync: %s held changes expired (waited more than %s s for a record)",
            expired,
            settings.SYNC_HELD_MAX_AGE,
        )
    return expired


def _apply_items(items, *, sender, me, sender_is_upstream, result, applied, returning=None) -> None:
    if not sender_is_upstream:
        items = _hold_dangling(items, sender=sender, result=result)
    # parents before children (an order before its lines), in arrival order otherwise
    ranks: dict[str, int] = {}
    for item in items:
        label = _item_label(item)
        if label not in ranks:
            ranks[label] = dependency_rank(label)
    ranked = sorted(items, key=lambda item: ranks[_item_label(item)])
    for item in ranked:
        if not _apply_one(
            item,
            sender=sender,
            me=me,
            sender_is_upstream=sender_is_upstream,
            result=result,
            returning=returning,
        ):
            result.held += 1


def _first_missing_targets(entries) -> dict:
    """For (spec, uid, fields) entries: ``{uid: NotYet}`` for each whose first synced foreign
    key (in field order) points at a record that is not here, with a few queries for all."""
    wanted: dict = {}
    firsts = []
    for spec, uid, fields in entries:
        for f in _synced_fks(spec):
            value = fields.get(f.attname)
            if value is None:
                continue
            try:
                target = f.target_field.to_python(value)
            except (ValidationError, ValueError, TypeError):
                break  # the careful path refuses it with the reason
            wanted.setdefault(f.related_model, set()).add(target)
            firsts.append((uid, f.related_model, target))
            break
    present: dict = {}
    for model, pks in wanted.items():
        pks = list(pks)
        found = set()
        for start in range(0, len(pks), 500):
            chunk = pks[start : start + 500]
            found.update(model._base_manager.filter(pk__in=chunk).values_list("pk", flat=True))
        present[model] = found
    return {
        uid: NotYet(spec_for(model).label, target)
        for uid, model, target in firsts
        if target not in present[model]
    }


def _hold_dangling(items, *, sender, result) -> list:
    """Hold, in bulk, a village's new records whose first synced foreign key points at a record
    that is neither here nor in this batch; return the rest for the careful path.

    The careful path would hold each of them after five queries and two savepoints; a rooted
    village pushing thousands of changes that point nowhere costs a few queries here instead,
    and the per-sender cap refuses what goes past it. A held change is checked in full when the
    record it waits for arrives.
    """
    in_batch, candidates = set(), []
    for item in items:
        label = _item_label(item)
        if isinstance(item, dict) and "id" in item:
            in_batch.add((label, str(item["id"])))
    for item in items:
        spec = spec_for(_item_label(item))
        fields = item.get("f") if isinstance(item, dict) else None
        if spec is None or item.get("d") or not isinstance(fields, dict) or not _synced_fks(spec):
            continue
        try:
            _spec, uid, _origin, rev = check_item(item)
        except RecordRefused:
            continue
        candidates.append((spec, uid, rev, item, fields))
    if not candidates:
        return items
    # records already here (an update) or deleted take the careful path
    known = set()
    by_label: dict = {}
    for spec, uid, _rev, _item, _fields in candidates:
        by_label.setdefault(spec.label, (spec, []))[1].append(uid)
    for label, (spec, uids) in by_label.items():
        for start in range(0, len(uids), 500):
            chunk = uids[start : start + 500]
            known.update(spec.model._base_manager.filter(pk__in=chunk).values_list("pk", flat=True))
            known.update(
                Tombstone.objects.filter(model=label, uid__in=chunk).values_list("uid", flat=True)
            )
    fresh = [c for c in candidates if c[1] not in known]
    missing = _first_missing_targets([(spec, uid, fields) for spec, uid, _r, _i, fields in fresh])
    dangling = {}
    for spec, uid, rev, item, _fields in fresh:
        absent = missing.get(uid)
        if absent is not None and (absent.label, str(absent.uid)) not in in_batch:
            key = (spec.label, uid)
            if key not in dangling or dangling[key][1] < rev:
                dangling[key] = (spec, rev, item, absent)
    if not dangling:
        return items
    held_ids = {id(entry[2]) for entry in dangling.values()}
    _hold_many(dangling, sender=sender, result=result)
    return [item for item in items if id(item) not in held_ids]


def _hold_many(dangling: dict, *, sender, result) -> None:
    """Hold these new changes of a village (``{(label, uid): (spec, rev, item, NotYet)}``)
    with one query per model and one insert, up to the sender's cap (the rest refused)."""
    existing = {}
    by_label: dict = {}
    for label, uid in dangling:
        by_label.setdefault(label, []).append(uid)
    for label, uids in by_label.items():
        for start in range(0, len(uids), 500):
            for held in HeldChange.objects.filter(model=label, uid__in=uids[start : start + 500]):
                existing[(label, held.uid)] = held
    count = result.held_counts.get(sender)
    if count is None:
        count = HeldChange.objects.filter(sender=sender, expired_at__isnull=True).count()
    cap = settings.SYNC_HELD_MAX_PER_SENDER
    new_rows = []
    for key, (_spec, rev, item, missing) in dangling.items():
        held = existing.get(key)
        active = held is not None and held.expired_at is None
        if active and held.rev > rev:
            result.held += 1
            continue
        if not active:
            if count >= cap:
                _refuse(
                    result,
                    item,
                    f"waits for {missing}, but {sender} already has {cap} changes waiting for "
                    "records that have not arrived (SYNC_HELD_MAX_PER_SENDER)",
                )
                continue
            count += 1
        fields = {
            "rev": rev,
            "sender": sender,
            "sender_is_upstream": False,
            "item": item,
            "waiting_for": str(missing)[:200],
            "waiting_model": missing.label,
            "waiting_uid": missing.uid,
            "expired_at": None,
        }
        if held is None:
            new_rows.append(HeldChange(model=key[0], uid=key[1], **fields))
        else:
            if not active:
                fields["held_at"] = timezone.now()
            for name, value in fields.items():
                setattr(held, name, value)
            held.save()
        result.held += 1
    HeldChange.objects.bulk_create(new_rows, batch_size=500)
    result.held_counts[sender] = count


def _held_waiting_for(keys) -> list:
    """The active held changes waiting for one of these (label, uid) keys."""
    by_label: dict[str, list] = {}
    for label, uid in keys:
        by_label.setdefault(label, []).append(uid)
    found = []
    for label, uids in by_label.items():
        for start in range(0, len(uids), 500):
            found.extend(
                HeldChange.objects.filter(
                    expired_at__isnull=True,
                    waiting_model=label,
                    waiting_uid__in=uids[start : start + 500],
                )
            )
    return found


def _held_retry(*, me: str, result) -> None:
    """Apply the held changes waiting for a record that has just arrived, then those waiting
    for what that let in, until nothing more arrives. A change held for a record that has not
    arrived is never touched, so one sender's thousands of dangling changes cost nobody else's
    batch anything."""
    tried: set = set()
    fresh = set(result.arrived)
    returning = None
    while fresh:
        waiting = [
            change
            for change in _held_waiting_for(fresh)
            if (change.pk, change.waiting_model, change.waiting_uid) not in tried
        ]
        if not waiting:
            return
        before = set(result.arrived)
        waiting.sort(key=lambda h: (dependency_rank(h.model), h.held_at, h.pk))
        for change in waiting:
            tried.add((change.pk, change.waiting_model, change.waiting_uid))
            result.retried += 1
            if change.sender == me and returning is None:
                # held while the upstream sent back our records after a restore (_apply_one):
                # checked again as such, against the seq that restore left
                returning = SyncState.load().reseed_after_seq
            if _apply_one(
                change.item,
                sender=change.sender,
                me=me,
                sender_is_upstream=change.sender_is_upstream,
                result=result,
                returning=returning if change.sender == me else None,
            ):
                # applied, skipped, dropped or refused for good: it waits no longer
                HeldChange.objects.filter(pk=change.pk).delete()
        fresh = result.arrived - before


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
