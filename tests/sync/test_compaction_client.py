"""Compaction with the real client against the upstream's views (in one process, see
inprocess.py): a village silent while the upstream compacts still converges when it comes back,
and a village that compacts its own journal before a push loses nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from hub.site.models import Announcement
from hub.sync.changes.compaction import journal_compact
from hub.sync.models import JournalEntry, Node, SyncRun, SyncState, Tombstone
from hub.sync.village.run import sync_run

from .test_client_inprocess import UPSTREAM, VILLAGE, notice, transport  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

UP_TO_DATE = "1503012022"


def synced(transport):  # noqa: F811
    run = sync_run(trigger="test", force=True, transport=transport)
    assert run.outcome == SyncRun.Outcome.OK, run.error
    return run


def test_a_village_silent_while_the_upstream_compacts_converges(upstream, transport):  # noqa: F811
    # given two province announcements the village has pulled
    with upstream.active():
        kept, doomed = notice("Jadwal vaksinasi"), notice("Lomba 17 Agustus")
        doomed_id = doomed.id
    synced(transport)
    assert Announcement.objects.filter(pk=doomed_id).exists()
    # the upstream learns how far the village has read when it asks again (its next sync)
    with upstream.active():
        assert Node.objects.get(code=VILLAGE).feed_cursor == 0
    synced(transport)
    with upstream.active():
        assert Node.objects.get(code=VILLAGE).feed_cursor == JournalEntry.objects.latest("seq").seq

    # and, while the village is silent for months, the upstream edits one many times, deletes
    # the other, adds a third, and another village keeps up
    with upstream.active():
        for n in range(6):
            kept.title = f"Jadwal vaksinasi (ubah {n + 1})"
            kept.save()
        doomed.delete()
        added = notice("Pasar murah")
        Tombstone.objects.update(deleted_at=timezone.now() - timedelta(days=365))
        Node.objects.create(
            code=UP_TO_DATE,
            public_key=Node.objects.get(code=VILLAGE).public_key,
            feed_cursor=JournalEntry.objects.latest("seq").seq,
        )

        # when the upstream compacts its journal
        compacted = journal_compact()

        # then the edits are gone but the deletion waits for the silent village
        assert compacted["superseded"] >= 6
        assert compacted["waiting_for"] == [VILLAGE]
        assert Tombstone.objects.count() == 1
        assert JournalEntry.objects.filter(uid=kept.id).count() == 1

    # when the village comes back and syncs
    synced(transport)

    # then it has converged: the latest edit, the deletion, the new record
    assert Announcement.objects.get(pk=kept.id).title == "Jadwal vaksinasi (ubah 6)"
    assert not Announcement.objects.filter(pk=doomed_id).exists()
    assert Announcement.objects.filter(pk=added.id).exists()

    # and its next sync moves nothing, and tells the upstream how far it has read
    idle = synced(transport)
    assert (idle.records_up, idle.records_down) == (0, 0)
    # so the upstream can now forget the deletion, leaving one row per live record
    with upstream.active():
        again = journal_compact()
        assert (again["tombstones"], again["waiting_for"]) == (1, [])
        assert not Tombstone.objects.exists()
        assert sorted(JournalEntry.objects.values_list("uid", flat=True)) == sorted(
            [kept.id, added.id]
        )


def test_a_village_that_compacts_before_its_push_loses_nothing(upstream, transport):  # noqa: F811
    # given village records: one pushed then deleted, one edited many times, not pushed
    pushed = notice("Gotong royong")
    pushed_id = pushed.id
    synced(transport)
    pushed.delete()
    busy = notice("Musyawarah")
    for n in range(5):
        busy.title = f"Musyawarah dusun {n + 1}"
        busy.save()
    Tombstone.objects.update(deleted_at=timezone.now() - timedelta(days=365))

    # when the village compacts its journal before the push
    before = journal_compact()

    # then its unacknowledged deletion is kept, the superseded edits are gone
    assert (before["superseded"], before["tombstones"], before["tombstones_waiting"]) == (6, 0, 1)

    # when it syncs
    synced(transport)

    # then the upstream has the deletion and the latest edit
    with upstream.active():
        assert not Announcement.objects.filter(pk=pushed_id).exists()
        assert Announcement.objects.get(pk=busy.id).title == "Musyawarah dusun 5"
    # and after the acknowledgement the village forgets the deletion
    after = journal_compact()
    assert after["tombstones"] == 1
    assert SyncState.load().push_seq >= JournalEntry.objects.latest("seq").seq
    assert not JournalEntry.objects.filter(uid=pushed_id).exists()
    assert not Tombstone.objects.filter(uid=pushed_id).exists()
    assert JournalEntry.objects.filter(uid=busy.id).count() == 1
