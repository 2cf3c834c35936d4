"""Real nodes for the sync tests: an upstream (gunicorn, 2 workers, on PostgreSQL) and villages
(``scripts/run``: gunicorn + the django-q2 cluster on SQLite), each in its own data directory on
127.0.0.1, plus an :mod:`agent <tests.sync.agent>` process per node to act on its database."""

import json
import os
import secrets
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import free_port, http_status, start_hub

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
UPSTREAM_CODE = "15"
VILLAGE_CODES = ["1503012021", "1503012001", "1504012002"]
BASE_ENV_DROP = ("HUB_", "DJANGO_")


def pg_settings() -> dict:
    keys = ("HUB_TEST_PG_HOST", "HUB_TEST_PG_PORT", "HUB_TEST_PG_USER", "HUB_TEST_PG_PASSWORD")
    missing = [k for k in keys if not os.environ.get(k)]
    if missing:
        pytest.fail(
            f"PostgreSQL for the upstream tests is not configured ({', '.join(missing)} unset): "
            "run the suite with scripts/test, which installs and starts PostgreSQL."
        )
    return {k: os.environ[k] for k in keys}


def clean_env() -> dict:
    return {k: v for k, v in os.environ.items() if not k.startswith(BASE_ENV_DROP)}


class Agent:
    def __init__(self, env: dict, log_path: Path):
        self.log = log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("agent.py"))],
            env=env,
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
            bufsize=1,
        )
        self._read(timeout=60)

    def _read(self, timeout: float):
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        if not ready:
            pytest.fail(f"agent did not answer within {timeout} s")
        line = self.process.stdout.readline()
        if not line:
            pytest.fail(f"agent died: see {self.log.name}")
        return json.loads(line)

    def __call__(self, op: str, timeout: float = 300, **kwargs):
        self.process.stdin.write(json.dumps({"op": op, **kwargs}) + "\n")
        self.process.stdin.flush()
        answer = self._read(timeout)
        if not answer["ok"]:
            pytest.fail(f"agent {op} failed: {answer['error']}\n{answer['traceback']}")
        return answer["value"]

    def close(self):
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


def manage(env: dict, *args, check=True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check and result.returncode != 0:
        pytest.fail(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result


class UpstreamNode:
    """The upstream: its own PostgreSQL database, migrated, with a node key, under gunicorn."""

    def __init__(self, base: Path, workers: int = 2):
        import psycopg

        pg = pg_settings()
        self.db_name = f"balai_sync_{secrets.token_hex(4)}"
        self.conninfo = dict(
            host=pg["HUB_TEST_PG_HOST"],
            port=pg["HUB_TEST_PG_PORT"],
            user=pg["HUB_TEST_PG_USER"],
            password=pg["HUB_TEST_PG_PASSWORD"],
            dbname="postgres",
            autocommit=True,
        )
        try:
            with psycopg.connect(**self.conninfo) as conn:
                conn.execute(f'CREATE DATABASE "{self.db_name}"')
        except psycopg.OperationalError as exc:
            pytest.fail(f"cannot reach the test PostgreSQL server: {exc}")
        self.base = base
        self.data_dir = base / "upstream-data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.workers = workers
        self.env = clean_env()
        self.env.update(
            HUB_ROLE="upstream",
            HUB_NODE_CODE=UPSTREAM_CODE,
            HUB_DB_NAME=self.db_name,
            HUB_DB_HOST=pg["HUB_TEST_PG_HOST"],
            HUB_DB_PORT=pg["HUB_TEST_PG_PORT"],
            HUB_DB_USER=pg["HUB_TEST_PG_USER"],
            HUB_DB_PASSWORD=pg["HUB_TEST_PG_PASSWORD"],
            HUB_SECRET_KEY=secrets.token_urlsafe(40),
            HUB_DATA_DIR=str(self.data_dir),
            DJANGO_SETTINGS_MODULE="hub.settings.main",
            PYTHONUNBUFFERED="1",
        )
        manage(self.env, "migrate", "--noinput", "-v0")
        self.public_key = manage(self.env, "node_init").stdout.strip()
        self.server = self.cluster = None
        self.agents: list[Agent] = []
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        env = {
            **self.env,
            "PORT": str(self.port),
            "HOST": "127.0.0.1",
            "HUB_WEB_WORKERS": str(self.workers),
        }
        self.log = (self.base / "upstream-gunicorn.log").open("ab")
        self.server = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "-c", str(ROOT / "hub/gunicorn.conf.py"), "hub.wsgi"],
            env=env,
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        # the cluster does the search/reference indexing the sync hands over
        self.cluster = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "qcluster"],
            env=self.env,
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while http_status(self.url + "/healthz") != 200:
            if self.server.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the upstream's gunicorn did not come up; see upstream-gunicorn.log")
            time.sleep(0.2)

    def stop(self, sig=signal.SIGTERM):
        for process in (self.server, self.cluster):
            if process and process.poll() is None:
                # SIGTERM to the cluster's main process alone (to its group it can hang, see
                # scripts/run); SIGKILL to everything
                if sig == signal.SIGKILL:
                    os.killpg(process.pid, sig)
                else:
                    process.send_signal(sig)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=10)
        self.log.close()

    def restart(self):
        self.stop()
        self.start()

    def agent(self) -> Agent:
        agent = Agent(self.env, self.base / f"upstream-agent-{len(self.agents)}.log")
        self.agents.append(agent)
        return agent

    def enroll(self, code: str, public_key: str):
        manage(self.env, "village_enroll", code, "--public-key", public_key)

    def close(self):
        import psycopg

        for agent in self.agents:
            agent.close()
        self.stop()
        with psycopg.connect(**self.conninfo) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')


class VillageNode:
    """A village hub under scripts/run (gunicorn + cluster on SQLite), enrolled on the upstream."""

    def __init__(self, base: Path, code: str, upstream: UpstreamNode, *, via_port=None, env=None):
        self.base = base / f"village-{code}"
        self.base.mkdir(parents=True, exist_ok=True)
        self.data_dir = self.base / "data"
        self.code = code
        self.extra_env = {
            "HUB_NO_DEMO": "1",
            # the tests drive syncs themselves; the cluster's own runs are tested on purpose
            "HUB_SYNC_INTERVAL": "86400",
            "HUB_SYNC_SOON_DELAY": "86400",
            **(env or {}),
        }
        self.hub = start_hub(self.data_dir, self.base / "scripts-run.log", extra_env=self.extra_env)
        self.env = clean_env()
        self.env.update(
            HUB_DATA_DIR=str(self.data_dir),
            HUB_SECRET_KEY_FILE=str(self.data_dir / "secret_key"),
            DJANGO_SETTINGS_MODULE="hub.settings.main",
            PYTHONUNBUFFERED="1",
            **self.extra_env,
        )
        manage(self.env, "village_set_code", code)
        self.public_key = manage(self.env, "node_init").stdout.strip()
        upstream.enroll(code, self.public_key)
        self.pin(f"http://127.0.0.1:{via_port or upstream.port}", upstream)
        self.agents: list[Agent] = []

    def pin(self, url: str, upstream: UpstreamNode):
        manage(
            self.env, "upstream_set", url, "--code", UPSTREAM_CODE,
            "--public-key", upstream.public_key,
        )  # fmt: skip

    def agent(self) -> Agent:
        agent = Agent(self.env, self.base / f"agent-{len(self.agents)}.log")
        self.agents.append(agent)
        return agent

    def close(self):
        for agent in self.agents:
            agent.close()
        self.hub.stop()
