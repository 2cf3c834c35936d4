"""A real ACME CA and a real DNS server for the certificate tests: Debian's ``pebble`` (Let's
Encrypt's test CA) and BIND 9's ``named`` in the foreground, on free ports of 127.0.0.1, each
with its own temporary configuration.

``named`` serves two zones: ``hubs.test`` (the villages' names, with each hub's
``_acme-challenge`` CNAME into the service's zone, as an operator makes it at enrollment) and
``acme.test`` (the zone the issuing service controls, open to RFC 2136 updates signed with a TSIG
key). Pebble validates DNS-01 by asking this ``named``.
"""

import base64
import datetime
import ipaddress
import json
import os
import shutil
import ssl
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from .processes import HOST, free_port, stop_process, wait_until

PEBBLE = "/usr/bin/pebble"
NAMED = "/usr/sbin/named"
HUBS_ZONE = "hubs.test"
ACME_ZONE = "acme.test"
TSIG_NAME = "balai-acme"


def tools_present() -> None:
    """Fail (never skip) with what to install when pebble or named is missing."""
    missing = [path for path in (PEBBLE, NAMED) if not os.access(path, os.X_OK)]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} missing: apt-get install pebble bind9 bind9-utils "
            "(scripts/test installs them)"
        )


@dataclass
class Bind:
    process: subprocess.Popen
    port: int
    tsig_secret: str
    directory: Path

    def options(self) -> dict:
        """``HUB_ACME_DNS_OPTIONS`` for the RFC 2136 updater."""
        return {
            "server": HOST,
            "port": self.port,
            "key_name": TSIG_NAME,
            "secret": self.tsig_secret,
            "algorithm": "hmac-sha256",
            "ttl": 5,
        }

    def stop(self) -> None:
        stop_process(self.process, timeout=10)


def bind_start(directory: Path, delegations: dict[str, str]) -> Bind:
    """``named`` with the two zones; ``delegations`` maps a hub's name in ``hubs.test`` to its
    label in ``acme.test`` (the CNAME an operator makes once)."""
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    secret = base64.b64encode(os.urandom(32)).decode()
    soa = "@ 60 IN SOA ns.{zone}. hostmaster.{zone}. 1 60 60 600 5\n@ 60 IN NS ns.{zone}.\n"
    soa += "ns 60 IN A 127.0.0.1\n"
    hubs = soa.format(zone=HUBS_ZONE)
    for name, label in delegations.items():
        relative = name.removesuffix("." + HUBS_ZONE)
        hubs += f"{relative} 60 IN A 127.0.0.1\n"
        hubs += f"_acme-challenge.{relative} 60 IN CNAME {label}.{ACME_ZONE}.\n"
    (directory / "hubs.zone").write_text(hubs)
    (directory / "acme.zone").write_text(soa.format(zone=ACME_ZONE))
    # a root zone of its own: recursion (needed to follow the CNAME into the other zone, as a
    # CA's resolver does) never leaves 127.0.0.1
    (directory / "root.zone").write_text(
        ". 60 IN SOA ns.hubs.test. hostmaster.hubs.test. 1 60 60 600 5\n. 60 IN NS ns.hubs.test.\n"
        "ns.hubs.test. 60 IN A 127.0.0.1\n"
    )
    conf = directory / "named.conf"
    conf.write_text(
        f"""
key "{TSIG_NAME}" {{ algorithm hmac-sha256; secret "{secret}"; }};
options {{
    directory "{directory}";
    pid-file none;
    listen-on port {port} {{ {HOST}; }};
    listen-on-v6 {{ none; }};
    recursion yes;
    allow-recursion {{ 127.0.0.1; }};
    dnssec-validation no;
    notify no;
    session-keyfile none;
}};
controls {{ }};
zone "." {{ type primary; file "{directory}/root.zone"; }};
zone "{HUBS_ZONE}" {{ type primary; file "{directory}/hubs.zone"; }};
zone "{ACME_ZONE}" {{
    type primary;
    file "{directory}/acme.zone";
    allow-update {{ key "{TSIG_NAME}"; }};
}};
"""
    )
    log = open(directory / "named.log", "wb")  # noqa: SIM115 - the process writes it
    process = subprocess.Popen(
        [NAMED, "-g", "-4", "-c", str(conf)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    bind = Bind(process=process, port=port, tsig_secret=secret, directory=directory)
    if not wait_until(lambda: _dns_answers(port) or process.poll() is not None, 30):
        bind.stop()
        pytest.fail(f"named did not start:\n{(directory / 'named.log').read_text()[-2000:]}")
    log_text = (directory / "named.log").read_text()
    if process.poll() is not None or "not loaded due to errors" in log_text:
        bind.stop()
        pytest.fail(
            f"named exited or a zone did not load:\n{(directory / 'named.log').read_text()[-2000:]}"
        )
    return bind


def _dns_answers(port: int) -> bool:
    import dns.message
    import dns.query

    query = dns.message.make_query(f"ns.{HUBS_ZONE}", "A")
    try:
        dns.query.udp(query, HOST, port=port, timeout=0.5)
    except Exception:  # noqa: BLE001 - not up yet
        return False
    return True


@dataclass
class Pebble:
    process: subprocess.Popen
    directory_url: str
    management_url: str
    ca_bundle: Path
    workdir: Path

    def root_pem(self) -> str:
        """Pebble's root (made anew at each start), for clients that must trust its
        certificates."""
        context = ssl.create_default_context(cafile=str(self.ca_bundle))
        handler = urllib.request.HTTPSHandler(context=context)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), handler)
        with opener.open(f"{self.management_url}/roots/0", timeout=10) as response:
            return response.read().decode()

    def stop(self) -> None:
        stop_process(self.process, timeout=10)


def _listener_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for pebble's own HTTPS listener (the ACME client trusts it)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pebble test listener")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address(HOST)),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "listener.pem", directory / "listener.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def pebble_start(directory: Path, dns_port: int, validity_seconds: int | None = None) -> Pebble:
    """Pebble answering DNS-01 through the ``named`` on ``dns_port``; ``validity_seconds``:
    the lifetime of the certificates it issues (short ones for renewal tests)."""
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = _listener_certificate(directory)
    port, management = free_port(), free_port()
    config = {
        "pebble": {
            "listenAddress": f"{HOST}:{port}",
            "managementListenAddress": f"{HOST}:{management}",
            "certificate": str(cert_path),
            "privateKey": str(key_path),
            "httpPort": free_port(),
            "tlsPort": free_port(),
            "ocspResponderURL": "",
            "externalAccountBindingRequired": False,
        }
    }
    if validity_seconds:
        config["pebble"]["certificateValidityPeriod"] = validity_seconds
    (directory / "pebble.json").write_text(json.dumps(config))
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PEBBLE_VA_NOSLEEP": "1",
        "PEBBLE_WFE_NONCEREJECT": "0",
        "PEBBLE_AUTHZREUSE": "0",
    }
    log = open(directory / "pebble.log", "wb")  # noqa: SIM115 - the process writes it
    process = subprocess.Popen(
        [
            PEBBLE,
            "-config",
            str(directory / "pebble.json"),
            "-dnsserver",
            f"{HOST}:{dns_port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=directory,
        env=env,
        start_new_session=True,
    )
    pebble = Pebble(
        process=process,
        directory_url=f"https://{HOST}:{port}/dir",
        management_url=f"https://{HOST}:{management}",
        ca_bundle=cert_path,
        workdir=directory,
    )

    def up() -> bool:
        if process.poll() is not None:
            return True
        try:
            pebble.root_pem()
        except OSError:
            return False
        return True

    if not wait_until(up, 30) or process.poll() is not None:
        pebble.stop()
        pytest.fail(f"pebble did not start:\n{(directory / 'pebble.log').read_text()[-2000:]}")
    # the directory answers too (the management port can come up first)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not (directory / "pebble.log").read_text().count(
        "ACME directory available"
    ):
        time.sleep(0.1)
    return pebble


def servers_start(base: Path, delegations: dict[str, str], validity_seconds=None):
    """Both servers; stop them with :func:`servers_stop`."""
    tools_present()
    bind = bind_start(base / "bind", delegations)
    try:
        pebble = pebble_start(base / "pebble", bind.port, validity_seconds)
    except BaseException:
        bind.stop()
        raise
    return bind, pebble


def servers_stop(bind: Bind, pebble: Pebble) -> None:
    pebble.stop()
    bind.stop()
    shutil.rmtree(bind.directory, ignore_errors=True)
