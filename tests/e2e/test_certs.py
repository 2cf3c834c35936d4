"""Certificates between real processes: an upstream (gunicorn and its django-q2 cluster on
PostgreSQL, with the ACME settings as Ansible renders them) and a village (scripts/run: gunicorn
+ django-q2 cluster on SQLite), with Debian's pebble as the CA and BIND 9 answering DNS-01
(tests/harness/acme.py). Pebble issues certificates of ``LIFETIME`` seconds here, so renewal
and expiry happen on the real clock within the module.

First the whole path: the village's CSR goes up by sync_now, the upstream orders through pebble
(RFC 2136 update to BIND, DNS-01 through the _acme-challenge CNAME) with its certificates_issue
command, the certificate comes down by the next sync (sync_run, as sync_now runs it, from an
agent: a Django process of the village started beforehand, so the short lifetime is not spent
on start-up), the village's cluster checks and installs it, and a TLS server on live/ is
verified by the hub's name with pebble's root.

Then renewal and expiry: the upstream's issuing task, queued to its cluster as the hourly
schedule queues it, renews only once half the lifetime has passed. The village, offline
meanwhile, keeps serving the first certificate until it ends: past its end the role's
balai-tls-select takes nginx back to plain HTTP, the hub's system check warns, and its next
sync carries the warning on the heartbeat to the upstream (kept on the village's node, the
village listed by the dashboard's selector; the pages themselves: tests/certs/test_fleet.py), and
brings the renewed certificate down, which the cluster installs (the first kept as previous/);
nginx is back on HTTPS and the next heartbeat clears the warning. Pebble 2.4 (Debian 12) serves
no ACME renewal information (ARI, RFC 9773): the renewal here is the half-lifetime rule, and ARI
is exercised only in its absence (no test has a CA that serves it). The in-process tests
(tests/certs/) cover refusals, limits and the dashboards.
"""

import datetime
import socket
import ssl
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from hub.certs import tls
from tests.certs.test_issuing import serve_once
from tests.harness import acme as servers
from tests.harness.hubs import VILLAGE_CODES, UpstreamNode
from tests.harness.processes import manage, wait_until
from tests.provisioning.test_https_nginx import NGINX, Site

pytestmark = pytest.mark.e2e

CODE = VILLAGE_CODES[0]
NAME = f"balai.sukamaju.{servers.HUBS_ZONE}"
# seconds: the first certificate must reach the village before half of it has passed (the
# renewal), and the renewed one must still be good after the first has ended; the hourly task
# right after the order must run before half of it too (it ran 10 s after the order under load
# 7-9 on the 2-core machine, failing with 20)
LIFETIME = 30

# the upstream's hourly task, queued now to its cluster as its schedule queues it
ISSUE_TASK = """
from django_q.tasks import async_task, fetch
task = fetch(async_task("hub.certs.tasks.certificates_issue_task"), wait=120_000)
result = None if task is None else {
    "success": task.success, "result": task.result, "stopped": task.stopped.isoformat()
}
"""
UPSTREAM_VIEW = f"""
from hub.certs.models import IssuanceState, IssuedCertificate
from hub.certs.selectors import certificates_at_risk
from hub.sync.models import Node
issued = IssuedCertificate.objects.filter(village_code="{CODE}").first()
result = {{
    "facts": Node.objects.get(code="{CODE}").heartbeat.get("facts"),
    "at_risk": [row["code"] for row in certificates_at_risk()],
    "serial": issued and issued.serial,
    "fullchain": issued and issued.fullchain_pem,
    "renew_after": IssuanceState.objects.get(village_code="{CODE}").renew_after.isoformat(),
}}
"""
VILLAGE_CHECK = """
from hub.certs.checks import check_certificate
result = [problem.id for problem in check_certificate(None)]
"""


def task_run(agent) -> dict:
    """The issuing task's report, and when the cluster finished it (``stopped``)."""
    answer = agent("exec", code=ISSUE_TASK)["result"]
    assert answer is not None, "the upstream's cluster did not run the issuing task in 120 s"
    assert answer["success"], answer["result"]
    return {**answer["result"], "stopped": datetime.datetime.fromisoformat(answer["stopped"])}


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    bind, pebble = servers.servers_start(
        tmp_path_factory.mktemp("acme"), {NAME: CODE}, validity_seconds=LIFETIME
    )
    yield bind, pebble
    servers.servers_stop(bind, pebble)


@pytest.fixture(scope="module")
def upstream(ca, tmp_path_factory):
    """The module's upstream, issuing through pebble and BIND: gunicorn and its cluster started
    with the ACME settings (the TSIG secret in a file, as Ansible renders them)."""
    bind, pebble = ca
    base = tmp_path_factory.mktemp("sync")
    secret_file = base / "tsig.key"
    secret_file.write_text(bind.tsig_secret + "\n")
    node = UpstreamNode(
        base,
        env={
            "HUB_ACME_DIRECTORY_URL": pebble.directory_url,
            "HUB_ACME_CA_BUNDLE": str(pebble.ca_bundle),
            "HUB_ACME_DNS_ZONE": servers.ACME_ZONE,
            "HUB_ACME_DNS_SERVER": "127.0.0.1",
            "HUB_ACME_DNS_PORT": str(bind.port),
            "HUB_ACME_TSIG_NAME": servers.TSIG_NAME,
            "HUB_ACME_TSIG_SECRET_FILE": str(secret_file),
        },
    )
    yield node
    node.close()


@pytest.fixture(scope="module")
def issuing(upstream):
    """The upstream and an agent (a Django process of it) to queue its task and read its
    tables."""
    return SimpleNamespace(node=upstream, agent=upstream.agent())


@pytest.fixture(scope="module")
def first(issuing, villages):
    """A village with its name (warning only once the certificate has ended, so the warning's
    coming and going is seen within the module) and pebble's first certificate, installed by its
    cluster; what the upstream's task did right after the order."""
    village = villages(CODE, env={"HUB_TLS_NAME": NAME, "HUB_TLS_WARN_DAYS": "0"})
    tls_dir = village.data_dir / "tls"
    # a Django process of the village, started now: from the order on, the clock runs
    hub = village.agent()

    # the village makes its request and syncs, the upstream issues, the village syncs
    started = time.monotonic()
    manage(village.env, "certificate_request")
    manage(village.env, "sync_now")
    issued = manage(issuing.node.env, "certificates_issue")
    ordered = time.monotonic()
    # the hourly task right after: the same CSR, its certificate young, nothing to order
    again = task_run(issuing.agent)
    down = hub("sync")
    installed = wait_until(lambda: (tls_dir / "live" / "fullchain.pem").exists(), timeout=60)
    done = time.monotonic()
    return SimpleNamespace(
        village=village,
        hub=hub,
        tls_dir=tls_dir,
        issued=issued.stdout,
        again=again,
        down=down,
        installed=installed,
        elapsed=done - started,
        order_to_installed=done - ordered,
        info=tls.installed_info(tls_dir),
    )


def test_csr_up_certificate_down_installed_by_the_cluster_and_trusted_by_name(
    first, upstream, tmp_path, ca
):
    _bind, pebble = ca
    tls_dir = first.tls_dir
    # then the village's cluster installed it, next to the key made on the hub
    assert f"issued {CODE}" in first.issued
    assert first.down["ok"], first.down
    assert first.installed, "the village's cluster did not install the certificate within 60 s"
    assert (tls_dir / "live" / "privkey.pem").read_bytes() == (tls_dir / "hub.key").read_bytes()
    print(
        f"CSR to installed certificate, real processes: {first.elapsed:.1f} s "
        f"(from the order: {first.order_to_installed:.1f} s)"
    )
    # and the upstream's key never saw the hub's key: its data dir holds no hub.key
    assert not list((upstream.data_dir).rglob("hub.key"))
    # and the hourly task right after the order ordered nothing more
    assert (first.again["issued"], first.again["failed"]) == ([], {})

    # and a TLS server on live/ is trusted by the hub's name with pebble's root
    root = tmp_path / "pebble-root.pem"
    root.write_text(pebble.root_pem())
    client = ssl.create_default_context(cafile=str(root))
    port = serve_once(tls_dir / "live" / "fullchain.pem", tls_dir / "live" / "privkey.pem")
    with (
        socket.create_connection(("127.0.0.1", port)) as raw,
        client.wrap_socket(raw, server_hostname=NAME) as conn,
    ):
        conn.sendall(b"ping")
        assert conn.recv(4) == b"pong"


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _sleep_until(when: datetime.datetime) -> None:
    time.sleep(max(0.0, (when - _now()).total_seconds()))


def test_renewed_at_half_life_the_expired_one_not_served_warned_then_replaced(
    first, issuing, tmp_path
):
    started = time.monotonic()
    village, tls_dir, old = first.village, first.tls_dir, first.info
    assert old is not None and first.installed, "no first certificate (see the test before)"
    assert old.not_after - old.not_before <= datetime.timedelta(seconds=LIFETIME)
    if not Path(NGINX).exists():
        pytest.fail("nginx is not installed: scripts/test installs Debian's nginx", pytrace=False)
    hub = first.hub
    # the role's nginx files and balai-tls-select, on the village's data directory
    (tmp_path / "nginx").mkdir()
    (tmp_path / "nginx" / "data").symlink_to(village.data_dir)
    site = Site(tmp_path / "nginx", hub_nginx_tls_name=NAME)

    # given the first certificate served and no warning
    assert site.select().stdout.strip() == "switched to https"
    assert hub("exec", code=VILLAGE_CHECK)["result"] == []

    # when the upstream's task runs every second until it orders
    view = issuing.agent("exec", code=UPSTREAM_VIEW)["result"]
    renew_after = datetime.datetime.fromisoformat(view["renew_after"])
    runs = [first.again]
    while not runs[-1]["issued"]:
        assert _now() < old.not_after, f"no renewal before the first certificate ended: {runs}"
        time.sleep(1)
        runs.append(task_run(issuing.agent))
    view = issuing.agent("exec", code=UPSTREAM_VIEW)["result"]
    renewed = tls.chain_parse(view["fullchain"])[0].not_valid_before_utc

    # then it renewed at half the lifetime (ARI: none from pebble 2.4), not before: the runs
    # before ordered nothing (the first finished right after the order, well before half the
    # lifetime), and the renewed certificate starts then (pebble's times are whole seconds)
    half = old.not_before + (old.not_after - old.not_before) / 2
    assert abs(renew_after - half) < datetime.timedelta(seconds=1)
    assert all(not run["issued"] for run in runs[:-1])
    assert runs[0]["stopped"] < renew_after, "the first run came after half the lifetime"
    assert renewed >= renew_after - datetime.timedelta(seconds=1)
    assert view["serial"] != old.serial
    print(
        f"renewed {(renewed - old.not_before).total_seconds():.0f} s into {LIFETIME} s "
        f"after {len(runs) - 1} runs that ordered nothing"
    )

    # when the village stays offline until its certificate has ended
    _sleep_until(old.not_after + datetime.timedelta(seconds=1))

    # then nginx goes back to plain HTTP (an expired certificate is not served), the hub's
    # system check warns, and the renewed certificate has not come down yet
    assert site.select().stdout.strip() == "switched to http"
    assert hub("exec", code=VILLAGE_CHECK)["result"] == ["balai.certs.W001"]
    assert tls.installed_info(tls_dir).serial == old.serial

    # when it syncs
    synced = hub("sync")
    # then its heartbeat told the upstream: expired, warning, listed on the dashboard
    assert synced["ok"], synced
    view = issuing.agent("exec", code=UPSTREAM_VIEW)["result"]
    assert view["facts"] == {
        "cert_not_after": old.not_after.isoformat(timespec="seconds"),
        "cert_warn": True,
    }
    assert view["at_risk"] == [CODE]
    # and the renewed certificate came down: the cluster installs it, the first is kept
    new_serial = view["serial"]
    installed = wait_until(
        lambda: getattr(tls.installed_info(tls_dir), "serial", None) == new_serial, timeout=60
    )
    assert installed, "the village's cluster did not install the renewed certificate in 60 s"
    new = tls.installed_info(tls_dir)
    previous = tls_dir / "previous" / "fullchain.pem"
    assert tls.chain_parse(previous.read_text())[0].serial_number == int(old.serial, 16)
    assert new.not_before <= _now() < new.not_after
    # and nginx serves HTTPS again
    assert site.select().stdout.strip() == "switched to https"

    # when the village syncs again, its heartbeat clears the warning on the upstream
    assert hub("sync")["ok"]
    view = issuing.agent("exec", code=UPSTREAM_VIEW)["result"]
    assert view["facts"] == {
        "cert_not_after": new.not_after.isoformat(timespec="seconds"),
        "cert_warn": False,
    }
    assert view["at_risk"] == []
    assert hub("exec", code=VILLAGE_CHECK)["result"] == []
    print(
        f"renewal and expiry, real processes: {time.monotonic() - started:.1f} s "
        f"(certificates of {LIFETIME} s)"
    )
