"""The Perpustakaan page and the /pustaka/ proxy, against a real kiwix-serve."""

import gzip
import shutil

import pytest
from django.core.cache import cache

from elearning.library.selectors import CATALOG_CACHE_KEY
from elearning.library.services import library_scan
from elearning.library.views import LIBRARY_CSP
from hub.core import pagecache

from .zims import kiwix_serve_start

pytestmark = pytest.mark.django_db

PAGE_BUDGET = 14 * 1024


def _html(response) -> str:
    return response.content.decode()


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_the_page_lists_the_archives_from_the_catalog(client, village, library):
    # given a library with the small archive, kiwix-serve running
    # when
    response = client.get("/perpustakaan/")
    # then: title, description, language, size and article count, a link into /pustaka/
    html = _html(response)
    assert response.status_code == 200
    assert "Pustaka Tani" in html
    assert "Panduan bertani untuk desa" in html
    assert "Bahasa Indonesia" in html
    assert "KB" in html and "artikel" in html
    assert 'href="/pustaka/tani/"' in html
    assert "<script" not in html.split("</head>")[1]


def test_a_search_shows_results_that_link_into_the_archive(client, village, library):
    # given / when
    response = client.get("/perpustakaan/", {"q": "padi"}, HTTP_ACCEPT_ENCODING="gzip")
    # then
    html = gzip.decompress(response.content).decode()
    assert response.status_code == 200
    assert 'href="/pustaka/tani/padi.html"' in html
    assert "Menanam padi" in html
    assert "<b>padi</b>" in html.lower()
    assert "hasil untuk" in html
    assert len(response.content) <= PAGE_BUDGET


def test_a_search_without_matches_says_so(client, village, library):
    # given / when
    response = client.get("/perpustakaan/", {"q": "zzqxyy"})
    # then
    assert response.status_code == 200
    assert "Tidak ada yang cocok" in _html(response)


def test_bad_search_input_is_refused_plainly(client, village, library):
    # given / when
    too_long = client.get("/perpustakaan/", {"q": "padi" * 40})
    no_such_book = client.get("/perpustakaan/", {"q": "padi", "arsip": "../../etc"})
    odd_page = client.get("/perpustakaan/", {"q": "padi", "halaman": "x"})
    # then
    assert too_long.status_code == 400 and "terlalu panjang" in _html(too_long)
    assert no_such_book.status_code == 400 and "tidak ada di perpustakaan" in _html(no_such_book)
    assert odd_page.status_code == 200 and "Menanam padi" in _html(odd_page)


def test_a_search_can_be_limited_to_one_archive(client, village, library):
    # given / when
    response = client.get("/perpustakaan/", {"q": "kopi", "arsip": "tani"})
    # then
    assert response.status_code == 200
    assert 'href="/pustaka/tani/kopi.html"' in _html(response)


def test_a_catalog_behind_the_scan_is_shown_but_not_cached(
    client, village, library, settings, tmp_path, small_zim
):
    # given: a scan has just accepted a second archive, and kiwix-serve has not reloaded
    # library.xml yet (it still serves the first one alone)
    folder = tmp_path / "library"
    folder.mkdir()
    shutil.copyfile(small_zim, folder / "tani.zim")
    shutil.copyfile(small_zim, folder / "kebun.zim")
    settings.LIBRARY_DIR = folder
    assert library_scan().served == ["kebun.zim", "tani.zim"]
    # when
    first = client.get("/perpustakaan/")
    second = client.get("/perpustakaan/")
    # then: what is served is shown, and asked again on the next request, neither the page nor
    # the catalog kept (else the new archive stays missing until the page cache expires)
    assert first.status_code == second.status_code == 200
    assert "Pustaka Tani" in _html(second)
    assert "no-store" in second["Cache-Control"]
    assert "X-Balai-Cache" not in second
    assert cache.get(f"{CATALOG_CACHE_KEY}:{pagecache.generation()}") is None
    # when kiwix-serve serves what the scan wrote (here: the scan goes back to the first one)
    (folder / "kebun.zim").unlink()
    assert library_scan().served == ["tani.zim"]
    client.get("/perpustakaan/")
    # then: the page is cached again
    assert client.get("/perpustakaan/")["X-Balai-Cache"] == "hit"


def test_when_kiwix_serve_is_down_the_page_says_so(client, village, library_down):
    # given no kiwix-serve / when
    response = client.get("/perpustakaan/", {"q": "padi"})
    # then
    assert response.status_code == 503
    assert "kiwix-serve" in _html(response) and "tidak berjalan" in _html(response)
    assert response["Retry-After"] == "30"


def test_an_empty_library_says_so(client, village, library, settings, tmp_path):
    # given: kiwix-serve runs, but on an empty library
    folder = tmp_path / "kosong"
    settings.LIBRARY_DIR = folder
    library_scan()
    server = kiwix_serve_start(folder / "library.xml", tmp_path / "kiwix.log")
    settings.LIBRARY_KIWIX_URL = server.url
    try:
        # when
        response = client.get("/perpustakaan/")
    finally:
        server.stop()
    # then
    assert response.status_code == 200
    assert "Belum ada arsip" in _html(response)


def test_the_home_page_links_the_library_only_once_an_archive_is_served(
    client, home, settings, tmp_path, small_zim
):
    # given an empty library
    settings.LIBRARY_DIR = tmp_path / "library"
    library_scan()
    # then
    assert "entry-perpustakaan" not in _html(client.get("/"))
    # when an archive is added (the scan drops the cached pages)
    shutil.copyfile(small_zim, tmp_path / "library" / "tani.zim")
    library_scan()
    # then
    assert 'href="/perpustakaan/"' in _html(client.get("/"))


def test_an_article_is_proxied_from_kiwix_serve(client, village, library):
    # given / when
    response = client.get("/pustaka/tani/padi.html")
    # then: streamed, with the sandboxing policy
    assert response.status_code == 200
    assert response.streaming
    assert b"Menanam padi" in _body(response)
    assert response["Content-Type"].startswith("text/html")
    assert response["Content-Security-Policy"] == LIBRARY_CSP


def test_head_gives_the_headers_without_the_body(client, village, library):
    # given
    full = _body(client.get("/pustaka/tani/padi.html"))
    # when
    response = client.head("/pustaka/tani/padi.html")
    # then
    assert response.status_code == 200
    assert _body(response) == b""
    assert int(response["Content-Length"]) == len(full)
    # and a GET afterwards still gets the article (nothing empty was cached)
    assert b"Menanam padi" in _body(client.get("/pustaka/tani/padi.html"))


def test_a_range_is_passed_through(client, village, library):
    # given / when
    response = client.get(
        "/pustaka/tani/data.txt", HTTP_RANGE="bytes=12-23", HTTP_ACCEPT_ENCODING="gzip"
    )
    # then
    assert response.status_code == 206
    assert _body(response) == b"baris 00001\n"
    assert response["Content-Range"].startswith("bytes 12-23/")
    assert "Content-Encoding" not in response


def test_kiwix_serve_redirects_and_404s_pass_through(client, village, library):
    # given / when
    book = client.get("/pustaka/tani/")
    missing = client.get("/pustaka/tani/tidak-ada.html")
    root = client.get("/pustaka/")
    # then
    assert book.status_code == 302 and book["Location"].startswith("/pustaka/tani/")
    assert missing.status_code == 404
    assert root.status_code == 302 and root["Location"] == "/perpustakaan/"


@pytest.mark.parametrize(
    "path",
    [
        "/pustaka/../admin/",
        "/pustaka/tani/../../etc/passwd",
        "/pustaka/tani/%2e%2e/%2e%2e/etc/passwd",
        "/pustaka/tani/./padi.html",
        "/pustaka/tani//padi.html",
        "/pustaka/tani/..%5c..%5cetc",
        "/pustaka/tani/padi%00.html",
    ],
)
def test_path_traversal_is_refused_before_anything_is_forwarded(
    client, village, library_down, path
):
    # given no kiwix-serve at all: a forwarded request would give 503, not 400
    # when
    response = client.get(path)
    # then
    assert response.status_code == 400
    assert "Alamat tidak sah" in response.content.decode()


def test_only_reading_is_proxied(client, village, library):
    # given / when
    post = client.post("/pustaka/tani/padi.html", {"x": "1"})
    put = client.put("/pustaka/tani/padi.html")
    # then
    assert post.status_code == 405 and put.status_code == 405
    assert post["Allow"] == "GET, HEAD"


def test_when_kiwix_serve_is_down_articles_get_a_clear_page(client, village, library_down):
    # given no kiwix-serve / when
    response = client.get("/pustaka/tani/padi.html")
    # then
    assert response.status_code == 503
    html = _html(response)
    assert "Perpustakaan sedang tidak bisa dibuka" in html
    assert "kiwix-serve" in html


def test_the_page_speaks_english_when_chosen(client, village, library, settings):
    # given a villager who chose English
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    # when
    html = _html(client.get("/perpustakaan/", {"q": "padi"}))
    # then
    assert "Search the library" in html
    assert "result for" in html or "results for" in html
