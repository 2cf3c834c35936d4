"""upstream.yml on a bare Debian bookworm container with PostgreSQL and an operator-provided
certificate (a throw-away CA's): converge, converge again with no change, then the upstream
serves through nginx on PostgreSQL, over HTTPS only with HSTS and Secure cookies, its deploy
check clean and its issuing service configured from role variables. Then a village container
provisioned with the upstream in its inventory: enrolled on the upstream and pinning it through
Ansible (a rerun changes nothing), a content bundle pushed to it by push-content.yml (twice:
the second push applies nothing), and one real sync between the two over a link of their own.

One upstream and one village for the module; the tests run in order and build on each other.
"""

import dataclasses
import json
import re
import time

import pytest

from tests.harness.ca import ThrowawayCA

from .conftest import (
    LINK_UPSTREAM,
    UPSTREAM_CERT_DIR,
    UPSTREAM_TLS_NAME,
    UPSTREAM_TSIG_SECRET,
    http_get,
    joint_inventory,
    link_namespaces,
)

pytestmark = pytest.mark.provisioning

MANAGE_SHELL = "balai-manage shell --no-imports --command"
VILLAGE_CODE = "1503012021"


def _shell(target, code: str) -> str:
    lines = target.ssh(f"{MANAGE_SHELL} {json.dumps(code)}").strip().splitlines()
    return lines[-1] if lines else ""


def _announcements(target, title: str) -> str:
    return _shell(
        target,
        "from hub.site.models import Announcement; "
        f"print(Announcement.objects.filter(title={title!r}).count())",
    )


def _announce(target, title: str) -> None:
    _shell(
        target,
        "from django.utils import timezone; from hub.site.models import Announcement; "
        f"Announcement.objects.create(title={title!r}, body='<p>uji</p>', "
        "publish_at=timezone.now())",
    )


@pytest.fixture(scope="module")
def fleet(upstream_target, village_target, tmp_path_factory):
    """The village seen through an inventory that names the upstream too (as an operator's
    does), reaching the upstream at its address on the link between their namespaces."""
    inventory = joint_inventory(
        tmp_path_factory.mktemp("fleet") / "hosts.json",
        upstream_target,
        village_target,
        hub_enroll_upstream=upstream_target.name,
        hub_enroll_upstream_url=f"http://{LINK_UPSTREAM}",
    )
    return dataclasses.replace(village_target, inventory=inventory)


@pytest.fixture(scope="module")
def upstream_ca(tmp_path_factory):
    """The throw-away CA of the upstream's certificate, and its root for the tests' curl."""
    ca = ThrowawayCA()
    root = tmp_path_factory.mktemp("upstream-ca") / "root.pem"
    root.write_text(ca.root_pem)
    return ca, root


def test_upstream_playbook_provisions_a_bare_root(upstream_target, upstream_ca):
    # given the operator's certificate for the upstream's name on the host (hub_nginx_tls_*)
    key, fullchain, _ = upstream_ca[0].key_and_fullchain(UPSTREAM_TLS_NAME)
    upstream_target.put_file(f"{UPSTREAM_CERT_DIR}/fullchain.pem", fullchain)
    upstream_target.put_file(f"{UPSTREAM_CERT_DIR}/privkey.pem", key, mode="0600")
    # when
    run = upstream_target.converge("upstream.yml", label="first_converge")
    # then
    assert run.recap(upstream_target.name)["changed"] > 0
    # and the issuing service's TSIG secret was never printed
    assert UPSTREAM_TSIG_SECRET not in run.output


def test_second_run_changes_nothing(upstream_target):
    run = upstream_target.converge("upstream.yml", label="idempotent_rerun")
    assert run.recap(upstream_target.name)["changed"] == 0, run.changed_tasks()


def test_upstream_serves_on_postgresql_through_nginx(upstream_target):
    # when
    status, headers, body = http_get(upstream_target.url("/healthz"))
    # then a caller from outside gets the status only
    assert status == 200
    assert headers.get("Server") == "nginx"
    assert json.loads(body) == {"status": "ok"}
    # and the host itself (loopback through its nginx, as the hub_health role asks) the details
    local = upstream_target.ssh(
        'python3 -c "import urllib.request; '
        "print(urllib.request.urlopen('http://127.0.0.1/healthz').read().decode())\""
    )
    health = json.loads(local)
    assert (health["role"], health["database"]["vendor"]) == ("upstream", "postgresql")
    states = upstream_target.ssh("systemctl is-active balai-web balai-cluster postgresql")
    assert states.split() == ["active"] * 3


def test_upstream_is_https_only_with_hsts_and_secure_cookies(upstream_target, upstream_ca):
    root = upstream_ca[1]
    assert (
        upstream_target.ssh("readlink /etc/nginx/balai/mode.conf").strip().endswith("/https.conf")
    )
    # the admin login over HTTPS, its certificate verified by name against the test's root
    login = upstream_target.curl(
        f"https://{UPSTREAM_TLS_NAME}/admin/login/", name=UPSTREAM_TLS_NAME, cacert=root
    )
    assert (login.returncode, login.status) == (0, 200), login.error
    assert login.header("Strict-Transport-Security") == "max-age=31536000"
    cookies = login.headers.get("set-cookie", [])
    assert cookies and all("; Secure" in cookie for cookie in cookies), cookies
    # plain HTTP sends everyone to the name over HTTPS
    plain = upstream_target.curl(f"http://{UPSTREAM_TLS_NAME}/admin/", name=UPSTREAM_TLS_NAME)
    assert plain.status == 301
    assert plain.header("Location") == f"https://{UPSTREAM_TLS_NAME}/admin/"
    # a client's claim to have come over HTTPS is not believed on port 80 either
    forged = upstream_target.curl(
        f"http://{upstream_target.address}/healthz", "-H", "X-Forwarded-Proto: https"
    )
    assert forged.status == 200 and forged.header("Strict-Transport-Security") == ""


def test_upstream_deploy_check_is_clean_and_the_issuing_service_configured(upstream_target):
    # Django's deployment checks with the environment Ansible rendered (balai.certs.E002 among
    # them: the DNS updater is configured from the TSIG name and the secret's file)
    check = upstream_target.ssh("balai-manage check --deploy --fail-level WARNING 2>&1")
    assert "System check identified no issues" in check, check
    env = upstream_target.ssh("cat /etc/balai/balai.env")
    assert "HUB_HTTPS=1\n" in env
    assert "HUB_ACME_DNS_ZONE=acme.jambiprov.example.go.id\n" in env
    assert "HUB_ACME_TSIG_SECRET_FILE=/etc/balai/acme_tsig.key\n" in env
    # the secret is in its file, the service user's alone, never in the environment file
    assert UPSTREAM_TSIG_SECRET not in env
    secret = upstream_target.ssh(
        "stat -c '%U %a' /etc/balai/acme_tsig.key && cat /etc/balai/acme_tsig.key"
    )
    assert secret.split("\n")[:2] == ["balai 400", UPSTREAM_TSIG_SECRET]
    assert upstream_target.ssh("stat -c '%U %a' /var/lib/balai/acme").strip() == "balai 700"


def test_village_provisioned_with_the_upstream_in_the_inventory_is_enrolled(upstream_target, fleet):
    # given a bare village container and the provisioned upstream in the inventory
    # when
    run = fleet.converge("village.yml", label="converge_with_enrollment")
    # then the upstream knows the village by the key the village made
    changed = run.changed_tasks()
    assert "hub_enroll : Enroll the village on the upstream" in changed, changed
    assert "hub_enroll : Pin the upstream on the village" in changed, changed
    village_key = fleet.ssh("balai-manage node_init").strip()
    upstream_key = upstream_target.ssh("balai-manage node_init").strip()
    enrolled = json.loads(
        _shell(
            upstream_target,
            "import json; from hub.sync.models import Node; "
            f"n = Node.objects.get(code='{VILLAGE_CODE}'); "
            "print(json.dumps([n.public_key, n.revoked_at is None]))",
        )
    )
    assert enrolled == [village_key, True]
    # and the village pins the upstream: its URL on the link, its region code, its key
    pinned = json.loads(
        _shell(
            fleet,
            "import json; from hub.sync.models import SyncState; s = SyncState.load(); "
            "print(json.dumps([s.upstream_url, s.upstream_code, s.upstream_key]))",
        )
    )
    assert pinned == [f"http://{LINK_UPSTREAM}", "15", upstream_key]


def test_rerun_with_enrollment_changes_nothing(fleet):
    # when
    village = fleet.converge("village.yml", label="rerun_with_enrollment")
    enroll = fleet.converge("enroll.yml", label="enroll_rerun")
    # then
    assert village.recap(fleet.name)["changed"] == 0, village.changed_tasks()
    assert enroll.recap(fleet.name)["changed"] == 0, enroll.changed_tasks()


def test_a_revoked_village_is_not_enrolled_again_without_being_told(upstream_target, fleet):
    # given the village revoked on the upstream
    revoked = (
        "from hub.sync.models import Node; "
        f"print(Node.objects.get(code='{VILLAGE_CODE}').revoked_at is None)"
    )
    upstream_target.ssh(f"balai-manage village_revoke {VILLAGE_CODE}")
    try:
        # when
        refused = fleet.playbook("enroll.yml", label="enroll_revoked")
        # then the run fails for the village and the upstream still refuses it
        assert refused.returncode != 0
        assert "was revoked on" in refused.output, refused.tail()
        assert _shell(upstream_target, revoked) == "False"
    finally:
        # when told, it is enrolled again
        again = fleet.converge(
            "enroll.yml", "-e", "hub_enroll_allow_revoked=true", label="enroll_again"
        )
    assert again.recap(fleet.name)["changed"] == 1, again.changed_tasks()
    assert _shell(upstream_target, revoked) == "True"


def test_push_content_imports_a_bundle_and_a_second_push_applies_nothing(
    upstream_target, fleet, tmp_path
):
    # given a notice published on the upstream for its province, not synced to the village
    _announce(upstream_target, "Kiriman dari provinsi")
    assert _announcements(fleet, "Kiriman dari provinsi") == "0"
    bundle = tmp_path / "konten.bundle"
    # when the bundle is made on the upstream and pushed
    first = fleet.converge(
        "push-content.yml",
        "-e",
        f"balai_bundle={bundle}",
        "-e",
        "balai_bundle_export_scope=15",
        label="push_content",
    )
    # then the village has the notice, and the report says what was applied
    assert bundle.stat().st_size > 0
    assert first.recap(fleet.name)["changed"] > 0
    assert _announcements(fleet, "Kiriman dari provinsi") == "1"
    applied = re.search(rf"{fleet.name}: applied (\d+), skipped (\d+), refused (\d+)", first.output)
    assert applied and int(applied[1]) >= 1 and applied[3] == "0", first.tail()
    # when the same bundle is pushed again
    second = fleet.converge(
        "push-content.yml", "-e", f"balai_bundle={bundle}", label="push_content_again"
    )
    # then nothing is applied and nothing changes
    assert second.recap(fleet.name)["changed"] == 0, second.changed_tasks()
    again = re.search(rf"{fleet.name}: applied (\d+), skipped (\d+)", second.output)
    assert again and again[1] == "0" and int(again[2]) >= 1, second.tail()
    assert _announcements(fleet, "Kiriman dari provinsi") == "1"


def test_one_real_sync_brings_the_villages_records_to_the_upstream(upstream_target, fleet):
    # given a notice made on the village, and the two namespaces linked
    _announce(fleet, "Kabar dari desa")
    assert _announcements(upstream_target, "Kabar dari desa") == "0"
    with link_namespaces(upstream_target, fleet):
        # when the village syncs (a scheduled run may hold the lock for a moment)
        started = time.monotonic()
        for _ in range(10):
            result = fleet.ssh("balai-manage sync_now 2>&1", check=False)
            if "another sync is running" not in result:
                break
            time.sleep(3)
        fleet.timings["sync_now_seconds"] = round(time.monotonic() - started, 1)
        # then
        assert re.search(r"^ok: ↑ [1-9]", result, re.M), result
        assert _announcements(upstream_target, "Kabar dari desa") == "1"
        last_push = _shell(
            upstream_target,
            "from hub.sync.models import Node; "
            f"print(Node.objects.get(code='{VILLAGE_CODE}').last_push_at is not None)",
        )
        assert last_push == "True"
