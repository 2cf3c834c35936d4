"""Reads: this hub's public name, the certificate it serves, what expires soon; on the
upstream, the villages whose certificate needs attention."""

import datetime

from django.conf import settings
from django.utils import timezone

from hub.site.identity import village_code
from hub.sync.registry import nodes_heartbeat_facts, nodes_last_synced

from . import tls
from .models import CertificateInstall, CertificateRequest, IssuedCertificate

# what a village puts on its sync heartbeat (registered in .sync): the expiry of the
# certificate it serves, and whether it warns (within HUB_TLS_WARN_DAYS, or expired)
FACT_NOT_AFTER = "cert_not_after"
FACT_WARN = "cert_warn"


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


def certificate_not_after() -> datetime.datetime | None:
    """Heartbeat: when the served certificate ends (None: none is installed)."""
    info = installed_certificate()
    return info.not_after if info else None


def certificate_expiring() -> bool:
    """Heartbeat: the hub warns about its certificate (the admin's warning, on the fleet)."""
    return certificate_expiry_warning() is not None


def certificate_request_own() -> CertificateRequest | None:
    """This village's own request (there is one at most)."""
    return CertificateRequest.objects.exclude(csr_pem="").order_by("-updated_at").first()


def certificate_install_last() -> CertificateInstall | None:
    return CertificateInstall.objects.first()


def villages_next_sync(codes, now: datetime.datetime | None = None) -> dict:
    """Upstream: when each village is expected to sync next. A village offline for a while is
    expected to stay away about as long again (``now + (now - last seen)``); one never seen is
    due now."""
    now = now or timezone.now()
    seen = nodes_last_synced(codes)
    return {code: now + (now - seen[code]) if code in seen else now for code in codes}


def certificates_at_risk(now: datetime.datetime | None = None) -> list[dict]:
    """Upstream: villages whose certificate expires before their expected next sync, or that
    warn about it on their heartbeat (within ``HUB_TLS_WARN_DAYS`` of its end: a renewal that
    is not arriving), soonest first, for the dashboard.

    The expiry is what the village last said it serves: its heartbeat (with every push), else
    what it reported installing on its request, else what this upstream issued for it. A
    renewal issued here but not yet fetched does not help until the village syncs: the
    certificate it serves meanwhile is what counts."""
    now = now or timezone.now()
    facts = nodes_heartbeat_facts(having=FACT_NOT_AFTER)
    issued = {c.village_code: c for c in IssuedCertificate.objects.all()}
    codes = sorted(set(issued) | set(facts))
    requests = {r.origin: r for r in CertificateRequest.objects.filter(origin__in=codes)}
    next_sync = villages_next_sync(codes, now)
    rows = []
    for code in codes:
        reported = facts.get(code, {})
        request, cert = requests.get(code), issued.get(code)
        if reported.get(FACT_NOT_AFTER):
            not_after = datetime.datetime.fromisoformat(reported[FACT_NOT_AFTER])
        elif request and request.installed_not_after:
            not_after = request.installed_not_after
        elif cert:
            not_after = cert.not_after
        else:
            continue
        warns = reported.get(FACT_WARN) is True
        if not_after > next_sync[code] and not warns:
            continue
        rows.append(
            {
                "code": code,
                "name": (request.name if request else "") or (cert.name if cert else ""),
                "not_after": not_after,
                "next_sync": next_sync[code],
                "expired": not_after <= now,
                "warns": warns,
                "install_error": request.install_error if request else "",
            }
        )
    return sorted(rows, key=lambda row: (row["not_after"], row["code"]))
