"""village.yml on a bare Debian bookworm container: converge, converge again with no change,
check mode with no change, then the hub's behaviour (services, pages through nginx, no route
to PyPI, a reboot, a backup and a restore, an upgrade rolled back and one kept).

One container for the module; the tests run in order and build on each other.
"""

import base64
import json

import pytest

from .conftest import KEYS_DIR, http_get, provision_target

pytestmark = pytest.mark.provisioning

MANAGE_SHELL = "balai-manage shell --no-imports --command"


def _shell(target, code: str) -> str:
    lines = target.ssh(f"{MANAGE_SHELL} {json.dumps(code)}").strip().splitlines()
    return lines[-1] if lines else ""


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


def test_services_come_back_after_a_reboot(village_target):
    # when the container is powered off and booted again
    provision_target("stop", village_target.name)
    provision_target("start", village_target.name)
    # then
    village_target.wait_until_serving("/healthz", seconds=180)
    assert (
        village_target.ssh("systemctl is-active balai-web balai-cluster nginx").split()
        == ["active"] * 3
    )


def test_backup_then_restore_brings_the_data_back(village_target):
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
    assert http_get(village_target.url("/media/uji/foto.txt"))[:1] == (200,)
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


def test_upgrade_installs_a_healthy_release(village_target):
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
