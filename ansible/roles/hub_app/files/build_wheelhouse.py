#!/usr/bin/env python3
"""Build the wheelhouse a hub installs from, on the controller (the hub never reaches PyPI).

The wheelhouse holds the project's own wheel and a wheel of every pinned requirement for the
target's CPU and Python (``pip download --only-binary``, so nothing is compiled on a Pi). It is
kept under ``OUT/<arch>-py<version>/<release>/``; the release name is the project version plus a
hash of what the wheels contain, so an unchanged tree gives the same release and a rerun
changes nothing, and the dependency wheels are fetched once per requirements file.

Prints one JSON object: release, dir, project_wheel, changed. ``--check`` only checks that every
pin has a wheel for the target (pip resolves it from the index's metadata, fetching no wheel) and
prints ``{"ok": true, "packages": N}``.
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

# What of the source tree goes into the project wheel: the build files and the top-level
# Python packages, never the tests. Nothing else is hashed, so a change to the docs or the
# scripts does not make a new release.
BUILD_FILES = {"pyproject.toml", "setup.cfg", "setup.py", "MANIFEST.in"}
NOT_SHIPPED = {"tests", "build", "dist"}
MANYLINUX = ["manylinux_2_36", "manylinux_2_34", "manylinux_2_31", "manylinux_2_28"]
MANYLINUX += ["manylinux_2_27", "manylinux_2_26", "manylinux_2_17", "manylinux2014"]


def fail(message: str) -> None:
    print(json.dumps({"failed": True, "msg": message}))
    sys.exit(1)


def run(cmd: list[str], hint: str = "") -> None:
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    result = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        errors = "\n".join(line for line in result.stderr.splitlines() if line.startswith("ERROR"))
        fail(f"{hint}{' '.join(cmd)} failed:\n{errors or result.stderr[-4000:]}")


def wheel_content_hash(path: Path) -> str:
    """Hash of a wheel's entries, not of its bytes: zip timestamps differ between builds."""
    digest = hashlib.sha256()
    with zipfile.ZipFile(path) as wheel:
        for name in sorted(wheel.namelist()):
            digest.update(name.encode() + b"\0" + hashlib.sha256(wheel.read(name)).digest())
    return digest.hexdigest()


def _shipped_at_top(source: Path, name: str) -> bool:
    path = source / name
    if path.is_dir():
        return name not in NOT_SHIPPED and (path / "__init__.py").exists()
    return name in BUILD_FILES


def _ignored(directory: str, names: list[str], source: Path) -> list[str]:
    return [
        n
        for n in names
        if (Path(directory) == source and not _shipped_at_top(source, n))
        or n in {"__pycache__", ".pytest_cache", ".ruff_cache"}
        or n.endswith((".pyc", ".egg-info"))
    ]


def source_hash(source: Path) -> str:
    """Hash of the files that go into the project wheel, to build it only when they change."""
    digest = hashlib.sha256()
    for directory, dirs, files in os.walk(source):
        ignored = set(_ignored(directory, dirs + files, source))
        dirs[:] = sorted(d for d in dirs if d not in ignored)
        for name in sorted(f for f in files if f not in ignored):
            path = Path(directory) / name
            digest.update(str(path.relative_to(source)).encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def can_build_without_isolation() -> bool:
    """The controller's own setuptools can build the wheel: no index needed for the build."""
    try:
        import setuptools
    except ImportError:
        return False
    major, minor = (int(part) for part in setuptools.__version__.split(".")[:2])
    if (major, minor) >= (70, 1):
        return True
    try:
        import wheel  # noqa: F401
    except ImportError:
        return False
    return major >= 64


def build_project_wheel(source: Path, out: Path) -> Path:
    cached = out / "project" / source_hash(source)[:16]
    if (cached / ".complete").exists():
        (wheel,) = cached.glob("*.whl")
        return wheel
    with tempfile.TemporaryDirectory(prefix="balai-wheel-") as work:
        tree = Path(work) / "src"
        shutil.copytree(source, tree, ignore=lambda d, names: _ignored(d, names, source))
        dist = Path(work) / "dist"
        cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist)]
        if can_build_without_isolation():
            cmd.append("--no-build-isolation")
        run([*cmd, str(tree)])
        cached.mkdir(parents=True, exist_ok=True)
        (wheel,) = dist.glob("*.whl")
        shutil.copy2(wheel, cached / wheel.name)
    (cached / ".complete").touch()
    return cached / wheel.name


def _target_args(arch: str, python: str) -> list[str]:
    """pip's options for wheels that install on the target: its CPU, its Python, binary only."""
    major_minor = "".join(python.split(".")[:2])
    platforms = [arg for tag in MANYLINUX for arg in ("--platform", f"{tag}_{arch}")]
    return [
        "--only-binary=:all:", *platforms, "--python-version", python,
        "--implementation", "cp", "--abi", f"cp{major_minor}",
    ]  # fmt: skip


def _no_wheel_hint(requirements: Path, arch: str, python: str) -> str:
    return (
        f"A pin of {requirements.name} has no wheel for Python {python} on {arch} "
        "(the target's Python): pin a release that supports it.\n"
    )


def requirements_check(requirements: Path, arch: str, python: str) -> int:
    """Whether every pin resolves to a wheel for the target, without fetching the wheels (pip
    reads the metadata the index publishes beside each one): the same choice
    :func:`download_dependencies` makes. Returns how many packages would be installed."""
    with tempfile.TemporaryDirectory(prefix="balai-wheel-check-") as work:
        report = Path(work) / "report.json"
        run(
            [
                sys.executable, "-m", "pip", "install", "-q", "--dry-run", "--ignore-installed",
                *_target_args(arch, python), "--target", str(Path(work) / "target"),
                "--report", str(report), "-r", str(requirements),
            ],
            hint=_no_wheel_hint(requirements, arch, python),
        )  # fmt: skip
        return len(json.loads(report.read_text())["install"])


def download_dependencies(requirements: Path, arch: str, python: str, out: Path) -> Path:
    """Wheels of the pinned requirements, fetched once per requirements file, arch and Python."""
    key = hashlib.sha256(requirements.read_bytes() + f"{arch} {python}".encode()).hexdigest()
    deps = out / "deps" / f"{arch}-py{python}-{key[:16]}"
    if (deps / ".complete").exists():
        return deps
    partial = deps.with_name(deps.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    run(
        [
            sys.executable, "-m", "pip", "download", "-q", *_target_args(arch, python),
            "-r", str(requirements), "-d", str(partial),
        ],
        hint=_no_wheel_hint(requirements, arch, python),
    )  # fmt: skip
    shutil.copy2(requirements, partial / "requirements.txt")
    (partial / ".complete").touch()
    partial.rename(deps)
    return deps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", required=True, type=Path, help="the project's source tree")
    parser.add_argument("--requirements", required=True, type=Path)
    parser.add_argument("--arch", required=True, choices=["x86_64", "aarch64"])
    parser.add_argument("--python", required=True, help="the target's Python, e.g. 3.11.2")
    parser.add_argument("--out", type=Path, help="where wheelhouses are kept (not with --check)")
    parser.add_argument(
        "--check",
        action="store_true",
        help="only check that every pin has a wheel for the target (fetches no wheel)",
    )
    args = parser.parse_args()
    if args.check:
        count = requirements_check(args.requirements.resolve(), args.arch, args.python)
        print(json.dumps({"ok": True, "packages": count}))
        return
    if args.out is None:
        parser.error("--out is required unless --check")

    source = args.source.resolve()
    version = tomllib.loads((source / "pyproject.toml").read_text())["project"]["version"]
    out = args.out.resolve()
    deps = download_dependencies(args.requirements.resolve(), args.arch, args.python, out)
    wheel = build_project_wheel(source, out)
    digest = hashlib.sha256(deps.name.encode())
    digest.update(wheel_content_hash(wheel).encode())
    release = f"{version}-{digest.hexdigest()[:12]}"
    target = out / f"{args.arch}-py{args.python}" / release
    changed = not (target / ".complete").exists()
    if changed:
        partial = target.with_name(release + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        for item in [*deps.iterdir(), wheel]:
            if item.name != ".complete":
                shutil.copy2(item, partial / item.name)
        (partial / ".complete").touch()
        partial.rename(target)
    (project_wheel,) = target.glob("balai-*.whl")
    print(
        json.dumps(
            {
                "changed": changed,
                "release": release,
                "dir": str(target),
                "project_wheel": project_wheel.name,
                "files": sorted(p.name for p in target.iterdir() if p.name != ".complete"),
            }
        )
    )


if __name__ == "__main__":
    main()
