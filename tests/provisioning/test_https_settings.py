"""``manage.py check --deploy`` with the environment file Ansible renders (hub_app's
balai.env.j2) for a village and for the upstream: no warning on either role, and the HTTPS
settings that file turns on. Marker ``ansible`` (in the default suite; no target needed)."""

import base64
import json
import os
import secrets
import subprocess
import sys

import pytest
import yaml

from .conftest import ANSIBLE_DIR, ROOT
from .render import render, render_expression, role_vars

pytestmark = pytest.mark.ansible

# Run in a fresh interpreter with only the rendered environment: the node key as Ansible makes it
# (node_init), then the deploy checks, then the settings they are about.
PROBE = """
import json, django
from django.conf import settings
from django.core.management import call_command
django.setup()
call_command("node_init", verbosity=0)
call_command("check", deploy=True, fail_level="WARNING")
print("SETTINGS " + json.dumps({name: getattr(settings, name) for name in (
    "HUB_HTTPS_MODE", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS", "SECURE_PROXY_SSL_HEADER", "CSRF_TRUSTED_ORIGINS", "ALLOWED_HOSTS",
    "SESSION_COOKIE_AGE", "SESSION_EXPIRE_AT_BROWSER_CLOSE", "AXES_FAILURE_LIMIT",
    "SECURE_REDIRECT_EXEMPT", "HUB_ACME_DNS_ZONE", "HUB_ACME_DIRECTORY_URL", "HUB_ACME_EMAIL",
    "HUB_ACME_ACCOUNT_KEY_FILE", "HUB_ACME_DNS_OPTIONS", "HUB_ACME_PROPAGATION_SECONDS")},
    default=str))
"""


def _rendered_env(tmp_path, **overrides) -> dict:
    """balai.env.j2 rendered with the role's defaults and ``overrides``; the files it names
    (secret key, field key, data directory) made in ``tmp_path`` the way hub_app makes them."""
    variables = role_vars(
        "hub_app",
        hub_app_config_dir=str(tmp_path / "etc"),
        hub_app_data_dir=str(tmp_path / "data"),
        **overrides,
    )
    text = render("hub_app", "etc/balai/balai.env.j2", variables)
    env = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            env[name] = value
    (tmp_path / "etc").mkdir(parents=True)
    (tmp_path / "data" / "static").mkdir(parents=True)
    (tmp_path / "etc" / "secret_key").write_text(secrets.token_urlsafe(50) + "\n")
    (tmp_path / "etc" / "field_key").write_text(
        base64.urlsafe_b64encode(os.urandom(32)).decode() + "\n"
    )
    if variables["hub_app_acme_tsig_secret"]:
        # as tasks/acme.yml writes it
        secret_file = tmp_path / "etc" / "acme_tsig.key"
        secret_file.write_text(variables["hub_app_acme_tsig_secret"] + "\n")
        secret_file.chmod(0o400)
    env["#text"] = text
    return env


def _deploy_check(env: dict) -> dict:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "DJANGO_"))}
    env = {k: v for k, v in env.items() if not k.startswith("#")}
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**base, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    line = next(line for line in result.stdout.splitlines() if line.startswith("SETTINGS "))
    return json.loads(line.removeprefix("SETTINGS "))


def test_village_deploy_check_is_clean_with_the_rendered_settings(tmp_path):
    env = _rendered_env(
        tmp_path,
        hub_app_tls_name="balai.sukamaju.desa.id",
        hub_app_village_domain="sukamaju.desa.id",
    )
    assert env["HUB_HTTPS"] == "auto"
    settings = _deploy_check(env)
    # HTTPS once the certificate is there, decided by nginx: no redirect, no HSTS, ever
    assert settings["HUB_HTTPS_MODE"] == "auto"
    assert settings["SECURE_SSL_REDIRECT"] is False
    assert settings["SECURE_HSTS_SECONDS"] == 0
    assert settings["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert "balai.sukamaju.desa.id" in settings["ALLOWED_HOSTS"]
    assert settings["CSRF_TRUSTED_ORIGINS"] == [
        "https://balai.lan",
        "https://balai.sukamaju.desa.id",
    ]
    assert settings["SESSION_COOKIE_AGE"] == 3600
    assert settings["SESSION_EXPIRE_AT_BROWSER_CLOSE"] is True
    assert settings["AXES_FAILURE_LIMIT"] == 5


def test_upstream_deploy_check_is_clean_with_the_rendered_settings(tmp_path):
    env = _rendered_env(
        tmp_path,
        hub_app_role="upstream",
        hub_app_https="1",
        hub_app_node_code="15",
        hub_app_base_url="https://balai.jambiprov.example.go.id",
        hub_app_allowed_hosts=["balai.jambiprov.example.go.id"],
    )
    settings = _deploy_check(env)
    assert settings["HUB_HTTPS_MODE"] == "on"
    assert settings["SECURE_SSL_REDIRECT"] is True
    assert settings["SESSION_COOKIE_SECURE"] is True and settings["CSRF_COOKIE_SECURE"] is True
    assert settings["SECURE_HSTS_SECONDS"] == 31_536_000
    assert settings["CSRF_TRUSTED_ORIGINS"] == ["https://balai.jambiprov.example.go.id"]
    # the signed sync API and /healthz are not redirected (HUB_HTTPS_SYNC_PLAIN)
    assert settings["SECURE_REDIRECT_EXEMPT"] == ["^healthz$", "^sync/v[12]/"]


# A TSIG secret as tsig-keygen makes one (base64 of 32 bytes); the test's own.
TSIG_SECRET = base64.b64encode(b"balai-test-tsig-secret-32-bytes!").decode()


def test_upstream_issuing_service_settings_come_from_role_variables(tmp_path):
    # given the issuing service configured through hub_app's variables (the secret from a vault)
    env = _rendered_env(
        tmp_path,
        hub_app_role="upstream",
        hub_app_https="1",
        hub_app_node_code="15",
        hub_app_base_url="https://balai.jambiprov.example.go.id",
        hub_app_allowed_hosts=["balai.jambiprov.example.go.id"],
        hub_app_acme_dns_zone="acme.diskominfo.jambiprov.example.go.id",
        hub_app_acme_email="tik@jambiprov.example.go.id",
        hub_app_acme_dns_server="10.60.0.53",
        hub_app_acme_tsig_name="balai-acme",
        hub_app_acme_tsig_secret=TSIG_SECRET,
        hub_app_acme_propagation_seconds=30,
    )
    # then the secret is in its file only, never in the environment file
    assert TSIG_SECRET not in env["#text"]
    assert env["HUB_ACME_TSIG_SECRET_FILE"] == str(tmp_path / "etc" / "acme_tsig.key")
    # and the upstream takes them: the updater is configured (balai.certs.E002 would fail the
    # deploy check otherwise) and nothing else warns
    settings = _deploy_check(env)
    assert settings["HUB_ACME_DNS_ZONE"] == "acme.diskominfo.jambiprov.example.go.id"
    assert settings["HUB_ACME_DIRECTORY_URL"] == "https://acme-v02.api.letsencrypt.org/directory"
    assert settings["HUB_ACME_EMAIL"] == "tik@jambiprov.example.go.id"
    assert settings["HUB_ACME_ACCOUNT_KEY_FILE"] == str(tmp_path / "data" / "acme" / "account.key")
    assert settings["HUB_ACME_PROPAGATION_SECONDS"] == 30
    assert settings["HUB_ACME_DNS_OPTIONS"] == {
        "server": "10.60.0.53",
        "port": 53,
        "key_name": "balai-acme",
        "key_file": str(tmp_path / "etc" / "acme_tsig.key"),
        "algorithm": "hmac-sha256",
        "ttl": 60,
    }


def test_without_a_zone_no_issuing_setting_is_rendered(tmp_path):
    village = _rendered_env(tmp_path / "village", hub_app_acme_dns_zone="acme.example.go.id")
    upstream = _rendered_env(tmp_path / "upstream", hub_app_role="upstream", hub_app_node_code="15")
    assert not [name for name in village if name.startswith("HUB_ACME_")]
    assert not [name for name in upstream if name.startswith("HUB_ACME_")]


def test_the_role_refuses_a_half_configured_issuing_service():
    # tried: a zone without the TSIG key, without its secret, on a village, with an http://
    # directory; then the whole thing, and another updater that needs no TSIG key
    tasks = yaml.safe_load((ANSIBLE_DIR / "roles/hub_app/tasks/main.yml").read_text())
    check = next(t for t in tasks if t["name"] == "Check the issuing service's settings")
    conditions = check["ansible.builtin.assert"]["that"]

    def holds(**overrides) -> bool:
        variables = role_vars("hub_app", **{"hub_app_role": "upstream", **overrides})
        return all(render_expression(condition, variables) for condition in conditions)

    zone = {"hub_app_acme_dns_zone": "acme.example.go.id"}
    key = {"hub_app_acme_tsig_name": "balai-acme", "hub_app_acme_tsig_secret": TSIG_SECRET}
    assert holds()  # no zone: nothing to check
    assert not holds(**zone)
    assert not holds(**zone, hub_app_acme_tsig_name="balai-acme")
    assert not holds(**zone, **key, hub_app_role="village")
    assert not holds(**zone, **key, hub_app_acme_directory_url="http://acme.example/dir")
    assert holds(**zone, **key)
    assert holds(**zone, hub_app_acme_dns_updater="provinsi.dns.ApiUpdater")


def test_a_wrong_https_value_is_a_startup_error():
    # tried: HUB_HTTPS=yes-please (a typo in a hand-edited environment file)
    from django.core.exceptions import ImproperlyConfigured

    from hub.settings.base import https_mode

    with pytest.raises(
        ImproperlyConfigured, match="HUB_HTTPS must be 0, 1 or auto, not 'yes-please'"
    ):
        https_mode("yes-please")
    assert [https_mode(v) for v in ("", "0", "1", "auto", "ON")] == [
        "off",
        "off",
        "on",
        "auto",
        "on",
    ]
