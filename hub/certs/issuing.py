"""The upstream's issuing service: one ACME account, DNS-01 through the configured updater,
renewal at about half the lifetime (or when the CA's renewal information says), the CA's
refusals and rate limits kept per village so nothing is re-ordered in a loop.

Each hub's ``_acme-challenge.<name>`` is a CNAME (made once at enrollment) to
``<village code>.<HUB_ACME_DNS_ZONE>``, the only name whose TXT record this service writes for
that village: a village can get a certificate only for a name whose owner delegated it so.
"""

import datetime
import logging
import os
import tempfile
import time
from dataclasses import dataclass, field

import josepy
from acme import challenges, client, errors, messages
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from hub.core.regions import VILLAGE_CODE_RE
from hub.core.roles import is_upstream

from . import tls
from .dns import DnsUpdateError, dns_updater
from .models import CertificateRequest, IssuanceState, IssuedCertificate

logger = logging.getLogger(__name__)

USER_AGENT = "balai-certs"
# a village gets at most this many orders a week (Let's Encrypt allows 5 duplicate
# certificates a week; a hub reinstalled in a loop must not use them all up)
MAX_ORDERS_PER_WEEK = 3


@dataclass
class IssueReport:
    issued: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    waiting: list[str] = field(default_factory=list)


def challenge_fqdn(code: str) -> str:
    """Where the village's ``_acme-challenge`` CNAME points."""
    return f"{code}.{settings.HUB_ACME_DNS_ZONE}"


def account_key_load_or_create() -> josepy.JWKEC:
    path = settings.HUB_ACME_ACCOUNT_KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".account.")
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, pem)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    return josepy.JWKEC(key=key)


def acme_client() -> tuple[client.ClientV2, josepy.JWKEC]:
    """A client logged in to the one ACME account (made on first use)."""
    key = account_key_load_or_create()
    net = client.ClientNetwork(key, alg=josepy.ES256, user_agent=USER_AGENT)
    if settings.HUB_ACME_CA_BUNDLE:
        net.verify_ssl = settings.HUB_ACME_CA_BUNDLE
    directory = client.ClientV2.get_directory(settings.HUB_ACME_DIRECTORY_URL, net)
    acme = client.ClientV2(directory, net)
    registration = (
        messages.NewRegistration.from_data(
            email=settings.HUB_ACME_EMAIL, terms_of_service_agreed=True
        )
        if settings.HUB_ACME_EMAIL
        else messages.NewRegistration(terms_of_service_agreed=True)
    )
    try:
        acme.new_account(registration)
    except errors.ConflictError as exc:
        # the account exists: its URL is the answer's Location
        net.account = messages.RegistrationResource(uri=exc.location, body=messages.Registration())
    return acme, key


def _csr_problem(request: CertificateRequest) -> str:
    """Why the upstream will not order for this request ("" when it will)."""
    try:
        csr = x509.load_pem_x509_csr(request.csr_pem.encode())
    except ValueError:
        return _("CSR tidak dapat dibaca.")
    if not csr.is_signature_valid:
        return _("Tanda tangan CSR tidak sah.")
    if tls.csr_names(csr) != [request.name.lower()]:
        return _("CSR harus berisi tepat satu nama, nama hub itu sendiri.")
    key = csr.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        return _("Kunci CSR harus ECDSA P-256.")
    if tls.public_key_sha256(key) != request.key_sha256:
        return _("Sidik kunci tidak sesuai dengan CSR.")
    return ""


def _renew_after(cert_pem: str, acme: client.ClientV2 | None, info) -> datetime.datetime:
    """Half the lifetime, or earlier when the CA's renewal information (ARI) says so."""
    half = info.not_before + (info.not_after - info.not_before) / 2
    if acme is None:
        return half
    try:
        suggested, _next_check = acme.renewal_time(cert_pem.encode())
    except errors.ARIError as exc:
        logger.info("certs: no renewal information: %s", exc)
        return half
    if suggested is None:
        return half
    if suggested.tzinfo is None:
        suggested = suggested.replace(tzinfo=datetime.UTC)
    return min(half, suggested)


def request_due(
    request: CertificateRequest, state: IssuanceState, now: datetime.datetime
) -> str | None:
    """Why ``request`` needs an order now, or None: a new CSR, or renewal time reached."""
    if state.retry_after and state.retry_after > now:
        return None
    issued = IssuedCertificate.objects.filter(village_code=request.origin).first()
    if issued is None or state.csr_sha256 != request.csr_sha256:
        return "new"
    if state.renew_after and state.renew_after <= now:
        return "renew"
    return None


def certificate_order(
    *, request: CertificateRequest, acme: client.ClientV2, account_key: josepy.JWKEC
) -> IssuedCertificate:
    """Order a certificate for one village's request through DNS-01 and store it for that
    village (one record per village, replaced on renewal). Raises on any failure."""
    code = request.origin
    updater = dns_updater()
    order = acme.new_order(request.csr_pem.encode())
    fqdn = challenge_fqdn(code)
    try:
        for authz in order.authorizations:
            if authz.body.status == messages.STATUS_VALID:
                continue
            dns01 = next(
                (c for c in authz.body.challenges if isinstance(c.chall, challenges.DNS01)), None
            )
            if dns01 is None:
                raise errors.Error("the CA offers no dns-01 challenge")
            updater.txt_set(fqdn, dns01.chall.validation(account_key))
            if settings.HUB_ACME_PROPAGATION_SECONDS:
                time.sleep(settings.HUB_ACME_PROPAGATION_SECONDS)
            acme.answer_challenge(dns01, dns01.chall.response(account_key))
        deadline = datetime.datetime.now() + datetime.timedelta(
            seconds=settings.HUB_ACME_ORDER_TIMEOUT
        )
        order = acme.poll_and_finalize(order, deadline)
    finally:
        try:
            updater.txt_delete(fqdn)
        except DnsUpdateError as exc:
            logger.warning("certs: could not remove the TXT record of %s: %s", fqdn, exc)
    info = tls.certificate_info(tls.chain_parse(order.fullchain_pem)[0])
    issued = IssuedCertificate.objects.filter(village_code=code).first() or IssuedCertificate(
        village_code=code
    )
    issued.name = request.name
    issued.csr_sha256 = request.csr_sha256
    issued.fullchain_pem = order.fullchain_pem
    issued.serial = info.serial
    issued.not_before = info.not_before
    issued.not_after = info.not_after
    issued.save()
    return issued


def certificates_issue_due(*, now: datetime.datetime | None = None) -> dict:
    """Order for every village request that needs it (new CSR, renewal due), skipping those
    waiting after a refusal or a rate limit. The scheduled task and ``certificates_issue``
    call this. Returns what was issued, what failed and why."""
    report = IssueReport()
    if not is_upstream() or not settings.HUB_ACME_DNS_ZONE:
        return report.__dict__
    now = now or timezone.now()
    due = []
    for request in CertificateRequest.objects.exclude(csr_pem="").order_by("origin"):
        if not VILLAGE_CODE_RE.match(request.origin or ""):
            continue
        state, _created = IssuanceState.objects.get_or_create(village_code=request.origin)
        reason = request_due(request, state, now)
        if reason is None:
            continue
        recent = [t for t in state.order_times if _parse(t) > now - datetime.timedelta(days=7)]
        if len(recent) >= MAX_ORDERS_PER_WEEK:
            state.last_error = _(
                "Sudah %(count)s pesanan minggu ini untuk desa ini; menunggu sebelum memesan "
                "lagi (batas CA)."
            ) % {"count": len(recent)}
            state.retry_after = _parse(min(recent)) + datetime.timedelta(days=7)
            state.save()
            report.waiting.append(request.origin)
            continue
        problem = _csr_problem(request)
        if problem:
            state.last_error = problem
            state.csr_sha256 = ""
            state.save()
            report.failed[request.origin] = problem
            continue
        due.append((request, state, recent))
    if not due:
        return report.__dict__
    try:
        acme, account_key = acme_client()
    except Exception as exc:  # the CA is unreachable or refuses the account: retry next hour
        logger.warning("certs: ACME directory/account: %s", exc)
        for request, _state, _recent in due:
            report.failed[request.origin] = f"ACME: {exc}"
        return report.__dict__
    for request, state, recent in due:
        state.order_times = [*recent, now.isoformat()]
        state.csr_sha256 = request.csr_sha256
        try:
            issued = certificate_order(request=request, acme=acme, account_key=account_key)
        except (messages.Error, errors.Error, DnsUpdateError, OSError) as exc:
            message = _error_text(exc)
            hours = settings.HUB_ACME_RETRY_HOURS
            if isinstance(exc, messages.Error) and exc.code == "rateLimited":
                hours *= 4
            state.last_error = message
            state.retry_after = now + datetime.timedelta(hours=hours)
            state.save()
            logger.warning(
                "certs: order for %s (%s) failed: %s", request.origin, request.name, message
            )
            report.failed[request.origin] = message
            continue
        info = tls.certificate_info(tls.chain_parse(issued.fullchain_pem)[0])
        state.renew_after = _renew_after(issued.fullchain_pem, acme, info)
        state.retry_after = None
        state.last_error = ""
        state.save()
        logger.info(
            "certs: issued %s for %s until %s", issued.name, request.origin, issued.not_after
        )
        report.issued.append(request.origin)
    return report.__dict__


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, errors.ValidationError):
        details = [
            f"{c.error.code}: {c.error.detail}"
            for authz in exc.failed_authzrs
            for c in authz.body.challenges
            if c.error is not None
        ]
        return _("DNS-01 gagal: %(details)s") % {"details": "; ".join(details)}
    return str(exc)[:1000] or exc.__class__.__name__


def _parse(value: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(value)
