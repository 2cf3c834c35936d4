"""Records on the wire: stable JSON, one record per line, zstd-compressed pages.

A record travels as ``{"m": label, "id": uuid, "o": origin, "r": rev, "v": schema version,
"f": {field: value}, "b": {file field: {"sha256", "size", "meta"}}}``; a deletion as
``{"m", "id", "o", "r", "d": 1}``. References to other synced records are their UUIDs (the
foreign key's raw value), references to files are SHA-256 hashes. Keys are sorted and separators
compact, so the same record always encodes to the same bytes (hashable for comparisons).
"""

import hashlib
import json
import math
import uuid
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import models

from ..core.specs import SyncSpec
from .compression import compress_page, decompress_page
from .errors import CorruptPage, DecompressionBomb, WireError

JSON_TYPES = (bool, int, float, str, dict, list)
# a page or batch may not inflate beyond this, whatever its compressed size
MAX_DECOMPRESSED = 64 * 1024 * 1024


def dumps(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def field_to_wire(obj, field):
    value = field.value_from_object(obj)
    if value is None or isinstance(value, JSON_TYPES):
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    return field.value_to_string(obj)


def field_from_wire(field, value):
    if value is None:
        return None
    if isinstance(field, models.ForeignKey):
        return field.target_field.to_python(value)
    try:
        return field.to_python(value)
    except ValidationError as exc:
        raise WireError(f"{field.name}: {'; '.join(exc.messages)}") from exc


def record_to_wire(obj, spec: SyncSpec) -> dict:
    data = {
        "m": spec.label,
        "id": str(obj.pk),
        "o": obj.origin,
        "r": obj.rev,
        "v": spec.version,
        "f": {f.attname: field_to_wire(obj, f) for f in spec.wire_fields()},
    }
    refs = {}
    for name, adapter in spec.files.items():
        refs[name] = adapter.to_wire(obj, name)
    if refs:
        data["b"] = refs
    return data


def tombstone_to_wire(tombstone) -> dict:
    return {
        "m": tombstone.model,
        "id": str(tombstone.uid),
        "o": tombstone.origin,
        "r": tombstone.rev,
        "d": 1,
    }


def content_hash(item: dict) -> str:
    return hashlib.sha256(dumps(item)).hexdigest()


def compress(data: bytes) -> bytes:
    return compress_page(data)


def decompress(data: bytes, *, max_output: int = MAX_DECOMPRESSED) -> bytes:
    """Inflate with a hard output limit (a small bomb cannot allocate gigabytes); the same
    checks as bundle pages (truncated frames, trailing bytes, window size)."""
    try:
        return decompress_page(data, max_output=max_output)
    except (CorruptPage, DecompressionBomb) as exc:
        raise WireError(f"compressed data refused: {exc.reason}") from exc


def encode_page(header: dict, items: Iterable[bytes]) -> bytes:
    """Header line then one encoded record per line, compressed."""
    raw = b"\n".join([dumps(header), *items])
    return compress(raw)


def _not_json(token: str):
    raise ValueError(f"{token} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range")
    return value


def loads(line: bytes):
    """Strict JSON: no NaN or Infinity and no 1e999 (databases' JSON columns refuse them)."""
    return json.loads(line, parse_constant=_not_json, parse_float=_finite)


def decode_page(data: bytes, *, max_output: int = MAX_DECOMPRESSED) -> tuple[dict, list[dict]]:
    raw = decompress(data, max_output=max_output)
    lines = raw.split(b"\n")
    try:
        header = loads(lines[0])
        items = [loads(line) for line in lines[1:] if line.strip()]
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise WireError(f"not NDJSON: {exc}") from exc
    if not isinstance(header, dict) or not all(isinstance(i, dict) for i in items):
        raise WireError("every line must be a JSON object")
    return header, items
