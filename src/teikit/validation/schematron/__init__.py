"""ISO Schematron without Java: standalone ``.sch`` files and Schematron embedded in RELAX NG.

:func:`load_schematron` reads an ISO Schematron schema (root ``sch:schema``) or a RELAX NG
grammar that carries Schematron in annotations (what the TEI's ODD processor writes into
``tei_all.rng``: ``sch:ns`` and ``sch:pattern`` anywhere in the grammar), and compiles every
rule context, ``sch:let``, test and message expression once. :meth:`SchematronSchema.validate`
then checks one document at a time and returns :class:`~teikit.diagnostics.Diagnostic` records.

Engines
    ``queryBinding`` ``xslt``, ``xpath`` or ``exslt`` (XPath 1.0, the default of a ``.sch``
    file) is run by libxml2 through :class:`lxml.etree.XPath`, except on context nodes libxml2
    cannot start from (attributes, the document node) and for ``id()``, ``document()`` and
    ``generate-id()``: those use elementpath's XPath 2.0 parser in XPath 1.0 compatibility
    mode. ``xslt2`` and ``xpath2`` are parsed by elementpath's XPath 2.0 parser, falling back
    to its 3.1 parser for an expression with 3.x syntax (TEI's "xslt2" rules use the 3.0
    ``||`` operator; SchXslt runs them on Saxon, with XPath 3.1); ``xpath3`` by the 3.0
    parser, ``xslt3`` and ``xpath31`` by the 3.1 parser, both repaired for prefixed names
    that are also function names (see :func:`_prefixed_name_class`). Schematron embedded in
    RELAX NG has no ``queryBinding`` and is taken as ``xslt2``, the TEI's. Regular
    expressions run in the ``regex`` module with a time limit (:data:`REGEX_TIME_LIMIT`).
    An XPath 2/3 expression is still run by libxml2 when a
    conservative static check proves that XPath 1.0 gives the same answer: paths, predicates,
    ``and``/``or``, the string and node functions of XPath 1.0 on single items, ``=``/``!=``
    between strings or nodes, order comparisons and ``+ - * mod`` between numbers, and the
    value comparisons ``eq ne lt le gt ge`` between single strings or numbers (rewritten to
    ``= != < <= > >=``), and ``=``/``!=`` between nodes and a sequence of string literals
    (``@part = ('M', 'F')``, rewritten to ``boolean((@part)[. = 'M' or . = 'F'])``).
    Everything else (sequences, ``if``/``for``, casts, regular expressions, ``tokenize``,
    ``div``...) goes to elementpath, on a node tree built only for the documents that need
    one. Rule contexts are selected the same way, and a rule whose
    context names elements or attributes that do not occur in the document is skipped: this
    is what keeps TEI All fast on real corpora. Paths that do not depend on the context node
    are evaluated once per document or ancestor, and ``A and B`` is screened by ``A`` in
    libxml2: see :mod:`teikit.validation.schematron.fast`.
    :meth:`SchematronSchema.without_lxml` gives the same schema run by elementpath alone, to
    cross-check the shortcuts.

Semantics
    A rule context is an XSLT pattern: it matches the nodes of ``//(pattern)`` (each branch
    of a top-level union separately; ``/`` matches the document node). In a pattern each
    node is handled by the first rule whose context matches it. ``sch:let`` works at schema,
    phase and pattern level (evaluated once per document, the document node as context) and
    at rule level (per context node, lazily). ``current()`` is the rule's context node.
    Abstract rules with ``sch:extends``, abstract patterns with ``is-a``/``sch:param``,
    phases (``phase=`` or ``@defaultPhase``), ``sch:include`` (files in the schema's folder
    only), ``sch:diagnostics`` and ``@subject`` are supported; ``sch:let`` without
    ``@value``, ``sch:extends/@href``, ``key()``, ``xsl:`` elements, ``sch:property`` and
    Schematron 1.5 are not.

Findings
    Each failed ``sch:assert`` gives code ``sch.assert``, each successful ``sch:report``
    ``sch.report``. The message is the element's text with ``sch:value-of`` and ``sch:name``
    substituted (and ``sch:diagnostics`` appended; text that is only whitespace dropped, as
    XSLT does in the stylesheet SchXslt makes), whitespace normalised, followed by ``[id]``:
    the ``@id`` of the assertion, else of its rule, else of its pattern (TEI All's patterns
    all have one). Severity comes from ``@role`` of the assertion, else of its rule
    (case-insensitive): ``fatal``/``error``, no role or an unknown one give error;
    ``warning``/``warn``/``nonfatal``/``caution`` give warning;
    ``info``/``information``/``informational``/``note``/``hint`` give info. ``line`` is the
    line of the context node (of its element for an attribute), ``column`` is ``None`` and
    ``xpath`` a readable path with the ``tei:`` prefix for TEI elements (Clark notation for
    other namespaces) and positions only where siblings share a name, e.g.
    ``/tei:TEI/tei:text/tei:body/tei:div[2]/tei:p/@rend``; ``/`` for the document node.

    An expression that cannot be compiled or evaluated (an unknown function, a type error, a
    file outside the sandbox, a regular expression that runs out of time) gives one
    ``sch.rule-error`` per validated document and expression, naming pattern, rule context
    and expression and how many context nodes were skipped; never an exception. It is an
    error by default: the document was not fully checked, and a rule that could not run must
    not pass (``rule_errors=Severity.WARNING`` makes it a warning). Compile-time problems
    are also listed once, as warnings, in :attr:`SchematronSchema.warnings`.

Sandbox
    ``doc()``, ``document()``, ``unparsed-text()`` and friends read only files inside the
    schema's own folder (through teikit's hardened parser for XML) and never the network.

Modules
    :mod:`.reading` reads the schema into data (includes, abstract patterns and rules,
    phases, lets); :mod:`.xpath` translates rule contexts and proves XPath 2/3 expressions
    equivalent in XPath 1.0; :mod:`.parsers` holds elementpath's repaired parsers and the
    regular expressions with a time limit; :mod:`.compile` compiles the schema;
    :mod:`.runtime` holds the compiled records, the per-document state and the sandbox;
    :mod:`.evaluate` runs compiled rules on a document, with the shortcuts of :mod:`.fast`;
    :mod:`.schema` is the public :class:`SchematronSchema` and :func:`load_schematron`.
"""

from __future__ import annotations

from teikit.validation.schematron.parsers import REGEX_TIME_LIMIT

# Internal names that tests reach through the package (the same objects, not copies).
from teikit.validation.schematron.parsers import _parser_class as _parser_class
from teikit.validation.schematron.parsers import _regex_clock as _regex_clock
from teikit.validation.schematron.parsers import _RegexTimeoutError as _RegexTimeoutError
from teikit.validation.schematron.parsers import _timed as _timed
from teikit.validation.schematron.reading import (
    EMBEDDED_BINDING,
    XPATH1_BINDINGS,
    XPATH3_BINDINGS,
    SchematronPattern,
    SchematronRule,
)
from teikit.validation.schematron.schema import SchematronSchema, load_schematron

__all__ = [
    "EMBEDDED_BINDING",
    "REGEX_TIME_LIMIT",
    "XPATH1_BINDINGS",
    "XPATH3_BINDINGS",
    "SchematronPattern",
    "SchematronRule",
    "SchematronSchema",
    "load_schematron",
]
