"""What a change must be to be applied here, checked before anything is written: a sound item,
a sender that may write it, an audience that covers this node (:mod:`.apply` applies; trust in
its docstring and docs/sync-protocol.md, section 13)."""

import uuid

from django.core.exceptions import ObjectDoesNotExist

from ..core.identity import audience_prefixes
from ..core.specs import spec_for
from ..models import JournalEntry
from ..wire.codec import WireError

# rev is a PositiveIntegerField: what every database's integer column holds
MAX_REV = 2**31 - 1


class RecordRefused(Exception):
    """One change the sender may not make, or that makes no sense: reported, never applied
    (the rest of the batch goes on)."""


class NotYet(Exception):
    """The change refers to a record that has not arrived: hold it, do not refuse it."""

    def __init__(self, label: str, uid):
        super().__init__(f"{label} {uid}")
        self.label, self.uid = label, uid


class NotAddressed(Exception):
    """A relayed record whose audience does not cover this node: dropped and counted."""


class HeldCapReached(RecordRefused):
    """The sender already has SYNC_HELD_MAX_PER_SENDER changes waiting here."""


def check_item(item: dict):
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


def sender_refusal(spec, *, sender: str, origin: str, me: str, sender_is_upstream: bool):
    """None when the sender may write this record, else the reason: the origin rules of
    :func:`sender_may_write`, then the model's owner role (``register(owner=…)``)."""
    return sender_may_write(
        sender=sender, origin=origin, me=me, sender_is_upstream=sender_is_upstream
    ) or spec.owner_refusal(origin)


AUDIENCE_ERRORS = (ObjectDoesNotExist, WireError, ValueError, TypeError, AttributeError)


def audience_check(item: dict, spec, obj, *, me: str) -> None:
    """On a village, refuse (:class:`NotAddressed`) a relayed record not addressed to it.

    The upstream writes each record's audience (its journal row's) on the wire as ``"a"``; the
    village also works it out from the record itself where it can (the audience function may
    need a record this village does not have, such as another village's BUMDes). Either one not
    covering this village drops the record; so does a record whose audience is neither given
    nor knowable, since it cannot be shown to be for this village.
    """
    mine = audience_prefixes(me)
    stated = "a" in item
    if stated and (not isinstance(item["a"], str) or item["a"] not in mine):
        raise NotAddressed(f"addressed to {item['a']!r}, not to {me}")
    if obj is None:
        if not stated:
            raise NotAddressed("no audience given for a record this village does not hold")
        return
    try:
        computed = spec.audience(obj)
    except AUDIENCE_ERRORS as exc:
        if not stated:
            raise NotAddressed(f"its audience cannot be worked out here: {exc}") from exc
        return
    if computed is None or computed not in mine:
        raise NotAddressed(f"addressed to {computed!r}, not to {me}")


def reference_refusal(target, target_spec, sender: str) -> str | None:
    """A village's synced foreign key may point at its own record or one addressed to it."""
    if target.origin == sender:
        return None
    try:
        audience = target_spec.audience(target)
    except AUDIENCE_ERRORS:
        audience = None
    if audience is not None and audience in audience_prefixes(sender):
        return None
    return f"points at {target_spec.label} {target.pk}, which the sender neither owns nor receives"


def returned_refusal(spec, *, origin: str, me: str) -> str | None:
    """What a record sent back after a restore must be: this village's own (and of a kind a
    village writes)."""
    if origin != me:
        return "a record sent back after a restore must be this village's own"
    return spec.owner_refusal(origin)


def changed_here_since(label: str, uid, *, me: str, after_seq: int) -> bool:
    return JournalEntry.objects.filter(model=label, uid=uid, origin=me, seq__gt=after_seq).exists()
