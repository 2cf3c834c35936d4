"""Keeping the journal small over years: only the latest row of each record, and deletions
only until every node that reads them has read them (docs/sync-protocol.md, section 3).

Why a superseded row can always go: a reader (a push, a feed page, a bundle) never sends what
a row said, it sends the record's *current* state (or its tombstone) at the row's place. Any
reader whose position is before a superseded row is also before the record's latest row, which
sends the same current state; dropping the earlier row only moves the record later in that
reader's stream (a child that then comes first is held until its parent arrives, as it already
is when coalescing moves a parent). So superseded rows are dropped whoever has read them.

The latest row of a *deleted* record is different: it is the only thing that tells a reader the
record is gone. It goes, with its tombstone, only when

- every reader that needs it is past it: on a village, the upstream's signed acknowledgement
  (``SyncState.push_seq``) for its own records, nobody for the records of others; on the
  upstream, every enrolled, non-revoked village the row is addressed to (its audience is one of
  the village's prefixes, the village is not the record's origin) has asked for the feed after
  it (``Node.feed_cursor``). A village silent for months holds those rows back for as long as it
  is silent, and finds them when it comes back: there is no horizon past which it would miss a
  deletion. Revoke a village that will never come back, or its silence keeps them for good;
- and the deletion is older than ``SYNC_TOMBSTONE_KEEP_DAYS``: a tombstone also stops a late,
  older copy (a bundle carried on a USB stick for weeks) from bringing the record back, so a
  bundle older than that is refused (:mod:`hub.sync.bundles.exchange`).

Work is done in short transactions of at most ``chunk`` rows, so the hub's other writers (a
villager's order, the admin) wait at most one chunk for SQLite's write lock.
"""

import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from hub.core.roles import is_upstream

from ..core.identity import local_node_code
from ..core.pruning import rows_delete
from ..models import JournalEntry, Node, SyncState, Tombstone

DEFAULT_CHUNK = 2000


@dataclass
class CompactionResult:
    """What a compaction removed and kept, and the longest it held the write lock."""

    superseded: int = 0
    tombstones: int = 0
    # deletions kept because a reader has not read them yet (not counting those still young)
    tombstones_waiting: int = 0
    # villages whose cursor held a deletion back (upstream only)
    waiting_for: list[str] = field(default_factory=list)
    seconds: float = 0.0
    longest_transaction: float = 0.0

    def as_dict(self) -> dict:
        return {
            "superseded": self.superseded,
            "tombstones": self.tombstones,
            "tombstones_waiting": self.tombstones_waiting,
            "waiting_for": self.waiting_for,
            "seconds": round(self.seconds, 3),
            "longest_transaction": round(self.longest_transaction, 3),
        }


def _superseded_seqs() -> list[int]:
    """Seqs of rows that a later row of the same record supersedes (one read, no write lock)."""
    table = connection.ops.quote_name(JournalEntry._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT seq FROM ("  # noqa: S608 - the tables are the models', quoted
            " SELECT seq, ROW_NUMBER() OVER (PARTITION BY model, uid ORDER BY seq DESC) AS n"
            f" FROM {table}"
            ") AS ranked WHERE n > 1 ORDER BY seq"
        )
        return [row[0] for row in cursor.fetchall()]


def _deletion_rows(cutoff) -> list[tuple]:
    """(seq, origin, audience, tombstone id, rev) of each deleted record's latest row whose
    deletion is older than ``cutoff``."""
    journal = connection.ops.quote_name(JournalEntry._meta.db_table)
    tombstones = connection.ops.quote_name(Tombstone._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT j.seq, j.origin, j.audience, t.id, t.rev FROM ("  # noqa: S608
            " SELECT seq, model, uid, rev, origin, audience,"
            " ROW_NUMBER() OVER (PARTITION BY model, uid ORDER BY seq DESC) AS n"
            f" FROM {journal}"
            f") AS j JOIN {tombstones} AS t ON t.model = j.model AND t.uid = j.uid"
            " WHERE j.n = 1 AND t.rev = j.rev AND t.deleted_at < %s ORDER BY j.seq",
            [connection.ops.adapt_datetimefield_value(cutoff)],
        )
        return cursor.fetchall()


class _Readers:
    """Who must have read a journal row before the row of a deletion may go."""

    def __init__(self):
        self.me = local_node_code()
        self.upstream = is_upstream()
        if self.upstream:
            self.nodes = list(
                Node.objects.filter(revoked_at__isnull=True).values_list("code", "feed_cursor")
            )
        else:
            self.push_seq = SyncState.load().push_seq
        self._cache: dict = {}

    def lagging(self, seq: int, origin: str, audience: str | None) -> list[str]:
        """The readers not yet past ``seq`` (empty: the row may go)."""
        if not self.upstream:
            # a village's journal is read only by its own pushes (and its own up bundles)
            if origin == self.me and seq > self.push_seq:
                return [origin]
            return []
        if audience is None:
            return []  # addressed to no village: no feed carries it
        key = (origin, audience)
        if key not in self._cache:
            self._cache[key] = [
                (code, cursor)
                for code, cursor in self.nodes
                if code.startswith(audience) and code != origin
            ]
        return [code for code, cursor in self._cache[key] if cursor < seq]


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def journal_compact(*, chunk: int = DEFAULT_CHUNK, keep_days: int | None = None) -> dict:
    """Drop superseded journal rows, then deletions every reader has read and that are older
    than ``keep_days`` (default ``SYNC_TOMBSTONE_KEEP_DAYS``) with their tombstones. Returns
    what it did (:class:`CompactionResult` as a dict)."""
    started = time.monotonic()
    result = CompactionResult()
    keep_days = settings.SYNC_TOMBSTONE_KEEP_DAYS if keep_days is None else keep_days

    def timed_delete(fn) -> int:
        began = time.monotonic()
        with transaction.atomic():
            removed = fn()
        result.longest_transaction = max(result.longest_transaction, time.monotonic() - began)
        return removed

    # A superseded row stays superseded (rows are only appended), so a list read before the
    # deletes stays right while other writers carry on.
    for seqs in _chunks(_superseded_seqs(), chunk):
        result.superseded += timed_delete(lambda seqs=seqs: rows_delete(JournalEntry, "seq", seqs))

    readers = _Readers()
    cutoff = timezone.now() - timezone.timedelta(days=keep_days)
    waiting: set[str] = set()
    ready = []
    for seq, origin, audience, tomb_id, rev in _deletion_rows(cutoff):
        lagging = readers.lagging(seq, origin, audience)
        if lagging:
            result.tombstones_waiting += 1
            waiting.update(lagging)
        else:
            ready.append((seq, tomb_id, rev))
    for rows in _chunks(ready, chunk):

        def drop(rows=rows) -> int:
            rows_delete(JournalEntry, "seq", [seq for seq, _id, _rev in rows])
            # a record deleted again since the read has a newer rev: its tombstone stays
            read = {tomb_id: rev for _seq, tomb_id, rev in rows}
            same = [
                tomb_id
                for tomb_id, rev in Tombstone.objects.filter(pk__in=read).values_list("id", "rev")
                if read[tomb_id] == rev
            ]
            return rows_delete(Tombstone, "id", same)

        result.tombstones += timed_delete(drop)
    result.waiting_for = sorted(waiting - {readers.me})[:20]
    result.seconds = time.monotonic() - started
    return result.as_dict()
