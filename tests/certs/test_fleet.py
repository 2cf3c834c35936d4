"""The upstream's dashboard lists villages whose certificate expires before their expected next
sync (a village away for a while is expected to stay away about as long again)."""

import datetime

import pytest
from django.utils import timezone

from hub.certs.models import IssuedCertificate
from hub.certs.selectors import certificates_at_risk
from hub.sync.models import Node

pytestmark = pytest.mark.django_db

AWAY, ONLINE = "1503012021", "1503012022"


@pytest.fixture
def upstream(settings):
    settings.HUB_ROLE = "upstream"
    settings.SYNC_NODE_CODE = "15"
    settings.ROOT_URLCONF = "hub.urls_upstream"
    now = timezone.now()
    for code, seen in ((AWAY, now - datetime.timedelta(days=12)), (ONLINE, now)):
        Node.objects.create(code=code, public_key="ed25519:x", last_seen_at=seen)
        IssuedCertificate.objects.create(
            village_code=code,
            name=f"balai.{code}.desa.id",
            csr_sha256="0" * 64,
            fullchain_pem="-",
            serial="1",
            not_before=now - datetime.timedelta(days=35),
            not_after=now + datetime.timedelta(days=10),
        )
    return now


def test_a_village_away_longer_than_its_certificate_lasts_is_listed(upstream, admin_client):
    # given two villages whose certificates end in 10 days: one away for 12 days, one online
    rows = certificates_at_risk()
    # then only the one away is at risk (expected back in ~12 days, after the expiry)
    assert [row["code"] for row in rows] == [AWAY]
    # and the upstream's dashboard shows it
    page = admin_client.get("/admin/").content.decode()
    assert "certs-fleet" in page and f"balai.{AWAY}.desa.id" in page
    assert f"balai.{ONLINE}.desa.id" not in page
