"""Sync between real processes: an upstream (gunicorn on PostgreSQL) and village hubs
(scripts/run: gunicorn + cluster on SQLite) over loopback."""

import pytest

from tests.harness.hubs import VILLAGE_CODES

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
