"""Catching the link when it comes up: while a village backs off after failed runs, a probe
of the upstream every ``SYNC_PROBE_INTERVAL`` seconds, and a sync as soon as one answers
(docs/sync-protocol.md, section 7).

A probe is a TCP connect and ``HEAD / HTTP/1.0`` (19 bytes): it is answered when anything comes
back (a status line; nginx answers plain HTTP on its HTTPS port too). A connect alone is not
enough: the link simulator, a NAT or a satellite terminal's TCP accelerator may accept a
connection the far end never sees. The sync that follows checks signatures as always (a captive
portal's answer starts a run that fails).

What a probe costs is counted from the packets it makes (there is no packet capture on a hub):
a DNS lookup when the upstream's address is not known yet (at most once an hour), the SYNs a
dead link leaves unanswered until the timeout, or the handshake, the request (retransmitted
while unanswered), the answer and the close. The month's probe bytes count against
``SYNC_MONTHLY_BUDGET_BYTES`` with the runs' (:func:`hub.sync.village.budget.month_bytes`).
"""

import logging
import math
import socket
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone

from ..models import SyncState
from .run import sync_run
from .scheduling import SCHEDULER_SLACK, probe_arm_after

logger = logging.getLogger(__name__)

# bytes on the wire: IPv4 (20) + TCP (20) + options; a SYN carries MSS, SACK, timestamps and
# window scale (20), the other segments timestamps (12)
SYN_BYTES = 60
SEGMENT_BYTES = 52
RST_BYTES = 40  # IPv4 + TCP, no options
HANDSHAKE_BYTES = 2 * SYN_BYTES + SEGMENT_BYTES  # SYN, SYN-ACK, ACK
CLOSE_BYTES = 4 * SEGMENT_BYTES  # FIN and ACK each way
PROBE_REQUEST = b"HEAD / HTTP/1.0\r\n\r\n"
REQUEST_BYTES = SEGMENT_BYTES + len(PROBE_REQUEST)
# what an answering upstream sends back to a HEAD: the status line and headers, at most
ANSWER_BYTES = SEGMENT_BYTES + 600
# a refused connect: the SYN and a RST
REFUSED_BYTES = SYN_BYTES + RST_BYTES
# a DNS query and its answer (A and AAAA, as getaddrinfo asks), a name of up to 40 characters
DNS_BYTES = 2 * (28 + 58) + 2 * (28 + 90)
# Linux sends a SYN (or an unanswered segment) again after 1, 3, 7, 15 … s (RTO 1 s, doubling)
SYN_SCHEDULE = (0, 1, 3, 7, 15, 31, 63)
ADDRESS_TTL = 3600

_addresses: dict[tuple[str, int], tuple[float, tuple]] = {}


def sent_within(seconds: float, size: int) -> int:
    """Bytes of a segment of ``size`` sent and re-sent, unanswered, for ``seconds``."""
    return sum(size for sent in SYN_SCHEDULE if sent < seconds)


def probe_bytes_max(timeout: float) -> int:
    """The most one probe costs while the link is down: SYNs nobody answers, a refusal, or a
    connection something near accepts (a NAT, a TCP accelerator) and then resets."""
    return max(
        sent_within(timeout, SYN_BYTES),
        REFUSED_BYTES,
        HANDSHAKE_BYTES + REQUEST_BYTES + RST_BYTES,
    )


def probe_day_bytes(interval: float | None = None, timeout: float | None = None) -> int:
    """The most a whole day of probing a dead link costs: probes at the shortest spacing the
    task allows, each at its worst, plus a DNS lookup an hour."""
    interval = settings.SYNC_PROBE_INTERVAL if interval is None else interval
    timeout = settings.SYNC_PROBE_TIMEOUT if timeout is None else timeout
    probes = math.ceil(86400 / max(1, interval - SCHEDULER_SLACK))
    return probes * probe_bytes_max(timeout) + math.ceil(86400 / ADDRESS_TTL) * DNS_BYTES


def _address(host: str, port: int) -> tuple[tuple | None, int]:
    """The upstream's socket address (cached for an hour) and the DNS bytes it cost."""
    now = time.monotonic()
    cached = _addresses.get((host, port))
    if cached and now - cached[0] < ADDRESS_TTL:
        return cached[1], 0
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
        cost = 0  # an address, no lookup
    except OSError:
        cost = DNS_BYTES
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM
        )[0]
    except (OSError, UnicodeError):
        return None, cost
    _addresses[(host, port)] = (now, (family, kind, proto, address))
    return (family, kind, proto, address), cost


def _exchange(target: tuple, timeout: float) -> tuple[bool, int]:
    """Connect, send the probe request, wait for a status line: (answered, bytes)."""
    family, kind, proto, address = target
    started = time.monotonic()
    with socket.socket(family, kind, proto) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(address)
        except ConnectionRefusedError:
            return False, REFUSED_BYTES
        except ConnectionResetError:  # accepted nearby and reset before connect() returned
            return False, HANDSHAKE_BYTES + RST_BYTES
        except OSError:  # no answer (timed out) or unreachable
            return False, sent_within(time.monotonic() - started + 0.001, SYN_BYTES)
        connected = time.monotonic()
        try:
            sock.sendall(PROBE_REQUEST)
            head = sock.recv(16)
        except ConnectionResetError:
            return False, HANDSHAKE_BYTES + REQUEST_BYTES + RST_BYTES
        except OSError:  # accepted nearby, never answered from afar
            waited = time.monotonic() - connected + 0.001
            return False, HANDSHAKE_BYTES + sent_within(waited, REQUEST_BYTES) + CLOSE_BYTES
        cost = HANDSHAKE_BYTES + REQUEST_BYTES + CLOSE_BYTES
        # any answer comes from afar: a status line, or (an HTTPS port that is not nginx) a TLS
        # alert; a connection closed without a byte is what a nearby accept of a dead link does
        if head:
            return True, cost + ANSWER_BYTES
        return False, cost


def link_probe(state: SyncState) -> bool:
    """One probe of the pinned upstream; True when it answered. Counted in ``state``."""
    parts = urlsplit(state.upstream_url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    target, cost = _address(host, port)
    answered = False
    if target is not None:
        answered, spent = _exchange(target, settings.SYNC_PROBE_TIMEOUT)
        cost += spent
    _probe_record(state, cost)
    return answered


def _probe_record(state: SyncState, cost: int) -> None:
    now = timezone.now()
    month = f"{timezone.localtime(now):%Y-%m}"
    if state.probe_month != month:
        state.probe_month, state.probes, state.probe_bytes = month, 0, 0
    state.probes += 1
    state.probe_bytes += cost
    state.last_probe_at = now
    SyncState.objects.filter(pk=1).update(
        probe_month=state.probe_month,
        probes=state.probes,
        probe_bytes=state.probe_bytes,
        last_probe_at=now,
    )


def probe_due(state: SyncState, now=None) -> bool:
    """The last run failed, and no probe too recently. (Past the backoff's next attempt too:
    the regular schedule comes only every ``SYNC_INTERVAL``.)"""
    now = now or timezone.now()
    if not state.upstream_url or not state.failures:
        return False
    spacing = max(1, settings.SYNC_PROBE_INTERVAL - SCHEDULER_SLACK)
    return not state.last_probe_at or (now - state.last_probe_at).total_seconds() >= spacing


def probe_then_sync() -> str:
    """The probe task's work: probe when due, sync at once when the upstream answers, and keep
    the probe schedule armed while backing off. What happened, for the task's result."""
    state = SyncState.load()
    now = timezone.now()
    if not state.upstream_url or not state.failures:
        return "idle"  # not backing off: the regular schedule runs the syncs
    if not probe_due(state, now):
        probe_arm_after(state)
        return "not_due"
    if link_probe(state):
        logger.info("sync: the link answers again; syncing now")
        run = sync_run(trigger="probe", force=True)
        return f"synced:{run.outcome}" if run else "busy"
    probe_arm_after(state)
    return "down"
