"""Forwarding a letter's personal data to an office (issue 13 §4): nothing personal goes
upstream unless a letter type is configured to forward it, and then only sealed to the
recipient's X25519 key. The upstream stores what it cannot read; the recipient opens it with
its private key; a changed byte is refused."""

import base64
import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from egov.letters import sealing
from egov.letters.models import ForwardRecipient, LetterForward, LetterRequest
from egov.letters.services import (
    LetterError,
    forward_recipient_set,
    letter_forward_open,
    letter_request_approve,
    letter_request_submit,
)
from egov.letters.sync import recipient_audience
from hub.site.services import village_identity_set
from hub.sync.registry import received_from_origin, spec_for
from hub.sync.village.run import sync_run

from .conftest import KK, NIK
from .test_sync_spec import UPSTREAM, VILLAGE, RecordingTransport, transport  # noqa: F401

FIELDS = ["nama", "nik", "kk", "alamat", "pekerjaan"]


@pytest.fixture
def key_pair():
    pem, public = sealing.private_key_new()
    return sealing.private_key_load(pem), public


def _recipient_here(public: str) -> ForwardRecipient:
    """The kecamatan's record as a village holds it after a sync (owned by the upstream)."""
    raw = sealing.public_key_parse(public)
    with received_from_origin():
        return ForwardRecipient.objects.create(
            origin=UPSTREAM,
            rev=1,
            code="kecamatan-150301",
            name="Kantor Kecamatan Uji",
            region="150301",
            public_key=public,
            key_id=sealing.key_id(raw),
        )


def _forwarding(letter_type, fields=FIELDS):
    letter_type.forward_to = "kecamatan-150301"
    letter_type.forward_fields = list(fields)
    letter_type.full_clean()
    letter_type.save()
    return letter_type


# the box itself


def test_a_sealed_text_opens_with_the_recipient_key_only_and_not_once_changed(key_pair):
    # given a text sealed to the recipient's public key, bound to its record's facts
    private, public = key_pair
    sealed = sealing.seal(
        public_key=sealing.public_key_parse(public), plaintext=NIK.encode(), aad=b"record-1"
    )
    # then the sealed text does not hold the NIK, and the recipient opens it
    assert NIK not in sealed and NIK.encode() not in base64.b64decode(sealed)
    assert sealing.unseal(private_key=private, sealed=sealed, aad=b"record-1") == NIK.encode()
    # when one byte of the ciphertext is flipped, or it is moved to another record,
    # or another key tries: each is refused
    raw = bytearray(base64.b64decode(sealed))
    raw[-5] ^= 0x01
    flipped = base64.b64encode(bytes(raw)).decode()
    other, _public = sealing.private_key_load(sealing.private_key_new()[0]), None
    for private_key, text, aad in (
        (private, flipped, b"record-1"),
        (private, sealed, b"record-2"),
        (other, sealed, b"record-1"),
        (private, "bukan base64!", b"record-1"),
        (private, base64.b64encode(b"\x01short").decode(), b"record-1"),
    ):
        with pytest.raises(sealing.SealError):
            sealing.unseal(private_key=private_key, sealed=text, aad=aad)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        base64.b64encode(b"x" * 31).decode(),
        "ed25519:" + "A" * 43,
        base64.b64encode(bytes(32)).decode(),  # a low-order point: every secret would be zero
    ],
)
def test_a_public_key_that_is_not_x25519_is_refused(text):
    with pytest.raises(sealing.SealError):
        sealing.public_key_parse(text)


# configuring a type


def test_a_type_without_forwarding_forwards_nothing_and_sends_nothing(village, submitted, official):
    # given the seeded SKTM, which forwards nothing
    assert submitted.letter_type.forward_to == "" and submitted.letter_type.forward_fields == []
    # when it is approved
    letter_request_approve(request_id=submitted.pk, user=official)
    # then no forwarded record exists, so nothing personal is queued for the upstream
    assert LetterForward.objects.count() == 0


@pytest.mark.parametrize(
    ("forward_to", "fields", "field_in_error"),
    [
        ("kecamatan-150301", ["nik", "golongan_darah"], "forward_fields"),  # unknown field
        ("kecamatan-150301", [], "forward_fields"),  # nothing chosen
        ("kecamatan-150301", ["nik", "nik"], "forward_fields"),  # twice
        ("kecamatan-150301", "nik", "forward_fields"),  # not a list
        ("", ["nik"], "forward_fields"),  # fields without a recipient
        ("kecamatan-lain", ["nik"], "forward_to"),  # a recipient this hub does not have
    ],
)
def test_a_forwarding_type_that_is_not_right_is_refused(
    village, sktm, key_pair, forward_to, fields, field_in_error
):
    # given the kecamatan's recipient on the village
    _recipient_here(key_pair[1])
    # when an official saves SKTM with a broken forwarding setting
    sktm.forward_to, sktm.forward_fields = forward_to, fields
    # then it is refused on that field, and the stored type is unchanged
    with pytest.raises(ValidationError) as refused:
        sktm.full_clean()
    assert field_in_error in refused.value.message_dict
    sktm.refresh_from_db()
    assert sktm.forward_to == "" and sktm.forward_fields == []


# approving a forwarding type


def test_approval_seals_the_chosen_fields_to_the_recipient(village, submitted, official, key_pair):
    # given SKTM configured to forward name, NIK, KK, address and occupation to the kecamatan
    private, public = key_pair
    _recipient_here(public)
    _forwarding(submitted.letter_type)
    # when an official approves the request
    approved = letter_request_approve(request_id=submitted.pk, user=official)
    # then one forwarded record exists, with the letter's facts in clear and nothing personal
    forward = LetterForward.objects.get()
    assert forward.number == approved.number and forward.token == approved.verification.token
    assert forward.recipient_code == "kecamatan-150301" and forward.village_code == VILLAGE
    clear = json.dumps(
        {f.name: str(getattr(forward, f.attname)) for f in LetterForward._meta.concrete_fields}
    )
    for secret in (NIK, KK, "Siti Aminah", "Petani", "Dusun Hilir"):
        assert secret not in clear
    # and the recipient reads exactly the chosen fields, the phone and purpose not among them
    opened = letter_forward_open(forward=forward, private_key=private)
    assert opened["fields"] == {
        "nama": "Siti Aminah",
        "nik": NIK,
        "kk": KK,
        "alamat": "RT 002 RW 001, Dusun Hilir",
        "pekerjaan": "Petani",
    }
    assert opened["number"] == approved.number and opened["letter_type_code"] == "tidak-mampu"


def test_approval_is_refused_when_the_recipient_is_gone(village, submitted, official, key_pair):
    # given a forwarding type whose recipient the upstream has since switched off
    recipient = _recipient_here(key_pair[1])
    _forwarding(submitted.letter_type)
    with received_from_origin():
        recipient.active = False
        recipient.save()
    # when an official approves
    with pytest.raises(LetterError) as refused:
        letter_request_approve(request_id=submitted.pk, user=official)
    # then it is refused with the reason, and nothing was numbered or forwarded
    assert "kecamatan-150301" in refused.value.messages[0]
    request = LetterRequest.objects.get(pk=submitted.pk)
    assert request.number == "" and request.status == "diajukan"
    assert LetterForward.objects.count() == 0


def test_a_changed_forward_is_refused_by_the_reader(village, submitted, official, key_pair):
    # given a forwarded record
    private, public = key_pair
    _recipient_here(public)
    _forwarding(submitted.letter_type)
    letter_request_approve(request_id=submitted.pk, user=official)
    forward = LetterForward.objects.get()
    # when someone changes the letter number it is bound to, or a byte of the ciphertext
    renumbered = LetterForward.objects.get()
    renumbered.number = "470/999/DS/2026"
    raw = bytearray(base64.b64decode(forward.sealed))
    raw[40] ^= 0x80
    flipped = LetterForward.objects.get()
    flipped.sealed = base64.b64encode(bytes(raw)).decode()
    # then neither opens, with a message naming the record and nothing of its content
    for changed in (renumbered, flipped):
        with pytest.raises(LetterError) as refused:
            letter_forward_open(forward=changed, private_key=private)
        assert "diubah" in refused.value.messages[0] and NIK not in refused.value.messages[0]


def test_recipient_registration_is_for_the_upstream_with_a_real_key(village, key_pair):
    # when a village tries to register a recipient
    with pytest.raises(LetterError):
        forward_recipient_set(code="kec", name="Kec", region="150301", public_key=key_pair[1])
    assert ForwardRecipient.objects.count() == 0


def test_a_recipient_reaches_the_villages_of_its_region_only(settings):
    # given an upstream of province 15 and a recipient for kecamatan 15.03.01
    settings.HUB_ROLE, settings.SYNC_NODE_CODE = "upstream", "15"
    recipient = ForwardRecipient(origin="15", region="150301")
    # then its audience is that kecamatan; a region outside the province is narrowed back
    assert recipient_audience(recipient) == "150301"
    assert recipient_audience(ForwardRecipient(origin="15", region="630101")) == "15"
    assert spec_for(ForwardRecipient).owner == "upstream"
    assert spec_for(LetterForward).owner == "village"


# the whole path, village → upstream → recipient


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_forwarded_data_crosses_the_upstream_sealed_and_only_the_recipient_reads_it(
    upstream,  # noqa: F811
    transport,  # noqa: F811
    sktm,
    applicant,
    sktm_values,
    uploads_for,
    official,
    key_pair,
    tmp_path,
):
    # given the kecamatan's key registered on the upstream, and synced down to the village
    private, public = key_pair
    village_identity_set(code="15.03.01.2021")
    with upstream.active():
        forward_recipient_set(
            code="kecamatan-150301",
            name="Kantor Kecamatan Uji",
            region="150301",
            public_key=public,
        )
        with pytest.raises(LetterError):  # a key that is not X25519 is refused
            forward_recipient_set(code="k2", name="K2", region="150301", public_key="abc")
    assert sync_run(trigger="test", force=True, transport=transport).outcome == "ok"
    assert ForwardRecipient.objects.get().origin == UPSTREAM
    # and SKTM configured to forward to it; an approved request
    _forwarding(sktm)
    submitted = letter_request_submit(
        letter_type=sktm, applicant=applicant, values=sktm_values, uploads=uploads_for(sktm)
    )
    approved = letter_request_approve(request_id=submitted.pk, user=official)

    # when the village syncs
    transport.bodies.clear()
    run = sync_run(trigger="test", force=True, transport=transport)

    # then the forwarded record went up, and neither the wire nor the upstream's database
    # holds the NIK, the KK or the name in clear
    assert run.outcome == "ok", run.error
    wire = b"".join(transport.bodies)
    upstream.connection.close()
    stored = (upstream.root / "upstream.sqlite3").read_bytes()
    with upstream.active():
        there = LetterForward.objects.get()
        stored += json.dumps(
            {f.name: str(getattr(there, f.attname)) for f in LetterForward._meta.concrete_fields}
        ).encode()
    assert there.number == approved.number and there.origin == VILLAGE
    for secret in (NIK, KK, "Siti Aminah"):
        assert secret.encode() not in wire and secret.encode() not in stored, secret

    # when the kecamatan reads on the upstream with its private key file
    key_file = tmp_path / "kecamatan.pem"
    pem = private.private_bytes(
        sealing.serialization.Encoding.PEM,
        sealing.serialization.PrivateFormat.PKCS8,
        sealing.serialization.NoEncryption(),
    )
    key_file.write_bytes(pem)
    out = io.StringIO()
    with upstream.active():
        call_command("letters_forward_read", key_file=str(key_file), stdout=out)
    # then it reads the fields the type forwards
    opened = json.loads(out.getvalue().strip())
    assert opened["fields"]["nik"] == NIK and opened["number"] == approved.number

    # when the upstream exports the records instead, for the kecamatan's own machine
    exported = tmp_path / "kecamatan-150301.jsonl"
    with upstream.active():
        call_command(
            "letters_forward_export", "kecamatan-150301", str(exported), stdout=io.StringIO()
        )
        with pytest.raises(CommandError, match="sudah ada"):  # never overwrites a file
            call_command(
                "letters_forward_export", "kecamatan-150301", str(exported), stdout=io.StringIO()
            )
    # then the file holds no NIK, and the key opens it without the upstream's database
    assert NIK not in exported.read_text() and approved.number in exported.read_text()
    from_file = io.StringIO()
    call_command(
        "letters_forward_read", key_file=str(key_file), input_file=str(exported), stdout=from_file
    )
    assert json.loads(from_file.getvalue()) == opened
    # and a file that is not an export is refused, naming the line
    broken = tmp_path / "rusak.jsonl"
    broken.write_text(exported.read_text() + '{"id": "bukan"}\n')
    with pytest.raises(CommandError, match="rusak.jsonl:2"):
        call_command(
            "letters_forward_read",
            key_file=str(key_file),
            input_file=str(broken),
            stdout=io.StringIO(),
        )

    # when the stored ciphertext is changed on the upstream
    with upstream.active():
        raw = bytearray(base64.b64decode(there.sealed))
        raw[-1] ^= 0x01
        LetterForward.objects.filter(pk=there.pk).update(sealed=base64.b64encode(raw).decode())
        err, out = io.StringIO(), io.StringIO()
        # then the reader refuses it and says so, printing nothing of it
        with pytest.raises(CommandError):
            call_command("letters_forward_read", key_file=str(key_file), stdout=out, stderr=err)
    assert out.getvalue() == "" and approved.number in err.getvalue()


def test_keygen_writes_a_private_key_once_and_prints_the_public_key(tmp_path):
    # when the kecamatan makes its key pair
    key_file, out = tmp_path / "kecamatan.pem", io.StringIO()
    call_command("letters_recipient_keygen", str(key_file), stdout=out)
    # then the private key is its alone (0600) and matches the public key printed
    assert key_file.stat().st_mode & 0o777 == 0o600
    private = sealing.private_key_load(key_file.read_bytes())
    assert sealing.public_key_text(sealing.private_key_public(private)) == out.getvalue().strip()
    # when it is run again on the same file, it refuses and the key is unchanged
    before = key_file.read_bytes()
    with pytest.raises(CommandError, match="sudah ada"):
        call_command("letters_recipient_keygen", str(key_file), stdout=io.StringIO())
    assert key_file.read_bytes() == before


def test_reading_with_a_file_that_is_not_a_key_is_refused(db, tmp_path):
    # given a file that is not a private key
    bad = tmp_path / "bukan-kunci.pem"
    bad.write_text("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    # then the reader says so and prints nothing
    out = io.StringIO()
    with pytest.raises(CommandError, match="bukan-kunci.pem"):
        call_command("letters_forward_read", key_file=str(bad), stdout=out)
    with pytest.raises(CommandError, match="tidak-ada.pem"):
        call_command("letters_forward_read", key_file=str(tmp_path / "tidak-ada.pem"), stdout=out)
    assert out.getvalue() == ""


def test_the_form_tells_the_villager_who_receives_which_data(client, village, sktm, key_pair):
    # given SKTM as it is seeded (forwarding nothing)
    page = client.get("/surat/ajukan/tidak-mampu/").content.decode()
    # then the form says nothing about forwarding
    assert "diteruskan ke" not in page
    # when SKTM forwards name, NIK and occupation to the kecamatan
    _recipient_here(key_pair[1])
    _forwarding(sktm, ["nama", "nik", "pekerjaan"])
    page = client.get("/surat/ajukan/tidak-mampu/").content.decode()
    # then, before sending, the villager reads the recipient and those fields by their labels
    assert "diteruskan ke Kantor Kecamatan Uji" in page
    assert "nama pemohon, NIK pemohon, Pekerjaan" in page
