"""A test agent: a Django process of one node (village or upstream) that takes JSON commands on
stdin, one per line, and answers one JSON line each. Started by :mod:`tests.harness.hubs` with the
node's environment, so it works on that node's real database and data directory.

It exists so a test can drive hundreds of sync cycles without paying Django's start-up for each.
"""

import contextlib
import importlib
import io
import json
import sys
import time
import traceback
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from PIL import Image  # noqa: E402

from hub.core import tasks_backend  # noqa: E402
from hub.sync.models import SyncState, Tombstone  # noqa: E402
from hub.sync.registry import all_specs, spec_for  # noqa: E402
from hub.sync.village import run as client  # noqa: E402
from hub.sync.wire.codec import content_hash, record_to_wire  # noqa: E402


def _image(seed: int, size: int = 64):
    from hub.media.services import image_from_bytes

    buffer = io.BytesIO()
    Image.new("RGB", (size, size), ((seed * 37) % 256, (seed * 91) % 256, seed % 256)).save(
        buffer, "PNG"
    )
    return image_from_bytes(
        data=buffer.getvalue(), title=f"gambar {seed}", name=f"gambar-{seed}.png"
    )


@contextlib.contextmanager
def in_bulk():
    """Records saved in one transaction, their search and reference indexing done in bulk
    after the commit, here, before the block ends: one by one, Wagtail's search insert on
    PostgreSQL recomputes the whole index (1,500 records took minutes). As a sync batch is
    applied (hub.core.tasks_backend.deferred_index), but without handing the work to the
    cluster, so the records are indexed when the command answers, as before."""
    with transaction.atomic(), tasks_backend.deferred_index(inline=True):
        yield


def op_create(model="site.announcement", n=1, prefix="rec", image=False, image_px=64):
    with in_bulk():
        return _create(model, n, prefix, image, image_px)


def _create(model, n, prefix, image, image_px):
    spec = spec_for(model)
    ids = []
    for i in range(n):
        fields = {"title": f"{prefix} {i}", "body": f"<p>{prefix} isi {i}</p>"}
        if model == "site.agendaitem":
            fields["starts_at"] = timezone.now() + timezone.timedelta(days=1 + i % 30)
        if image:
            fields["image"] = _image(hash((prefix, i)) % 100000, image_px)
        obj = spec.model(**fields)
        obj.save()
        ids.append(str(obj.pk))
    return {"ids": ids}


def op_edit(ids, model="site.announcement", suffix="*"):
    spec = spec_for(model)
    with in_bulk():
        for obj in spec.model.objects.filter(pk__in=ids):
            obj.title = (obj.title + suffix)[:200]
            obj.save()
    return {"edited": len(ids)}


def op_delete(ids, model="site.announcement"):
    spec = spec_for(model)
    deleted = 0
    for obj in spec.model.objects.filter(pk__in=ids):
        obj.delete()
        deleted += 1
    return {"deleted": deleted}


def op_sync(attempts=1, timeout=120):
    """sync_run until it succeeds or ``attempts`` runs have failed."""
    results = []
    deadline = time.monotonic() + timeout
    while len(results) < attempts and time.monotonic() < deadline:
        run = client.sync_run(trigger="test", force=True)
        if run is None:  # the cluster holds the lock
            time.sleep(0.2)
            continue
        results.append(
            {
                k: getattr(run, k)
                for k in (
                    "outcome",
                    "error",
                    "bytes_up",
                    "bytes_down",
                    "records_up",
                    "records_down",
                    "blobs_up",
                    "blobs_down",
                    "refused",
                )
            }  # fmt: skip
        )
        if run.outcome == "ok":
            break
    return {"runs": results, "ok": bool(results) and results[-1]["outcome"] == "ok"}


def op_dump(origin=None):
    """Content hash of every synced record (and tombstone), by model and id."""
    out = {}
    for spec in all_specs():
        rows = {}
        qs = spec.model._base_manager.all()
        if origin:
            qs = qs.filter(origin=origin)
        for obj in qs:
            data = record_to_wire(obj, spec)
            data["b"] = {k: (v or {}).get("sha256") for k, v in (data.get("b") or {}).items()}
            rows[str(obj.pk)] = content_hash(data)
        out[spec.label] = rows
    out["tombstones"] = {
        f"{t.model}:{t.uid}": t.rev
        for t in Tombstone.objects.all()
        if not origin or t.origin == origin
    }
    return out


def op_records(model, ids):
    """The wire form of records ``ids`` of ``model`` as this node holds them (None: absent),
    with their blob references: what a failed convergence check shows."""
    spec = spec_for(model)
    found = {str(obj.pk): obj for obj in spec.model._base_manager.filter(pk__in=ids)}
    return {uid: record_to_wire(found[uid], spec) if uid in found else None for uid in ids}


def op_state():
    state = SyncState.load()
    from hub.sync.models import BlobNeed, BlobUpload, JournalEntry

    return {
        "push_seq": state.push_seq,
        "pull_cursor": state.pull_cursor,
        "failures": state.failures,
        "clock_offset": state.clock_offset,
        "journal": JournalEntry.objects.count(),
        "blob_needs": BlobNeed.objects.count(),
        "blob_uploads": BlobUpload.objects.count(),
    }


def op_call(function, **kwargs):
    """``function`` ("package.module:name": a Django-side step of a bench or a test, an importable
    function rather than code in a string) called here with ``kwargs``; its answer returned
    (anything JSON can carry)."""
    module, _, name = function.partition(":")
    return getattr(importlib.import_module(module), name)(**kwargs)


def op_exec(code):
    """``code`` run here; its ``result`` answered. It may use ``in_bulk()`` (above)."""
    scope = {"result": None, "in_bulk": in_bulk}
    exec(code, scope)  # noqa: S102 - test agent, code from the test itself
    return {"result": scope["result"]}


OPS = {
    "create": op_create,
    "edit": op_edit,
    "delete": op_delete,
    "sync": op_sync,
    "dump": op_dump,
    "records": op_records,
    "state": op_state,
    "call": op_call,
    "exec": op_exec,
}


def main():
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        command = json.loads(line)
        op = OPS[command.pop("op")]
        try:
            answer = {"ok": True, "value": op(**command)}
        except Exception as exc:  # noqa: BLE001 - reported to the test, which fails on it
            answer = {"ok": False, "error": repr(exc), "traceback": traceback.format_exc()}
        print(json.dumps(answer, default=str), flush=True)


if __name__ == "__main__":
    uuid.uuid4()
    main()
