"""Reads: this hub's public name, the certificate it serves, what expires soon."""

import datetime

from django.conf import settings
from django.utils import timezone

from hub.site.identity import village_code
from hub.sync.registry import nodes_last_synced

from . import tls
from .models import CertificateInstall, CertificateRequest, IssuedCertificate


def tls_name() -> str:
    """The hub's public name: ``HUB_TLS_NAME``, else ``HUB_TLS_NAME_PATTERN`` filled in; "" while
    a part the pattern needs (the village code, a domain) is not set."""
    if settings.HUB_TLS_NAME:
        return settings.HUB_TLS_NAME
    parts = {
        "code": village_code(),
        "village_domain": settings.HUB_VILLAGE_DOMAIN,
        "province_domain": settings.HUB_TLS_PROVINCE_DOMAIN,
    }
    try:
        name = settings.HUB_TLS_NAME_PATTERN.format(**parts)
    except (KeyError, IndexError, ValueError):
        return ""
    used = [key for key in parts if "{" + key + "}" in settings.HUB_TLS_NAME_PATTERN]
    if any(not parts[key] for key in used):
        return ""
    return name.strip(".").lower()


def installed_certificate() -> tls.CertificateInfo | None:
    """The certificate nginx serves from ``HUB_TLS_DIR/live``, or None."""
    return tls.installed_info(settings.HUB_TLS_DIR)


def certificate_expiry_warning(now: datetime.datetime | None = None) -> tls.CertificateInfo | None:
    """The installed certificate when it expires within ``HUB_TLS_WARN_DAYS`` (or has)."""
    info = installed_certificate()
    now = now or timezone.now()
    if info and info.not_after - now <= datetime.timedelta(days=settings.HUB_TLS_WARN_DAYS):
        return info
    return None


def certificate_request_own() -> CertificateRequest | None:
    """This village's own request (there is one at most)."""
    return CertificateRequest.objects.exclude(csr_pem="").order_by("-updated_at").first()


def certificate_install_last() -> CertificateInstall | None:
    return CertificateInstall.objects.first()


def certificates_expiring_before_sync(
    *, now: datetime.datetime | None = None, next_sync: dict[str, datetime.datetime]
) -> list[IssuedCertificate]:
    """Upstream: certificates that expire before their village's expected next sync
    (``next_sync``: village code -> when; a village missing from it is counted as due now)."""
    now = now or timezone.now()
    late = []
    for cert in IssuedCertificate.objects.order_by("not_after"):
        if cert.not_after <= next_sync.get(cert.village_code, now):
            late.append(cert)
    return late


def villages_next_sync(codes, now: datetime.datetime | None = None) -> dict:
    """Upstream: when each village is expected to sync next. A village offline for a while is
    expected to stay away about as long again (``now + (now - last seen)``); one never seen is
    due now."""
    now = now or timezone.now()
    seen = nodes_last_synced(codes)
    return {code: now + (now - seen[code]) if code in seen else now for code in codes}


def certificates_at_risk(now: datetime.datetime | None = None) -> list[dict]:
    """Upstream: villages whose certificate expires before their expected next sync, with what
    the village last reported installing (for the dashboard)."""
    now = now or timezone.now()
    codes = list(IssuedCertificate.objects.values_list("village_code", flat=True))
    next_sync = villages_next_sync(codes, now)
    reports = {r.origin: r for r in CertificateRequest.objects.filter(origin__in=codes)}
    return [
        {
            "code": cert.village_code,
            "name": cert.name,
            "not_after": cert.not_after,
            "next_sync": next_sync[cert.village_code],
            "install_error": getattr(reports.get(cert.village_code), "install_error", ""),
        }
        for cert in certificates_expiring_before_sync(now=now, next_sync=next_sync)
    ]
