"""Is a document TEI P5? The one place that reads a document's root and says what it is.

Every command asks this module (issue 12): ``validate``, ``entities``, ``export``, ``lint``,
``annotate`` and ``register build`` report a root that is not TEI P5 as the same finding,
``tei.not-tei``, naming the root and what to do about it, and leave that file out while the
other files of the run go on. A root in the TEI namespace other than ``TEI`` or
``teiCorpus`` (a fragment meant for XInclude, a register file) is TEI P5 vocabulary: the
commands read it, and ``validate`` says that it is not a whole document
(``integrity.root``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from teikit.diagnostics import Diagnostic, Severity
from teikit.errors import NotTeiError
from teikit.namespaces import TEI_NS

if TYPE_CHECKING:
    from lxml import etree

    from teikit.document import Source, TeiDocument

__all__ = [
    "NOT_TEI",
    "NotTeiError",
    "RootKind",
    "RootVerdict",
    "classify_root",
    "load_tei",
    "not_tei_finding",
    "require_tei",
]

#: The code of the finding about a document whose root is not TEI P5.
NOT_TEI: Final = "tei.not-tei"

_XHTML_NS: Final = "http://www.w3.org/1999/xhtml"
_DOCBOOK_NS: Final = ("http://docbook.org/ns/docbook", "http://docbook.org/docbook-ng")
_P4_ROOTS: Final = ("TEI.2", "teiCorpus.2")
_P5_ROOTS: Final = ("TEI", "teiCorpus")
_CONVERT: Final = "teikit reads TEI P5 only: leave the file out (--exclude) or convert it to TEI P5"
_TEI_ROOT: Final = f"a TEI P5 document has <TEI> or <teiCorpus> in the namespace {TEI_NS}"


class RootKind(enum.Enum):
    """What a document's root says the document is."""

    TEI = "tei"  # TEI or teiCorpus in the TEI namespace
    TEI_FRAGMENT = "tei-fragment"  # another element in the TEI namespace
    TEI_P4 = "tei-p4"  # TEI.2 or teiCorpus.2 (TEI P4 has no namespace)
    NO_NAMESPACE = "no-namespace"  # TEI or teiCorpus without the TEI namespace
    WRONG_NAMESPACE = "wrong-namespace"  # TEI or teiCorpus in another namespace
    XHTML = "xhtml"
    DOCBOOK = "docbook"
    OTHER = "other"  # any other vocabulary

    @property
    def is_tei_p5(self) -> bool:
        """Return whether documents of this kind are read as TEI P5 (fragments included)."""
        return self in (RootKind.TEI, RootKind.TEI_FRAGMENT)


@dataclass(frozen=True, slots=True)
class RootVerdict:
    """A document's root: its kind, its name as shown to people and what to do about it."""

    kind: RootKind
    root: str  # "TEI.2", "TEI", "{http://www.w3.org/1999/xhtml}html"
    advice: str  # empty for TEI P5

    def message(self) -> str:
        """Return the message of the ``tei.not-tei`` finding (or of a TEI fragment)."""
        what = {
            RootKind.TEI: "a TEI P5 document",
            RootKind.TEI_FRAGMENT: "a TEI P5 fragment, not a whole document",
            RootKind.TEI_P4: "TEI P4, not TEI P5",
            RootKind.NO_NAMESPACE: "TEI without the TEI namespace",
            RootKind.WRONG_NAMESPACE: "not in the TEI namespace",
            RootKind.XHTML: "XHTML, not TEI",
            RootKind.DOCBOOK: "DocBook, not TEI",
            RootKind.OTHER: "not TEI",
        }[self.kind]
        text = f"root element is <{self.root}>: {what}"
        return f"{text}; {self.advice}" if self.advice else text


def classify_root(root: etree._Element) -> RootVerdict:
    """Return what the root element *root* says its document is.

    >>> from lxml import etree
    >>> classify_root(etree.fromstring("<TEI.2/>")).kind
    <RootKind.TEI_P4: 'tei-p4'>
    >>> print(classify_root(etree.fromstring("<TEI/>")).message()[:63])
    root element is <TEI>: TEI without the TEI namespace; add xmlns
    """
    from lxml import etree

    qname = etree.QName(root)
    namespace, local = qname.namespace, qname.localname
    shown = local if namespace is None else f"{{{namespace}}}{local}"
    if namespace == TEI_NS:
        if local in _P5_ROOTS:
            return RootVerdict(RootKind.TEI, shown, "")
        return RootVerdict(
            RootKind.TEI_FRAGMENT,
            f"tei:{local}",
            "a TEI document has <TEI> or <teiCorpus> as its root (validate the document "
            "that includes this one)",
        )
    if local in _P4_ROOTS:
        return RootVerdict(
            RootKind.TEI_P4,
            shown,
            "convert it to TEI P5 first, for instance with the TEI Stylesheets' p4top5.xsl "
            "(or oXygen's TEI P4 to P5 conversion)",
        )
    if local in _P5_ROOTS:
        if namespace is None:
            return RootVerdict(RootKind.NO_NAMESPACE, shown, f'add xmlns="{TEI_NS}" to it')
        return RootVerdict(
            RootKind.WRONG_NAMESPACE,
            shown,
            f'the TEI P5 namespace is {TEI_NS}: change its xmlns to xmlns="{TEI_NS}"',
        )
    if namespace == _XHTML_NS or (namespace is None and local.lower() == "html"):
        return RootVerdict(RootKind.XHTML, shown, _CONVERT)
    if namespace in _DOCBOOK_NS:
        return RootVerdict(
            RootKind.DOCBOOK, shown, f"{_CONVERT} (the TEI Stylesheets' docbooktotei does it)"
        )
    if namespace is None:
        return RootVerdict(
            RootKind.OTHER,
            shown,
            f"{_TEI_ROOT}; if this is TEI without its namespace, put it in a <TEI> root with "
            f'xmlns="{TEI_NS}"; else {_CONVERT}',
        )
    return RootVerdict(RootKind.OTHER, shown, f"{_TEI_ROOT}; {_CONVERT}")


def not_tei_finding(document: TeiDocument) -> Diagnostic | None:
    """Return the ``tei.not-tei`` finding for *document*, ``None`` when it is TEI P5.

    A TEI fragment (another root in the TEI namespace) is TEI P5: ``None``.
    """
    if document.is_tei:
        return None
    verdict = classify_root(document.root)
    if verdict.kind.is_tei_p5:
        return None
    from teikit.document import source_line

    return Diagnostic(
        Severity.ERROR,
        NOT_TEI,
        verdict.message(),
        document.name,
        source_line(document.root),
        None,
        "/*",
    )


def require_tei(document: TeiDocument) -> TeiDocument:
    """Return *document* if it is TEI P5.

    :raises NotTeiError: its root is not TEI P5 (the error carries the finding).
    """
    finding = not_tei_finding(document)
    if finding is not None:
        raise NotTeiError(finding)
    return document


def load_tei(source: Source, *, name: str | None = None) -> TeiDocument:
    """Load *source* with :func:`teikit.document.load` and require a TEI P5 root.

    :raises NotTeiError: the root is not TEI P5.
    :raises InputError: see :func:`teikit.document.load`.

    >>> try:
    ...     load_tei(b"<TEI.2/>")
    ... except NotTeiError as exc:
    ...     print(exc.diagnostic.code, exc.diagnostic.message[:43])
    tei.not-tei root element is <TEI.2>: TEI P4, not TEI P5
    """
    from teikit.document import load

    return require_tei(load(source, name=name))
