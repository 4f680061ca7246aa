"""``teikit.sources.expand_paths``: the one way every command turns its paths into files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from teikit.errors import DocumentLoadError
from teikit.sources import expand_paths


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("<TEI/>", encoding="utf-8")
    return path


def test_folders_are_searched_in_path_order(tmp_path: Path) -> None:
    files = [touch(tmp_path / name) for name in ("a-c/x.xml", "a/b.xml", "a/z/y.xml", "b.xml")]
    touch(tmp_path / "a/notes.txt")
    # component by component, as pathlib orders paths ("a" before "a-c"), not as strings
    assert expand_paths([tmp_path]) == [files[1], files[2], files[0], files[3]]


def test_include_exclude_and_no_match(tmp_path: Path) -> None:
    kept = touch(tmp_path / "letters/one.tei")
    touch(tmp_path / "letters/two.xml")
    assert expand_paths([tmp_path], include=("*.tei",)) == [kept]
    with pytest.raises(DocumentLoadError, match="folder holds no \\*.xml file not excluded"):
        expand_paths([tmp_path], exclude=("two.*",))


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_a_linked_folder_is_not_followed(tmp_path: Path) -> None:
    letter = touch(tmp_path / "corpus/letter.xml")
    (tmp_path / "corpus/loop").symlink_to(tmp_path / "corpus", target_is_directory=True)
    (tmp_path / "corpus/link.xml").symlink_to(letter)
    (tmp_path / "corpus/dangling.xml").symlink_to(tmp_path / "nowhere.xml")
    found = expand_paths([tmp_path / "corpus"])
    # the dangling link is said, not skipped (issue 17): a RefusedPath that carries why
    assert found == [tmp_path / "corpus/dangling.xml", letter, tmp_path / "corpus/link.xml"]
    assert [getattr(p, "diagnostic", None) is not None for p in found] == [True, False, False]
    assert found[0].diagnostic.code == "io.dangling-symlink"  # type: ignore[attr-defined]
