"""The public API as a contract (issue 14): every name of ``teikit`` is the same object on
every access, in any order of use."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import teikit

#: The names that ``teikit.__getattr__`` imports on first use.
LAZY = sorted(teikit._LAZY)

_PROBE = """
import importlib, json, sys
first = sys.argv[1:]
for step in first:
    if step.startswith("import "):
        importlib.import_module(step.removeprefix("import "))
    else:
        getattr(__import__("teikit"), step)
import teikit
seen = {}
for _ in range(2):
    for name in teikit.__all__:
        value = getattr(teikit, name)
        seen.setdefault(name, []).append(
            (id(value), type(value).__name__, callable(value)))
print(json.dumps(seen))
"""

ORDERS = [
    [],
    ["lint", "annotate", "lint"],
    ["annotate", "lint"],
    ["import teikit.linting"],
    ["import teikit.linting.annotation", "annotate"],
    ["import teikit.validation", "import teikit.entities", "import teikit.exporters"],
    ["export_documents", "import teikit.cli.lint", "import teikit.cli.annotate"],
    ["iter_lint_diagnostics", "validate", "extract_entities", "lint"],
]


@pytest.mark.parametrize("order", ORDERS, ids=lambda order: ",".join(order) or "fresh")
def test_every_public_name_is_one_object_in_any_order(order: list[str]) -> None:
    """The ``teikit.lint`` bug: the function on first access, then the ``teikit.lint`` package."""
    run = subprocess.run(
        [sys.executable, "-c", _PROBE, *order], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout)
    assert sorted(seen) == sorted(teikit.__all__)
    for name, accesses in seen.items():
        assert len({identity for identity, _, _ in accesses}) == 1, name
        assert accesses[0][1] != "module", name
    for name in LAZY:
        assert seen[name][0][2], f"teikit.{name} is not callable"
    assert seen["lint"][0][1] == "function"
    assert seen["annotate"][0][1] == "function"


def test_lint_is_callable_after_the_subpackage_is_imported() -> None:
    """A second call works: the README's example is no longer a first-use-only example."""
    code = (
        "import teikit, teikit.linting\n"
        "teikit.annotate\n"
        "import teikit.linting.annotation\n"
        "report = teikit.lint([]); report = teikit.lint([])\n"
        "print(type(report).__name__, len(report.files))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert (run.returncode, run.stdout, run.stderr) == (0, "Report 0\n", "")


def test_no_public_name_is_shadowed_by_a_submodule() -> None:
    """No module ``teikit.<name>`` exists for a public name (its import would replace it)."""
    import pkgutil

    submodules = {info.name for info in pkgutil.iter_modules(teikit.__path__)}
    assert submodules.isdisjoint(teikit.__all__)
    from teikit import linting

    assert {info.name for info in pkgutil.iter_modules(linting.__path__)}.isdisjoint(
        linting.__all__
    )
