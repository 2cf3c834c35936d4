"""The villager's side in a real browser: Debian's Chromium, headless, at a phone's width,
against scripts/run with the demo village. Playwright drives it; it never downloads a browser.
"""

import time
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.harness.chromium import PHONE
from tests.harness.processes import HOST

pytestmark = pytest.mark.e2e

PICTURES_TIMEOUT = 60
# Schemes that never reach the network.
LOCAL_SCHEMES = {"data", "blob", "about"}


class Visitor:
    """A browser context (one phone) that records every request it makes, its service
    worker's included."""

    def __init__(self, browser, hub, **options):
        self.hub = hub
        self.requests: list[str] = []
        self.context = browser.new_context(viewport=PHONE, **options)
        self.context.set_default_timeout(15_000)
        self.context.on("request", lambda request: self.requests.append(request.url))
        self.page = self.context.new_page()

    def goto(self, path: str):
        response = self.page.goto(self.hub.url(path))
        assert response is not None and response.ok, f"{path}: {response and response.status}"
        return response

    def foreign_requests(self) -> list[str]:
        foreign = []
        for url in self.requests:
            parts = urlsplit(url)
            if parts.scheme in LOCAL_SCHEMES:
                continue
            if parts.scheme not in {"http", "https"} or parts.hostname != HOST:
                foreign.append(url)
        return foreign


@pytest.fixture
def visitor(browser, module_hub):
    visitor = Visitor(browser, module_hub)
    yield visitor
    visitor.context.close()


@pytest.fixture
def visitor_without_js(browser, module_hub):
    visitor = Visitor(browser, module_hub, java_script_enabled=False)
    yield visitor
    visitor.context.close()


def wait_for_pictures(page, timeout: float = PICTURES_TIMEOUT) -> None:
    """Reload until no placeholder is left (the renditions come from the cluster, soon after
    the demo is loaded), then let every lazy picture load."""
    deadline = time.monotonic() + timeout
    while page.locator("img.ph").count():
        assert time.monotonic() < deadline, f"placeholders left on {page.url} after {timeout} s"
        page.wait_for_timeout(500)
        page.reload()
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    # Polled from here: Playwright's wait_for_function polls with eval() inside the page, which
    # the hub's CSP (script-src 'self') refuses whenever the first check is not already true.
    while not page.evaluate(
        "Array.from(document.images).every((img) => img.complete && img.naturalWidth > 0)"
    ):
        assert time.monotonic() < deadline, f"pictures still loading on {page.url}"
        page.wait_for_timeout(100)
    page.evaluate("window.scrollTo(0, 0)")


def test_villager_reads_the_home_page_an_announcement_and_searches(visitor, tmp_path):
    page = visitor.page

    # given the home page on a phone, once the cluster has made the demo's pictures
    visitor.goto("/")
    expect(page.locator("h1")).to_contain_text("Bukit Berantai")
    wait_for_pictures(page)
    screenshot = tmp_path / "home-390.png"
    page.screenshot(path=screenshot, full_page=True)
    assert screenshot.stat().st_size > 0

    # when the villager opens the first announcement
    link = page.locator("article.card h3 a[href^='/pengumuman/']").first
    title, href = link.inner_text(), link.get_attribute("href")
    link.click()

    # then its page shows it
    expect(page).to_have_url(visitor.hub.url(href))
    expect(page.locator("h1")).to_have_text(title)

    # when they search for "posyandu" with the search form
    page.locator("header nav.menu a[href='/cari/']").click()
    page.locator("input[name=q]").fill("posyandu")
    page.locator("form.search button[type=submit]").click()

    # then the results list the posyandu announcement
    expect(page).to_have_url(visitor.hub.url("/cari/?q=posyandu"))
    expect(page.locator("article.hit h2 a").first).to_be_visible()
    expect(page.locator("article.hit h2 a")).to_contain_text(
        ["Posyandu balita dan lansia bulan ini"]
    )
    assert visitor.foreign_requests() == []


def test_language_switch_to_english_and_back(visitor):
    page = visitor.page

    # given the announcements in Bahasa Indonesia
    visitor.goto("/pengumuman/")
    expect(page.locator("html")).to_have_attribute("lang", "id")

    # when the villager picks English in the header
    page.locator("header nav.lang a").click()

    # then the same page is in English
    expect(page).to_have_url(visitor.hub.url("/pengumuman/"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("header nav.lang a")).to_have_text("Bahasa Indonesia")

    # when they switch back
    page.locator("header nav.lang a").click()

    # then it is in Bahasa Indonesia again
    expect(page).to_have_url(visitor.hub.url("/pengumuman/"))
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(page.locator("header nav.lang a")).to_have_text("English")
    assert visitor.foreign_requests() == []


def test_seen_pages_read_offline_and_unseen_ones_get_the_offline_page(visitor):
    page = visitor.page

    # given a phone whose page is controlled by the hub's service worker
    visitor.goto("/")
    assert page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    assert page.evaluate("navigator.serviceWorker.controller !== null")
    # and an announcement read while on the village Wi-Fi
    href = page.locator("article.card h3 a[href^='/pengumuman/']").first.get_attribute("href")
    visitor.goto(href)
    title = page.locator("h1").inner_text()

    # when the phone leaves the Wi-Fi and opens that announcement again
    visitor.context.set_offline(True)
    visitor.goto(href)

    # then the service worker serves the copy it kept
    expect(page.locator("h1")).to_have_text(title)

    # when it opens a page it never saw
    page.goto(visitor.hub.url("/profil/"))

    # then it gets the offline page
    expect(page.locator("h1")).to_contain_text("Tidak tersambung")
    assert visitor.foreign_requests() == []


def test_search_and_language_switch_work_without_javascript(visitor_without_js):
    visitor = visitor_without_js
    page = visitor.page

    # given the search page in a browser with JavaScript off
    visitor.goto("/cari/")

    # when the villager searches
    page.locator("input[name=q]").fill("posyandu")
    page.locator("form.search button[type=submit]").click()

    # then the results come from the plain form
    expect(page).to_have_url(visitor.hub.url("/cari/?q=posyandu"))
    expect(page.locator("article.hit h2 a")).to_contain_text(
        ["Posyandu balita dan lansia bulan ini"]
    )

    # when they switch to English and back with the plain links
    page.locator("header nav.lang a").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(visitor.hub.url("/cari/?q=posyandu"))
    page.locator("header nav.lang a").click()

    # then the page follows each choice
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(page).to_have_url(visitor.hub.url("/cari/?q=posyandu"))
    # and no script ran: the service worker was never even fetched
    assert not [url for url in visitor.requests if urlsplit(url).path == "/sw.js"]
    assert visitor.foreign_requests() == []
