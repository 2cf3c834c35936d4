"""A throw-away CA for the tests (cryptography): a root the test's client trusts and an
intermediate that signs leaves, as a public CA's chain is built. Leaves are made for any public
key (a hub's, from its CSR: its key stays on the hub), name and lifetime, or with a key of their
own (the upstream's operator-provided certificate). The certificate tests (tests/certs) and the
container tests (tests/provisioning) share it."""

import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem(*certificates: x509.Certificate) -> str:
    return "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in certificates)


class ThrowawayCA:
    """A root and an intermediate, each valid from yesterday for ten years."""

    def __init__(self):
        now = datetime.datetime.now(datetime.UTC)
        valid = (now - datetime.timedelta(days=1), now + datetime.timedelta(days=3650))
        self.root_key = ec.generate_private_key(ec.SECP256R1())
        root_name = _name("Balai test root")
        self.root = self._sign(
            root_name, self.root_key.public_key(), root_name, self.root_key, *valid, ca=True
        )
        self.intermediate_key = ec.generate_private_key(ec.SECP256R1())
        self.intermediate = self._sign(
            _name("Balai test intermediate"),
            self.intermediate_key.public_key(),
            self.root.subject,
            self.root_key,
            *valid,
            ca=True,
        )

    @property
    def root_pem(self) -> str:
        return _pem(self.root)

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

    def leaf(self, public_key, names, *, days: float = 45, start_days_ago: float = 1):
        """A leaf for ``public_key`` and ``names`` (the first is its common name); a negative
        end (``days`` < ``start_days_ago``) makes an expired one, a negative start one not yet
        valid."""
        not_before = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=start_days_ago)
        return self._sign(
            _name(names[0]),
            public_key,
            self.intermediate.subject,
            self.intermediate_key,
            not_before,
            not_before + datetime.timedelta(days=days),
            names=tuple(names),
        )

    def issue(self, public_key, names, *, chain: bool = True, **lifetime) -> str:
        """The leaf + intermediate PEM (the leaf alone without ``chain``)."""
        leaf = self.leaf(public_key, names, **lifetime)
        return _pem(leaf, self.intermediate) if chain else _pem(leaf)

    def fullchain(self, public_key, name: str, **lifetime) -> tuple[str, str]:
        """(leaf + intermediate PEM, the leaf's serial in hex) for ``public_key`` and ``name``."""
        leaf = self.leaf(public_key, (name,), **lifetime)
        return _pem(leaf, self.intermediate), format(leaf.serial_number, "x")

    def fullchain_for_csr(self, csr_pem: str, name: str, **lifetime) -> tuple[str, str]:
        """Sign the public key of a hub's CSR (checked first) for ``name``."""
        csr = x509.load_pem_x509_csr(csr_pem.encode())
        assert csr.is_signature_valid, "the hub's CSR is not signed by its key"
        return self.fullchain(csr.public_key(), name, **lifetime)

    def key_and_fullchain(self, name: str, **lifetime) -> tuple[str, str, str]:
        """(private key PEM, fullchain PEM, serial) of a certificate with a key of its own."""
        key = ec.generate_private_key(ec.SECP256R1())
        chain, serial = self.fullchain(key.public_key(), name, **lifetime)
        key_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        return key_pem, chain, serial
