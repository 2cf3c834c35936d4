"""The admin a village clerk uses speaks Bahasa Indonesia: no Wagtail or Django message shows in
English on the screens they work in, the Wagtail catalogue is covered, and English still works.

How "untranslated" is found: every English msgid of the package catalogues that has an
Indonesian translation is a sentence the admin must never show while Indonesian is active. The
test renders each screen, takes its text nodes, the attributes people read (title, aria-label,
placeholder, alt, button values) and the strings in the JSON that Wagtail's scripts render from
(the sidebar menu), and lists every one that is such a msgid.
"""

import json
import re
from functools import cache

import pytest
from bs4 import BeautifulSoup
from django.conf import settings
from django.test import Client
from django.utils import translation
from wagtail.documents.models import Document
from wagtail.users.models import UserProfile

from hub.core import admin_catalogue
from hub.site.models import Announcement
from marketplace.models import Bumdes

pytestmark = pytest.mark.django_db

ATTRIBUTES = ("title", "aria-label", "placeholder", "alt", "data-w-tooltip-content-value")
# Shown strings that equal a translated msgid without being that message: product and language
# names (the account page offers "English" by its own name), and Python's None that Wagtail's
# aging-pages report prints for a page published by no one (the pages a migration made).
NOT_MESSAGES = {"Wagtail", "English", "None"}
# Wagtail 7.4's dashboard template (wagtailadmin/home.html) writes its screen-reader-only search
# button as value="Search", outside gettext. The dashboard template belongs to the dashboard
# work of issue 10, so it is not overridden here; this is the one English string left.
HARD_CODED: dict[str, set[str]] = {}
SHOWN_JSON_KEYS = {"label", "description", "error_name", "help_text", "footer_text", "STRINGS"}


@cache
def english_msgids() -> frozenset[str]:
    """The plain (placeholder-free) English msgids that the active catalogues translate."""
    found = set()
    apps = admin_catalogue.WAGTAIL_APPS + admin_catalogue.OTHER_APPS
    with translation.override("id"):
        for source in admin_catalogue.source_entries(apps):
            entry = source.entry
            if source.domain != "django" or entry.msgid_plural or "%" in entry.msgid:
                continue
            if re.search(r"\{\w*\}", entry.msgid):
                continue
            if entry.msgctxt:
                shown = translation.pgettext(entry.msgctxt, entry.msgid)
            else:
                shown = translation.gettext(entry.msgid)
            if shown != entry.msgid:
                found.add(normalise(entry.msgid))
    return frozenset(found - NOT_MESSAGES)


def normalise(text: str) -> str:
    return " ".join(text.split())


def json_strings(value, shown=False):
    """The strings of Wagtail's script data that are shown: menu labels, editor button names,
    the STRINGS table; not the identifiers beside them (a menu item's "name" is "images")."""
    if isinstance(value, str):
        if shown:
            yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from json_strings(item, shown or key in SHOWN_JSON_KEYS)
    elif isinstance(value, list):
        for item in value:
            yield from json_strings(item, shown)


def shown_strings(html: str):
    """What a person reads on the page: text, labelling attributes, script-rendered JSON."""
    soup = BeautifulSoup(html, "html.parser")
    for script in soup.find_all("script"):
        if script.get("type") == "application/json" and script.string:
            yield from json_strings(json.loads(script.string))
        script.decompose()
    for style in soup.find_all("style"):
        style.decompose()
    for hidden in soup.find_all(hidden=True):
        hidden.decompose()
    yield from soup.find_all(string=True)
    for tag in soup.find_all(True):
        for name in ATTRIBUTES:
            if tag.get(name):
                yield tag[name]
        if tag.name in ("input", "button") and tag.get("type") in ("submit", "button"):
            yield tag.get("value") or ""


def english_on(client: Client, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    msgids = english_msgids()
    shown = {normalise(s) for s in shown_strings(response.content.decode())}
    return sorted(s for s in shown if s in msgids and s not in HARD_CODED.get(url, ()))


def assert_indonesian(client: Client, urls: list[str]):
    offenders = {url: english_on(client, url) for url in urls}
    offenders = {url: found for url, found in offenders.items() if found}
    assert not offenders, "English on the admin screens: " + json.dumps(offenders, indent=1)


@pytest.fixture
def content(home, make_image, announcement_factory):
    """One of everything a clerk lists: pages, an announcement, an image, a document, a BUMDes."""
    make_image(title="Foto balai desa")
    announcement_factory(title="Kerja bakti Minggu")
    Document.objects.create(title="Perdes APBDes")
    bumdes = Bumdes(name="BUMDes Maju Bersama", slug="maju-bersama")
    bumdes.full_clean()
    bumdes.save()
    return home


def clerk_screens(home, superuser: bool) -> list[str]:
    announcement = Announcement.objects.get()
    child = home.get_children().first()
    screens = [
        "/admin/",
        "/admin/pages/",
        f"/admin/pages/{home.pk}/",
        f"/admin/pages/{home.pk}/edit/",
        f"/admin/pages/{child.pk}/edit/",
        f"/admin/pages/add/site/profilepage/{home.pk}/",
        "/admin/pages/search/?q=desa",
        "/admin/snippets/site/announcement/",
        f"/admin/snippets/site/announcement/edit/{announcement.pk}/",
        "/admin/images/",
        "/admin/images/multiple/add/",
        "/admin/documents/",
        "/admin/documents/multiple/add/",
        "/admin/account/",
    ]
    if superuser:
        screens += [
            "/admin/reports/locked/",
            "/admin/reports/site-history/",
            "/admin/reports/aging-pages/",
            "/admin/reports/workflow/",
            "/admin/users/",
            "/admin/groups/",
            "/admin/sites/",
            "/admin/collections/",
            "/admin/workflows/list/",
            "/admin/pasar/bumdes/",
            "/admin/pasar/produk/",
            "/admin/pasar/pesanan/",
            "/admin/sync/",
            "/admin/statistik/",
            "/admin/egov_service_admin/",
            "/admin/egov_office_admin/",
            "/admin/egov_document_admin/",
            "/admin/surat/permohonan/",
            "/admin/surat/jenis/",
            "/admin/belajar/kursus/",
            "/admin/belajar/media/",
        ]
    return screens


def test_superuser_admin_screens_show_no_english(content, admin_user):
    # given: a superuser whose admin runs in the default language, Indonesian
    client = Client()
    client.force_login(admin_user)
    # when / then
    assert_indonesian(client, clerk_screens(content, superuser=True))


def test_editor_admin_screens_show_no_english(content, editor):
    # given: a village official in the Editors group
    client = Client()
    client.force_login(editor)
    # when / then
    assert_indonesian(client, clerk_screens(content, superuser=False))


def test_the_sidebar_menu_is_indonesian(content, admin_user):
    # given
    client = Client()
    client.force_login(admin_user)
    # when
    response = client.get("/admin/")
    # then: the menu items the issue named, in the JSON the sidebar is drawn from
    shown = set(shown_strings(response.content.decode()))
    for label in ("Halaman", "Gambar", "Dokumen", "Laporan", "Bantuan", "Pengaturan"):
        assert label in shown, label
    assert "Cari semua halaman…" in shown or "Cari" in shown


def test_english_admin_still_english(content, admin_user):
    # given: an official who chose English in their account
    profile = UserProfile.get_for_user(admin_user)
    profile.preferred_language = "en"
    profile.save()
    client = Client()
    client.force_login(admin_user)
    # when
    response = client.get("/admin/")
    # then
    shown = set(shown_strings(response.content.decode()))
    assert {"Pages", "Images", "Reports", "Help"} <= shown
    assert "Laporan" not in shown


def test_wagtail_admin_catalogue_coverage_is_at_least_95_percent():
    # when
    figure = admin_catalogue.coverage()
    # then
    assert figure.total > 1000
    assert figure.after >= 95.0, f"{figure.after:.1f} % of {figure.total}"


def test_every_installed_wagtail_app_with_a_catalogue_is_measured():
    # given
    installed = [app for app in settings.INSTALLED_APPS if app.startswith("wagtail")]
    # then
    unmeasured = [
        app
        for app in installed
        if admin_catalogue.locale_dir(app) and app not in admin_catalogue.WAGTAIL_APPS
    ]
    assert not unmeasured


def test_built_catalogue_is_current_and_leaves_the_project_strings_alone(tmp_path):
    # given: the maintained file
    po = admin_catalogue.load_source()
    # when: built again into a scratch directory
    built = admin_catalogue.build(po, out_dir=tmp_path)
    # then: it is what is committed, and no project msgid changes meaning
    committed = admin_catalogue.LOCALE_DIR / "id" / "LC_MESSAGES"
    for domain, path in built.items():
        assert path.read_text() == (committed / f"{domain}.po").read_text(), domain
    assert admin_catalogue.collisions(po) == []
    assert not admin_catalogue.missing(po)


def test_admin_carries_balai_name_and_logo(content, admin_user):
    # given
    client = Client()
    client.force_login(admin_user)
    # when
    soup = BeautifulSoup(client.get("/admin/").content.decode(), "html.parser")
    # then: the tab, the icon and the sidebar's logo are Balai's, served by the hub itself
    assert soup.title.string.strip().endswith("- Balai")
    assert soup.find("link", rel="icon")["href"].startswith("/static/site/icons/")
    sidebar_logo = soup.find("template", attrs={"data-wagtail-sidebar-branding-logo": True})
    assert sidebar_logo.find("img", alt="Balai")["src"].startswith("/static/site/icons/balai")
    assert "icon-wagtail" not in str(soup)


@pytest.mark.parametrize(
    "language, heading", [("id", "Masuk ke Balai"), ("en", "Sign in to Balai")]
)
def test_login_page_is_balai_in_the_chosen_language(client, language, heading):
    # given: a visitor whose language cookie says which language
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    # when
    soup = BeautifulSoup(client.get("/admin/login/").content.decode(), "html.parser")
    # then
    assert soup.h1.get_text(strip=True) == heading
    assert soup.find("img", alt="Balai")
    assert "icon-wagtail" not in str(soup)
