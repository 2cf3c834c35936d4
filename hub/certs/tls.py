"""Key, CSR and certificate handling without the database: made and checked with
``cryptography``; files written so that nginx never sees half a certificate.

Layout of ``HUB_TLS_DIR``::

    hub.key              the hub's ECDSA P-256 private key (0600), made here, never sent
    certs/<serial>/      fullchain.pem + privkey.pem (a copy of hub.key) of one certificate
    live -> certs/<serial>        what nginx serves (a symlink, swapped atomically)
    previous -> certs/<serial>    the one before, kept until the new one is installed
"""

import datetime
import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.utils.translation import gettext as _

from hub.core.files import fsync_dir

KEY_FILE = "hub.key"
FULLCHAIN = "fullchain.pem"
PRIVKEY = "privkey.pem"
# a certificate may say it starts a little after this hub's clock (a Pi's clock drifts)
NOT_BEFORE_LEEWAY = datetime.timedelta(minutes=10)


class CertificateRefused(ValueError):
    """A certificate that must not be installed; the message says why (Indonesian, for the
    operator)."""


@dataclass(frozen=True)
class CertificateInfo:
    serial: str
    names: tuple[str, ...]
    not_before: datetime.datetime
    not_after: datetime.datetime
    key_sha256: str


def key_load_or_create(tls_dir: Path) -> tuple[ec.EllipticCurvePrivateKey, bool]:
    """The hub's private key, made (ECDSA P-256, mode 0600) when missing; True when made now."""
    tls_dir.mkdir(parents=True, exist_ok=True)
    path = tls_dir / KEY_FILE
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{path} is not an EC key")
        return key, False
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # written whole under another name, then renamed: never a key file half written
    fd, tmp = tempfile.mkstemp(dir=tls_dir, prefix=".hub.key.")
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, pem)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    return key, True


def key_load(tls_dir: Path) -> ec.EllipticCurvePrivateKey | None:
    path = tls_dir / KEY_FILE
    if not path.exists():
        return None
    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def public_key_sha256(public_key) -> str:
    """SHA-256 of the DER SubjectPublicKeyInfo: the key's fingerprint in records and logs."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def csr_make(key: ec.EllipticCurvePrivateKey, name: str) -> str:
    """A CSR (PEM) for ``name`` alone, as the subject's CN and the only SAN."""
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM).decode("ascii")


def csr_sha256(csr_pem: str) -> str:
    der = x509.load_pem_x509_csr(csr_pem.encode()).public_bytes(serialization.Encoding.DER)
    return hashlib.sha256(der).hexdigest()


def csr_names(csr: x509.CertificateSigningRequest) -> list[str]:
    try:
        san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    return [n.lower() for n in san.value.get_values_for_type(x509.DNSName)]


def chain_parse(pem: str | bytes) -> list[x509.Certificate]:
    data = pem.encode() if isinstance(pem, str) else pem
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise CertificateRefused(_("Berkas bukan sertifikat PEM yang sah.")) from exc
    return certs


def certificate_info(cert: x509.Certificate) -> CertificateInfo:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        names = tuple(n.lower() for n in san.value.get_values_for_type(x509.DNSName))
    except x509.ExtensionNotFound:
        names = ()
    return CertificateInfo(
        serial=format(cert.serial_number, "x"),
        names=names,
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        key_sha256=public_key_sha256(cert.public_key()),
    )


def name_covered(name: str, names: tuple[str, ...]) -> bool:
    """True when ``name`` is one of the certificate's DNS names (a wildcard covers one label)."""
    name = name.lower()
    for candidate in names:
        if candidate == name:
            return True
        if candidate.startswith("*.") and name.split(".", 1)[-1] == candidate[2:]:
            return True
    return False


def chain_check(
    pem: str | bytes, *, key_sha256: str, name: str, now: datetime.datetime
) -> CertificateInfo:
    """The leaf's facts when the chain may be installed for this key and name; else
    :class:`CertificateRefused` with the reason. Trust in the CA is the clients' business: this
    checks that the certificate is whole, ours and current."""
    certs = chain_parse(pem)
    if not certs:
        raise CertificateRefused(_("Berkas tidak berisi sertifikat."))
    leaf = certs[0]
    info = certificate_info(leaf)
    if info.key_sha256 != key_sha256:
        raise CertificateRefused(
            _("Sertifikat bukan untuk kunci hub ini (kunci publiknya berbeda).")
        )
    if not name_covered(name, info.names):
        raise CertificateRefused(
            _("Sertifikat tidak berlaku untuk nama %(name)s (berlaku untuk: %(names)s).")
            % {"name": name, "names": ", ".join(info.names) or "-"}
        )
    if info.not_after <= now:
        raise CertificateRefused(
            _("Sertifikat sudah kedaluwarsa pada %(date)s.")
            % {"date": f"{info.not_after:%Y-%m-%d}"}
        )
    if info.not_before > now + NOT_BEFORE_LEEWAY:
        raise CertificateRefused(
            _("Sertifikat baru berlaku mulai %(date)s.")
            % {"date": f"{info.not_before:%Y-%m-%d %H:%M}"}
        )
    for child, parent in zip(certs, certs[1:], strict=False):
        try:
            child.verify_directly_issued_by(parent)
        except (ValueError, TypeError, InvalidSignature) as exc:
            raise CertificateRefused(
                _(
                    "Rantai sertifikat tidak utuh (sertifikat perantara tidak menandatangani "
                    "sertifikat sebelumnya)."
                )
            ) from exc
    return info


def installed_info(tls_dir: Path) -> CertificateInfo | None:
    """The facts of the certificate in ``live/``, or None."""
    path = tls_dir / "live" / FULLCHAIN
    try:
        certs = x509.load_pem_x509_certificates(path.read_bytes())
    except (OSError, ValueError):
        return None
    return certificate_info(certs[0]) if certs else None


def chain_install(tls_dir: Path, pem: str, serial: str) -> Path:
    """Write the chain and a copy of the key to ``certs/<serial>/`` and swap ``live`` to it in
    one rename; the one served before becomes ``previous``. Returns the new directory."""
    certs_dir = tls_dir / "certs"
    certs_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=certs_dir, prefix=".new-"))
    (staging / FULLCHAIN).write_text(pem if pem.endswith("\n") else pem + "\n")
    key_copy = staging / PRIVKEY
    shutil.copyfile(tls_dir / KEY_FILE, key_copy)
    os.chmod(key_copy, 0o600)
    for path in (staging / FULLCHAIN, key_copy):
        with open(path, "rb") as handle:
            os.fsync(handle.fileno())
    target = certs_dir / serial
    if target.exists():
        shutil.rmtree(target)
    os.replace(staging, target)

    live = tls_dir / "live"
    if live.exists() and not live.is_symlink():
        # a placeholder made before the first certificate (e.g. self-signed, so nginx starts):
        # moved under certs/ once, so that it can become previous/
        placeholder = certs_dir / "initial"
        if placeholder.exists():
            shutil.rmtree(placeholder)
        os.replace(live, placeholder)
        os.symlink("certs/initial", live)
    before = os.readlink(live) if live.is_symlink() else None
    _symlink_swap(tls_dir / "live", f"certs/{serial}")
    if before and before != f"certs/{serial}":
        _symlink_swap(tls_dir / "previous", before)
    fsync_dir(tls_dir)
    keep = {serial}
    for link in ("live", "previous"):
        if (tls_dir / link).is_symlink():
            keep.add(Path(os.readlink(tls_dir / link)).name)
    for old in certs_dir.iterdir():
        if old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)
    return target


def _symlink_swap(link: Path, target: str) -> None:
    tmp = link.with_name(f".{link.name}.tmp")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(target, tmp)
    os.replace(tmp, link)
