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

from .conftest import ROOT
from .render import render, role_vars

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
    "SECURE_REDIRECT_EXEMPT")}))
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
    (tmp_path / "etc").mkdir()
    (tmp_path / "data" / "static").mkdir(parents=True)
    (tmp_path / "etc" / "secret_key").write_text(secrets.token_urlsafe(50) + "\n")
    (tmp_path / "etc" / "field_key").write_text(
        base64.urlsafe_b64encode(os.urandom(32)).decode() + "\n"
    )
    return env


def _deploy_check(env: dict) -> dict:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "DJANGO_"))}
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
