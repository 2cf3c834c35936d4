"""village.yml on a bare Debian bookworm container: converge, converge again with no change,
check mode with no change, then the hub's behaviour (services, pages through nginx, no route
to PyPI, HTTPS once a certificate is installed from a file, a reboot, a backup and a restore,
an upgrade rolled back and one kept, each still on HTTPS).

One container for the module; the tests run in order and build on each other.
"""

import base64
import json
import socket
import ssl
import time

import pytest
from cryptography import x509

from tests.harness.ca import ThrowawayCA

from .conftest import KEYS_DIR, VILLAGE_TLS_NAME, http_get, provision_target

pytestmark = pytest.mark.provisioning

MANAGE_SHELL = "balai-manage shell --no-imports --command"


def _shell(target, code: str) -> str:
    lines = target.ssh(f"{MANAGE_SHELL} {json.dumps(code)}").strip().splitlines()
    return lines[-1] if lines else ""


@pytest.fixture(scope="module")
def https(tmp_path_factory):
    """The throw-away CA whose root the tests' clients trust, and what was installed."""
    ca = ThrowawayCA()
    root = tmp_path_factory.mktemp("https") / "root.pem"
    root.write_text(ca.root_pem)
    return {"ca": ca, "root": root}


def _served_serial(target, root) -> str | None:
    """The serial (hex) of the certificate the hub serves for its name on 443, verified against
    the test's root by name (a valid chain), or None while nothing valid answers."""
    context = ssl.create_default_context(cafile=str(root))
    try:
        with (
            socket.create_connection((target.address, 443), timeout=5) as raw,
            context.wrap_socket(raw, server_hostname=VILLAGE_TLS_NAME) as tls,
        ):
            der = tls.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError):
        return None
    return format(x509.load_der_x509_certificate(der).serial_number, "x")


def _install_from_usb(target, fullchain: str, file_name: str) -> str:
    """A fullchain on a technician's USB stick, installed with certificate_install: its output
    and exit status."""
    path = f"/media/usb/{file_name}"
    target.put_file(path, fullchain)
    return target.ssh(f"balai-manage certificate_install {path} 2>&1; echo exit=$?", check=False)


def _mode(target) -> str:
    return target.ssh("readlink /etc/nginx/balai/mode.conf").strip().rsplit("/", 1)[-1]


def test_village_playbook_provisions_a_bare_root(village_target):
    # given a container with nothing of Balai on it
    sent_before = village_target.bytes_sent_to_target()
    # when
    run = village_target.converge("village.yml", label="first_converge")
    # then
    village_target.timings["first_converge_MB_sent_over_ssh"] = round(
        (village_target.bytes_sent_to_target() - sent_before) / 1e6, 1
    )
    assert run.recap(village_target.name)["changed"] > 0
    assert village_target.ssh("test -L /opt/balai/current && echo yes").strip() == "yes"


def test_second_run_changes_nothing(village_target):
    # given the keys the first run made on the hub
    keys = "sha256sum /etc/balai/secret_key /etc/balai/field_key"
    made = village_target.ssh(keys)
    # when
    run = village_target.converge("village.yml", label="idempotent_rerun")
    # then
    assert run.recap(village_target.name)["changed"] == 0, run.changed_tasks()
    assert village_target.ssh(keys) == made


def test_check_mode_reports_no_change(village_target):
    # when
    run = village_target.converge("village.yml", "--check", label="check_mode")
    # then
    assert run.recap(village_target.name)["changed"] == 0, run.changed_tasks()


def test_services_run_under_systemd(village_target):
    states = village_target.ssh(
        "systemctl is-active balai-web balai-cluster nginx balai-backup.timer; "
        "systemctl is-enabled balai-web balai-cluster nginx balai-backup.timer"
    ).split()
    assert states == ["active"] * 4 + ["enabled"] * 4


def test_home_page_and_health_through_nginx(village_target):
    # when
    status, headers, body = http_get(village_target.url("/"))
    health_status, _, health = http_get(village_target.url("/healthz"))
    # then
    assert status == 200
    assert headers.get("Server") == "nginx"
    assert "Bukit Berantai" in body.decode()
    assert health_status == 200
    assert json.loads(health)["status"] == "ok"


def test_static_files_are_served_by_nginx_compressed_and_cached(village_target):
    # given the page's stylesheet, by its hashed name
    _, _, body = http_get(village_target.url("/"))
    css = next(
        part.split('"')[0]
        for part in body.decode().split('href="')[1:]
        if part.startswith("/static/") and '.css"' in part.split(">")[0]
    )
    # when
    status, headers, _ = http_get(village_target.url(css), headers={"Accept-Encoding": "gzip"})
    # then
    assert status == 200
    assert headers.get("Content-Encoding") == "gzip"
    assert "immutable" in headers.get("Cache-Control", "")


def test_media_are_served_by_nginx_and_documents_are_not(village_target):
    # given a file in the media directory, written as the hub writes it
    village_target.ssh(
        "cd /var/lib/balai/media && runuser -u balai -- "
        "sh -c 'mkdir -p uji && echo foto > uji/foto.txt && chmod 0640 uji/foto.txt'"
    )
    # when
    status, headers, body = http_get(village_target.url("/media/uji/foto.txt"))
    docs_status, _, _ = http_get(village_target.url("/media/documents/rahasia.pdf"))
    # then
    assert (status, body) == (200, b"foto\n")
    assert "max-age" in headers.get("Cache-Control", "")
    assert docs_status == 404
    # and a type outside pictures/sound/video/PDF/VTT is bytes, never sniffed, sandboxed
    assert headers.get("Content-Type") == "application/octet-stream"
    assert headers.get("X-Content-Type-Options") == "nosniff"
    assert headers.get("Content-Security-Policy") == "default-src 'none'; sandbox"


def test_secrets_are_private(village_target):
    modes = village_target.ssh(
        "stat -c '%n %U %a' /etc/balai/secret_key /etc/balai/field_key /etc/balai/balai.env "
        "/var/lib/balai/db.sqlite3"
    ).split("\n")
    assert modes[:4] == [
        "/etc/balai/secret_key balai 400",
        "/etc/balai/field_key balai 400",
        "/etc/balai/balai.env root 600",
        "/var/lib/balai/db.sqlite3 balai 600",
    ]
    for secret in ("secret_key", "field_key"):
        assert (
            village_target.ssh(f"runuser -u www-data -- cat /etc/balai/{secret}", check=False) == ""
        )
    # the field-encryption key is a Fernet key (32 bytes), named to the hub by its path
    field_key = village_target.ssh("cat /etc/balai/field_key").strip()
    assert len(base64.urlsafe_b64decode(field_key)) == 32
    assert "HUB_FIELD_KEY_FILE=/etc/balai/field_key" in village_target.ssh(
        "cat /etc/balai/balai.env"
    )


def test_node_key_is_made_once_and_its_public_half_fetched(village_target):
    # the private key stays on the hub, the service user's alone
    mode = village_target.ssh("stat -c '%U %a' /var/lib/balai/keys/node_ed25519.pem").strip()
    assert mode == "balai 600"
    # the public key printed by the hub is the one the controller fetched for enrollment
    printed = village_target.ssh("balai-manage node_init").strip()
    fetched = KEYS_DIR / f"{village_target.name}.pub"
    assert printed.startswith("ed25519:") and fetched.read_text().strip() == printed


def test_village_code_is_set(village_target):
    assert _shell(
        village_target,
        "from hub.site.models import VillageSettings; print(VillageSettings.load().village_code)",
    ) == ("1503012021")


def test_the_hub_has_no_route_to_pypi_and_installed_without_an_index(village_target):
    # the container's only route is the link to this machine
    routes = village_target.ssh("ip -4 route show").strip().splitlines()
    assert len(routes) == 1 and "scope link" in routes[0]
    assert "unreachable" in village_target.ssh(
        "ip route get 151.101.0.223 2>&1 || true"
    )  # pypi.org
    assert village_target.ssh("ls /opt/balai/current/wheelhouse | grep -c whl").strip() != "0"


def test_a_certificate_from_a_usb_stick_switches_nginx_to_https(village_target, https):
    # given the hub on plain HTTP, its key and CSR made on the hub
    assert _mode(village_target) == "http.conf"
    assert _served_serial(village_target, https["root"]) is None
    name_line, csr = village_target.ssh("balai-manage certificate_request").split("\n", 1)
    assert name_line.startswith(f"{VILLAGE_TLS_NAME} key ")
    assert village_target.ssh("stat -c '%U %a' /var/lib/balai/tls/hub.key").strip() == "balai 600"
    # when the CSR is signed (the key never left the hub) and the chain installed from a file
    fullchain, serial = https["ca"].fullchain_for_csr(csr, VILLAGE_TLS_NAME)
    started = time.monotonic()
    output = _install_from_usb(village_target, fullchain, "fullchain.pem")
    # then the path unit has balai-tls-select switch nginx to HTTPS, serving the whole chain
    assert f"installed serial {serial}" in output and "exit=0" in output, output
    deadline = time.monotonic() + 30
    while _served_serial(village_target, https["root"]) != serial:
        assert time.monotonic() < deadline, village_target.ssh(
            "systemctl status balai-tls-reload.path balai-tls-reload.service 2>&1", check=False
        )
        time.sleep(0.5)
    village_target.timings["https_switch_seconds"] = round(time.monotonic() - started, 1)
    https["serial"] = serial
    assert _mode(village_target) == "https.conf"
    page = village_target.curl(
        f"https://{VILLAGE_TLS_NAME}/", name=VILLAGE_TLS_NAME, cacert=https["root"]
    )
    assert (page.returncode, page.status) == (0, 200), page.error
    assert "Bukit Berantai" in page.body
    # and never an HSTS policy on a village (an expired certificate must not lock phones out)
    assert page.header("Strict-Transport-Security") == ""


def test_on_https_balai_lan_redirects_and_the_admin_is_https_only(village_target, https):
    # the landing name phones type goes to the HTTPS name
    landing = village_target.curl("http://balai.lan/pasar/?q=1")
    assert landing.status == 301
    assert landing.header("Location") == f"https://{VILLAGE_TLS_NAME}/pasar/?q=1"
    # the admin too, by its address or its name: its password never crosses the Wi-Fi in clear
    for url in ("http://balai.lan/admin/login/", f"http://{village_target.address}/admin/"):
        plain = village_target.curl(url)
        assert plain.status == 301 and plain.header("Location").startswith(
            f"https://{VILLAGE_TLS_NAME}/admin/"
        ), url
    login = village_target.curl(
        f"https://{VILLAGE_TLS_NAME}/admin/login/", name=VILLAGE_TLS_NAME, cacert=https["root"]
    )
    assert login.status == 200
    cookies = login.headers.get("set-cookie", [])
    assert cookies and all("; Secure" in cookie for cookie in cookies), cookies
    assert login.header("Strict-Transport-Security") == ""
    # /healthz stays on port 80 for the host's own checks (hub_health), never redirected
    assert village_target.curl("http://balai.lan/healthz").status == 200


@pytest.mark.parametrize("problem", ["expired", "another name"])
def test_an_unusable_certificate_is_refused_and_https_stays(village_target, https, problem):
    # given the hub serving its certificate, and a bad one on the USB stick
    # tried: one that expired yesterday, one for another village's name (both for the hub's key)
    live = village_target.ssh("readlink /var/lib/balai/tls/live").strip()
    csr = village_target.ssh("balai-manage certificate_request").split("\n", 1)[1]
    if problem == "expired":
        fullchain, _ = https["ca"].fullchain_for_csr(
            csr, VILLAGE_TLS_NAME, days=2, start_days_ago=3
        )
    else:
        fullchain, _ = https["ca"].fullchain_for_csr(csr, "balai.lain.desa.id")
    # when
    output = _install_from_usb(village_target, fullchain, "salah.pem")
    # then it is refused with the reason, nothing on disk changes, nginx serves what it had
    assert "refused:" in output and "exit=1" in output, output
    reason = "kedaluwarsa" if problem == "expired" else "tidak berlaku untuk nama"
    assert reason in output, output
    assert village_target.ssh("readlink /var/lib/balai/tls/live").strip() == live
    time.sleep(2)  # a reload the path unit might have started would be done by now
    assert _mode(village_target) == "https.conf"
    assert _served_serial(village_target, https["root"]) == https["serial"]


def test_a_converge_after_the_switch_changes_nothing_and_keeps_https(village_target, https):
    # when
    run = village_target.converge("village.yml", label="rerun_on_https")
    # then
    assert run.recap(village_target.name)["changed"] == 0, run.changed_tasks()
    assert _mode(village_target) == "https.conf"
    assert _served_serial(village_target, https["root"]) == https["serial"]


def test_services_come_back_after_a_reboot(village_target, https):
    # when the container is powered off and booted again
    provision_target("stop", village_target.name)
    provision_target("start", village_target.name)
    # then
    village_target.wait_until_serving("/healthz", seconds=180)
    assert (
        village_target.ssh("systemctl is-active balai-web balai-cluster nginx").split()
        == ["active"] * 3
    )
    # on HTTPS still (balai-tls-reload.timer checks the certificate after a boot)
    assert _mode(village_target) == "https.conf"
    assert _served_serial(village_target, https["root"]) == https["serial"]


def test_backup_then_restore_brings_the_data_back(village_target, https):
    # given an announcement and a media file on the hub, and a backup of them
    _shell(
        village_target,
        "from django.utils import timezone; from hub.site.models import Announcement; "
        "Announcement.objects.create(title='Uji pemulihan', body='<p>cadangan</p>', "
        "publish_at=timezone.now())",
    )
    village_target.converge("backup.yml", label="backup")
    # when the database and the media are lost
    village_target.ssh(
        "systemctl stop balai-web balai-cluster && rm -f /var/lib/balai/db.sqlite3* && "
        "rm -rf /var/lib/balai/media/uji && systemctl start balai-web balai-cluster"
    )
    # and the hub is restored
    village_target.converge("restore.yml", "--limit", village_target.name, label="restore")
    # then
    assert (
        _shell(
            village_target,
            "from hub.site.models import Announcement; "
            "print(Announcement.objects.filter(title='Uji pemulihan').count())",
        )
        == "1"
    )
    media = village_target.curl(
        f"https://{VILLAGE_TLS_NAME}/media/uji/foto.txt",
        name=VILLAGE_TLS_NAME,
        cacert=https["root"],
    )
    assert (media.status, media.body) == (200, "foto\n")
    village_target.wait_until_serving("/healthz")


def test_upgrade_rolls_back_an_unhealthy_release(village_target):
    # given a release whose health check fails (it asks for more free disk than exists)
    before = village_target.ssh("readlink /opt/balai/current").strip()
    settings = village_target.source / "hub" / "settings" / "base.py"
    original = settings.read_text()
    settings.write_text(original + "\nHUB_HEALTH_MIN_FREE_BYTES = 10**18\n")
    try:
        # when
        run = village_target.playbook(
            "upgrade.yml", "-e", "hub_health_retries=3", label="upgrade_rolled_back"
        )
    finally:
        settings.write_text(original)
    # then the run fails for this hub, which runs the previous release, healthy
    assert run.returncode != 0
    assert "was not healthy on this hub" in run.output, run.tail()
    assert village_target.ssh("readlink /opt/balai/current").strip() == before
    village_target.wait_until_serving("/healthz", seconds=60)


def test_upgrade_installs_a_healthy_release(village_target, https):
    # given a new release (any change to the package makes one)
    before = village_target.ssh("readlink /opt/balai/current").strip()
    init = village_target.source / "hub" / "__init__.py"
    init.write_text(init.read_text() + "\n# test release\n")
    # when
    village_target.converge("upgrade.yml", label="upgrade")
    # then
    after = village_target.ssh("readlink /opt/balai/current").strip()
    assert after != before
    assert (
        village_target.ssh("systemctl is-active balai-web balai-cluster").split() == ["active"] * 2
    )
    assert (
        _shell(
            village_target,
            "from hub.site.models import Announcement; "
            "print(Announcement.objects.filter(title='Uji pemulihan').count())",
        )
        == "1"
    )
    # and nginx stays on HTTPS: the upgrade's roles do not flip it back to plain HTTP
    assert _mode(village_target) == "https.conf"
    assert _served_serial(village_target, https["root"]) == https["serial"]
