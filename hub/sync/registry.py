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

``register_heartbeat_fact(name, provider, kind=…, label=…)``: a small value a domain adds to the
village's heartbeat (the certificate's expiry, say), read by the upstream's fleet view and by
the domain's own upstream pages through :func:`nodes_heartbeat_facts`.
"""

import datetime
import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
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
    "HeartbeatFact",
    "SyncSpec",
    "all_specs",
    "default_audience",
    "heartbeat_facts",
    "nodes_heartbeat_facts",
    "nodes_last_synced",
    "received_from_origin",
    "records_applied",
    "register",
    "register_heartbeat_fact",
    "spec_for",
]

logger = logging.getLogger(__name__)


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


# Heartbeat facts. The heartbeat crosses a satellite link with every push and is stored as it
# came on the upstream's node row, so what a domain may add is small and checked on both sides:
# scalars of a declared kind, a bounded number of them, names from this registry only.
FACT_KINDS = ("datetime", "number", "text", "warning")
FACT_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
FACTS_MAX = 16
FACT_TEXT_MAX = 100
# numbers a JSON reader anywhere (a browser, jsonb) keeps exact
FACT_NUMBER_MAX = 2**53


@dataclass(frozen=True)
class HeartbeatFact:
    """One value in the heartbeat's ``facts``: ``provider()`` is called on the village for
    each heartbeat; ``kind`` says what the upstream accepts (``datetime``: an aware datetime,
    sent as ISO 8601 in UTC; ``number``: an int or float; ``text``: at most 100 characters;
    ``warning``: true or false, shown as a warning when true); ``label`` names it in the
    upstream's fleet view."""

    name: str
    provider: Callable[[], Any]
    kind: str
    label: Any


_facts: dict[str, HeartbeatFact] = {}


def register_heartbeat_fact(
    name: str, provider: Callable[[], Any], *, kind: str, label: Any
) -> HeartbeatFact:
    """Add ``name`` to the heartbeat (from ``AppConfig.ready()``, on both roles: the upstream
    keeps only the facts it has registered). ``provider`` returns the value, or None to leave
    the fact out; it must be cheap (it runs for every push batch) and never needs the link."""
    if not FACT_NAME_RE.match(name):
        raise ValueError(f"heartbeat fact {name!r}: a name is [a-z][a-z0-9_]*, 40 at most")
    if kind not in FACT_KINDS:
        raise ValueError(f"heartbeat fact {name!r}: kind must be one of {', '.join(FACT_KINDS)}")
    if name not in _facts and len(_facts) >= FACTS_MAX:
        raise ValueError(f"heartbeat fact {name!r}: {FACTS_MAX} facts at most")
    fact = HeartbeatFact(name=name, provider=provider, kind=kind, label=label)
    _facts[name] = fact
    return fact


def heartbeat_facts() -> list[HeartbeatFact]:
    return list(_facts.values())


def fact_value_clean(kind: str, value: Any) -> Any:
    """``value`` as the heartbeat carries it, or None when it is not a valid ``kind``."""
    if kind == "warning":
        return value if type(value) is bool else None
    if kind == "number":
        if type(value) is int and -FACT_NUMBER_MAX <= value <= FACT_NUMBER_MAX:
            return value
        if type(value) is float and math.isfinite(value):
            return value
        return None
    if kind == "text":
        if not isinstance(value, str) or len(value) > FACT_TEXT_MAX:
            return None
        return value.replace("\x00", "")
    if kind == "datetime":
        if isinstance(value, str) and len(value) <= 40:
            try:
                value = datetime.datetime.fromisoformat(value)
            except ValueError:
                return None
        if not isinstance(value, datetime.datetime) or value.tzinfo is None:
            return None
        return value.astimezone(datetime.UTC).isoformat(timespec="seconds")
    return None


def heartbeat_facts_collect() -> dict[str, Any]:
    """The village's side: every registered fact's current value. A provider that fails or
    returns something of another kind is left out and logged: a domain's fault never stops a
    sync."""
    facts = {}
    for fact in _facts.values():
        try:
            raw = fact.provider()
        except Exception:  # a domain's bug: logged, the heartbeat goes without it
            logger.exception("sync: heartbeat fact %s failed", fact.name)
            continue
        if raw is None:
            continue
        value = fact_value_clean(fact.kind, raw)
        if value is None:
            logger.warning("sync: heartbeat fact %s is not a %s: %r", fact.name, fact.kind, raw)
            continue
        facts[fact.name] = value
    return facts


def heartbeat_facts_clean(data: Any) -> dict[str, Any]:
    """The upstream's side: of what a village sent, the facts registered here with a valid
    value; anything else is dropped."""
    if not isinstance(data, dict):
        return {}
    clean = {}
    for name, fact in _facts.items():
        value = fact_value_clean(fact.kind, data.get(name))
        if value is not None:
            clean[name] = value
    return clean


def heartbeat_facts_display(data: Any) -> list[dict]:
    """The facts of one stored heartbeat for a page: ``{"name", "label", "kind", "value"}``
    each (a ``datetime`` fact's value as a datetime), in registration order."""
    shown = []
    for name, value in heartbeat_facts_clean(data).items():
        fact = _facts[name]
        if fact.kind == "datetime":
            value = datetime.datetime.fromisoformat(value)
        shown.append({"name": name, "label": fact.label, "kind": fact.kind, "value": value})
    return shown


def nodes_heartbeat_facts(*, having: str | None = None) -> dict[str, dict[str, Any]]:
    """Upstream: the facts of each village's last heartbeat, ``{code: {name: value}}`` as
    stored (datetimes as ISO text); ``having``: only villages whose last heartbeat carried that
    fact. A village that sent none is absent."""
    nodes = Node.objects.filter(heartbeat__has_key="facts")
    if having:
        nodes = nodes.filter(heartbeat__facts__has_key=having)
    return {
        code: facts
        for code, facts in nodes.values_list("code", "heartbeat__facts")
        if isinstance(facts, dict)
    }
