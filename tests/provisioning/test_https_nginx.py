"""The hub_nginx role's HTTPS side without a target: its templates rendered with Jinja for a hub
with and without a valid certificate, checked by Debian's nginx (``nginx -t``), the mode picked
by the real balai-tls-select script, and nginx itself run on free ports to see the redirect, the
forwarded scheme and the login limit. Marker ``ansible`` (in the default suite)."""

import datetime
import http.client
import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.harness.processes import free_port

from .render import render, render_expression, role_vars

pytestmark = pytest.mark.ansible

NAME = "balai.sukamaju.desa.id"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
TEMPLATES = {
    "sites-available/balai.conf": "etc/nginx/sites-available/balai.conf.j2",
    "balai/site.conf": "etc/nginx/balai/site.conf.j2",
    "balai/http.conf": "etc/nginx/balai/http.conf.j2",
    "balai/https.conf": "etc/nginx/balai/https.conf.j2",
}


@pytest.fixture(scope="module", autouse=True)
def _nginx_installed():
    if not Path(NGINX).exists():
        pytest.fail("nginx is not installed: scripts/test installs Debian's nginx (apt nginx)")


def make_certificate(live: Path, name: str, *, days: int = 45, other_key: bool = False):
    """A self-signed ECDSA P-256 certificate for ``name`` as the application installs one:
    live/fullchain.pem + live/privkey.pem. ``days`` < 0: already expired; ``other_key``: the
    certificate is for another key than privkey.pem."""
    live.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    cert_key = ec.generate_private_key(ec.SECP256R1()) if other_key else key
    now = datetime.datetime.now(datetime.UTC)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(cert_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=60))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(cert_key, hashes.SHA256())
    )
    (live / "fullchain.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (live / "privkey.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return live / "fullchain.pem"


class Site:
    """The role's nginx files rendered into a temporary nginx prefix."""

    def __init__(self, root: Path, **overrides):
        self.root = root
        self.conf_dir = root / "nginx"
        (self.conf_dir / "balai").mkdir(parents=True)
        (self.conf_dir / "sites-available").mkdir()
        (root / "log").mkdir()
        (root / "temp").mkdir()
        self.vars = role_vars(
            "hub_nginx",
            hub_nginx_conf_dir=str(self.conf_dir),
            hub_nginx_log_dir=str(root / "log"),
            hub_nginx_data_dir=str(root / "data"),
            **overrides,
        )
        self.tls_dir = Path(self.vars["hub_nginx_tls_dir"])
        for target, template in TEMPLATES.items():
            (self.conf_dir / target).write_text(render("hub_nginx", template, self.vars))
        self.script = root / "balai-tls-select"
        self.script.write_text(render("hub_nginx", "usr/local/sbin/balai-tls-select.j2", self.vars))
        self.script.chmod(0o755)
        temp = root / "temp"
        self.main_conf = root / "nginx.conf"
        self.main_conf.write_text(
            f"pid {root}/nginx.pid;\nerror_log {root}/log/error.log;\n"
            "events { worker_connections 256; }\n"
            "http {\n"
            f"    client_body_temp_path {temp}/body;\n    proxy_temp_path {temp}/proxy;\n"
            f"    fastcgi_temp_path {temp}/fastcgi;\n    uwsgi_temp_path {temp}/uwsgi;\n"
            f"    scgi_temp_path {temp}/scgi;\n"
            f"    include {self.conf_dir}/sites-available/balai.conf;\n"
            "}\n"
        )

    @property
    def nginx_test(self) -> str:
        return f"{NGINX} -t -q -p {self.root} -c {self.main_conf} -e {self.root}/log/error.log"

    def select(self, nginx_test: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(self.script)],
            env={
                "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
                "BALAI_TLS_NGINX_TEST": nginx_test or self.nginx_test,
            },
            capture_output=True,
            text=True,
            timeout=60,
        )

    def mode(self) -> str:
        return Path((self.conf_dir / "balai" / "mode.conf").readlink()).name

    def dump(self) -> str:
        """The whole configuration as nginx reads it (nginx -T)."""
        result = subprocess.run(
            [
                NGINX,
                "-T",
                "-q",
                "-p",
                str(self.root),
                "-c",
                str(self.main_conf),
                "-e",
                f"{self.root}/log/error.log",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout


def test_without_a_certificate_the_site_is_plain_http(tmp_path):
    # given: a village whose certificate has not arrived yet
    site = Site(tmp_path, hub_nginx_tls_name=NAME)
    # when
    result = site.select()
    # then: nginx -t accepts the plain-HTTP mode, and nothing redirects nor sends HSTS
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "switched to http"
    assert site.mode() == "http.conf"
    config = site.dump()
    # the names in the order given, the same on every run (a set's order is not: rewritten
    # files and a reload on every converge)
    assert f"server_name {NAME} balai.lan;" in config
    assert "listen 443" not in config and "return 301" not in config
    assert "Strict-Transport-Security" not in config
    assert "limit_req zone=balai_login burst=5 nodelay;" in config
    assert "limit_req zone=balai_search" in config and "limit_req zone=balai_status" in config
    assert "proxy_set_header X-Forwarded-Proto $balai_forwarded_proto;" in config
    # run again: nothing to switch
    assert site.select().stdout.strip() == "unchanged (http)"


def test_with_a_valid_certificate_the_site_is_https_and_port_80_redirects(tmp_path):
    site = Site(tmp_path, hub_nginx_tls_name=NAME)
    make_certificate(site.tls_dir / "live", NAME)
    result = site.select()
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "switched to https"
    config = site.dump()
    assert f"server_name balai.lan {NAME};" in config  # port 80: the landing name first
    assert f"server_name {NAME} balai.lan;" in config  # 443: the certificate's name first
    assert f"return 301 https://{NAME}$request_uri;" in config
    assert "listen 443 ssl http2 default_server;" in config
    assert f"ssl_certificate {site.tls_dir}/live/fullchain.pem;" in config
    assert "Strict-Transport-Security" not in config  # never from nginx; never on a village


@pytest.mark.parametrize(
    "problem",
    ["expired", "another name", "another key", "no name set"],
)
def test_a_certificate_that_is_not_valid_keeps_plain_http(tmp_path, problem):
    # tried: each way an installed certificate can be unusable; phones must not be sent to a
    # warning they cannot click through
    site = Site(tmp_path, hub_nginx_tls_name="" if problem == "no name set" else NAME)
    make_certificate(
        site.tls_dir / "live",
        "balai.lain.desa.id" if problem == "another name" else NAME,
        days=-1 if problem == "expired" else 45,
        other_key=problem == "another key",
    )
    result = site.select()
    assert result.returncode == 0, result.stderr
    assert site.mode() == "http.conf"


def test_when_nginx_refuses_the_new_mode_the_previous_one_stays(tmp_path):
    site = Site(tmp_path, hub_nginx_tls_name=NAME)
    assert site.select().stdout.strip() == "switched to http"
    make_certificate(site.tls_dir / "live", NAME)
    # when: nginx -t fails on the HTTPS configuration
    result = site.select(nginx_test="false")
    # then: an error, and the plain-HTTP mode is still the one nginx will load
    assert result.returncode == 1
    assert "keeping the previous one" in result.stderr
    assert site.mode() == "http.conf"


def test_upstream_with_its_own_certificate_admin_allowlist_port_and_terminator(tmp_path):
    # the upstream's operator-provided certificate, HTTP-01 webroot, an office-only admin on a
    # port of its own, and a load balancer in front
    certificate = make_certificate(tmp_path / "letsencrypt", "balai.jambiprov.example.go.id")
    site = Site(
        tmp_path,
        hub_nginx_tls_name="balai.jambiprov.example.go.id",
        hub_nginx_server_names=["balai.jambiprov.example.go.id"],
        hub_nginx_tls_certificate=str(certificate),
        hub_nginx_tls_certificate_key=str(certificate.parent / "privkey.pem"),
        hub_nginx_acme_webroot=str(tmp_path / "acme"),
        hub_nginx_admin_allow=["10.60.0.0/16", "192.168.10.0/24"],
        hub_nginx_admin_port=8443,
        hub_nginx_trusted_proxies=["10.70.0.5"],
    )
    result = site.select()
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "switched to https"
    config = site.dump()
    assert "listen 8443 ssl http2;" in config
    assert "allow 10.60.0.0/16;" in config and "deny all;" in config
    assert "location /.well-known/acme-challenge/" in config
    assert "set_real_ip_from 10.70.0.5;" in config
    assert "location ~ ^/sync/v[12]/" in config  # signed: kept on plain HTTP during the move


def test_before_its_first_certificate_the_upstream_serves_http01_challenges(tmp_path):
    # given: the upstream with a webroot for certbot and no certificate yet (plain-HTTP mode,
    # which is what the CA reaches while certbot asks for the first one)
    webroot = tmp_path / "acme-webroot"
    site = Site(
        tmp_path,
        hub_nginx_tls_name="balai.jambiprov.example.go.id",
        hub_nginx_server_names=["balai.jambiprov.example.go.id"],
        hub_nginx_acme_webroot=str(webroot),
    )
    # when
    result = site.select()
    # then
    assert result.returncode == 0, result.stderr
    assert site.mode() == "http.conf"
    config = site.dump()
    challenge = config.split("location /.well-known/acme-challenge/ {", 1)
    assert len(challenge) == 2, "plain-HTTP mode has no HTTP-01 location"
    assert f"root {webroot};" in challenge[1].split("}", 1)[0]


def test_admin_port_and_allowlist_in_plain_http_mode(tmp_path):
    site = Site(
        tmp_path,
        hub_nginx_tls_name=NAME,
        hub_nginx_admin_allow=["192.168.4.0/28"],
        hub_nginx_admin_port=8081,
    )
    result = site.select()
    assert result.returncode == 0, result.stderr
    assert site.mode() == "http.conf"
    config = site.dump()
    assert "listen 8081;" in config
    assert "allow 192.168.4.0/28;" in config
    # the site's own port answers 404 under /admin/, the admin port serves it
    assert "set $balai_admin_here 0;" in config and "set $balai_admin_here 1;" in config


# --- nginx itself, on free ports, in front of a stand-in for gunicorn -------------------------


class _Echo(BaseHTTPRequestHandler):
    """Answers with the headers nginx passed on (the stand-in for gunicorn)."""

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        body = json.dumps(
            {
                "proto": self.headers.get("X-Forwarded-Proto"),
                "for": self.headers.get("X-Forwarded-For"),
                "path": self.path,
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def app_stand_in():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _wait_for_port(port: int, deadline: float = 10.0):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"nginx did not listen on {port}")


@pytest.fixture
def running_nginx(tmp_path, app_stand_in):
    processes = []

    def start(site: Site, ports: list[int]):
        process = subprocess.Popen(
            [
                NGINX,
                "-p",
                str(site.root),
                "-c",
                str(site.main_conf),
                "-e",
                f"{site.root}/log/error.log",
                "-g",
                "daemon off;",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        processes.append(process)
        for port in ports:
            _wait_for_port(port)
        return process

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=10)


def _get(port, path, host, method="GET", headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request(method, path, headers={"Host": host, **(headers or {})})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response, body


def test_nginx_redirects_to_the_name_and_passes_the_real_scheme(
    tmp_path, app_stand_in, running_nginx
):
    http_port, https_port = free_port(), free_port()
    site = Site(
        tmp_path,
        hub_nginx_tls_name=NAME,
        hub_nginx_upstream=app_stand_in,
        hub_nginx_listen_port=http_port,
        hub_nginx_tls_port=https_port,
    )
    certificate = make_certificate(site.tls_dir / "live", NAME)
    assert site.select().stdout.strip() == "switched to https"
    running_nginx(site, [http_port, https_port])

    # balai.lan on port 80: to the hub's name, same path
    response, _ = _get(http_port, "/pasar/status/?kode=AB12", "balai.lan")
    assert response.status == 301
    assert response.headers["Location"] == f"https://{NAME}/pasar/status/?kode=AB12"
    # /healthz is answered on port 80 (hub_health asks http://127.0.0.1/healthz)
    response, body = _get(http_port, "/healthz", "127.0.0.1")
    assert response.status == 200 and json.loads(body)["proto"] == "http"

    # HTTPS by the name, the certificate verified against itself as the CA
    context = ssl.create_default_context(cafile=str(certificate))
    with (
        socket.create_connection(("127.0.0.1", https_port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=NAME) as tls,
    ):
        # a client's own X-Forwarded-Proto is replaced by what nginx saw
        tls.sendall(
            f"GET / HTTP/1.1\r\nHost: {NAME}\r\nX-Forwarded-Proto: http\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        answer = b""
        while chunk := tls.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert b"Strict-Transport-Security" not in head
    assert json.loads(body)["proto"] == "https"


def test_nginx_limits_login_posts_per_address(tmp_path, app_stand_in, running_nginx):
    http_port = free_port()
    site = Site(tmp_path, hub_nginx_upstream=app_stand_in, hub_nginx_listen_port=http_port)
    assert site.select().stdout.strip() == "switched to http"
    running_nginx(site, [http_port])
    # tried: 15 password posts from one address at once (the burst is 5, the rate 10 a minute)
    statuses = [
        _get(http_port, "/admin/login/", "balai.lan", method="POST")[0].status for _ in range(15)
    ]
    assert statuses.count(200) == 6 and statuses.count(429) == 9, statuses
    # showing the form is not limited, nor are villagers' pages
    assert _get(http_port, "/admin/login/", "balai.lan")[0].status == 200
    assert _get(http_port, "/pasar/", "balai.lan")[0].status == 200
    # a client claiming HTTPS on plain HTTP is not believed
    _, body = _get(http_port, "/", "balai.lan", headers={"X-Forwarded-Proto": "https"})
    assert json.loads(body)["proto"] == "http"


# --- the access point and its DNS (role hub_local_network) ------------------------------------


def test_access_point_is_wpa2_with_client_isolation_and_dns_answers_the_name():
    variables = role_vars(
        "hub_local_network",
        hub_local_network_passphrase="kata-sandi-wifi-desa",
        hub_local_network_tls_name=NAME,
    )
    hostapd = render("hub_local_network", "etc/hostapd/hostapd.conf.j2", variables)
    assert "wpa=2\n" in hostapd and "rsn_pairwise=CCMP\n" in hostapd
    assert "ap_isolate=1\n" in hostapd
    dnsmasq = render("hub_local_network", "etc/dnsmasq.d/balai.conf.j2", variables)
    assert f"host-record={NAME},192.168.4.1\n" in dnsmasq
    assert "address=/balai.lan/192.168.4.1\n" in dnsmasq


def test_access_point_refuses_an_open_network_unless_asked():
    # tried: the role's own check with no passphrase, a short one, a good one, open on purpose
    tasks = yaml.safe_load(
        (Path(__file__).parents[2] / "ansible/roles/hub_local_network/tasks/main.yml").read_text()
    )
    check = next(t for t in tasks if t["name"] == "Check the access point settings")
    condition = check["ansible.builtin.assert"]["that"][0]

    def holds(**overrides) -> bool:
        variables = role_vars("hub_local_network", **overrides)
        return render_expression(condition, variables)

    assert not holds()  # the default: no passphrase, not open
    assert not holds(hub_local_network_passphrase="pendek")  # 6 characters
    assert holds(hub_local_network_passphrase="kata-sandi-wifi-desa")
    assert holds(hub_local_network_open=True)
