"""The upstream role on a real PostgreSQL server: migrate, serve with gunicorn, search.

scripts/test starts PostgreSQL and exports HUB_TEST_PG_* (host, port, user, password of a role
that may create databases); each run makes its own database and drops it afterwards.
"""

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.sync.nodes import pg_settings

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def upstream_env(tmp_path_factory):
    import psycopg

    pg = pg_settings()
    name = f"balai_upstream_{secrets.token_hex(4)}"
    conninfo = dict(
        host=pg["HUB_TEST_PG_HOST"],
        port=pg["HUB_TEST_PG_PORT"],
        user=pg["HUB_TEST_PG_USER"],
        password=pg["HUB_TEST_PG_PASSWORD"],
        dbname="postgres",
        autocommit=True,
    )
    try:
        with psycopg.connect(**conninfo) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        pytest.fail(f"cannot reach the test PostgreSQL server: {exc}")
    data_dir = tmp_path_factory.mktemp("upstream-data")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "DJANGO_"))}
    env.update(
        {
            "HUB_ROLE": "upstream",
            "HUB_DB_NAME": name,
            "HUB_DB_HOST": pg["HUB_TEST_PG_HOST"],
            "HUB_DB_PORT": pg["HUB_TEST_PG_PORT"],
            "HUB_DB_USER": pg["HUB_TEST_PG_USER"],
            "HUB_DB_PASSWORD": pg["HUB_TEST_PG_PASSWORD"],
            "HUB_SECRET_KEY": secrets.token_urlsafe(40),
            "HUB_DATA_DIR": str(data_dir),
            "DJANGO_SETTINGS_MODULE": "hub.settings.main",
        }
    )
    yield env
    with psycopg.connect(**conninfo) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _manage(env, *args):
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}"
    return result


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback only
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_upstream_migrates_and_serves_on_postgresql(upstream_env):
    # given a fresh PostgreSQL database, migrated, with content in it
    _manage(upstream_env, "migrate", "--noinput", "-v0")
    _manage(upstream_env, "load_demo", "--only", "desa")
    _manage(upstream_env, "collectstatic", "--noinput", "-v0")
    port = _free_port()
    env = {**upstream_env, "PORT": str(port), "HOST": "127.0.0.1", "HUB_WEB_WORKERS": "2"}
    server = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "-c", str(ROOT / "hub/gunicorn.conf.py"), "hub.wsgi"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline:
            try:
                status, body = _get(f"{base}/healthz")
                break
            except OSError:
                time.sleep(0.3)
        # then the health check reports PostgreSQL
        assert status == 200, body
        assert '"vendor": "postgresql"' in body and '"role": "upstream"' in body
        # and pages and search (the stock database backend on PostgreSQL) work
        status, home = _get(f"{base}/")
        assert status == 200 and "Bukit Berantai" in home
        status, results = _get(f"{base}/cari/?q=posyandu")
        assert status == 200
        assert "Posyandu balita dan lansia bulan ini" in results
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode(errors="replace")
    assert server.returncode == 0, output[-3000:]
