"""The rules of the house that a tool can check (issue 14; see docs/ARCHITECTURE.md).

The layer contract itself lives in pyproject.toml (``[tool.importlinter]``); CI runs it with
``lint-imports`` and this module runs it with the suite, so that a broken layer fails here too.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest
from importlinter.cli import lint_imports

from conftest import REPO

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

SRC = REPO / "src"


def test_the_layer_contract_is_kept(capsys: pytest.CaptureFixture[str]) -> None:
    """cli > render > capabilities > core, and no private module imported from outside."""
    code = lint_imports(config_filename=str(REPO / "pyproject.toml"), no_cache=True, no_logo=True)
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "Contracts: 2 kept, 0 broken." in printed


def test_the_contract_places_every_package_and_names_the_four_layers() -> None:
    """The contract is the picture of docs/ARCHITECTURE.md, not an empty shell."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    layers = next(c for c in contracts if c["type"] == "layers")
    assert layers["containers"] == ["teikit"]
    assert layers["exhaustive"] is True  # a new package must be given a layer
    rows = layers["layers"]
    assert rows[:3] == ["__main__", "cli", "render"]
    capabilities = [row.split(" | ") for row in rows[3:-1]]  # independent within a row
    for capability in ("entities", "exporters", "odd", "validation"):
        assert sum(capability in row for row in capabilities) == 1, capability
    assert ["entities", "odd"] in capabilities  # the bottom row imports no other capability
    core = rows[-1].split(" : ")
    assert {"document", "sources", "diagnostics", "errors", "config", "output"} <= set(core)
    private = next(c for c in contracts if c["type"] == "private_modules")
    assert private["packages_with_private_modules"] == ["teikit"]


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _package_of(module: str, path: Path) -> str:
    """The package a module's private names belong to: the package itself, or its parent."""
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _private_imports_from_other_packages() -> list[str]:
    """Return ``importer:line: name from module`` for every private name imported across packages.

    A private name (``_x``) of module ``teikit.a.b`` may be imported within package
    ``teikit.a`` (its modules and subpackages); anywhere else it is a hidden dependency that
    import-linter's ``private_modules`` contract does not see (it checks modules, not names).
    """
    modules = {_module_name(path): path for path in SRC.rglob("*.py")}
    found = []
    for module, path in sorted(modules.items()):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom) or node.level or node.module is None:
                continue
            if node.module not in modules:
                continue  # another project's module, or a subpackage imported by name below
            owner = _package_of(node.module, modules[node.module])
            inside = module == owner or module.startswith(f"{owner}.")
            for alias in node.names:
                if _is_private(alias.name) and not inside:
                    found.append(f"{module}:{node.lineno}: {alias.name} from {node.module}")
    return found


def test_no_private_name_is_imported_from_another_package() -> None:
    assert _private_imports_from_other_packages() == []


def test_the_private_name_check_finds_what_it_looks_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check is not vacuous: a planted import of another package's ``_name`` is found."""
    package = tmp_path / "teikit"
    (package / "a").mkdir(parents=True)
    (package / "b").mkdir()
    for init in ("__init__.py", "a/__init__.py", "b/__init__.py"):
        (package / init).write_text("")
    (package / "a" / "x.py").write_text("_secret = 1\n")
    (package / "a" / "y.py").write_text("from teikit.a.x import _secret\n")  # same package
    (package / "b" / "z.py").write_text("from teikit.a.x import _secret as public\n")
    monkeypatch.setattr(sys.modules[__name__], "SRC", tmp_path)
    assert _private_imports_from_other_packages() == ["teikit.b.z:1: _secret from teikit.a.x"]


#: The house's sizes (docs/ARCHITECTURE.md, "Size"): "about" 600 and 300 lines, so with a margin.
MODULE_LINES = 650
CLASS_LINES = 320
#: What a module's docstring says when it is larger, and why.
SIZE_REASON = "Size (issue 14):"


def oversized(root: Path) -> list[str]:
    """Return the modules and classes under *root* past the sizes without a written reason."""
    found = []
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
        if SIZE_REASON in (ast.get_docstring(tree) or ""):
            continue
        name = path.relative_to(root).as_posix()
        if len(text.splitlines()) > MODULE_LINES:
            found.append(f"{name}: {len(text.splitlines())} lines")
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                if size > CLASS_LINES:
                    found.append(f"{name}: class {node.name}, {size} lines")
    return found


def test_rooms_of_a_size_a_person_can_hold() -> None:
    """No module past ~600 lines, no class past ~300, unless its module says why at the top."""
    assert oversized(SRC / "teikit") == []


def test_the_size_check_finds_what_it_looks_for(tmp_path: Path) -> None:
    (tmp_path / "big.py").write_text('"""Big."""\n' + "x = 1\n" * MODULE_LINES, encoding="utf-8")
    body = "".join(f"    a{n} = {n}\n" for n in range(CLASS_LINES))
    (tmp_path / "wide.py").write_text(f'"""Wide."""\nclass Wide:\n{body}', encoding="utf-8")
    reasoned = f'"""Big.\n\n{SIZE_REASON} one table.\n"""\n' + "x = 1\n" * MODULE_LINES
    (tmp_path / "reasoned.py").write_text(reasoned, encoding="utf-8")
    assert oversized(tmp_path) == [
        f"big.py: {MODULE_LINES + 1} lines",
        f"wide.py: class Wide, {CLASS_LINES + 1} lines",
    ]
