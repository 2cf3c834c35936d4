"""The table of what syncs: one :class:`SyncSpec` per registered model.

Domain apps fill it through :func:`hub.sync.registry.register`; the engine reads it with
:func:`spec_for` and :func:`all_specs`. It lives below the public modules so the journal can
read it without importing them.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from django.db import models
from django.dispatch import Signal

from hub.core.regions import VILLAGE_CODE_RE
from hub.core.roles import is_upstream

from .identity import upstream_region

# Sent once per model after a batch of changes from another node was applied (after the rows are
# written, inside the transaction; receivers that do work should use transaction.on_commit).
# Arguments: sender (the model), pks (a list). Rows written in bulk send no post_save.
records_applied = Signal()


class FileAdapter:
    """How the engine moves the file behind one field of a synced record.

    A domain app subclasses this for each kind of file field (an image foreign key, a document).
    """

    def to_wire(self, obj, field_name: str) -> dict | None:
        """``{"sha256": …, "size": …, "meta": {…}}`` for the field's file, or None when empty."""
        raise NotImplementedError

    def open(self, obj, field_name: str) -> BinaryIO:
        """The field's file, to copy into the blob store before it is sent."""
        raise NotImplementedError

    def attach(self, obj, field_name: str, ref: dict | None, blob: BinaryIO | None) -> None:
        """Point the (unsaved) field at the blob ``ref`` (None: clear it). ``blob`` is the
        verified file, or None while it has not arrived yet (set a placeholder or nothing)."""
        raise NotImplementedError

    def referring(self, model: type[models.Model], field_name: str, sha: str) -> models.QuerySet:
        """The records of ``model`` whose field refers to blob ``sha`` (who may fetch a blob
        and whether one may be deleted depend on them). This default reads every record's
        :meth:`to_wire`; an adapter that keeps the hash in a column overrides it with a query.
        """
        pks = [obj.pk for obj in model._base_manager.all() if self._sha_of(obj, field_name) == sha]
        return model._base_manager.filter(pk__in=pks)

    def shas(self, model: type[models.Model], field_name: str) -> set[str]:
        """The SHA-256 of every blob the field refers to across ``model``'s records (default:
        every record's :meth:`to_wire`; override with a query)."""
        found = {self._sha_of(obj, field_name) for obj in model._base_manager.all()}
        return found - {None}

    def _sha_of(self, obj, field_name: str) -> str | None:
        ref = self.to_wire(obj, field_name)
        return ref.get("sha256") if ref else None


# Who may write each kind of record (register(owner=…)): the upstream alone (a region's
# categories, an outside buyer's order request), villages alone (a BUMDes, its orders), or either
# (announcements: a village's own and the province's). Apply refuses the rest.
OWNER_UPSTREAM = "upstream"
OWNER_VILLAGE = "village"
OWNER_EITHER = "either"
OWNERS = (OWNER_UPSTREAM, OWNER_VILLAGE, OWNER_EITHER)


def default_audience(obj) -> str | None:
    """Village-owned records go up only; upstream-owned ones go to the upstream's whole region."""
    if VILLAGE_CODE_RE.match(obj.origin):
        return None
    return upstream_region() if is_upstream() else obj.origin


@dataclass
class SyncSpec:
    model: type[models.Model]
    label: str
    version: int = 1
    audience: Callable[[Any], str | None] = default_audience
    files: dict[str, FileAdapter] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    # lower goes first when blobs compete for the link (0: tiny and urgent)
    blob_priority: int = 5
    # which role's nodes may be the origin of such a record (one of OWNERS)
    owner: str = OWNER_EITHER

    def owner_refusal(self, origin: str) -> str | None:
        """None when a record of ``origin`` may be of this kind, else why not."""
        from_village = bool(VILLAGE_CODE_RE.match(origin))
        if self.owner == OWNER_UPSTREAM and from_village:
            return f"{self.label} is written by the upstream only, not by a village"
        if self.owner == OWNER_VILLAGE and not from_village:
            return f"{self.label} is written by villages only, not by the upstream"
        return None

    def wire_fields(self) -> list:
        """Concrete fields that travel: not the sync bookkeeping, not local timestamps."""
        skip = {"id", "origin", "rev", *self.exclude, *self.files}
        out = []
        for f in self.model._meta.concrete_fields:
            if f.name in skip or getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                continue
            out.append(f)
        return out


_specs: dict[str, SyncSpec] = {}


def spec_add(spec: SyncSpec) -> SyncSpec:
    _specs[spec.label] = spec
    return spec


def spec_for(label_or_model) -> SyncSpec | None:
    if not isinstance(label_or_model, str):
        label_or_model = label_or_model._meta.label_lower
    return _specs.get(label_or_model)


def all_specs() -> list[SyncSpec]:
    return list(_specs.values())
