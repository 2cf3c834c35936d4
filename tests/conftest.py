"""Shared fixtures: the smallest page tree a test needs, images made with Pillow, users."""

import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from PIL import Image

from hub.core import pagecache
from hub.media.services import image_from_bytes
from hub.site.models import (
    AgendaIndexPage,
    AgendaItem,
    Announcement,
    AnnouncementIndexPage,
    HomePage,
)
from hub.site.services import village_identity_set

MULTI_PROCESS_DIR = Path(__file__).resolve().parent / "e2e"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Every test under tests/e2e starts real processes: marked ``e2e`` by its folder (before
    ``-m`` selects), so ``scripts/test --fast`` (``-m "not e2e ..."``) cannot miss one.

    Under pytest-xdist (``scripts/test`` runs two workers, ``--dist loadgroup``) each such
    module stays on one worker, so the hubs its module-scoped fixtures start are started once.
    Every other test is its own unit and goes out in pytest-django's order (database tests,
    then transactional ones, whose flush empties what the migrations made), so no worker runs
    a database test after a transactional one."""
    for item in items:
        if MULTI_PROCESS_DIR in Path(item.path).parents:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.xdist_group(f"e2e-{item.path.stem}"))


@pytest.fixture(autouse=True)
def _fresh_page_cache():
    # Tests roll back their transactions, so on_commit invalidation never runs between them.
    pagecache.clear_local()
    yield
    pagecache.clear_local()


def png_bytes(width=640, height=480, color=(30, 120, 60), fmt="PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, fmt)
    return out.getvalue()


@pytest.fixture
def make_image(db):
    def make(title="Foto", width=640, height=480, color=(30, 120, 60)):
        return image_from_bytes(data=png_bytes(width, height, color), title=title, name="foto.png")

    return make


@pytest.fixture
def village(db):
    return village_identity_set(code="15.03.01.2021")


@pytest.fixture
def home(db, village):
    """The home page the migration made, with the two index pages under it."""
    home = HomePage.objects.get()
    home.title = village.display_name
    home.save_revision().publish()
    for model, slug, title in (
        (AnnouncementIndexPage, "pengumuman", "Pengumuman"),
        (AgendaIndexPage, "kegiatan", "Kegiatan"),
    ):
        page = model(title=title, slug=slug, show_in_menus=True)
        home.add_child(instance=page)
        page.save_revision().publish()
    return home


@pytest.fixture
def announcement_factory(db):
    def make(**fields):
        defaults = {
            "title": "Pengumuman",
            "body": "<p>Isi pengumuman</p>",
            "publish_at": timezone.now() - timedelta(hours=1),
        }
        defaults.update(fields)
        return Announcement.objects.create(**defaults)

    return make


@pytest.fixture
def agenda_factory(db):
    def make(**fields):
        starts = timezone.now() + timedelta(days=2)
        defaults = {
            "title": "Kegiatan",
            "starts_at": starts,
            "ends_at": starts + timedelta(hours=2),
            "place": "Balai desa",
            "publish_at": timezone.now() - timedelta(hours=1),
        }
        defaults.update(fields)
        return AgendaItem.objects.create(**defaults)

    return make


@pytest.fixture
def editor(django_user_model):
    user = django_user_model.objects.create_user("editor", password="rahasia-editor-123")
    user.groups.add(Group.objects.get(name="Editors"))
    return user


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client
