"""The upstream's side of re-seeding after a restore (docs/sync-protocol.md, "Generations").

- A **village restored** from an older backup comes back with a new generation. Until it has
  re-seeded, every request of it but ``reseed`` is refused with ``generation_changed``; ``reseed``
  accepts the new generation, forgets the village's old push checkpoint (its journal seqs start
  again) and answers the highest rev this upstream has seen of any record the village owns: the
  village re-announces everything it owns with revs above that. Before that, it gets back what
  the restore took from it: ``GET reseed?after=N`` pages through every record and tombstone of
  the village's as this upstream holds it (:func:`returned_page`), and the village applies those
  it lacks or holds at a lower rev (:mod:`hub.sync.village.reseed`).
- An **upstream restored** from an older backup has a feed that ends below the cursors of the
  villages that read past the backup, and has lost what they pushed since. A cursor above the
  feed's high-water mark, or a push that continues from a checkpoint above the one recorded here,
  is refused with ``cursor_ahead``: the village pulls its feed again from zero and pushes its
  journal again from zero (both idempotent by rev). The upstream's own generation bump makes every
  village do that even where no cursor gives it away.
"""

import time

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max

from ..changes.feed import ingest_refs, push_batch
from ..models import HeldChange, JournalEntry, Node, Tombstone
from ..wire.codec import encode_page


class ReseedRefusal(Exception):
    """A request the village must answer with a re-seed: ``code``, ``detail``, extra fields."""

    def __init__(self, code: str, detail: str, **extra):
        super().__init__(detail)
        self.code, self.detail, self.extra = code, detail, extra


def feed_high_water(*, unless_at_least: int | None = None) -> int:
    """The highest seq this upstream's feed ever handed out: the journal sequence's own value (a
    compacted tail leaves it above the highest row), at least the highest row. The sequence is
    read only when the highest row is below ``unless_at_least``."""
    table = JournalEntry._meta.db_table
    high = JournalEntry.objects.aggregate(m=Max("seq"))["m"] or 0
    if unless_at_least is not None and high >= unless_at_least:
        return high
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'seq')", [table])
            name = cursor.fetchone()[0]
            if name:
                cursor.execute(f"SELECT last_value, is_called FROM {name}")  # noqa: S608 - from pg
                last_value, is_called = cursor.fetchone()
                high = max(high, last_value if is_called else 0)
        elif connection.vendor == "sqlite":
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            if row:
                high = max(high, row[0])
    return high


def village_max_rev(code: str) -> int:
    """The highest rev this upstream holds of anything the village owns: its records' journal
    rows (compaction keeps the latest of each), tombstones, and changes held here."""
    return max(
        JournalEntry.objects.filter(origin=code).aggregate(m=Max("rev"))["m"] or 0,
        Tombstone.objects.filter(origin=code).aggregate(m=Max("rev"))["m"] or 0,
        HeldChange.objects.filter(sender=code).aggregate(m=Max("rev"))["m"] or 0,
    )


def generation_check(*, node: Node, generation: str, reseeding: bool) -> None:
    """Record the village's first generation; refuse a new one until it re-seeds."""
    if not node.generation:
        Node.objects.filter(pk=node.pk, generation="").update(generation=generation)
        node.generation = generation
    elif node.generation != generation and not reseeding:
        raise ReseedRefusal(
            "generation_changed",
            "this village was restored (new generation): re-seed first",
            max_rev=village_max_rev(node.code),
        )


def cursor_check(*, node: Node, cursor: int | None = None, push_after: int | None = None) -> None:
    """Refuse a village that is ahead of this upstream (restored from an older backup).

    A cursor no higher than the node's ``feed_cursor`` needs no query: this database recorded
    it, so its feed reached it (a restored database holds its older ``feed_cursor`` too). An
    idle sync costs the upstream one statement less."""
    if cursor is not None and cursor > node.feed_cursor:
        high = feed_high_water(unless_at_least=cursor)
        if cursor > high:
            raise ReseedRefusal(
                "cursor_ahead",
                f"cursor {cursor} is above this upstream's feed ({high}): it was restored from "
                "a backup; pull again from 0",
                feed_high=high,
                push_seq=node.push_seq,
            )
    if push_after is not None and push_after > node.push_seq:
        raise ReseedRefusal(
            "cursor_ahead",
            f"push continues from {push_after} but this upstream holds the village's journal up "
            f"to {node.push_seq} only: it was restored from a backup; push again from 0",
            feed_high=feed_high_water(),
            push_seq=node.push_seq,
        )


def reseed_accept(*, node: Node, generation: str) -> dict:
    """Accept the village's new generation; answer what its re-announced revs must exceed."""
    with transaction.atomic():
        locked = Node.objects.select_for_update().get(pk=node.pk)
        if locked.generation != generation:
            locked.generation = generation
            locked.push_seq = 0
            locked.reseeds += 1
            locked.save(update_fields=["generation", "push_seq", "reseeds"])
        # "records": this upstream sends back what the restore took (GET reseed?after=N)
        return {
            "max_rev": village_max_rev(node.code),
            "push_seq": locked.push_seq,
            "records": True,
        }


def returned_page(*, node: Node, generation: str, after: int) -> bytes:
    """A page of the village's own records and tombstones as this upstream holds them (the
    latest of each, in journal order after ``after``), for the village to take back what its
    restore lost. Signed like every answer; its header names the generation it is for, which
    the request's signature covers and ``generation_check`` has matched to the accepted one."""
    page = push_batch(me=node.code, after=after, max_bytes=settings.SYNC_PAGE_MAX_BYTES)
    if page.blob_refs:
        ingest_refs(page.blob_refs)  # the village downloads the files it lost from here
    header = {
        "node": node.code,
        "page": {"after": after, "to": page.to, "more": page.more, "count": page.count},
        "returning": {"generation": generation},
        "time": int(time.time()),
    }
    return encode_page(header, page.items)
