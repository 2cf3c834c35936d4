"""The Ansible tree without a target: ansible-lint's production profile, every playbook's syntax,
every role's variables documented in defaults/main.yml and meta/argument_specs.yml alike."""

import os
import subprocess

import pytest
import yaml

from .conftest import ANSIBLE_DIR, VENV_BIN

pytestmark = pytest.mark.ansible

PLAYBOOKS = sorted(p.name for p in ANSIBLE_DIR.glob("*.yml"))
ROLES = sorted(p.name for p in (ANSIBLE_DIR / "roles").iterdir() if p.is_dir())


def _env() -> dict:
    return {
        **os.environ,
        "ANSIBLE_CONFIG": str(ANSIBLE_DIR / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "NO_COLOR": "1",
        "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '')}",
    }


def test_the_playbooks_are_there():
    assert set(PLAYBOOKS) >= {
        "backup.yml",
        "enroll.yml",
        "push-content.yml",
        "restore.yml",
        "upgrade.yml",
        "upstream.yml",
        "village.yml",
    }


def test_ansible_lint_production_profile_is_clean():
    result = subprocess.run(
        [str(VENV_BIN / "ansible-lint"), "--offline", "--profile", "production", "--nocolor"],
        cwd=ANSIBLE_DIR,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]


def _syntax_check(*playbooks: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            str(VENV_BIN / "ansible-playbook"),
            "--syntax-check",
            "-i",
            "inventories/example/hosts.yml",
            *playbooks,
        ],
        cwd=ANSIBLE_DIR,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def every_playbook_checked() -> subprocess.CompletedProcess:
    """One ``--syntax-check`` of every playbook: one Ansible start (seconds under load) instead
    of one per playbook. It prints ``playbook: <name>`` for each one it checked."""
    return _syntax_check(*PLAYBOOKS)


@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_playbook_syntax(playbook, every_playbook_checked):
    result = every_playbook_checked
    if result.returncode != 0 or f"playbook: {playbook}\n" not in result.stdout:
        # the run of them all failed (it stops at the first error), or did not get to this one:
        # this playbook's own check says whether it is this one
        result = _syntax_check(playbook)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("role", ROLES)
def test_role_variables_are_prefixed_and_specified(role):
    path = ANSIBLE_DIR / "roles" / role
    defaults = yaml.safe_load((path / "defaults" / "main.yml").read_text()) or {}
    specs = yaml.safe_load((path / "meta" / "argument_specs.yml").read_text())
    options = specs["argument_specs"]["main"]["options"]
    assert all(name.startswith(f"{role}_") for name in defaults), defaults.keys()
    assert set(defaults) == set(options)
    for name, value in defaults.items():
        assert options[name]["default"] == value, name
        assert options[name].get("description"), name
