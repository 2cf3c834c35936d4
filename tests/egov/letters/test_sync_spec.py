"""What of letters travels: only the verification record, up, with nothing personal; and the
upstream verifies a letter's token once the record has applied there."""

import pytest
from django.test import Client, override_settings

from egov.letters.models import LetterRequest, LetterVerification, VerificationStatus
from egov.letters.selectors import letter_verification_for_token
from egov.letters.services import letter_request_approve, letter_revoke
from hub.site.services import village_identity_set
from hub.sync.registry import spec_for
from hub.sync.upstream.enrollment import village_enroll
from hub.sync.village.pinning import upstream_set
from hub.sync.village.run import sync_run
from hub.sync.wire import keys
from hub.sync.wire.codec import decode_page
from tests.harness.inprocess import InProcessTransport, node_settings

from .conftest import KK, NIK

UPSTREAM = "15"
VILLAGE = "1503012021"


def test_only_the_verification_record_is_registered_and_it_has_no_personal_field():
    # given the letters' models
    # when the sync registry is asked about them
    names = {f.name for f in spec_for(LetterVerification).wire_fields()}
    # then the verification goes with its facts only, and a request is not synced at all
    assert {"token", "number", "letter_date", "village_code", "pdf_sha256", "status"} <= names
    assert not names & {"name", "nik", "kk", "phone", "address", "request", "data"}
    assert spec_for(LetterRequest) is None


class RecordingTransport(InProcessTransport):
    """Keeps every body the village sends, to read what went on the wire."""

    def __init__(self, upstream):
        super().__init__(upstream)
        self.bodies: list[bytes] = []

    def request(self, method, url, *, body, headers, stream=False):
        if body:
            self.bodies.append(bytes(body))
        return super().request(method, url, body=body, headers=headers, stream=stream)


@pytest.fixture
def transport(upstream, settings, tmp_path):
    for name, value in node_settings(tmp_path / "village", SYNC_NODE_CODE=VILLAGE).items():
        setattr(settings, name, value)
    village_key, _created = keys.node_key_create()
    with upstream.active():
        village_enroll(code=VILLAGE, public_key=keys.public_key_text(village_key.public_key()))
    upstream_set(url="http://upstream.test", public_key=upstream.public_key, code=UPSTREAM)
    return RecordingTransport(upstream)


# sync_run commits, so this test does too; the serialized rollback restores the seeded rows
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_verification_goes_up_without_personal_data_and_verifies_upstream(
    upstream, transport, sktm, applicant, sktm_values, uploads_for, official
):
    # given an approved SKTM on the village
    village_identity_set(code="15.03.01.2021")
    from egov.letters.services import letter_request_submit

    submitted = letter_request_submit(
        letter_type=sktm, applicant=applicant, values=sktm_values, uploads=uploads_for(sktm)
    )
    approved = letter_request_approve(request_id=submitted.pk, user=official)
    token = approved.verification.token

    # when the village syncs
    run = sync_run(trigger="test", force=True, transport=transport)

    # then the wire carried the verification and nothing personal
    assert run.outcome == "ok", run.error
    wire = b""
    for body in transport.bodies:
        try:
            header, items = decode_page(body)
        except Exception:  # noqa: BLE001, S112 - not every body is a page (blob uploads)
            continue
        wire += repr((header, items)).encode()
    assert token.encode() in wire and approved.number.encode() in wire
    for secret in (NIK, KK, "Siti Aminah", "6281234567001", "Petani", submitted.code):
        assert secret.encode() not in wire, secret
    # and the upstream's database holds no trace of them either
    upstream.connection.close()
    stored = (upstream.root / "upstream.sqlite3").read_bytes()
    assert NIK.encode() not in stored and b"Siti Aminah" not in stored

    # and the upstream's verification page says the letter is valid, with no personal data
    with upstream.active(), override_settings(ROOT_URLCONF="hub.urls_upstream"):
        there = letter_verification_for_token(token)
        page = Client().get(f"/verifikasi/{token}/")
    assert there.origin == VILLAGE and there.status == VerificationStatus.VALID
    assert page.status_code == 200
    html = page.content.decode()
    assert approved.number in html and "SAH" in html
    assert NIK not in html and "Siti Aminah" not in html

    # when the village revokes the letter and syncs again
    letter_revoke(verification=approved.verification, user=official)
    sync_run(trigger="test", force=True, transport=transport)
    # then the upstream says revoked
    with upstream.active():
        assert letter_verification_for_token(token).status == VerificationStatus.REVOKED
