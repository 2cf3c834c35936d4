"""The villager's pages of service standards: browse, search, a service, what to bring."""

import gzip
import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

from egov.services.models import Category
from hub.core import pagecache
from hub.core.middleware import PUBLIC_CSP

pytestmark = pytest.mark.django_db


def _html(response) -> str:
    return response.content.decode()


def _titles(html: str) -> list[str]:
    return re.findall(r'<h2><a href="/layanan/[0-9a-f-]+/">([^<]+)</a>', html)


def _gzip_size(html: str) -> int:
    """HTML plus both stylesheets, compressed: what a first visit downloads."""
    css = Path(finders.find("site/balai.css")).read_bytes()
    css += Path(finders.find("egov/egov.css")).read_bytes()
    return len(gzip.compress(html.encode())) + len(gzip.compress(css))


@pytest.fixture
def many_services(service_factory, office_factory):
    office = office_factory(upstream="1503", address="Jl. Sudirman 12", hours="Senin–Jumat")
    categories = list(Category.values)
    return [
        service_factory(
            upstream="1503",
            title=f"Layanan {i:02d}",
            category=categories[i % len(categories)],
            office=office,
            requirements="\n".join(f"Syarat nomor {n} untuk layanan {i}" for n in range(8)),
        )
        for i in range(40)
    ]


def test_index_lists_services_by_category_in_a_fixed_number_of_queries(
    client, many_services, django_assert_max_num_queries
):
    # given 40 services in every category
    # when the list and one category are opened
    with django_assert_max_num_queries(6):
        everything = client.get("/layanan/")
    with django_assert_max_num_queries(6):
        health = client.get("/layanan/?kategori=kesehatan")

    # then the first page shows 30 cards, the category only its own
    assert everything.status_code == 200
    assert _html(everything).count('class="hit"') == 30
    assert 'rel="next"' in _html(everything)
    titles = _titles(_html(health))
    expected = sorted(s.title for s in many_services if s.category == Category.KESEHATAN)
    assert titles == expected
    assert 'aria-current="true">Kesehatan</a>' in _html(health)


def test_search_matches_titles_and_requirements(client, service_factory):
    # given two services, one needing a photo
    service_factory(title="Surat keterangan domisili", requirements="KTP-el\nSurat pengantar RT")
    service_factory(title="Penerbitan SKCK", requirements="KTP-el\nPas foto 4x6 latar merah")

    # when villagers search a title word and a requirement
    by_title = _html(client.get("/layanan/?q=domisili"))
    by_requirement = _html(client.get("/layanan/?q=pas+FOTO"))

    # then each finds its service only
    assert _titles(by_title) == ["Surat keterangan domisili"]
    assert _titles(by_requirement) == ["Penerbitan SKCK"]


@pytest.mark.parametrize(
    "query",
    [
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        "%_%",
        "\\",
        "KTP\x00",
        "ｋｔｐ ñ 😀",
    ],
)
def test_hostile_search_strings_are_escaped_and_match_nothing(client, service_factory, query):
    # given a service
    service_factory()

    # when a hostile string is searched
    response = client.get("/layanan/", {"q": query})
    html = _html(response)

    # then the page answers, shows the words escaped and finds nothing
    assert response.status_code == 200
    assert "<script>alert" not in html
    assert 'class="hit"' not in html


def test_an_overlong_search_is_refused_with_a_message(client, service_factory):
    service_factory()
    response = client.get("/layanan/", {"q": "ktp " * 40})
    assert response.status_code == 400
    assert "terlalu panjang" in _html(response)


def test_an_unknown_category_is_not_found(client, service_factory):
    service_factory()
    assert client.get("/layanan/?kategori=<b>x</b>").status_code == 404


def test_service_page_shows_the_six_components_the_office_and_the_letter_link(
    client, service_factory, office_factory, django_assert_max_num_queries
):
    # given a village service the village office starts with a letter
    office = office_factory(
        name="Kantor Desa Sungai Abang",
        kind="desa",
        address="Balai desa",
        hours="Senin–Jumat 08.00–14.00",
        phone="0812 1111 2222",
    )
    service = service_factory(
        title="Surat keterangan domisili",
        office=office,
        letter_code="domisili",
        legal_basis="Permendagri 2/2017",
    )

    # when it is opened
    with django_assert_max_num_queries(4):
        response = client.get(f"/layanan/{service.pk}/")
    html = _html(response)

    # then the checklist, steps, time, cost, product, complaints and office are there
    assert response.status_code == 200
    assert html.count('type="checkbox"') == 2
    assert '<ol class="steps"><li>Bawa KK ke Disdukcapil</li>' in html
    assert "Hari itu juga" in html and 'class="free">Gratis' in html
    assert "SP4N-LAPOR!" in html and "Kantor Desa Sungai Abang" in html
    assert 'href="tel:+6281211112222"' in html
    assert 'href="/surat/ajukan/domisili/"' in html
    # and the admin components sit in a details view
    assert "<details>" in html and "Permendagri 2/2017" in html
    # and the checklist works without a form or a script: nothing is sent anywhere
    assert "<form" not in html.split('class="check"')[1].split("</ul>")[0]


def test_a_paid_service_shows_its_cost_and_no_letter_link(client, service_factory):
    service = service_factory(free_of_charge=False, cost="Rp 30.000 (PNBP)")
    html = _html(client.get(f"/layanan/{service.pk}/"))
    assert "Rp 30.000 (PNBP)" in html and 'class="free"' not in html
    assert "/surat/ajukan/" not in html


def test_bring_list_is_a_print_view(client, service_factory):
    # given a service
    service = service_factory()
    # when its print view is opened
    html = _html(client.get(f"/layanan/{service.pk}/cetak/"))
    # then it lists what to bring, and the stylesheet has the print rules
    assert "Yang harus dibawa: Perekaman KTP-el" in html
    assert html.count('type="checkbox"') == 2
    assert "@media print" in Path(finders.find("egov/egov.css")).read_text()


def test_a_hidden_or_unknown_service_is_not_found(client, service_factory):
    hidden = service_factory(active=False)
    assert client.get(f"/layanan/{hidden.pk}/").status_code == 404
    assert client.get("/layanan/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_html_in_every_text_field_is_escaped(client, service_factory, office_factory):
    # given a service whose every text holds markup
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    office = office_factory(name=evil, address=evil, hours=evil[:150])
    service = service_factory(
        title=evil,
        summary=evil,
        requirements=evil,
        procedure=evil,
        duration=evil[:150],
        product=evil,
        complaints=evil,
        legal_basis=evil,
        office=office,
    )
    for url in ("/layanan/", f"/layanan/{service.pk}/", f"/layanan/{service.pk}/cetak/"):
        # when the pages are opened
        html = _html(client.get(url))
        # then the markup shows as text
        assert "<script>alert" not in html and "<img src=x" not in html, url
        assert "&lt;script&gt;" in html, url


def test_pages_stay_within_the_budget_and_the_csp(client, many_services):
    # when the list and a service page with eight requirements are opened
    pages = [client.get("/layanan/"), client.get(f"/layanan/{many_services[0].pk}/")]
    for response in pages:
        html = _html(response)
        # then HTML + CSS compressed stay under 14 KB, with nothing inline the CSP would block
        assert _gzip_size(html) < 14 * 1024
        assert response["Content-Security-Policy"] == PUBLIC_CSP
        assert "<style" not in html and " style=" not in html
        assert not re.search(r"<script(?![^>]*\bsrc=)", html)


def test_home_page_shows_the_services_entry_once_services_exist(client, home, service_factory):
    # given a home page and no service
    assert "entry-layanan" not in _html(client.get("/"))
    # when a service is added (its commit would drop the page cache; done here by hand)
    service_factory()
    pagecache.invalidate()
    # then the home page links to the services
    assert 'class="entry entry-layanan" href="/layanan/"' in _html(client.get("/"))
