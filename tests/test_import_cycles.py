"""Imports go downward: entities never import exporters, and no cycle runs through either.

The import graph is read with :mod:`ast` from ``src/teikit``: every ``import`` counts,
module-level or inside a function, except those under ``if TYPE_CHECKING:`` (never run).
Importing ``a.b.c`` also runs ``a.b``'s ``__init__``, so it counts as an import of ``a.b``,
except from a module inside ``a.b`` (its own package is initialised before it anyway).
"""

from __future__ import annotations

import ast
import functools
import subprocess
import sys
from pathlib import Path

from conftest import REPO

SRC = REPO / "src"

#: The one cycle allowed in exporters: the registry (``teikit.exporters``) imports its
#: built-in plug-ins so that they register, and each plug-in imports the registry's
#: decorator. It touches nothing outside the package.
PLUGIN_MODULES = frozenset(
    {
        "teikit.exporters",
        "teikit.exporters.to_csv",
        "teikit.exporters.to_document_json",
        "teikit.exporters.to_geojson",
        "teikit.exporters.to_html",
        "teikit.exporters.to_json",
        "teikit.exporters.to_markdown",
        "teikit.exporters.to_text",
        "teikit.exporters.to_xlsx",
    }
)


@functools.cache
def source_modules() -> dict[str, tuple[Path, bool]]:
    """Return every module of ``src/teikit``: its dotted name, file and whether a package."""
    found: dict[str, tuple[Path, bool]] = {}
    for path in sorted((SRC / "teikit").rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        package = parts[-1] == "__init__"
        if package:
            parts.pop()
        found[".".join(parts)] = (path, package)
    return found


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported_names(name: str, path: Path, package: bool, modules: set[str]) -> set[str]:
    """Return the dotted names module *name* imports (with submodules named by ``from``)."""
    base = name if package else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking(child):
                for statement in child.orelse:
                    visit_statement(statement)
            else:
                visit_statement(child)

    def visit_statement(node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = base.split(".")
                parts = parts[: len(parts) - node.level + 1]
                module = ".".join([*parts, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            found.add(module)
            found.update(
                f"{module}.{alias.name}"
                for alias in node.names
                if f"{module}.{alias.name}" in modules
            )
        else:
            visit(node)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


@functools.cache
def import_graph() -> dict[str, set[str]]:
    """Return, for each teikit module, the teikit modules importing it runs."""
    modules = source_modules()
    names = set(modules)
    graph: dict[str, set[str]] = {}
    for name, (path, package) in modules.items():
        edges: set[str] = set()
        for target in imported_names(name, path, package, names):
            parts = target.split(".")
            for end in range(1, len(parts) + 1):
                module = ".".join(parts[:end])
                if end < len(parts) and name.startswith(module + "."):
                    continue  # the importer's own package
                if module in names and module != name:
                    edges.add(module)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Return the strongly connected components of *graph* with more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def connect(start: str) -> None:
        # iterative Tarjan: (node, iterator over its successors)
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph[successor]))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component: set[str] = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(component)

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def _in(package: str, module: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_the_graph_sees_the_imports_it_should() -> None:
    graph = import_graph()
    assert "teikit.entities.extract" in graph["teikit.entities.views"]
    assert "teikit.rows" in graph["teikit.entities.views"]
    assert "teikit.entities.register" in graph["teikit.exporters.builder"]  # a submodule
    assert "teikit.exporters.to_html" in graph["teikit.exporters"]  # from . import to_html
    # a cycle is found when there is one
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]


def test_entities_never_import_exporters() -> None:
    graph = import_graph()
    wrong = {
        (module, target)
        for module, targets in graph.items()
        if _in("teikit.entities", module)
        for target in targets
        if _in("teikit.exporters", target)
    }
    assert wrong == set()


def test_no_import_cycle_touches_entities_or_exporters() -> None:
    for component in cycles(import_graph()):
        assert not any(_in("teikit.entities", m) for m in component), sorted(component)
        if any(_in("teikit.exporters", m) for m in component):
            assert component <= PLUGIN_MODULES, sorted(component - PLUGIN_MODULES)


def test_importing_entities_loads_no_exporter() -> None:
    code = (
        "import sys, teikit.entities\n"
        "print(sorted(m for m in sys.modules if m.startswith('teikit.exporters')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout == "[]\n"
    assert done.stderr == ""


def test_every_module_imports_first() -> None:
    """Each module of entities and exporters imports on its own: no import order is needed."""
    wanted = sorted(
        m for m in source_modules() if _in("teikit.entities", m) or _in("teikit.exporters", m)
    )
    code = (
        "import importlib, sys\n"
        f"for module in {wanted!r}:\n"
        "    for name in [n for n in sys.modules if n == 'teikit' or n.startswith('teikit.')]:\n"
        "        del sys.modules[name]\n"
        "    importlib.import_module(module)\n"
        "    print(module)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.split() == wanted
