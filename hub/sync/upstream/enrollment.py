"""Enrollment on the upstream: a village's code and public key, which signs its requests and
bundles; revoking a key refuses both from then on."""

from django.db import transaction
from django.utils import timezone

from ..core.identity import VILLAGE_CODE_RE, EnrollmentError
from ..models import Node
from ..wire import keys

__all__ = ["EnrollmentError", "village_enroll", "village_revoke"]


def village_enroll(*, code: str, public_key: str) -> tuple[Node, bool]:
    """Enroll (or re-key) a village on this upstream. Returns (node, created)."""
    code = code.strip().replace(".", "")
    if not VILLAGE_CODE_RE.match(code):
        raise EnrollmentError(f"{code!r} is not a ten-digit village code")
    try:
        keys.parse_public_key(public_key)
    except keys.KeyError_ as exc:
        raise EnrollmentError(f"public key: {exc}") from exc
    with transaction.atomic():
        node, created = Node.objects.select_for_update().get_or_create(
            code=code, defaults={"public_key": public_key.strip()}
        )
        if not created and (node.public_key != public_key.strip() or node.revoked_at):
            node.public_key = public_key.strip()
            node.revoked_at = None
            node.save(update_fields=["public_key", "revoked_at"])
    return node, created


def village_revoke(*, code: str) -> Node:
    code = code.strip().replace(".", "")
    node = Node.objects.filter(code=code).first()
    if node is None:
        raise EnrollmentError(f"village {code} is not enrolled")
    if node.revoked_at is None:
        node.revoked_at = timezone.now()
        node.save(update_fields=["revoked_at"])
    return node
