"""The engine's own tables: journal, tombstones, node registry, replay guard, sync state, runs,
and the blobs waiting to move. None of them syncs."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class JournalEntry(models.Model):
    """One change to a synced record, appended in the transaction that made it.

    ``seq`` is the changes feed: on a village it is what the push checkpoint counts; on the
    upstream it is the feed a village's pull cursor counts (a PostgreSQL sequence; rows are
    appended under a transaction-level advisory lock so they commit in ``seq`` order and a reader
    never skips a row that commits late).
    """

    seq = models.BigAutoField(primary_key=True)
    model = models.CharField(max_length=80)
    uid = models.UUIDField()
    rev = models.PositiveIntegerField()
    origin = models.CharField(max_length=10)
    # a Kemendagri code prefix; NULL: goes to no village
    audience = models.CharField(max_length=10, null=True, blank=True)
    # rough size of the record on the wire, for the backlog figures
    size = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["origin", "seq"], name="sync_journal_origin_seq"),
            models.Index(fields=["audience", "seq"], name="sync_journal_audience_seq"),
        ]

    def __str__(self):
        return f"#{self.seq} {self.model} {self.uid} r{self.rev}"


class Tombstone(models.Model):
    """A deleted synced record: keeps a late, older copy from bringing it back."""

    model = models.CharField(max_length=80)
    uid = models.UUIDField()
    origin = models.CharField(max_length=10)
    rev = models.PositiveIntegerField()
    deleted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["model", "uid"], name="sync_tombstone_unique"),
        ]

    def __str__(self):
        return f"{self.model} {self.uid} (deleted r{self.rev})"


class Node(models.Model):
    """A village enrolled on this upstream: its key, its push checkpoint, its last heartbeat."""

    code = models.CharField(_("kode desa"), max_length=10, primary_key=True)
    public_key = models.CharField(_("kunci publik"), max_length=100)
    enrolled_at = models.DateTimeField(_("didaftarkan"), default=timezone.now)
    revoked_at = models.DateTimeField(_("dicabut"), null=True, blank=True)
    # highest journal seq of the village's own journal applied here
    push_seq = models.BigIntegerField(default=0)
    last_seen_at = models.DateTimeField(_("terakhir terlihat"), null=True, blank=True)
    last_push_at = models.DateTimeField(null=True, blank=True)
    heartbeat = models.JSONField(default=dict, blank=True)
    # highest seq of this upstream's feed the village has applied (the ``after`` it last asked
    # from): journal compaction keeps every deletion the village has not read yet
    feed_cursor = models.BigIntegerField(default=0)
    # the village's generation as last accepted here (protocol v2; empty: not seen yet). A
    # request with another one comes from a restored village: refused until it re-seeds
    generation = models.CharField(max_length=40, blank=True)
    reseeds = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("simpul desa")
        verbose_name_plural = _("simpul desa")

    def __str__(self):
        return self.code

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class SeenNonce(models.Model):
    """Nonces of recent signed requests: a request seen before is a replay."""

    node = models.CharField(max_length=10)
    nonce = models.CharField(max_length=32)
    seen_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["node", "nonce"], name="sync_nonce_unique"),
        ]

    def __str__(self):
        return f"{self.node} {self.nonce}"


class SyncState(models.Model):
    """The village's side of the link (one row): the pinned upstream and both checkpoints."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    upstream_url = models.URLField(_("alamat upstream"), blank=True)
    upstream_code = models.CharField(max_length=10, blank=True)
    upstream_key = models.CharField(max_length=100, blank=True)
    # highest seq of our own journal the upstream has acknowledged (signed)
    push_seq = models.BigIntegerField(default=0)
    # highest seq of the upstream's feed applied here
    pull_cursor = models.BigIntegerField(default=0)
    # server time minus our clock, learnt from the upstream when our clock is off
    clock_offset = models.IntegerField(default=0)
    failures = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # raw bytes of the next push batch: shrinks after a cut, grows after acknowledged batches
    # (0: SYNC_BATCH_MAX_BYTES); kept across runs, so a link that cuts keeps its small batches
    push_batch_bytes = models.PositiveIntegerField(default=0)
    # link probes while backing off: the last one, and this month's count and bytes ("YYYY-MM")
    last_probe_at = models.DateTimeField(null=True, blank=True)
    probe_month = models.CharField(max_length=7, blank=True)
    probes = models.PositiveIntegerField(default=0)
    probe_bytes = models.BigIntegerField(default=0)
    # the upstream's generation as last seen in a verified answer (empty: none yet); another
    # one means the upstream was restored: both checkpoints start again from zero
    upstream_generation = models.CharField(max_length=40, blank=True)
    # set by a restore (``sync_generation_bump``): before its next push the village re-announces
    # every record it owns with revs above anything the upstream has seen
    reseed_pending = models.BooleanField(default=False)
    # the journal's highest seq when that restore bumped the generation: a record with a journal
    # row above it was changed after the restore, and keeps this version when the upstream
    # sends back what the restore took (``reseed_return``)
    reseed_after_seq = models.BigIntegerField(default=0)

    def __str__(self):
        return self.upstream_url or "—"

    @classmethod
    def load(cls) -> "SyncState":
        state, _created = cls.objects.get_or_create(pk=1)
        return state


class NodeGeneration(models.Model):
    """This node's generation (one row, both roles): a random id that a restore from a backup
    replaces (``sync_generation_bump``), sent in every signed request and answer. The other side
    sees it change and re-seeds, so journal seqs and revs that the restore made this node use
    again never make changes silently disappear (docs/sync-protocol.md, "Generations")."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    generation = models.CharField(max_length=40, blank=True)
    # how many times it was bumped, and when last: for operators
    bumps = models.PositiveIntegerField(default=0)
    bumped_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return self.generation or "—"


class SyncRun(models.Model):
    """One sync attempt, as officials and operators see it on the sync page."""

    class Outcome(models.TextChoices):
        RUNNING = "running", _("berjalan")
        OK = "ok", _("berhasil")
        PARTIAL = "partial", _("sebagian")
        FAILED = "failed", _("gagal")

    trigger = models.CharField(max_length=20, default="schedule")
    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.RUNNING)
    bytes_up = models.BigIntegerField(default=0)
    bytes_down = models.BigIntegerField(default=0)
    records_up = models.PositiveIntegerField(default=0)
    records_down = models.PositiveIntegerField(default=0)
    blobs_up = models.PositiveIntegerField(default=0)
    blobs_down = models.PositiveIntegerField(default=0)
    refused = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    # requests the link cut in this run (their bytes are in bytes_up / bytes_down)
    cuts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("sinkronisasi")
        verbose_name_plural = _("sinkronisasi")

    def __str__(self):
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.outcome}"

    @property
    def duration(self):
        if not self.finished_at:
            return None
        return self.finished_at - self.started_at


class BlobNeed(models.Model):
    """A record applied here whose file has not arrived yet (fetched, then attached)."""

    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.BigIntegerField(default=0)
    model = models.CharField(max_length=80)
    uid = models.UUIDField()
    field = models.CharField(max_length=60)
    ref = models.JSONField(default=dict)
    priority = models.PositiveSmallIntegerField(default=5)
    created_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["model", "uid", "field"], name="sync_blobneed_unique"),
        ]

    def __str__(self):
        return f"{self.sha256[:12]} for {self.model} {self.uid}"


class BlobUpload(models.Model):
    """A blob of ours the upstream may lack: offered after the records that use it."""

    sha256 = models.CharField(max_length=64, unique=True)
    size = models.BigIntegerField(default=0)
    priority = models.PositiveSmallIntegerField(default=5)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return self.sha256


class HeldChange(models.Model):
    """A change that refers (by a synced foreign key) to a record not here yet — an order line
    that came in a batch before its order — kept as it came and applied as soon as the record it
    needs arrives, instead of being refused and lost."""

    model = models.CharField(max_length=80)
    uid = models.UUIDField()
    rev = models.PositiveIntegerField()
    sender = models.CharField(max_length=10)
    sender_is_upstream = models.BooleanField(default=False)
    item = models.JSONField()
    waiting_for = models.CharField(max_length=200, blank=True)
    held_at = models.DateTimeField(default=timezone.now)
    # the record it waits for, by key: only its arrival retries this change
    waiting_model = models.CharField(max_length=80, blank=True)
    waiting_uid = models.UUIDField(null=True, blank=True)
    # held longer than SYNC_HELD_MAX_AGE: the item is dropped (its data too), the row stays as
    # the count the sync page and sync_status report; a newer copy holds it again
    expired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["model", "uid"], name="sync_heldchange_unique"),
        ]
        indexes = [
            models.Index(fields=["waiting_model", "waiting_uid"], name="sync_held_waiting"),
            models.Index(fields=["sender", "expired_at"], name="sync_held_sender"),
            models.Index(fields=["expired_at", "held_at"], name="sync_held_age"),
        ]

    def __str__(self):
        return f"{self.model} {self.uid} r{self.rev} (waiting for {self.waiting_for})"


class BlobReceipt(models.Model):
    """A blob a village uploaded here (upstream): what its quota counts. Deleted with the blob
    when the garbage collector takes it."""

    sha256 = models.CharField(max_length=64, unique=True)
    node = models.CharField(max_length=10, db_index=True)
    size = models.BigIntegerField(default=0)
    received_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.sha256[:12]} from {self.node}"
