"""Migrated hubs to copy from: a village data directory (migrated, static files collected, with
or without the demo village) and an upstream PostgreSQL database (migrated), each made once and
copied for every hub, instead of a migrate and a collectstatic per hub (about a minute each).

A template is keyed by a hash of what it is made from (migrations, static files, the installed
packages; for the demo, all the apps' code), so a code change makes a new one and never reuses a
stale one. It holds nothing that is a node's own: no secret key (made with one in the environment
that is not written anywhere) and no node key (``node_init`` runs on each copy).

The demo is the village template copied (its migrated database and collected static files) with
the demo loaded on top: the village's migrate and collectstatic serve both. One more, for the
image move's test (tests/media): a village database migrated from nothing to main's leaf
migrations of before ``hub.media``, so that test does not migrate from nothing on each run.

Village templates live in ``.cache/hub-templates`` of the checkout (``BALAI_TEMPLATE_DIR`` to move
them); upstream ones are ``balai_tmpl_<hash>`` databases on the test PostgreSQL server. Both are
made under a lock, so concurrent sessions share one; the unused ones are dropped after two days.
"""

import base64
import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from functools import cache
from pathlib import Path

import pytest

from .processes import ROOT, clean_env, manage

APPS = ("hub", "marketplace", "egov", "elearning")
CACHE_DIR = Path(os.environ.get("BALAI_TEMPLATE_DIR", ROOT / ".cache" / "hub-templates"))
KEEP_UNUSED_SECONDS = 2 * 24 * 3600
PG_PREFIX = "balai_tmpl_"
# the child module that migrates a database to main's leaves (and on, in the image move's test)
OLD_MAIN_STEPS = "tests.media.migration_steps"
UPSTREAM_CODE = "15"


def _files(patterns: tuple[str, ...]) -> list[Path]:
    found = set()
    for app in APPS:
        if (ROOT / app).is_dir():
            for pattern in patterns:
                found.update(p for p in (ROOT / app).glob(pattern) if p.is_file())
    return sorted(p for p in found if "__pycache__" not in p.parts)


@cache
def static_sources_hash() -> str:
    """scripts/lib.sh's hash of the static files' sources (one definition, in the shell)."""
    result = subprocess.run(
        ["bash", "-c", "source scripts/lib.sh && static_sources_hash"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


@cache
def code_hash(kind: str) -> str:
    """What a template of ``kind`` is made from: migrations, settings (the installed apps) and
    static sources; the demo's also every module of the apps (the demo data goes through their
    services) and their data files."""
    patterns = ("**/migrations/*.py", "settings/*.py")
    if kind == "demo":
        patterns += ("**/*.py", "**/data/*")
    extra = [Path(__file__).with_name("template_settings.py")]
    if kind == "old-main":  # which leaves are main's is written in the steps
        extra.append((ROOT / OLD_MAIN_STEPS.replace(".", "/")).with_suffix(".py"))
    digest = hashlib.sha256(static_sources_hash().encode())
    for path in [*_files(patterns), *extra]:
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


@contextlib.contextmanager
def _locked(name: str):
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with (CACHE_DIR / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def field_key_write(data_dir: Path) -> None:
    """A field-encryption key in ``data_dir`` (where hub.settings looks by default), unless one is
    there: migrations and every command refuse to start without it once a model has encrypted
    fields (check balai.E010). A template keeps its key, and every hub copied from it shares it:
    the demo's letter requests were encrypted with it (a test key, never a real hub's)."""
    path = data_dir / "field_key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode() + "\n")
        path.chmod(0o600)


def _build_env(data_dir: Path) -> dict:
    field_key_write(data_dir)
    env = clean_env()
    env.update(
        HUB_DATA_DIR=str(data_dir),
        # in the environment only: a template never holds a secret key
        HUB_SECRET_KEY=secrets.token_urlsafe(40),
        DJANGO_SETTINGS_MODULE="tests.harness.template_settings",
    )
    return env


def village_template(*, demo: bool = False) -> Path:
    """The migrated village data directory (with the demo village when ``demo``), made once."""
    kind = "demo" if demo else "village"
    target = CACHE_DIR / f"{kind}-{code_hash(kind)}"
    with _locked(kind):
        if not (target / "data" / "db.sqlite3").is_file():
            _prune_dirs(kind)
            building = CACHE_DIR / f".{target.name}.{os.getpid()}"
            shutil.rmtree(building, ignore_errors=True)
            data = building / "data"
            if demo:
                # the village template's database, field key and static files with their stamp
                # (collect_static below then finds them collected from the same sources and does
                # nothing); its lock is taken inside the demo's, never the other way round
                shutil.copytree(village_template(), data, symlinks=True)
                env = _build_env(data)
                manage(env, "load_demo", timeout=600)
                _collect_static(env, kind)
            else:
                data.mkdir(parents=True)
                env = _build_env(data)
                # collectstatic needs no database: it runs beside the migrate
                collecting = _collect_static_start(env)
                try:
                    manage(env, "migrate", "--noinput", "-v0", timeout=600)
                except BaseException:
                    collecting.kill()
                    collecting.wait()
                    raise
                _collect_static_wait(collecting, kind)
            building.rename(target)
        (target / "used").touch()
    return target / "data"


def _collect_static_start(env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        ["bash", "-c", "source scripts/lib.sh && collect_static"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _collect_static_wait(process: subprocess.Popen, kind: str) -> None:
    try:
        _out, err = process.communicate(timeout=600)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        pytest.fail(f"collectstatic for the {kind} template took over 600 s")
    if process.returncode != 0:
        pytest.fail(f"collectstatic for the {kind} template failed:\n{err}")


def _collect_static(env: dict, kind: str) -> None:
    _collect_static_wait(_collect_static_start(env), kind)


def old_main_template() -> Path:
    """A data directory whose village database is migrated, from nothing, to main's leaf
    migrations of before ``hub.media`` (``tests.media.migration_steps to-main``: the same
    child, settings and steps as the image move's test), made once; the test copies it."""
    kind = "old-main"
    target = CACHE_DIR / f"{kind}-{code_hash(kind)}"
    with _locked(kind):
        if not (target / "data" / "db.sqlite3").is_file():
            _prune_dirs(kind)
            building = CACHE_DIR / f".{target.name}.{os.getpid()}"
            shutil.rmtree(building, ignore_errors=True)
            (building / "data").mkdir(parents=True)
            old_main_steps("to-main", building / "data")
            building.rename(target)
        (target / "used").touch()
    return target / "data"


def old_main_steps(step: str, data_dir: Path) -> dict:
    """One step of ``tests.media.migration_steps`` in a child process on the village database
    in ``data_dir`` (a migration's ``RunPython`` writes through the default database, so the
    throw-away file has to be the child's); what it prints, as JSON."""
    env = {
        **clean_env(),
        "DJANGO_SETTINGS_MODULE": "hub.settings.main",
        "HUB_ROLE": "village",
        "HUB_DATA_DIR": str(data_dir),
        "HUB_SECRET_KEY": "migration-test-secret-key-that-is-long-enough-0123456789",
    }
    done = subprocess.run(
        [sys.executable, "-m", OLD_MAIN_STEPS, step],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        pytest.fail(f"{OLD_MAIN_STEPS} {step} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def village_data_dir(dest: Path, *, demo: bool = False) -> Path:
    """A new village data directory at ``dest``, copied from the template."""
    shutil.copytree(village_template(demo=demo), dest, symlinks=True)
    return dest


def _prune_dirs(kind: str) -> None:
    now = time.time()
    for old in CACHE_DIR.glob(f"{kind}-*"):
        used = old / "used"
        if not used.exists() or now - used.stat().st_mtime > KEEP_UNUSED_SECONDS:
            shutil.rmtree(old, ignore_errors=True)


def pg_connect(pg: dict):
    import psycopg

    try:
        return psycopg.connect(
            host=pg["HUB_TEST_PG_HOST"],
            port=pg["HUB_TEST_PG_PORT"],
            user=pg["HUB_TEST_PG_USER"],
            password=pg["HUB_TEST_PG_PASSWORD"],
            dbname="postgres",
            autocommit=True,
        )
    except psycopg.OperationalError as exc:
        pytest.fail(f"cannot reach the test PostgreSQL server: {exc}")


def upstream_env(pg: dict, db_name: str, data_dir: Path) -> dict:
    """The environment of an upstream on ``db_name`` with ``data_dir``, without a secret key
    (its field key is written into ``data_dir``)."""
    field_key_write(data_dir)
    env = clean_env()
    env.update(
        HUB_ROLE="upstream",
        HUB_NODE_CODE=UPSTREAM_CODE,
        HUB_DB_NAME=db_name,
        HUB_DB_HOST=pg["HUB_TEST_PG_HOST"],
        HUB_DB_PORT=pg["HUB_TEST_PG_PORT"],
        HUB_DB_USER=pg["HUB_TEST_PG_USER"],
        HUB_DB_PASSWORD=pg["HUB_TEST_PG_PASSWORD"],
        HUB_DATA_DIR=str(data_dir),
        DJANGO_SETTINGS_MODULE="hub.settings.main",
        PYTHONUNBUFFERED="1",
    )
    return env


def drop_database(conn, name: str, *, timeout: float = 30) -> None:
    """Drop database ``name`` if it exists, from ``conn`` (autocommit, on another database).

    Not ``WITH (FORCE)``: that ends every other session on it and refuses (InsufficientPrivilege)
    when one is not this role's, e.g. an autovacuum worker analysing it after a bench's 10,000
    inserts; the test role is no superuser. So this role's own sessions are ended here (a hub
    just stopped may leave its backends for a moment), and a plain DROP stops an autovacuum
    worker by itself and waits up to 5 s for the rest; retried while sessions linger."""
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
            "AND usename = current_user AND pid <> pg_backend_pid()",
            (name,),
        )
        try:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            return
        except psycopg.errors.ObjectInUse:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def upstream_database(pg: dict, db_name: str) -> None:
    """Create ``db_name`` as a copy of the migrated upstream template (made first if needed)."""
    template = upstream_template(pg)
    with pg_connect(pg) as conn:
        conn.execute(f'CREATE DATABASE "{db_name}" TEMPLATE "{template}"')


def upstream_template(pg: dict) -> str:
    """The migrated upstream template database's name, made first if needed."""
    template = PG_PREFIX + code_hash("village")
    with pg_connect(pg) as conn:
        # one builder per server at a time, whichever checkout or session it runs for
        conn.execute("SELECT pg_advisory_lock(hashtext('balai upstream template'))")
        try:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (template,)
            ).fetchone()
            if not exists:
                _prune_databases(conn)
                _build_database(conn, pg, template)
            conn.execute(f"COMMENT ON DATABASE \"{template}\" IS '{int(time.time())}'")
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext('balai upstream template'))")
    return template


def _build_database(conn, pg: dict, template: str) -> None:
    building = f"{template}_{os.getpid()}"
    drop_database(conn, building)
    conn.execute(f'CREATE DATABASE "{building}"')
    data_dir = CACHE_DIR / f".{building}"
    data_dir.mkdir(parents=True, exist_ok=True)
    env = upstream_env(pg, building, data_dir)
    env.update(
        HUB_SECRET_KEY=secrets.token_urlsafe(40),
        DJANGO_SETTINGS_MODULE="tests.harness.template_settings",
    )
    try:
        manage(env, "migrate", "--noinput", "-v0", timeout=600)
    except BaseException:
        drop_database(conn, building)
        raise
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    conn.execute(f'ALTER DATABASE "{building}" RENAME TO "{template}"')


def _prune_databases(conn) -> None:
    rows = conn.execute(
        "SELECT d.datname, shobj_description(d.oid, 'pg_database') FROM pg_database d "
        "WHERE d.datname LIKE %s",
        (PG_PREFIX + "%",),
    ).fetchall()
    for name, comment in rows:
        last_used = int(comment) if comment and comment.isdigit() else 0
        if time.time() - last_used > KEEP_UNUSED_SECONDS:
            drop_database(conn, name)


def build_all(pg: dict | None) -> None:
    """Make every template the suite will use, side by side (scripts/test runs this before
    pytest): the village's migrate (with its collectstatic beside it), then the demo on a copy
    of it, the old-main database of the image move's test and the upstream's migrate, so on a
    fresh clone they share the two cores instead of the first tests waiting on each in turn.
    ``pg`` None: the village and old-main ones only (``--fast``: in-process tests only)."""
    from concurrent.futures import ThreadPoolExecutor

    jobs = [village_template, old_main_template]
    if pg is not None:  # the demo and the upstream serve only the multi-process tests
        jobs += [lambda: village_template(demo=True), lambda: upstream_template(pg)]
    with ThreadPoolExecutor(len(jobs)) as pool:
        for future in [pool.submit(job) for job in jobs]:
            future.result()


if __name__ == "__main__":
    import sys

    keys = ("HUB_TEST_PG_HOST", "HUB_TEST_PG_PORT", "HUB_TEST_PG_USER", "HUB_TEST_PG_PASSWORD")
    build_all(None if "--village-only" in sys.argv else {k: os.environ[k] for k in keys})
