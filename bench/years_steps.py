"""The Django-side steps of ``scripts/bench sync --years`` (:mod:`bench.years`), run in the
village's agent process, one in the upstream's (:func:`bench.common.agent_step`).

They import the project's modules inside, so importing this module needs no settings.
"""

import os
import random
import time
import uuid
from datetime import timedelta


def schedules_postpone() -> int:
    """The scheduled sync and housekeeping moved a day away: the bench runs them itself."""
    from django.utils import timezone
    from django_q.models import Schedule

    return Schedule.objects.filter(
        func__in=["hub.sync.tasks.sync_task", "hub.sync.tasks.sync_housekeeping_task"]
    ).update(next_run=timezone.now() + timedelta(days=1))


def history_write(
    *, me: str, up: str, years: int, live: int, dead: int, pulled: int, sessions: int
) -> dict:
    """Years of a busy village written straight into its tables (bulk, in minutes not years)."""
    from django.contrib.sessions.models import Session
    from django.db import transaction
    from django.utils import timezone

    from hub.site.models import Announcement
    from hub.sync.models import JournalEntry, SyncRun, SyncState, Tombstone

    rng = random.Random(5)
    now = timezone.now()
    start = now - timedelta(days=365 * years)
    span = (now - start).total_seconds()
    line = "Warga dusun diminta hadir di balai desa untuk musyawarah rencana kerja. "
    body = "<p>" + line * 8 + "</p>"
    events = []  # (when, model, uid, rev, origin, audience)
    records, tombs = [], []
    kinds = (("live", live, (1, 20)), ("dead", dead, (3, 3)), ("up", pulled, (1, 5)))
    for kind, count, revs in kinds:
        for i in range(count):
            uid = uuid.uuid4()
            first = rng.random() * span * 0.98
            n = rng.randint(*revs)
            times = sorted(first + rng.random() * (span - first) for _ in range(n))
            origin = up if kind == "up" else me
            audience = up if kind == "up" else None
            for rev, t in enumerate(times, start=1):
                events.append((t, "site.announcement", uid, rev, origin, audience))
            if kind == "dead":
                tombs.append(
                    Tombstone(
                        model="site.announcement",
                        uid=uid,
                        origin=me,
                        rev=n,
                        deleted_at=start + timedelta(seconds=times[-1]),
                    )
                )
            else:
                records.append(
                    Announcement(
                        id=uid, title=f"riwayat {kind} {i}", body=body, origin=origin, rev=n
                    )
                )
    events.sort()
    with transaction.atomic():
        Announcement.objects.bulk_create(records, batch_size=2000)
        Tombstone.objects.bulk_create(tombs, batch_size=2000)
        JournalEntry.objects.bulk_create(
            [
                JournalEntry(
                    model=m,
                    uid=u,
                    rev=r,
                    origin=o,
                    audience=a,
                    size=900,
                    created_at=start + timedelta(seconds=t),
                )
                for t, m, u, r, o, a in events
            ],
            batch_size=5000,
        )
    with transaction.atomic():
        runs = int(365 * years * 48)
        SyncRun.objects.bulk_create(
            [
                SyncRun(
                    trigger="schedule",
                    started_at=start + timedelta(minutes=30 * k),
                    finished_at=start + timedelta(minutes=30 * k, seconds=3),
                    outcome="failed" if k % 97 == 0 else "ok",
                    error="link down: timeout" if k % 97 == 0 else "",
                    bytes_up=600,
                    bytes_down=400,
                )
                for k in range(runs)
            ],
            batch_size=5000,
        )
        Session.objects.bulk_create(
            [
                Session(
                    session_key=uuid.uuid4().hex,
                    session_data="e30:x",
                    expire_date=now - timedelta(days=rng.randint(1, 1800)),
                )
                for _ in range(sessions)
            ],
            batch_size=2000,
        )
        top = JournalEntry.objects.order_by("-seq").values_list("seq", flat=True).first()
        # everything the village made over the years was acknowledged long ago
        SyncState.objects.filter(pk=1).update(push_seq=top)
    return {
        "journal": JournalEntry.objects.count(),
        "tombstones": Tombstone.objects.count(),
        "runs": SyncRun.objects.count(),
        "sessions": Session.objects.count(),
    }


def village_acknowledged(*, code: str, push_seq: int) -> int:
    """On the upstream: village ``code``'s journal recorded as applied up to ``push_seq``."""
    from hub.sync.models import Node

    return Node.objects.filter(code=code).update(push_seq=push_seq)


def database_sizes() -> dict:
    """The sync tables' sizes (the admin's storage figures) and the database and WAL files."""
    from django.db import connection

    from hub.sync.admin.selectors import storage_sizes

    name = str(connection.settings_dict["NAME"])
    wal = name + "-wal"
    return {
        **storage_sizes(),
        "file_bytes": os.path.getsize(name),
        "wal_bytes": os.path.getsize(wal) if os.path.exists(wal) else 0,
    }


def housekeeping_run() -> dict:
    """The daily housekeeping (``sync_housekeeping_task``) run here: its report and seconds."""
    from hub.sync.tasks import sync_housekeeping_task

    started = time.monotonic()
    report = sync_housekeeping_task()
    return {"report": report, "seconds": round(time.monotonic() - started, 2)}
