"""Shared fixtures: the smallest page tree a test needs, images made with Pillow, users."""

import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.cache import caches
from django.utils import timezone, translation
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
from tests.harness.inprocess import InProcessUpstream

MULTI_PROCESS_DIR = Path(__file__).resolve().parent / "e2e"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Every test under tests/e2e starts real processes: marked ``e2e`` by its folder (before
    ``-m`` selects), so ``scripts/test --fast`` (``-m "not e2e ..."``) cannot miss one.

    Under pytest-xdist (``scripts/test`` runs three workers, ``--dist loadgroup``) each such
    module stays on one worker, so the hubs its module-scoped fixtures start are started once.
    Every other test is its own unit and goes out in pytest-django's order (database tests,
    then transactional ones, whose flush empties what the migrations made), so no worker runs
    a database test after a transactional one."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        if (
            marker
            and marker.kwargs.get("transaction")
            and not marker.kwargs.get("serialized_rollback")
        ):
            # its flush re-creates what migrations made, and the next serialized test then
            # restores the same rows on top: UNIQUE errors in unrelated tests after it
            raise pytest.UsageError(
                f"{item.nodeid}: django_db(transaction=True) needs serialized_rollback=True here"
            )
        if MULTI_PROCESS_DIR in Path(item.path).parents:
            item.add_marker(pytest.mark.e2e)
            group = f"e2e-{item.path.stem}"
            item.add_marker(pytest.mark.xdist_group(group))
            if getattr(config.option, "loadgroup", False):  # an xdist worker, --dist loadgroup
                _group_in_node_id(item, group)


def _group_in_node_id(item, group: str) -> None:
    """The group in the test's id as xdist's scheduler reads it (``id@group``). pytest-xdist 3.8
    appends it to ``item._nodeid``, which pytest 9.2 no longer reads (its ids are structured,
    ``item._id``): the group was lost and a module's tests went to both workers, each starting
    the module's hubs again (pytest-dev/pytest-xdist#1386). Set here where the structured id
    exists; xdist's own suffix still works on a pytest without it."""
    if isinstance(getattr(item, "_id", None), str) or not hasattr(item, "_id"):
        return
    from _pytest.nodeid import NodeId

    if not item.nodeid.endswith(f"@{group}"):
        item._id = NodeId.parse(f"{item.nodeid}@{group}")


# The multi-process modules, longest first (seconds in one process on the 2-core machine,
# docs/benchmarks.md). Under the workers they are handed out first, in this order, each whole
# to one worker, and the short in-process tests fill in behind them: the longest job starting
# first keeps the two workers finishing together. A module missing here goes after these.
E2E_LONGEST_FIRST = [
    "test_sync_link",
    "test_sync_faults",
    "test_browser",
    "test_market_sync",
    "test_egov_letters_browser",
    "test_learn_browser",
    "test_sync_e2e",
    "test_sync_protocol",
    "test_bundles_commands",
    "test_run_script",
    "test_linksim",
    "test_market_browser",
    "test_market_concurrency",
    "test_upstream_role",
    "test_library_run",
    "test_egov_services_browser",
    # an upstream and a village, pebble and BIND; ~90 s of it under load 28 (docs/benchmarks.md)
    "test_certs",
    # a village behind the role's nginx, pebble and BIND, Chromium over HTTPS; 32–36 s under load 8
    "test_https_browser",
    "test_backup_restore",
    # one real qcluster: tasks, schedules, a worker replaced, a timeout, a SIGTERM; ~35 s
    "test_cluster",
]


class _MultiProcessFirst:
    """Moves the multi-process tests ahead of all others, module by module in the order of
    ``E2E_LONGEST_FIRST``, after pytest-django has put database tests before transactional ones
    (a plugin object, since this module's own hook must run first, to mark before ``-m``)."""

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config, items):
        multi = [item for item in items if MULTI_PROCESS_DIR in Path(item.path).parents]
        if not multi:
            return
        if getattr(config.option, "loadgroup", False):
            # after every plugin's hook (xdist's adds its suffix in its own): a module split
            # between the workers starts its hubs twice, silently; say so instead
            for item in multi:
                if item.nodeid.count("@") != 1 or not item.nodeid.endswith(
                    f"@e2e-{item.path.stem}"
                ):
                    raise pytest.UsageError(
                        f"{item.nodeid}: not in its module's xdist group (e2e-{item.path.stem}); "
                        "see _group_in_node_id"
                    )
        chosen = set(map(id, multi))
        rest = [item for item in items if id(item) not in chosen]
        items[:] = sorted(multi, key=_e2e_rank) + rest


def pytest_configure(config):
    config.pluginmanager.register(_MultiProcessFirst(), "balai-multi-process-first")


def _e2e_rank(item) -> tuple:
    stem = Path(item.path).stem
    known = stem in E2E_LONGEST_FIRST
    return (E2E_LONGEST_FIRST.index(stem) if known else len(E2E_LONGEST_FIRST), stem)


@pytest.fixture(scope="session")
def django_db_setup(
    request, django_test_environment, django_db_blocker, django_db_modify_db_settings
):
    """The test database starts as a copy of the migrated village template (tests/harness/
    templates.py: the same migrations, made once per code state and shared with the hubs of the
    multi-process tests) instead of a migrate per worker: Django then opens it with ``keepdb``,
    so its ``migrate`` finds nothing to apply and only its post-migrate handlers run (as on
    every migrate). pytest-django's own fixture, but for the copy."""
    import shutil

    from django.conf import settings
    from django.test.utils import setup_databases, teardown_databases
    from pytest_django.fixtures import _get_databases_for_setup

    from tests.harness.templates import village_template

    target = Path(settings.DATABASES["default"]["TEST"]["NAME"])
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    template = village_template() / "db.sqlite3"
    for suffix in ("", "-wal"):
        if Path(f"{template}{suffix}").exists():
            shutil.copyfile(f"{template}{suffix}", f"{target}{suffix}")
    aliases, serialized_aliases = _get_databases_for_setup(request.session.items)
    with django_db_blocker.unblock():
        db_cfg = setup_databases(
            verbosity=request.config.option.verbose,
            interactive=False,
            aliases=aliases,
            serialized_aliases=serialized_aliases,
            keepdb=True,
        )
    yield
    with django_db_blocker.unblock():
        teardown_databases(db_cfg, verbosity=request.config.option.verbose)


@pytest.fixture(autouse=True)
def _language_restored():
    # The locale middleware leaves a request's language active in the thread: an English
    # request in one test must not turn the next tests English.
    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture(autouse=True)
def _fresh_page_cache():
    # Tests roll back their transactions, so on_commit invalidation never runs between them.
    # Every test client comes from 127.0.0.1: one test's requests must not rate-limit the next.
    pagecache.clear_local()
    caches["ratelimit"].clear()
    yield
    pagecache.clear_local()
    caches["ratelimit"].clear()


def png_bytes(width=640, height=480, color=(30, 120, 60), fmt="PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, fmt)
    return out.getvalue()


@pytest.fixture
def make_image(db):
    def make(title="Foto", width=640, height=480, color=(30, 120, 60)):
        return image_from_bytes(data=png_bytes(width, height, color), title=title, name="foto.png")

    return make


# the region of the in-process upstream (a province), as the sync tests' UPSTREAM constants say
INPROCESS_UPSTREAM = "15"


@pytest.fixture
def upstream(tmp_path):
    """A province upstream in this test's process: its own copy of the test database, data dir
    and node key (tests/harness/inprocess.py). The multi-process tests (tests/e2e) have an
    upstream of their own under this name."""
    node = InProcessUpstream(tmp_path / "upstream", INPROCESS_UPSTREAM)
    yield node
    node.close()


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
