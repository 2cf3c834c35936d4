"""Sync between real processes: an upstream (gunicorn on PostgreSQL) and village hubs
(scripts/run: gunicorn + cluster on SQLite) over loopback."""

import pytest

from tests.harness.hubs import VILLAGE_CODES
from tests.harness.texts import WORDS

pytestmark = pytest.mark.e2e


def same_records(village_agent, upstream_agent, origin):
    mine = village_agent("dump", origin=origin)
    theirs = upstream_agent("dump", origin=origin)
    return mine, theirs


@pytest.fixture(scope="module")
def pair(upstream, villages):
    village = villages(VILLAGE_CODES[0])
    return village, village.agent(), upstream.agent()


def test_first_sync_moves_records_and_images_both_ways(pair):
    village, v, u = pair
    # given village records, some with images, and province notices made on the upstream
    made = v("create", n=5, prefix="pengumuman desa", image=True)["ids"]
    v("create", model="site.agendaitem", n=2, prefix="kegiatan")
    province = u("create", n=3, prefix="pengumuman provinsi")["ids"]
    # when the village syncs
    result = v("sync")
    # then it succeeded, and both sides hold the same village records, images included
    assert result["ok"], result
    run = result["runs"][-1]
    assert run["records_up"] == 7 and run["blobs_up"] == 5, run
    mine, theirs = same_records(v, u, village.code)
    assert mine == theirs and len(mine["site.announcement"]) == 5
    # and the province notices arrived, with the upstream's content
    assert run["records_down"] == 3
    down = v("dump", origin="15")["site.announcement"]
    assert set(down) == set(province)
    assert down == u("dump", origin="15")["site.announcement"]
    # and the upstream attached the images (the blobs arrived and were verified)
    attached = u(
        "exec",
        code=(
            "from hub.site.models import Announcement\n"
            f"result = Announcement.objects.filter(pk__in={made!r}, image__isnull=False).count()"
        ),
    )["result"]
    assert attached == 5


def test_incremental_edit_and_delete(pair):
    village, v, u = pair
    # given a synced village, then an edit and a deletion there
    ids = v("create", n=3, prefix="baru")["ids"]
    assert v("sync")["ok"]
    v("edit", ids=ids[:2])
    v("delete", ids=ids[2:])
    # when it syncs again
    result = v("sync")
    # then exactly the changed records went up, and the upstream matches (tombstone included)
    assert result["ok"] and result["runs"][-1]["records_up"] == 3
    mine, theirs = same_records(v, u, village.code)
    assert mine == theirs
    assert f"site.announcement:{ids[2]}" in theirs["tombstones"]


def test_nothing_changed_is_one_small_exchange(pair):
    village, v, u = pair
    assert v("sync")["ok"]
    # when nothing changed anywhere
    run = v("sync")["runs"][-1]
    # then nothing moved and the exchange was small
    assert run["outcome"] == "ok"
    assert run["records_up"] == run["records_down"] == run["blobs_up"] == run["blobs_down"] == 0
    assert run["bytes_up"] < 2048 and run["bytes_down"] < 2048, run


# In the village agent (the process that runs the sync): small batches, so a few hundred
# records make several, and a count of the push requests in flight at once on the transport.
PIPELINE_WATCH_CODE = """
import threading
from django.conf import settings
from hub.sync.village import transport

settings.SYNC_BATCH_MAX_BYTES = 24 * 1024
cls = transport.Urllib3Transport
lock = threading.Lock()
seen = {"now": 0, "most": 0, "pushes": 0}

def request(self, method, url, **kwargs):
    pushing = url.endswith(("/sync/v1/push", "/sync/v2/push"))
    with lock:
        seen["now"] += pushing
        seen["most"] = max(seen["most"], seen["now"])
        seen["pushes"] += pushing
    try:
        return cls._original_request(self, method, url, **kwargs)
    finally:
        with lock:
            seen["now"] -= pushing

cls._original_request = cls.request
cls.request = request
cls.seen = seen
result = settings.SYNC_PUSH_PIPELINE
"""

PIPELINE_UNWATCH_CODE = """
from django.conf import settings
from hub.sync.village import transport

cls = transport.Urllib3Transport
cls.request = cls._original_request
settings.SYNC_BATCH_MAX_BYTES = {max_bytes}
result = cls.seen
"""

OTHER_RUNS_CODE = """
from hub.sync.models import SyncRun
result = list(SyncRun.objects.exclude(trigger="test").values_list("trigger", "records_up"))
"""

REALISTIC_CODE = """
import random
from django.utils import timezone
from hub.site.models import Announcement

words = {words!r}
rng = random.Random(7)

def sentence():
    return " ".join(rng.choice(words) for _ in range(rng.randint(8, 16))).capitalize() + "."

for i in range({n}):
    body = "".join("<p>" + " ".join(sentence() for _ in range(3)) + "</p>" for _ in range(3))
    Announcement.objects.create(title=f"Pipa {{i}}", body=body, publish_at=timezone.now())
result = {n}
"""


def test_a_backlog_of_many_batches_goes_up_several_at_a_time_and_converges(pair):
    village, v, u = pair
    assert v("sync")["ok"]
    max_bytes = v("exec", code="from django.conf import settings\n"
                  "result = settings.SYNC_BATCH_MAX_BYTES")["result"]  # fmt: skip
    # given 300 announcements of realistic size (three paragraphs), in batches of 24 KB
    v("exec", code=REALISTIC_CODE.format(words=WORDS, n=300), timeout=300)
    depth = v("exec", code=PIPELINE_WATCH_CODE)["result"]
    assert depth >= 2
    try:
        # when the village syncs
        result = v("sync", timeout=300)
    finally:
        seen = v("exec", code=PIPELINE_UNWATCH_CODE.format(max_bytes=max_bytes))["result"]
    # then this sync pushed all 300 (no other run of the village's did meanwhile)
    assert result["ok"], result
    run = result["runs"][-1]
    others = v("exec", code=OTHER_RUNS_CODE)["result"]
    assert run["records_up"] == 300, (run, others)
    # and the batches went up several at a time (the next crossing while the one before applied),
    # the pipeline to the end: no answer refused (each bound to its own request), no fallback
    assert seen["pushes"] >= 5 and seen["most"] == depth, (seen, result["runs"])
    logs = "".join(p.read_text(errors="replace") for p in village.base.glob("agent-*.log"))
    assert "pipelined push stopped" not in logs, logs[-3000:]
    # and every record arrived once, as in the village, and the checkpoint is at the end
    mine, theirs = same_records(v, u, village.code)
    assert mine == theirs
    count = "from hub.site.models import Announcement\n"
    count += "result = Announcement.objects.filter(title__startswith='Pipa ').count()"
    assert u("exec", code=count)["result"] == 300
    assert v("sync")["runs"][-1]["records_up"] == 0
