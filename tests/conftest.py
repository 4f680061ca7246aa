"""Shared fixtures: paths to the repository, ../shared and external commands."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("TEIKIT_SHARED", REPO.parent / "shared"))
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
TELEGRAM = REPO / "tei" / "telegram-1951-07-03.xml"
DATA = REPO / "tests" / "data"


UPDATE_GOLDEN = os.environ.get("TEIKIT_UPDATE_GOLDEN", "") not in ("", "0")


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


def shared_path(*parts: str) -> Path:
    """Return a path below ../shared, skipping (outside CI) when it is absent."""
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
