"""The upstream's issuing service against a real ACME CA and a real DNS server: Debian's pebble
and BIND 9 (tests/harness/acme.py), started once for this module on free ports.

The whole path runs once for real: the village's CSR goes up through a sync (the in-process
upstream of tests/harness/inprocess.py), the upstream solves DNS-01 through RFC 2136 updates to
BIND, pebble issues, the certificate comes down through the next sync, the village checks and
installs it, and a TLS server on ``live/`` is verified by its name with pebble's root.
"""

import datetime
import socket
import ssl
import threading
import time

import dns.message
import dns.query
import pytest
from django.utils import timezone

from hub.certs import tls
from hub.certs.dns import DnsUpdateError, Rfc2136Updater
from hub.certs.issuing import certificates_issue_due, challenge_fqdn
from hub.certs.models import CertificateRequest, IssuanceState, IssuedCertificate
from hub.certs.services import certificate_request_ensure
from hub.site.services import village_identity_set
from hub.sync.registry import received_from_origin
from hub.sync.upstream.enrollment import village_enroll
from hub.sync.village.pinning import upstream_set
from hub.sync.village.run import sync_run
from hub.sync.wire import keys
from tests.harness import acme as servers
from tests.harness.inprocess import InProcessTransport, InProcessUpstream, node_settings

UPSTREAM = "15"
VILLAGE = "1503012021"
OTHER = "1503012022"
LOST = "1503012023"
NAME = f"balai.sukamaju.{servers.HUBS_ZONE}"
OTHER_NAME = f"balai.sukamulya.{servers.HUBS_ZONE}"
# a name whose owner never made the _acme-challenge CNAME
UNDELEGATED = f"balai.lupa.{servers.HUBS_ZONE}"


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    bind, pebble = servers.servers_start(
        tmp_path_factory.mktemp("acme"),
        {NAME: VILLAGE, OTHER_NAME: OTHER},
        # two-day certificates: renewal falls due within the week the order cap counts
        validity_seconds=2 * 24 * 3600,
    )
    (pebble.workdir / "root.pem").write_text(pebble.root_pem())
    yield bind, pebble
    servers.servers_stop(bind, pebble)


def acme_settings(bind, pebble, root) -> dict:
    return {
        "HUB_ACME_DIRECTORY_URL": pebble.directory_url,
        "HUB_ACME_CA_BUNDLE": str(pebble.ca_bundle),
        "HUB_ACME_ACCOUNT_KEY_FILE": root / "acme" / "account.key",
        "HUB_ACME_DNS_ZONE": servers.ACME_ZONE,
        "HUB_ACME_DNS_UPDATER": "hub.certs.dns.Rfc2136Updater",
        "HUB_ACME_DNS_OPTIONS": bind.options(),
        "HUB_ACME_ORDER_TIMEOUT": 60,
    }


@pytest.fixture
def upstream_role(ca, settings, tmp_path, db):
    """This test's database as the upstream, talking to pebble and BIND."""
    bind, pebble = ca
    settings.HUB_ROLE = "upstream"
    settings.SYNC_NODE_CODE = UPSTREAM
    for name, value in acme_settings(bind, pebble, tmp_path).items():
        setattr(settings, name, value)
    return ca


def csr_arrives(code: str, name: str, tmp_path, csr_name: str | None = None):
    """A village's request as the sync applies it on the upstream."""
    key, _ = tls.key_load_or_create(tmp_path / f"key-{code}")
    csr_pem = tls.csr_make(key, csr_name or name)
    with received_from_origin():
        return CertificateRequest.objects.create(
            origin=code,
            rev=1,
            name=name,
            csr_pem=csr_pem,
            csr_sha256=tls.csr_sha256(csr_pem),
            key_sha256=tls.public_key_sha256(key.public_key()),
        )


def txt_values(bind, fqdn: str) -> list[str]:
    answer = dns.query.udp(dns.message.make_query(fqdn, "TXT"), "127.0.0.1", port=bind.port)
    return [b"".join(rr.strings).decode() for rrset in answer.answer for rr in rrset]


def test_the_rfc2136_updater_writes_and_removes_a_txt_record_with_its_tsig_key(ca, settings):
    bind, _pebble = ca
    settings.HUB_ACME_DNS_ZONE = servers.ACME_ZONE
    fqdn = f"9999999999.{servers.ACME_ZONE}"
    updater = Rfc2136Updater(**bind.options())

    updater.txt_set(fqdn, "token-1")
    assert txt_values(bind, fqdn) == ["token-1"]
    updater.txt_delete(fqdn)
    assert txt_values(bind, fqdn) == []

    # a wrong TSIG secret is refused by the server, and nothing is written
    wrong = Rfc2136Updater(
        **{**bind.options(), "secret": "d3Jvbmcgc2VjcmV0IG9mIDMyIGJ5dGVzISEhISEhIQ=="}
    )
    with pytest.raises(DnsUpdateError, match="signature|NOTAUTH|REFUSED"):
        wrong.txt_set(fqdn, "forged")
    assert txt_values(bind, fqdn) == []
    # a name outside the zone is refused before anything is sent
    with pytest.raises(DnsUpdateError, match="not in the zone"):
        updater.txt_set(f"_acme-challenge.{NAME}", "x")


def test_one_order_per_csr_renewal_at_half_life_and_a_new_csr_orders_again(upstream_role, tmp_path):
    # given a village's request
    request = csr_arrives(OTHER, OTHER_NAME, tmp_path)

    # when the service runs
    report = certificates_issue_due()
    # then pebble issued a certificate for the name, addressed to that village alone
    assert report["issued"] == [OTHER], report
    issued = IssuedCertificate.objects.get(village_code=OTHER)
    assert issued.name == OTHER_NAME
    info = tls.chain_check(
        issued.fullchain_pem, key_sha256=request.key_sha256, name=OTHER_NAME, now=timezone.now()
    )
    assert info.serial == issued.serial
    state = IssuanceState.objects.get(village_code=OTHER)
    lifetime = issued.not_after - issued.not_before
    assert abs(state.renew_after - (issued.not_before + lifetime / 2)) < datetime.timedelta(
        minutes=1
    )
    # and the challenge's TXT record is gone again
    assert txt_values(upstream_role[0], challenge_fqdn(OTHER)) == []

    # when it runs again with the same CSR: no new order
    assert certificates_issue_due()["issued"] == []
    assert IssuedCertificate.objects.get(village_code=OTHER).serial == issued.serial

    # when half the lifetime has passed: renewed, same record, new serial
    later = state.renew_after + datetime.timedelta(minutes=1)
    assert certificates_issue_due(now=later)["issued"] == [OTHER]
    renewed = IssuedCertificate.objects.get(village_code=OTHER)
    assert (renewed.pk, renewed.serial != issued.serial) == (issued.pk, True)
    assert renewed.rev > issued.rev

    # when the hub was reinstalled with a new key: a new CSR is ordered at once
    with received_from_origin():
        key, _ = tls.key_load_or_create(tmp_path / "new-key")
        request.csr_pem = tls.csr_make(key, OTHER_NAME)
        request.csr_sha256 = tls.csr_sha256(request.csr_pem)
        request.key_sha256 = tls.public_key_sha256(key.public_key())
        request.rev += 1
        request.save()
    assert certificates_issue_due(now=later)["issued"] == [OTHER]
    # and a fourth order in the same week is held back (the CA's duplicate limit is not
    # spent by a hub reinstalled in a loop)
    with received_from_origin():
        key, _ = tls.key_load_or_create(tmp_path / "newer-key")
        request.csr_pem = tls.csr_make(key, OTHER_NAME)
        request.csr_sha256 = tls.csr_sha256(request.csr_pem)
        request.key_sha256 = tls.public_key_sha256(key.public_key())
        request.rev += 1
        request.save()
    held = certificates_issue_due(now=later)
    assert held["waiting"] == [OTHER] and held["issued"] == []
    assert "pesanan minggu ini" in IssuanceState.objects.get(village_code=OTHER).last_error


def test_an_undelegated_name_fails_is_recorded_and_waits_before_the_next_order(
    upstream_role, tmp_path
):
    # given a request for a name whose _acme-challenge was never delegated
    csr_arrives(LOST, UNDELEGATED, tmp_path)

    # when the service runs
    report = certificates_issue_due()

    # then the CA's refusal is recorded with a time before which nothing is ordered again
    assert LOST in report["failed"], report
    state = IssuanceState.objects.get(village_code=LOST)
    assert state.last_error and state.retry_after > timezone.now()
    assert not IssuedCertificate.objects.filter(village_code=LOST).exists()
    # and the next run (the hourly task) orders nothing for it
    again = certificates_issue_due()
    assert LOST not in again["failed"] and again["issued"] == []
    assert len(IssuanceState.objects.get(village_code=LOST).order_times) == 1


def test_a_csr_that_does_not_match_its_request_is_never_ordered(upstream_role, tmp_path):
    # given a request whose CSR names another village's host (a forged or broken request)
    csr_arrives(LOST, UNDELEGATED, tmp_path, csr_name=NAME)

    report = certificates_issue_due()

    assert "satu nama" in report["failed"][LOST]
    state = IssuanceState.objects.get(village_code=LOST)
    assert state.order_times == [] and not IssuedCertificate.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_csr_up_by_sync_certificate_down_installed_and_served_by_name(ca, settings, tmp_path):
    bind, pebble = ca
    # given a village (this test's database) enrolled on an upstream (in process) that issues
    # through pebble and BIND
    upstream = InProcessUpstream(tmp_path / "upstream", UPSTREAM)
    upstream.settings.update(acme_settings(bind, pebble, tmp_path / "upstream"))
    try:
        for name, value in node_settings(tmp_path / "village", SYNC_NODE_CODE=VILLAGE).items():
            setattr(settings, name, value)
        settings.HUB_TLS_DIR = tmp_path / "village" / "tls"
        settings.HUB_TLS_NAME = NAME
        village_identity_set(code=VILLAGE)
        village_key, _ = keys.node_key_create()
        with upstream.active():
            village_enroll(code=VILLAGE, public_key=keys.public_key_text(village_key.public_key()))
        upstream_set(url="http://upstream.test", public_key=upstream.public_key, code=UPSTREAM)
        transport = InProcessTransport(upstream)

        # when the village makes its request and syncs, the upstream issues, the village syncs
        started = time.monotonic()
        request = certificate_request_ensure()
        up = sync_run(trigger="test", force=True, transport=transport)
        with upstream.active():
            report = certificates_issue_due()
        down = sync_run(trigger="test", force=True, transport=transport)
        elapsed = time.monotonic() - started

        # then the certificate is installed in live/ and matches the hub's key and name
        assert up.error == "" and down.error == "", (up.error, down.error)
        assert report["issued"] == [VILLAGE], report
        live = settings.HUB_TLS_DIR / "live"
        info = tls.installed_info(settings.HUB_TLS_DIR)
        assert info is not None and info.names == (NAME,)
        assert info.key_sha256 == request.key_sha256
        # and the village reports what it installed (goes up with the next sync)
        request.refresh_from_db()
        assert request.installed_serial == info.serial
        print(f"CSR to installed certificate through pebble: {elapsed:.2f} s")

        # and a TLS server on live/ is trusted by its name with pebble's root
        served = serve_once(live / "fullchain.pem", live / "privkey.pem")
        client = ssl.create_default_context(cafile=str(pebble.workdir / "root.pem"))
        with (
            socket.create_connection(("127.0.0.1", served)) as raw,
            client.wrap_socket(raw, server_hostname=NAME) as conn,
        ):
            peer = conn.getpeercert()
            conn.sendall(b"ping")
            assert conn.recv(4) == b"pong"
        assert ("DNS", NAME) in peer["subjectAltName"]
        # and another name is refused by the same client
        with (
            socket.create_connection(
                ("127.0.0.1", serve_once(live / "fullchain.pem", live / "privkey.pem"))
            ) as raw,
            pytest.raises(ssl.SSLCertVerificationError),
        ):
            client.wrap_socket(raw, server_hostname=OTHER_NAME)
    finally:
        upstream.close()


def serve_once(cert, key) -> int:
    """A TLS server on a free port that answers one connection ("ping" -> "pong")."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(10)

    def run():
        try:
            conn, _ = listener.accept()
            with context.wrap_socket(conn, server_side=True) as tls_conn:
                if tls_conn.recv(4) == b"ping":
                    tls_conn.sendall(b"pong")
        except (OSError, ssl.SSLError):
            pass
        finally:
            listener.close()

    threading.Thread(target=run, daemon=True).start()
    return listener.getsockname()[1]
