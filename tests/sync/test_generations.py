"""Generations: a restore on either side never makes changes silently disappear (issue 11).

In one process (see inprocess.py): a "restore" here puts back what a backup held (rows, revs,
journal, checkpoints) by hand; tests/e2e/test_sync_restore.py restores real files and databases.
"""

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from hub.site.models import Announcement
from hub.sync.changes.apply import changes_apply
from hub.sync.core.generation import HEADER, generation_bump, local_generation
from hub.sync.core.journal import local_only
from hub.sync.models import JournalEntry, Node, NodeGeneration, SyncRun, SyncState, Tombstone
from hub.sync.registry import spec_for
from hub.sync.upstream.reseed import feed_high_water
from hub.sync.village.run import sync_run
from hub.sync.village.transport import Upstream
from hub.sync.wire.codec import decode_page, record_to_wire
from tests.harness.inprocess import village_linked

UPSTREAM = "15"
VILLAGE = "1503012021"

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def transport(upstream, settings, tmp_path):
    return village_linked(upstream, settings, tmp_path / "village", VILLAGE)


def sync(transport) -> SyncRun:
    run = sync_run(trigger="test", force=True, transport=transport)
    assert run.outcome == SyncRun.Outcome.OK, run.error
    return run


def notice(title: str) -> Announcement:
    return Announcement.objects.create(title=title, body="<p>Isi</p>", publish_at=timezone.now())


def edit(obj: Announcement, title: str) -> None:
    obj.refresh_from_db()
    obj.title = title
    obj.save()


class VillageBackup:
    """What a copy of the village's database file holds: its records, tombstones, journal,
    checkpoints."""

    def __init__(self):
        self.rows = list(Announcement.objects.values())
        self.tombstones = list(Tombstone.objects.values())
        self.journal_top = JournalEntry.objects.order_by("-seq").values_list("seq", flat=True)[0]
        self.state = SyncState.objects.values("push_seq", "pull_cursor").get(pk=1)

    def restore(self):
        with local_only():  # the file comes back as it was: no tombstone, no journal row
            Announcement.objects.all().delete()
        Announcement.objects.bulk_create(Announcement(**row) for row in self.rows)
        Tombstone.objects.all().delete()
        Tombstone.objects.bulk_create(Tombstone(**row) for row in self.tombstones)
        JournalEntry.objects.filter(seq__gt=self.journal_top).delete()
        with connection.cursor() as cursor:  # the file's own sequence comes back too
            cursor.execute(
                "UPDATE sqlite_sequence SET seq = %s WHERE name = 'sync_journalentry'",
                [self.journal_top],
            )
        SyncState.objects.filter(pk=1).update(**self.state)


def upstream_titles(upstream) -> dict:
    with upstream.active():
        return {str(a.pk): (a.title, a.rev) for a in Announcement.objects.filter(origin=VILLAGE)}


def test_a_restored_village_that_bumps_its_generation_loses_none_of_its_new_edits(
    upstream, transport
):
    # given a village that synced, was backed up, then edited and synced again
    first = notice("Kerja bakti")
    sync(transport)
    backup = VillageBackup()
    edit(first, "Kerja bakti (diubah 1)")
    edit(first, "Kerja bakti (diubah 2)")
    sync(transport)
    assert upstream_titles(upstream)[str(first.pk)] == ("Kerja bakti (diubah 2)", 3)
    # when the old database comes back, the restore bumps the generation, and the village
    # makes new changes (the edit reuses rev 2, the new record a seq the upstream has seen)
    backup.restore()
    old_generation = local_generation()
    call_command("sync_generation_bump")
    assert local_generation() != old_generation
    assert SyncState.load().reseed_pending
    edit(first, "Kerja bakti (setelah pemulihan)")
    second = notice("Posyandu")
    run = sync(transport)
    # then the upstream holds exactly what the village holds, the edit included, nothing doubled
    there = upstream_titles(upstream)
    assert there[str(first.pk)][0] == "Kerja bakti (setelah pemulihan)"
    assert there[str(second.pk)][0] == "Posyandu"
    here = {str(a.pk): (a.title, a.rev) for a in Announcement.objects.all()}
    assert there == here
    # with revs above everything the upstream had seen, and the new generation accepted there
    assert here[str(first.pk)][1] > 3
    with upstream.active():
        node = Node.objects.get(code=VILLAGE)
    assert node.generation == local_generation() and node.reseeds == 1
    assert not SyncState.load().reseed_pending
    assert run.records_up == 2
    # and a second sync has nothing left to say
    assert sync(transport).records_up == 0


def test_a_restored_village_gets_back_what_it_made_changed_and_deleted_after_its_backup(
    upstream, transport
):
    # given a village that synced three notices, then was backed up
    kept, changed, deleted = notice("Tetap"), notice("Diubah"), notice("Dihapus")
    sync(transport)
    backup = VillageBackup()
    # and after the backup made one more, changed one, deleted one, and synced
    made_after = notice("Dibuat setelah cadangan")
    edit(changed, "Diubah setelah cadangan")
    Announcement.objects.get(pk=deleted.pk).delete()
    sync(transport)
    # when the old file comes back, the generation is bumped, and the village changes one
    # record the upstream holds at a higher rev (that edit, made after the restore, must win)
    backup.restore()
    call_command("sync_generation_bump")
    assert Announcement.objects.filter(pk=deleted.pk).exists()
    assert not Announcement.objects.filter(pk=made_after.pk).exists()
    edit(kept, "Tetap, diubah setelah pemulihan")
    run = sync(transport)
    # then the village has back the record made after the backup and the edit made after it,
    # and the deletion too; its own edit since the restore is kept, and reached the upstream
    here = {str(a.pk): (a.title, a.rev) for a in Announcement.objects.all()}
    assert here[str(made_after.pk)][0] == "Dibuat setelah cadangan"
    assert here[str(changed.pk)][0] == "Diubah setelah cadangan"
    assert here[str(kept.pk)][0] == "Tetap, diubah setelah pemulihan"
    assert str(deleted.pk) not in here and Tombstone.objects.filter(uid=deleted.pk).exists()
    # nothing is doubled: both sides hold the same three records, at the same revs
    assert upstream_titles(upstream) == here and len(here) == 3
    assert run.records_down >= 3  # taken back: the new record, the edit, the deletion
    # and the next edit on the village, above every rev the upstream has seen, reaches it
    edit(made_after, "Dibuat setelah cadangan (diubah lagi)")
    assert sync(transport).records_up == 1
    assert upstream_titles(upstream)[str(made_after.pk)][0] == (
        "Dibuat setelah cadangan (diubah lagi)"
    )
    assert sync(transport).records_up == 0


def test_the_return_takes_only_this_villages_records_and_only_in_a_reseed(upstream, transport):
    # given a synced village whose record the upstream holds, and a province notice
    mine = notice("Milik desa")
    with upstream.active():
        province = notice("Milik provinsi")
    sync(transport)
    up = Upstream(SyncState.load(), VILLAGE, transport=transport)
    # when a page of the return is asked for before any re-seed accepted a new generation
    up.generation = "0123456789abcdef"
    with pytest.raises(Exception) as caught:
        up.request("GET", up.path("reseed?after=0"))
    # then it is refused: the return is only for a generation the upstream accepted
    assert "generation_changed" in str(caught.value)
    # and the return, once accepted, holds the village's own record and nothing else
    up.request("POST", up.path("reseed"), b"{}", content_type="application/json")
    header, items = decode_page(up.request("GET", up.path("reseed?after=0")).data)
    assert header["returning"] == {"generation": "0123456789abcdef"}
    assert {i["id"] for i in items} == {str(mine.pk)}
    # and on the village, the exception is narrow: a returned page is applied only with
    # this village's own records; the province's record in one is refused, nothing written
    spec = spec_for("site.announcement")
    with upstream.active():
        theirs = record_to_wire(Announcement.objects.get(pk=province.pk), spec)
    theirs["f"]["title"], theirs["r"] = "Diubah lewat pengembalian", theirs["r"] + 5
    result = changes_apply(
        [theirs], sender=UPSTREAM, me=VILLAGE, sender_is_upstream=True, returning=0
    )
    assert result.applied == 0 and "must be this village's own" in result.refused[0]["reason"]
    assert Announcement.objects.get(pk=province.pk).title == "Milik provinsi"
    # and outside a re-seed, our own record from the upstream is still refused
    own = record_to_wire(Announcement.objects.get(pk=mine.pk), spec)
    own["f"]["title"], own["r"] = "Ditimpa dari luar", own["r"] + 5
    result = changes_apply([own], sender=UPSTREAM, me=VILLAGE, sender_is_upstream=True)
    assert result.applied == 0 and "receiving node" in result.refused[0]["reason"]
    assert Announcement.objects.get(pk=mine.pk).title == "Milik desa"


def test_a_new_generation_without_the_pending_flag_is_refused_and_triggers_the_reseed(
    upstream, transport
):
    # given a synced village whose generation changed without the command (a restore script
    # that set the row by hand): the upstream sees a generation it does not know
    made = notice("Rapat desa")
    sync(transport)
    NodeGeneration.objects.filter(pk=1).update(generation="0123456789abcdef")
    edit(made, "Rapat desa (diubah)")
    # when it syncs
    run = sync(transport)
    # then the upstream refused the push first (409 generation_changed), the village re-seeded
    # and pushed again, and the edit arrived
    statuses = [(m, path.rsplit("/", 1)[-1], status) for m, path, status in transport.requests]
    assert ("POST", "push", 409) in statuses and ("POST", "reseed", 200) in statuses
    assert upstream_titles(upstream)[str(made.pk)][0] == "Rapat desa (diubah)"
    assert run.outcome == SyncRun.Outcome.OK


def test_a_restored_upstream_that_bumps_its_generation_gets_back_what_it_lost(upstream, transport):
    # given a village whose records all reached the upstream, and a province notice it pulled
    made = [notice(f"Pengumuman {i}") for i in range(3)]
    with upstream.active():
        province = notice("Vaksinasi provinsi")
    sync(transport)
    # when the upstream is restored from a backup older than two of the records (they are gone
    # there) and bumps its generation
    with upstream.active():
        with local_only():  # as if never received: no tombstone, no journal row
            Announcement.objects.filter(pk__in=[m.pk for m in made[1:]]).delete()
        generation_bump()
    run = sync(transport)
    # then the village pushed and pulled again from zero: the upstream has every record back,
    # and the village's copy of the province notice is still the one
    there = upstream_titles(upstream)
    assert set(there) == {str(m.pk) for m in made}
    assert Announcement.objects.filter(pk=province.pk).count() == 1
    state = SyncState.load()
    with upstream.active():
        assert state.upstream_generation == local_generation()
    assert run.records_up == 3


def test_a_restored_upstream_without_a_bump_refuses_a_cursor_ahead_of_its_feed(upstream, transport):
    # given a village that pulled the upstream's whole feed and pushed its record
    with upstream.active():
        for i in range(3):
            notice(f"Provinsi {i}")
    made = notice("Milik desa")
    sync(transport)
    cursor = SyncState.load().pull_cursor
    assert cursor > 0
    # when the upstream comes back from a backup taken before all that (no rows, its sequence
    # and its record of the village's pushes back at zero) and nobody bumped its generation
    with upstream.active():
        with local_only():
            Announcement.objects.all().delete()
        JournalEntry.objects.all().delete()
        with connection.cursor() as c:
            c.execute("UPDATE sqlite_sequence SET seq = 0 WHERE name = 'sync_journalentry'")
        Node.objects.filter(code=VILLAGE).update(push_seq=0, feed_cursor=0)
        assert feed_high_water() == 0
        newer = notice("Provinsi setelah pemulihan")
    run = sync(transport)
    # then the push was refused as ahead (409 cursor_ahead), the village went back to zero on
    # both checkpoints, and the upstream has the village's record again, the village the notice
    codes = [status for _m, path, status in transport.requests if path.endswith("/push")]
    assert 409 in codes
    assert str(made.pk) in upstream_titles(upstream)
    assert Announcement.objects.filter(pk=newer.pk).exists()
    assert run.outcome == SyncRun.Outcome.OK


def test_a_malformed_generation_header_is_refused_and_nothing_is_applied(upstream, transport):
    # given a village record not yet pushed
    made = notice("Tidak boleh sampai")
    up = Upstream(SyncState.load(), VILLAGE, transport=transport)
    # when a request carries a generation that is not 16 hex digits
    up.generation = "not-a-generation"
    with pytest.raises(Exception) as caught:
        up.request("GET", up.path("changes?after=0"))
    # then it is refused as malformed and nothing changed on the upstream
    assert "malformed" in str(caught.value)
    with upstream.active():
        assert not Announcement.objects.filter(pk=made.pk).exists()
        assert Node.objects.get(code=VILLAGE).generation == ""


def test_every_answer_carries_the_upstream_generation(upstream, transport):
    up = Upstream(SyncState.load(), VILLAGE, transport=transport)
    answer = up.request("GET", up.path("changes?after=0"))
    with upstream.active():
        assert answer.headers[HEADER] == local_generation()
