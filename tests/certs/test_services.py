"""The village side: key and CSR, and installing a certificate only when it is whole, ours,
for our name and current (every refusal leaves the disk as it was)."""

import os
import stat

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.management import CommandError, call_command

from hub.certs import tls
from hub.certs.checks import check_certificate
from hub.certs.models import CertificateInstall, CertificateRequest
from hub.certs.selectors import tls_name
from hub.certs.services import certificate_install, certificate_request_ensure

from .conftest import NAME


def disk_state(tls_dir):
    """Every file under the TLS directory with its bytes, and where the links point."""
    state = {}
    for path in sorted(tls_dir.rglob("*")):
        if path.is_symlink():
            state[str(path)] = ("link", os.readlink(path))
        elif path.is_file():
            state[str(path)] = path.read_bytes()
    return state


def hub_public_key(tls_dir):
    return tls.key_load(tls_dir).public_key()


def test_the_hub_makes_its_key_and_a_csr_for_its_name_once(hub_tls):
    # when the request is ensured twice
    first = certificate_request_ensure()
    again = certificate_request_ensure()

    # then the key is ECDSA P-256, readable by the hub alone
    key_path = hub_tls / "hub.key"
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    key = tls.key_load(hub_tls)
    assert isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1"
    # and the CSR names the hub alone and is signed by that key
    csr = x509.load_pem_x509_csr(first.csr_pem.encode())
    assert csr.is_signature_valid
    assert tls.csr_names(csr) == [NAME]
    assert tls.public_key_sha256(csr.public_key()) == first.key_sha256
    # and the same request is kept (no new CSR, no new revision to send up)
    assert (again.pk, again.rev, again.csr_pem) == (first.pk, first.rev, first.csr_pem)
    assert CertificateRequest.objects.count() == 1


def test_a_new_name_makes_a_new_csr_with_the_same_key_and_a_lost_key_a_new_one(hub_tls, settings):
    first = certificate_request_ensure()

    # when the name changes
    settings.HUB_TLS_NAME = "balai.desa-lain.desa.id"
    renamed = certificate_request_ensure()
    # then the same record carries a CSR for the new name, with the same key
    assert renamed.pk == first.pk and renamed.rev > first.rev
    assert renamed.name == "balai.desa-lain.desa.id"
    assert renamed.key_sha256 == first.key_sha256

    # when the key is lost (an SD card restored without it)
    (hub_tls / "hub.key").unlink()
    rekeyed = certificate_request_ensure()
    # then a new key and a new CSR
    assert rekeyed.key_sha256 != first.key_sha256
    assert rekeyed.csr_sha256 != renamed.csr_sha256


def test_no_name_no_key_no_request(db, settings, tmp_path):
    # given a hub whose code is not set yet, and no fixed name
    settings.HUB_TLS_DIR = tmp_path / "tls"
    settings.HUB_TLS_NAME = ""
    settings.HUB_VILLAGE_DOMAIN = ""
    settings.HUB_TLS_PROVINCE_DOMAIN = "hub.jatimprov.go.id"
    settings.HUB_TLS_NAME_PATTERN = "{code}.{province_domain}"
    # then there is no name and nothing is made
    assert tls_name() == ""
    assert certificate_request_ensure() is None
    assert not (tmp_path / "tls").exists()


@pytest.mark.parametrize(
    ("pattern", "village_domain", "province_domain", "expected"),
    [
        ("balai.{village_domain}", "sukamaju.desa.id", "", "balai.sukamaju.desa.id"),
        ("{code}.{province_domain}", "", "hub.jatimprov.go.id", "1503012021.hub.jatimprov.go.id"),
        ("{code}.{province_domain}", "", "", ""),
    ],
)
def test_the_name_follows_the_pattern(
    hub_tls, settings, pattern, village_domain, province_domain, expected
):
    settings.HUB_TLS_NAME = ""
    settings.HUB_TLS_NAME_PATTERN = pattern
    settings.HUB_VILLAGE_DOMAIN = village_domain
    settings.HUB_TLS_PROVINCE_DOMAIN = province_domain
    assert tls_name() == expected


def test_a_good_certificate_is_installed_and_the_one_before_kept(hub_tls, test_ca):
    certificate_request_ensure()
    first_pem = test_ca.issue(hub_public_key(hub_tls), days=45, start_days_ago=20)
    second_pem = test_ca.issue(hub_public_key(hub_tls), days=45, start_days_ago=0)

    # when the first one is installed
    entry = certificate_install(pem=first_pem, source="test")
    # then live/ holds it with a copy of the hub's key, 0600
    assert entry.result == CertificateInstall.RESULT_INSTALLED
    live = hub_tls / "live"
    assert live.is_symlink()
    assert (live / "fullchain.pem").read_text() == first_pem
    assert (live / "privkey.pem").read_bytes() == (hub_tls / "hub.key").read_bytes()
    assert stat.S_IMODE((live / "privkey.pem").stat().st_mode) == 0o600
    # and the request reports it up
    request = CertificateRequest.objects.get()
    assert request.installed_serial == entry.serial and request.install_error == ""

    # when the renewed one arrives
    certificate_install(pem=second_pem, source="test")
    # then it is live and the first is kept as previous/
    assert (hub_tls / "live" / "fullchain.pem").read_text() == second_pem
    assert (hub_tls / "previous" / "fullchain.pem").read_text() == first_pem
    # and the same one again changes nothing
    assert certificate_install(pem=second_pem, source="test") is None


def _expired(test_ca, key):
    return test_ca.issue(key, days=10, start_days_ago=11)


def _broken_chain(test_ca, key):
    other = type(test_ca)()
    leaf = test_ca.issue(key, chain=False)
    return leaf + other.issue(key).split("-----END CERTIFICATE-----\n", 1)[1]


@pytest.mark.parametrize(
    ("what", "make", "says"),
    [
        (
            "another key",
            lambda ca, key: ca.issue(ec.generate_private_key(ec.SECP256R1()).public_key()),
            "kunci",
        ),
        (
            "another name",
            lambda ca, key: ca.issue(key, names=("balai.desa-lain.desa.id",)),
            "tidak berlaku untuk nama",
        ),
        ("expired", _expired, "kedaluwarsa"),
        ("not yet valid", lambda ca, key: ca.issue(key, start_days_ago=-2), "baru berlaku"),
        (
            "garbage",
            lambda ca, key: (
                "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n"
            ),
            "bukan sertifikat",
        ),
        ("no certificate", lambda ca, key: "hello", "bukan sertifikat"),
        ("a chain that does not link", _broken_chain, "Rantai"),
    ],
)
def test_a_bad_certificate_is_refused_and_nothing_changes(hub_tls, test_ca, what, make, says):
    # given an installed certificate
    certificate_request_ensure()
    key = hub_public_key(hub_tls)
    certificate_install(pem=test_ca.issue(key), source="test")
    before = disk_state(hub_tls)

    # when a bad one is offered (what: see the parameter)
    entry = certificate_install(pem=make(test_ca, key), source=f"test {what}")

    # then it is refused with the reason, logged and reported up, and the disk is as it was
    assert entry.result == CertificateInstall.RESULT_REFUSED, what
    assert says in entry.message
    assert disk_state(hub_tls) == before
    assert says in CertificateRequest.objects.get().install_error


def test_an_older_certificate_does_not_replace_a_newer_one(hub_tls, test_ca):
    certificate_request_ensure()
    key = hub_public_key(hub_tls)
    newer = test_ca.issue(key, days=45, start_days_ago=0)
    older = test_ca.issue(key, days=45, start_days_ago=20)
    certificate_install(pem=newer, source="test")
    before = disk_state(hub_tls)

    # when a replayed older one arrives
    entry = certificate_install(pem=older, source="replay")

    # then it is refused and the newer stays
    assert entry.result == CertificateInstall.RESULT_REFUSED
    assert "lebih lama" in entry.message
    assert disk_state(hub_tls) == before


def test_the_command_installs_from_a_file_and_refuses_a_bad_one(hub_tls, test_ca, tmp_path):
    certificate_request_ensure()
    good = tmp_path / "fullchain.pem"
    good.write_text(test_ca.issue(hub_public_key(hub_tls)))
    bad = tmp_path / "other.pem"
    bad.write_text(test_ca.issue(hub_public_key(hub_tls), names=("other.desa.id",)))

    call_command("certificate_install", str(good))
    assert (hub_tls / "live" / "fullchain.pem").read_text() == good.read_text()

    with pytest.raises(CommandError, match="refused"):
        call_command("certificate_install", str(bad))
    with pytest.raises(CommandError, match="cannot read"):
        call_command("certificate_install", str(tmp_path / "missing.pem"))
    assert (hub_tls / "live" / "fullchain.pem").read_text() == good.read_text()


def test_the_admin_is_warned_ten_days_before_expiry(hub_tls, test_ca, admin_client):
    certificate_request_ensure()
    key = hub_public_key(hub_tls)
    # given no certificate yet: no warning (a fresh hub passes manage.py check)
    assert check_certificate(None) == []

    # when one with 9 days left is installed
    certificate_install(pem=test_ca.issue(key, days=10, start_days_ago=1), source="test")
    # then the system check and the dashboard warn
    assert [p.id for p in check_certificate(None)] == ["balai.certs.W001"]
    page = admin_client.get("/admin/").content.decode()
    assert "certs-warning" in page and NAME in page

    # when the renewed one (30 days left) arrives, the warning goes
    certificate_install(pem=test_ca.issue(key, days=31, start_days_ago=1), source="test")
    assert check_certificate(None) == []
    assert "certs-warning" not in admin_client.get("/admin/").content.decode()


def test_a_key_readable_by_others_is_an_error(hub_tls):
    certificate_request_ensure()
    os.chmod(hub_tls / "hub.key", 0o644)
    assert "balai.certs.E001" in [p.id for p in check_certificate(None)]


def test_a_placeholder_live_directory_is_kept_as_previous(hub_tls, test_ca):
    # given a live/ directory made before the first certificate (a self-signed placeholder)
    certificate_request_ensure()
    (hub_tls / "live").mkdir()
    (hub_tls / "live" / "fullchain.pem").write_text("placeholder")

    # when the first certificate is installed
    pem = test_ca.issue(hub_public_key(hub_tls))
    certificate_install(pem=pem, source="test")

    # then live/ is the new one and the placeholder is previous/
    assert (hub_tls / "live").is_symlink()
    assert (hub_tls / "live" / "fullchain.pem").read_text() == pem
    assert (hub_tls / "previous" / "fullchain.pem").read_text() == "placeholder"
