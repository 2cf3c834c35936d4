"""Certificates between real processes: an upstream (gunicorn on PostgreSQL; its issuing command
as a process) and a village (scripts/run: gunicorn + django-q2 cluster on SQLite), with Debian's
pebble as the CA and BIND 9 answering DNS-01 (tests/harness/acme.py).

The village's CSR goes up by sync_now, the upstream orders through pebble (RFC 2136 update to
BIND, DNS-01 through the _acme-challenge CNAME), the certificate comes down by the next sync_now,
and the village's cluster checks and installs it; a TLS server on live/ is verified by the hub's
name with pebble's root. The in-process tests (tests/certs/) cover refusals, renewal and limits.
"""

import socket
import ssl
import time

import pytest

from tests.certs.test_issuing import serve_once
from tests.harness import acme as servers
from tests.harness.hubs import VILLAGE_CODES
from tests.harness.processes import manage, wait_until

pytestmark = pytest.mark.e2e

CODE = VILLAGE_CODES[0]
NAME = f"balai.sukamaju.{servers.HUBS_ZONE}"


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    bind, pebble = servers.servers_start(tmp_path_factory.mktemp("acme"), {NAME: CODE})
    yield bind, pebble
    servers.servers_stop(bind, pebble)


def test_csr_up_certificate_down_installed_by_the_cluster_and_trusted_by_name(
    ca, upstream, villages, tmp_path
):
    bind, pebble = ca
    # given an upstream that issues through pebble and BIND (the TSIG secret in a file, as
    # Ansible renders it), and a village with its HTTPS name
    secret_file = tmp_path / "tsig.key"
    secret_file.write_text(bind.tsig_secret + "\n")
    upstream.env.update(
        HUB_ACME_DIRECTORY_URL=pebble.directory_url,
        HUB_ACME_CA_BUNDLE=str(pebble.ca_bundle),
        HUB_ACME_DNS_ZONE=servers.ACME_ZONE,
        HUB_ACME_DNS_SERVER="127.0.0.1",
        HUB_ACME_DNS_PORT=str(bind.port),
        HUB_ACME_TSIG_NAME=servers.TSIG_NAME,
        HUB_ACME_TSIG_SECRET_FILE=str(secret_file),
    )
    village = villages(CODE, env={"HUB_TLS_NAME": NAME})
    tls_dir = village.data_dir / "tls"

    # when the village makes its request and syncs, the upstream issues, the village syncs
    started = time.monotonic()
    manage(village.env, "certificate_request")
    manage(village.env, "sync_now")
    issued = manage(upstream.env, "certificates_issue")
    manage(village.env, "sync_now")
    installed = wait_until(lambda: (tls_dir / "live" / "fullchain.pem").exists(), timeout=60)
    elapsed = time.monotonic() - started

    # then the village's cluster installed it, next to the key made on the hub
    assert f"issued {CODE}" in issued.stdout
    assert installed, "the village's cluster did not install the certificate within 60 s"
    assert (tls_dir / "live" / "privkey.pem").read_bytes() == (tls_dir / "hub.key").read_bytes()
    print(f"CSR to installed certificate, real processes: {elapsed:.1f} s")
    # and the upstream's key never saw the hub's key: its data dir holds no hub.key
    assert not list((upstream.data_dir).rglob("hub.key"))

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
