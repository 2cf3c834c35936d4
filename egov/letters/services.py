"""Writes of letter requests: a villager submits and corrects, an official asks for a correction,
rejects or approves (numbering, the PDF rendered once, its SHA-256, the verification record),
revokes an issued letter. Erasing personal data (the retention sweep, a villager's request) is in
:mod:`egov.letters.retention`.

Views, the admin, the django-q2 task and tests all call these, so every path checks the same
rules. Bad input raises :class:`LetterError` (a ``ValidationError`` with Indonesian messages,
per field where there is one) and changes nothing.
"""

import contextlib
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from hub.core.disk import disk_full_as, disk_space_require
from hub.core.personal import SEX_FEMALE, kk_validate, nik_validate, phone_normalize
from hub.core.roles import is_upstream
from hub.site.models import VillageSettings

from . import conf, photos, sealing
from .models import (
    OPEN_STATUSES,
    PLACEHOLDER_RE,
    TRACKING_ALPHABET,
    TRACKING_LENGTH,
    ForwardRecipient,
    LetterAttachment,
    LetterCounter,
    LetterForward,
    LetterRequest,
    LetterType,
    LetterVerification,
    RequestStatus,
    VerificationStatus,
    number_format,
)
from .pdf import LetterContent, Letterhead, date_id, letter_pdf_render

NAME_MAX = 120
ADDRESS_MAX = 300
PURPOSE_MAX = 200
TEXT_MAX = 200
TEXTAREA_MAX = 1000
NOTE_MAX = 1000
# control characters other than newline and tab have no place in a letter
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class LetterError(ValidationError):
    """A request or a decision that cannot be made as asked; nothing was changed."""


class RateLimited(LetterError):
    """Too many requests from one client in a short time."""


@dataclass(frozen=True)
class Applicant:
    """What a villager typed about themselves, before checking."""

    name: str
    nik: str
    kk: str
    phone: str
    address: str
    purpose: str


def client_key_for(address: str) -> str:
    """A keyed digest of the client's address: enough to count its requests, not to recover it."""
    return hmac.new(
        settings.SECRET_KEY.encode(), f"letters:{address or ''}".encode(), hashlib.sha256
    ).hexdigest()


def _clean_text(raw, *, label: str, max_length: int, required: bool, errors: dict, key: str):
    text = _CONTROL_RE.sub("", str(raw or "")).strip()
    if required and not text:
        errors.setdefault(key, []).append(_("%(label)s wajib diisi.") % {"label": label})
    elif len(text) > max_length:
        errors.setdefault(key, []).append(
            _("%(label)s terlalu panjang (paling banyak %(max)d huruf).")
            % {"label": label, "max": max_length}
        )
    return text


def _personal_check(applicant: Applicant, errors: dict) -> dict:
    """The applicant's fields, checked and normalised."""
    out = {
        "name": _clean_text(
            applicant.name,
            label=_("Nama"),
            max_length=NAME_MAX,
            required=True,
            errors=errors,
            key="name",
        ),
        "address": _clean_text(
            applicant.address,
            label=_("Alamat"),
            max_length=ADDRESS_MAX,
            required=True,
            errors=errors,
            key="address",
        ),
        "purpose": _clean_text(
            applicant.purpose,
            label=_("Keperluan"),
            max_length=PURPOSE_MAX,
            required=True,
            errors=errors,
            key="purpose",
        ),
    }
    for key, validate in (("nik", nik_validate), ("kk", kk_validate)):
        try:
            out[key] = validate(applicant.nik if key == "nik" else applicant.kk)
        except ValidationError as exc:
            errors.setdefault(key, []).extend(exc.messages)
    try:
        out["phone"] = phone_normalize(applicant.phone)
    except ValidationError as exc:
        errors.setdefault("phone", []).extend(exc.messages)
    return out


def _values_check(letter_type: LetterType, raw: dict, errors: dict) -> dict:
    """The type's own fields, checked against its field list; unknown keys are dropped."""
    values = {}
    for spec in letter_type.fields:
        name, kind, label = spec["name"], spec.get("kind", "text"), spec.get("label", spec["name"])
        required = bool(spec.get("required", True))
        key = f"f_{name}"
        if kind == "person":
            values[name] = _clean_text(
                raw.get(name),
                label=label,
                max_length=NAME_MAX,
                required=required,
                errors=errors,
                key=key,
            )
            nik_raw = str(raw.get(f"{name}_nik") or "").strip()
            if nik_raw or required:
                try:
                    values[f"{name}_nik"] = nik_validate(nik_raw).value
                except ValidationError as exc:
                    errors.setdefault(f"{key}_nik", []).extend(exc.messages)
            else:
                values[f"{name}_nik"] = ""
            continue
        text = _clean_text(
            raw.get(name),
            label=label,
            max_length=TEXTAREA_MAX if kind == "textarea" else TEXT_MAX,
            required=required,
            errors=errors,
            key=key,
        )
        if text and kind == "date":
            try:
                text = date.fromisoformat(text).isoformat()
            except ValueError:
                errors.setdefault(key, []).append(
                    _("%(label)s: tanggal tidak sah (tahun-bulan-tanggal).") % {"label": label}
                )
        if text and kind == "choice" and text not in spec.get("choices", []):
            errors.setdefault(key, []).append(
                _("%(label)s: pilih salah satu dari daftar.") % {"label": label}
            )
        values[name] = text
    return values


def _photos_check(letter_type: LetterType, uploads: dict, errors: dict, *, required: bool):
    """Each attachment the type asks for, re-encoded; ``(spec, CleanPhoto)`` pairs."""
    cleaned = []
    for spec in letter_type.attachments:
        upload = uploads.get(spec["name"])
        key = f"a_{spec['name']}"
        if upload is None:
            if required:
                errors.setdefault(key, []).append(
                    _("%(label)s wajib dilampirkan.") % {"label": spec["label"]}
                )
            continue
        data = upload if isinstance(upload, bytes) else _read_limited(upload)
        try:
            cleaned.append((spec, photos.photo_clean(data, label=spec["label"])))
        except ValidationError as exc:
            errors.setdefault(key, []).extend(exc.messages)
    return cleaned


def _read_limited(upload) -> bytes:
    """At most one byte past the limit: enough for ``photo_clean`` to refuse an oversized file
    without reading all of it into memory."""
    return upload.read(conf.attachment_max_bytes() + 1)


def _rate_limit_check(client_key: str) -> None:
    if not client_key:
        return
    limit, window = conf.submit_rate_limit()
    since = timezone.now() - timedelta(seconds=window)
    if (
        LetterRequest.objects.filter(client_key=client_key, submitted_at__gte=since).count()
        >= limit
    ):
        raise RateLimited(
            _(
                "Terlalu banyak permohonan dari perangkat ini dalam waktu singkat. Coba lagi "
                "beberapa menit lagi, atau datang ke kantor desa."
            ),
            code="rate",
        )


def _tracking_code_new() -> str:
    for _attempt in range(20):
        code = "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))
        if not LetterRequest.objects.filter(code=code).exists():
            return code
    raise RuntimeError("no free tracking code after 20 tries")


def _attachments_store(request: LetterRequest, cleaned) -> list[str]:
    written = []
    try:
        for spec, photo in cleaned:
            relative = photos.private_write(folder="photos", suffix=".jpg", data=photo.data)
            written.append(relative)
            LetterAttachment.objects.create(
                request=request,
                kind=spec["name"],
                label=spec["label"],
                path=relative,
                size=len(photo.data),
                width=photo.width,
                height=photo.height,
            )
    except BaseException:
        for relative in written:
            photos.private_delete(relative)
        raise
    return written


def letter_request_submit(
    *,
    letter_type: LetterType,
    applicant: Applicant,
    values: dict,
    uploads: dict,
    client_key: str = "",
) -> LetterRequest:
    """A villager's request: every field checked, photos re-encoded, personal data encrypted.

    ``values`` holds the type's fields as typed (by field name; a person's NIK as
    ``<name>_nik``); ``uploads`` the photos by attachment name (file objects or bytes).
    """
    if is_upstream():
        raise LetterError(_("Permohonan surat dibuat di hub desa, bukan di server induk."))
    if not letter_type.active:
        raise LetterError(_("Surat ini sedang tidak dibuka untuk permohonan."), code="closed")
    _rate_limit_check(client_key)
    errors: dict = {}
    personal = _personal_check(applicant, errors)
    checked = _values_check(letter_type, values or {}, errors)
    cleaned = _photos_check(letter_type, uploads or {}, errors, required=True)
    if errors:
        raise LetterError(errors)
    disk_space_require(LetterError)
    with disk_full_as(LetterError), transaction.atomic():
        request = LetterRequest.objects.create(
            code=_tracking_code_new(),
            letter_type=letter_type,
            name=personal["name"],
            nik=personal["nik"].value,
            kk=personal["kk"].value,
            phone=personal["phone"],
            address=personal["address"],
            purpose=personal["purpose"],
            data=json.dumps(checked, ensure_ascii=False),
            client_key=client_key,
        )
        _attachments_store(request, cleaned)
    return request


def letter_request_for_applicant(*, code: str, phone: str) -> LetterRequest | None:
    """The request with this tracking code, only when ``phone`` is the one it was sent with.

    Every wrong pair (unknown code, wrong phone, malformed input) gives the same None; the
    phones are compared in constant time."""
    code = str(code or "").strip().upper().replace(" ", "").replace("-", "")[:12]
    try:
        phone = phone_normalize(phone)
    except ValidationError:
        return None
    if len(code) != TRACKING_LENGTH or set(code) - set(TRACKING_ALPHABET):
        return None
    found = LetterRequest.objects.select_related("letter_type").filter(code=code).first()
    if found is None or found.anonymised_at is not None:
        return None
    if not hmac.compare_digest(found.phone.encode(), phone.encode()):
        return None
    return found


def letter_request_correct(
    *, code: str, phone: str, applicant: Applicant, values: dict, uploads: dict
) -> LetterRequest:
    """The villager fixes what the official asked for; the request goes back to the queue.

    The same checks as a new request; photos not sent again keep the ones already there."""
    found = letter_request_for_applicant(code=code, phone=phone)
    if found is None:
        raise LetterError(_("Permohonan tidak ditemukan."), code="not_found")
    if found.status != RequestStatus.CORRECTION:
        raise LetterError(_("Permohonan ini tidak sedang menunggu perbaikan."), code="status")
    errors: dict = {}
    personal = _personal_check(
        Applicant(
            name=applicant.name,
            nik=applicant.nik,
            kk=applicant.kk,
            phone=phone,
            address=applicant.address,
            purpose=applicant.purpose,
        ),
        errors,
    )
    checked = _values_check(found.letter_type, values or {}, errors)
    cleaned = _photos_check(found.letter_type, uploads or {}, errors, required=False)
    if errors:
        raise LetterError(errors)
    disk_space_require(LetterError)
    with disk_full_as(LetterError), transaction.atomic():
        locked = LetterRequest.objects.select_for_update().get(pk=found.pk)
        if locked.status != RequestStatus.CORRECTION:
            raise LetterError(_("Permohonan ini tidak sedang menunggu perbaikan."), code="status")
        replaced = list(locked.photos.filter(kind__in=[spec["name"] for spec, _photo in cleaned]))
        locked.name = personal["name"]
        locked.nik = personal["nik"].value
        locked.kk = personal["kk"].value
        locked.address = personal["address"]
        locked.purpose = personal["purpose"]
        locked.data = json.dumps(checked, ensure_ascii=False)
        locked.status = RequestStatus.SUBMITTED
        locked.save()
        for old in replaced:
            old.delete()
        _attachments_store(locked, cleaned)
        old_paths = [old.path for old in replaced]
        transaction.on_commit(lambda: [photos.private_delete(p) for p in old_paths])
    return locked


def _open_request_locked(request_id) -> LetterRequest:
    locked = (
        LetterRequest.objects.select_for_update()
        .select_related("letter_type")
        .filter(pk=request_id)
        .first()
    )
    if locked is None:
        raise LetterError(_("Permohonan tidak ditemukan."), code="not_found")
    if locked.status not in OPEN_STATUSES:
        raise LetterError(
            _("Permohonan ini sudah %(status)s.") % {"status": locked.get_status_display()},
            code="status",
        )
    return locked


def _undecided_request_locked(request_id) -> LetterRequest:
    """An open request no approval has numbered yet (a numbered one can only be approved)."""
    locked = _open_request_locked(request_id)
    if locked.number:
        raise LetterError(
            _("Permohonan ini sudah diberi nomor %(number)s; setujui lagi untuk menyelesaikannya.")
            % {"number": locked.number},
            code="numbered",
        )
    return locked


def letter_request_ask_correction(*, request_id, note: str, user) -> LetterRequest:
    """The official says what to fix; the villager sees it on the tracking page."""
    errors: dict = {}
    note = _clean_text(
        note,
        label=_("Yang perlu diperbaiki"),
        max_length=NOTE_MAX,
        required=True,
        errors=errors,
        key="note",
    )
    if errors:
        raise LetterError(errors)
    with transaction.atomic():
        locked = _undecided_request_locked(request_id)
        locked.status = RequestStatus.CORRECTION
        locked.correction_note = note
        locked.decided_by = user
        locked.save()
    return locked


def letter_request_reject(*, request_id, reason: str, user) -> LetterRequest:
    errors: dict = {}
    reason = _clean_text(
        reason,
        label=_("Alasan penolakan"),
        max_length=NOTE_MAX,
        required=True,
        errors=errors,
        key="reason",
    )
    if errors:
        raise LetterError(errors)
    with transaction.atomic():
        locked = _undecided_request_locked(request_id)
        locked.status = RequestStatus.REJECTED
        locked.reject_reason = reason
        locked.decided_by = user
        locked.completed_at = timezone.now()
        locked.save()
    return locked


def _number_take(*, request_id, year: int) -> tuple[LetterType, int]:
    """The request's letter type and its next number in ``year``, inside the caller's
    transaction.

    The UPDATE is the transaction's first statement: on SQLite it takes the database's write
    lock (the hub's IMMEDIATE transactions hold it from BEGIN; on a deferred one this is where
    it is taken, before any read could make the upgrade fail), on PostgreSQL it locks the
    counter row until commit. A concurrent approval of the same type waits here, then reads
    the number after ours; a rollback gives the number back."""
    of_request = LetterRequest.objects.filter(pk=request_id).values("letter_type")
    counters = LetterCounter.objects.filter(letter_type__in=of_request, year=year)
    updated = counters.update(last=F("last") + 1)
    letter_type = LetterType.objects.filter(pk__in=of_request).first()
    if letter_type is None:
        raise LetterError(_("Permohonan tidak ditemukan."), code="not_found")
    if not updated:
        try:
            with transaction.atomic():
                LetterCounter.objects.create(letter_type=letter_type, year=year, last=1)
        except IntegrityError:
            # another approval made the row between our UPDATE and INSERT (PostgreSQL)
            counters.update(last=F("last") + 1)
    return letter_type, counters.values_list("last", flat=True).get()


def _village():
    return VillageSettings.objects.select_related("logo").first() or VillageSettings()


def _logo_bytes(village) -> bytes | None:
    if not village.logo_id:
        return None
    try:
        with village.logo.file.open("rb") as handle:
            return handle.read()
    except OSError:
        return None


def _sex_label(nik_value: str) -> str:
    try:
        return "Perempuan" if nik_validate(nik_value).sex == SEX_FEMALE else "Laki-laki"
    except ValidationError:
        return ""


def letter_values(request: LetterRequest, village, *, display_dates: bool = True) -> dict:
    """Every placeholder's value for a request: the common ones and the type's fields (dates
    written out in Indonesian unless ``display_dates`` is False)."""
    values = json.loads(request.data or "{}")
    for key, value in list(values.items()):
        if display_dates and value and len(value) == 10 and value[4] == "-":
            with contextlib.suppress(ValueError):
                values[key] = date_id(date.fromisoformat(value))
    try:
        born = nik_validate(request.nik).birth_date
        birth = date_id(born) if display_dates else born.isoformat()
    except ValidationError:
        birth = ""
    return {
        "nama": request.name,
        "nik": request.nik,
        "kk": request.kk,
        "alamat": request.address,
        "jenis_kelamin": _sex_label(request.nik),
        "tanggal_lahir": birth,
        "keperluan": request.purpose,
        "desa": village.display_name,
        "kecamatan": village.kecamatan_name,
        "kabupaten": village.kabupaten_name,
        "provinsi": village.province_name,
        **values,
    }


def letter_body(request: LetterRequest, village) -> str:
    """The type's body with every placeholder filled from the request and the village."""
    filled = letter_values(request, village)
    return PLACEHOLDER_RE.sub(
        lambda match: str(filled.get(match.group(1)) or "-"), request.letter_type.body_template
    )


def verify_url(token: str) -> str:
    return f"{conf.verify_base_url()}/verifikasi/{token}/"


class _AlreadyNumbered(Exception):
    """Raised inside the numbering transaction to give its counter increment back."""


def _request_number(*, request_id, user, letter_date: date) -> LetterRequest:
    """Step 1 of an approval, short, under the write lock: the request's number."""
    try:
        with transaction.atomic():
            # the counter first: the lock is taken before anything is read (see _number_take)
            kind, seq = _number_take(request_id=request_id, year=letter_date.year)
            locked = _open_request_locked(request_id)
            if locked.status != RequestStatus.SUBMITTED:
                raise LetterError(
                    _("Permohonan ini masih menunggu perbaikan dari pemohon."), code="status"
                )
            if locked.number:
                # an earlier approval numbered it and failed before the letter was stored:
                # the letter keeps that number (rolling back this one keeps the count whole)
                raise _AlreadyNumbered
            locked.number = number_format(
                kind.number_pattern,
                seq=seq,
                year=letter_date.year,
                month=letter_date.month,
                klasifikasi=kind.klasifikasi,
            )
            locked.letter_date = letter_date
            locked.decided_by = user
            locked.save(update_fields=["number", "letter_date", "decided_by", "updated_at"])
    except _AlreadyNumbered:
        pass
    return LetterRequest.objects.select_related("letter_type").get(pk=request_id)


def letter_request_approve(*, request_id, user, letter_date: date | None = None) -> LetterRequest:
    """Approve: the next number of the type and year, the PDF rendered once, stored with its
    SHA-256, and the verification record that syncs up.

    In two short transactions around the rendering, so the database's write lock (one for the
    whole hub on SQLite) is never held while a PDF is drawn: (1) the counter and the request's
    number, gap-free and unique; (2) the file, the verification record and the status. If (2)
    fails, the request keeps its number and approving again finishes it with that number."""
    recipient = _forward_recipient_for(request_id)
    numbered = _request_number(
        request_id=request_id, user=user, letter_date=letter_date or timezone.localdate()
    )
    kind, village = numbered.letter_type, _village()
    token = secrets.token_urlsafe(32)
    pdf = letter_pdf_render(
        head=Letterhead(
            kabupaten=village.kabupaten_name,
            kecamatan=village.kecamatan_name,
            village=str(village.display_name),
            address=village.address,
            logo=_logo_bytes(village),
        ),
        content=LetterContent(
            title=kind.name,
            number=numbered.number,
            body=letter_body(numbered, village),
            place=village.village_name or str(village.display_name),
            letter_date=numbered.letter_date,
            signer_name=kind.signer_name,
            signer_position=kind.signer_position,
            verify_url=verify_url(token),
        ),
    )
    digest = hashlib.sha256(pdf).hexdigest()
    written = photos.private_write(folder="pdf", suffix=".pdf", data=pdf)
    try:
        with transaction.atomic():
            locked = _open_request_locked(request_id)
            if locked.status != RequestStatus.SUBMITTED or locked.number != numbered.number:
                raise LetterError(_("Permohonan ini sudah disetujui."), code="status")
            verification = LetterVerification.objects.create(
                token=token,
                letter_type_code=kind.code,
                letter_type_name=kind.name,
                number=numbered.number,
                letter_date=numbered.letter_date,
                village_code=village.village_code,
                village_name=str(village.display_name),
                pdf_sha256=digest,
            )
            if recipient is not None:
                _letter_forward_make(
                    request=numbered,
                    recipient=recipient,
                    verification=verification,
                    village=village,
                )
            locked.status = RequestStatus.APPROVED
            locked.pdf_sha256 = digest
            locked.pdf_path = written
            locked.verification = verification
            locked.decided_by = user
            locked.completed_at = timezone.now()
            locked.correction_note = ""
            locked.save()
    except BaseException:
        photos.private_delete(written)
        raise
    return locked


def _forward_recipient_for(request_id) -> ForwardRecipient | None:
    """The recipient the request's type forwards to, None when it forwards nothing; refuses
    (before anything is numbered) when the type names one this hub does not have."""
    kind = LetterType.objects.filter(requests__pk=request_id).first()
    if kind is None:
        raise LetterError(_("Permohonan tidak ditemukan."), code="not_found")
    if not kind.forward_to:
        return None
    recipient = ForwardRecipient.objects.filter(code=kind.forward_to, active=True).first()
    if recipient is None:
        raise LetterError(
            _(
                "Jenis surat ini meneruskan data ke '%(code)s', tetapi penerima itu tidak ada "
                "(atau tidak aktif) di hub ini. Sinkronkan dengan server induk atau ubah jenis "
                "surat; permohonan belum disetujui."
            )
            % {"code": kind.forward_to},
            code="recipient",
        )
    return recipient


def _letter_forward_make(*, request, recipient, verification, village) -> LetterForward:
    """The type's forwarded fields of an approved letter, sealed to the recipient's key."""
    kind = request.letter_type
    values = letter_values(request, village, display_dates=False)
    chosen = {name: str(values.get(name) or "") for name in kind.forward_fields}
    forward = LetterForward(
        recipient_code=recipient.code,
        key_id=recipient.key_id,
        token=verification.token,
        letter_type_code=kind.code,
        number=verification.number,
        letter_date=verification.letter_date,
        village_code=verification.village_code,
    )
    payload = {"letter_type": kind.name, "fields": chosen}
    forward.sealed = sealing.seal(
        public_key=sealing.public_key_parse(recipient.public_key),
        plaintext=json.dumps(payload, ensure_ascii=False, sort_keys=True).encode(),
        aad=forward.associated_data(),
    )
    forward.save()
    return forward


def letter_forward_open(*, forward: LetterForward, private_key) -> dict:
    """What a recipient reads from a forwarded record with its private key: the letter's facts
    and the forwarded fields. :class:`LetterError` when the record is not for this key or was
    changed (nothing is returned of it)."""
    if forward.key_id != sealing.key_id(sealing.private_key_public(private_key)):
        raise LetterError(
            _("Data %(number)s disegel untuk kunci lain (%(key)s).")
            % {"number": forward.number, "key": forward.key_id},
            code="key",
        )
    if not forward.sealed:
        raise LetterError(
            _(
                "Data %(number)s dari desa %(village)s sudah dihapus desa (masa simpan habis "
                "atau atas permintaan pemohon); tidak ada yang dapat dibuka."
            )
            % {"number": forward.number, "village": forward.village_code},
            code="erased",
        )
    try:
        payload = json.loads(
            sealing.unseal(
                private_key=private_key, sealed=forward.sealed, aad=forward.associated_data()
            )
        )
    except sealing.SealError as exc:
        raise LetterError(
            _("Data %(number)s dari desa %(village)s rusak atau telah diubah; tidak dibuka.")
            % {"number": forward.number, "village": forward.village_code},
            code="tampered",
        ) from exc
    return {
        "id": str(forward.pk),
        "village_code": forward.village_code,
        "letter_type_code": forward.letter_type_code,
        "letter_type": payload.get("letter_type", ""),
        "number": forward.number,
        "letter_date": forward.letter_date.isoformat(),
        "token": forward.token,
        "fields": payload.get("fields", {}),
    }


def forward_recipient_set(
    *, code: str, name: str, region: str, public_key: str, active: bool = True
) -> ForwardRecipient:
    """Register (or update: a new key, a new name) an office that may receive forwarded data.
    On the upstream only; the record syncs down to the villages of ``region``."""
    if not is_upstream():
        raise LetterError(_("Penerima didaftarkan di server induk, bukan di hub desa."))
    try:
        raw = sealing.public_key_parse(public_key)
    except sealing.SealError as exc:
        raise LetterError(
            {"public_key": [_("Kunci publik harus kunci X25519: base64 dari 32 bita.")]}
        ) from exc
    recipient = ForwardRecipient.objects.filter(code=code).first() or ForwardRecipient(code=code)
    recipient.name = name
    recipient.region = region
    recipient.public_key = sealing.public_key_text(raw)
    recipient.key_id = sealing.key_id(raw)
    recipient.active = active
    try:
        recipient.full_clean()
    except ValidationError as exc:
        raise LetterError(exc.message_dict) from exc
    recipient.save()
    return recipient


def letter_pdf_bytes(request: LetterRequest) -> bytes:
    """The stored PDF, checked against its SHA-256 (a file changed on disk is not served)."""
    data = photos.private_read(request.pdf_path)
    if hashlib.sha256(data).hexdigest() != request.pdf_sha256:
        raise LetterError(_("Berkas surat tidak cocok dengan sidik SHA-256-nya."), code="hash")
    return data


def letter_revoke(*, verification: LetterVerification, user=None) -> LetterVerification:
    """Revoke an issued letter: the verification page (here and, after a sync, upstream) says
    so. Only the village that issued it may."""
    if not verification.is_local:
        raise LetterError(verification.origin_guard_message % {"origin": verification.origin})
    if verification.status == VerificationStatus.REVOKED:
        raise LetterError(_("Surat ini sudah dicabut."), code="status")
    verification.status = VerificationStatus.REVOKED
    verification.revoked_at = timezone.now()
    verification.save()
    return verification
