"""Fixtures of the provisioning tests: Debian bookworm containers booted with systemd-nspawn
(scripts/provision-target), each in a network namespace of its own that reaches only this
machine, and ansible-playbook runs against them over SSH.

The tests need root and systemd-nspawn; without them they fail with a message, never skip.
Containers, their network and their roots are removed even when a test fails.

The arm64 tests (marker ``provisioning_arm64``: the same converge on an arm64 root run through
qemu-user, about half an hour) are deselected unless BALAI_PROVISIONING_ARM64=1
(``scripts/test --provisioning-arm64``) or ``-m`` names their marker.
"""

import base64
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ANSIBLE_DIR = ROOT / "ansible"
PROVISION_TARGET = ROOT / "scripts" / "provision-target"
VENV_BIN = Path(sys.executable).parent
LOG_DIR = ROOT / "var" / "provisioning-run" / "logs"
# The public node keys hub_app fetches, one folder for every container of the run (the village
# is enrolled with its key on the upstream, the upstream's key is pinned on the village).
KEYS_DIR = ROOT / "var" / "provisioning-run" / "node-keys"
# A veth pair between the upstream's and the village's namespaces (the only way between them):
# the upstream is 10.231.213.1 on it, the village 10.231.213.2.
LINK_UPSTREAM, LINK_VILLAGE = "10.231.213.1", "10.231.213.2"
# Debian 12's Python, which the wheelhouse is built for.
BOOKWORM_PYTHON = "3.11.2"
# The public names the containers' certificates are for (signed by the tests' throw-away CA,
# tests/harness/ca.py); the tests reach them with curl --resolve.
VILLAGE_TLS_NAME = "balai.bukitberantai.desa.id"
UPSTREAM_TLS_NAME = "balai.jambiprov.example.go.id"
# Where the upstream's operator puts its certificate (hub_nginx_tls_certificate[_key]).
UPSTREAM_CERT_DIR = "/etc/ssl/balai"
# The issuing service's TSIG secret, as a vault gives it to hub_app (the test's own).
UPSTREAM_TSIG_SECRET = "YmFsYWktcHJvdmlzaW9uaW5nLXRzaWctc2VjcmV0IQ=="
RECAP = re.compile(
    r"^(?P<host>\S+)\s*:\s*ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)"
    r"\s+failed=(?P<failed>\d+)",
    re.M,
)

_direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def pytest_collection_modifyitems(config, items):
    """The slow arm64 tests only when asked for (see the module's docstring)."""
    if os.environ.get("BALAI_PROVISIONING_ARM64") == "1" or "provisioning_arm64" in (
        config.option.markexpr or ""
    ):
        return
    arm64 = [item for item in items if item.get_closest_marker("provisioning_arm64")]
    if arm64:
        config.hook.pytest_deselected(items=arm64)
        items[:] = [item for item in items if item not in arm64]


def require_root_and_nspawn() -> None:
    if os.geteuid() != 0:
        pytest.fail(
            "The provisioning tests boot systemd-nspawn containers and make network namespaces: "
            "run them as root (sudo scripts/test -m provisioning)."
        )
    if not shutil.which("ip"):
        pytest.fail("The provisioning tests need iproute2 (`ip`).")


def http_get(url: str, timeout: float = 10, headers: dict | None = None):
    """(status, headers, body) of a GET, or (None, {}, b'') when nothing answers."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with _direct.open(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()
    except (OSError, urllib.error.URLError):
        return None, {}, b""


@dataclass
class PlaybookRun:
    returncode: int
    output: str
    seconds: float
    log: Path

    def recap(self, host: str) -> dict:
        for match in RECAP.finditer(self.output):
            if match["host"] == host:
                return {k: int(v) for k, v in match.groupdict().items() if k != "host"}
        pytest.fail(f"no PLAY RECAP for {host} in the run (log: {self.log})\n{self.tail()}")

    def changed_tasks(self) -> list[str]:
        """Names of the tasks that reported a change (from the default callback's output)."""
        tasks, current = [], None
        for line in self.output.splitlines():
            if line.startswith(("TASK [", "RUNNING HANDLER [")):
                current = line.split("[", 1)[1].rsplit("]", 1)[0]
            elif line.startswith("changed:") and current:
                tasks.append(current)
        return tasks

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.output.splitlines()[-lines:])


@dataclass
class CurlAnswer:
    returncode: int
    status: int | None
    headers: dict
    body: str
    error: str

    @classmethod
    def parse(cls, result: subprocess.CompletedProcess) -> "CurlAnswer":
        # HTTP/1.1 header lines end in CRLF, curl's HTTP/2 ones in LF
        head, *rest = re.split(r"\r?\n\r?\n", result.stdout, maxsplit=1)
        body = rest[0] if rest else ""
        lines = re.split(r"\r?\n", head)
        status = int(lines[0].split()[1]) if lines[0].startswith("HTTP/") else None
        headers: dict = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.setdefault(name.strip().lower(), []).append(value.strip())
        return cls(result.returncode, status, headers, body, result.stderr)

    def header(self, name: str) -> str:
        return ", ".join(self.headers.get(name.lower(), []))


@dataclass
class Target:
    """One container with its inventory, and the playbook runs against it."""

    name: str
    index: int
    inventory: Path
    source: Path
    timings: dict = field(default_factory=dict)
    # Seconds a playbook run may take (an emulated arm64 target is many times slower).
    playbook_timeout: float = 900

    @property
    def address(self) -> str:
        return f"10.231.{self.index}.2"

    def url(self, path: str) -> str:
        return f"http://{self.address}{path}"

    def bytes_sent_to_target(self) -> int:
        """Bytes this machine has sent into the container's only link (SSH: the playbooks)."""
        return int(Path(f"/sys/class/net/bt{self.index}-h/statistics/tx_bytes").read_text())

    def ssh(self, command: str, check: bool = True, timeout: float = 120) -> str:
        result = subprocess.run(
            [str(PROVISION_TARGET), "ssh", self.name, command],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            pytest.fail(
                f"in {self.name}: {command}\nexit {result.returncode}\n"
                f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
        return result.stdout

    def playbook(self, playbook: str, *args: str, label: str = "", timeout: float | None = None):
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        log = LOG_DIR / f"{self.name}-{label or Path(playbook).stem}.log"
        env = {
            **os.environ,
            "ANSIBLE_CONFIG": str(ANSIBLE_DIR / "ansible.cfg"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_HOST_KEY_CHECKING": "0",
            "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '')}",
        }
        started = time.monotonic()
        try:
            result = subprocess.run(
                [str(VENV_BIN / "ansible-playbook"), "-i", str(self.inventory), playbook, *args],
                cwd=ANSIBLE_DIR,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout or self.playbook_timeout,
            )
        except subprocess.TimeoutExpired as exc:
            # what it had done by then, for the log: where it was slow or stuck
            partial = b"".join(
                part if isinstance(part, bytes) else part.encode()
                for part in (exc.stdout, exc.stderr)
                if part
            ).decode(errors="replace")
            log.write_text(partial)
            tail = "\n".join(partial.splitlines()[-30:])
            pytest.fail(f"{playbook} on {self.name} took over {exc.timeout} s (log: {log})\n{tail}")
        seconds = time.monotonic() - started
        output = result.stdout + result.stderr
        log.write_text(output)
        run = PlaybookRun(result.returncode, output, seconds, log)
        self.timings[label or playbook] = round(seconds, 1)
        return run

    def converge(self, playbook: str, *args: str, label: str = "") -> PlaybookRun:
        run = self.playbook(playbook, *args, label=label)
        recap = run.recap(self.name)
        if run.returncode != 0 or recap["failed"] or recap["unreachable"]:
            pytest.fail(f"{playbook} failed on {self.name} (log: {run.log}):\n{run.tail()}")
        return run

    def put_file(self, path: str, content: str, mode: str = "0644") -> None:
        """Write a file in the container (as an operator's scp or a USB stick would)."""
        data = base64.b64encode(content.encode()).decode()
        self.ssh(
            f"install -d -m 0755 $(dirname {path}) && echo {data} | base64 -d > {path} "
            f"&& chmod {mode} {path}"
        )

    def curl(self, url: str, *args: str, name: str = "", cacert: Path | None = None):
        """curl from this machine to the container (never following a redirect), ``name`` and
        balai.lan resolved to its address as the hub's DNS answers them on the village network;
        with ``cacert`` the only trusted root."""
        resolve = []
        for host in filter(None, (name, "balai.lan")):
            resolve += ["--resolve", f"{host}:80:{self.address}"]
            resolve += ["--resolve", f"{host}:443:{self.address}"]
        result = subprocess.run(
            ["curl", "--noproxy", "*", "-sS", "--max-time", "15", "-D", "-", *resolve]
            + (["--cacert", str(cacert)] if cacert else [])
            + [*args, url],
            capture_output=True,
            text=True,
            timeout=60,
        )
        return CurlAnswer.parse(result)

    def wait_until_serving(self, path: str = "/healthz", seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        status = None
        while time.monotonic() < deadline:
            status, _, _ = http_get(self.url(path), timeout=5)
            if status == 200:
                return
            time.sleep(1)
        pytest.fail(f"{self.url(path)} answered {status} for {seconds} s")


def snapshot_source(destination: Path) -> Path:
    """A copy of what the release is built from, so that commits made while the tests run do
    not change the release between two converges."""
    for name in ("hub", "marketplace", "egov", "elearning"):
        shutil.copytree(
            ROOT / name, destination / name, ignore=shutil.ignore_patterns("__pycache__")
        )
    for name in ("pyproject.toml", "requirements.txt"):
        shutil.copy2(ROOT / name, destination / name)
    return destination


def write_inventory(
    path: Path,
    name: str,
    index: int,
    group: str,
    source: Path,
    requirements: Path,
    extra: dict | None = None,
) -> None:
    key = subprocess.run(
        [str(PROVISION_TARGET), "key"], capture_output=True, text=True, check=True
    ).stdout.strip()
    host = {
        "ansible_host": f"10.231.{index}.2",
        "ansible_user": "root",
        "ansible_ssh_private_key_file": key,
        "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
        "hub_app_allowed_hosts": ["balai.lan", "localhost", "127.0.0.1", f"10.231.{index}.2"],
        "hub_app_source_dir": str(source),
        "hub_app_requirements_file": str(requirements),
        "hub_app_public_keys_dir": str(KEYS_DIR),
    }
    if group == "villages":
        host |= {
            "hub_app_village_code": "15.03.01.2021",
            "balai_village_name": "Bukit Berantai",
            "balai_hardware_profile": "pi4_2gb",
            # The test's "second disk" is a directory: a container has no disk to mount.
            "hub_backup_dir": "/srv/balai-backup",
            "hub_backup_require_mount": False,
            # Syncs when the test says so (sync_now), not on the 5-minute schedule, so that a
            # pushed bundle finds its content not pulled already.
            "hub_app_extra_env": {"HUB_SYNC_INTERVAL": 86400},
            # HTTPS under this name once a certificate is installed (test_village.py)
            "hub_app_tls_name": VILLAGE_TLS_NAME,
        }
    else:
        host |= {
            "balai_hardware_profile": "server",
            "hub_app_node_code": "15",
            # HTTPS with the operator's certificate (placed by test_upstream.py before the
            # first converge), as docs/https-deploy.md describes the upstream
            "hub_app_base_url": f"https://{UPSTREAM_TLS_NAME}",
            "hub_nginx_tls_name": UPSTREAM_TLS_NAME,
            "hub_nginx_server_names": [UPSTREAM_TLS_NAME],
            "hub_nginx_tls_certificate": f"{UPSTREAM_CERT_DIR}/fullchain.pem",
            "hub_nginx_tls_certificate_key": f"{UPSTREAM_CERT_DIR}/privkey.pem",
            # the issuing service configured through hub_app's variables; its ACME directory
            # is a port nothing listens on (the container has no way out), so an hourly order
            # fails at once and is recorded
            "hub_app_acme_dns_zone": "acme.jambiprov.example.go.id",
            "hub_app_acme_directory_url": "https://127.0.0.1:14000/dir",
            "hub_app_acme_tsig_name": "balai-acme",
            "hub_app_acme_tsig_secret": UPSTREAM_TSIG_SECRET,
        }
        host["hub_app_allowed_hosts"] += [UPSTREAM_TLS_NAME]
        # Villages reach it over the link between the two namespaces (link_namespaces).
        host["hub_app_allowed_hosts"].append(LINK_UPSTREAM)
    host |= extra or {}
    inventory = {"all": {"children": {group: {"hosts": {name: host}}}}}
    path.write_text(json.dumps(inventory, indent=2))


def joint_inventory(path: Path, *targets: "Target", **village_vars) -> Path:
    """One inventory naming every target (each in its group), the villages with more vars."""
    children: dict = {}
    for target in targets:
        for group, body in json.loads(target.inventory.read_text())["all"]["children"].items():
            hosts = children.setdefault(group, {"hosts": {}})["hosts"]
            for name, host in body["hosts"].items():
                hosts[name] = host | (village_vars if group == "villages" else {})
    path.write_text(json.dumps({"all": {"children": children}}, indent=2))
    return path


def _ip(*args: str, check: bool = True) -> None:
    result = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    if check and result.returncode != 0:
        pytest.fail(f"ip {' '.join(args)}: {result.stderr}")


@contextlib.contextmanager
def link_namespaces(upstream: "Target", village: "Target"):
    """A veth pair between the two containers' namespaces (made by scripts/provision-target as
    balai-NAME): the upstream is LINK_UPSTREAM on it, the village LINK_VILLAGE. Nothing of this
    machine's own network is touched; the pair goes when the test ends."""
    up_ns, village_ns = f"balai-{upstream.name}", f"balai-{village.name}"
    up_if, village_if = "bx213-u", "bx213-v"
    _ip("-n", up_ns, "link", "delete", up_if, check=False)
    _ip(
        "link",
        "add",
        up_if,
        "netns",
        up_ns,
        "type",
        "veth",
        "peer",
        "name",
        village_if,
        "netns",
        village_ns,
    )
    try:
        _ip("-n", up_ns, "address", "add", f"{LINK_UPSTREAM}/30", "dev", up_if)
        _ip("-n", village_ns, "address", "add", f"{LINK_VILLAGE}/30", "dev", village_if)
        _ip("-n", up_ns, "link", "set", up_if, "up")
        _ip("-n", village_ns, "link", "set", village_if, "up")
        yield
    finally:
        _ip("-n", up_ns, "link", "delete", up_if, check=False)


def provision_target(*args: str, timeout: float = 1800) -> str:
    result = subprocess.run(
        [str(PROVISION_TARGET), *args], capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        pytest.fail(
            f"scripts/provision-target {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        )
    return result.stdout


@pytest.fixture(scope="session")
def timings():
    """Durations of the steps, printed at the end (docs/benchmarks.md takes them)."""
    found: dict = {}
    yield found
    if found:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        (LOG_DIR / "timings.json").write_text(json.dumps(found, indent=2, sort_keys=True) + "\n")


@contextlib.contextmanager
def booted_target(
    timings: dict,
    name: str,
    index: int,
    variant: str,
    group: str,
    slowdown: float = 1,
    host_vars: dict | None = None,
):
    """A container of the variant, booted, with an inventory naming it in the group.

    slowdown multiplies the time allowed to make the root and to run a playbook (emulated
    targets), and so does BALAI_PROVISIONING_SLOWDOWN (a machine loaded by other work: a first
    converge took over 15 minutes at load 18-24); host_vars are added to the host's inventory."""
    require_root_and_nspawn()
    slowdown *= float(os.environ.get("BALAI_PROVISIONING_SLOWDOWN") or 1)
    # A container left by an interrupted run goes first.
    subprocess.run([str(PROVISION_TARGET), "down", name], capture_output=True, timeout=180)
    work = Path(tempfile.mkdtemp(prefix="balai-provisioning-"))
    target = None
    try:
        started = time.monotonic()
        provision_target("root", variant, timeout=1800 * slowdown)
        timings[f"{variant}:cached_root_ready"] = round(time.monotonic() - started, 1)
        source = snapshot_source(work / "source")
        requirements = source / "requirements.txt"
        inventory = work / "hosts.json"
        write_inventory(inventory, name, index, group, source, requirements, host_vars)
        started = time.monotonic()
        provision_target("up", name, str(index), variant)
        timings[f"{variant}:container_boot"] = round(time.monotonic() - started, 1)
        target = Target(
            name=name,
            index=index,
            inventory=inventory,
            source=source,
            playbook_timeout=900 * slowdown,
        )
        yield target
    finally:
        if target is not None:
            timings.update({f"{variant}:{k}": v for k, v in target.timings.items()})
        subprocess.run(
            [str(PROVISION_TARGET), "down", name], capture_output=True, timeout=180 * slowdown
        )
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def village_target(timings):
    with booted_target(timings, "balai-test-village", 211, "village", "villages") as target:
        yield target


@pytest.fixture(scope="module")
def upstream_target(timings):
    with booted_target(timings, "balai-test-upstream", 212, "upstream", "upstreams") as target:
        yield target


@pytest.fixture(scope="module")
def village_arm64_target(timings):
    """The village container on an arm64 root, its binaries run by qemu-user (binfmt_misc)."""
    with booted_target(
        timings,
        "balai-test-arm64",
        214,
        "village-arm64",
        "villages",
        slowdown=6,
        # gunicorn and migrations under emulation: 10 minutes for /healthz instead of 2.
        host_vars={"hub_health_retries": 200},
    ) as target:
        yield target
