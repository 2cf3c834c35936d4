"""The DNS updater the upstream's issuing service puts DNS-01 answers through: a small base
class chosen by ``HUB_ACME_DNS_UPDATER`` (like Django's session backends), configured by
``HUB_ACME_DNS_OPTIONS``.

A provider plugin subclasses :class:`DnsUpdater` and implements :meth:`~DnsUpdater.txt_set` and
:meth:`~DnsUpdater.txt_delete` for one fully qualified name in the zone the service controls
(``<village code>.<HUB_ACME_DNS_ZONE>``); the constructor receives the options as keywords.
:class:`Rfc2136Updater` speaks RFC 2136 dynamic updates signed with TSIG, which BIND, Knot,
PowerDNS and most providers' bridges accept.
"""

from pathlib import Path

import dns.exception
import dns.name
import dns.query
import dns.rcode
import dns.tsig
import dns.tsigkeyring
import dns.update
from django.conf import settings
from django.utils.module_loading import import_string


class DnsUpdateError(RuntimeError):
    """The DNS server refused or did not answer an update."""


class DnsUpdater:
    """Puts and removes the TXT record of a DNS-01 challenge."""

    def __init__(self, **options):
        self.options = options

    def txt_set(self, fqdn: str, value: str) -> None:
        """Make ``value`` the TXT record of ``fqdn`` (replacing what was there)."""
        raise NotImplementedError

    def txt_delete(self, fqdn: str) -> None:
        """Remove the TXT records of ``fqdn`` (no error when there is none)."""
        raise NotImplementedError


class Rfc2136Updater(DnsUpdater):
    """RFC 2136 dynamic updates with a TSIG key. Options: ``server``, ``port``, ``zone``
    (default ``HUB_ACME_DNS_ZONE``), ``key_name``, ``key_file`` (the base64 secret, or a BIND
    ``key`` clause as ``tsig-keygen`` writes it) or ``secret``, ``algorithm``, ``ttl``."""

    def __init__(self, **options):
        super().__init__(**options)
        self.server = options.get("server") or "127.0.0.1"
        self.port = int(options.get("port") or 53)
        self.zone = dns.name.from_text(options.get("zone") or settings.HUB_ACME_DNS_ZONE)
        self.ttl = int(options.get("ttl") or 60)
        self.timeout = float(options.get("timeout") or 10)
        key_name = options.get("key_name") or ""
        secret = options.get("secret") or ""
        if not secret and options.get("key_file"):
            secret = _secret_from_file(Path(options["key_file"]))
        if not key_name or not secret:
            raise DnsUpdateError("RFC 2136: a TSIG key name and secret are needed")
        algorithm = dns.name.from_text(options.get("algorithm") or "hmac-sha256")
        self.keyring = dns.tsigkeyring.from_text({key_name: (algorithm.to_text(), secret)})
        self.key_name = dns.name.from_text(key_name)

    def _send(self, update: dns.update.UpdateMessage) -> None:
        try:
            answer = dns.query.tcp(update, self.server, port=self.port, timeout=self.timeout)
        except (OSError, dns.exception.DNSException) as exc:
            raise DnsUpdateError(f"RFC 2136 update to {self.server}:{self.port}: {exc}") from exc
        if answer.rcode() != dns.rcode.NOERROR:
            raise DnsUpdateError(
                f"RFC 2136 update refused by {self.server}: {dns.rcode.to_text(answer.rcode())}"
            )

    def _update(self) -> dns.update.UpdateMessage:
        return dns.update.UpdateMessage(self.zone, keyring=self.keyring, keyname=self.key_name)

    def _relative(self, fqdn: str) -> dns.name.Name:
        name = dns.name.from_text(fqdn)
        if not name.is_subdomain(self.zone):
            raise DnsUpdateError(f"{fqdn} is not in the zone {self.zone}")
        return name.relativize(self.zone)

    def txt_set(self, fqdn: str, value: str) -> None:
        update = self._update()
        update.replace(self._relative(fqdn), self.ttl, "TXT", f'"{value}"')
        self._send(update)

    def txt_delete(self, fqdn: str) -> None:
        update = self._update()
        update.delete(self._relative(fqdn), "TXT")
        self._send(update)


def _secret_from_file(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    if "secret" not in text:
        return text.strip()
    # a key clause: key "name" { algorithm hmac-sha256; secret "…"; };
    after = text.split("secret", 1)[1]
    return after.split('"')[1]


def dns_updater() -> DnsUpdater:
    """The configured updater."""
    cls = import_string(settings.HUB_ACME_DNS_UPDATER)
    return cls(**settings.HUB_ACME_DNS_OPTIONS)
