"""Fuzzing the upstream's ``/sync/v1/`` against docs/sync-openapi.yaml.

Endpoints, methods, parameters, body types, documented statuses and JSON schemas all come from
the OpenAPI file, so the description and the code cannot drift apart unnoticed. Hypothesis
sends, in-process through Django's test client against the upstream's views:

- unsigned or garbage requests (any method, path, query, header and body), and requests signed
  correctly and then changed on the way (a header, the body, the path, the method), which must
  all be refused;
- requests correctly signed by an enrolled village whose bodies, parameters and ranges are
  garbage or nearly valid (NDJSON pages of valid records with one or two hostile parts, zstd
  frames cut short, huge and negative numbers, unknown models, random hashes, offsets and
  sizes), which reach the services behind the signature check.

Whatever is sent, the upstream answers below 500, with a status the description lists, signed
(``X-Balai-Signature`` verifies with the upstream key for the request's nonce), and a JSON body
that matches its documented schema (so every JSON error has ``error``). Examples are
derandomized, so CI sees the same ones on every run; each runs in a rolled-back transaction
with the blob store reset, so a failure replays exactly.
"""

import hashlib
import io
import json
import os
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from urllib.parse import quote, urlencode

import jsonschema
import pytest
import yaml
import zstandard
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import transaction
from django.test import RequestFactory
from django.urls import Resolver404, resolve
from http_message_signatures import HTTPMessageVerifier, MappingKeyResolver, algorithms
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from PIL import Image

from hub.media.services import image_from_bytes
from hub.site.models import Announcement
from hub.sync import blobs
from hub.sync import urls as sync_urls
from hub.sync.changes.apply import changes_apply
from hub.sync.models import BlobNeed
from hub.sync.registry import all_specs
from hub.sync.upstream import enrollment
from hub.sync.wire import codec as wire
from hub.sync.wire import httpsig, keys
from hub.sync.wire.signing import (
    HEADER_SERVER_TIME,
    HEADER_SIGNATURE,
    answer_message,
    body_digest,
    new_nonce,
    request_message,
)

NOW = int(time.time())
SPEC_PATH = Path(__file__).resolve().parents[2] / "docs" / "sync-openapi.yaml"
PREFIX = "/sync/v1"
UPSTREAM_CODE = "63"
VILLAGE = "6301012001"
REVOKED = "6301012003"
UNKNOWN = "6301012009"
HTTP_METHODS = ("get", "head", "post", "put", "delete", "patch", "options", "trace")

# Examples per operation in the default suite (derandomized: the same ones every run). A deeper
# run before a protocol change: BALAI_FUZZ_SCALE=4 (the fuzzer's figures before the suite had to fit
# in 10 minutes: 1,000 for the push, 200 for the others and for the refusals).
SCALE = float(os.environ.get("BALAI_FUZZ_SCALE", "1"))
EXAMPLES = {"refusals": 100, "POST /push": 250, "GET /changes": 50, "HEAD /blobs/{sha256}": 25}


def examples(operation_id: str) -> int:
    return max(1, round(EXAMPLES.get(operation_id, 50) * SCALE))


FUZZ = hypothesis_settings(
    max_examples=examples("refusals"),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


# The description ------------------------------------------------------------------------------


def _load_spec() -> dict:
    if not SPEC_PATH.exists():
        pytest.fail(f"{SPEC_PATH} is missing: the fuzzer derives every request from it")
    # libyaml's loader where PyYAML has it: the pure-Python one took 0.4 s in each pytest worker
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(SPEC_PATH.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506


SPEC = _load_spec()


def deref(node, seen=()):
    """The node with every local ``$ref`` inlined (the description has no cycles)."""
    if isinstance(node, dict):
        if "$ref" in node:
            ref = node["$ref"]
            assert ref.startswith("#/") and ref not in seen, ref
            target = SPEC
            for part in ref[2:].split("/"):
                target = target[part]
            return deref(target, (*seen, ref))
        return {key: deref(value, seen) for key, value in node.items()}
    if isinstance(node, list):
        return [deref(value, seen) for value in node]
    return node


class Operation:
    """One method of one described path, with its parameters, body types and responses."""

    def __init__(self, template: str, method: str, parameters, body_types, responses):
        self.template = template  # "/blobs/{sha256}"
        self.method = method  # "PUT"
        self.parameters: list[dict] = parameters
        self.body_types: list[str] = body_types
        self.responses: dict[str, dict] = responses
        self.path_statuses: set[int] = set()  # of every method of the path

    @property
    def id(self) -> str:
        return f"{self.method} {self.template}"

    def __repr__(self) -> str:
        return f"<Operation {self.id}>"

    def statuses(self) -> set[int]:
        return {int(code) for code in self.responses}


def _operations() -> list[Operation]:
    operations = []
    for template, item in deref(SPEC["paths"]).items():
        shared = item.get("parameters", [])
        ops = [
            Operation(
                template=template,
                method=method.upper(),
                parameters=shared + op.get("parameters", []),
                body_types=list((op.get("requestBody") or {}).get("content", {})),
                responses=op["responses"],
            )
            for method, op in item.items()
            if method in HTTP_METHODS
        ]
        every = set().union(*(op.statuses() for op in ops))
        for op in ops:
            op.path_statuses = every
            operations.append(op)
    return operations


OPERATIONS = _operations()
# URL name in hub/sync/urls.py -> path in the description
ROUTES = {
    "push": "/push",
    "changes": "/changes",
    "reseed": "/reseed",
    "blobs_missing": "/blobs/missing",
    "blob": "/blobs/{sha256}",
}
SCHEMAS = deref(SPEC["components"]["schemas"])


def _schemas(node):
    if isinstance(node, dict):
        if isinstance(node.get("schema"), dict):
            yield node["schema"]
        for value in node.values():
            yield from _schemas(value)
    elif isinstance(node, list):
        for value in node:
            yield from _schemas(value)


def test_the_description_covers_every_endpoint_with_valid_schemas():
    # given the URL patterns of the sync app and the description
    described = {op.template for op in OPERATIONS}

    # when they are compared
    # then each endpoint is described, the description invents none, and its schemas are
    # valid JSON Schema (OpenAPI 3.1 uses draft 2020-12)
    assert {ROUTES[p.name] for p in sync_urls.urlpatterns} == described
    for schema in [*SCHEMAS.values(), *_schemas(deref(SPEC["paths"]))]:
        jsonschema.Draft202012Validator.check_schema(schema)
    assert {op.id for op in OPERATIONS} == {
        "POST /push",
        "GET /changes",
        "GET /reseed",
        "POST /reseed",
        "POST /blobs/missing",
        "GET /blobs/{sha256}",
        "HEAD /blobs/{sha256}",
        "PUT /blobs/{sha256}",
    }


# The upstream under test ----------------------------------------------------------------------


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


TEXT_BLOB = b"isi berkas yang bukan gambar\n" * 40
IMAGE_BLOB = _png()
PARTIAL_BLOB = bytes(range(256)) * 8
PARTIAL_HELD = 700
SMALL_BLOB = b"halo"
CONTENTS = {
    hashlib.sha256(data).hexdigest(): data
    for data in (TEXT_BLOB, IMAGE_BLOB, PARTIAL_BLOB, SMALL_BLOB, b"")
}
TEXT_SHA, IMAGE_SHA, PARTIAL_SHA, SMALL_SHA, EMPTY_SHA = CONTENTS
KNOWN_RECORD = "2f1d5a0e-7c1b-4f7e-9a43-1d6f0b9e5c11"
UPSTREAM_RECORD = "9b0c8d52-3d5e-4b1a-8f0e-5a6c7d8e9f00"


@dataclass(repr=False)
class Upstream:
    """What the tests need of the upstream under test: the keys and where its blobs are."""

    village_key: Ed25519PrivateKey
    revoked_key: Ed25519PrivateKey
    public_key: str
    blob_dir: Path
    partial_dir: Path

    def reset_blobs(self) -> None:
        """Back to the fixture's blobs: two stored, one partly uploaded, nothing else."""
        keep = {TEXT_SHA, IMAGE_SHA}
        for path in self.blob_dir.rglob("*"):
            if path.is_file() and path.name not in keep:
                path.unlink()
        for path in self.partial_dir.glob("*"):
            path.unlink()
        (self.partial_dir / f"{PARTIAL_SHA}.part").write_bytes(PARTIAL_BLOB[:PARTIAL_HELD])


@pytest.fixture
def upstream_app(settings, tmp_path, db) -> Upstream:
    """The upstream's views in this process (not tests/sync/conftest.py's real server): its node
    key, one enrolled village, one revoked, a few blobs and records."""
    settings.HUB_ROLE = "upstream"
    settings.SYNC_NODE_CODE = UPSTREAM_CODE
    settings.DATA_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "sync_blobs": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "blobs")},
        },
    }
    settings.SYNC_BLOB_PARTIAL_DIR = tmp_path / "blobs-partial"
    settings.SYNC_BLOB_MAX_BYTES = 1024 * 1024
    upstream_key, _created = keys.node_key_create()
    village_key = Ed25519PrivateKey.generate()
    revoked_key = Ed25519PrivateKey.generate()
    enrollment.village_enroll(
        code=VILLAGE, public_key=keys.public_key_text(village_key.public_key())
    )
    enrollment.village_enroll(
        code=REVOKED, public_key=keys.public_key_text(revoked_key.public_key())
    )
    enrollment.village_revoke(code=REVOKED)
    blobs.put_stream(io.BytesIO(TEXT_BLOB))
    blobs.put_stream(io.BytesIO(IMAGE_BLOB))
    (tmp_path / "blobs-partial").mkdir(exist_ok=True)
    up = Upstream(
        village_key=village_key,
        revoked_key=revoked_key,
        public_key=keys.public_key_text(upstream_key.public_key()),
        blob_dir=tmp_path / "blobs",
        partial_dir=tmp_path / "blobs-partial",
    )
    up.reset_blobs()
    _seed_records()
    return up


def _seed_records() -> None:
    """One record of the village and one of the upstream, so updates, deletions and "another
    origin" refusals are reachable."""
    items = [
        {
            "m": "site.announcement",
            "id": KNOWN_RECORD,
            "o": VILLAGE,
            "r": 3,
            "f": {"title": "Kerja bakti", "publish_at": "2026-01-01T00:00:00+00:00"},
        }
    ]
    result = changes_apply(items, sender=VILLAGE, me=UPSTREAM_CODE, sender_is_upstream=False)
    assert result.applied == 1, result.refused
    # the village may read IMAGE_BLOB (a record addressed to it shows it) and upload the blobs
    # its record waits for, so ranges and uploads get past the access check
    photo = image_from_bytes(data=IMAGE_BLOB, title="Foto", name="foto.png")
    assert photo.sha256 == IMAGE_SHA
    Announcement.objects.create(id=UPSTREAM_RECORD, title="Dari provinsi", image=photo)
    for field_name, sha in zip(("a", "b", "c"), (PARTIAL_SHA, SMALL_SHA, EMPTY_SHA), strict=True):
        BlobNeed.objects.create(
            sha256=sha, model="site.announcement", uid=KNOWN_RECORD, field=field_name
        )


# Requests -------------------------------------------------------------------------------------


@dataclass
class Request:
    method: str
    path: str  # with the query
    body: bytes = b""
    content_type: str = "application/octet-stream"
    headers: dict = field(default_factory=dict)  # HTTP_… / CONTENT_LENGTH environ keys


def signed_path(method: str, path: str) -> str:
    """The path and query as the view will see them (the client re-quotes some characters)."""
    return RequestFactory().generic(method, path).get_full_path()


def sign(
    request: Request,
    *,
    key: Ed25519PrivateKey,
    node: str = VILLAGE,
    stamp: int | None = None,
    nonce: str | None = None,
) -> Request:
    stamp = int(time.time()) if stamp is None else stamp
    nonce = nonce or new_nonce()
    message = request_message(
        method=request.method,
        path=signed_path(request.method, request.path),
        node=node,
        time=stamp,
        nonce=nonce,
        digest=body_digest(request.body),
    )
    request.headers.update(
        {
            "HTTP_X_BALAI_NODE": node,
            "HTTP_X_BALAI_TIME": str(stamp),
            "HTTP_X_BALAI_NONCE": nonce,
            "HTTP_X_BALAI_SIGNATURE": keys.sign(message, key),
        }
    )
    return request


def send(client, request: Request):
    return client.generic(
        request.method,
        request.path,
        request.body,
        content_type=request.content_type,
        **request.headers,
    )


# Answers --------------------------------------------------------------------------------------


def route_of(request: Request) -> str | None:
    """The described path the request reaches, or None (Django's unsigned 404)."""
    path_info = RequestFactory().generic(request.method, request.path).path_info
    try:
        match = resolve(path_info)
    except Resolver404:
        return None
    return ROUTES.get(match.url_name) if match.namespace == "sync" else None


def operation_for(template: str, method: str) -> Operation | None:
    for op in OPERATIONS:
        if op.template == template and op.method == method:
            return op
    return None


def bound_nonce(request: Request) -> str:
    """The nonce an answer is bound to, as the description says: the request's, cut to 32
    characters when a signature header is missing, none when one is too long or has a NUL."""
    get = request.headers.get
    nonce, node = get("HTTP_X_BALAI_NONCE", ""), get("HTTP_X_BALAI_NODE", "")
    signature, stamp = get("HTTP_X_BALAI_SIGNATURE", ""), get("HTTP_X_BALAI_TIME", "")
    if not (nonce and node and signature and stamp):
        return nonce[:32]
    if len(nonce) > 32 or len(node) > 10 or len(signature) > 100 or "\x00" in node + nonce:
        return ""
    return nonce


_VALIDATORS: dict[int, tuple[dict, jsonschema.protocols.Validator]] = {}


def schema_validate(instance, schema: dict) -> None:
    """``jsonschema.validate`` with one validator per schema: ``validate`` checks the schema
    itself again on every call (a third of the fuzzer's time; the description's schemas are
    checked once, by the test of the description above)."""
    cached = _VALIDATORS.get(id(schema))
    if cached is None or cached[0] is not schema:
        validator = jsonschema.validators.validator_for(schema)(schema)
        cached = _VALIDATORS[id(schema)] = (schema, validator)
    cached[1].validate(instance)


def check_answer(up: Upstream, request: Request, response) -> None:
    """What every answer of the upstream must be, whatever the request."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    summary = f"{request.method} {request.path!r:.200} -> {response.status_code} {body[:300]!r}"
    assert response.status_code < 500, summary
    template = route_of(request)
    if template is None:  # not the sync app's: Django's 404 or its APPEND_SLASH redirect
        assert response.status_code in (301, 404), summary
        return
    op = operation_for(template, request.method.upper())
    if op is None:  # a method the path does not take: any status of the path (405 mostly)
        documented = next(o for o in OPERATIONS if o.template == template).path_statuses
    else:
        documented = op.statuses()
    assert response.status_code in documented, f"undocumented status: {summary}"

    signature = response.headers.get(HEADER_SIGNATURE)
    assert signature, f"unsigned answer: {summary}"
    assert response.headers.get(HEADER_SERVER_TIME, "").isdigit(), summary
    if request.method != "HEAD":
        # HEAD answers lose their body on the way; a streamed blob is signed as empty
        signed_body = b"" if response.streaming else body
        message = answer_message(
            nonce=bound_nonce(request), status=response.status_code, digest=body_digest(signed_body)
        )
        assert keys.verify(up.public_key, message, signature), f"bad answer signature: {summary}"

    content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
    if content_type == "application/json" and request.method != "HEAD":
        data = json.loads(body)
        if response.status_code >= 400:
            assert isinstance(data, dict) and "error" in data, summary
        if op:
            schema = op.responses[str(response.status_code)]["content"]["application/json"]
            schema_validate(data, schema["schema"])
    elif content_type == "application/x-ndjson" and request.method != "HEAD":
        assert response.headers["Content-Encoding"] == "zstd", summary
        header, items = wire.decode_page(body)
        name = "PushAnswerHeader" if template == "/push" else "FeedHeader"
        schema_validate(header, SCHEMAS[name])
        for item in items:
            schema_validate(item, SCHEMAS["Deletion" if item.get("d") else "Record"])
    elif response.status_code in (200, 206) and request.method == "GET":
        sha = request.path.split("?")[0].rsplit("/", 1)[-1]
        first = 0
        if response.status_code == 206:
            first = int(response.headers["Content-Range"].split(" ")[1].split("-")[0])
        assert body == CONTENTS[sha][first : first + len(body)], summary
        assert len(body) == int(response.headers["Content-Length"]), summary


# Strategies -----------------------------------------------------------------------------------

# True about one time in eight; a plain ``integers(...) == 0`` would be true far more often,
# as Hypothesis favours the simplest value (0, False, the first element) when it generates
RARELY = st.integers(min_value=0, max_value=7).map(lambda n: n == 5)
HUGE = st.sampled_from(
    [-1, -(2**63) - 1, 2**31 - 1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, 2**64, 10**30, 10**400]
)
INTEGERS = st.one_of(st.integers(min_value=0, max_value=2000), st.integers(), HUGE)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    INTEGERS,
    st.floats(),  # NaN and ±Infinity too: Python's json writes them, as a hostile peer may
    st.text(max_size=20),
)
JSON = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=8), children, max_size=4),
    ),
    max_leaves=12,
)
SHAS = st.one_of(
    st.sampled_from([*CONTENTS, "A" * 64, "0" * 63, "0" * 65, "../" + "0" * 61, ""]),
    st.from_regex(r"[0-9a-f]{64}", fullmatch=True),
    st.text(max_size=70),
)
SPECS = all_specs()
LABELS = [spec.label for spec in SPECS]


def line(value) -> bytes:
    # ASCII escapes let lone surrogates through, as a hostile peer could send them
    return json.dumps(value, sort_keys=True).encode()


def _place(value, path: tuple, new):
    """``value`` with ``new`` at ``path`` (dictionaries made on the way as needed)."""
    if not path:
        return new
    if not isinstance(value, dict):
        value = {}
    value[path[0]] = _place(value.get(path[0]), path[1:], new)
    return value


@st.composite
def mutated(draw, valid: st.SearchStrategy, mutations: list[tuple[tuple, st.SearchStrategy]]):
    """A ``valid`` value, half the time with one or two of its parts replaced by hostile ones.

    A valid baseline is what gets a fuzzed value past the first checks and into the code
    behind them; Hypothesis shrinks a failure to the one or two parts that matter.
    """
    value = draw(valid)
    for _ in range(draw(st.sampled_from([0, 0, 1, 2]))):
        path, hostile = draw(st.sampled_from(mutations))
        path = tuple(draw(p) if isinstance(p, st.SearchStrategy) else p for p in path)
        value = _place(value, path, draw(hostile))
    return value


def _plausible(f) -> st.SearchStrategy:
    kind = type(f).__name__
    if f.null:
        return st.none()  # an optional end date after a random start would only be refused
    if kind == "DateTimeField":
        return st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat())
    if kind == "BooleanField":
        return st.booleans()
    if getattr(f, "choices", None):
        return st.sampled_from([choice for choice, _label in f.choices])
    return st.text(min_size=1, max_size=60)


META_NAMES = st.sampled_from(["foto.png", ".", "..", "", "a/../../b.png", "x\x00.png", "é" * 300])
# beyond what a database column holds, not a whole number, not a number
HOSTILE_INTEGERS = st.one_of(HUGE, st.integers(min_value=2**63), st.floats(), JSON)
MISSING_SHA = "ab" * 32
VALID_FILE_REFS = st.sampled_from([MISSING_SHA, IMAGE_SHA, PARTIAL_SHA, TEXT_SHA]).map(
    lambda sha: {
        "sha256": sha,
        "size": len(CONTENTS.get(sha, b"")),
        "meta": {"name": "foto.png", "title": "Foto", "focal": [None, None, None, None]},
    }
)


def records_of(spec) -> st.SearchStrategy:
    """Records and deletions of one synced model: valid, then partly hostile."""
    fields = {f.attname: _plausible(f) for f in spec.wire_fields()}
    common = {
        "m": st.just(spec.label),
        "id": st.one_of(st.uuids().map(str), st.sampled_from([KNOWN_RECORD, UPSTREAM_RECORD])),
        "o": st.just(VILLAGE),
        "r": st.integers(min_value=1, max_value=9),
    }
    files = dict.fromkeys(spec.files, VALID_FILE_REFS)
    record = st.fixed_dictionaries(
        {**common, "f": st.fixed_dictionaries(fields), "b": st.fixed_dictionaries(files)}
    )
    deletion = st.fixed_dictionaries({**common, "d": st.just(1)})
    file = st.sampled_from(sorted(spec.files))
    # The first seven make sense for deletions too. Some are listed twice, to be tried more
    # often: numbers beyond a column's range are what databases choke on.
    mutations = [
        (("m",), st.one_of(st.sampled_from(LABELS + ["sync.node", "auth.user"]), JSON)),
        (("id",), st.one_of(st.text(max_size=40), JSON)),
        (("o",), st.one_of(st.sampled_from([REVOKED, UPSTREAM_CODE, "", "1" * 11]), JSON)),
        (("r",), HOSTILE_INTEGERS),
        (("r",), HOSTILE_INTEGERS),
        (("v",), st.one_of(st.integers(min_value=-1, max_value=3), JSON)),
        (("d",), JSON),
        (("f",), JSON),
        (("f", st.sampled_from(sorted(fields))), JSON),
        (("b",), JSON),
        (("b", file), JSON),
        (("b", file, "sha256"), SHAS),
        (("b", file, "size"), HOSTILE_INTEGERS),
        (("b", file, "size"), HOSTILE_INTEGERS),
        (("b", file, "meta"), JSON),
        (("b", file, "meta", "name"), st.one_of(META_NAMES, JSON)),
        (("b", file, "meta", "focal"), st.lists(INTEGERS, max_size=5)),
    ]
    if not spec.files:
        mutations = mutations[:9]
    return st.one_of(mutated(record, mutations), mutated(deletion, mutations[:7]))


RECORDS = st.one_of([records_of(spec) for spec in SPECS])
PUSH_HEADERS = mutated(
    st.builds(
        lambda after, count, cursor: {
            "batch": {"after": after, "to": after + count},
            "cursor": cursor,
            "heartbeat": {
                "version": "1",
                "role": "village",
                "disk_free": 10**9,
                "time": NOW,
                # what domains register (hub.sync.registry.register_heartbeat_fact)
                "facts": {"cert_not_after": "2026-01-09T03:12:40+00:00", "cert_warn": False},
            },
        },
        st.integers(min_value=0, max_value=1000),
        st.integers(min_value=0, max_value=50),
        st.integers(min_value=0, max_value=1000),
    ),
    [
        ((), JSON),
        (("batch",), JSON),
        (("batch", "after"), st.one_of(st.just(-1), HOSTILE_INTEGERS)),
        (("batch", "to"), st.one_of(st.just(-1), HOSTILE_INTEGERS)),
        (("cursor",), st.one_of(st.just(-1), HOSTILE_INTEGERS)),
        (("heartbeat",), JSON),
        (("heartbeat", "disk_free"), HOSTILE_INTEGERS),
        (("heartbeat", "last_errors"), st.one_of(st.lists(st.text(max_size=400)), JSON)),
        (("heartbeat", "backlog"), JSON),
        (("heartbeat", "facts"), JSON),
        (("heartbeat", "facts", st.sampled_from(["cert_not_after", "cert_warn"])), JSON),
    ],
)


GARBAGE_LINES = st.one_of(
    st.binary(max_size=40),
    st.sampled_from([b"NaN", b"Infinity", b"1e999", b'"\\ud800"', b"\xff\xfe", b"{}{}", b" "]),
    st.integers(min_value=1, max_value=300_000).map(lambda n: b"[" * n + b"]" * (n % 3)),
)


def _streamed(data: bytes) -> bytes:
    # a frame without its content size, as a streaming compressor writes it
    compressor = zstandard.ZstdCompressor().compressobj()
    return compressor.compress(data) + compressor.flush()


BAD_COMPRESSIONS = st.sampled_from(
    [
        _streamed,
        lambda data: wire.compress(data) + b"\0",
        lambda data: wire.compress(data)[:-3],
        lambda data: wire.compress(data) * 2,
        lambda data: data,
    ]
)


@st.composite
def push_bodies(draw) -> bytes:
    """Mostly well-framed pages of nearly valid records, so the fuzz reaches the apply code."""
    lines = [line(draw(PUSH_HEADERS))]
    items = st.one_of(st.lists(RECORDS, min_size=1, max_size=3), st.just([]))
    lines += [line(item) for item in draw(items)]
    if draw(RARELY):
        garbage = st.one_of(GARBAGE_LINES, JSON.map(line))
        lines.insert(draw(st.integers(0, len(lines))), draw(garbage))
    compress = draw(BAD_COMPRESSIONS) if draw(RARELY) else wire.compress
    return compress(b"\n".join(lines))


MISSING_BODIES = st.one_of(
    st.fixed_dictionaries({"sha256": st.lists(SHAS, max_size=8)}).map(line),
    # at the limit of 1000 hashes, and one over
    st.integers(min_value=999, max_value=1001).map(
        lambda n: line({"sha256": [f"{i:064x}" for i in range(n)]})
    ),
    JSON.map(line),
    GARBAGE_LINES,
    st.binary(max_size=64),
)
BODIES = {
    "application/x-ndjson": st.one_of(
        push_bodies(), push_bodies(), push_bodies(), st.binary(max_size=64)
    ),
    "application/json": MISSING_BODIES,
    "application/octet-stream": st.binary(max_size=64),
}


def parameter_values(schema: dict) -> st.SearchStrategy:
    """Text for a query or path parameter: valid for its schema now and then, else garbage."""
    garbage = st.one_of(
        st.text(max_size=30),
        INTEGERS.map(str),
        st.sampled_from(["", "-0", "1_000", "0x10", " 7", "1e3", "٣", "9" * 5000]),
    )
    if schema.get("type") == "integer":
        valid = st.integers(min_value=schema.get("minimum"), max_value=schema.get("maximum"))
        return st.one_of(valid.map(str), garbage)
    if "pattern" in schema:
        return st.one_of(SHAS, st.from_regex(schema["pattern"], fullmatch=True), garbage)
    return garbage


@st.composite
def uploads(draw) -> tuple[str, dict, bytes]:
    """A PUT that continues a known blob where the upstream holds it, more or less."""
    sha = draw(st.sampled_from([PARTIAL_SHA, SMALL_SHA, EMPTY_SHA, TEXT_SHA]))
    data = CONTENTS[sha]
    offset = PARTIAL_HELD if sha == PARTIAL_SHA else 0
    offset = draw(st.one_of(st.just(offset), st.integers(min_value=-2, max_value=len(data) + 2)))
    end = draw(st.integers(min_value=max(offset, 0), max_value=len(data) + 2))
    chunk = data[max(offset, 0) : end]
    if draw(RARELY):
        chunk = chunk[::-1]  # the right length, the wrong bytes: a hash mismatch at the end
    size = draw(st.one_of(st.just(len(data)), INTEGERS))
    return sha, {"offset": str(offset), "size": str(size)}, chunk


RANGES = st.one_of(
    st.none(),
    st.sampled_from(["bytes=0-", "bytes=5-", "bytes=-5", "bytes=0-0", "bytes=5-2", "bytes=-0"]),
    st.sampled_from(["bytes=0-1,3-4", "items=0-5", "bytes", "bytes=abc", "bytes=99999999-"]),
    st.tuples(INTEGERS, INTEGERS).map(lambda r: f"bytes={r[0]}-{r[1]}"),
    st.text(max_size=20),
)


@st.composite
def operation_requests(draw, op: Operation) -> Request:
    """A request for ``op`` with fuzzed parameters, headers and body (signed by the caller)."""
    path = op.template
    query = {}
    for param in op.parameters:
        if param["in"] == "path":
            value = draw(parameter_values(param["schema"]))
            path = path.replace("{" + param["name"] + "}", quote(value, safe=""))
        elif param["in"] == "query" and (param.get("required") or draw(st.booleans())):
            query[param["name"]] = draw(parameter_values(param["schema"]))
    content_type = draw(st.sampled_from(op.body_types)) if op.body_types else "text/plain"
    body = draw(BODIES[content_type]) if op.body_types else b""
    if op.method == "PUT" and draw(st.booleans()):
        sha, query, body = draw(uploads())
        path = op.template.replace("{sha256}", sha)
    if draw(RARELY):
        query.update(draw(st.dictionaries(st.text(max_size=8), st.text(max_size=12), max_size=3)))
    headers = {}
    if op.method in ("GET", "HEAD"):
        if (value := draw(RANGES)) is not None:
            headers["HTTP_RANGE"] = value
        if draw(RARELY):
            headers["HTTP_IF_RANGE"] = draw(st.sampled_from(['"x"', f'"{IMAGE_SHA}"', "W/1"]))
    method = op.method
    if draw(RARELY):
        method = draw(st.sampled_from(["DELETE", "PATCH", "OPTIONS", "GET", "POST", "PUT"]))
    full = PREFIX + path + ("?" + urlencode(query) if query else "")
    return Request(method, full, body, content_type, headers)


BALAI_HEADERS = {
    "HTTP_X_BALAI_NODE": st.one_of(
        st.sampled_from([VILLAGE, REVOKED, UNKNOWN, "", "6301012001" * 2]), st.text(max_size=12)
    ),
    "HTTP_X_BALAI_TIME": st.one_of(
        st.sampled_from([str(NOW), str(NOW - 10**6), "9" * 400, "-" + "9" * 30, "", "1.5"]),
        INTEGERS.map(str),
        st.text(max_size=25),
    ),
    "HTTP_X_BALAI_NONCE": st.one_of(st.text(min_size=1, max_size=40), st.just("n" * 33)),
    "HTTP_X_BALAI_SIGNATURE": st.one_of(
        st.text(max_size=110),
        st.binary(min_size=64, max_size=64).map(keys.b64e),
    ),
    "HTTP_RANGE": RANGES.filter(bool),
    # real servers refuse a length that lies about the body; the test client cannot send one
    # longer than its body, so: not a number, negative, zero or over the limit
    "CONTENT_LENGTH": st.sampled_from(["abc", "-1", "0", "", "1e3", str(2**21 + 1), "9" * 30]),
}


@st.composite
def unsigned_requests(draw) -> Request:
    """Anything: a described operation or a random path, with random headers and body."""
    if draw(st.booleans()):
        request = draw(operation_requests(draw(st.sampled_from(OPERATIONS))))
    else:
        tail = draw(
            st.one_of(
                st.sampled_from(["push/", "blobs/", "blobs/a/b", "changes/x", "", "blobs/%00"]),
                st.text(alphabet="abcdef0123456789/%.-_?&=~", max_size=80),
            )
        )
        request = Request("GET", f"{PREFIX}/{tail}", draw(st.binary(max_size=64)))
    request.method = draw(
        st.one_of(
            st.just(request.method),
            st.sampled_from(["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]),
            st.from_regex(r"[A-Z]{1,10}", fullmatch=True),
        )
    )
    request.headers.update(draw(st.fixed_dictionaries({}, optional=BALAI_HEADERS)))
    return request


# The fuzzers ----------------------------------------------------------------------------------


def exchange(client, up: Upstream, request: Request) -> None:
    """Send one request in a transaction rolled back afterwards, from a known blob store."""
    up.reset_blobs()
    with transaction.atomic():
        response = send(client, request)
        check_answer(up, request, response)
        transaction.set_rollback(True)


# After a valid signature, one part of the request changed: which header, and to what.
TAMPERINGS = st.one_of(
    st.none(),
    st.tuples(st.sampled_from(sorted(BALAI_HEADERS)), st.data()),
    st.tuples(st.sampled_from(["body", "path", "method"]), st.data()),
)


def tamper(request: Request, up: Upstream, tampering) -> None:
    """Sign ``request`` as the enrolled village (or the revoked one), then change one part."""
    if tampering is None:
        return
    what, data = tampering
    revoked = data.draw(RARELY)
    sign(
        request,
        key=up.revoked_key if revoked else up.village_key,
        node=REVOKED if revoked else VILLAGE,
    )
    if what in BALAI_HEADERS:
        request.headers[what] = data.draw(BALAI_HEADERS[what])
    elif what == "body":
        request.body = data.draw(st.binary(max_size=64))
    elif what == "path":
        request.path += data.draw(st.sampled_from(["?", "&x=1", "x", "/"]))
    else:
        request.method = data.draw(st.sampled_from(["GET", "POST", "PUT", "HEAD", "PATCH"]))


@pytest.mark.django_db
@FUZZ
@given(request=unsigned_requests(), tampering=TAMPERINGS)
def test_unsigned_and_tampered_requests_are_refused_cleanly(
    upstream_app, client, request, tampering
):
    # given a request that is not signed, or was signed and then changed on the way
    tamper(request, upstream_app, tampering)

    # when it reaches the upstream
    # then the answer is a documented refusal, signed, never a server error
    exchange(client, upstream_app, request)


# The push carries the records, where most of the code behind the signature is.


@pytest.mark.django_db
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.id)
def test_signed_requests_with_garbage_never_fail(upstream_app, client, operation):
    @hypothesis_settings(FUZZ, max_examples=examples(operation.id))
    @given(data=st.data())
    def fuzz(data):
        # given a request correctly signed by an enrolled village, carrying fuzzed input
        request = sign(data.draw(operation_requests(operation)), key=upstream_app.village_key)

        # when it reaches the upstream
        # then the answer is documented, signed for this request, and never a server error
        exchange(client, upstream_app, request)

    fuzz()


# Protocol 2 (RFC 9421) ------------------------------------------------------------------------

V2_PREFIX = "/sync/v2"
GENERATION = "0123456789abcdef"
V2_HEADERS = {
    "HTTP_SIGNATURE_INPUT": st.one_of(
        st.text(max_size=300),
        st.sampled_from(
            [
                "",
                'balai=("@method");created=1;keyid="6301012001";nonce="n"',
                'balai=("@method" "@target-uri" "balai-generation" "content-digest")'
                ';created=99999999999999999999;keyid="6301012001";nonce="n";tag="balai-sync"',
                'balai=();created=1764000000;keyid="6301012009";nonce="x";tag="balai-sync"',
                'balai=();created=1764000000;keyid="6301012003";nonce="x";tag="balai-sync"',
                'balai=();created="1";keyid=6301012001;nonce="x"',
                'other=("@method");created=1;keyid="6301012001";nonce="n"',
                'balai=("@method");created=1;keyid="6301012001";nonce="' + "n" * 40 + '"',
                'balai=("@method");created=1;keyid="6301012001\x00";nonce="n"',
            ]
        ),
    ),
    "HTTP_SIGNATURE": st.one_of(
        st.text(max_size=120),
        st.sampled_from(["balai=:AAAA:", "balai=:" + "A" * 88 + ":", "balai=?1", "balai"]),
    ),
    "HTTP_CONTENT_DIGEST": st.one_of(
        st.text(max_size=80),
        st.sampled_from(["sha-256=:AAAA:", "md5=:AAAAAAAAAAAAAAAAAAAAAA==:", "sha-256=?0"]),
    ),
    "HTTP_BALAI_GENERATION": st.one_of(
        st.text(max_size=20),
        st.sampled_from(["", "fedcba9876543210", "0" * 17, "ABCDEF0123456789"]),
    ),
}


def sign_v2(request: Request, *, key: Ed25519PrivateKey, node: str = VILLAGE) -> Request:
    headers = {httpsig.HEADER_GENERATION: GENERATION}
    httpsig.request_sign(
        method=request.method,
        url="http://testserver" + signed_path(request.method, request.path),
        headers=headers,
        body=request.body,
        key_id=node,
        key=key,
        created=int(time.time()),
        nonce=httpsig.new_nonce(),
    )
    request.headers.update({"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()})
    return request


def check_answer_v2(up: Upstream, request: Request, response) -> None:
    """A v2 answer: documented, never a server error, and signed by the upstream in the RFC 9421
    form (bound to the request when its signature could be read, which a 200 needs)."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    summary = f"{request.method} {request.path!r:.200} -> {response.status_code} {body[:300]!r}"
    assert response.status_code < 500, summary
    path_info = RequestFactory().generic(request.method, request.path).path_info
    try:
        match = resolve(path_info)
    except Resolver404:
        match = None
    if match is None or match.namespace != "sync_v2":  # Django's 404 or APPEND_SLASH redirect
        assert response.status_code in (301, 404), summary
        return
    op = operation_for(request.path.split("?")[0].removeprefix(V2_PREFIX), request.method)
    if op is not None:
        assert response.status_code in op.statuses(), f"undocumented status: {summary}"
    sent = {
        key.removeprefix("HTTP_").replace("_", "-").title(): value
        for key, value in request.headers.items()
        if key.startswith("HTTP_")
    }
    url = "http://testserver" + signed_path(request.method, request.path)
    verifier = HTTPMessageVerifier(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(
            public_keys={UPSTREAM_CODE: keys.parse_public_key(up.public_key)}, private_keys={}
        ),
    )
    required = httpsig.ANSWER_COMPONENTS if response.status_code == 200 else ()
    verifier.verify(
        httpsig.Answer(response.status_code, response.headers, httpsig.Request(
            request.method, url, sent)),
        body=body,
        max_age=None,
        expect_tag=httpsig.TAG,
        expect_label=httpsig.LABEL,
        require_components=required or httpsig.UNBOUND_ANSWER_COMPONENTS,
    )  # fmt: skip


@pytest.mark.django_db
@FUZZ
@given(
    path=st.sampled_from(
        ["/changes?after=0", "/push", "/blobs/missing", "/reseed", "/reseed?after=0"]
    ),
    what=st.sampled_from([None, "body", "path", *sorted(V2_HEADERS)]),
    data=st.data(),
)
def test_v2_requests_unsigned_or_changed_on_the_way_are_refused_cleanly(
    upstream_app, client, path, what, data
):
    # given a v2 request signed by the enrolled village (or by the revoked one, or not at all),
    # then one part of it changed on the way
    method = "GET" if "?after=" in path else "POST"
    request = Request(method, V2_PREFIX + path, b"", "application/octet-stream")
    if not data.draw(RARELY):
        revoked = data.draw(RARELY)
        sign_v2(
            request,
            key=upstream_app.revoked_key if revoked else upstream_app.village_key,
            node=REVOKED if revoked else VILLAGE,
        )
    if what in V2_HEADERS:
        request.headers[what] = data.draw(V2_HEADERS[what])
    elif what == "body":
        request.body = data.draw(st.binary(min_size=1, max_size=64))
    elif what == "path":
        request.path += data.draw(st.sampled_from(["?x=1", "&x=1"]))

    # when it reaches the upstream
    # then the answer is documented, signed in the RFC 9421 form, never a server error
    upstream_app.reset_blobs()
    with transaction.atomic():
        response = send(client, request)
        check_answer_v2(upstream_app, request, response)
        transaction.set_rollback(True)


# Examples the fuzzer found -------------------------------------------------------------------

EMPTY_PAGE = wire.compress(line({}))


def _record(**item) -> bytes:
    base = {"m": "site.announcement", "id": str(uuid.uuid4()), "o": VILLAGE, "r": 1}
    return wire.compress(line({}) + b"\n" + line({**base, **item}))


FOUND = {
    "content-length-not-a-number": ("POST", "/push", EMPTY_PAGE, {"CONTENT_LENGTH": "abc"}),
    "time-beyond-a-float": ("GET", "/changes", b"", {"stamp": 10**400}),
    "missing-nested-json": ("POST", "/blobs/missing", b"[" * 100_000, {}),
    "push-nested-json": ("POST", "/push", wire.compress(b"[" * 100_000), {}),
    "batch-not-an-object": ("POST", "/push", wire.compress(line({"batch": [1]})), {}),
    "batch-to-beyond-bigint": (
        "POST",
        "/push",
        wire.compress(line({"batch": {"after": 0, "to": 2**63}})),
        {},
    ),
    "batch-after-false": (
        "POST",
        "/push",
        wire.compress(line({"batch": {"after": False, "to": 2}, "cursor": True})),
        {},
    ),
    "heartbeat-nan": ("POST", "/push", wire.compress(b'{"heartbeat":{"disk_free":NaN}}'), {}),
    "files-not-an-object": ("POST", "/push", _record(f={"title": "x"}, b=[1]), {}),
    "file-ref-not-an-object": ("POST", "/push", _record(f={"title": "x"}, b={"image": "x"}), {}),
    "deletion-rev-beyond-bigint": ("POST", "/push", _record(r=2**63, d=1), {}),
    "file-size-beyond-bigint": (
        "POST",
        "/push",
        _record(f={"title": "x"}, b={"image": {"sha256": "a" * 64, "size": 2**63}}),
        {},
    ),
    "file-size-infinite": (
        "POST",
        "/push",
        wire.compress(
            line({}) + b'\n{"m":"site.announcement","id":"%s","o":"%s","r":1,"f":{"title":"x"},'
            b'"b":{"image":{"sha256":"%s","size":1e999}}}'
            % (str(uuid.uuid4()).encode(), VILLAGE.encode(), b"a" * 64)
        ),
        {},
    ),
    "file-name-dot": (
        "POST",
        "/push",
        _record(f={"title": "x"}, b={"image": {"sha256": IMAGE_SHA, "meta": {"name": "."}}}),
        {},
    ),
    "file-meta-not-an-object": (
        "POST",
        "/push",
        _record(f={"title": "x"}, b={"image": {"sha256": IMAGE_SHA, "meta": [1]}}),
        {},
    ),
    "file-not-an-image": (
        "POST",
        "/push",
        _record(f={"title": "x"}, b={"image": {"sha256": TEXT_SHA, "size": len(TEXT_BLOB)}}),
        {},
    ),
    "schema-version-not-a-number": ("POST", "/push", _record(f={"title": "x"}, v="2"), {}),
    # PostgreSQL only (jsonb refuses \u0000): passes on SQLite, kept for a run on PostgreSQL
    "heartbeat-nul": ("POST", "/push", wire.compress(line({"heartbeat": {"version": "\0"}})), {}),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", list(FOUND))
def test_inputs_that_once_broke_the_upstream_are_refused_cleanly(upstream_app, client, case):
    # given a signed request that once made the upstream fail (found by the fuzzer above, or
    # by reading the code: a few need two hostile parts at once, which the fuzz rarely draws)
    method, route, body, extra = FOUND[case]
    extra = dict(extra)
    stamp = extra.pop("stamp", None)
    request = Request(method, PREFIX + route, body, headers=extra)
    request = sign(request, key=upstream_app.village_key, stamp=stamp)
    request.headers.update(extra)

    # when it is sent
    # then the answer is documented and signed
    exchange(client, upstream_app, request)


# The signature, one rule at a time -------------------------------------------------------------


def _changes(up: Upstream, **kwargs) -> Request:
    return sign(Request("GET", f"{PREFIX}/changes?after=0"), key=up.village_key, **kwargs)


def _error(response) -> dict:
    assert response.headers["Content-Type"] == "application/json"
    return json.loads(response.content)


@pytest.mark.django_db
def test_a_replayed_request_is_refused(upstream_app, client):
    # given a signed request the upstream has answered
    request = _changes(upstream_app)
    assert send(client, request).status_code == 200

    # when the same bytes are sent again
    response = send(client, request)

    # then it is refused as a replay, in a signed answer bound to its nonce
    assert response.status_code == 401
    assert _error(response)["error"] == "replay"
    check_answer(upstream_app, request, response)


@pytest.mark.django_db
def test_a_tampered_body_is_refused(upstream_app, client):
    # given a push signed for one body
    request = sign(
        Request("POST", f"{PREFIX}/push", EMPTY_PAGE, "application/x-ndjson"),
        key=upstream_app.village_key,
    )

    # when another body travels under its signature
    request.body = wire.compress(line({"cursor": 5}))
    response = send(client, request)

    # then the signature does not match
    assert response.status_code == 401
    assert _error(response)["error"] == "bad_signature"
    check_answer(upstream_app, request, response)


@pytest.mark.django_db
def test_a_stale_request_is_refused_with_the_servers_time(upstream_app, client, settings):
    # given a village whose clock is an hour behind
    stamp = int(time.time()) - settings.SYNC_CLOCK_WINDOW - 3600

    # when it sends a correctly signed request
    request = _changes(upstream_app, stamp=stamp)
    response = send(client, request)

    # then it is refused as stale, and told the upstream's time to retry with
    assert response.status_code == 401
    error = _error(response)
    assert error["error"] == "stale"
    assert abs(error["server_time"] - time.time()) < 60
    assert abs(int(response.headers[HEADER_SERVER_TIME]) - time.time()) < 60
    check_answer(upstream_app, request, response)


@pytest.mark.django_db
def test_an_unknown_node_is_refused(upstream_app, client):
    # given a key no one enrolled
    stranger = Ed25519PrivateKey.generate()

    # when it signs a request under a code the upstream does not know
    request = sign(Request("GET", f"{PREFIX}/changes"), key=stranger, node=UNKNOWN)
    response = send(client, request)

    # then the upstream refuses it
    assert response.status_code == 403
    assert _error(response)["error"] == "unknown_node"
    check_answer(upstream_app, request, response)


@pytest.mark.django_db
def test_a_revoked_village_is_refused(upstream_app, client):
    # given a village whose key was revoked
    # when it signs a request with that key
    request = sign(Request("GET", f"{PREFIX}/changes"), key=upstream_app.revoked_key, node=REVOKED)
    response = send(client, request)

    # then the upstream refuses it
    assert response.status_code == 403
    assert _error(response)["error"] == "revoked"
    check_answer(upstream_app, request, response)


@pytest.mark.django_db
def test_an_oversized_body_is_refused_before_it_is_read(upstream_app, client, settings):
    # given a push announcing more bytes than the upstream takes
    settings.SYNC_REQUEST_MAX_BYTES = 1000
    body = bytes(1001)

    # when it is sent, correctly signed
    request = sign(Request("POST", f"{PREFIX}/push", body), key=upstream_app.village_key)
    response = send(client, request)

    # then it is refused as too large
    assert response.status_code == 413
    assert _error(response)["error"] == "too_large"
    check_answer(upstream_app, request, response)


@pytest.mark.django_db
def test_a_nul_in_the_node_code_is_malformed(upstream_app, client):
    # given a signed request whose node code carries a NUL (PostgreSQL cannot even look it up)
    request = _changes(upstream_app)
    request.headers["HTTP_X_BALAI_NODE"] = VILLAGE[:9] + "\x00"

    # when it is sent
    response = send(client, request)

    # then it is refused as malformed, before any query
    assert response.status_code == 400
    assert _error(response)["error"] == "malformed"
    check_answer(upstream_app, request, response)
