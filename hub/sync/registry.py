"""What syncs and to whom: filled by domain apps from ``AppConfig.ready()``.

``register(Model, audience=…, files=…)``. The audience of a record is a Kemendagri code prefix:
``""`` every village, ``"63"`` a province, ``"6301"`` a kabupaten, ``"6301012001"`` one village;
``None`` means the record goes up to the upstream and no further (the default for village-owned
records). Files are referenced by SHA-256 through a :class:`FileAdapter` the domain app provides,
so the engine never needs to know what an image or a PDF is.
"""

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from django.db import models
from django.dispatch import Signal

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


def default_audience(obj) -> str | None:
    """Village-owned records go up only; upstream-owned ones go to the upstream's whole region."""
    from .identity import local_role, upstream_region

    if len(obj.origin) == 10:
        return None
    return upstream_region() if local_role() == "upstream" else obj.origin


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

    def wire_fields(self) -> list:
        """Concrete fields that travel: not the sync bookkeeping, not local timestamps."""
        skip = {"id", "origin", "rev", *self.exclude, *self.files}
        out = []
        for f in self.model._meta.concrete_fields:
            if f.name in skip or getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                continue
            out.append(f)
        return out


_registry: dict[str, SyncSpec] = {}


def register(
    model,
    *,
    audience: Callable[[Any], str | None] | None = None,
    files: dict[str, FileAdapter] | None = None,
    exclude: tuple[str, ...] = (),
    version: int = 1,
    blob_priority: int = 5,
) -> SyncSpec:
    """Declare that ``model`` (a SyncedRecord subclass) syncs."""
    from .records import SyncedRecord

    if not issubclass(model, SyncedRecord):
        raise TypeError(f"{model.__name__} must subclass hub.sync.records.SyncedRecord")
    spec = SyncSpec(
        model=model,
        label=model._meta.label_lower,
        version=version,
        audience=audience or default_audience,
        files=dict(files or {}),
        exclude=tuple(exclude),
        blob_priority=blob_priority,
    )
    _registry[spec.label] = spec
    return spec


def spec_for(label_or_model) -> SyncSpec | None:
    if not isinstance(label_or_model, str):
        label_or_model = label_or_model._meta.label_lower
    return _registry.get(label_or_model)


def all_specs() -> list[SyncSpec]:
    return list(_registry.values())


def nodes_last_synced(codes) -> dict[str, Any]:
    """When each village (by code) last reached this upstream: ``{code: datetime}``, for
    domain pages that show how fresh a village's data is (a village never seen is absent)."""
    from .models import Node

    return dict(
        Node.objects.filter(code__in=list(codes), last_seen_at__isnull=False).values_list(
            "code", "last_seen_at"
        )
    )


@contextlib.contextmanager
def received_from_origin():
    """Write records of another origin here as if they had just arrived from it: the ``origin``
    and ``rev`` given are kept and the journal row is written, exactly as when a change from the
    network or a bundle is applied. For demo data and fixtures of upstream-owned records only;
    an edit by hand must never use it (only the origin changes a record)."""
    from .journal import applying

    with applying():
        yield
