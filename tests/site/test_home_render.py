"""What a render of the home page remembers between requests (per page-cache generation) and
when it forgets: a publish, a restriction, a site change, the clock."""

import time
from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone
from wagtail.models import PageViewRestriction, Site

from hub.core import pagecache
from hub.core.middleware import site_for_request
from hub.site.models import AnnouncementIndexPage

pytestmark = pytest.mark.django_db


def test_a_second_render_in_the_same_generation_asks_the_database_nothing(
    client, home, announcement_factory, agenda_factory, django_assert_num_queries
):
    # given notices, and a first render that remembered what the page needs
    announcement_factory(title="Posyandu balita")
    agenda_factory(title="Musyawarah desa")
    first = client.get("/")
    # when the page cache has dropped the page (an entry timed out) and it is rendered again
    pagecache.cache().clear()
    with django_assert_num_queries(0):
        second = client.get("/")
    # then it is the same page
    assert first["X-Balai-Cache"] == second["X-Balai-Cache"] == "miss"
    assert second.content == first.content
    assert "Posyandu balita" in second.content.decode()
    assert "Musyawarah desa" in second.content.decode()


def test_notices_come_and_go_with_the_clock_without_any_save(
    client, home, announcement_factory, agenda_factory
):
    # given an announcement published in a moment, one that expires in a moment and an event
    # that ends in a moment, and a home page rendered before those moments
    soon = timezone.now() + timedelta(seconds=1.5)
    announcement_factory(title="Terbit sebentar lagi", publish_at=soon)
    announcement_factory(title="Berakhir sebentar lagi", expires_at=soon)
    agenda_factory(
        title="Sedang berlangsung", starts_at=timezone.now() - timedelta(hours=1), ends_at=soon
    )
    before = client.get("/").content.decode()
    assert "Terbit sebentar lagi" not in before
    assert "Berakhir sebentar lagi" in before
    assert "Sedang berlangsung" in before
    # when the moment passes (nothing saved, the generation unchanged) and the page's cache
    # entry is gone
    time.sleep(max(0.0, (soon - timezone.now()).total_seconds()) + 0.1)
    pagecache.cache().clear()
    after = client.get("/").content.decode()
    # then the render shows the notices as they are now
    assert "Terbit sebentar lagi" in after
    assert "Berakhir sebentar lagi" not in after
    assert "Sedang berlangsung" not in after


def test_a_page_made_private_is_no_longer_served_to_villagers(
    client, home, django_capture_on_commit_callbacks
):
    # given the home page served (and cached) while every page is public
    assert client.get("/").status_code == 200
    # when an official makes it private (the restriction's transaction commits)
    with django_capture_on_commit_callbacks(execute=True):
        restriction = PageViewRestriction.objects.create(
            page=home, restriction_type=PageViewRestriction.LOGIN
        )
    # then an anonymous villager is sent to log in, neither the cached page nor a render
    private = client.get("/")
    assert private.status_code == 302
    assert "X-Balai-Cache" not in private
    # and once it is public again, the page is served again
    with django_capture_on_commit_callbacks(execute=True):
        restriction.delete()
    assert client.get("/").status_code == 200


def test_the_process_that_restricts_a_page_knows_it_before_the_commit(home):
    # given this process remembers that no page is restricted
    assert not home.get_view_restrictions()
    # when a restriction is saved, its transaction not yet committed (the admin's request)
    PageViewRestriction.objects.create(page=home, restriction_type=PageViewRestriction.LOGIN)
    # then the page says it is restricted already
    assert [r.restriction_type for r in home.get_view_restrictions()] == ["login"]


def test_a_new_root_page_of_the_site_is_served_once_the_change_commits(
    client, home, django_capture_on_commit_callbacks
):
    # given the home page served at /
    assert "<h1>Desa Bukit Berantai</h1>" in client.get("/").content.decode()
    # when the operator makes the announcement list the site's root page
    site = Site.objects.get(is_default_site=True)
    site.root_page = AnnouncementIndexPage.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        site.save()
    # then / is the announcement list
    html = client.get("/").content.decode()
    assert "<h1>Desa Bukit Berantai</h1>" not in html
    assert "<title>Pengumuman" in html


def test_each_request_gets_its_own_copy_of_the_remembered_site_and_page(home):
    # given two requests to the same host (the first fills the memory)
    factory = RequestFactory(HTTP_HOST="127.0.0.1")
    first = site_for_request(factory.get("/"))
    second = site_for_request(factory.get("/"))
    # then both get the site and its root page in its own class, never the same objects, so
    # what one request sets on them cannot reach another
    assert first.pk == second.pk
    assert first.root_page.pk == second.root_page.pk == home.pk
    assert type(second.root_page) is type(home)
    assert first is not second
    assert first.root_page is not second.root_page
    second.root_page.title = "diubah oleh satu permintaan"
    assert site_for_request(factory.get("/")).root_page.title == home.title
