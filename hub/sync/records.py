"""The public base of every record that travels between hubs (one of the two modules domain apps
may import from the engine; the other is :mod:`hub.sync.registry`).

One writer per record: ``origin`` is the node that owns it (a village's ten-digit code or the
upstream's region code) and only the origin may change it; ``rev`` is bumped by the origin on every
change. Saving appends a journal row in the same transaction; deleting leaves a tombstone.
"""

import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .core.identity import local_node_code
from .core.journal import is_applying, record_save


class SyncedRecord(models.Model):
    """Abstract base: UUID primary key, origin, rev. Register the concrete model in ``ready()``.

    ``clean()`` refuses, as a form error, an edit by hand of a record another node owns (the
    origin guard): every synced record wants it, since ``save()`` refuses such a change anyway
    (``NotOrigin``), and a form should say why instead of failing. A model may word the refusal
    for its editors with ``origin_guard_message`` (``%(origin)s`` is the owner's code).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    origin = models.CharField(_("asal"), max_length=10, blank=True, editable=False, db_index=True)
    rev = models.PositiveIntegerField(_("revisi"), default=0, editable=False)

    origin_guard_message = _("Data ini milik %(origin)s dan hanya dapat diubah di sana.")

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        record_save(self, super().save, args, kwargs)

    save.alters_data = True

    def clean(self):
        super().clean()
        if not self.editable_here:
            raise ValidationError(self.origin_guard_message % {"origin": self.origin})

    @property
    def editable_here(self) -> bool:
        """True when this node may change the record: it owns it, or the sync engine is
        applying the owner's change (``clean()`` refuses edits by hand otherwise)."""
        return is_applying() or self.is_local

    @property
    def is_local(self) -> bool:
        """True when this node owns the record (and so may change it)."""
        return not self.origin or self.origin == local_node_code()
