"""A letter from request to verification, across real processes: a village hub (scripts/run:
gunicorn, the django-q2 cluster, SQLite) enrolled on an upstream (gunicorn on PostgreSQL), with
Debian's Chromium (Playwright) as the villager's 390 px phone, the official's office computer
and the bank's phone.

A villager requests an SKTM with photos and gets a tracking code; an official of the
"Pelayanan" group approves it in the admin; the villager downloads the PDF with code + phone;
the QR code on the PDF, read by zbarimg from a pdftoppm render, opens a verification page that
says valid on the village and, after a sync, on the upstream. SKTM is configured to forward to
the kecamatan, so the same sync carries the sealed personal fields: the upstream's database
(pg_dump) holds no NIK, and the kecamatan reads them with its private key
(``letters_forward_read``).
"""

import hashlib
import json
import os
import re
import shutil
import subprocess

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.harness.hubs import VILLAGE_CODES, UpstreamNode
from tests.harness.processes import manage

from .test_browser import Visitor

pytestmark = pytest.mark.e2e

OFFICIAL = "petugas-pelayanan"
OFFICIAL_PASSWORD = "pelayanan-rahasia-e2e-2026"
EDITOR = "editor-desa"
EDITOR_PASSWORD = "editor-rahasia-e2e-2026"
NIK = "1503014506900001"  # a woman born 5 June 1990, registered in kecamatan 15.03.01
KK = "1503010101150002"
PHONE = "0812 3456 7001"
NAME = "Siti Aminah Uji"
RECIPIENT = "kecamatan-150301"
FORWARDED = ["nama", "nik", "kk", "alamat", "pekerjaan"]

SETUP_VILLAGE = f"""
from django.contrib.auth.models import Group, User
from egov.letters.models import LetterType
official = User.objects.create_user({OFFICIAL!r}, password={OFFICIAL_PASSWORD!r})
official.groups.add(Group.objects.get(name="Pelayanan"))
editor = User.objects.create_user({EDITOR!r}, password={EDITOR_PASSWORD!r})
editor.groups.add(Group.objects.get(name="Editors"))
sktm = LetterType.objects.get(code="tidak-mampu")
sktm.forward_to = {RECIPIENT!r}
sktm.forward_fields = {FORWARDED!r}
sktm.full_clean()
sktm.save()
result = sktm.forward_to
"""


def _tool(*args: str) -> str:
    result = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"{args[0]} failed: {result.stderr[-2000:]}"
    return result.stdout


@pytest.fixture(scope="module")
def upstream(tmp_path_factory):
    """The conftest's upstream, with the static files collected (copied from the village
    template, as ``test_upstream_role`` does): the verification page is an HTML page, and
    without a manifest every such page fails on the upstream."""
    node = UpstreamNode(tmp_path_factory.mktemp("sync"), static=True)
    yield node
    node.close()


@pytest.fixture(scope="module")
def office(upstream, villages, tmp_path_factory):
    """The village (the QR codes point at the upstream, as an operator sets it) with an official
    and an editor, and the kecamatan's key registered upstream, synced down and chosen by SKTM."""
    for tool in ("pdftoppm", "zbarimg", "pg_dump"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing: scripts/test installs it (poppler-utils, zbar-tools)")
    village = villages(VILLAGE_CODES[0], env={"HUB_LETTER_VERIFY_URL": upstream.url})
    v, u = village.agent(), upstream.agent()
    # the kecamatan makes its key pair (on its own machine; here in the upstream's agent, one
    # Django start-up less) and the upstream registers the public key
    key_file = tmp_path_factory.mktemp("kecamatan") / "kecamatan.pem"
    u(
        "exec",
        code=(
            "import io\n"
            "from django.core.management import call_command\n"
            "from egov.letters.services import forward_recipient_set\n"
            "out = io.StringIO()\n"
            f"call_command('letters_recipient_keygen', {str(key_file)!r}, stdout=out)\n"
            f"forward_recipient_set(code={RECIPIENT!r}, name='Kantor Kecamatan Uji',"
            f" region={VILLAGE_CODES[0][:6]!r}, public_key=out.getvalue().strip())"
        ),
    )
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert v("sync")["ok"]
    assert v("exec", code=SETUP_VILLAGE)["result"] == RECIPIENT
    return {"village": village, "hub": village.hub, "v": v, "u": u, "key_file": key_file}


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "ktp.jpg"
    Image.new("RGB", (640, 400), (150, 120, 90)).save(path, "JPEG")
    return path


def _admin_login(browser, hub, user, password):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(hub.url("/admin/login/"))
    page.locator("input[name=username]").fill(user)
    page.locator("input[name=password]").fill(password)
    page.locator("form button[type=submit]").click()
    expect(page.locator("main")).to_be_visible()
    return context, page


def _qr_url(pdf_path, tmp_path) -> str:
    """What a phone's camera reads from the letter: page 1 rendered, its QR code decoded."""
    _tool("pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", str(pdf_path), str(tmp_path / "p"))
    (png,) = tmp_path.glob("p*.png")
    return _tool("zbarimg", "--raw", "-q", str(png)).strip()


def test_villager_requests_official_approves_villager_downloads_and_the_qr_verifies_upstream(
    browser, office, upstream, photo, tmp_path
):
    hub = office["hub"]
    # given a villager's phone
    villager = Visitor(browser, hub)
    page = villager.page
    try:
        # when they open the letters, choose the SKTM and fill in the form with photos
        villager.goto("/surat/")
        page.locator("a[href='/surat/ajukan/tidak-mampu/']").first.click()
        expect(page.locator("h1")).to_contain_text("Tidak Mampu")
        # the form says, before anything is sent, who receives which data, sealed
        expect(page.locator("p.forward")).to_contain_text("Kantor Kecamatan Uji")
        page.locator("#id_name").fill(NAME)
        page.locator("#id_nik").fill(NIK)
        page.locator("#id_kk").fill(KK)
        page.locator("#id_phone").fill(PHONE)
        page.locator("#id_address").fill("RT 002 RW 001, Dusun Hilir")
        page.locator("#id_purpose").fill("pendaftaran sekolah anak")
        page.locator("#id_f_pekerjaan").fill("Petani")
        page.locator("#id_f_penghasilan").fill("900.000")
        page.locator("#id_f_tanggungan").fill("3")
        page.locator("#id_f_digunakan_untuk").select_option("Pendidikan")
        for upload in page.locator("input[type=file]").all():
            upload.set_input_files(photo)
        # the form fits the phone: nothing wider than the screen
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.locator("form.form button[type=submit]").click()

        # then they get a tracking code, and nothing personal is in the address bar
        expect(page.locator("h1")).to_have_text("Permohonan terkirim")
        code = page.locator("p.ocode").inner_text().strip()
        assert re.fullmatch(r"[A-Z0-9]{8}", code), code
        assert NIK not in page.url and "0812" not in page.url

        # when an official of the Pelayanan group opens the request in the admin and approves it
        context, admin = _admin_login(browser, hub, OFFICIAL, OFFICIAL_PASSWORD)
        try:
            admin.goto(hub.url("/admin/surat/permohonan/?status=diajukan"))
            row = admin.locator("tr", has_text=code)
            expect(row).to_contain_text(NIK[:4])  # the NIK, masked in the queue
            expect(row).not_to_contain_text(NIK)
            row.locator(f"a:text-is('{code}')").click()
            expect(admin.locator("main")).to_contain_text(NIK)  # the detail, logged
            admin.locator("button:has-text('Setujui dan beri nomor')").click()
            # then the admin says the letter is numbered
            expect(admin.locator(".messages")).to_contain_text(f"Permohonan {code} disetujui")
        finally:
            context.close()

        # when the villager checks the status with code and phone and downloads the letter
        villager.goto(f"/surat/status/?kode={code}")
        page.locator("#id_phone").fill(PHONE)
        page.locator("form.form button[type=submit]").click()
        expect(page.locator(".tag.big")).to_have_text("Disetujui, surat siap")
        with page.expect_download() as download:
            page.locator("button:has-text('Unduh surat (PDF)')").click()
        pdf_path = tmp_path / "surat.pdf"
        download.value.save_as(pdf_path)
        pdf = pdf_path.read_bytes()
        assert pdf.startswith(b"%PDF-")
        assert villager.foreign_requests() == []
    finally:
        villager.context.close()

    # when a bank scans the QR code printed on the letter
    scanned = _qr_url(pdf_path, tmp_path)
    # then it is the upstream's verification page, by a random token (not the number)
    assert scanned.startswith(f"{upstream.url}/verifikasi/"), scanned
    path = scanned[len(upstream.url) :]
    bank = Visitor(browser, hub)
    try:
        # and on the village the page says valid, with the PDF's fingerprint and nothing personal
        bank.goto(path)
        facts = bank.page.locator("main")
        expect(bank.page.locator(".tag.big")).to_have_text("SAH")
        expect(facts).to_contain_text(hashlib.sha256(pdf).hexdigest())
        html = bank.page.content()
        for secret in (NIK, KK, NAME, "Petani", code):
            assert secret not in html, secret
        # and the upstream does not know the letter yet (the village has not synced)
        before = bank.page.request.get(scanned)
        assert before.status == 404

        # when the village syncs
        assert office["v"]("sync")["ok"]

        # then the same link says valid on the upstream, with the same fingerprint
        response = bank.page.goto(scanned)
        assert response is not None and response.ok
        expect(bank.page.locator(".tag.big")).to_have_text("SAH")
        expect(bank.page.locator("main")).to_contain_text(hashlib.sha256(pdf).hexdigest())
        assert NIK not in bank.page.content() and NAME not in bank.page.content()
    finally:
        bank.context.close()


def test_an_editor_cannot_open_the_requests(browser, office):
    # given an official of the Editors group, not Pelayanan
    context, admin = _admin_login(browser, office["hub"], EDITOR, EDITOR_PASSWORD)
    try:
        # when they open the request queue by its address
        response = admin.goto(office["hub"].url("/admin/surat/permohonan/"))
        # then it is refused
        assert response is not None and response.status == 403
    finally:
        context.close()


def test_forwarded_fields_reach_the_kecamatan_sealed_through_the_upstream(office, upstream, photo):
    # given an SKTM approved on the village (its type forwards to the kecamatan), synced up
    approved = office["v"](
        "exec",
        code=(
            "from django.contrib.auth.models import User\n"
            "from egov.letters.models import LetterType\n"
            "from egov.letters.services import Applicant, letter_request_submit,"
            " letter_request_approve\n"
            "sktm = LetterType.objects.get(code='tidak-mampu')\n"
            f"jpeg = open({str(photo)!r}, 'rb').read()\n"
            "sent = letter_request_submit(letter_type=sktm, applicant=Applicant(name='Rahmat Uji',"
            " nik='1503010507850003', kk='1503010101150009', phone='081355550003',"
            " address='Dusun Hulu', purpose='beasiswa'), values={'pekerjaan': 'Nelayan',"
            " 'penghasilan': '700.000', 'tanggungan': '4', 'digunakan_untuk': 'Pendidikan'},"
            " uploads={a['name']: jpeg for a in sktm.attachments})\n"
            "done = letter_request_approve(request_id=sent.pk,"
            f" user=User.objects.get(username={OFFICIAL!r}))\n"
            "result = done.number"
        ),
    )["result"]
    assert office["v"]("sync")["ok"]

    # when the upstream's whole database is dumped
    pg = upstream.pg
    dump = _tool_env(
        ["pg_dump", "--data-only", "-h", pg["HUB_TEST_PG_HOST"], "-p", pg["HUB_TEST_PG_PORT"],
         "-U", pg["HUB_TEST_PG_USER"], upstream.db_name],
        {"PGPASSWORD": pg["HUB_TEST_PG_PASSWORD"]},
    )  # fmt: skip
    # then it holds both forwarded letters, and no NIK, KK or name of either applicant
    assert approved in dump
    for secret in ("1503010507850003", "1503010101150009", "Rahmat Uji", NIK, KK, NAME):
        assert secret not in dump, secret

    # when the kecamatan reads what was forwarded to it, with its private key
    read = manage(upstream.env, "letters_forward_read", "--key-file", str(office["key_file"]))
    opened = {item["number"]: item for item in map(json.loads, read.stdout.splitlines())}
    # then it reads exactly the fields SKTM forwards: no phone, no purpose
    assert opened[approved]["fields"] == {
        "nama": "Rahmat Uji",
        "nik": "1503010507850003",
        "kk": "1503010101150009",
        "alamat": "Dusun Hulu",
        "pekerjaan": "Nelayan",
    }
    assert opened[approved]["village_code"] == VILLAGE_CODES[0]


def _tool_env(args: list[str], env: dict) -> str:
    result = subprocess.run(
        args, capture_output=True, text=True, timeout=60, env={**os.environ, **env}
    )
    assert result.returncode == 0, f"{args[0]} failed: {result.stderr[-2000:]}"
    return result.stdout
