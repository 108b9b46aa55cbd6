"""The shape of the code: the folder layout is the pipeline, and no module imports itself back.

The import graph is read from the source with ``ast``: every import statement counts, those
inside functions (lazy imports) and under ``if TYPE_CHECKING`` included. An edge goes to the
module an import names (``from .x import y`` to ``x.y`` when that is a module, else to ``x``),
as import-linter and grimp draw it.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "podcast"
STAGES = ("sources", "select", "write", "speak", "produce", "publish")
TOP = {"__init__", "__main__", "cli", "pipeline", "config", "schema", "errors", "models", "store", "http", "llm",
       "registry", "i18n", "progress"}


def modules() -> dict[str, Path]:
    """Every module of the package by its dotted name (a package by its own name)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = ["podcast", *path.relative_to(PACKAGE).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> Iterator[str]:
    """The package's modules that ``name`` imports, anywhere in its source."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:  # "podcast.x.y.Name" → the module podcast.x.y
                target = target.rpartition(".")[0]
            if target.startswith("podcast") and target != name:
                yield target


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: set(imports(name, path, known)) for name, path in known.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(edges[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_anywhere():
    edges = graph()
    assert len(edges) > 40 and sum(len(e) for e in edges.values()) > 150  # the graph really was read
    assert cycles(edges) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    lazy = ast.parse("def f():\n    from . import pipeline\n")
    assert any(isinstance(node, ast.ImportFrom) for node in ast.walk(lazy))  # lazy imports are walked


def test_the_top_level_holds_the_core_and_the_stage_packages():
    top = {path.stem for path in PACKAGE.glob("*.py")}
    packages = {path.name for path in PACKAGE.iterdir() if (path / "__init__.py").is_file()}
    assert top == TOP and len(top) <= 14
    assert packages == {*STAGES, "daemon"}


def test_stages_never_import_the_front_ends_or_config():
    """Config composes what the stages declare; the pipeline strings them together; the CLI and
    the daemon call the pipeline. Nothing points back up."""
    edges = graph()
    upper = {"podcast.config", "podcast.pipeline", "podcast.cli", "podcast.__main__"}
    for name, targets in edges.items():
        if part(name) in STAGES:
            assert not (targets & upper), f"{name} imports {targets & upper}"
            assert not any(part(t) == "daemon" for t in targets), name
    for core in ("podcast.models", "podcast.errors", "podcast.registry", "podcast.schema", "podcast.i18n",
                 "podcast.progress", "podcast.http", "podcast.llm", "podcast.store"):
        stages = {t for t in edges[core] if part(t) in (*STAGES, "daemon")}
        assert not stages, f"{core} imports the stages {stages}"


def part(module: str) -> str:
    """The top-level part of the package a module is in: "speak" for podcast.speak.edge."""
    return ([*module.split("."), ""])[1]


def test_every_module_imports_on_its_own():
    """Each module first in a fresh set of modules: a module that only works when something else
    was imported before it (a cycle hidden by import order) fails here."""
    names = sorted(name for name in modules() if name != "podcast.__main__")
    script = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    for loaded in [m for m in sys.modules if m == 'podcast' or m.startswith('podcast.')]:\n"
        "        del sys.modules[loaded]\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception as exc:\n"
        "        print(name, type(exc).__name__, exc)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout == "", result.stdout + result.stderr


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_is_a_package_with_one_entry_point(stage):
    text = (PACKAGE / stage / "__init__.py").read_text(encoding="utf-8")
    assert text.startswith('"""Stage '), f"{stage}/__init__.py does not say which stage it is"
