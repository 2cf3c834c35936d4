"""Appending to the journal, in the transaction of the change it records.

Three ways a synced record is written:
- a local edit (admin, a service): only by the origin; ``rev`` goes up by one, a journal row;
- applying a change from another node (:func:`applying`): the sender's ``rev`` is kept, a
  journal row (the upstream relays it through its own feed);
- a local-only touch (:func:`local_only`, e.g. attaching a blob that just arrived): no new
  ``rev``, no journal row, because nothing the origin said has changed.
"""

import contextlib
import threading

from django.db import connection, transaction
from django.dispatch import Signal

from ..models import JournalEntry, Tombstone
from .identity import local_node_code
from .specs import all_specs, spec_for

_state = threading.local()

# Sent after the commit of a local change to a synced record (not of a change applied from
# another node). The village asks for a sync soon (``hub.sync.signal_handlers``): the journal
# itself sends nothing, so it needs no part of the engine above it.
local_change_committed = Signal()

# pg_advisory_xact_lock key: journal appends on PostgreSQL commit in seq order
JOURNAL_LOCK_KEY = 0x42A1A1


class NotOrigin(PermissionError):
    """A node tried to change a record another node owns."""


@contextlib.contextmanager
def _state_set(name: str, value):
    """Set one of this thread's journal states for the block, then put back the previous."""
    previous = getattr(_state, name, None)
    setattr(_state, name, value)
    try:
        yield
    finally:
        setattr(_state, name, previous)


def applying():
    return _state_set("mode", "apply")


def received_from_origin():
    """Write records of another origin here as if they had just arrived from it: the ``origin``
    and ``rev`` given are kept and the journal row is written, exactly as when a change from the
    network or a bundle is applied. For demo data and fixtures of upstream-owned records only;
    an edit by hand must never use it (only the origin changes a record)."""
    return applying()


def local_only():
    return _state_set("mode", "local")


def is_applying() -> bool:
    return getattr(_state, "mode", None) == "apply"


def _mode() -> str | None:
    return getattr(_state, "mode", None)


def journal_lock() -> None:
    """On PostgreSQL, serialize journal appends until this transaction ends (see JournalEntry)."""
    if connection.vendor == "postgresql" and not getattr(_state, "locked", False):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [JOURNAL_LOCK_KEY])


@contextlib.contextmanager
def journal_locked_batch():
    """Take the journal lock once for a whole batch (inside the batch's transaction)."""
    journal_lock()
    with _state_set("locked", True):
        yield


def journal_append(obj, spec, rev: int) -> None:
    journal_lock()
    JournalEntry.objects.create(
        model=spec.label,
        uid=obj.pk,
        rev=rev,
        origin=obj.origin,
        audience=spec.audience(obj),
    )


def record_save(obj, base_save, args, kwargs) -> None:
    """``SyncedRecord.save``: the row and its journal entry in one transaction."""
    spec = spec_for(type(obj))
    mode = _mode()
    if spec is None or mode == "local":
        base_save(*args, **kwargs)
        return
    with transaction.atomic():
        if mode != "apply":
            me = local_node_code()
            if not obj.origin:
                obj.origin = me
            elif obj.origin != me:
                raise NotOrigin(
                    f"{spec.label} {obj.pk} belongs to {obj.origin}; only its origin may change it"
                )
            obj.rev = (obj.rev or 0) + 1
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "rev", "origin"}
        base_save(*args, **kwargs)
        journal_append(obj, spec, obj.rev)
        if mode is None:
            transaction.on_commit(_local_change_committed)


def _local_change_committed():
    local_change_committed.send(sender=JournalEntry)


def record_deleted(obj) -> None:
    """post_delete of a synced record (runs inside Django's deletion transaction)."""
    spec = spec_for(type(obj))
    mode = _mode()
    if spec is None or mode == "local":
        return
    if mode != "apply":
        me = local_node_code()
        if obj.origin and obj.origin != me:
            raise NotOrigin(f"{spec.label} {obj.pk} belongs to {obj.origin}; it cannot be deleted")
        obj.origin = obj.origin or me
        obj.rev = (obj.rev or 0) + 1
        transaction.on_commit(_local_change_committed)
    Tombstone.objects.update_or_create(
        model=spec.label,
        uid=obj.pk,
        defaults={"origin": obj.origin, "rev": obj.rev},
    )
    journal_append(obj, spec, obj.rev)


def adopt_unowned() -> int:
    """Records made before this hub had a village code (or before the engine existed) have no
    origin and no journal row: a local save gives them both, once."""
    adopted = 0
    for spec in all_specs():
        for obj in spec.model._base_manager.filter(origin=""):
            obj.save()
            adopted += 1
    return adopted
