"""XML namespace URIs used by teikit; no namespace URI is written out anywhere else."""

from __future__ import annotations

from typing import Final

TEI_NS: Final = "http://www.tei-c.org/ns/1.0"
XML_NS: Final = "http://www.w3.org/XML/1998/namespace"
XI_NS: Final = "http://www.w3.org/2001/XInclude"
RNG_NS: Final = "http://relaxng.org/ns/structure/1.0"
XSD_NS: Final = "http://www.w3.org/2001/XMLSchema"
SCH_NS: Final = "http://purl.oclc.org/dsdl/schematron"
SVRL_NS: Final = "http://purl.oclc.org/dsdl/svrl"

#: Prefix map for XPath evaluation: ``tei:`` is bound everywhere.
NSMAP: Final[dict[str, str]] = {"tei": TEI_NS, "xml": XML_NS, "xi": XI_NS}

XML_ID: Final = f"{{{XML_NS}}}id"


def tei(local_name: str) -> str:
    """Return the Clark name ``{TEI_NS}local_name``.

    >>> tei("persName")
    '{http://www.tei-c.org/ns/1.0}persName'
    """
    return f"{{{TEI_NS}}}{local_name}"
