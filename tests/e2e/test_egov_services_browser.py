"""Services and legal documents on a phone, on a real village hub (scripts/run: gunicorn, the
django-q2 cluster, SQLite, the demo services and documents): the villager ticks what to bring
with JavaScript off, prints the list, and reads a Perdes whose first-page preview the cluster
rendered with pdftoppm in the background. Debian's Chromium, driven by Playwright.
"""

import time

import pytest
from playwright.sync_api import expect

from tests.harness.hubs import manage_shell

from .test_browser import Visitor

pytestmark = pytest.mark.e2e

PREVIEW_TIMEOUT = 120


def _perdes_with_preview(data_dir) -> dict:
    """The demo APBDes Perdes, once the cluster has made its preview (polled from here)."""
    deadline = time.monotonic() + PREVIEW_TIMEOUT
    while True:
        state = manage_shell(
            data_dir,
            "import json\n"
            "from egov.documents.models import LegalDocument\n"
            "d = LegalDocument.objects.get(kind='perdes', number='1', year=2025)\n"
            "print(json.dumps({'pk': str(d.pk), 'preview': d.preview.name,"
            " 'ready': bool(d.preview) and d.preview_sha256 == d.pdf_sha256}))",
        )
        if state["ready"]:
            return state
        assert time.monotonic() < deadline, f"no preview after {PREVIEW_TIMEOUT} s: {state}"
        time.sleep(1)


def test_villager_ticks_what_to_bring_without_javascript_and_prints_it(browser, module_hub):
    # given a phone with JavaScript off
    villager = Visitor(browser, module_hub, java_script_enabled=False)
    page = villager.page
    try:
        # when they open the services, the civil-registration category and the KTP-el service
        villager.goto("/layanan/")
        page.locator("nav.chips a:text-is('Kependudukan')").click()
        page.locator("h2 a:has-text('KTP-el')").click()
        expect(page.locator("h1")).to_contain_text("KTP-el")

        # then they can tick a requirement, and it shows as done, with no script and no request
        boxes = page.locator("ul.check input[type=checkbox]")
        assert boxes.count() == 3
        requests_before = len(villager.requests)
        boxes.nth(0).check()
        assert boxes.nth(0).is_checked() and not boxes.nth(1).is_checked()
        assert len(villager.requests) == requests_before
        expect(page.locator("ul.check li").nth(0).locator("span")).to_have_css(
            "text-decoration-line", "line-through"
        )

        # when they open the print view and print it
        page.locator("a:text('Cetak daftar yang harus dibawa')").click()
        expect(page.locator("h1")).to_contain_text("Yang harus dibawa")
        page.emulate_media(media="print")

        # then the site's header and footer are left off the paper, the list and office are on
        expect(page.locator("header.top, .top").first).to_be_hidden()
        expect(page.locator("ul.check")).to_be_visible()
        expect(page.locator(".office")).to_contain_text("Dukcapil")
        assert villager.foreign_requests() == []
    finally:
        villager.context.close()


def test_villager_reads_a_perdes_with_its_preview_and_opens_the_pdf(browser, module_hub):
    # given the cluster has rendered the demo Perdes's first page
    perdes = _perdes_with_preview(module_hub.data_dir)
    villager = Visitor(browser, module_hub)
    page = villager.page
    try:
        # when the villager lists the Perdes of 2025 and opens the budget
        villager.goto("/produk-hukum/?jenis=perdes&tahun=2025")
        page.locator("h2 a:has-text('Anggaran Pendapatan')").click()

        # then the page shows its metadata and the preview image, which loads
        expect(page.locator("h1")).to_contain_text("Anggaran Pendapatan dan Belanja Desa")
        expect(page.locator("dl.facts")).to_contain_text("Peraturan Desa")
        preview = page.locator("img.preview")
        expect(preview).to_have_attribute("src", "/media/" + perdes["preview"])
        image = page.request.get(module_hub.url(preview.get_attribute("src")))
        assert image.ok and image.headers["content-type"] == "image/png"
        assert image.body()[:8] == b"\x89PNG\r\n\x1a\n"

        # and the PDF opens from its link
        pdf = page.request.get(module_hub.url(f"/produk-hukum/{perdes['pk']}/pdf/"))
        assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
        assert pdf.body().startswith(b"%PDF-")
        assert villager.foreign_requests() == []
    finally:
        villager.context.close()
