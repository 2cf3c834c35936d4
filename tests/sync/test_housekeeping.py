"""The daily housekeeping: old sync runs and expired sessions pruned by age, SQLite space given
back, bundles older than the tombstone keep time refused, and the sizes shown."""

import json
import sqlite3
from datetime import timedelta
from io import StringIO
from types import SimpleNamespace

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from hub.sync.bundles.exchange import TooOld, _check_age
from hub.sync.core.pruning import sessions_prune, sync_runs_prune
from hub.sync.core.space import database_figures, space_reclaim
from hub.sync.models import JournalEntry, SyncRun, Tombstone
from hub.sync.tasks import sync_housekeeping_task

from .test_admin_page import PAGE, official, page_text  # noqa: F401


def run_started(days_ago: float) -> SyncRun:
    run = SyncRun.objects.create(outcome=SyncRun.Outcome.OK)
    SyncRun.objects.filter(pk=run.pk).update(started_at=timezone.now() - timedelta(days=days_ago))
    return run


@pytest.mark.django_db
def test_runs_older_than_the_keep_time_are_pruned(settings):
    # given runs of 100, 60 and 10 days ago and a keep time of 90 days
    settings.SYNC_RUN_KEEP_DAYS = 90
    old, kept, recent = run_started(100), run_started(60), run_started(10)

    # when the runs are pruned
    removed = sync_runs_prune()

    # then only the run older than 90 days went
    assert removed == 1
    assert set(SyncRun.objects.values_list("pk", flat=True)) == {kept.pk, recent.pk}
    assert not SyncRun.objects.filter(pk=old.pk).exists()


@pytest.mark.django_db
def test_runs_of_this_month_are_kept_whatever_the_setting(settings):
    # given a keep time shorter than a month (the data budget adds up this month's runs)
    settings.SYNC_RUN_KEEP_DAYS = 1
    run_started(20)
    run_started(40)

    # when the runs are pruned
    removed = sync_runs_prune()

    # then 32 days are kept all the same
    assert removed == 1 and SyncRun.objects.count() == 1


@pytest.mark.django_db
def test_expired_sessions_are_pruned():
    # given a live and an expired session
    live, expired = SessionStore(), SessionStore()
    live["x"], expired["x"] = 1, 2
    live.create()
    expired.create()
    Session.objects.filter(session_key=expired.session_key).update(
        expire_date=timezone.now() - timedelta(days=1)
    )

    # when sessions are pruned
    removed = sessions_prune()

    # then the expired one went
    assert removed == 1
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]


@pytest.mark.django_db
def test_housekeeping_reports_what_it_removed(village):
    # given an old run, a record edited twice and an old acknowledged deletion
    from hub.site.models import Announcement
    from hub.sync.models import SyncState

    run_started(400)
    made = Announcement.objects.create(title="A", body="<p>x</p>", publish_at=timezone.now())
    made.title = "B"
    made.save()
    gone = Announcement.objects.create(title="C", body="<p>x</p>", publish_at=timezone.now())
    gone.delete()
    Tombstone.objects.update(deleted_at=timezone.now() - timedelta(days=400))
    state = SyncState.load()
    state.push_seq = JournalEntry.objects.latest("seq").seq
    state.save()

    # when the daily housekeeping runs
    report = sync_housekeeping_task()

    # then it says what went: the run, the superseded rows, the deletion
    assert report["runs"] == 1
    assert report["journal"]["superseded"] == 2  # A's first row, C's creation
    assert report["journal"]["tombstones"] == 1
    assert report["sessions"] == 0 and report["nonces"] == 0
    # and (inside the test's transaction) it did not try to VACUUM
    assert report["space"]["method"] == "none"
    assert not Tombstone.objects.exists()


def filled_database(path, *, rows: int = 4000) -> sqlite3.Cursor:
    cursor = sqlite3.connect(path, isolation_level=None).cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("CREATE TABLE t (x TEXT)")
    cursor.execute("BEGIN")
    cursor.executemany("INSERT INTO t VALUES (?)", [("x" * 900,)] * rows)
    cursor.execute("COMMIT")
    cursor.execute("DELETE FROM t WHERE rowid % 10 != 0")
    return cursor


def test_space_goes_back_to_the_disk_by_vacuum_then_in_steps(tmp_path):
    # given an old database (no auto_vacuum) with most of its rows deleted
    path = tmp_path / "db.sqlite3"
    cursor = filled_database(path)
    before = database_figures(cursor)
    assert before["auto_vacuum"] == 0 and before["free_bytes"] > 2_000_000

    # when space is reclaimed
    first = space_reclaim(min_bytes=1_000_000, cursor=cursor)

    # then one VACUUM shrank it and switched it to incremental
    assert first["method"] == "vacuum"
    assert first["bytes_after"] < before["bytes"] // 4
    assert path.stat().st_size == first["bytes_after"]
    assert database_figures(cursor)["auto_vacuum"] == 2

    # given rows deleted again
    cursor.execute("BEGIN")
    cursor.executemany("INSERT INTO t VALUES (?)", [("y" * 900,)] * 4000)
    cursor.execute("COMMIT")
    cursor.execute("DELETE FROM t WHERE x LIKE 'y%'")
    grown = database_figures(cursor)["bytes"]

    # when space is reclaimed in steps of 64 pages
    second = space_reclaim(min_bytes=1_000_000, cursor=cursor, step_pages=64)

    # then the free pages went back without a VACUUM
    assert second["method"] == "incremental"
    assert database_figures(cursor)["free_bytes"] == 0
    assert path.stat().st_size == second["bytes_after"] < grown // 2


def test_little_free_space_is_left_alone(tmp_path):
    # given a database with less free space than the threshold
    cursor = filled_database(tmp_path / "db.sqlite3", rows=200)
    size = database_figures(cursor)["bytes"]

    # when space is reclaimed with a 16 MiB threshold
    result = space_reclaim(min_bytes=16 * 1024 * 1024, cursor=cursor)

    # then nothing was done
    assert result["method"] == "none" and result["bytes_after"] == size


def test_a_bundle_older_than_the_tombstone_keep_time_is_refused(settings):
    # given a keep time of 90 days
    settings.SYNC_TOMBSTONE_KEEP_DAYS = 90

    # then a bundle of 91 days ago is refused, one of 89 days ago is not
    with pytest.raises(TooOld, match="more than 90 days ago"):
        _check_age(SimpleNamespace(created_at=timezone.now() - timedelta(days=91)))
    _check_age(SimpleNamespace(created_at=timezone.now() - timedelta(days=89)))


@pytest.mark.django_db
def test_sizes_on_the_sync_page_and_in_sync_status(official):  # noqa: F811
    # given journal rows, a tombstone and a run
    JournalEntry.objects.create(
        model="site.announcement", uid="3f2b8c1e-9a4d-4c55-8e0f-2b7d6a1c9e42", rev=1, origin="x"
    )
    Tombstone.objects.create(
        model="site.announcement", uid="3f2b8c1e-9a4d-4c55-8e0f-2b7d6a1c9e43", rev=2, origin="x"
    )
    SyncRun.objects.create(outcome=SyncRun.Outcome.OK)
    client = Client()
    client.force_login(official)

    # when an official opens the sync page and an operator asks sync_status
    text = page_text(client.get(PAGE))
    out = StringIO()
    call_command("sync_status", "--json", stdout=out)
    sizes = json.loads(out.getvalue())["sizes"]

    # then both show the sizes
    assert "Ukuran data" in text and "Baris jurnal" in text and "Basis data" in text
    assert sizes["journal_rows"] == JournalEntry.objects.count() >= 1
    assert sizes["tombstones"] == 1 and sizes["runs"] == 1
    assert sizes["held_changes"] == 0 and sizes["nonces"] == 0
    assert sizes["database_bytes"] > 0 and sizes["blob_bytes"] is not None
