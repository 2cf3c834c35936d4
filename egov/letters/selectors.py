"""Reads of letters: the types offered, a request found by its code and phone, the verification
of a letter by its token, and the officials' queue."""

import json
import uuid
from datetime import date

from django.db.models import QuerySet

from .models import (
    COMMON_PLACEHOLDERS,
    ForwardRecipient,
    LetterForward,
    LetterRequest,
    LetterType,
    LetterVerification,
    RequestStatus,
)
from .services import letter_request_for_applicant

__all__ = [
    "FORWARD_EXPORT_FIELDS",
    "letter_forward_notice",
    "letter_forward_from_export",
    "letter_forwards_export",
    "letter_forwards_for_key",
    "letter_request_for_applicant",
    "letter_types_offered",
    "letter_types_offered_exist",
    "letter_type_offered",
    "letter_verification_for_token",
    "request_ids_for_review",
    "requests_for_review",
    "requests_for_review_by_ids",
    "request_values",
]

TOKEN_MAX = 64


def letter_types_offered() -> QuerySet:
    return LetterType.objects.filter(active=True).only("code", "name", "description", "sort_order")


def letter_types_offered_exist() -> bool:
    return LetterType.objects.filter(active=True).exists()


def letter_type_offered(code: str) -> LetterType | None:
    return LetterType.objects.filter(active=True, code=code).first()


def letter_forward_notice(letter_type: LetterType) -> dict | None:
    """What a villager is told before sending a request of a forwarding type: who receives
    which of their data (by label), or None when the type forwards nothing."""
    if not letter_type.forward_to:
        return None
    recipient = ForwardRecipient.objects.filter(code=letter_type.forward_to).first()
    labels = {name: str(label) for name, label in COMMON_PLACEHOLDERS.items()}
    for spec in letter_type.fields:
        labels[spec["name"]] = spec.get("label", spec["name"])
        labels[f"{spec['name']}_nik"] = f"NIK {spec.get('label', spec['name'])}"
    return {
        "recipient": recipient.name if recipient else letter_type.forward_to,
        "fields": [labels.get(name, name) for name in letter_type.forward_fields],
    }


def letter_verification_for_token(token: str) -> LetterVerification | None:
    token = str(token or "")
    if not token or len(token) > TOKEN_MAX:
        return None
    return LetterVerification.objects.filter(token=token).first()


REVIEW_LIST_FIELDS = ("id", "code", "status", "submitted_at", "name", "nik", "kk", "letter_type")


def requests_for_review(*, status: str = "") -> QuerySet:
    """The officials' list, newest first; filtered by status when one is given. Only the
    columns the list shows are read: each encrypted one is a decryption a row, and the letter
    type's body and JSON field lists (decoded a row) are not needed for its name."""
    queryset = LetterRequest.objects.select_related("letter_type").only(
        *REVIEW_LIST_FIELDS, "letter_type__name"
    )
    if status in RequestStatus.values:
        queryset = queryset.filter(status=status)
    return queryset


def request_ids_for_review(*, status: str = "") -> QuerySet:
    """The ids of :func:`requests_for_review`, in its order, to page through: a deep page's
    OFFSET then skips ids only. Skipping 10,000 whole rows (each joined to its type) took
    twice as long as reading the 50 shown by id."""
    return requests_for_review(status=status).values_list("pk", flat=True)


def requests_for_review_by_ids(ids) -> list:
    """The queue's rows of ``ids`` (a page of :func:`request_ids_for_review`), in that order."""
    ids = list(ids)
    found = {item.pk: item for item in requests_for_review().filter(pk__in=ids)}
    return [found[pk] for pk in ids if pk in found]


def request_values(request: LetterRequest) -> list[tuple[str, str]]:
    """The type's fields with what the villager wrote, as (label, value) in the type's order."""
    values = json.loads(request.data or "{}")
    rows = []
    for spec in request.letter_type.fields:
        rows.append((spec.get("label", spec["name"]), values.get(spec["name"], "")))
        if spec.get("kind") == "person":
            rows.append((f"NIK {spec.get('label', '')}", values.get(f"{spec['name']}_nik", "")))
    return rows


def letter_forwards_for_key(key_id: str, *, village: str | None = None, number: str | None = None):
    """The forwarded records sealed to one key, oldest first (what its holder may open); those
    erased by their village are left out."""
    found = LetterForward.objects.filter(key_id=key_id).exclude(sealed="").order_by("created_at")
    if village:
        found = found.filter(village_code=village)
    if number:
        found = found.filter(number=number)
    return found


# what an export of forwarded records carries: the letter's facts and the ciphertext, nothing
# readable that is personal (the associated data needs all but ``sealed``)
FORWARD_EXPORT_FIELDS = (
    "id",
    "recipient_code",
    "key_id",
    "token",
    "letter_type_code",
    "number",
    "letter_date",
    "village_code",
    "sealed",
)


def letter_forwards_export(*, recipient: str) -> list[dict]:
    """The records forwarded to ``recipient`` as plain data, oldest first, for a file the
    recipient carries to the machine that holds its private key. Records erased by their
    village are left out."""
    rows = []
    found = LetterForward.objects.filter(recipient_code=recipient).exclude(sealed="")
    for forward in found.order_by("created_at"):
        row = {name: getattr(forward, name) for name in FORWARD_EXPORT_FIELDS}
        row["id"], row["letter_date"] = str(forward.id), forward.letter_date.isoformat()
        rows.append(row)
    return rows


def letter_forward_from_export(row: dict) -> LetterForward:
    """An unsaved record rebuilt from one exported row (``ValueError`` when it is malformed)."""
    if not isinstance(row, dict) or set(row) != set(FORWARD_EXPORT_FIELDS):
        raise ValueError("not an exported forwarded record")
    if not all(isinstance(row[name], str) for name in FORWARD_EXPORT_FIELDS):
        raise ValueError("not an exported forwarded record")
    return LetterForward(
        **{**row, "id": uuid.UUID(row["id"]), "letter_date": date.fromisoformat(row["letter_date"])}
    )
