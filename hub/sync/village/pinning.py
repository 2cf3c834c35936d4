"""Pinning the upstream a village syncs with: its URL, its region code and its public key, the
only key whose answers and bundles the village trusts."""

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction

from hub.core.regions import REGION_CODE_RE

from ..core.identity import EnrollmentError
from ..models import SyncState
from ..wire import keys

__all__ = ["EnrollmentError", "upstream_set"]


def upstream_set(*, url: str, public_key: str, code: str) -> SyncState:
    """Pin the upstream this village syncs with: its URL, its code and its public key."""
    url = url.strip().rstrip("/")
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as exc:
        raise EnrollmentError(f"{url!r} is not an http(s) URL") from exc
    try:
        keys.parse_public_key(public_key)
    except keys.KeyError_ as exc:
        raise EnrollmentError(f"public key: {exc}") from exc
    if not REGION_CODE_RE.match(code):
        raise EnrollmentError("the upstream's code is its region code (2 or 4 digits)")
    with transaction.atomic():
        state = SyncState.load()
        if state.upstream_key and state.upstream_key != public_key.strip():
            # another upstream: its feed numbers mean nothing here
            state.pull_cursor = 0
        state.upstream_url = url
        state.upstream_key = public_key.strip()
        state.upstream_code = code
        state.failures = 0
        state.next_attempt_at = None
        state.save()
    return state
