"""Bad input to a request: each refused with a clear message, and nothing saved."""

import io
import os
import zlib

import pytest
from PIL import Image

from egov.letters import conf, services
from egov.letters.models import LetterAttachment, LetterRequest
from egov.letters.services import Applicant, LetterError

from .conftest import KK, NIK, jpeg_bytes


def _submit(letter_type, applicant, values, uploads):
    return services.letter_request_submit(
        letter_type=letter_type, applicant=applicant, values=values, uploads=uploads
    )


def _nothing_saved():
    assert not LetterRequest.objects.exists()
    assert not LetterAttachment.objects.exists()
    private = conf.private_dir()
    assert not private.exists() or not any(p.is_file() for p in private.rglob("*"))


@pytest.mark.parametrize(
    ("nik", "says"),
    [
        ("150301450690001", "16 angka"),  # 15 digits
        ("15030145069000011", "16 angka"),  # 17 digits
        ("15030145O6900001", "16 angka"),  # a letter O for a zero
        ("", "kosong"),
        ("9903014506900001", "provinsi 99"),  # no such province
        ("1503013213900001", "tanggal lahir"),  # 32nd of the 13th month
        ("1503017202900001", "tanggal lahir"),  # a woman born on the 32nd (72 - 40)
        ("1503013002900001", "tanggal lahir"),  # 30 February
        ("1503014506900000", "0000"),  # serial 0000
    ],
)
def test_an_invalid_nik_is_refused(village, sktm, applicant, sktm_values, uploads_for, nik, says):
    # given an applicant with a bad NIK
    bad = Applicant(**{**applicant.__dict__, "nik": nik})
    # when the request is submitted
    with pytest.raises(LetterError) as refused:
        _submit(sktm, bad, sktm_values, uploads_for(sktm))
    # then the NIK field says why, and nothing is saved
    assert says in " ".join(refused.value.message_dict["nik"])
    _nothing_saved()


@pytest.mark.parametrize(
    ("field", "value", "key"),
    [
        ("kk", "1503010101150", "kk"),
        ("kk", "9903010101150002", "kk"),
        ("phone", "021 555 1234", "phone"),
        ("phone", "<script>", "phone"),
        ("name", "", "name"),
        ("name", "x" * 121, "name"),
        ("address", "  ", "address"),
        ("purpose", "y" * 201, "purpose"),
    ],
)
def test_other_bad_applicant_fields(
    village, sktm, applicant, sktm_values, uploads_for, field, value, key
):
    # given one bad applicant field
    bad = Applicant(**{**applicant.__dict__, field: value})
    # when submitted
    with pytest.raises(LetterError) as refused:
        _submit(sktm, bad, sktm_values, uploads_for(sktm))
    # then that field is named, and nothing is saved
    assert key in refused.value.message_dict
    _nothing_saved()


@pytest.mark.parametrize(
    ("values", "key"),
    [
        ({"digunakan_untuk": "Membeli motor"}, "f_digunakan_untuk"),  # not one of the choices
        ({"pekerjaan": ""}, "f_pekerjaan"),
        ({"pekerjaan": "p" * 201}, "f_pekerjaan"),
    ],
)
def test_bad_type_fields(village, sktm, applicant, sktm_values, uploads_for, values, key):
    # given a value the type's field list does not allow
    # when submitted
    with pytest.raises(LetterError) as refused:
        _submit(sktm, applicant, {**sktm_values, **values}, uploads_for(sktm))
    # then the field is named, and nothing is saved
    assert key in refused.value.message_dict
    _nothing_saved()


def test_a_bad_date_and_a_bad_person_nik(village, applicant, uploads_for):
    # given a birth letter with an impossible date and a mother's NIK that is not one
    from egov.letters.models import LetterType

    birth = LetterType.objects.get(code="kelahiran")
    values = {
        "nama_bayi": "Bayi",
        "jenis_kelamin_bayi": "Perempuan",
        "tanggal_lahir_bayi": "2026-02-30",
        "tempat_lahir_bayi": "Puskesmas",
        "ibu": "Ibu",
        "ibu_nik": "123",
    }
    # when submitted
    with pytest.raises(LetterError) as refused:
        _submit(birth, applicant, values, uploads_for(birth))
    # then both are named
    assert {"f_tanggal_lahir_bayi", "f_ibu_nik"} <= set(refused.value.message_dict)
    _nothing_saved()


def _truncated_jpeg() -> bytes:
    out = io.BytesIO()
    Image.frombytes("RGB", (400, 300), os.urandom(400 * 300 * 3)).save(out, "JPEG")
    return out.getvalue()[: len(out.getvalue()) // 2]


def _png_bomb() -> bytes:
    """A real PNG of 20,000 × 20,000 pixels (400 million) that weighs a few hundred KB."""
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, "PNG")
    return out.getvalue()


def _huge_header_png() -> bytes:
    """A PNG whose header claims 100,000 × 100,000 pixels, with almost no data behind it."""
    import struct

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1000)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (_png_bomb, "terlalu besar"),
        (_huge_header_png, "terlalu besar"),
        (lambda: b"%PDF-1.4 not a photo", "bukan foto"),
        (lambda: b"<html><script>alert(1)</script></html>", "bukan foto"),
        (_truncated_jpeg, "rusak"),  # an upload cut off half way
        (lambda: jpeg_bytes(fmt="GIF"), "JPEG, PNG atau WebP"),
        (lambda: b"", "kosong"),
    ],
    ids=["png-bomb", "huge-header", "pdf", "html", "truncated", "gif", "empty"],
)
def test_a_hostile_attachment_is_refused(
    village, sktm, applicant, sktm_values, uploads_for, make, says
):
    # given one attachment that is not a usable photo (made here, not when the tests are
    # collected: the PNG bomb alone took a second in each pytest worker)
    uploads = {**uploads_for(sktm), "ktp": make()}
    # when submitted
    with pytest.raises(LetterError) as refused:
        _submit(sktm, applicant, sktm_values, uploads)
    # then the attachment is named with the reason, and nothing is saved
    assert says in " ".join(refused.value.message_dict["a_ktp"])
    _nothing_saved()


def test_an_oversized_attachment_is_refused(
    village, sktm, applicant, sktm_values, uploads_for, settings
):
    # given a limit of 100 KB
    settings.EGOV_LETTERS_ATTACHMENT_MAX_BYTES = 100 * 1024
    noisy = Image.frombytes("RGB", (600, 600), os.urandom(600 * 600 * 3))
    out = io.BytesIO()
    noisy.save(out, "PNG")
    assert len(out.getvalue()) > 100 * 1024
    # when a bigger photo is sent
    with pytest.raises(LetterError) as refused:
        _submit(sktm, applicant, sktm_values, {**uploads_for(sktm), "kk": out.getvalue()})
    # then it is refused by size
    assert "terlalu besar" in " ".join(refused.value.message_dict["a_kk"])
    _nothing_saved()


def test_a_missing_attachment_is_refused(village, sktm, applicant, sktm_values, uploads_for):
    uploads = uploads_for(sktm)
    del uploads["pengantar_rt"]
    with pytest.raises(LetterError) as refused:
        _submit(sktm, applicant, sktm_values, uploads)
    assert "wajib" in " ".join(refused.value.message_dict["a_pengantar_rt"])
    _nothing_saved()


def test_a_closed_type_takes_no_request(village, sktm, applicant, sktm_values, uploads_for):
    sktm.active = False
    sktm.save()
    with pytest.raises(LetterError):
        _submit(sktm, applicant, sktm_values, uploads_for(sktm))
    _nothing_saved()


def test_a_big_photo_is_scaled_down(village, sktm, applicant, sktm_values, uploads_for):
    # given a 4000 × 3000 photo
    uploads = {**uploads_for(sktm), "ktp": jpeg_bytes(4000, 3000)}
    # when submitted
    request = _submit(sktm, applicant, sktm_values, uploads)
    # then it is kept at 2000 px on its longer side
    ktp = request.photos.get(kind="ktp")
    assert (ktp.width, ktp.height) == (2000, 1500)


def test_the_correct_service_refuses_a_wrong_phone(submitted, applicant, sktm_values):
    # given a request waiting for a correction
    from egov.letters.models import RequestStatus

    LetterRequest.objects.filter(pk=submitted.pk).update(status=RequestStatus.CORRECTION)
    # when someone without the right phone tries to correct it
    with pytest.raises(LetterError):
        services.letter_request_correct(
            code=submitted.code,
            phone="0812 0000 0000",
            applicant=applicant,
            values=sktm_values,
            uploads={},
        )
    # then nothing changed
    assert LetterRequest.objects.get(pk=submitted.pk).status == RequestStatus.CORRECTION
    unchanged = LetterRequest.objects.get(pk=submitted.pk)
    assert (unchanged.nik, unchanged.kk, unchanged.phone) == (NIK, KK, "+6281234567001")
