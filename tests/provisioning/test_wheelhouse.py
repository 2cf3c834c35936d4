"""The wheelhouse a hub installs from: the project's own wheel carries everything Django needs
at run time, and every pin of requirements.txt has a wheel for the hubs' Python and CPUs."""

import importlib.util
import json
import subprocess
import sys
import zipfile

import pytest

from .conftest import ANSIBLE_DIR, BOOKWORM_PYTHON, ROOT

pytestmark = pytest.mark.ansible

BUILD_SCRIPT = ANSIBLE_DIR / "roles" / "hub_app" / "files" / "build_wheelhouse.py"


def _build_module():
    spec = importlib.util.spec_from_file_location("build_wheelhouse", BUILD_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory):
    """The project's wheel built twice from the same tree, into two places (each build copies
    the tree and runs pip: the tests below share them)."""
    build = _build_module()
    base = tmp_path_factory.mktemp("wheels")
    return build, [build.build_project_wheel(ROOT, base / name) for name in ("a", "b")]


def test_project_wheel_ships_templates_static_files_translations_and_region_list(two_builds):
    # given the project's wheel
    _build, (wheel, _again) = two_builds
    # then
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "hub/gunicorn.conf.py",
        "hub/templates/base.html",
        "hub/site/templates/site/home_page.html",
        "hub/static/site/balai.css",
        "hub/locale/en/LC_MESSAGES/django.mo",
        "hub/core/data/kode-wilayah.csv.gz",
        "hub/site/migrations/0001_initial.py",
        "marketplace/__init__.py",
    ):
        assert expected in names
    assert not any(name.startswith(("tests/", "ansible/", "scripts/")) for name in names)


def test_release_name_does_not_change_without_a_change_to_the_package(two_builds):
    build, (first, second) = two_builds
    assert first != second  # two builds, not one cached
    assert build.wheel_content_hash(first) == build.wheel_content_hash(second)


@pytest.mark.parametrize("arch", ["aarch64", "x86_64"])
def test_every_pinned_requirement_has_a_wheel_for_debian_12(arch):
    # Debian 12 and Raspberry Pi OS bookworm ship Python 3.11.2. The build script's --check
    # resolves the pins with the options its download uses, from the index's metadata: the
    # wheels themselves are fetched when a playbook builds the wheelhouse (scripts/test
    # --provisioning does, on the booted containers).
    result = subprocess.run(
        [
            sys.executable,
            str(BUILD_SCRIPT),
            "--check",
            "--source",
            str(ROOT),
            "--requirements",
            str(ROOT / "requirements.txt"),
            "--arch",
            arch,
            "--python",
            BOOKWORM_PYTHON,
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    if result.returncode != 0:
        errors = [
            line
            for line in report.get("msg", "").splitlines()
            if line.startswith("ERROR:") and "Ignored the following versions" not in line
        ]
        pytest.fail(
            f"requirements.txt cannot be installed on Debian 12's Python {BOOKWORM_PYTHON} "
            f"({arch}): pin releases that support it.\n" + "\n".join(errors)[-2000:],
            pytrace=False,
        )
    pins = [
        line
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    # every pin, and nothing the pins do not name (a missing pin would show up here)
    assert report == {"ok": True, "packages": len(pins)}, report
