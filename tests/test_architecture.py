"""The layers of docs/architecture.md hold: imports point one way, no cycle, no prefix families.

Every import counts, at module level, inside functions and under TYPE_CHECKING alike.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("bot", "handlers")

# Each layer and what it may import besides itself (docs/architecture.md, "Packages").
LAYERS: dict[str, set[str]] = {
    "bot.core": set(),
    "bot.matching": {"bot.core"},
    "bot.config": {"bot.core"},
    "bot.store": {"bot.core", "bot.config"},
    "bot.adapters": {"bot.core", "bot.config"},
    "bot.runtime": {"bot.core", "bot.config", "bot.store"},
    "bot.kb": {"bot.core", "bot.config", "bot.store", "bot.runtime", "bot.matching"},
    "bot.orders": {"bot.core", "bot.config", "bot.store", "bot.runtime"},
    "bot.rewards": {"bot.core", "bot.config", "bot.store", "bot.runtime"},
    "bot.staff": {"bot.core", "bot.config", "bot.store", "bot.runtime"},
    "handlers": {
        "bot.core", "bot.config", "bot.store", "bot.runtime", "bot.matching", "bot.kb",
        "bot.orders", "bot.rewards", "bot.staff",
    },
    "bot.server": {
        "bot.core", "bot.config", "bot.store", "bot.runtime", "bot.kb", "bot.orders",
        "bot.rewards", "bot.staff",
    },
    # The composition root: everything, and nothing imports it.
    "bot.app": {"*"},
    "bot.cli": {"*"},
    "bot.__main__": {"*"},
}
TOP = ("bot.app", "bot.cli", "bot.__main__")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def sources() -> Iterator[Path]:
    for folder in SOURCES:
        yield from sorted((ROOT / folder).rglob("*.py"))


MODULES = {module_name(path): path for path in sources()}


def resolve(name: str) -> str:
    """The module an imported name lives in (`from a.b import c` may import module a.b.c)."""
    while name not in MODULES and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


def imports_of(path: Path) -> Iterator[tuple[str, int, bool]]:
    """(module imported, line, inside a function) for every import of our own modules."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rsplit(
        ".", 1
    )[0]
    functions = {
        id(node) for function in ast.walk(tree)
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(function)
    }
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" for alias in node.names] or [base]
        for target in targets:
            if target.split(".")[0] in SOURCES:
                yield resolve(target), node.lineno, id(node) in functions


def layer_of(module: str) -> str:
    for layer in sorted(LAYERS, key=len, reverse=True):
        if module == layer or module.startswith(layer + "."):
            return layer
    raise AssertionError(f"{module} belongs to no layer of LAYERS")


GRAPH: dict[str, set[str]] = defaultdict(set)
EDGES: list[tuple[str, str, int, bool]] = []
for _name, _path in MODULES.items():
    for _target, _line, _inside in imports_of(_path):
        EDGES.append((_name, _target, _line, _inside))
        if _target != _name:
            GRAPH[_name].add(_target)


def test_every_module_is_in_a_layer() -> None:
    for name in MODULES:
        if name in ("bot", "handlers"):
            continue
        layer_of(name)


def test_imports_point_down_the_layers() -> None:
    wrong = []
    for source, target, line, _ in EDGES:
        if target in ("bot", "handlers"):
            continue
        here, there = layer_of(source), layer_of(target)
        allowed = LAYERS[here]
        if here != there and "*" not in allowed and there not in allowed:
            wrong.append(f"{source}:{line} imports {target} ({here} may not use {there})")
    assert not wrong, "\n".join(wrong)


def test_nothing_imports_the_composition_root() -> None:
    wrong = [
        f"{source}:{line} imports {target}" for source, target, line, _ in EDGES
        if layer_of(target) in TOP and layer_of(source) not in TOP
    ]
    assert not wrong, "\n".join(wrong)


def test_no_import_cycle() -> None:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(GRAPH.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for name in sorted(MODULES):
        if name not in index:
            visit(name)
    assert not cycles, cycles


def test_no_function_level_import_of_our_modules_outside_the_cli() -> None:
    wrong = [
        f"{source}:{line} imports {target} inside a function"
        for source, target, line, inside in EDGES
        if inside and layer_of(source) != "bot.cli"
    ]
    assert not wrong, "\n".join(wrong)


def _folders() -> Iterator[Path]:
    for folder in (*SOURCES, "tests"):
        yield ROOT / folder
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_dir() and "__pycache__" not in path.parts and "fixtures" not in path.parts:
                yield path


@pytest.mark.parametrize("folder", list(_folders()), ids=lambda path: str(path.relative_to(ROOT)))
def test_no_folder_holds_a_prefix_family(folder: Path) -> None:
    names = [path.stem.removeprefix("test_") for path in folder.glob("*.py")]
    families: dict[str, list[str]] = defaultdict(list)
    for name in names:
        families[re.split(r"_", name, maxsplit=1)[0]].append(name)
    big = {prefix: members for prefix, members in families.items() if len(members) >= 3}
    assert not big, f"make these a package: {big}"


def test_every_package_says_what_it_owns() -> None:
    for name, path in MODULES.items():
        if path.name == "__init__.py":
            tree = ast.parse(path.read_text(encoding="utf-8"))
            doc = ast.get_docstring(tree)
            assert doc, f"{name} has no docstring"


def _normalized(name: str) -> str:
    """A distribution name as PEP 503 compares them (prometheus_client = prometheus-client)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_names(requirements: list[str]) -> set[str]:
    return {
        _normalized(re.split(r"[\[<>=!~ ;]", requirement, maxsplit=1)[0])
        for requirement in requirements
    }


def test_every_third_party_import_is_declared() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = _requirement_names(project["dependencies"])
    test_only = _requirement_names(project["optional-dependencies"]["test"])
    distributions = importlib.metadata.packages_distributions()
    missing = []
    everything = runtime | test_only
    for folder, declared in (("bot", runtime), ("handlers", runtime), ("tests", everything)):
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                    names = [node.module]
                for name in names:
                    top = name.split(".")[0]
                    if top in sys.stdlib_module_names or top in ("bot", "handlers", "tests"):
                        continue
                    owners = {_normalized(owner) for owner in distributions.get(top, [top])}
                    if not owners & declared:
                        missing.append(f"{path.relative_to(ROOT)} imports {top} ({owners})")
    assert not missing, "\n".join(sorted(set(missing)))


def test_every_exception_class_is_in_the_error_tree() -> None:
    tree_doc = ast.get_docstring(ast.parse((ROOT / "bot/core/errors.py").read_text()))
    assert tree_doc
    stray = []
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ClassDef):
                continue
            bases = {getattr(base, "id", getattr(base, "attr", "")) for base in node.bases}
            is_error = bases & {"Exception", "BaseException", "ValueError", "RuntimeError"} or (
                node.name.endswith("Error") and name != "bot.core.errors"
            )
            if name != "bot.core.errors" and is_error:
                stray.append(f"{name}.{node.name}")
            if name == "bot.core.errors" and node.name not in tree_doc:
                stray.append(f"{node.name} is not drawn in the tree of bot/core/errors.py")
    assert not stray, stray
