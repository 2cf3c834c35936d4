"""The import boundary of ../shared/DESIGN.md: domain apps use only the engine's public modules
(records, registry); the engine imports no domain app."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENGINE = "hub.sync"
PUBLIC = {"hub.sync.records", "hub.sync.registry"}
DOMAIN_APPS = ["hub/site", "marketplace", "egov", "elearning"]
DOMAIN_MODULES = ("hub.site", "marketplace", "egov", "elearning")


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_domain_apps_import_only_the_public_modules_of_the_engine():
    # given every module of every domain app
    offending = []
    for app in DOMAIN_APPS:
        for path in (ROOT / app).rglob("*.py"):
            for name in imports_of(path):
                inside = name == ENGINE or name.startswith(ENGINE + ".")
                public = any(name == p or name.startswith(p + ".") for p in PUBLIC)
                if (
                    inside
                    and not public
                    and name not in {ENGINE + ".records", ENGINE + ".registry"}
                ):
                    offending.append(f"{path.relative_to(ROOT)}: {name}")
    # then none reaches into the engine's internals
    assert offending == []


def test_the_engine_imports_no_domain_app():
    offending = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in (ROOT / "hub" / "sync").rglob("*.py")
        for name in imports_of(path)
        if name.startswith(DOMAIN_MODULES)
    ]
    assert offending == []
