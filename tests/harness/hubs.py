"""Hubs as real processes on 127.0.0.1, each in its own data directory:

- :func:`start_hub`: ``scripts/run`` (gunicorn and the django-q2 cluster) and what it started, from
  an empty data directory (a first start, as a technician's) or a copy of a migrated template
  (:mod:`.templates`);
- :class:`UpstreamNode`: the upstream under gunicorn (2 workers) and its cluster, on a copy of
  the migrated PostgreSQL template;
- :class:`VillageNode`: a village under ``scripts/run``, from the migrated template, enrolled on
  an upstream;
- :class:`Agent`: an :mod:`agent <tests.harness.agent>` process per node to act on its database.
"""

import contextlib
import json
import os
import re
import secrets
import select
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from . import templates
from .processes import (
    HOST,
    ROOT,
    VENV_BIN,
    clean_env,
    free_port,
    http_status,
    hub_processes,
    kill_all,
    manage,
    stop_processes,
    wait_until,
)

RUN_SCRIPT = ROOT / "scripts" / "run"
START_TIMEOUT = 120
STOP_TIMEOUT = 20
PASSWORD_LINE = re.compile(r"kata sandi / password: (\S+)")
UPSTREAM_CODE = templates.UPSTREAM_CODE
VILLAGE_CODES = ["1503012021", "1503012001", "1504012002"]
# What scripts/run may inherit from the calling shell. Everything else stays out: above all
# HUB_SECRET_KEY, HUB_DATA_DIR and DJANGO_SETTINGS_MODULE, which hub.settings.test puts in this
# process's environment, so scripts/run makes its own key file as it does in production.
INHERITED_ENV = ("PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TMPDIR")


@dataclass
class Hub:
    """One ``scripts/run`` and everything it started."""

    data_dir: Path
    port: int
    log_path: Path
    process: subprocess.Popen
    stop_seconds: float | None = field(default=None, init=False)

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def admin_password(self) -> str | None:
        match = PASSWORD_LINE.search(self.output())
        return match.group(1) if match else None

    def processes(self) -> list[tuple[int, str]]:
        return hub_processes(self.data_dir, self.process.pid)

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> int:
        """SIGTERM to scripts/run alone (its trap must stop the rest), then check that nothing of
        the hub survives. Returns scripts/run's exit status."""
        if self.running:
            started = time.monotonic()
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.kill_all()
                pytest.fail(
                    f"scripts/run did not exit within {STOP_TIMEOUT} s of SIGTERM.\n{self.tail()}"
                )
            self.stop_seconds = time.monotonic() - started
        # scripts/run waits for its children; give the kernel a moment to reap grandchildren.
        survivors = []

        def all_gone() -> bool:
            survivors[:] = self.processes()
            return not survivors

        if not wait_until(all_gone, timeout=5, interval=0.1):
            self.kill_all()
            listing = "\n".join(f"  {pid} {cmd}" for pid, cmd in survivors)
            pytest.fail(f"Processes of the hub survived scripts/run's exit:\n{listing}")
        return self.process.returncode

    def kill_all(self) -> None:
        kill_all(self.processes())
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)

    def tail(self, lines: int = 80) -> str:
        return "--- scripts/run output (tail) ---\n" + "\n".join(
            self.output().splitlines()[-lines:]
        )


def run_environment(data_dir: Path, port: int, extra: dict | None = None) -> dict[str, str]:
    env = {name: value for name, value in clean_env().items() if name in INHERITED_ENV}
    env.update(extra or {})
    env.update(
        PORT=str(port),
        HOST=HOST,
        HUB_DATA_DIR=str(data_dir),
        # Log lines in the order they happen, for the failure messages.
        PYTHONUNBUFFERED="1",
    )
    return env


def start_hub(
    data_dir: Path,
    log_path: Path,
    port: int | None = None,
    extra_env: dict | None = None,
    *,
    template: str | None = None,
    timeout: float | None = None,
) -> Hub:
    """Start scripts/run in its own process group and wait until /healthz answers 200.

    ``template`` (``"village"``: migrated; ``"demo"``: with the demo village) copies a migrated
    data directory first, unless ``data_dir`` exists already; without it, scripts/run starts on
    whatever ``data_dir`` holds (an empty one: a first start that migrates and loads the demo).
    """
    if template and not data_dir.exists():
        templates.village_data_dir(data_dir, demo=template == "demo")
    data_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(RUN_SCRIPT)],
            cwd=ROOT,
            env=run_environment(data_dir, port, extra_env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    hub = Hub(data_dir=data_dir, port=port, log_path=log_path, process=process)
    timeout = timeout or START_TIMEOUT
    if not wait_until(
        lambda: not hub.running or http_status(hub.url("/healthz")) == 200, timeout, interval=0.1
    ):
        hub.kill_all()
        pytest.fail(f"/healthz did not answer 200 within {timeout} s.\n{hub.tail()}")
    if not hub.running:
        hub.kill_all()
        pytest.fail(
            f"scripts/run exited with status {process.returncode} before /healthz "
            f"answered.\n{hub.tail()}"
        )
    return hub


class HubStarter:
    """Starts hubs for a test or a module and stops whatever is still running at the end."""

    def __init__(self, base: Path, template: str | None = None, timeout: float | None = None):
        self.base = base
        self.template = template
        self.timeout = timeout
        self.hubs: list[Hub] = []

    def __call__(self, data_dir: Path | None = None, port: int | None = None, **kwargs) -> Hub:
        data_dir = data_dir or self.base / "data"
        log_path = self.base / f"scripts-run-{len(self.hubs) + 1}.log"
        kwargs.setdefault("template", self.template)
        kwargs.setdefault("timeout", self.timeout)
        hub = start_hub(data_dir, log_path, port, **kwargs)
        self.hubs.append(hub)
        return hub

    def stop_all(self) -> None:
        problems = []
        # Newest first: a restarted hub shares its data dir with the stopped one before it.
        for hub in reversed(self.hubs):
            try:
                hub.stop()
            except pytest.fail.Exception as exc:
                problems.append(str(exc))
        if problems:
            pytest.fail("\n\n".join(problems))


def manage_shell(data_dir: Path, code: str) -> dict:
    """Python in ``scripts/manage shell`` against a hub's data dir; its last line as JSON."""
    result = subprocess.run(
        [str(ROOT / "scripts" / "manage"), "shell", "-c", code],
        cwd=ROOT,
        env=run_environment(data_dir, 0),
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        pytest.fail(f"scripts/manage shell failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def pg_settings() -> dict:
    keys = ("HUB_TEST_PG_HOST", "HUB_TEST_PG_PORT", "HUB_TEST_PG_USER", "HUB_TEST_PG_PASSWORD")
    missing = [k for k in keys if not os.environ.get(k)]
    if missing:
        pytest.fail(
            f"PostgreSQL for the upstream tests is not configured ({', '.join(missing)} unset): "
            "run the suite with scripts/test, which installs and starts PostgreSQL."
        )
    return {k: os.environ[k] for k in keys}


class Agent:
    """The client of an agent process: one JSON command per call, one JSON answer."""

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


def close_agents(agents: list[Agent]) -> None:
    """Close agents side by side: each is told to end before any is waited for."""
    for agent in agents:
        if agent.process.poll() is None and not agent.process.stdin.closed:
            with contextlib.suppress(OSError):
                agent.process.stdin.close()
    for agent in agents:
        agent.close()


class AgentsMixin:
    """A node's agents (``agents``: every one started, closed by ``close``). The node's own set-up
    (enrolling, naming) runs in a spare one, which the next :meth:`agent` call hands out: one
    Django start instead of a ``manage.py`` process per command and an agent after them."""

    env: dict
    agents: list[Agent]
    _spare: Agent | None = None

    def _agent_log(self, number: int) -> Path:
        raise NotImplementedError

    def _new_agent(self) -> Agent:
        agent = Agent(self.env, self._agent_log(len(self.agents)))
        self.agents.append(agent)
        return agent

    def _alive(self, agent: Agent | None) -> bool:
        # a test may have closed or dropped it (a restore replaces the files it holds open)
        return agent is not None and agent in self.agents and agent.process.poll() is None

    def _spare_agent(self) -> Agent:
        if not self._alive(self._spare):
            self._spare = self._new_agent()
        return self._spare

    def agent(self) -> Agent:
        spare, self._spare = self._spare, None
        return spare if self._alive(spare) else self._new_agent()


class UpstreamNode(AgentsMixin):
    """The upstream: its own PostgreSQL database (a copy of the migrated template), a node key,
    under gunicorn with its cluster; ``env``: settings of its own (the ACME service's, say)."""

    def __init__(
        self, base: Path, workers: int = 2, env: dict | None = None, *, static: bool = False
    ):
        """``static``: with the village template's collected static files (the market's and the
        verification's HTML pages need their manifest; Ansible runs collectstatic on a real
        upstream, the same code's files as the village's): copied before the first start,
        instead of a restart once a village has collected them."""
        pg = pg_settings()
        self.pg = pg
        self.db_name = f"balai_sync_{secrets.token_hex(4)}"
        templates.upstream_database(pg, self.db_name)
        self.base = base
        self.data_dir = base / "upstream-data"
        if static:
            shutil.copytree(
                templates.village_template() / "static",
                self.data_dir / "static",
                dirs_exist_ok=True,
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.workers = workers
        self.env = templates.upstream_env(pg, self.db_name, self.data_dir)
        self.env["HUB_SECRET_KEY"] = secrets.token_urlsafe(40)
        self.env.update(env or {})
        self.public_key = manage(self.env, "node_init").stdout.strip()
        self.server = self.cluster = None
        self.agents: list[Agent] = []
        self.start()

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self):
        env = {
            **self.env,
            "PORT": str(self.port),
            "HOST": HOST,
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
        up = wait_until(
            lambda: self.server.poll() is not None or http_status(self.url + "/healthz") == 200,
            timeout=60,
            interval=0.1,
        )
        if not up or self.server.poll() is not None:
            pytest.fail("the upstream's gunicorn did not come up; see upstream-gunicorn.log")

    def stop(self, sig=signal.SIGTERM):
        # gunicorn and the cluster side by side: each stops its workers in order
        stop_processes([self.server, self.cluster], sig)
        self.log.close()

    def restart(self):
        self.stop()
        self.start()

    def _agent_log(self, number: int) -> Path:
        return self.base / f"upstream-agent-{number}.log"

    def enroll(self, code: str, public_key: str):
        """``manage.py village_enroll CODE --public-key KEY``, in the spare agent."""
        self._spare_agent()(
            "exec", code=COMMANDS % [["village_enroll", code, "--public-key", public_key]]
        )

    def close(self):
        close_agents(self.agents)
        self.stop()
        database_drop_later(self.pg, self.db_name, self.base / "upstream-drop.log")


# ``manage.py`` commands in an agent, as tests.harness.commands runs them: each one's output
COMMANDS = """
from tests.harness.commands import main
result = main(%r)
"""
# (templates.drop_database: without FORCE, which the test role may be refused)
DROP = """
import json, sys
from tests.harness import templates
pg, name = json.loads(sys.argv[1]), sys.argv[2]
with templates.pg_connect(pg) as conn:
    templates.drop_database(conn, name)
"""


DROPS: list[subprocess.Popen] = []  # kept, so none is reported as still running when collected


def database_drop_later(pg: dict, name: str, log_path: Path) -> None:
    """DROP DATABASE in a process of its own, not waited for: PostgreSQL checkpoints before it
    answers (seconds on a busy machine) and nothing after a module's teardown needs the database
    gone. The process outlives this one if it must; its errors go to ``log_path``."""
    with log_path.open("ab") as log:
        DROPS.append(
            subprocess.Popen(
                [sys.executable, "-c", DROP, json.dumps(pg), name],
                cwd=ROOT,
                env=clean_env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )


class VillageNode(AgentsMixin):
    """A village hub under scripts/run (gunicorn + cluster on SQLite), from the migrated
    template, enrolled on the upstream."""

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
        self.hub = start_hub(
            self.data_dir, self.base / "scripts-run.log", extra_env=self.extra_env,
            template="village",
        )  # fmt: skip
        self.env = clean_env()
        self.env.update(
            HUB_DATA_DIR=str(self.data_dir),
            HUB_SECRET_KEY_FILE=str(self.data_dir / "secret_key"),
            DJANGO_SETTINGS_MODULE="hub.settings.main",
            PYTHONUNBUFFERED="1",
            **self.extra_env,
        )
        url = f"http://{HOST}:{via_port or upstream.port}"
        self.agents: list[Agent] = []
        commands = [["village_set_code", code], ["node_init"], self._pin_command(url, upstream)]
        _code, public_key, _pinned = self._spare_agent()("exec", code=COMMANDS % commands)["result"]
        self.public_key = public_key.strip()
        upstream.enroll(code, self.public_key)

    @staticmethod
    def _pin_command(url: str, upstream: "UpstreamNode") -> list[str]:
        return ["upstream_set", url, "--code", UPSTREAM_CODE, "--public-key", upstream.public_key]

    def pin(self, url: str, upstream: UpstreamNode):
        manage(self.env, *self._pin_command(url, upstream))

    def _agent_log(self, number: int) -> Path:
        return self.base / f"agent-{number}.log"

    def close(self):
        close_agents(self.agents)
        self.hub.stop()
