"""``scripts/linksim`` against a real TCP server on 127.0.0.1: the link the sync tests rely on.

The target speaks a line protocol, several commands per connection:
``ECHO n`` reads n bytes and sends them back, ``SEND n`` sends n bytes,
``SINK n`` reads n bytes and answers ``GOT n``.
"""

import socket
import socketserver
import threading
import time
import urllib.error

import pytest

from tests.harness.linksim import LinkSim


def payload(size: int) -> bytes:
    # A period of 251 (a prime) never lines up with the proxy's chunks: a lost or repeated
    # chunk shows.
    return (bytes(range(251)) * (size // 251 + 1))[:size]


class TargetHandler(socketserver.StreamRequestHandler):
    def handle(self):
        self.server.accepted += 1
        try:
            while line := self.rfile.readline():
                command, size = line.split()
                size = int(size)
                if command == b"ECHO":
                    self.wfile.write(self.rfile.read(size))
                elif command == b"SEND":
                    self.wfile.write(payload(size))
                elif command == b"SINK":
                    received = len(self.rfile.read(size))
                    self.wfile.write(b"GOT %d\n" % received)
                self.wfile.flush()
        except OSError:
            pass  # the link cut us off: that is what several tests do


class TargetServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    accepted = 0


@pytest.fixture(scope="module")
def target():
    server = TargetServer(("127.0.0.1", 0), TargetHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def connect(link: LinkSim, timeout: float = 10) -> socket.socket:
    return socket.create_connection(("127.0.0.1", link.port), timeout=timeout)


def recv_exactly(sock: socket.socket, size: int) -> bytes:
    chunks, received = [], 0
    while received < size:
        chunk = sock.recv(min(65536, size - received))
        if not chunk:
            break
        chunks.append(chunk)
        received += len(chunk)
    return b"".join(chunks)


def recv_until_closed(sock: socket.socket) -> tuple[bytes, bool]:
    """Everything until the connection ends, and whether it ended with a reset."""
    chunks = []
    try:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    except ConnectionResetError:
        return b"".join(chunks), True
    return b"".join(chunks), False


def test_bytes_pass_through_intact_and_stop_is_clean(target):
    # given
    data = payload(300_000)
    with LinkSim(target.server_address[1]) as link:
        # when
        with connect(link) as sock:
            sock.sendall(b"ECHO %d\n" % len(data) + data)
            echoed = recv_exactly(sock, len(data))
        # then
        assert echoed == data
        assert link.stop() == 0, link.log()


def test_latency_adds_a_round_trip_and_one_more_to_connect(target):
    # given
    with LinkSim(target.server_address[1], latency_ms=600) as link, connect(link) as sock:
        # when: the first exchange pays the handshake too, the second only its round trip
        started = time.monotonic()
        sock.sendall(b"ECHO 4\nping")
        first = recv_exactly(sock, 4)
        first_exchange = time.monotonic() - started
        started = time.monotonic()
        sock.sendall(b"ECHO 4\npong")
        second = recv_exactly(sock, 4)
        second_exchange = time.monotonic() - started
    # then
    assert (first, second) == (b"ping", b"pong")
    assert 1.15 <= first_exchange < 2.0
    assert 0.55 <= second_exchange < 1.5


def test_bandwidth_limits_a_transfer(target):
    # given: 2000 kbit/s is 250 KB/s
    with LinkSim(target.server_address[1], bandwidth_kbps=2000) as link, connect(link) as sock:
        # when
        started = time.monotonic()
        sock.sendall(b"SEND 500000\n")
        received = recv_exactly(sock, 500_000)
        elapsed = time.monotonic() - started
    # then
    assert received == payload(500_000)
    assert 1.6 <= elapsed < 3.5


def test_connections_share_the_bandwidth(target):
    # given: two connections on one 2000 kbit/s link
    durations = []

    def download():
        with connect(link) as sock:
            started = time.monotonic()
            sock.sendall(b"SEND 250000\n")
            assert recv_exactly(sock, 250_000) == payload(250_000)
            durations.append(time.monotonic() - started)

    with LinkSim(target.server_address[1], bandwidth_kbps=2000) as link:
        # when: each downloads 250 KB at the same time
        threads = [threading.Thread(target=download) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    # then: together they take as long as 500 KB on one connection, not 250 KB
    assert len(durations) == 2
    assert 1.6 <= max(durations) < 3.5


def test_latency_does_not_limit_throughput(target):
    # given: a satellite link, and a connection already open (its handshake is paid)
    options = {"latency_ms": 600, "bandwidth_kbps": 2000}
    with LinkSim(target.server_address[1], **options) as link, connect(link) as sock:
        sock.sendall(b"ECHO 1\nx")
        assert recv_exactly(sock, 1) == b"x"
        # when
        started = time.monotonic()
        sock.sendall(b"SEND 500000\n")
        received = recv_exactly(sock, 500_000)
        elapsed = time.monotonic() - started
    # then: 2 s of bandwidth plus one round trip; stop-and-wait would take several times that
    assert received == payload(500_000)
    assert 2.0 <= elapsed < 2.0 + 1.5


def test_cut_after_bytes_resets_the_next_connection_once(target):
    # given
    with LinkSim(target.server_address[1], cut_after_bytes=10_000) as link:
        # when
        with connect(link) as sock:
            sock.sendall(b"SEND 100000\n")
            cut_short, reset = recv_until_closed(sock)
        with connect(link) as sock:
            sock.sendall(b"SEND 100000\n")
            whole = recv_exactly(sock, 100_000)
        stats = link.wait_idle()
    # then: the request line counts too, so the client got less than 10,000 bytes
    assert reset
    assert 0 < len(cut_short) <= 10_000 - len(b"SEND 100000\n")
    assert cut_short == payload(len(cut_short))
    assert whole == payload(100_000)
    assert stats["bytes_up"] + stats["bytes_down"] == 10_000 + len(b"SEND 100000\n") + 100_000
    assert stats["cuts"] == 1
    assert stats["cut_armed"] is False


def test_cut_every_cuts_each_connection(target):
    # given
    with LinkSim(target.server_address[1]) as link:
        link.configure(cut_after_bytes=5_000, cut_every=True)
        # when
        received = []
        for _ in range(3):
            with connect(link) as sock:
                sock.sendall(b"SEND 50000\n")
                received.append(len(recv_until_closed(sock)[0]))
        stats = link.wait_idle()
    # then
    assert all(size < 5_000 for size in received)
    assert stats["cuts"] == 3


def test_cut_every_with_a_maximum_cuts_each_connection_at_its_own_point(target):
    # given a link that drops each connection somewhere between 5,000 and 20,000 bytes
    with LinkSim(target.server_address[1], seed=7) as link:
        link.configure(cut_after_bytes=5_000, cut_after_bytes_max=20_000, cut_every=True)
        # when
        received = []
        for _ in range(6):
            with connect(link) as sock:
                sock.sendall(b"SEND 50000\n")
                received.append(len(recv_until_closed(sock)[0]))
        stats = link.wait_idle()
    # then every connection was cut inside the range, not all at the same point
    assert all(5_000 - 12 <= size <= 20_000 for size in received), received
    assert len(set(received)) > 1, received
    assert stats["cuts"] == 6


def test_cut_probability_one_cuts_at_the_first_chunk(target):
    # given
    with LinkSim(target.server_address[1], cut_probability=1, seed=7) as link:
        # when
        with connect(link) as sock:
            sock.sendall(b"ECHO 4\nping")
            received, reset = recv_until_closed(sock)
        stats = link.wait_idle()
    # then: nothing got through in either direction
    assert (received, reset) == (b"", True)
    assert (stats["bytes_up"], stats["bytes_down"], stats["cuts"]) == (0, 0, 1)


def test_down_cuts_and_refuses_then_comes_back(target):
    # given: a connection in use
    with LinkSim(target.server_address[1]) as link:
        open_sock = connect(link)
        open_sock.sendall(b"ECHO 2\nhi")
        assert recv_exactly(open_sock, 2) == b"hi"
        # when
        config = link.configure(down=True, down_for=1.0)
        # then: the open connection is reset, a new one too
        assert config["down"] is True
        with open_sock:
            assert recv_until_closed(open_sock) == (b"", True)
        try:
            with connect(link) as sock:
                sock.sendall(b"ECHO 2\nhi")
                assert recv_until_closed(sock)[0] == b""
        except ConnectionResetError:
            pass  # on a loaded machine the reset can beat connect() itself: refused all the same
        stats = link.stats()
        assert (stats["cuts"], stats["refused"]) == (1, 1)
        # when: down_for has passed
        time.sleep(1.2)
        with connect(link) as sock:
            sock.sendall(b"ECHO 2\nhi")
            back = recv_exactly(sock, 2)
        # then
        assert back == b"hi"
        assert link.stats()["config"]["down"] is False


def test_blackhole_makes_a_client_time_out(target):
    # given
    with LinkSim(target.server_address[1]) as link:
        link.configure(blackhole=True)
        accepted_before = target.accepted
        # when
        started = time.monotonic()
        with connect(link, timeout=1) as sock:
            sock.sendall(b"ECHO 4\nping")
            with pytest.raises(TimeoutError):
                sock.recv(4)
        waited = time.monotonic() - started
        stats = link.stats()
    # then: the client gave up on its own timeout; the target never saw it
    assert waited >= 0.95
    assert target.accepted == accepted_before
    assert (stats["connections"], stats["bytes_up"], stats["bytes_down"]) == (1, 0, 0)


def test_stats_count_bytes_both_ways_and_reset(target):
    # given
    request = b"SINK 1000\n" + payload(1000)
    with LinkSim(target.server_address[1]) as link:
        # when
        with connect(link) as sock:
            sock.sendall(request)
            answer = recv_exactly(sock, len(b"GOT 1000\n"))
        stats = link.wait_idle()
        cleared = link.reset_stats()
    # then
    assert answer == b"GOT 1000\n"
    assert stats["connections"] == 1
    assert stats["active"] == 0
    assert (stats["bytes_up"], stats["bytes_down"]) == (len(request), len(answer))
    assert (cleared["connections"], cleared["bytes_up"], cleared["bytes_down"]) == (0, 0, 0)


def test_control_rejects_unknown_or_invalid_settings(target):
    # given
    with LinkSim(target.server_address[1], latency_ms=100) as link:
        # when / then
        for bad in ({"latency": 5}, {"cut_probability": 2}, {"down": "yes"}):
            with pytest.raises(urllib.error.HTTPError) as error:
                link.configure(**bad)
            assert error.value.code == 400
        assert link.stats()["config"]["latency_ms"] == 100
