"""This node's generation: a random id carried in every signed request and answer.

A restore from a backup puts back an old database: a village's journal seqs and revs start again
from where the backup was, an upstream's feed seqs too, so the other side would silently skip
what the restored node writes next (it has seen those seqs and revs already). A restore therefore
bumps the generation (``manage.py sync_generation_bump``, which ``balai-restore`` calls); the
other side sees the new one and re-seeds (:mod:`hub.sync.upstream.reseed`,
:mod:`hub.sync.village.reseed`). Random rather than a counter: a counter restored from a backup
could be bumped back to a value the other side has already seen.
"""

import re
import secrets

from django.db import transaction
from django.db.models import Max, Subquery
from django.utils import timezone

from hub.core.roles import is_upstream

from ..models import JournalEntry, NodeGeneration, SyncState

HEADER = "Balai-Generation"
GENERATION_RE = re.compile(r"^[0-9a-f]{16}$")


def _new() -> str:
    return secrets.token_hex(8)


def local_generation() -> str:
    """This node's generation, made on first use."""
    row = NodeGeneration.objects.filter(pk=1).only("generation").first()
    if row is not None and row.generation:
        return row.generation
    with transaction.atomic():
        row, _created = NodeGeneration.objects.select_for_update().get_or_create(pk=1)
        if not row.generation:
            row.generation = _new()
            row.save(update_fields=["generation"])
    return row.generation


def local_generation_subquery() -> Subquery:
    """This node's generation as a subquery, to read it in a query the request makes anyway (an
    idle push costs the upstream one statement less); empty before first use."""
    return Subquery(NodeGeneration.objects.filter(pk=1).values("generation")[:1])


def generation_bump() -> tuple[str, str]:
    """After a restore: a new generation; on a village also a re-seed before the next push,
    and the journal's highest seq as the restore left it (what is journaled above it was
    changed after the restore). Returns (old, new)."""
    with transaction.atomic():
        row, _created = NodeGeneration.objects.select_for_update().get_or_create(pk=1)
        old = row.generation
        row.generation = _new()
        row.bumps += 1
        row.bumped_at = timezone.now()
        row.save()
        if not is_upstream():
            SyncState.load()
            top = JournalEntry.objects.aggregate(m=Max("seq"))["m"] or 0
            SyncState.objects.filter(pk=1).update(reseed_pending=True, reseed_after_seq=top)
    return old, row.generation


def valid_generation(value: str) -> bool:
    return bool(GENERATION_RE.match(value or ""))
