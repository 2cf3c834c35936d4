"""The Django-side steps of the sync bench, run in a node's agent process (Django set up there
with that node's settings): ``agent_step(agent, "bench.sync.steps:NAME", **kwargs)``.

They import the project's modules inside, so importing this module needs no settings. Each
takes keyword arguments and answers what JSON can carry.
"""

import hashlib
import io
import os
import random
import time

# words of the made announcements: realistic text, which zstd compresses as it would real ones
WORDS = (
    "warga desa kerja bakti balai musyawarah panen padi jagung sawah irigasi posyandu imunisasi "
    "balita jadwal pasar bumdes pupuk bantuan jalan jembatan gotong royong sekolah guru listrik "
    "air bersih sumur puskesmas bidan kader rapat kepala dusun anggaran dana desa laporan"
)


def sync_schedule_postpone() -> int:
    """The cluster's own sync schedule moved a day ahead, so it never syncs through the link
    while the bench measures it."""
    from django.utils import timezone
    from django_q.models import Schedule

    return Schedule.objects.filter(func="hub.sync.tasks.sync_task").update(
        next_run=timezone.now() + timezone.timedelta(days=1)
    )


def sync_runs_not_ours() -> list:
    """The village's sync runs the bench did not start (the cluster's), as (trigger, start)."""
    from hub.sync.models import SyncRun

    return list(SyncRun.objects.exclude(trigger="test").values_list("trigger", "started_at"))


def announcements_make(*, prefix: str, n: int) -> int:
    """``n`` announcements of a title and three paragraphs of three sentences each."""
    from django.utils import timezone

    from hub.site.models import Announcement

    rng = random.Random(5)
    words = WORDS.split()

    def sentence():
        return " ".join(rng.choice(words) for _ in range(rng.randint(8, 16))).capitalize() + "."

    for i in range(n):
        body = "".join("<p>" + " ".join(sentence() for _ in range(3)) + "</p>" for _ in range(3))
        Announcement.objects.create(
            title=f"{prefix} {i} {sentence()[:60]}", body=body, publish_at=timezone.now()
        )
    return n


def announcements_count(*, prefix: str) -> int:
    """Announcements whose title starts with ``prefix``."""
    from hub.site.models import Announcement

    return Announcement.objects.filter(title__startswith=prefix).count()


def push_pipeline() -> int:
    """The push batches this node keeps in flight at once (SYNC_PUSH_PIPELINE)."""
    from django.conf import settings

    return settings.SYNC_PUSH_PIPELINE


def push_pipeline_set(*, pipeline: int) -> None:
    """SYNC_PUSH_PIPELINE for this agent's syncs (1: one batch after the other), with a pool
    of as many warm connections."""
    from django.conf import settings

    from hub.sync.village import transport

    settings.SYNC_PUSH_PIPELINE = pipeline
    transport._transports.clear()


def push_reference(*, prefix: str) -> dict:
    """The records titled ``prefix``… as zstd NDJSON (the reference of the push's bytes), and
    the batches the next push will send, as the client encodes them (without its heartbeat)."""
    from django.conf import settings

    from hub.site.models import Announcement
    from hub.sync.changes.feed import push_batch
    from hub.sync.core.identity import require_node_code
    from hub.sync.models import JournalEntry, SyncState
    from hub.sync.registry import spec_for
    from hub.sync.wire.codec import compress, dumps, encode_page, record_to_wire

    spec = spec_for("site.announcement")
    records = list(Announcement._base_manager.filter(title__startswith=prefix))
    # in the order of the journal, as a push sends them
    seq = dict(JournalEntry.objects.filter(model=spec.label).values_list("uid", "seq"))
    records.sort(key=lambda obj: seq[obj.pk])
    raw = b"\n".join(dumps(record_to_wire(obj, spec)) for obj in records)
    # a pipelined push sends smaller batches (hub/sync/village/pipeline.py)
    size = settings.SYNC_BATCH_MAX_BYTES
    if settings.SYNC_PUSH_PIPELINE > 1:
        size = min(size, settings.SYNC_PUSH_PIPELINE_BATCH_BYTES)
    batches, after = [], SyncState.load().push_seq
    while True:
        batch = push_batch(me=require_node_code(), after=after, max_bytes=size)
        header = {"batch": {"after": batch.after, "to": batch.to}, "cursor": 0, "heartbeat": {}}
        batches.append(
            {
                "records": batch.count,
                "raw": batch.raw_bytes,
                "body": len(encode_page(header, batch.items)),
            }
        )
        after = batch.to
        if not batch.more:
            break
    return {
        "records": len(records),
        "ndjson": len(raw),
        "zstd": len(compress(raw)),
        "batches": batches,
    }


def cut_reference(*, prefix: str) -> dict:
    """The records titled ``prefix``… as zstd NDJSON, in the order of their keys."""
    from hub.site.models import Announcement
    from hub.sync.registry import spec_for
    from hub.sync.wire.codec import compress, dumps, record_to_wire

    spec = spec_for("site.announcement")
    records = Announcement.objects.filter(title__startswith=prefix).order_by("pk")
    raw = b"\n".join(dumps(record_to_wire(obj, spec)) for obj in records)
    return {"records": len(records), "ndjson": len(raw), "zstd": len(compress(raw))}


def sync_runs_since(*, since: str) -> dict:
    """The sync runs started since ``since`` (ISO 8601) and the push batch size learnt."""
    from hub.sync.models import SyncRun, SyncState

    runs = SyncRun.objects.filter(started_at__gte=since).values(
        "trigger", "outcome", "bytes_up", "bytes_down", "records_up", "cuts"
    )
    return {"runs": list(runs), "batch_bytes": SyncState.load().push_batch_bytes}


def blob_make(*, side: int) -> dict:
    """An announcement with a ``side`` × ``side`` noise PNG (PNG cannot compress noise: about
    side * side * 3 bytes)."""
    from PIL import Image

    from hub.media.services import image_from_bytes
    from hub.site.models import Announcement

    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(
        buffer, "PNG", compress_level=1
    )
    image = image_from_bytes(data=buffer.getvalue(), title="bench blob", name="bench-blob.png")
    announcement = Announcement(title="bench blob", body="<p>bench blob</p>", image=image)
    announcement.save()
    return {
        "sha": image.sha256,
        "size": image.file.size,
        "announcement": str(announcement.pk),
        "image": image.pk,
    }


def blob_store(*, image: int) -> object:
    """The file of image ``image`` put in this node's blob store (only where the upstream
    answered 404 for its own image: nothing had put it there)."""
    from wagtail.images import get_image_model

    from hub.sync import blobs

    found = get_image_model().objects.get(pk=image)
    return blobs.put_path(found.file.path, expected_sha=found.sha256)


def blob_attached(*, pk: str, sha: str) -> dict:
    """Whether the blob ``sha`` arrived and announcement ``pk`` has it as its image."""
    from hub.site.models import Announcement
    from hub.sync import blobs

    obj = Announcement.objects.filter(pk=pk).first()
    return {
        "blob": blobs.has(sha),
        "image": bool(obj and obj.image_id),
        "image_sha": obj.image.sha256 if obj and obj.image_id else None,
    }


def idle_push_body() -> dict:
    """The body of an idle push (no records) at the top of this upstream's journal, as hex."""
    from django.db.models import Max

    from hub.sync.models import JournalEntry
    from hub.sync.wire.codec import encode_page

    cursor = JournalEntry.objects.aggregate(top=Max("seq"))["top"] or 0
    body = encode_page({"batch": {"after": 0, "to": 0}, "cursor": cursor, "heartbeat": {}}, [])
    return {"cursor": cursor, "body": body.hex()}


def villages_enroll(*, villages: list) -> int:
    """Each of ``villages`` ([code, public key]) enrolled on this upstream."""
    from hub.sync.upstream.enrollment import village_enroll

    for code, public_key in villages:
        village_enroll(code=code, public_key=public_key)
    return len(villages)


def idle_push_queries(*, key: str, body: str, code: str, rounds: int) -> dict:
    """SQL queries and connection health checks of an idle push from village ``code`` (signed
    with ``key``, hex, with a generation of its own), in this upstream process through the WSGI
    stack, ``rounds`` times after a warm-up (which adopts the generation)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from django.db import close_old_connections, connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from hub.sync.core.generation import HEADER as GENERATION_HEADER
    from hub.sync.wire import keys, signing

    private = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(key))
    generation = hashlib.sha256(code.encode()).hexdigest()[:16]
    data = bytes.fromhex(body)
    client = Client(HTTP_HOST="127.0.0.1")
    health_checks = []
    is_usable = connection.is_usable

    def counted_is_usable():
        health_checks.append(1)
        return is_usable()

    connection.is_usable = counted_is_usable

    def push():
        nonce, stamp = signing.new_nonce(), int(time.time())
        message = signing.request_message(
            method="POST", path="/sync/v1/push", node=code, time=stamp, nonce=nonce,
            digest=signing.body_digest(data),
        )  # fmt: skip
        headers = {
            # as a village of today: it speaks generations, so the upstream checks its cursor
            GENERATION_HEADER: generation,
            signing.HEADER_NODE: code,
            signing.HEADER_TIME: str(stamp),
            signing.HEADER_NONCE: nonce,
            signing.HEADER_SIGNATURE: keys.sign(message, private),
        }
        # gunicorn runs close_old_connections on request_started (CONN_MAX_AGE, health
        # checks); the test client disconnects it, so it is called here
        close_old_connections()
        return client.post(
            "/sync/v1/push", data=data, content_type="application/x-ndjson", headers=headers
        )

    try:
        answer = push()  # warm-up: the first request connects and fills caches
        if answer.status_code != 200:
            raise RuntimeError(f"idle push answered {answer.status_code}: {answer.content[:300]}")
        counts, checks = [], []
        for _ in range(rounds):
            health_checks.clear()
            with CaptureQueriesContext(connection) as captured:
                answer = push()
            if answer.status_code != 200:
                raise RuntimeError(
                    f"idle push answered {answer.status_code}: {answer.content[:300]}"
                )
            counts.append(len(captured))
            checks.append(len(health_checks))
    finally:
        connection.is_usable = is_usable
    return {
        "counts": counts,
        "health_checks": checks,
        "sql": [q["sql"] for q in captured.captured_queries],
        "answer_bytes": len(answer.content),
    }
