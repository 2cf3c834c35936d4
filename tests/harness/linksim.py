"""``scripts/linksim`` as a subprocess: a simulated satellite link in front of a test server.

    with LinkSim("127.0.0.1:8000", latency_ms=600, bandwidth_kbps=2000) as link:
        client.connect(("127.0.0.1", link.port))
        link.configure(down=True, down_for=2)
        assert link.stats()["cuts"] == 1

The control calls use urllib only, without the proxies of the environment.
"""

import json
import select
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "linksim"
HOST = "127.0.0.1"
START_TIMEOUT = 10
STOP_TIMEOUT = 10

_direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class LinkSim:
    """A running link simulator forwarding 127.0.0.1:``port`` to ``target``.

    ``target`` is "HOST:PORT" or a port on 127.0.0.1. The keyword arguments are the script's
    options (``latency_ms=600`` becomes ``--latency-ms 600``; ``cut_every=True`` a bare flag).
    """

    def __init__(self, target: str | int, **options):
        target = f"{HOST}:{target}" if isinstance(target, int) else target
        command = [sys.executable, str(SCRIPT), "--listen", f"{HOST}:0", "--target", target]
        command += ["--control", f"{HOST}:0"]
        for name, value in options.items():
            flag = "--" + name.replace("_", "-")
            if value is True:
                command.append(flag)
            elif value is not None and value is not False:
                command += [flag, str(value)]
        # A file, not a pipe: a pipe nobody reads fills up and blocks the simulator. It lives
        # as long as this object and is closed in __exit__.
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=self._stderr)
        try:
            ports = self._read_ports()
        except BaseException:
            self.stop()
            raise
        self.url_host = ports["listen"]
        self.port = int(self.url_host.rpartition(":")[2])
        self.control_url = f"http://{ports['control']}"

    def _read_ports(self) -> dict:
        ready, _, _ = select.select([self.process.stdout], [], [], START_TIMEOUT)
        line = self.process.stdout.readline() if ready else b""
        if not line:
            self.process.poll()
            raise RuntimeError(
                f"scripts/linksim did not start within {START_TIMEOUT}s "
                f"(exit code {self.process.returncode}):\n{self.log()}"
            )
        return json.loads(line)

    def log(self) -> str:
        """What the simulator wrote to stderr so far."""
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def _call(self, method: str, path: str, body: dict | None = None) -> dict:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.control_url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        with _direct.open(request, timeout=5) as response:
            return json.loads(response.read())

    def configure(self, **settings) -> dict:
        """Change the link (``latency_ms``, ``down=True, down_for=2``...); the new config."""
        return self._call("POST", "/config", settings)

    def stats(self) -> dict:
        return self._call("GET", "/stats")

    def reset_stats(self) -> dict:
        return self._call("POST", "/reset-stats", {})

    def wait_idle(self, timeout: float = 5) -> dict:
        """The stats once no connection is open any more (the proxy closes them asynchronously)."""
        deadline = time.monotonic() + timeout
        while (stats := self.stats())["active"] and time.monotonic() < deadline:
            time.sleep(0.02)
        return stats

    def stop(self) -> int | None:
        """SIGTERM, then wait; the exit code (0 for a clean shutdown)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process.stdout.close()
        return self.process.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()
        self._stderr.close()
