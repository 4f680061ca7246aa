"""The W3C XML Conformance Test Suite through teikit's well-formedness stage (issue 6).

Every ``not-wf`` case that needs no external entity must be rejected by :func:`teikit.load`
with a position; every ``valid`` and ``invalid`` case with ``ENTITIES="none"`` must load.
Cases for XML 1.1, Namespaces 1.1 and editions before the fifth are left out: teikit reads
XML 1.0 fifth edition with namespaces, as libxml2 does. The exceptions are listed below,
each with its reason; a listed case that starts to pass fails the test, so the lists stay true.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pytest
from lxml import etree

import teikit
from conftest import shared_path
from teikit.errors import InputError

pytestmark = pytest.mark.shared

#: not-wf cases that teikit accepts.
ACCEPTED_NOT_WF: Final = {
    "hst-lhs-007": "libxml2 lets a UTF-8 byte-order mark win over encoding='iso-8859-1'",
    "hst-lhs-008": "libxml2 lets a UTF-16 byte-order mark win over encoding='utf-8'",
}
#: not-wf cases that are rejected, but without a position (there is nowhere to point).
NO_POSITION: Final = {
    "not-wf-sa-050": "the file is empty: 'file is empty' [xml.empty]",
    "o-p39fail3": "the file is empty: 'file is empty' [xml.empty]",
}
_NAMESPACES = "teikit parses with namespaces (TEI needs them): a colon must separate a prefix"
_DTD_CHECK = (
    "libxml2 checks declarations in the internal subset even without validating and "
    "reports this validity error as an error"
)
_PARAMETER = (
    "teikit does not expand parameter entities, even internal ones "
    "(lxml's resolve_entities='internal'): xml.parameter-entity-refused"
)
#: valid or invalid cases (well-formed XML 1.0) that teikit rejects.
REJECTED_WELL_FORMED: Final = {
    "valid-sa-012": _NAMESPACES,
    "o-p04pass1": _NAMESPACES,
    "o-p05pass1": _NAMESPACES,
    "x-ibm-1-0.5-valid-P04-ibm04v01.xml": _NAMESPACES,
    "x-ibm-1-0.5-valid-P05-ibm05v01.xml": _NAMESPACES,
    "x-ibm-1-0.5-valid-P05-ibm05v02.xml": _NAMESPACES,
    "x-ibm-1-0.5-valid-P05-ibm05v03.xml": _NAMESPACES,
    "x-ibm-1-0.5-valid-P05-ibm05v05.xml": _NAMESPACES,
    "el04": f"{_DTD_CHECK} (an element type declared twice)",
    "ibm-invalid-P45-ibm45i01.xml": f"{_DTD_CHECK} (an element type declared twice)",
    "ibm-invalid-P56-ibm56i06.xml": f"{_DTD_CHECK} (two ID attributes on one element type)",
    **{
        case: f"{_DTD_CHECK} (an attribute default that does not match its type)"
        for case in (
            "attr09",
            "attr10",
            "attr11",
            "attr12",
            "attr13",
            "attr14",
            "ibm-invalid-P60-ibm60i04.xml",
            "rmt-e2e-9b",
            "rmt-e3e-06a",
            "rmt-e3e-06b",
            "rmt-e3e-06c",
            "rmt-e3e-06d",
            "rmt-e3e-06e",
            "rmt-e3e-06f",
        )
    },
    "ibm-invalid-P76-ibm76i01.xml": _PARAMETER,
    "rmt-e3e-13": _PARAMETER,
}


@dataclass(frozen=True, slots=True)
class Case:
    """One TEST of the suite."""

    id: str
    type: str
    path: Path


def iter_cases(root: Path) -> Iterator[Case]:
    """Yield the XML 1.0 (fifth edition) cases that need no external entity.

    The master catalogue pulls in each contributor's catalogue through external entities,
    which teikit refuses: the entity declarations are read with a regular expression and
    each catalogue is parsed on its own, without a DTD.
    """
    master = (root / "xmlconf.xml").read_text(encoding="utf-8")
    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True)
    for relative in re.findall(r'<!ENTITY\s+\S+\s+SYSTEM\s+"([^"]+)"', master):
        catalogue = root / relative
        data = catalogue.read_bytes()
        data = re.sub(rb"<\?xml[^>]*\?>|<!DOCTYPE[^\[>]*(\[.*?\])?\s*>", b"", data, flags=re.S)
        # some catalogues are a bare list of TEST elements: give them one root
        for test in etree.fromstring(b"<all>" + data + b"</all>", parser).iter("TEST"):
            edition = test.get("EDITION", "").split()
            if (
                test.get("ENTITIES", "none") != "none"
                or test.get("TYPE") == "error"
                or test.get("RECOMMENDATION", "XML1.0") in ("XML1.1", "NS1.1")
                or "1.1" in test.get("VERSION", "").split()
                or (edition and "5" not in edition)
            ):
                continue
            yield Case(
                test.get("ID", ""), test.get("TYPE", ""), catalogue.parent / test.get("URI", "")
            )


@pytest.fixture(scope="module")
def cases() -> list[Case]:
    found = list(iter_cases(shared_path("conformance", "xmlconf")))
    assert len(found) > 1500  # the selection is not silently empty
    return found


def outcome(case: Case) -> InputError | None:
    """Load *case* and return the error, or ``None``; anything else escapes (a crash)."""
    try:
        teikit.load(case.path)
    except InputError as error:
        return error
    return None


def test_not_well_formed_cases_are_rejected_with_a_position(cases: list[Case]) -> None:
    accepted: set[str] = set()
    unplaced: set[str] = set()
    checked = 0
    for case in cases:
        if case.type != "not-wf":
            continue
        checked += 1
        error = outcome(case)
        if error is None:
            accepted.add(case.id)
        elif error.diagnostic.line is None or error.diagnostic.column is None:
            unplaced.add(case.id)
        else:
            assert error.diagnostic.line >= 1
            assert error.diagnostic.column >= 1
            assert error.diagnostic.file == str(case.path)
    assert checked > 900
    assert accepted == set(ACCEPTED_NOT_WF)
    assert unplaced == set(NO_POSITION)


def test_valid_and_invalid_cases_are_well_formed(cases: list[Case]) -> None:
    rejected: dict[str, str] = {}
    checked = 0
    for case in cases:
        if case.type not in ("valid", "invalid"):
            continue
        checked += 1
        error = outcome(case)
        if error is not None:
            rejected[case.id] = str(error)
    assert checked > 700
    assert set(rejected) == set(REJECTED_WELL_FORMED), rejected
    for case_id in ("ibm-invalid-P76-ibm76i01.xml", "rmt-e3e-13"):
        assert "does not expand parameter entities" in rejected[case_id]
