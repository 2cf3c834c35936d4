"""Villager pages: home, announcements, agenda, profile, feeds, search, errors, PWA files."""

import json
from datetime import timedelta

import pytest
from defusedxml import ElementTree
from django.utils import timezone

from hub.core import pagecache
from hub.site.entries import HomeEntry, register_home_entry, unregister_home_entry
from hub.site.models import Category, ProfilePage

pytestmark = pytest.mark.django_db


def test_home_shows_village_latest_announcements_and_upcoming_agenda(
    client, home, announcement_factory, agenda_factory
):
    # given
    announcement_factory(title="Posyandu balita")
    announcement_factory(title="Belum terbit", publish_at=timezone.now() + timedelta(days=1))
    announcement_factory(
        title="Sudah lewat",
        expires_at=timezone.now() - timedelta(minutes=1),
        publish_at=timezone.now() - timedelta(days=2),
    )
    agenda_factory(title="Musyawarah desa")
    agenda_factory(
        title="Kegiatan lama",
        starts_at=timezone.now() - timedelta(days=3),
        ends_at=timezone.now() - timedelta(days=3, hours=-2),
    )
    # when
    response = client.get("/")
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Desa Bukit Berantai</h1>" in html
    assert "Kabupaten Sarolangun" in html
    assert "Posyandu balita" in html
    assert "Musyawarah desa" in html
    assert "Belum terbit" not in html
    assert "Sudah lewat" not in html
    assert "Kegiatan lama" not in html


def test_home_entries_appear_only_once_an_app_has_content(client, home):
    # given an app whose entry has no content yet
    has_content = {"value": False}
    register_home_entry(
        HomeEntry(
            key="uji",
            label="Uji",
            description="Aplikasi uji",
            url_name="search",
            has_content=lambda: has_content["value"],
        )
    )
    try:
        # then the entry is hidden
        assert "entry-uji" not in client.get("/").content.decode()
        # when the app has content (and, as any change a public page shows, drops the cache)
        has_content["value"] = True
        pagecache.invalidate()
        # then it shows
        assert "entry-uji" in client.get("/").content.decode()
    finally:
        # only the test's own entry: the marketplace's real one stays registered
        unregister_home_entry("uji")


def test_pinned_announcement_comes_first(client, home, announcement_factory):
    announcement_factory(title="Biasa baru", publish_at=timezone.now() - timedelta(minutes=5))
    announcement_factory(
        title="Disematkan lama", pinned=True, publish_at=timezone.now() - timedelta(days=5)
    )
    html = client.get("/pengumuman/").content.decode()
    assert html.index("Disematkan lama") < html.index("Biasa baru")


def test_announcement_list_paginates_and_filters_by_category(client, home, announcement_factory):
    # given 12 health announcements and one about farming
    for i in range(12):
        announcement_factory(
            title=f"Kesehatan {i:02d}",
            category=Category.KESEHATAN,
            publish_at=timezone.now() - timedelta(hours=i + 1),
        )
    announcement_factory(title="Pupuk subsidi", category=Category.PERTANIAN)
    # when
    first = client.get("/pengumuman/").content.decode()
    second = client.get("/pengumuman/", {"halaman": 2}).content.decode()
    farming = client.get("/pengumuman/", {"kategori": "pertanian"}).content.decode()
    bogus_page = client.get("/pengumuman/", {"halaman": "abc"})
    # then
    assert "Halaman 1 dari 2" in first
    assert first.count('class="card') == 10
    assert second.count('class="card') == 3
    assert "Pupuk subsidi" in farming and "Kesehatan 00" not in farming
    assert bogus_page.status_code == 200


def test_announcement_detail_and_hidden_ones_404(client, home, announcement_factory):
    visible = announcement_factory(title="Gotong royong", body="<p>Minggu pagi</p>")
    future = announcement_factory(title="Rahasia", publish_at=timezone.now() + timedelta(days=1))
    response = client.get(f"/pengumuman/{visible.url_part}/")
    assert response.status_code == 200
    assert "Minggu pagi" in response.content.decode()
    assert client.get(f"/pengumuman/{future.url_part}/").status_code == 404
    assert client.get(f"/pengumuman/{future.pk}/").status_code == 404
    assert client.get("/pengumuman/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert client.get("/pengumuman/gotong-royong-0000000000/").status_code == 404


def test_atom_and_rss_feeds_list_visible_announcements(client, home, announcement_factory):
    item = announcement_factory(title="Jadwal vaksin")
    announcement_factory(title="Nanti", publish_at=timezone.now() + timedelta(days=1))
    atom = client.get("/pengumuman/feed/")
    rss = client.get("/pengumuman/rss/")
    assert atom["Content-Type"].startswith("application/atom+xml")
    assert rss["Content-Type"].startswith("application/rss+xml")
    tree = ElementTree.fromstring(atom.content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [e.text for e in tree.findall("a:entry/a:title", ns)]
    assert titles == ["Jadwal vaksin"]
    assert f"urn:uuid:{item.pk}" in atom.content.decode()
    assert "Jadwal vaksin" in rss.content.decode()


def test_agenda_lists_upcoming_and_past_and_details(client, home, agenda_factory):
    upcoming = agenda_factory(title="Musdes", place="Balai Desa")
    agenda_factory(
        title="Kerja bakti lama",
        starts_at=timezone.now() - timedelta(days=2),
        ends_at=timezone.now() - timedelta(days=2, hours=-1),
    )
    index = client.get("/kegiatan/").content.decode()
    past = client.get("/kegiatan/lampau/").content.decode()
    detail = client.get(f"/kegiatan/{upcoming.url_part}/")
    assert "Musdes" in index and "Kerja bakti lama" not in index
    assert "Kerja bakti lama" in past and "Musdes" not in past
    assert detail.status_code == 200
    assert "Balai Desa" in detail.content.decode()


def test_profile_page_renders_text_table_and_officials(client, home, make_image):
    # given a profile page with every block type
    image = make_image()
    body = json.dumps(
        [
            {"type": "text", "value": "<p>Sejarah desa</p>"},
            {
                "type": "image",
                "value": {"image": image.pk, "alt_text": "Sawah", "decorative": False},
            },
            {
                "type": "table",
                "value": {
                    "data": [["Dusun", "KK"], ["I", "212"]],
                    "first_row_is_table_header": True,
                    "first_col_is_header": False,
                },
            },
            {
                "type": "officials",
                "value": [{"name": "Abdul", "position": "Kepala Desa", "photo": None}],
            },
        ]
    )
    page = ProfilePage(title="Profil Desa", slug="profil", body=body)
    home.add_child(instance=page)
    page.save_revision().publish()
    # when
    html = client.get("/profil/").content.decode()
    # then
    assert "Sejarah desa" in html
    assert "<table" in html and "212" in html
    assert "Kepala Desa" in html and "Abdul" in html
    assert 'alt="Sawah"' in html


def test_search_finds_pages_announcements_and_agenda(
    client, home, announcement_factory, agenda_factory, django_capture_on_commit_callbacks
):
    # given (the search index is updated after commit)
    with django_capture_on_commit_callbacks(execute=True):
        announcement_factory(title="Posyandu balita", body="<p>timbang berat</p>")
        agenda_factory(title="Posyandu lansia")
        announcement_factory(
            title="Rahasia posyandu", publish_at=timezone.now() + timedelta(days=3)
        )
    # when
    response = client.get("/cari/", {"q": "posyandu"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Posyandu balita" in html
    assert "Posyandu lansia" in html
    assert "Rahasia" not in html


def test_search_refuses_an_overlong_query(client, home):
    response = client.get("/cari/", {"q": "x" * 500})
    assert response.status_code == 400
    assert "terlalu panjang" in response.content.decode()


def test_404_page_is_in_site_style(client, home):
    response = client.get("/tidak-ada/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "Halaman tidak ditemukan" in html
    assert "balai" in html and "Desa Bukit Berantai" in html


def test_500_page_renders_without_database(rf, settings):
    from hub.site.views import server_error

    response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert "Terjadi gangguan" in response.content.decode()


def test_language_switch_sets_cookie_and_english_is_served(client, home):
    response = client.get("/bahasa/en/", {"next": "/pengumuman/"})
    assert response.status_code == 302
    assert response["Location"] == "/pengumuman/"
    assert client.cookies["balai_bahasa"].value == "en"
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    client.get("/bahasa/id/")
    assert '<html lang="id">' in client.get("/").content.decode()


def test_language_switch_refuses_unknown_language_and_outside_redirects(client, home):
    assert client.get("/bahasa/fr/").status_code == 404
    response = client.get("/bahasa/en/", {"next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_phone_language_is_not_used_indonesian_is_default(client, home):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="id">' in html


def test_pages_load_nothing_from_outside_the_hub(client, home, announcement_factory, make_image):
    announcement_factory(image=make_image())
    for url in ("/", "/pengumuman/", "/kegiatan/", "/cari/?q=a", "/offline/"):
        response = client.get(url)
        html = response.content.decode()
        assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")
        assert "https://" not in html
        assert "//" not in response["Content-Security-Policy"]
        assert html.count('rel="stylesheet"') == 1


def test_manifest_and_service_worker(client, home):
    manifest = client.get("/manifest.webmanifest")
    data = json.loads(manifest.content)
    assert manifest["Content-Type"] == "application/manifest+json"
    assert data["name"] == "Desa Bukit Berantai"
    assert data["start_url"] == "/"
    worker = client.get("/sw.js")
    assert worker["Content-Type"].startswith("application/javascript")
    assert worker["Service-Worker-Allowed"] == "/"
    assert "/offline/" in worker.content.decode()
    assert client.get("/offline/").status_code == 200


def test_village_logo_shows_in_the_header_once_its_renditions_exist(
    client, home, make_image, django_capture_on_commit_callbacks
):
    from hub.media.tasks import image_renditions_task
    from hub.site.models import VillageSettings

    # given a logo set in the village settings
    village = VillageSettings.load()
    village.logo = make_image(width=300, height=200)
    with django_capture_on_commit_callbacks(execute=True):
        village.save()
    # then the header shows a square placeholder until the logo's renditions exist
    assert 'class="logo ph"' in client.get("/").content.decode()
    # when the background task has made them (and its commit dropped the cached pages)
    with django_capture_on_commit_callbacks(execute=True):
        image_renditions_task(village.logo.pk)
    html = client.get("/").content.decode()
    assert 'class="logo" src="/media/images/' in html
    assert 'width="64" height="4' in html


def test_notice_links_are_readable_and_old_or_stale_links_redirect(
    client, home, announcement_factory, agenda_factory
):
    # given an announcement and an event with Indonesian titles
    notice = announcement_factory(title="Rapat Desa: Musyawarah Dusun II (2026)!")
    event = agenda_factory(title="Posyandu Balita")
    short = notice.pk.hex[:10]
    # when the lists and the detail pages are read
    listing = client.get("/pengumuman/").content.decode()
    readable = client.get(f"/pengumuman/rapat-desa-musyawarah-dusun-ii-2026-{short}/")
    # then the link a villager shares names the notice and works
    assert notice.url_part == f"rapat-desa-musyawarah-dusun-ii-2026-{short}"
    assert f'href="/pengumuman/{notice.url_part}/"' in listing
    assert readable.status_code == 200
    assert "Rapat Desa" in readable.content.decode()
    assert f"/kegiatan/posyandu-balita-{event.pk.hex[:10]}/" in client.get("/").content.decode()
    # and the old UUID link, a bare short id and a link with an old title redirect for good
    for old in (
        f"/pengumuman/{notice.pk}/",
        f"/pengumuman/{short}/",
        f"/pengumuman/judul-lama-{short}/",
    ):
        response = client.get(old)
        assert response.status_code == 301, old
        assert response["Location"] == f"/pengumuman/{notice.url_part}/"
    old_event = client.get(f"/kegiatan/{event.pk}/")
    assert old_event.status_code == 301
    assert old_event["Location"] == f"/kegiatan/{event.url_part}/"


def test_notice_link_of_a_title_without_latin_letters_is_the_short_id(
    client, home, announcement_factory
):
    # given a title that slugifies to nothing
    notice = announcement_factory(title="!!! ???")
    # then the link is the short id alone, and it works
    assert notice.url_part == notice.pk.hex[:10]
    assert client.get(f"/pengumuman/{notice.url_part}/").status_code == 200


def test_notice_link_clash_on_short_id_is_settled_by_the_slug(client, home, announcement_factory):
    # given two announcements whose UUIDs share the first ten hex digits (made so on purpose)
    import uuid

    first = announcement_factory(title="Air bersih", id=uuid.UUID("abcdef0123" + "0" * 22))
    second = announcement_factory(title="Jalan desa", id=uuid.UUID("abcdef0123" + "f" * 22))
    # when each readable link is read
    a = client.get(f"/pengumuman/{first.url_part}/")
    b = client.get(f"/pengumuman/{second.url_part}/")
    # then each finds its own notice
    assert "Air bersih" in a.content.decode() and "Jalan desa" not in a.content.decode()
    assert "Jalan desa" in b.content.decode()
