"""Settings: the real SQLite PRAGMAs, the secret key rule, the role switch."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from hub.core.fieldkeys import new_key_line

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_sqlite_runs_with_wal_normal_sync_busy_timeout_and_immediate_transactions():
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 1  # NORMAL
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 20000
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone()[0] == 1
    assert connection.transaction_mode == "IMMEDIATE"


def _django_check(env_overrides: dict, tmp_path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "DJANGO_"))}
    env.update({"HUB_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "hub.settings.main"})
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


def test_missing_secret_key_is_a_startup_error(tmp_path):
    result = _django_check({}, tmp_path)
    assert result.returncode != 0
    assert "No secret key: set HUB_SECRET_KEY or HUB_SECRET_KEY_FILE" in result.stderr


def test_short_secret_key_is_refused(tmp_path):
    result = _django_check({"HUB_SECRET_KEY": "short"}, tmp_path)
    assert result.returncode != 0
    assert "shorter than 32 characters" in result.stderr


def test_secret_key_file_is_read(tmp_path):
    key = tmp_path / "secret_key"
    key.write_text("k" * 50)
    # the data dir's field key, which the check asks for once a model has encrypted fields
    (tmp_path / "field_key").write_text(new_key_line() + "\n")
    result = _django_check({"HUB_SECRET_KEY_FILE": str(key)}, tmp_path)
    assert result.returncode == 0, result.stderr


def test_unknown_role_is_refused(tmp_path):
    result = _django_check({"HUB_SECRET_KEY": "k" * 50, "HUB_ROLE": "kota"}, tmp_path)
    assert result.returncode != 0
    assert "HUB_ROLE must be 'village' or 'upstream'" in result.stderr


def test_upstream_role_needs_postgresql_settings(tmp_path):
    result = _django_check({"HUB_SECRET_KEY": "k" * 50, "HUB_ROLE": "upstream"}, tmp_path)
    assert result.returncode != 0
    assert "The upstream role needs PostgreSQL" in result.stderr
