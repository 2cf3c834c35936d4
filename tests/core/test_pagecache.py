"""The anonymous page cache: fast repeats, never for logged-in users, dropped on publish."""

import time
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.utils import timezone

from hub.core import pagecache

pytestmark = pytest.mark.django_db


def test_second_anonymous_visit_is_served_from_the_cache(client, home):
    first = client.get("/")
    second = client.get("/")
    assert first["X-Balai-Cache"] == "miss"
    assert second["X-Balai-Cache"] == "hit"
    assert first.content == second.content
    assert "Cookie" in second["Vary"]


def test_languages_are_cached_separately(client, home):
    client.get("/")
    client.cookies["balai_bahasa"] = "en"
    english = client.get("/")
    assert english["X-Balai-Cache"] == "miss"
    assert '<html lang="en">' in english.content.decode()


def test_logged_in_users_bypass_the_cache(admin_client, home):
    admin_client.get("/")
    assert "X-Balai-Cache" not in admin_client.get("/")


def test_publishing_an_announcement_invalidates_cached_pages(
    client, home, announcement_factory, django_capture_on_commit_callbacks
):
    # given a cached home page
    client.get("/")
    assert client.get("/")["X-Balai-Cache"] == "hit"
    # when an announcement is saved (and its transaction commits)
    with django_capture_on_commit_callbacks(execute=True):
        announcement_factory(title="Baru saja terbit")
    # then the next visit renders afresh and shows it
    response = client.get("/")
    assert response["X-Balai-Cache"] == "miss"
    assert "Baru saja terbit" in response.content.decode()


def test_generation_moves_on_every_invalidation():
    before = pagecache.generation()
    pagecache.invalidate()
    middle = pagecache.generation()
    pagecache.invalidate()
    assert before != middle != pagecache.generation()


def test_errors_and_admin_are_never_cached(client, home):
    client.get("/tidak-ada/")
    assert "X-Balai-Cache" not in client.get("/tidak-ada/")
    assert "X-Balai-Cache" not in client.get("/admin/login/")
    assert "X-Balai-Cache" not in client.get("/healthz")


def test_gzip_and_plain_are_cached_separately(client, home):
    plain = client.get("/")
    gzipped = client.get("/", HTTP_ACCEPT_ENCODING="gzip")
    assert gzipped["Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in plain


def test_concurrent_invalidations_from_many_processes_never_fail(tmp_path, settings):
    # given the web workers and the cluster invalidating at the same moment
    import multiprocessing

    settings.HUB_PAGE_CACHE_GENERATION_FILE = tmp_path / "cache" / "pages.generation"
    context = multiprocessing.get_context("fork")
    with context.Pool(4) as pool:
        results = pool.map(_invalidate_many, range(8))
    # then every call succeeded and no temporary file is left behind
    assert results == [50] * 8
    assert [p.name for p in (tmp_path / "cache").iterdir()] == ["pages.generation"]


def _invalidate_many(_):
    for _ in range(50):
        pagecache.invalidate()
    return 50


def test_images_are_not_gzipped_but_pages_and_feeds_are(client, home, make_image):
    from hub.media.tasks import image_renditions_task

    image = make_image(width=800, height=600)
    image_renditions_task(image.pk)
    rendition = image.renditions.first()
    picture = client.get(rendition.url, HTTP_ACCEPT_ENCODING="gzip")
    assert picture.status_code == 200
    assert "Content-Encoding" not in picture
    feed = client.get("/pengumuman/feed/", HTTP_ACCEPT_ENCODING="gzip")
    assert feed["Content-Encoding"] == "gzip"
    manifest = client.get("/manifest.webmanifest", HTTP_ACCEPT_ENCODING="gzip")
    assert manifest.status_code == 200


def test_invalidate_on_commit_runs_once_per_transaction(db, django_capture_on_commit_callbacks):
    from django.db import transaction

    # when three saves in one transaction ask for it
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        for _ in range(3):
            pagecache.invalidate_on_commit()
    # then it is scheduled once
    assert [c for c in callbacks if c is pagecache.invalidate] == [pagecache.invalidate]


def test_invalidate_on_change_drops_pages_once_per_transaction(
    db, django_capture_on_commit_callbacks
):
    from django.db import transaction
    from django.dispatch import Signal

    # given a signal watched for any sender
    changed = Signal()
    pagecache.invalidate_on_change(signals=(changed,))
    before = pagecache.generation()
    # when three senders send it in one transaction that commits
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        for sender in (object, int, str):
            changed.send(sender=sender)
    # then the pages were dropped, by one callback
    assert len(callbacks) == 1
    assert pagecache.generation() != before


def test_saving_a_watched_model_drops_pages_after_commit(
    announcement_factory, django_capture_on_commit_callbacks
):
    # given hub.site watches announcements
    before = pagecache.generation()
    # when one is saved and its transaction commits
    with django_capture_on_commit_callbacks(execute=True):
        announcement_factory(title="Kerja bakti")
    # then the pages were dropped
    assert pagecache.generation() != before


@pytest.fixture
def small_page_caches(monkeypatch):
    """The page caches shrunk to 5 entries (500 and 300 in production), so a few requests show
    what hundreds would do."""
    for alias in ("pages", "pages-query"):
        monkeypatch.setattr(caches[alias], "_max_entries", 5)


def test_query_strings_no_page_reads_do_not_evict_cached_pages(
    client, home, settings, small_page_caches
):
    # given a cached home page, and a 5-entry page cache
    settings.HUB_RATE_LIMITS = {**settings.HUB_RATE_LIMITS, "page-query": (1000, 60)}
    client.get("/")
    # when a client asks for the home page with 12 different made-up query strings
    answers = [client.get(f"/?x={n}") for n in range(12)]
    # then each is rendered (200) but none is stored, and the real page is still a hit
    assert {a.status_code for a in answers} == {200}
    assert all("X-Balai-Cache" not in a for a in answers)
    assert client.get("/")["X-Balai-Cache"] == "hit"


def test_known_query_parameters_are_cached_apart_from_plain_pages(
    client, home, settings, small_page_caches
):
    # given a cached home page
    client.get("/")
    # when 12 different searches overfill the (5-entry) query-string cache
    settings.HUB_RATE_LIMITS = {**settings.HUB_RATE_LIMITS, "search": (1000, 60)}
    for n in range(12):
        client.get(f"/cari/?q=kata{n}")
    # then a repeated search is served from the cache, in any parameter order
    assert client.get("/cari/?q=padi&halaman=1")["X-Balai-Cache"] == "miss"
    assert client.get("/cari/?halaman=1&q=padi")["X-Balai-Cache"] == "hit"
    # and the plain page was never pushed out
    assert client.get("/")["X-Balai-Cache"] == "hit"


def test_cache_busting_query_strings_are_rate_limited(client, home, settings):
    # given a limit of 5 uncacheable requests a minute per address
    settings.HUB_RATE_LIMITS = {**settings.HUB_RATE_LIMITS, "page-query": (5, 60)}
    # when one address sends 8 made-up query strings
    answers = [client.get(f"/?bust={n}") for n in range(8)]
    # then the first 5 are rendered and the rest get the 429 page with Retry-After
    assert [a.status_code for a in answers] == [200] * 5 + [429] * 3
    assert 1 <= int(answers[-1]["Retry-After"]) <= 60
    assert "Terlalu banyak permintaan" in answers[-1].content.decode()
    # and plain pages still work for it (cached, no render to protect)
    assert client.get("/").status_code == 200


def test_a_value_remembered_until_a_time_is_made_again_once_that_time_passes(db):
    # given a value that holds until a moment from now
    made = []

    def factory():
        made.append(timezone.now())
        return len(made), timezone.now() + timedelta(seconds=0.3)

    # when it is asked for twice before that moment, then once after it
    first, again = (
        pagecache.per_generation_until("t", factory),
        pagecache.per_generation_until("t", factory),
    )
    time.sleep(0.35)
    later = pagecache.per_generation_until("t", factory)
    # then it was made once for the first two and once more after the moment passed
    assert (first, again, later) == (1, 1, 2)


def test_a_value_remembered_until_a_time_is_made_again_when_the_generation_moves(db):
    # given a value with no time limit, remembered
    made = []

    def factory():
        made.append(1)
        return len(made), None

    assert pagecache.per_generation_until("t", factory) == 1
    assert pagecache.per_generation_until("t", factory) == 1
    # when something public is published
    pagecache.invalidate()
    # then it is made again
    assert pagecache.per_generation_until("t", factory) == 2
