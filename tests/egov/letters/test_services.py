"""The letter flows through the services: submit, correct, decide, approve, revoke, retention."""

import hashlib
import json
from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from egov.letters import conf, photos, retention, services
from egov.letters.models import (
    LetterAttachment,
    LetterCounter,
    LetterRequest,
    LetterVerification,
    RequestStatus,
    VerificationStatus,
)
from egov.letters.services import LetterError, letter_request_for_applicant

from .conftest import KK, NIK, PHONE


def test_a_request_is_stored_encrypted_with_a_tracking_code(submitted):
    # given a request submitted by a villager (fixture)
    # when the row is read raw from the database
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nik, kk, name, phone, data FROM egov_letters_letterrequest WHERE id = %s",
            [submitted.pk.hex],
        )
        raw = " ".join(cursor.fetchone())
    # then no personal value is in it in clear, and the model gives it back
    for secret in (NIK, KK, "Siti Aminah", "+6281234567001", "Petani"):
        assert secret not in raw
    found = LetterRequest.objects.get(pk=submitted.pk)
    assert (found.nik, found.kk, found.phone) == (NIK, KK, "+6281234567001")
    assert found.nik_masked == "1503********0001"
    assert len(found.code) == 8 and found.status == RequestStatus.SUBMITTED
    assert json.loads(found.data)["pekerjaan"] == "Petani"


def test_a_request_is_found_by_code_and_phone_only(submitted):
    # given a submitted request
    # when it is looked up with the right pair, a differently written phone, and wrong pairs
    right = letter_request_for_applicant(code=submitted.code, phone=PHONE)
    other_form = letter_request_for_applicant(code=submitted.code.lower(), phone="+6281234567001")
    wrong_phone = letter_request_for_applicant(code=submitted.code, phone="0812 3456 7002")
    forged = letter_request_for_applicant(code="ACDEFGHJ", phone=PHONE)
    garbage = letter_request_for_applicant(code="'; DROP TABLE--", phone="abc")
    # then only the right pair finds it
    assert right == submitted and other_form == submitted
    assert wrong_phone is None and forged is None and garbage is None


def test_the_photos_are_reencoded_without_metadata_and_kept_private(submitted, settings):
    # given a request whose photos were sent (fixture)
    attachment = LetterAttachment.objects.filter(request=submitted).first()
    # when the stored file is read
    path = photos.private_path(attachment.path)
    data = path.read_bytes()
    # then it is a JPEG outside MEDIA_ROOT, readable by the owner only
    assert data[:3] == b"\xff\xd8\xff"
    assert str(settings.MEDIA_ROOT) not in str(path)
    assert path.stat().st_mode & 0o077 == 0


def test_exif_is_stripped(village, sktm, applicant, sktm_values):
    # given a photo carrying EXIF (a GPS-like maker note)
    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "SECRET-PHONE-MAKER"
    exif[0x9286] = "GPS -1.6 103.6 rumah"
    from .conftest import jpeg_bytes

    data = jpeg_bytes(exif=exif.tobytes())
    assert b"SECRET-PHONE-MAKER" in data
    # when it is sent with a request
    request = services.letter_request_submit(
        letter_type=sktm,
        applicant=applicant,
        values=sktm_values,
        uploads={spec["name"]: data for spec in sktm.attachments},
    )
    # then the stored files carry none of it
    for attachment in request.photos.all():
        stored = photos.private_read(attachment.path)
        assert b"SECRET-PHONE-MAKER" not in stored and b"GPS" not in stored
        assert b"Exif" not in stored


def test_ask_correction_then_correct_then_approve(
    submitted, official, sktm_values, django_capture_on_commit_callbacks
):
    # given a submitted request
    # when the official asks for a correction
    services.letter_request_ask_correction(
        request_id=submitted.pk, note="Foto KK buram, kirim ulang.", user=official
    )
    # then the villager sees the note, and approval waits for the fix
    seen = letter_request_for_applicant(code=submitted.code, phone=PHONE)
    assert seen.status == RequestStatus.CORRECTION
    assert seen.correction_note == "Foto KK buram, kirim ulang."
    with pytest.raises(LetterError):
        services.letter_request_approve(request_id=submitted.pk, user=official)
    # when the villager corrects it with a new KK photo
    from .conftest import jpeg_bytes

    old_kk = submitted.photos.get(kind="kk").path
    with django_capture_on_commit_callbacks(execute=True):
        fixed = services.letter_request_correct(
            code=submitted.code,
            phone=PHONE,
            applicant=services.Applicant(
                name="Siti Aminah",
                nik=NIK,
                kk=KK,
                phone="",
                address="RT 002 RW 001",
                purpose="sekolah",
            ),
            values={**sktm_values, "pekerjaan": "Pedagang"},
            uploads={"kk": jpeg_bytes(640, 400)},
        )
    # then it is back in the queue with the new values, the old KK photo gone
    assert fixed.status == RequestStatus.SUBMITTED
    assert json.loads(fixed.data)["pekerjaan"] == "Pedagang"
    assert fixed.photos.count() == 3
    assert fixed.photos.get(kind="kk").width == 640
    assert not photos.private_path(old_kk).exists()
    # and it can be approved
    approved = services.letter_request_approve(request_id=submitted.pk, user=official)
    assert approved.status == RequestStatus.APPROVED


def test_approve_numbers_renders_once_and_records_the_verification(submitted, official):
    # given a submitted SKTM
    # when it is approved on a given day
    approved = services.letter_request_approve(
        request_id=submitted.pk, user=official, letter_date=date(2026, 12, 2)
    )
    # then it has the first number of the type and year, in the type's pattern
    assert approved.number == "400/001/SKTM/XII/2026"
    # and the stored PDF matches its SHA-256
    pdf = services.letter_pdf_bytes(approved)
    assert pdf.startswith(b"%PDF") and hashlib.sha256(pdf).hexdigest() == approved.pdf_sha256
    # and a verification record with the same facts and nothing personal
    verification = approved.verification
    assert verification.number == approved.number
    assert verification.pdf_sha256 == approved.pdf_sha256
    assert verification.village_code == "1503012021"
    assert verification.status == VerificationStatus.VALID
    assert len(verification.token) >= 40
    # and a second approval is refused without using a number
    with pytest.raises(LetterError):
        services.letter_request_approve(request_id=submitted.pk, user=official)
    assert LetterCounter.objects.get(letter_type=submitted.letter_type).last == 1


def test_the_letter_body_fills_the_placeholders(submitted, village):
    # given a request for an SKTM
    # when its body is filled
    body = services.letter_body(submitted, village)
    # then the applicant's and the village's values are in it, and no placeholder is left
    assert "Siti Aminah" in body and NIK in body and "Petani" in body
    assert "Perempuan" in body and "5 Juni 1990" in body
    assert "{" not in body


def test_reject_needs_a_reason_and_closes_the_request(submitted, official):
    # given a submitted request
    # when the official rejects without a reason
    with pytest.raises(LetterError) as refused:
        services.letter_request_reject(request_id=submitted.pk, reason="  ", user=official)
    # then nothing changed
    assert "wajib" in str(refused.value)
    assert LetterRequest.objects.get(pk=submitted.pk).status == RequestStatus.SUBMITTED
    # when a reason is given
    services.letter_request_reject(
        request_id=submitted.pk, reason="Bukan warga desa ini.", user=official
    )
    # then it is closed with the reason, and cannot be approved
    rejected = LetterRequest.objects.get(pk=submitted.pk)
    assert rejected.status == RequestStatus.REJECTED and rejected.completed_at
    with pytest.raises(LetterError):
        services.letter_request_approve(request_id=submitted.pk, user=official)
    assert not LetterVerification.objects.exists()


def test_revoke_marks_the_verification(submitted, official):
    # given an approved letter
    approved = services.letter_request_approve(request_id=submitted.pk, user=official)
    rev = approved.verification.rev
    # when it is revoked
    services.letter_revoke(verification=approved.verification, user=official)
    # then the verification says so, with a new revision (it syncs up again)
    verification = LetterVerification.objects.get(pk=approved.verification.pk)
    assert verification.status == VerificationStatus.REVOKED and verification.revoked_at
    assert verification.rev > rev
    with pytest.raises(LetterError):
        services.letter_revoke(verification=verification)


def test_retention_deletes_photos_then_erases_personal_data(
    submitted, official, django_capture_on_commit_callbacks
):
    # given an approved letter completed long ago
    approved = services.letter_request_approve(request_id=submitted.pk, user=official)
    photo_paths = [photos.private_path(p.path) for p in approved.photos.all()]
    pdf_path = photos.private_path(approved.pdf_path)
    # when the retention runs 91 days after completion
    later = approved.completed_at + timedelta(days=91)
    with django_capture_on_commit_callbacks(execute=True):
        done = retention.letters_retention_apply(now=later)
    # then the photos are gone and the personal data is still there
    assert done == {"photos": 1, "anonymised": 0, "forwards": 0}
    assert not any(path.exists() for path in photo_paths)
    assert LetterRequest.objects.get(pk=submitted.pk).nik == NIK
    # when it runs after the retention period
    with django_capture_on_commit_callbacks(execute=True):
        done = retention.letters_retention_apply(now=approved.completed_at + timedelta(days=400))
    # then the personal data and the PDF are erased, the verification stays
    erased = LetterRequest.objects.get(pk=submitted.pk)
    assert done == {"photos": 0, "anonymised": 1, "forwards": 0}
    assert (erased.name, erased.nik, erased.kk, erased.phone, erased.data) == ("", "", "", "", "")
    assert erased.nik_index == "" and erased.anonymised_at
    assert not pdf_path.exists()
    assert LetterVerification.objects.filter(pk=approved.verification_id).exists()
    assert letter_request_for_applicant(code=erased.code, phone=PHONE) is None
    # and running again changes nothing
    assert retention.letters_retention_apply(now=timezone.now() + timedelta(days=999)) == {
        "photos": 0,
        "anonymised": 0,
        "forwards": 0,
    }


def test_the_submit_rate_limit(village, sktm, applicant, sktm_values, uploads_for, settings):
    # given a limit of two requests per window from one client
    settings.EGOV_LETTERS_RATE_LIMIT = 2
    for _ in range(2):
        services.letter_request_submit(
            letter_type=sktm,
            applicant=applicant,
            values=sktm_values,
            uploads=uploads_for(sktm),
            client_key="k",
        )
    # when a third comes
    with pytest.raises(services.RateLimited):
        services.letter_request_submit(
            letter_type=sktm,
            applicant=applicant,
            values=sktm_values,
            uploads=uploads_for(sktm),
            client_key="k",
        )
    # then it is refused and nothing more is stored
    assert LetterRequest.objects.count() == 2


def test_an_approval_that_fails_after_numbering_keeps_its_number(submitted, official, settings):
    # given a private directory that cannot be written (a file stands where it should be)
    blocked = conf.private_dir().parent / "blocked"
    blocked.parent.mkdir(parents=True, exist_ok=True)
    blocked.write_text("")
    good = settings.EGOV_LETTERS_PRIVATE_DIR
    settings.EGOV_LETTERS_PRIVATE_DIR = blocked
    # when the approval fails while storing the letter
    with pytest.raises(OSError):
        services.letter_request_approve(request_id=submitted.pk, user=official)
    # then the request is numbered but not approved, and nothing else was made
    half = LetterRequest.objects.get(pk=submitted.pk)
    assert half.status == RequestStatus.SUBMITTED and half.number.startswith("400/001/")
    assert not LetterVerification.objects.exists()
    # and it can no longer be rejected (its number must end on a letter)
    with pytest.raises(LetterError):
        services.letter_request_reject(request_id=submitted.pk, reason="x", user=official)
    # when it is approved again with the directory back
    settings.EGOV_LETTERS_PRIVATE_DIR = good
    done = services.letter_request_approve(request_id=submitted.pk, user=official)
    # then it keeps its number and the counter did not move again
    assert done.status == RequestStatus.APPROVED and done.number == half.number
    assert LetterCounter.objects.get(letter_type=submitted.letter_type).last == 1
