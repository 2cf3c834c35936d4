"""System checks: the installed certificate expires soon (or has), the key is readable by
others, the issuing service is half configured."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from hub.core.roles import is_upstream

from . import tls
from .selectors import certificate_expiry_warning


@register(Tags.security)
def check_certificate(app_configs, **kwargs):
    problems = []
    key_path = settings.HUB_TLS_DIR / tls.KEY_FILE
    if key_path.exists() and key_path.stat().st_mode & 0o077:
        problems.append(
            Error(
                f"{key_path} can be read by other users",
                hint=f"chmod 600 {key_path}",
                id="balai.certs.E001",
            )
        )
    info = certificate_expiry_warning()
    if info is not None:
        problems.append(
            Warning(
                f"the HTTPS certificate ({', '.join(info.names)}) expires on "
                f"{info.not_after:%Y-%m-%d %H:%M} UTC",
                hint="sync with the upstream (docs/https.md) or install one with "
                "manage.py certificate_install FILE",
                id="balai.certs.W001",
            )
        )
    return problems


@register(Tags.security)
def check_issuing(app_configs, **kwargs):
    if not is_upstream() or not settings.HUB_ACME_DNS_ZONE:
        return []
    from .dns import DnsUpdateError, dns_updater

    try:
        dns_updater()
    except (DnsUpdateError, ImportError, OSError, ValueError, TypeError) as exc:
        return [
            Error(
                f"HUB_ACME_DNS_ZONE is set but the DNS updater cannot be configured: {exc}",
                hint="see HUB_ACME_DNS_UPDATER and HUB_ACME_TSIG_* in docs/https.md",
                id="balai.certs.E002",
            )
        ]
    return []
