"""The public base of every record that travels between hubs (one of the two modules domain apps
may import from the engine; the other is :mod:`hub.sync.registry`).

One writer per record: ``origin`` is the node that owns it (a village's ten-digit code or the
upstream's region code) and only the origin may change it; ``rev`` is bumped by the origin on every
change. Saving appends a journal row in the same transaction; deleting leaves a tombstone.
"""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class SyncedRecord(models.Model):
    """Abstract base: UUID primary key, origin, rev. Register the concrete model in ``ready()``."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    origin = models.CharField(_("asal"), max_length=10, blank=True, editable=False, db_index=True)
    rev = models.PositiveIntegerField(_("revisi"), default=0, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        from .journal import record_save

        record_save(self, super().save, args, kwargs)

    save.alters_data = True

    @property
    def editable_here(self) -> bool:
        """True when this node may change the record: it owns it, or the sync engine is
        applying the owner's change (use in ``clean()`` to refuse edits by hand)."""
        from .journal import is_applying

        return is_applying() or self.is_local

    @property
    def is_local(self) -> bool:
        """True when this node owns the record (and so may change it)."""
        from .identity import local_node_code

        return not self.origin or self.origin == local_node_code()
