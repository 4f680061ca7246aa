"""The public API as a contract (issue 14): every name of ``teikit`` is the same object on
every access, in any order of use."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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


# -- exceptions ---------------------------------------------------------------------------


def test_every_exception_class_is_in_errors_and_exported() -> None:
    """One root, one module: every public exception of teikit is teikit.errors' and teikit's."""
    import inspect

    import teikit.config
    import teikit.entities.types
    import teikit.errors
    import teikit.kinds
    import teikit.linting.annotation

    classes = {
        name: value
        for name, value in vars(teikit.errors).items()
        if inspect.isclass(value) and issubclass(value, Exception) and not name.startswith("_")
    }
    assert "ConfigError" in classes
    assert "AnnotateError" in classes
    for name, cls in classes.items():
        assert issubclass(cls, teikit.TeikitError), name
        assert getattr(teikit, name) is cls, name
        assert name in teikit.__all__, name
    # the old homes re-export the one class
    assert teikit.config.ConfigError is teikit.ConfigError
    assert teikit.kinds.MentionRuleError is teikit.MentionRuleError
    assert teikit.entities.types.UnknownTypeError is teikit.UnknownTypeError
    assert teikit.linting.annotation.AnnotateError is teikit.AnnotateError


def test_no_public_exception_class_outside_errors() -> None:
    """A public exception class defined anywhere else in teikit (but the CLI's) is a defect."""
    import ast
    from pathlib import Path

    root = Path(teikit.__file__).parent
    outside = []
    for path in sorted(root.rglob("*.py")):
        if path.name == "errors.py" and path.parent == root or "cli" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            bases = [ast.unparse(b) for b in getattr(node, "bases", [])]
            if (
                isinstance(node, ast.ClassDef)
                and not node.name.startswith("_")
                and any(b.endswith(("Error", "Exception")) for b in bases)
            ):
                outside.append(f"{path.relative_to(root)}:{node.name}")
    assert outside == []


# -- registries ---------------------------------------------------------------------------


def test_import_exporters_loads_no_exporter_until_one_is_asked_for() -> None:
    code = (
        "import sys, teikit.exporters as e\n"
        "loaded = lambda: sorted(m for m in sys.modules if m.startswith('teikit.exporters.'))\n"
        "print(loaded())\n"
        "print(e.available_formats('rows'), e.available_formats('document'))\n"
        "print(e.get_exporter('csv').name, loaded())\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == [
        "[]",
        "['csv', 'json', 'jsonl', 'xlsx'] ['geojson', 'html', 'json', 'markdown', 'text']",
        "csv ['teikit.exporters.spreadsheet', 'teikit.exporters.to_csv']",
    ]


def test_a_report_is_written_by_name() -> None:
    import io

    from teikit.reports import REPORTS, report_formats, to_json, to_junit, write_report

    report = teikit.Report(files=["a.xml"])
    report.extend([teikit.Diagnostic(teikit.Severity.WARNING, "x.y", "careful", "a.xml", 2, 5)])
    written = {}
    for name in ("json", "junit", "github"):
        stream = io.StringIO()
        write_report(report, name, stream, teikit.Severity.WARNING)
        written[name] = stream.getvalue()
    assert written["json"] == to_json(report, teikit.Severity.WARNING)
    assert written["junit"] == to_junit(report, teikit.Severity.WARNING)
    assert '<failure message="1 finding(s) at or above warning"' in written["junit"]
    assert written["github"] == "::warning file=a.xml,line=2,col=5,title=x.y::careful\n"
    assert report_formats() == ("human", "json", "junit", "github")
    assert REPORTS.names() == ["github", "json", "junit"]
    with pytest.raises(
        teikit.UnknownFormatError,
        match=r"^unknown report format 'sarif' \(choose from github, json, junit\)$",
    ):
        write_report(report, "sarif", io.StringIO())


def test_every_registry_refuses_an_unknown_name_listing_the_known_ones() -> None:
    from teikit.entities.proposal_formats import register_format
    from teikit.exporters import get_exporter

    with pytest.raises(teikit.UnknownFormatError, match=r"choose from json, tei\)$"):
        register_format("csv")
    with pytest.raises(
        teikit.UnknownFormatError,
        match=r"^unknown format 'pdf' \(choose from geojson, html, json, markdown, text\)$",
    ):
        get_exporter("pdf", kind="document")
    with pytest.raises(teikit.UnknownFormatError, match="unknown format 'pdf'"):
        teikit.export([], format="pdf")


def test_registry_declared_names_belong_to_their_module() -> None:
    from teikit.registry import Registry

    things = Registry[int]("thing")
    things.declare("teikit.nowhere", "one")
    assert things.names() == ["one"]
    with pytest.raises(ValueError, match="thing 'one' is already registered"):
        things.register("one", 1, origin="elsewhere")
    assert things.register("one", 1, origin="teikit.nowhere") == 1
    things.add("one", 2)  # a plug-in object never replaces a built-in
    assert things.get("one") == 1
    assert list(things) == ["one"]
    assert "one" in things
    assert "two" not in things


# -- typed for users ----------------------------------------------------------------------

_USER_SCRIPT = """\
from pathlib import Path

import teikit
from teikit.entities import Mention


def count_errors(folder: Path) -> int:
    options = teikit.ValidationOptions(schematron=False, jobs=1)
    report: teikit.Report = teikit.validate([folder], options)
    return sum(1 for d in report if d.severity is teikit.Severity.ERROR)


def untagged(folder: str) -> list[str]:
    progress: teikit.ProgressCallback = lambda done, total: None
    report = teikit.lint([folder], teikit.LintOptions(registers=False), progress=progress)
    return [d.message for d in report]


def site(folder: str) -> list[Path]:
    result = teikit.export(folder, format="html", output="site/")
    return result.written


def names(path: str) -> list[str]:
    document: teikit.TeiDocument = teikit.load(path)
    return [m.text for m in teikit.extract_entities([document]) if isinstance(m, Mention)]


try:
    teikit.validate(["a.xml"])
except teikit.ConfigError as exc:
    print(exc)
"""


def _mypy(tmp_path: Path, script: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "user.py").write_text(script, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "user.py"],
        cwd=tmp_path,  # not the repository: its pyproject's mypy settings are not the user's
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_user_script_type_checks_under_mypy_strict(tmp_path: Path) -> None:
    """py.typed is shipped and every lazy name has its real signature (not Any)."""
    reveal = "reveal_type(teikit.validate)\nreveal_type(teikit.annotate)\n"
    run = _mypy(tmp_path, _USER_SCRIPT + reveal)
    assert run.returncode == 0, run.stdout + run.stderr
    assert 'Revealed type is "def (sources: typing.Iterable[str | pathlib.Path]' in run.stdout
    assert "-> teikit.diagnostics.Report" in run.stdout
    assert "-> teikit.linting.annotation.Annotation" in run.stdout
    assert run.stdout.rstrip().endswith("Success: no issues found in 1 source file")


def test_a_wrong_call_is_a_type_error_for_users(tmp_path: Path) -> None:
    """The check can fail: passing a ValidationOptions to lint is caught before it runs."""
    wrong = _USER_SCRIPT + "teikit.lint(['a.xml'], teikit.ValidationOptions())\n"
    run = _mypy(tmp_path, wrong)
    assert run.returncode == 1, run.stdout + run.stderr
    assert 'Argument 2 to "lint" has incompatible type "ValidationOptions"' in run.stdout
    assert "Found 1 error in 1 file" in run.stdout


def test_py_typed_is_in_the_package() -> None:
    from pathlib import Path

    assert (Path(teikit.__file__).parent / "py.typed").is_file()


# -- the README's example -----------------------------------------------------------------

REPO = Path(__file__).resolve().parent.parent


def _readme_example() -> tuple[str, str]:
    """Return the README's library example and the output it says it prints."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Library\n") :]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    printed = section.split("```text\n", 1)[1].split("```", 1)[0]
    return code, printed


@pytest.mark.parametrize(
    "before",
    ["", "import teikit, teikit.linting\nteikit.annotate\n", "EXAMPLE"],
    ids=["first-use", "after-the-lint-package", "twice"],
)
def test_the_readme_library_example_runs_and_prints_what_it_says(
    tmp_path: Path, before: str
) -> None:
    """Run in a copy of the repository's tei/ folder, so that site/ is written there."""
    import shutil

    code, printed = _readme_example()
    shutil.copytree(REPO / "tei", tmp_path / "tei")
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")  # the project's root
    script = (code if before == "EXAMPLE" else before) + code
    run = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    assert run.stdout == printed * (2 if before == "EXAMPLE" else 1)
    assert (tmp_path / "site" / "telegram-1951-07-03.html").read_text().startswith("<!DOCTYPE")


# -- teikit.export ------------------------------------------------------------------------


def test_export_writes_any_document_format_by_name(tmp_path: Path) -> None:
    telegram = REPO / "tei" / "telegram-1951-07-03.xml"
    seen: list[tuple[int, int]] = []
    result = teikit.export(
        [telegram, telegram.parent],
        format="text",
        output=tmp_path / "one.txt",
        progress=lambda done, total: seen.append((done, total)),
    )
    assert result.written == [tmp_path / "one.txt"]
    assert (result.exported, list(result.report), seen) == (1, [], [(1, 1)])
    from teikit.exporters import get_exporter
    from teikit.exporters.model import export_documents

    expected = export_documents([telegram], get_exporter("text", kind="document"), tmp_path / "b")
    assert expected.written == [tmp_path / "b"]
    assert (tmp_path / "one.txt").read_bytes() == (tmp_path / "b").read_bytes()
    # the format from the suffix; a folder for several documents
    assert teikit.export(telegram, output=tmp_path / "t.md").written == [tmp_path / "t.md"]
    (tmp_path / "in").mkdir()
    for name in ("a.xml", "b.xml"):
        (tmp_path / "in" / name).write_bytes(telegram.read_bytes())
    options = teikit.ExportOptions(exclude=("b.xml",))
    folder = teikit.export(tmp_path / "in", "json", f"{tmp_path}/out/", options)
    assert folder.written == [tmp_path / "out" / "a.json"]
    with pytest.raises(teikit.ExportError, match="^2 documents are exported to a folder"):
        teikit.export(tmp_path / "in", "json", tmp_path / "x.json")
    with pytest.raises(teikit.ExportError, match="^xslt applies to HTML output only$"):
        teikit.export(telegram, "json", tmp_path / "y.json", teikit.ExportOptions(xslt=telegram))
    with pytest.raises(teikit.UnknownFormatError, match="cannot tell the format of"):
        teikit.export(telegram, output=tmp_path / "z.pdf")


# -- shared CLI options -------------------------------------------------------------------


def test_shared_options_are_declared_once_in_cli_options() -> None:
    root = Path(teikit.__file__).parent / "cli"
    for path in sorted(root.glob("*.py")):
        if path.name == "options.py":
            continue
        text = path.read_text(encoding="utf-8")
        for option in ('"--index"', '"--jobs"', '"--fail-on"', '"--config"', '"--format"'):
            assert option not in text, f"{path.name} declares {option}"


@pytest.mark.parametrize("option", ["--index", "--jobs", "--fail-on", "--config"])
def test_a_shared_option_has_one_help_text(option: str) -> None:
    """The same option says the same thing in every command (but for what it adds)."""
    import click

    from teikit.cli import cli

    texts = {}
    context = click.Context(cli)
    for name in ("validate", "lint", "annotate", "entities", "export", "register"):
        command = cli.get_command(context, name)
        assert command is not None
        commands = (
            list(command.commands.values()) if isinstance(command, click.Group) else [command]
        )
        for each in commands:
            for param in each.params:
                if option in getattr(param, "opts", []):
                    texts[f"{name} {each.name}"] = param.help
    assert len(texts) >= 3
    firsts = {text.split(";")[0].split(",")[0] for text in texts.values() if text}
    assert len(firsts) == 1, texts
