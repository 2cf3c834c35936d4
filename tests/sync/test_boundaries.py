"""The import boundary of ../shared/DESIGN.md and the engine's layer contract.

Domain apps use only the engine's public modules (records, registry); the engine imports no domain
app; inside the engine, imports (counting those inside functions) form no cycle and never reach up
the declared layers (hub/sync/__init__.py describes them).
"""

import ast
from pathlib import Path

import pytest
from django.apps import apps

ROOT = Path(__file__).resolve().parents[2]
ENGINE = "hub.sync"
ENGINE_DIR = ROOT / "hub" / "sync"
PUBLIC = {"hub.sync.records", "hub.sync.registry"}
# project apps that are not domains: the engine itself and what every app shares (hub.media is
# shared too, but its ImageAdapter plugs into the engine as a domain's would: it is held to the
# same rule, public modules only)
SHARED_APPS = {"hub.core", "hub.sync"}

# Lowest first. A module may import its own layer and the layers below, never one above; two
# layers of the same rank (the village's client and the upstream's endpoints) do not import each
# other. Each entry: (rank, name, module prefixes).
LAYERS = [
    (0, "core", ["hub.sync.core", "hub.sync.models"]),
    (1, "public", ["hub.sync.records", "hub.sync.registry"]),
    (2, "wire", ["hub.sync.wire"]),
    (3, "blobs", ["hub.sync.blobs"]),
    (4, "changes", ["hub.sync.changes"]),
    (5, "bundles", ["hub.sync.bundles"]),
    (6, "village", ["hub.sync.village"]),
    (6, "upstream", ["hub.sync.upstream"]),
    (7, "admin", ["hub.sync.admin"]),
    (
        8,
        "app",
        [
            "hub.sync.apps",
            "hub.sync.checks",
            "hub.sync.management",
            "hub.sync.migrations",
            "hub.sync.signal_handlers",
            "hub.sync.tasks",
            "hub.sync.urls",
            "hub.sync.wagtail_hooks",
        ],
    ),
]


def domain_apps() -> list:
    """The project's own apps from INSTALLED_APPS (their code is in this repository), except the
    engine and the shared apps."""
    # An app's top-level package must sit at the repository's root: a virtualenv inside the
    # checkout (.venv, as scripts/test makes it) holds Django and Wagtail below ROOT too.
    found = [
        config
        for config in apps.get_app_configs()
        if Path(config.path).resolve().is_relative_to(ROOT / config.name.split(".")[0])
        and config.name not in SHARED_APPS
    ]
    assert found, "no domain app found in INSTALLED_APPS: the boundary would be checked on nothing"
    return found


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


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def engine_modules() -> dict[str, Path]:
    return {module_name(path): path for path in ENGINE_DIR.rglob("*.py")}


def resolved_imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The engine modules ``name`` imports anywhere in it (module level or inside a function),
    relative imports resolved; ``from package import module`` names the module. Importing a
    module also runs its packages' ``__init__``: those count too, except the importer's own."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            for alias in node.names:
                submodule = f"{module}.{alias.name}"
                targets.add(submodule if submodule in modules else module)
    found = set()
    for target in targets:
        while target and target != ENGINE:
            if target in modules and not name.startswith(target + ".") and target != name:
                found.add(target)
            target = target.rpartition(".")[0]
    return found


def engine_graph() -> dict[str, set[str]]:
    modules = engine_modules()
    return {name: resolved_imports(name, path, modules) for name, path in modules.items()}


def cycle_in(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path ``[a, b, …, a]``, or None (depth first, no recursion)."""
    done: set[str] = set()
    for start in sorted(graph):
        if start in done:
            continue
        path, on_path = [start], {start}
        stack = [iter(sorted(graph[start]))]
        while stack:
            child = next(stack[-1], None)
            if child is None:
                stack.pop()
                finished = path.pop()
                on_path.discard(finished)
                done.add(finished)
            elif child in on_path:
                return path[path.index(child) :] + [child]
            elif child not in done and child in graph:
                path.append(child)
                on_path.add(child)
                stack.append(iter(sorted(graph[child])))
    return None


def layer_of(module: str) -> tuple[int, str] | None:
    """The (rank, name) of the layer whose prefix names the module (the longest such prefix)."""
    matches = [
        (len(prefix), (rank, name))
        for rank, name, prefixes in LAYERS
        for prefix in prefixes
        if module == prefix or module.startswith(prefix + ".")
    ]
    return max(matches)[1] if matches else None


def test_domain_apps_import_only_the_public_modules_of_the_engine():
    # given every module of every domain app installed
    offending = []
    for config in domain_apps():
        for path in Path(config.path).rglob("*.py"):
            # when its imports are read
            for name in imports_of(path):
                inside = name == ENGINE or name.startswith(ENGINE + ".")
                public = any(name == p or name.startswith(p + ".") for p in PUBLIC)
                if inside and not public:
                    offending.append(f"{path.relative_to(ROOT)}: {name}")
    # then none reaches into the engine's internals
    assert offending == []


def test_the_engine_imports_no_domain_app():
    # given the domain apps named by the settings
    domains = tuple(config.name for config in domain_apps())
    # when the engine's imports are read
    offending = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in ENGINE_DIR.rglob("*.py")
        for name in imports_of(path)
        if name in domains or name.startswith(tuple(d + "." for d in domains))
    ]
    # then none is a domain app's
    assert offending == []


def test_domain_apps_come_from_the_settings():
    # given the installed apps as the settings list them
    # when the domain apps are read
    names = {config.name for config in domain_apps()}
    # then the repository's own apps are there, the engine and the shared apps are not
    assert {"hub.site", "marketplace"} <= names
    assert not names & SHARED_APPS


def test_the_engine_has_no_import_cycle_counting_imports_inside_functions():
    # given the engine's import graph, function-level imports included
    graph = engine_graph()
    # when a cycle is looked for
    cycle = cycle_in(graph)
    # then there is none
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_every_engine_module_belongs_to_a_layer():
    # given every module of the engine (its package __init__ is the app's face: top layer)
    unplaced = [name for name in engine_modules() if name != ENGINE and layer_of(name) is None]
    # then each is in a declared layer (a new subpackage is declared in LAYERS first)
    assert unplaced == []


def test_no_engine_module_imports_a_layer_above_its_own():
    # given the engine's import graph and its layers
    upward = []
    for module, targets in engine_graph().items():
        if module == ENGINE:
            continue
        rank, layer = layer_of(module)
        for target in targets:
            target_rank, target_layer = layer_of(target)
            # when a module imports above its rank, or a sibling layer of the same rank
            if target_rank > rank or (target_rank == rank and target_layer != layer):
                upward.append(f"{module} ({layer}) -> {target} ({target_layer})")
    # then there is none
    assert upward == []


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
        ({"a": {"b", "c"}, "b": {"c"}, "c": {"b"}}, ["b", "c", "b"]),
        ({"a": {"a"}}, ["a", "a"]),
    ],
)
def test_cycle_finder_reports_the_cycle_path(graph, expected):
    # given a small import graph
    # when a cycle is looked for
    # then it is found, as a path, or none is
    assert cycle_in(graph) == expected


def test_function_level_and_relative_imports_are_counted(tmp_path):
    # given a module that imports a sibling inside a function, relatively
    modules = {"hub.sync.x.a": tmp_path / "a.py", "hub.sync.x.b": tmp_path / "b.py"}
    (tmp_path / "a.py").write_text("def f():\n    from .b import g\n    from .. import y\n")
    # when its imports are resolved
    found = resolved_imports("hub.sync.x.a", modules["hub.sync.x.a"], modules)
    # then the function-level relative import is an edge
    assert found == {"hub.sync.x.b"}
