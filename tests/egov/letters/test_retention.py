"""Erasing a request's personal data (issue 13 §4): after the retention period and at the
villager's request, the sealed copy forwarded to the kecamatan goes too (on the village, and on
the upstream through the engine, as the owner's change); the verification record stays."""

import io
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from egov.letters import photos
from egov.letters.models import (
    LetterForward,
    LetterRequest,
    LetterVerification,
    LetterViewLog,
    RequestStatus,
)
from egov.letters.retention import letter_request_erase, letters_retention_apply
from egov.letters.selectors import letter_forwards_export, letter_forwards_for_key
from egov.letters.services import (
    LetterError,
    letter_forward_open,
    letter_request_approve,
    letter_request_reject,
    letter_request_submit,
)
from hub.site.services import village_identity_set
from hub.sync.models import JournalEntry
from hub.sync.village.run import sync_run

from .conftest import KK, NIK
from .test_forwarding import _forwarding, _recipient_here, key_pair  # noqa: F401
from .test_sync_spec import UPSTREAM, VILLAGE, transport  # noqa: F401


@pytest.fixture
def forwarded(village, submitted, official, key_pair):  # noqa: F811
    """An approved SKTM whose type forwards name, NIK, KK, address and occupation."""
    _recipient_here(key_pair[1])
    _forwarding(submitted.letter_type)
    return letter_request_approve(request_id=submitted.pk, user=official)


def _files(request):
    return [photos.private_path(p.path) for p in request.photos.all()] + [
        photos.private_path(request.pdf_path)
    ]


def test_retention_erases_the_forwarded_copy_and_keeps_the_verification(
    forwarded,
    key_pair,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    # given an approved letter whose data was forwarded, sealed, to the kecamatan
    private, _public = key_pair
    forward = LetterForward.objects.get()
    rev, sealed = forward.rev, forward.sealed
    assert letter_forward_open(forward=forward, private_key=private)["fields"]["nik"] == NIK
    # when the retention runs after the retention period
    with django_capture_on_commit_callbacks(execute=True):
        done = letters_retention_apply(now=forwarded.completed_at + timedelta(days=400))
    # then the request is anonymised and the forward's sealed payload is gone, as a new
    # revision journaled for the next push (the owner's change)
    assert done == {"photos": 1, "anonymised": 1, "forwards": 1}
    forward.refresh_from_db()
    assert forward.sealed == "" and sealed not in json.dumps(
        list(LetterForward.objects.values()), default=str
    )
    assert forward.rev == rev + 1
    assert JournalEntry.objects.filter(uid=forward.pk, rev=forward.rev).exists()
    # and the letter's facts stay on the forward, its verification still says valid
    assert (forward.number, forward.token) == (forwarded.number, forwarded.verification.token)
    verification = LetterVerification.objects.get(pk=forwarded.verification_id)
    assert verification.status == "sah" and verification.token == forward.token
    # and the recipient is told it was erased, and no longer gets it in a list or an export
    with pytest.raises(LetterError) as refused:
        letter_forward_open(forward=forward, private_key=private)
    assert refused.value.code == "erased" and "sudah dihapus" in refused.value.messages[0]
    assert not letter_forwards_for_key(forward.key_id).exists()
    assert letter_forwards_export(recipient=forward.recipient_code) == []
    # and running again changes nothing
    assert letters_retention_apply(now=forwarded.completed_at + timedelta(days=999)) == {
        "photos": 0,
        "anonymised": 0,
        "forwards": 0,
    }
    forward.refresh_from_db()
    assert forward.rev == rev + 1


def test_the_villager_s_erasure_takes_everything_personal_now(
    forwarded, official, django_capture_on_commit_callbacks
):
    # given an approved letter, days old, with photos, a PDF and a forwarded copy
    files = _files(forwarded)
    assert all(path.exists() for path in files)
    # when the villager asks the office to erase their data
    with django_capture_on_commit_callbacks(execute=True):
        letter_request_erase(request_id=forwarded.pk, user=official)
    # then the fields, the photos, the PDF and the forwarded copy are gone
    erased = LetterRequest.objects.get(pk=forwarded.pk)
    assert (erased.name, erased.nik, erased.kk, erased.phone, erased.data) == ("", "", "", "", "")
    assert erased.nik_index == "" and erased.anonymised_at and erased.attachments_deleted_at
    assert not erased.photos.exists() and not any(path.exists() for path in files)
    assert LetterForward.objects.get().sealed == ""
    # and the number and the verification stay; the erasure is logged with who did it
    assert erased.number == forwarded.number and erased.status == RequestStatus.APPROVED
    assert LetterVerification.objects.get(pk=forwarded.verification_id).status == "sah"
    log = LetterViewLog.objects.get(action=LetterViewLog.Action.ERASE)
    assert (log.request_id, log.user) == (forwarded.pk, official)
    # and the retention later finds nothing more to do
    assert letters_retention_apply(now=erased.completed_at + timedelta(days=999)) == {
        "photos": 0,
        "anonymised": 0,
        "forwards": 0,
    }


def test_an_erasure_that_cannot_be_done_is_refused_and_changes_nothing(
    submitted, official, django_capture_on_commit_callbacks
):
    # given a request still waiting for review
    # when its erasure is asked: then it is refused (reject it first), nothing changed
    with pytest.raises(LetterError) as refused:
        letter_request_erase(request_id=submitted.pk, user=official)
    assert refused.value.code == "open" and submitted.code in refused.value.messages[0]
    still = LetterRequest.objects.get(pk=submitted.pk)
    assert still.nik == NIK and still.anonymised_at is None and still.photos.exists()
    assert not LetterViewLog.objects.exists()
    # when it is rejected at the villager's wish, then erased
    letter_request_reject(request_id=submitted.pk, reason="permintaan pemohon", user=official)
    with django_capture_on_commit_callbacks(execute=True):
        letter_request_erase(request_id=submitted.pk, user=official)
    # then it is erased; asking again is refused, and so is a request that does not exist
    assert LetterRequest.objects.get(pk=submitted.pk).kk == ""
    with pytest.raises(LetterError) as again:
        letter_request_erase(request_id=submitted.pk, user=official)
    assert again.value.code == "erased"
    with pytest.raises(LetterError) as missing:
        letter_request_erase(request_id="00000000-0000-4000-8000-000000000000", user=official)
    assert missing.value.code == "not_found"
    assert LetterViewLog.objects.filter(action="hapus").count() == 1


def test_an_official_erases_from_the_request_page(
    official_client, forwarded, django_capture_on_commit_callbacks
):
    # given an approved request, opened by a Pelayanan official: the page offers the erasure
    page = official_client.get(reverse("letter_requests:detail", args=[forwarded.pk]))
    erase_url = reverse("letter_requests:erase", args=[forwarded.pk])
    assert erase_url in page.content.decode()
    # when they press it
    with django_capture_on_commit_callbacks(execute=True):
        response = official_client.post(erase_url, follow=True)
    # then the page says so and shows no personal data any more
    html = response.content.decode()
    assert response.status_code == 200 and "dihapus" in html and KK not in html
    assert LetterRequest.objects.get(pk=forwarded.pk).anonymised_at is not None
    assert erase_url not in html


def test_an_official_of_another_group_cannot_erase(client, editor, forwarded):
    # given an Editors official (admin access, no letter permission)
    client.force_login(editor)
    # when they post the erasure
    response = client.post(reverse("letter_requests:erase", args=[forwarded.pk]))
    # then it is refused and nothing changed
    assert response.status_code == 403
    assert LetterRequest.objects.get(pk=forwarded.pk).nik == NIK
    assert LetterForward.objects.get().sealed != ""


def test_the_command_erases_by_tracking_code_and_refuses_as_the_service_does(
    forwarded, submitted, django_capture_on_commit_callbacks
):
    # when the operator erases by a code that does not exist: refused
    with pytest.raises(CommandError, match="Tidak ada permohonan"):
        call_command("letters_request_erase", "TIDAKADA", stdout=io.StringIO())
    # when by the approved request's code (typed in lower case)
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("letters_request_erase", forwarded.code.lower(), stdout=out)
    # then it is erased, and a second time is refused with the service's message
    assert forwarded.code in out.getvalue()
    assert LetterForward.objects.get().sealed == ""
    with pytest.raises(CommandError, match="sudah dihapus"):
        call_command("letters_request_erase", forwarded.code, stdout=io.StringIO())


# the upstream's copy


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_erasure_reaches_the_upstream_s_copy_through_the_sync(
    upstream,  # noqa: F811
    transport,  # noqa: F811
    sktm,
    applicant,
    sktm_values,
    uploads_for,
    official,
    key_pair,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    # given a forwarded letter whose sealed copy has synced up to the upstream
    private, public = key_pair
    village_identity_set(code="15.03.01.2021")
    _recipient_here(public)
    _forwarding(sktm)
    submitted = letter_request_submit(
        letter_type=sktm, applicant=applicant, values=sktm_values, uploads=uploads_for(sktm)
    )
    approved = letter_request_approve(request_id=submitted.pk, user=official)
    assert sync_run(trigger="test", force=True, transport=transport).outcome == "ok"
    with upstream.active():
        there = LetterForward.objects.get()
        sealed = there.sealed
        assert letter_forward_open(forward=there, private_key=private)["fields"]["kk"] == KK
    # when the villager's data is erased on the village and the village syncs
    with django_capture_on_commit_callbacks(execute=True):
        letter_request_erase(request_id=approved.pk, user=official)
    transport.bodies.clear()
    run = sync_run(trigger="test", force=True, transport=transport)
    # then the upstream applied the owner's change: its copy holds no ciphertext any more
    assert run.outcome == "ok", run.error
    assert sealed.encode() not in b"".join(transport.bodies)
    with upstream.active():
        there = LetterForward.objects.get()
        assert there.sealed == "" and there.origin == VILLAGE
        assert not letter_forwards_for_key(there.key_id).exists()
        # and the letter still verifies there, with nothing personal
        verification = LetterVerification.objects.get(token=approved.verification.token)
        assert verification.status == "sah" and verification.number == approved.number
    # and not even the upstream's database files keep it (Debian's SQLite is built with
    # SECURE_DELETE, so a rewritten row's old bytes are zeroed)
    upstream.connection.close()
    stored = b"".join(path.read_bytes() for path in upstream.root.glob("upstream.sqlite3*"))
    assert sealed.encode() not in stored, "the old ciphertext is still in the upstream's file"
