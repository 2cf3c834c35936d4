"""Writes on the village side: the hub's key and certificate request, and installing a
certificate (from the sync or a file) after checking it. The upstream's ordering is in
:mod:`hub.certs.issuing`."""

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hub.core.roles import is_upstream
from hub.site.identity import village_code

from . import tls
from .models import CertificateInstall, CertificateRequest, IssuedCertificate
from .selectors import certificate_request_own, installed_certificate, tls_name

logger = logging.getLogger(__name__)


def certificate_request_ensure() -> CertificateRequest | None:
    """Make the hub's key when it is missing, and its certificate request when there is none,
    or the name or the key changed (the same request otherwise: the upstream orders once per
    CSR). None on the upstream or while the hub has no code or no name yet."""
    if is_upstream() or not village_code():
        return None
    name = tls_name()
    if not name:
        return None
    key, made = tls.key_load_or_create(settings.HUB_TLS_DIR)
    if made:
        logger.info("certs: made a new key in %s", settings.HUB_TLS_DIR)
    key_sha = tls.public_key_sha256(key.public_key())
    request = certificate_request_own()
    if request and request.name == name and request.key_sha256 == key_sha:
        return request
    csr_pem = tls.csr_make(key, name)
    request = request or CertificateRequest()
    request.name = name
    request.csr_pem = csr_pem
    request.csr_sha256 = tls.csr_sha256(csr_pem)
    request.key_sha256 = key_sha
    request.save()
    logger.info("certs: certificate request for %s (key %s)", name, key_sha[:16])
    return request


def certificate_install(*, pem: str | bytes, source: str) -> CertificateInstall | None:
    """Check a certificate chain against this hub's key and name and install it into
    ``HUB_TLS_DIR/live`` (the one served before becomes ``previous``). A refused one is logged
    and reported up on the request, and nothing on disk changes. None when it is the one
    already installed."""
    now = timezone.now()
    key = tls.key_load(settings.HUB_TLS_DIR)
    name = tls_name()
    try:
        if key is None:
            raise tls.CertificateRefused(_("Hub ini belum punya kunci; sertifikat tidak dipasang."))
        if not name:
            raise tls.CertificateRefused(_("Nama HTTPS hub ini belum diatur."))
        info = tls.chain_check(
            pem, key_sha256=tls.public_key_sha256(key.public_key()), name=name, now=now
        )
        current = installed_certificate()
        if current and current.serial == info.serial:
            return None
        if current and current.key_sha256 == info.key_sha256 and current.not_after > info.not_after:
            raise tls.CertificateRefused(
                _(
                    "Sertifikat ini lebih lama dari yang terpasang (berlaku sampai %(new)s, "
                    "yang terpasang %(current)s)."
                )
                % {"new": f"{info.not_after:%Y-%m-%d}", "current": f"{current.not_after:%Y-%m-%d}"}
            )
    except tls.CertificateRefused as exc:
        logger.warning("certs: refused a certificate from %s: %s", source, exc)
        with transaction.atomic():
            entry = CertificateInstall.objects.create(
                source=source[:200], result=CertificateInstall.RESULT_REFUSED, message=str(exc)
            )
            _request_report(install_error=str(exc))
        return entry
    text = pem.decode("ascii") if isinstance(pem, bytes) else pem
    tls.chain_install(settings.HUB_TLS_DIR, text, info.serial)
    logger.info("certs: installed %s (serial %s, until %s)", name, info.serial, info.not_after)
    with transaction.atomic():
        entry = CertificateInstall.objects.create(
            source=source[:200],
            result=CertificateInstall.RESULT_INSTALLED,
            serial=info.serial,
            not_after=info.not_after,
        )
        _request_report(
            installed_serial=info.serial, installed_not_after=info.not_after, install_error=""
        )
    return entry


def issued_certificate_install(*, issued_id) -> CertificateInstall | None:
    """Install a certificate that came down from the upstream (one addressed to this village)."""
    issued = IssuedCertificate.objects.filter(pk=issued_id).first()
    if issued is None or is_upstream() or issued.village_code != village_code():
        return None
    return certificate_install(pem=issued.fullchain_pem, source=f"sync:{issued.origin}")


def _request_report(**fields) -> None:
    """Put what was installed or refused on the village's request, so it goes up."""
    request = certificate_request_own()
    if request is None or not request.is_local:
        return
    changed = False
    for field, value in fields.items():
        if getattr(request, field) != value:
            setattr(request, field, value)
            changed = True
    if changed:
        request.save()
