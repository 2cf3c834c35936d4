"""Fifty approvals of one letter type at once, from real threads on the real SQLite file with
the hub's PRAGMAs and IMMEDIATE transactions: the numbers are 1 to 50, each once."""

import threading

import pytest
from django.db import connection

from egov.letters.models import LetterCounter, LetterRequest, LetterType, LetterVerification
from egov.letters.services import Applicant, letter_request_approve, letter_request_submit
from hub.site.services import village_identity_set

from .conftest import KK, NIK, PHONE

APPROVALS = 50


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_fifty_concurrent_approvals_get_gap_free_unique_numbers(official):
    # given fifty requests of one type (no photos: this is about the numbers)
    assert connection.vendor == "sqlite" and "IMMEDIATE" in str(
        connection.settings_dict["OPTIONS"]["transaction_mode"]
    )
    village_identity_set(code="15.03.01.2021")
    letter_type = LetterType.objects.create(
        code="serentak",
        name="Surat serentak",
        klasifikasi="470",
        number_pattern="470/{seq:03}/DS/{year}",
        fields=[],
        attachments=[],
        body_template="{nama}",
    )
    applicant = Applicant(name="Warga", nik=NIK, kk=KK, phone=PHONE, address="RT 1", purpose="uji")
    ids = [
        letter_request_submit(
            letter_type=letter_type, applicant=applicant, values={}, uploads={}
        ).pk
        for _ in range(APPROVALS)
    ]
    barrier = threading.Barrier(APPROVALS)
    errors = []

    def approve(request_id):
        try:
            barrier.wait()
            letter_request_approve(request_id=request_id, user=official)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(repr(exc))
        finally:
            connection.close()

    # when fifty officials approve them at the same moment
    threads = [threading.Thread(target=approve, args=(pk,)) for pk in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    # then every approval succeeded with its own number, 1 to 50 without a gap
    assert errors == []
    numbers = sorted(
        LetterRequest.objects.filter(letter_type=letter_type).values_list("number", flat=True)
    )
    year = LetterRequest.objects.filter(letter_type=letter_type).first().letter_date.year
    assert numbers == [f"470/{seq:03}/DS/{year}" for seq in range(1, APPROVALS + 1)]
    assert LetterCounter.objects.get(letter_type=letter_type).last == APPROVALS
    assert LetterVerification.objects.filter(letter_type_code="serentak").count() == APPROVALS
