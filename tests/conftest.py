"""Shared fixtures: paths to the repository, ../shared and external commands."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("TEIKIT_SHARED", REPO.parent / "shared"))
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
TELEGRAM = REPO / "tei" / "telegram-1951-07-03.xml"
DATA = REPO / "tests" / "data"


UPDATE_GOLDEN = os.environ.get("TEIKIT_UPDATE_GOLDEN", "") not in ("", "0")


#: A RELAX NG grammar that accepts any well-formed document: for tests about everything but
#: the schema (caches, configuration, outputs).
ANY_GRAMMAR = (
    '<grammar xmlns="http://relaxng.org/ns/structure/1.0"><start><ref name="any"/></start>'
    '<define name="any"><element><anyName/><zeroOrMore><choice>'
    '<attribute><anyName/></attribute><text/><ref name="any"/></choice></zeroOrMore>'
    "</element></define></grammar>\n"
)


def check_golden(path: Path, actual: bytes) -> None:
    """Compare *actual* with the golden file *path* byte for byte.

    ``TEIKIT_UPDATE_GOLDEN=1 pytest`` rewrites golden files; on a mismatch the output is
    left beside the golden file as ``<case>.actual.<fmt>`` (git ignores it) for a diff.
    """
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(actual)
        return
    if not path.exists():
        pytest.fail(f"{path} is missing: run TEIKIT_UPDATE_GOLDEN=1 pytest")
    if path.read_bytes() != actual:
        stem, _, suffix = path.name.rpartition(".")
        actual_path = path.with_name(f"{stem}.actual.{suffix}")
        actual_path.write_bytes(actual)
        pytest.fail(f"output differs from {path}; see {actual_path}")


def need(what: str, available: bool) -> None:
    """Skip when *what* is missing, but fail in CI, where everything must be there."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI but is missing")
    pytest.skip(f"{what} is not available here (it is installed and required in CI)")


#: The test being run (set around each test's setup, call and teardown), for shared_path().
_RUNNING: list[pytest.Item] = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Remember which test runs, so that shared_path() can check its tier."""
    _RUNNING.append(item)
    try:
        yield
    finally:
        _RUNNING.pop()


def shared_path(*parts: str) -> Path:
    """Return a path below ../shared, skipping (outside CI) when it is absent.

    A test (or its fixture) that reads ../shared/corpora must be marked ``corpus``, the slow
    tier that ``pytest -m "not corpus"`` leaves out: otherwise it fails here.
    """
    if parts[:1] == ("corpora",) and _RUNNING and not _RUNNING[-1].get_closest_marker("corpus"):
        pytest.fail(f"{_RUNNING[-1].nodeid} reads ../shared/corpora: mark it @pytest.mark.corpus")
    path = SHARED.joinpath(*parts)
    need(f"../shared/{'/'.join(parts)}", path.exists())
    return path


def command(name: str) -> str:
    """Return the full path of command *name*, skipping (outside CI) when it is absent."""
    found = shutil.which(name)
    need(f"the {name!r} command", found is not None)
    assert found is not None
    return found


@pytest.fixture
def runner() -> CliRunner:
    """A click test runner that keeps stdout and stderr apart."""
    return CliRunner()


@pytest.fixture
def telegram() -> Path:
    """The reference document."""
    return TELEGRAM


@pytest.fixture
def tei_all_rng() -> Path:
    """TEI All's RELAX NG schema from ../shared."""
    return shared_path("schemas", "tei-p5", "tei_all.rng")


@pytest.fixture
def jing() -> str:
    """The jing command."""
    return command("jing")


@pytest.fixture
def trang() -> str:
    """The trang command."""
    return command("trang")


@functools.lru_cache(maxsize=1)
def _nobody_prefix() -> tuple[tuple[str, ...], str | None]:
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        return (), "needs root and setpriv to run a command as another user"
    prefix = (setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups")
    probe = subprocess.run(
        [*prefix, sys.executable, "-c", "import teikit"], capture_output=True, check=False
    )
    if probe.returncode != 0:
        return (), f"nobody cannot run this Python: {probe.stderr.decode()[-200:]}"
    return prefix, None


def nobody_prefix() -> list[str]:
    """Return the command prefix that runs a command as the user ``nobody``, or skip.

    CI runs as root (issue 17): the tests that depend on who runs teikit use this to run it
    as a second user too. In CI, where teikit runs as root with setpriv at hand, a Python that
    ``nobody`` cannot run is a failure (``.ci/run`` makes it reachable), not a skip.
    """
    prefix, why = _nobody_prefix()
    if why is not None:
        if IN_CI and os.geteuid() == 0 and shutil.which("setpriv"):
            pytest.fail(f"CI must run these tests as a second user: {why}")
        pytest.skip(why)
    return list(prefix)


def teikit_as_nobody(
    args: list[str], cwd: Path, timeout: float = 120
) -> subprocess.CompletedProcess[bytes]:
    """Run ``python -m teikit ARGS`` as ``nobody`` in *cwd*, with *cwd* as its home and cache."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEIKIT_")}
    env.update(HOME=str(cwd), TEIKIT_CACHE_DIR=str(cwd / ".cache"), XDG_DATA_HOME=str(cwd))
    return subprocess.run(
        [*nobody_prefix(), sys.executable, "-m", "teikit", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        timeout=timeout,
        check=False,
    )


def run_teikit(
    *args: str,
    cwd: Path,
    timeout: float = 120,
    memory: int | None = 2 << 30,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m teikit ARGS`` in *cwd* as a child process; fail (not hang) after
    *timeout* seconds, with *memory* bytes of address space (``None``: no limit, for Java)
    and *env* added to the environment.

    A regression in a guard against hostile input then fails its test instead of hanging or
    exhausting the machine that runs the suite.
    """

    def limit() -> None:
        if memory is not None:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    try:
        return subprocess.run(
            [sys.executable, "-m", "teikit", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            preexec_fn=limit,
            env={**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})},
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"teikit {' '.join(args)} did not finish within {timeout} s")
