"""Pages of the journal (hub.sync.changes.feed): a record changed while a page is being read is
never skipped past."""

from datetime import timedelta

from django.utils import timezone

from hub.site.models import Announcement
from hub.sync.changes import feed
from hub.sync.models import JournalEntry
from hub.sync.wire.codec import decode_page, encode_page

VILLAGE = "1503012021"


def notice(title: str) -> Announcement:
    return Announcement.objects.create(
        title=title, body="<p>Isi</p>", publish_at=timezone.now() - timedelta(hours=1)
    )


def titles(page) -> list[str]:
    _header, items = decode_page(encode_page({}, page.items))
    return [item["f"]["title"] for item in items]


def test_a_record_changed_between_two_chunks_of_a_page_is_read_again(village, monkeypatch):
    # given a journal read three rows at a time: a record, then four others
    monkeypatch.setattr(feed, "CHUNK", 3)
    changed = notice("Rapat")
    for n in range(4):
        notice(f"Kabar {n}")
    # and a writer (the agent, an official in the admin) that commits an edit of the first
    # record right after the page's first chunk was read, while the cluster builds the push
    read_rows = feed._serialize_rows

    def read_then_edit(rows, **kwargs):
        out = list(read_rows(rows, **kwargs))
        if not JournalEntry.objects.filter(uid=changed.pk).exclude(rev=1).exists():
            changed.title = "Rapat diundur"
            changed.save()
        return iter(out)

    monkeypatch.setattr(feed, "_serialize_rows", read_then_edit)

    # when the push reads its page, then the next one from where it ended
    page = feed.push_batch(me=VILLAGE, after=0, max_bytes=10**7)
    edit_seq = JournalEntry.objects.filter(uid=changed.pk, rev=2).get().seq
    following = feed.push_batch(me=VILLAGE, after=page.to, max_bytes=10**7)

    # then the first page ends before the edit's row (its content of the record is the old
    # one), and the next page carries the edit: acknowledging both leaves nothing behind
    assert titles(page)[0] == "Rapat"
    assert page.to < edit_seq and page.more
    assert "Rapat diundur" in titles(following)
    assert following.to >= edit_seq
