"""Certificates for the tests: a small CA made with ``cryptography`` that signs leaves for any
key, name and lifetime; the hub's TLS directory in the test's own temp dir."""

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from hub.site.services import village_identity_set

VILLAGE = "1503012021"
NAME = "balai.desa-contoh.desa.id"


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


class TestCA:
    """A root and an intermediate; :meth:`issue` returns a leaf + intermediate PEM chain."""

    def __init__(self):
        now = datetime.datetime.now(datetime.UTC)
        self.root_key = ec.generate_private_key(ec.SECP256R1())
        self.root = self._sign(
            _name("Test Root"),
            self.root_key.public_key(),
            _name("Test Root"),
            self.root_key,
            now - datetime.timedelta(days=1),
            now + datetime.timedelta(days=3650),
            ca=True,
        )
        self.inter_key = ec.generate_private_key(ec.SECP256R1())
        self.inter = self._sign(
            _name("Test Intermediate"),
            self.inter_key.public_key(),
            self.root.subject,
            self.root_key,
            now - datetime.timedelta(days=1),
            now + datetime.timedelta(days=3650),
            ca=True,
        )

    @staticmethod
    def _sign(subject, public_key, issuer, issuer_key, not_before, not_after, ca=False, names=()):
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if names:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False
            )
        return builder.sign(issuer_key, hashes.SHA256())

    def issue(self, public_key, names=(NAME,), days=45, start_days_ago=1, chain=True) -> str:
        now = datetime.datetime.now(datetime.UTC)
        not_before = now - datetime.timedelta(days=start_days_ago)
        leaf = self._sign(
            _name(names[0]),
            public_key,
            self.inter.subject,
            self.inter_key,
            not_before,
            not_before + datetime.timedelta(days=days),
            names=names,
        )
        certs = [leaf, self.inter] if chain else [leaf]
        return "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in certs)


@pytest.fixture(scope="session")
def test_ca():
    return TestCA()


@pytest.fixture
def hub_tls(settings, tmp_path, db):
    """A village hub with its code set, its name, and a TLS directory of this test's own."""
    village_identity_set(code=VILLAGE)
    settings.HUB_TLS_DIR = tmp_path / "tls"
    settings.HUB_TLS_NAME = NAME
    return settings.HUB_TLS_DIR
