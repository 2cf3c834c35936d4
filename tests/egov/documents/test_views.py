"""The villager's pages of legal documents, the PDF, and the upstream's list and JDIH feed."""

import datetime
import gzip
import json
import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import override_settings

from egov.documents.models import Kind, Status
from egov.documents.tasks import document_preview_task
from hub.core import pagecache
from hub.core.middleware import PUBLIC_CSP

pytestmark = pytest.mark.django_db


def _html(response) -> str:
    return response.content.decode()


def _titles(html: str) -> list[str]:
    return re.findall(r'<h2><a href="/produk-hukum/[0-9a-f-]+/">([^<]+)</a>', html)


@pytest.fixture
def many_documents(document_factory):
    kinds = [Kind.PERDES, Kind.PERKADES, Kind.SK_KADES, Kind.APBDES]
    return [
        document_factory(
            kind=kinds[i % 4],
            number=str(i),
            year=2020 + i % 5,
            enacted_on=datetime.date(2020 + i % 5, 3, 1),
            title=f"Dokumen {i:02d}",
        )
        for i in range(40)
    ]


def test_list_by_kind_and_year_in_a_fixed_number_of_queries(
    client, many_documents, django_assert_max_num_queries
):
    # given 40 documents of four kinds over five years
    # when the list, a kind and a kind in one year are opened
    with django_assert_max_num_queries(7):
        everything = client.get("/produk-hukum/")
    with django_assert_max_num_queries(7):
        perdes_2024 = client.get("/produk-hukum/?jenis=perdes&tahun=2024")

    # then 30 are on the first page, newest first; the filter shows only its own
    assert _html(everything).count('class="hit"') == 30
    assert 'rel="next"' in _html(everything)
    expected = sorted(d.title for d in many_documents if d.kind == Kind.PERDES and d.year == 2024)
    assert sorted(_titles(_html(perdes_2024))) == expected
    assert "<h1>Peraturan Desa 2024</h1>" in _html(perdes_2024)


def test_search_matches_title_number_and_abstract(client, document_factory):
    # given three documents
    document_factory(number="3", title="Pungutan desa", abstract="Tarif pasar desa")
    document_factory(number="17", title="Kader posyandu", abstract="Insentif kader")
    document_factory(number="5", title="APB Desa", abstract="Belanja jalan usaha tani")

    # then a title word, a number and an abstract word find one each
    assert _titles(_html(client.get("/produk-hukum/?q=POSYANDU"))) == ["Kader posyandu"]
    assert _titles(_html(client.get("/produk-hukum/?q=17"))) == ["Kader posyandu"]
    assert _titles(_html(client.get("/produk-hukum/?q=usaha+tani"))) == ["APB Desa"]


@pytest.mark.parametrize(
    "params",
    [
        {"q": "<script>alert(1)</script>"},
        {"q": "'; DROP TABLE egov_documents_legaldocument; --"},
        {"q": "%"},
        {"q": "_"},
    ],
)
def test_hostile_searches_are_escaped_and_find_nothing(client, document_factory, params):
    document_factory()
    response = client.get("/produk-hukum/", params)
    assert response.status_code == 200
    assert "<script>alert" not in _html(response)
    assert _titles(_html(response)) == []


@pytest.mark.parametrize("params", [{"tahun": "20x4"}, {"tahun": "99999"}, {"jenis": "uu"}])
def test_bogus_filters_are_not_found(client, document_factory, params):
    document_factory()
    assert client.get("/produk-hukum/", params).status_code == 404


def test_document_page_shows_the_metadata_preview_and_links(
    client, document_factory, sample_pdf, django_assert_max_num_queries
):
    # given a Perdes changed by a newer one, with its preview made
    newer = document_factory(number="2", title="Perubahan APB Desa 2025", pdf=sample_pdf)
    older = document_factory(
        status=Status.DIUBAH,
        changed_by=newer,
        pdf=sample_pdf,
        subject="APB Desa",
        legal_field="Keuangan desa",
        promulgated_on=datetime.date(2025, 1, 11),
    )
    document_preview_task(str(older.pk))

    # when it is opened
    with django_assert_max_num_queries(5):
        response = client.get(f"/produk-hukum/{older.pk}/")
    html = _html(response)

    # then the JDIH metadata, the status with its link, the preview and the PDF link show
    assert response.status_code == 200
    assert "Peraturan Desa Nomor 1 Tahun 2025" in html
    assert f'<a href="/produk-hukum/{newer.pk}/">Peraturan Desa Nomor 2 Tahun 2025</a>' in html
    assert 'class="preview" src="/media/egov/pratinjau/' in html
    assert f'href="/produk-hukum/{older.pk}/pdf/"' in html
    for text in ("APB Desa", "Keuangan desa", "11 Januari 2025", "Indonesia", "Diubah"):
        assert text in html
    # and the newer one says what it changed
    assert f'href="/produk-hukum/{older.pk}/"' in _html(client.get(f"/produk-hukum/{newer.pk}/"))


def test_the_pdf_is_served_inline_and_a_missing_one_is_not_found(
    client, document_factory, sample_pdf
):
    with_pdf = document_factory(pdf=sample_pdf)
    without = document_factory(number="2")
    hidden = document_factory(number="3", pdf=sample_pdf, published=False)

    response = client.get(f"/produk-hukum/{with_pdf.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    assert b"".join(response.streaming_content) == sample_pdf
    assert client.get(f"/produk-hukum/{without.pk}/pdf/").status_code == 404
    assert client.get(f"/produk-hukum/{hidden.pk}/pdf/").status_code == 404
    assert client.get(f"/produk-hukum/{hidden.pk}/").status_code == 404
    assert "belum tersedia" in _html(client.get(f"/produk-hukum/{without.pk}/"))


def test_a_pdf_reader_gets_the_part_it_asks_for(client, document_factory, sample_pdf):
    # given a published document with its PDF
    document = document_factory(pdf=sample_pdf)
    url = f"/produk-hukum/{document.pk}/pdf/"
    # when a reader asks for its first 5 bytes, then for a range past its end
    part = client.get(url, HTTP_RANGE="bytes=0-4")
    beyond = client.get(url, HTTP_RANGE=f"bytes={len(sample_pdf) + 10}-")
    # then it gets exactly those bytes (206), and a 416 saying the size
    assert part.status_code == 206 and part["Accept-Ranges"] == "bytes"
    assert part["Content-Range"] == f"bytes 0-4/{len(sample_pdf)}"
    assert b"".join(part.streaming_content) == sample_pdf[:5]
    assert beyond.status_code == 416 and beyond["Content-Range"] == f"bytes */{len(sample_pdf)}"


def test_html_in_every_text_field_is_escaped(client, document_factory):
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    document = document_factory(
        number=evil[:40],
        title=evil,
        abstract=evil,
        subject=evil,
        legal_field=evil[:100],
        publisher=evil,
        source=evil,
        signer=evil,
        place_enacted=evil[:100],
    )
    for url in ("/produk-hukum/", f"/produk-hukum/{document.pk}/"):
        html = _html(client.get(url))
        assert "<script>alert" not in html and "<img src=x" not in html, url
        assert "&lt;script&gt;" in html, url


def test_pages_stay_within_the_budget_and_the_csp(client, many_documents):
    css = Path(finders.find("site/balai.css")).read_bytes()
    css += Path(finders.find("egov/egov.css")).read_bytes()
    for url in ("/produk-hukum/", f"/produk-hukum/{many_documents[0].pk}/"):
        response = client.get(url)
        html = _html(response)
        size = len(gzip.compress(html.encode())) + len(gzip.compress(css))
        assert size < 14 * 1024, url
        assert response["Content-Security-Policy"] == PUBLIC_CSP
        assert "<style" not in html and " style=" not in html
        assert not re.search(r"<script(?![^>]*\bsrc=)", html)


def test_home_page_shows_the_documents_entry_once_documents_exist(client, home, document_factory):
    assert "entry-produk-hukum" not in _html(client.get("/"))
    document_factory()
    pagecache.invalidate()
    assert 'class="entry entry-produk-hukum" href="/produk-hukum/"' in _html(client.get("/"))


# --- the upstream --------------------------------------------------------------------------


@pytest.fixture
def upstream_documents(document_factory, settings):
    """On an upstream of province 15: Perdes of two villages of kabupaten 1503, one of
    kabupaten 1504, and the kabupaten's own Perbup."""
    settings.HUB_ROLE = "upstream"
    settings.SYNC_NODE_CODE = "15"
    settings.ROOT_URLCONF = "hub.urls_upstream"
    made = {
        "a": document_factory(upstream="1503012021", title="Perdes desa A", pdf=b"%PDF-1.4 a"),
        "b": document_factory(upstream="1503012022", title="Perdes desa B", kind=Kind.PERKADES),
        "c": document_factory(upstream="1504012001", title="Perdes kabupaten lain"),
        "apb": document_factory(upstream="1503012021", title="APBDes desa A", kind=Kind.APBDES),
        "perbup": document_factory(upstream="1503", title="Perbup", kind=Kind.PERBUP),
    }
    return made


def test_the_kabupaten_sees_its_villages_regulations_in_one_list(client, upstream_documents):
    # when the kabupaten opens its list
    html = _html(client.get("/produk-hukum/desa/?wilayah=1503"))
    # then it holds its villages' Perdes and Perkades, not another kabupaten's, not APBDes,
    # not its own Perbup
    assert "Perdes desa A" in html and "Perdes desa B" in html
    assert "kabupaten lain" not in html and "APBDes desa A" not in html and "Perbup" not in html
    assert "1503012021" in html


def test_the_jdih_feed_lists_the_kabupaten_villages_documents(client, upstream_documents):
    # when a JDIH portal harvests the kabupaten's feed
    response = client.get("/produk-hukum/jdih.json?wilayah=1503")
    entries = json.loads(response.content)
    # then it gets its villages' documents in the JDIHN integration shape
    assert response["Content-Type"] == "application/json"
    assert sorted(e["judul"] for e in entries) == [
        "APBDes desa A",
        "Perdes desa A",
        "Perdes desa B",
    ]
    a = next(e for e in entries if e["judul"] == "Perdes desa A")
    assert a["noPeraturan"] == "1" and a["tahun_pengundangan"] == "2025"
    assert a["tanggal_penetapan"] == "2025-01-10" and a["jenis"] == "Peraturan Desa"
    assert a["status"] == "Berlaku" and a["bahasa"] == "Indonesia"
    assert a["kodeWilayah"] == "1503012021"
    assert a["urlDownload"].endswith(f"/produk-hukum/{upstream_documents['a'].pk}/pdf/")
    assert a["urlDetailPeraturan"].startswith("http://testserver/produk-hukum/")


@pytest.mark.parametrize("region", ["15'--", "<b>", "150"])
def test_a_bogus_region_is_not_found(client, upstream_documents, region):
    assert client.get("/produk-hukum/jdih.json", {"wilayah": region}).status_code == 404


@override_settings(ROOT_URLCONF="hub.urls")
def test_a_village_has_no_jdih_feed(client, document_factory):
    document_factory()
    assert client.get("/produk-hukum/jdih.json").status_code == 404
    assert client.get("/produk-hukum/desa/").status_code == 404
