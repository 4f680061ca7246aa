"""Atomic output: complete or absent, never half-written; inputs are never overwritten."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from teikit.errors import OutputError
from teikit.output import atomic_open, check_not_input


def test_output_naming_an_input_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "letter.xml"
    source.write_text("<TEI/>")
    (tmp_path / "link.xml").symlink_to(source)
    monkeypatch.chdir(tmp_path)
    for output in (source, Path("letter.xml"), Path("./sub/../letter.xml"), tmp_path / "link.xml"):
        with pytest.raises(OutputError, match="refusing to overwrite an input file"):
            check_not_input(output, [Path("letter.xml")])
    check_not_input(tmp_path / "out.csv", [source])  # another name is fine
    assert source.read_text() == "<TEI/>"


def test_atomic_open_replaces_only_on_success(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("previous")
    os.chmod(target, 0o640)

    def interrupted() -> None:
        with atomic_open(target) as stream:
            stream.write("half")
            raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        interrupted()
    assert target.read_text() == "previous"
    with atomic_open(target) as stream:
        stream.write("complete")
    assert target.read_text() == "complete"
    assert target.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_new_file_gets_default_permissions(tmp_path: Path) -> None:
    target = tmp_path / "new.txt"
    with atomic_open(target) as stream:
        stream.write("x")
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into read-only folders")
def test_read_only_folder(tmp_path: Path) -> None:  # pragma: no cover - CI runs as root
    os.chmod(tmp_path, 0o500)
    try:
        with pytest.raises(OutputError, match="cannot write"), atomic_open(tmp_path / "x") as s:
            s.write("x")
    finally:
        os.chmod(tmp_path, 0o700)


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="cannot write"), atomic_open(tmp_path / "no" / "x") as s:
        s.write("x")


def test_write_failure_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "full.txt"

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OutputError, match="No space left on device"), atomic_open(target) as s:
        s.write("data")
    assert list(tmp_path.iterdir()) == []
