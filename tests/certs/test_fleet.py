"""The upstream's view of the fleet's certificates: the dashboard lists villages whose
certificate expires before their expected next sync (a village away for a while is expected to
stay away about as long again) or whose heartbeat warns about it, and the sync page shows each
village's certificate facts from its last heartbeat."""

import datetime

import pytest
from django.utils import timezone

from hub.certs.models import CertificateRequest, IssuedCertificate
from hub.certs.selectors import FACT_NOT_AFTER, FACT_WARN, certificates_at_risk
from hub.sync.models import Node
from hub.sync.registry import received_from_origin

pytestmark = pytest.mark.django_db

AWAY, ONLINE, RENEWED, USB = "1503012021", "1503012022", "1503012023", "1503012024"


@pytest.fixture
def upstream(settings):
    settings.HUB_ROLE = "upstream"
    settings.SYNC_NODE_CODE = "15"
    settings.ROOT_URLCONF = "hub.urls_upstream"
    return timezone.now()


def village(code, *, seen, issued_until=None, facts=None):
    """A village enrolled here, last seen at ``seen``, with what this upstream issued for it and
    the facts of its last heartbeat."""
    heartbeat = {"version": "1", "facts": facts} if facts is not None else {}
    Node.objects.create(code=code, public_key="ed25519:x", last_seen_at=seen, heartbeat=heartbeat)
    if issued_until:
        IssuedCertificate.objects.create(
            village_code=code,
            name=f"balai.{code}.desa.id",
            csr_sha256="0" * 64,
            fullchain_pem="-",
            serial="1",
            not_before=issued_until - datetime.timedelta(days=45),
            not_after=issued_until,
        )


def iso(when: datetime.datetime) -> str:
    return when.astimezone(datetime.UTC).isoformat(timespec="seconds")


def test_a_village_away_longer_than_its_certificate_lasts_is_listed(upstream, admin_client):
    now = upstream
    # given two villages whose certificates end in 10 days: one away for 12 days, one online
    for code, seen in ((AWAY, now - datetime.timedelta(days=12)), (ONLINE, now)):
        village(code, seen=seen, issued_until=now + datetime.timedelta(days=10))
    rows = certificates_at_risk()
    # then only the one away is at risk (expected back in ~12 days, after the expiry)
    assert [row["code"] for row in rows] == [AWAY]
    # and the upstream's dashboard shows it
    page = admin_client.get("/admin/").content.decode()
    assert "certs-fleet" in page and f"balai.{AWAY}.desa.id" in page
    assert f"balai.{ONLINE}.desa.id" not in page


def test_what_the_village_serves_counts_not_what_was_issued_for_it(upstream, admin_client):
    now = upstream
    # given a village away for 3 days whose renewal (40 days) was issued here but not fetched
    # yet: its heartbeat says it serves one that ends in 2 days
    village(
        RENEWED,
        seen=now - datetime.timedelta(days=3),
        issued_until=now + datetime.timedelta(days=40),
        facts={FACT_NOT_AFTER: iso(now + datetime.timedelta(days=2)), FACT_WARN: True},
    )
    # and a village online every hour that warns: its renewal is not arriving
    village(
        ONLINE,
        seen=now,
        issued_until=now + datetime.timedelta(days=8),
        facts={FACT_NOT_AFTER: iso(now + datetime.timedelta(days=8)), FACT_WARN: True},
    )
    # and a village whose certificate came on a USB stick (nothing issued here), away for a
    # week, that ended yesterday
    village(
        USB,
        seen=now - datetime.timedelta(days=7),
        facts={FACT_NOT_AFTER: iso(now - datetime.timedelta(days=1)), FACT_WARN: True},
    )
    with received_from_origin():
        CertificateRequest.objects.create(
            origin=USB, rev=1, name="balai.usb.desa.id", csr_pem="-", csr_sha256="-",
            key_sha256="-", install_error="Sertifikat sudah kedaluwarsa pada 2026-01-01.",
        )  # fmt: skip
    # and one whose heartbeat serves a fresh certificate and does not warn
    village(
        AWAY,
        seen=now - datetime.timedelta(days=2),
        issued_until=now + datetime.timedelta(days=1),
        facts={FACT_NOT_AFTER: iso(now + datetime.timedelta(days=30)), FACT_WARN: False},
    )

    rows = {row["code"]: row for row in certificates_at_risk()}

    # then the served expiries count, soonest first; the fresh one is not listed
    assert list(rows) == [USB, RENEWED, ONLINE]
    assert rows[RENEWED]["not_after"] == now.replace(microsecond=0) + datetime.timedelta(days=2)
    assert rows[USB]["expired"] and rows[USB]["name"] == "balai.usb.desa.id"
    assert rows[ONLINE]["warns"] and rows[ONLINE]["not_after"] > rows[ONLINE]["next_sync"]
    page = admin_client.get("/admin/").content.decode()
    assert "certs-fleet" in page and "sudah berakhir" in page and "kedaluwarsa pada" in page


def test_the_sync_page_shows_the_certificate_facts_of_each_heartbeat(upstream, admin_client):
    now = upstream
    village(ONLINE, seen=now, facts={FACT_NOT_AFTER: "2026-03-01T01:30:00+00:00", FACT_WARN: True})
    village(AWAY, seen=now, facts={FACT_NOT_AFTER: "2026-04-01T01:30:00+00:00", FACT_WARN: False})
    village(USB, seen=now)

    page = admin_client.get("/admin/sync/").content.decode()

    # the labels and dates (in the site's time zone), the warning only where it is true
    assert page.count(f'data-fact="{FACT_NOT_AFTER}"') == 2
    assert page.count(f'data-fact="{FACT_WARN}"') == 1
    assert "Sertifikat HTTPS berlaku sampai" in page and "Sertifikat HTTPS segera berakhir" in page
    assert "1 Mar 2026, 08:30" in page
