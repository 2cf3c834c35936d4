"""The admin's sync page: who may see it and press "sync now", what it shows on a village hub and
on the upstream, and that the button only enqueues the sync task."""

import re
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone
from django_q.models import Task

from hub.sync.models import Node, SyncRun, SyncState

pytestmark = pytest.mark.django_db

PAGE = "/admin/sync/"
NOW = "/admin/sync/now/"


def page_text(response) -> str:
    # timesince and filesizeformat put no-break spaces between number and unit
    return response.content.decode().replace("\xa0", " ")


def grant(user, *codenames):
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="sync", codename__in=codenames)
    )


@pytest.fixture
def official(django_user_model):
    """A village official: reaches the admin (Editors group) and may see the sync page."""
    user = django_user_model.objects.create_user("sekdes", password="rahasia-sekdes-123")
    user.groups.add(Group.objects.get(name="Editors"))
    grant(user, "view_syncrun")
    return user


@pytest.fixture
def link_down():
    """A hub whose last good sync was two hours ago and whose last two runs failed."""
    now = timezone.now()
    state = SyncState.load()
    state.upstream_url = "https://upstream.example.id/sync/"
    state.upstream_key = "kunci"
    state.failures = 2
    state.last_success_at = now - timedelta(hours=2)
    state.last_attempt_at = now - timedelta(minutes=5)
    state.next_attempt_at = now + timedelta(minutes=10)
    state.last_error = "link down: timed out"
    state.save()
    SyncRun.objects.create(
        trigger="schedule",
        started_at=now - timedelta(hours=2, seconds=42),
        finished_at=now - timedelta(hours=2),
        outcome=SyncRun.Outcome.OK,
        bytes_up=3 * 1024 * 1024,
        bytes_down=1536,
        records_up=17,
        records_down=4,
        blobs_up=2,
    )
    SyncRun.objects.create(
        trigger="schedule",
        started_at=now - timedelta(minutes=65),
        finished_at=now - timedelta(minutes=64),
        outcome=SyncRun.Outcome.FAILED,
        error="link down: timed out",
    )
    SyncRun.objects.create(
        trigger="manual",
        started_at=now - timedelta(minutes=5),
        finished_at=now - timedelta(minutes=4),
        outcome=SyncRun.Outcome.FAILED,
        error="not an answer: " + "x" * 300,
    )
    return state


def test_anonymous_user_is_sent_to_login(client):
    # when someone not logged in opens the page or presses the button
    page = client.get(PAGE)
    post = client.post(NOW)

    # then both go to the admin login, and nothing is enqueued
    for response in (page, post):
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
    assert not Task.objects.exists()


def test_villager_without_admin_access_is_sent_to_login(client, django_user_model):
    # given a logged-in user who may not use the admin
    user = django_user_model.objects.create_user("warga", password="x-warga-123456")
    client.force_login(user)

    # when they open the page
    response = client.get(PAGE)

    # then Wagtail sends them to its login page
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_editor_without_the_permission_is_turned_away(editor_client):
    # when an editor without sync.view_syncrun opens the page
    response = editor_client.get(PAGE)

    # then Wagtail sends them to the dashboard with its "no permission" message
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["error"]
    # and the menu does not offer the page
    assert PAGE not in editor_client.get("/admin/").content.decode()


def test_superuser_sees_the_link_backlog_and_runs(admin_client, link_down):
    # when a superuser opens the page
    response = admin_client.get(PAGE)

    # then it is in Indonesian and says the link is down, since the first failed run
    assert response.status_code == 200
    html = page_text(response)
    assert "Sinkronisasi" in html
    assert "Terputus" in html
    assert "Terputus sejak" in html
    assert "https://upstream.example.id/sync/" in html
    assert "2 jam yang lalu" in html
    assert "Percobaan berikutnya" in html
    assert "link down: timed out" in html
    # and the recent runs, with their figures and a long error cut short
    assert "berhasil" in html
    assert "gagal" in html
    assert "17 / 4" in html
    assert "3,0 MB" in html
    assert "1,5 KB" in html
    assert "0:42" in html
    assert "terjadwal" in html
    assert f">not an answer: {'x' * 104}…<" in html
    # and the button, which the menu links to
    assert "Sinkronkan sekarang" in html
    assert f'action="{NOW}"' in html
    assert PAGE in admin_client.get("/admin/").content.decode()


def test_page_before_any_upstream_is_pinned(admin_client, settings):
    # given a fresh hub with a monthly budget
    settings.SYNC_MONTHLY_BUDGET_BYTES = 1024 * 1024 * 1024

    # when the page is opened
    html = page_text(admin_client.get(PAGE))

    # then it says no upstream is set and nothing has synced yet
    assert "Belum diatur" in html
    assert "Belum ada upstream yang dipasang di hub ini." in html
    assert "Belum ada sinkronisasi yang tercatat." in html
    assert "dari jatah 1,0 GB (0%)" in html


def test_official_sees_the_page_but_not_the_button(client, official, link_down):
    client.force_login(official)

    # when an official with view permission only opens the page
    response = client.get(PAGE)

    # then the page is there without the button
    assert response.status_code == 200
    assert "Terputus" in response.content.decode()
    assert "Sinkronkan sekarang" not in response.content.decode()

    # and a forged POST enqueues nothing
    post = client.post(NOW)
    assert post.status_code == 302
    assert post["Location"] == "/admin/"
    assert not Task.objects.exists()


def test_sync_now_enqueues_the_sync_task(admin_client):
    # given a hub with no upstream pinned, so the (inline, in tests) task returns quietly
    SyncState.load()

    # when the superuser presses "sync now"
    response = admin_client.post(NOW)

    # then they are sent back to the page with a success message
    assert response.status_code == 302
    assert response["Location"] == PAGE
    messages = list(get_messages(response.wsgi_request))
    assert [m.level_tag for m in messages] == ["success"]
    assert "Sinkronisasi sudah masuk antrean" in str(messages[0])
    # and django-q2 ran the sync task with the manual trigger
    task = Task.objects.get()
    assert task.func == "hub.sync.tasks.sync_task"
    assert task.args == ("manual",)
    assert task.success
    # and no run was recorded: the task found nothing to sync with
    assert not SyncRun.objects.exists()


def test_official_with_run_permission_may_sync_now(client, official):
    # given an official also allowed to add sync runs
    grant(official, "add_syncrun")
    client.force_login(official)

    # when they press the button
    response = client.post(NOW)

    # then the task is enqueued
    assert response.status_code == 302
    assert response["Location"] == PAGE
    assert Task.objects.filter(func="hub.sync.tasks.sync_task").exists()


def test_get_cannot_trigger_a_sync(admin_client):
    # when the button's URL is fetched with GET
    response = admin_client.get(NOW)

    # then it is refused and nothing is enqueued or run
    assert response.status_code == 405
    assert not Task.objects.exists()
    assert not SyncRun.objects.exists()


def test_sync_now_needs_the_csrf_token(admin_user):
    # given a browser session that enforces CSRF, as real browsers get
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)

    # when a POST arrives without the token (a cross-site form)
    response = client.post(NOW)

    # then it is refused and nothing is enqueued
    assert response.status_code == 403
    assert not Task.objects.exists()


def test_upstream_lists_the_villages(admin_client, settings):
    # given an upstream with two active villages (one never seen) and one revoked
    settings.HUB_ROLE = "upstream"
    settings.SYNC_NODE_CODE = "63"
    now = timezone.now()
    Node.objects.create(
        code="6301012001",
        public_key=uuid.uuid4().hex,
        push_seq=120,
        last_seen_at=now - timedelta(minutes=3),
        heartbeat={"version": "1", "disk_free": 5 * 1024**3, "backlog": {"records": 7}},
    )
    Node.objects.create(code="6301012002", public_key=uuid.uuid4().hex)
    Node.objects.create(
        code="6301012003",
        public_key=uuid.uuid4().hex,
        last_seen_at=now - timedelta(days=3),
        revoked_at=now - timedelta(days=1),
    )

    # when the page is opened
    response = admin_client.get(PAGE)

    # then it shows the fleet, most recently seen first, and no sync button
    assert response.status_code == 200
    html = page_text(response)
    assert "Desa yang terdaftar" in html
    assert '<span class="w-header__subtitle">63</span>' in html
    assert html.index("6301012001") < html.index("6301012003") < html.index("6301012002")
    assert "5,0 GB" in html
    assert "3 menit yang lalu" in html
    assert "Sinkronkan sekarang" not in html
    assert "Terputus" not in html
    assert response.context["overview"]["villages"] == 2
    assert response.context["overview"]["revoked"] == 1

    # and a forged POST enqueues nothing
    post = admin_client.post(NOW)
    assert post.status_code == 302
    assert not Task.objects.exists()


def test_dashboard_shows_the_link_first_to_whoever_may_see_the_sync_page(
    client, official, link_down, editor
):
    # given a hub whose link is down since a good sync two hours ago, and a record waiting
    client.force_login(official)
    # when the official opens the dashboard
    html = page_text(client.get("/admin/"))
    # then the link panel comes before every other panel, in Indonesian
    panels = re.findall(r'class="w-panel w-panel--dashboard" id="([^"]+)"', html)
    assert panels[0] == "sync-link-section"
    assert "Sambungan ke upstream" in html
    assert "Terputus" in html
    assert "Sinkronisasi berhasil terakhir 2 jam yang lalu." in html
    assert PAGE in html
    # and an editor who may not see the sync page gets no such panel
    client.force_login(editor)
    assert 'id="sync-link-section"' not in client.get("/admin/").content.decode()


def test_dashboard_link_panel_on_a_fresh_hub_says_nothing_is_set(admin_client):
    # when a superuser opens the dashboard of a hub with no upstream yet
    html = page_text(admin_client.get("/admin/"))
    # then the link panel comes first, says so, and claims no sync that never happened
    panels = re.findall(r'class="w-panel w-panel--dashboard" id="([^"]+)"', html)
    assert panels[:2] == ["sync-link-section", "market-new-orders-section"]
    assert "Belum diatur" in html
    assert "Belum pernah berhasil sinkron." not in html
