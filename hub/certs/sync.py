"""How certificates sync (registered from ``CertsConfig.ready()``; engine public API only).

Up from the village: its certificate request (the CSR and what it installed), and with every
push, on the heartbeat, the expiry of the certificate it serves and whether it warns. Down from
the upstream: the issued certificate, to the one village it is for. The private key is no
record: it never leaves the hub.
"""

from django.utils.translation import gettext_lazy as _

from hub.sync.registry import register, register_heartbeat_fact

from .models import CertificateRequest, IssuedCertificate
from .selectors import FACT_NOT_AFTER, FACT_WARN, certificate_expiring, certificate_not_after


def issued_audience(cert: IssuedCertificate) -> str:
    """The village the certificate is for, and no other."""
    return cert.village_code


def register_synced_models():
    register(CertificateRequest, owner="village")
    register(IssuedCertificate, owner="upstream", audience=issued_audience)


def register_heartbeat_facts():
    register_heartbeat_fact(
        FACT_NOT_AFTER,
        certificate_not_after,
        kind="datetime",
        label=_("Sertifikat HTTPS berlaku sampai"),
    )
    register_heartbeat_fact(
        FACT_WARN,
        certificate_expiring,
        kind="warning",
        label=_("Sertifikat HTTPS segera berakhir"),
    )
