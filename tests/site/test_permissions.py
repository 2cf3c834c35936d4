"""Who reaches what: anonymous users never the admin; editors not the village settings."""

import pytest

from hub.site.models import VillageSettings

pytestmark = pytest.mark.django_db

ADMIN_URLS = [
    "/admin/",
    "/admin/pages/",
    "/admin/snippets/site/announcement/",
    "/admin/snippets/site/announcement/add/",
    "/admin/images/",
    "/admin/images/add/",
    "/admin/settings/site/villagesettings/",
    "/admin/users/",
]


@pytest.mark.parametrize("url", ADMIN_URLS)
def test_anonymous_users_are_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_anonymous_post_to_admin_changes_nothing(client, village):
    response = client.post(
        f"/admin/settings/site/villagesettings/{village.pk}/", {"address": "Diretas"}
    )
    assert response.status_code in (302, 403)
    assert VillageSettings.load().address == ""


def test_villager_without_admin_access_is_refused(client, django_user_model):
    user = django_user_model.objects.create_user("warga", password="x-warga-123456")
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code in (302, 403)
    assert "/admin/login/" in response.get("Location", "/admin/login/")


def test_editor_cannot_see_or_change_village_settings(editor_client, village):
    url = f"/admin/settings/site/villagesettings/{village.pk}/"
    # when an editor opens the settings
    get = editor_client.get(url)
    # then access is refused
    assert get.status_code in (302, 403)
    # and a forged POST changes nothing
    post = editor_client.post(url, {"address": "Alamat palsu", "phone": "1"})
    assert post.status_code in (302, 403)
    assert VillageSettings.load().address == ""


def test_editor_cannot_manage_users(editor_client):
    assert editor_client.get("/admin/users/").status_code in (302, 403)


def test_editor_can_edit_announcements(editor_client):
    assert editor_client.get("/admin/snippets/site/announcement/add/").status_code == 200
    assert editor_client.get("/admin/snippets/site/agendaitem/").status_code == 200


def test_admin_is_in_indonesian(admin_client):
    response = admin_client.get("/admin/")
    assert response.status_code == 200
    assert 'lang="id"' in response.content.decode()
    assert "Dasbor" in response.content.decode()
