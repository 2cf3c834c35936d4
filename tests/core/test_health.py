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


def test_a_villager_on_the_wifi_gets_the_status_only(client):
    # when a phone on the village Wi-Fi asks
    response = client.get("/healthz", REMOTE_ADDR="10.20.0.9")
    # then it learns whether the hub is up, not its disk, database or queue
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_a_failing_hub_tells_a_villager_fail_without_details(client, settings):
    settings.HUB_HEALTH_MIN_FREE_BYTES = 10**18
    response = client.get("/healthz", REMOTE_ADDR="10.20.0.9")
    assert response.status_code == 503
    assert response.json() == {"status": "fail"}


def test_a_configured_monitoring_network_gets_the_details(client, settings):
    settings.HUB_HEALTH_DETAIL_ADDRESSES = ["192.0.2.0/28"]
    assert "disk" in client.get("/healthz", REMOTE_ADDR="192.0.2.5").json()
    assert "disk" not in client.get("/healthz", REMOTE_ADDR="192.0.2.17").json()


def test_behind_nginx_the_forwarded_client_decides(client, settings):
    # nginx connects from 127.0.0.1 and appends the real client to X-Forwarded-For
    settings.HUB_BEHIND_PROXY = True
    villager = client.get(
        "/healthz", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="127.0.0.1, 10.20.0.9"
    )
    assert villager.json() == {"status": "ok"}
    # Ansible's hub_health role asks http://127.0.0.1/healthz on the hub: nginx appends 127.0.0.1
    local = client.get("/healthz", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert local.json()["database"]["ok"] is True
