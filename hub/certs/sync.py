"""How certificates sync (registered from ``CertsConfig.ready()``; engine public API only).

Up from the village: its certificate request (the CSR and what it installed). Down from the
upstream: the issued certificate, to the one village it is for. The private key is no record:
it never leaves the hub.
"""

from hub.sync.registry import register

from .models import CertificateRequest, IssuedCertificate


def issued_audience(cert: IssuedCertificate) -> str:
    """The village the certificate is for, and no other."""
    return cert.village_code


def register_synced_models():
    register(CertificateRequest, owner="village")
    register(IssuedCertificate, owner="upstream", audience=issued_audience)
