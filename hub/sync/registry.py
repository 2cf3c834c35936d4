"""What syncs and to whom: filled by domain apps from ``AppConfig.ready()`` (one of the two
modules domain apps may import from the engine; the other is :mod:`hub.sync.records`).

``register(Model, owner=…, audience=…, files=…)``. ``owner`` (required) says which role writes
such records: ``"upstream"``, ``"village"`` or ``"either"``; applying a change refuses a record
of the other role (a village cannot plant a category in the province market). The audience of
a record is a Kemendagri code prefix:
``""`` every village, ``"63"`` a province, ``"6301"`` a kabupaten, ``"6301012001"`` one village;
``None`` means the record goes up to the upstream and no further (the default for village-owned
records). Files are referenced by SHA-256 through a :class:`FileAdapter` the domain app provides,
so the engine never needs to know what an image or a PDF is.
"""

from collections.abc import Callable
from typing import Any

from .core.journal import received_from_origin
from .core.specs import (
    OWNERS,
    FileAdapter,
    SyncSpec,
    all_specs,
    default_audience,
    records_applied,
    spec_add,
    spec_for,
)
from .models import Node
from .records import SyncedRecord

__all__ = [
    "FileAdapter",
    "SyncSpec",
    "all_specs",
    "default_audience",
    "nodes_last_synced",
    "received_from_origin",
    "records_applied",
    "register",
    "spec_for",
]


def register(
    model,
    *,
    owner: str,
    audience: Callable[[Any], str | None] | None = None,
    files: dict[str, FileAdapter] | None = None,
    exclude: tuple[str, ...] = (),
    version: int = 1,
    blob_priority: int = 5,
) -> SyncSpec:
    """Declare that ``model`` (a SyncedRecord subclass) syncs."""
    if not issubclass(model, SyncedRecord):
        raise TypeError(f"{model.__name__} must subclass hub.sync.records.SyncedRecord")
    if owner not in OWNERS:
        raise ValueError(
            f"{model.__name__}: owner must be one of {', '.join(OWNERS)}, not {owner!r}"
        )
    return spec_add(
        SyncSpec(
            model=model,
            label=model._meta.label_lower,
            version=version,
            audience=audience or default_audience,
            files=dict(files or {}),
            exclude=tuple(exclude),
            blob_priority=blob_priority,
            owner=owner,
        )
    )


def nodes_last_synced(codes) -> dict[str, Any]:
    """When each village (by code) last reached this upstream: ``{code: datetime}``, for
    domain pages that show how fresh a village's data is (a village never seen is absent)."""
    return dict(
        Node.objects.filter(code__in=list(codes), last_seen_at__isnull=False).values_list(
            "code", "last_seen_at"
        )
    )
