"""/healthz: JSON about the database, disk and queue, 200 when fine and 503 when not."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import OrmQ
from django_q.signing import SignedPackage

pytestmark = pytest.mark.django_db


def test_healthy_hub_answers_200_with_details(client):
    response = client.get("/healthz")
    data = response.json()
    assert response.status_code == 200
    assert data["status"] == "ok"
    assert data["database"]["vendor"] == "sqlite"
    assert data["disk"]["free_bytes"] > 0
    assert data["queue"] == {
        "ok": True,
        "queued": 0,
        "oldest_age_seconds": None,
        "max_age_seconds": 900,
    }
    assert response["Cache-Control"].startswith("max-age=0")


def test_disk_nearly_full_answers_503(client, settings):
    settings.HUB_HEALTH_MIN_FREE_BYTES = 10**18
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["disk"]["ok"] is False


def test_stuck_queue_answers_503_with_the_oldest_task_age(client):
    # given a task queued an hour ago that no cluster has taken
    package = SignedPackage.dumps(
        {
            "id": "x",
            "name": "stuck",
            "func": "math.floor",
            "args": (1,),
            "kwargs": {},
            "started": timezone.now() - timedelta(hours=1),
        }
    )
    OrmQ.objects.create(key="balai", payload=package)
    # when
    response = client.get("/healthz")
    # then
    data = response.json()
    assert response.status_code == 503
    assert data["queue"]["queued"] == 1
    assert 3500 < data["queue"]["oldest_age_seconds"] < 3700


def test_healthz_refuses_writes(client):
    assert client.post("/healthz").status_code == 405
