"""The villager's pages: list, request form, confirmation, status and correction, download,
verification, kiosk; never cached where personal; every text escaped."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from egov.letters import services
from egov.letters.models import LetterRequest, LetterViewLog, RequestStatus

from .conftest import NIK, PHONE, SKTM_VALUES, jpeg_bytes

SCRIPT = '<script>alert("x")</script>'


def _post_data(letter_type, **override):
    data = {
        "name": "Siti Aminah",
        "nik": "1503 0145 0690 0001",
        "kk": "1503010101150002",
        "phone": PHONE,
        "address": "RT 002 RW 001",
        "purpose": "pendaftaran sekolah",
        **{f"f_{key}": value for key, value in SKTM_VALUES.items()},
    }
    for spec in letter_type.attachments:
        data[f"a_{spec['name']}"] = SimpleUploadedFile(
            f"{spec['name']}.jpg", jpeg_bytes(), content_type="image/jpeg"
        )
    data.update(override)
    return data


def _never_cached(response):
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_the_list_shows_the_offered_types(client, village, sktm):
    # given the seeded types
    # when the list is opened
    response = client.get("/surat/")
    # then it links each type's form and sets no cookie (the page cache may keep it)
    assert response.status_code == 200
    assert reverse("letters:request", args=["tidak-mampu"]) in response.content.decode()
    assert "Set-Cookie" not in response.headers


def test_a_request_through_the_form(client, village, sktm):
    # given the SKTM form
    form = client.get("/surat/ajukan/tidak-mampu/")
    assert form.status_code == 200 and b'enctype="multipart/form-data"' in form.content
    _never_cached(form)
    # when a villager sends it with photos
    response = client.post("/surat/ajukan/tidak-mampu/", _post_data(sktm))
    # then they land on a confirmation with their tracking code, and no personal data is in the URL
    assert response.status_code == 302
    assert NIK not in response["Location"] and "0812" not in response["Location"]
    sent = client.get(response["Location"])
    made = LetterRequest.objects.get()
    assert made.code in sent.content.decode() and made.nik == NIK
    _never_cached(sent)


def test_a_bad_form_says_what_is_wrong_and_saves_nothing(client, village, sktm):
    # given a form with a bad NIK and a non-image attachment
    data = _post_data(
        sktm,
        nik="1234",
        a_ktp=SimpleUploadedFile("ktp.jpg", b"not an image", content_type="image/jpeg"),
    )
    # when sent
    response = client.post("/surat/ajukan/tidak-mampu/", data)
    # then the page says so and nothing is stored
    html = response.content.decode()
    assert response.status_code == 400
    assert "NIK harus 16 angka" in html and "bukan foto" in html
    assert not LetterRequest.objects.exists()


def test_an_unknown_type_is_404(client, village):
    assert client.get("/surat/ajukan/tidak-ada/").status_code == 404


def test_html_in_every_text_field_is_escaped(client, village, sktm, official):
    # given a request with a script in every free text field
    data = _post_data(
        sktm,
        name=SCRIPT,
        address=SCRIPT,
        purpose=SCRIPT,
        f_pekerjaan=SCRIPT,
        f_penghasilan=SCRIPT,
        f_tanggungan=SCRIPT,
    )
    assert client.post("/surat/ajukan/tidak-mampu/", data).status_code == 302
    made = LetterRequest.objects.get()
    services.letter_request_ask_correction(request_id=made.pk, note=SCRIPT, user=official)
    # when the villager's status page and the official's detail are rendered
    status = client.post("/surat/status/", {"code": made.code, "phone": PHONE})
    client.force_login(official)
    detail = client.get(reverse("letter_requests:detail", args=[made.pk]))
    # then the script shows as text, never as markup
    for page in (status, detail):
        html = page.content.decode()
        assert SCRIPT not in html
        assert "&lt;script&gt;" in html


def test_status_by_code_and_phone_and_a_forged_code(client, submitted):
    # given a submitted request
    # when the villager asks with the right pair
    right = client.post("/surat/status/", {"code": submitted.code, "phone": PHONE})
    # then the status shows, masked of nothing it should not show (no NIK on this page)
    assert right.status_code == 200
    assert "Diajukan" in right.content.decode() and NIK not in right.content.decode()
    _never_cached(right)
    # when someone forges a code, or uses the right code with another phone
    forged = client.post("/surat/status/", {"code": "ACDEFGHJ", "phone": PHONE})
    wrong = client.post("/surat/status/", {"code": submitted.code, "phone": "0812 9999 0000"})
    # then both get the same "not found", with nothing of the request
    for response in (forged, wrong):
        assert response.status_code == 404
        assert "tidak ditemukan" in response.content.decode()
        assert submitted.code not in response.content.decode().split("Lihat permohonan")[0] or (
            "Diajukan" not in response.content.decode()
        )


def test_correction_through_the_pages(client, submitted, official):
    # given a request the official sent back
    services.letter_request_ask_correction(
        request_id=submitted.pk, note="Foto KTP terpotong.", user=official
    )
    # when the villager opens the status
    status = client.post("/surat/status/", {"code": submitted.code, "phone": PHONE})
    # then the note and the correction form are there
    html = status.content.decode()
    assert "Foto KTP terpotong." in html and 'action="/surat/perbaiki/"' in html
    # when the villager sends the correction with a new KTP photo
    data = {
        "code": submitted.code,
        "phone": PHONE,
        "name": "Siti Aminah",
        "nik": NIK,
        "kk": "1503010101150002",
        "address": "RT 003",
        "purpose": "sekolah",
        **{f"f_{key}": value for key, value in SKTM_VALUES.items()},
        "a_ktp": SimpleUploadedFile("ktp.jpg", jpeg_bytes(800, 500), content_type="image/jpeg"),
    }
    fixed = client.post("/surat/perbaiki/", data)
    # then it is back in the queue
    assert fixed.status_code == 200
    found = LetterRequest.objects.get(pk=submitted.pk)
    assert found.status == RequestStatus.SUBMITTED and found.address == "RT 003"
    assert found.photos.get(kind="ktp").width == 800


def test_download_by_code_and_phone_only(client, submitted, official):
    # given an approved letter
    approved = services.letter_request_approve(request_id=submitted.pk, user=official)
    # when the requester downloads it
    response = client.post("/surat/unduh/", {"code": approved.code, "phone": PHONE})
    # then they get the stored PDF
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content == services.letter_pdf_bytes(approved)
    _never_cached(response)
    # when someone with the wrong phone tries, or uses GET
    wrong = client.post("/surat/unduh/", {"code": approved.code, "phone": "0812 9999 0000"})
    # then they get nothing
    assert wrong.status_code == 404 and wrong["Content-Type"].startswith("text/html")
    assert client.get("/surat/unduh/").status_code == 405


def test_verification_page(client, submitted, official):
    # given an approved letter
    approved = services.letter_request_approve(request_id=submitted.pk, user=official)
    token = approved.verification.token
    # when a third party opens its verification link
    response = client.get(f"/verifikasi/{token}/")
    # then it is valid with type, number, date and village, and nothing personal
    html = response.content.decode()
    assert response.status_code == 200 and "SAH" in html
    assert approved.number in html and "Surat Keterangan Tidak Mampu" in html
    for secret in (NIK, "Siti Aminah", "+6281234567001", approved.code):
        assert secret not in html
    _never_cached(response)
    # when it is revoked
    services.letter_revoke(verification=approved.verification)
    # then the page says so
    assert "DICABUT" in client.get(f"/verifikasi/{token}/").content.decode()
    # and a made-up token is not found
    assert client.get("/verifikasi/bukan-token/").status_code == 404
    assert LetterViewLog.objects.count() == 0


def test_kiosk_starts_a_request_and_returns_to_itself(client, village, sktm):
    # given the kiosk page
    kiosk = client.get("/surat/anjungan/")
    assert kiosk.status_code == 200
    assert "/surat/ajukan/tidak-mampu/?anjungan=1" in kiosk.content.decode()
    # when a request is sent from it
    data = _post_data(sktm, anjungan="1")
    response = client.post("/surat/ajukan/tidak-mampu/?anjungan=1", data)
    # then the confirmation leads back to the kiosk
    sent = client.get(response["Location"])
    assert 'href="/surat/anjungan/"' in sent.content.decode()


@pytest.mark.parametrize("path", ["/surat/", "/surat/ajukan/tidak-mampu/", "/surat/status/"])
def test_pages_fit_a_phone_budget(client, village, sktm, path, django_assert_max_num_queries):
    # given a fresh page cache
    # when a page is opened
    with django_assert_max_num_queries(8):
        response = client.get(path)
    # then it answers with few queries
    assert response.status_code == 200
