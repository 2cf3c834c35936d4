"""Journal compaction keeps exactly what a reader still needs: the latest row of each record,
and a deletion until every node that reads it is past it (and it is older than the keep time)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from hub.site.models import Announcement
from hub.sync.changes.compaction import journal_compact
from hub.sync.changes.feed import feed_page, push_batch
from hub.sync.models import JournalEntry, Node, SyncState, Tombstone
from hub.sync.wire.codec import decode_page, encode_page

VILLAGE = "1503012021"
SILENT = "1503012022"
OTHER_REGION = "6301012001"


def notice(title: str) -> Announcement:
    return Announcement.objects.create(
        title=title, body="<p>Isi</p>", publish_at=timezone.now() - timedelta(hours=1)
    )


def edited(obj: Announcement, times: int) -> Announcement:
    for n in range(times):
        obj.title = f"{obj.title.split(' #')[0]} #{n + 1}"
        obj.save()
    return obj


def rows_of_id(uid) -> list[int]:
    return list(JournalEntry.objects.filter(uid=uid).values_list("seq", flat=True))


def rows_of(obj) -> list[int]:
    return rows_of_id(obj.id)


def age_deletions(days: int = 200) -> None:
    Tombstone.objects.update(deleted_at=timezone.now() - timedelta(days=days))


def push_items(after: int = 0) -> list[dict]:
    batch = push_batch(me=VILLAGE, after=after, max_bytes=10**7)
    _header, items = decode_page(encode_page({}, batch.items))
    return items


def test_superseded_rows_go_even_unpushed_and_the_push_still_sends_the_latest(village):
    # given a record edited five times that the upstream has not seen yet
    made = edited(notice("Rapat"), 5)
    assert len(rows_of(made)) == 6
    assert SyncState.load().push_seq == 0

    # when the journal is compacted
    result = journal_compact()

    # then only its latest row is left, and a push still sends its current state
    assert result["superseded"] == 5
    assert rows_of(made) == [JournalEntry.objects.filter(uid=made.id).get().seq]
    items = push_items()
    assert [(i["id"], i["f"]["title"], i["r"]) for i in items] == [
        (str(made.id), "Rapat #5", made.rev)
    ]


def test_a_village_keeps_its_deletion_until_the_upstream_acknowledged_it(village, settings):
    # given a deleted record of the village, old enough to forget, not acknowledged yet
    gone = notice("Salah ketik")
    gone_id = gone.id
    gone.delete()
    age_deletions()
    deletion = JournalEntry.objects.filter(uid=gone_id).order_by("-seq").first().seq

    # when the journal is compacted before the push
    before = journal_compact()

    # then the deletion (its row and tombstone) is kept for the push, which still sends it
    assert (before["tombstones"], before["tombstones_waiting"]) == (0, 1)
    assert rows_of_id(gone_id) == [deletion]
    assert Tombstone.objects.filter(uid=gone_id).exists()
    assert push_items() == [
        {"d": 1, "id": str(gone_id), "m": "site.announcement", "o": VILLAGE, "r": 2}
    ]

    # when the upstream has acknowledged past it and the journal is compacted again
    state = SyncState.load()
    state.push_seq = deletion
    state.save()
    after = journal_compact()

    # then it is forgotten
    assert (after["tombstones"], after["tombstones_waiting"]) == (1, 0)
    assert rows_of_id(gone_id) == []
    assert not Tombstone.objects.filter(uid=gone_id).exists()
    # and the journal's last seq is never handed out again (a reader past it would skip it)
    assert rows_of(notice("Berikutnya"))[0] > deletion


def test_a_young_deletion_is_kept_even_when_read(village, settings):
    # given an acknowledged deletion younger than the keep time
    settings.SYNC_TOMBSTONE_KEEP_DAYS = 30
    gone = notice("Baru dihapus")
    gone_id = gone.id
    gone.delete()
    Tombstone.objects.update(deleted_at=timezone.now() - timedelta(days=29))
    state = SyncState.load()
    state.push_seq = JournalEntry.objects.latest("seq").seq
    state.save()

    # when the journal is compacted
    result = journal_compact()

    # then the tombstone stays (it still stops an older copy in a bundle)
    assert result["tombstones"] == 0
    assert Tombstone.objects.filter(uid=gone_id).exists()


@pytest.fixture
def upstream(db, settings):
    settings.HUB_ROLE = "upstream"
    settings.SYNC_NODE_CODE = "15"
    return settings


def enroll(code: str, cursor: int = 0, revoked: bool = False) -> Node:
    return Node.objects.create(
        code=code,
        public_key="ed25519:" + "A" * 43,
        feed_cursor=cursor,
        revoked_at=timezone.now() if revoked else None,
    )


def test_upstream_keeps_a_deletion_for_a_silent_village_of_its_audience(upstream):
    # given a province record deleted on the upstream, old enough to forget
    gone = notice("Vaksinasi dibatalkan")
    gone_id = gone.id
    gone.delete()
    age_deletions()
    deletion = JournalEntry.objects.filter(uid=gone_id).order_by("-seq").first().seq
    # and villages: one up to date, one silent, one revoked, one of another province
    enroll(VILLAGE, cursor=deletion)
    enroll(SILENT, cursor=0)
    enroll("1503012023", cursor=0, revoked=True)
    enroll(OTHER_REGION, cursor=0)

    # when the journal is compacted
    result = journal_compact()

    # then the deletion waits for the silent village only, which still gets it in its feed
    assert (result["tombstones"], result["tombstones_waiting"]) == (0, 1)
    assert result["waiting_for"] == [SILENT]
    page = feed_page(village_code=SILENT, after=0, max_bytes=10**7)
    _header, items = decode_page(encode_page({}, page.items))
    assert [(i["id"], i.get("d")) for i in items] == [(str(gone_id), 1)]

    # when the silent village has read past it and the journal is compacted again
    Node.objects.filter(code=SILENT).update(feed_cursor=deletion)
    again = journal_compact()

    # then the deletion is forgotten
    assert (again["tombstones"], again["waiting_for"]) == (1, [])
    assert not JournalEntry.objects.filter(uid=gone_id).exists()
    assert not Tombstone.objects.exists()


def test_upstream_forgets_a_deletion_no_feed_carries(upstream):
    # given a village's record relayed to nobody (audience NULL) and deleted by it
    from hub.sync.core.journal import applying

    with applying():
        relayed = Announcement.objects.create(
            title="Milik desa",
            body="<p>x</p>",
            publish_at=timezone.now(),
            origin=VILLAGE,
            rev=1,
        )
        relayed_id = relayed.id
        relayed.rev = 2
        relayed.delete()
    JournalEntry.objects.filter(uid=relayed_id).update(audience=None)
    age_deletions()
    enroll(VILLAGE, cursor=0)
    enroll(SILENT, cursor=0)

    # when the journal is compacted
    result = journal_compact()

    # then no village's silence holds it back
    assert result["tombstones"] == 1
    assert not JournalEntry.objects.filter(uid=relayed_id).exists()


def test_compaction_twice_changes_nothing_more(village):
    # given a compacted journal
    edited(notice("Posyandu"), 3)
    journal_compact()
    rows = list(JournalEntry.objects.values_list("seq", flat=True))

    # when it is compacted again
    result = journal_compact()

    # then nothing else goes
    assert (result["superseded"], result["tombstones"]) == (0, 0)
    assert list(JournalEntry.objects.values_list("seq", flat=True)) == rows
