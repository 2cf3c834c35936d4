"""The upstream role on a real PostgreSQL server: migrate, serve with gunicorn, search.

scripts/test starts PostgreSQL and exports HUB_TEST_PG_* (host, port, user, password of a role
that may create databases); each run makes its own database and drops it afterwards. This test
migrates it from scratch (the other upstreams copy a migrated template); the static files are the
village template's, collected by the same code (collectstatic does not depend on the role).
"""

import secrets
import shutil
import subprocess
import time
import urllib.request

import pytest

from tests.harness import templates
from tests.harness.hubs import database_drop_later, pg_settings
from tests.harness.processes import ROOT, VENV_BIN, free_port, manage

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def upstream_env(tmp_path_factory):
    pg = pg_settings()
    name = f"balai_upstream_{secrets.token_hex(4)}"
    with templates.pg_connect(pg) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    data_dir = tmp_path_factory.mktemp("upstream-data")
    env = templates.upstream_env(pg, name, data_dir)
    env["HUB_SECRET_KEY"] = secrets.token_urlsafe(40)
    del env["HUB_NODE_CODE"]  # as a new upstream before its operator names it
    yield env
    database_drop_later(pg, name, data_dir / "drop.log")


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback only
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_upstream_migrates_and_serves_on_postgresql(upstream_env):
    # given a fresh PostgreSQL database, migrated, with content in it
    manage(upstream_env, "migrate", "--noinput", "-v0")
    manage(upstream_env, "load_demo", "--only", "desa")
    static = templates.village_template() / "static"
    shutil.copytree(static, upstream_env["HUB_DATA_DIR"] + "/static", dirs_exist_ok=True)
    port = free_port()
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
                time.sleep(0.1)
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
