"""Erasing letter requests' personal data (UU 27/2022): the daily retention sweep, and the
erasure a villager asks for at the village office.

What a request's personal data is, wherever it lies: its encrypted fields, its photos, its PDF
(which prints the name and NIK), and the sealed copy of the fields its type forwards
(:class:`LetterForward`). A forward is village-owned and synced up, so its erasure is a normal
change by its owner: ``sealed`` emptied, the rev bumped, and the next push replaces the
upstream's copy of the ciphertext. What stays: the request's row (code, type, status, dates,
number, for the counts), the forward's letter facts (for whom, which letter: nothing personal)
and the letter's :class:`LetterVerification`, so a printed letter still verifies.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import conf, photos
from .models import (
    DONE_STATUSES,
    LetterForward,
    LetterRequest,
    LetterVerification,
    LetterViewLog,
)
from .services import LetterError


def _forwards_erase(request: LetterRequest) -> int:
    """Empty the sealed payload of the request's forwards (found by its letter's token, the
    only link a forward keeps); returns how many were erased."""
    if request.verification_id is None:
        return 0
    token = (
        LetterVerification.objects.filter(pk=request.verification_id)
        .values_list("token", flat=True)
        .first()
    )
    erased = 0
    for forward in LetterForward.objects.filter(token=token).exclude(sealed=""):
        if forward.is_local:  # made by this village on approval; never another hub's
            forward.sealed = ""
            forward.save()
            erased += 1
    return erased


def _request_erase(request: LetterRequest, now) -> int:
    """Erase everything personal of one request, inside the caller's transaction; the files go
    once it commits. Returns the number of forwards erased."""
    paths = [*request.photos.values_list("path", flat=True), request.pdf_path]
    request.photos.all().delete()
    request.name = request.nik = request.kk = request.phone = ""
    request.address = request.purpose = request.data = ""
    request.correction_note = request.reject_reason = ""
    request.pdf_path = ""
    request.client_key = ""
    request.attachments_deleted_at = request.attachments_deleted_at or now
    request.anonymised_at = now
    request.save()
    forwards = _forwards_erase(request)
    transaction.on_commit(lambda: [photos.private_delete(p) for p in paths if p])
    return forwards


def letters_retention_apply(*, now=None) -> dict:
    """Delete the photos of requests completed ``attachment_days`` ago and erase the personal
    data of those completed ``retention_days`` ago (the PDF and the forwards' sealed payloads
    too; the verification record stays). Returns what was done, for the task's log (counts
    only)."""
    now = now or timezone.now()
    done = {"photos": 0, "anonymised": 0, "forwards": 0}
    photo_cutoff = now - timedelta(days=conf.attachment_days())
    for request in LetterRequest.objects.filter(
        status__in=DONE_STATUSES, completed_at__lte=photo_cutoff, attachments_deleted_at=None
    ).only("pk"):
        with transaction.atomic():
            paths = list(request.photos.values_list("path", flat=True))
            request.photos.all().delete()
            LetterRequest.objects.filter(pk=request.pk).update(attachments_deleted_at=now)
            transaction.on_commit(lambda paths=paths: [photos.private_delete(p) for p in paths])
        done["photos"] += 1
    erase_cutoff = now - timedelta(days=conf.retention_days())
    for request in LetterRequest.objects.filter(
        status__in=DONE_STATUSES, completed_at__lte=erase_cutoff, anonymised_at=None
    ):
        with transaction.atomic():
            done["forwards"] += _request_erase(request, now)
        done["anonymised"] += 1
    return done


def letter_request_erase(*, request_id, user) -> LetterRequest:
    """Erase a request's personal data now, whatever its age, at the villager's request.

    Refused, with nothing changed, when the request does not exist, is already erased, or is
    still open (an official rejects it first, with the villager's wish as the reason: a
    request whose applicant is unknown cannot be decided). Logged as a
    :class:`LetterViewLog` row (who, when; nothing of the data).
    """
    with transaction.atomic():
        request = LetterRequest.objects.select_for_update().filter(pk=request_id).first()
        if request is None:
            raise LetterError(_("Permohonan tidak ditemukan."), code="not_found")
        if request.anonymised_at is not None:
            raise LetterError(_("Data pribadi permohonan ini sudah dihapus."), code="erased")
        if request.status not in DONE_STATUSES:
            raise LetterError(
                _(
                    "Permohonan %(code)s masih berjalan. Tolak dulu (alasan: permintaan "
                    "pemohon), lalu hapus data pribadinya."
                )
                % {"code": request.code},
                code="open",
            )
        _request_erase(request, timezone.now())
        LetterViewLog.objects.create(request=request, user=user, action=LetterViewLog.Action.ERASE)
    return request
