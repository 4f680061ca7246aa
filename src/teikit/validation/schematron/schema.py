"""The public schema object and :func:`load_schematron`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lxml import etree

from teikit.diagnostics import Diagnostic, Severity
from teikit.document import TeiDocument
from teikit.validation.schematron import parsers
from teikit.validation.schematron.compile import _describe
from teikit.validation.schematron.evaluate import _Evaluator
from teikit.validation.schematron.parsers import _regex_clock
from teikit.validation.schematron.reading import (
    SchematronPattern,
    SchematronRule,
    _read_spec,
    _SchemaSpec,
)
from teikit.validation.schematron.runtime import _Run


class SchematronSchema(_Evaluator):
    """A compiled ISO Schematron schema; :meth:`validate` checks one document.

    Build it with :func:`load_schematron`. Pickling sends the schema's data, not the compiled
    expressions, which are compiled again on unpickling (a few tenths of a second for TEI
    All); after ``fork`` the compiled schema is used as is. Give each thread its own schema.
    """

    def __init__(
        self, spec: _SchemaSpec, *, use_lxml: bool = True, rule_errors: Severity = Severity.ERROR
    ) -> None:
        """Compile *spec*; ``use_lxml=False`` runs everything with elementpath (for tests).

        *rule_errors* is the severity of ``sch.rule-error`` findings on a document (a rule
        that could not be evaluated): an error by default, since the document was not fully
        checked.
        """
        self.rule_errors = rule_errors
        super().__init__(spec, use_lxml)
        # Which patterns an element or attribute name can trigger (see _Pattern.triggers).
        self._always = [i for i, p in enumerate(self._patterns) if p.triggers is None]
        self._by_element: dict[str, list[int]] = {}
        self._by_attribute: dict[str, list[int]] = {}
        for index, pattern in enumerate(self._patterns):
            if pattern.triggers is not None:
                for name in pattern.triggers[0]:
                    self._by_element.setdefault(name, []).append(index)
                for name in pattern.triggers[1]:
                    self._by_attribute.setdefault(name, []).append(index)

    # -- public ----------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """Return the file the schema was read from."""
        return self._spec.name

    @property
    def query_binding(self) -> str:
        """Return the query binding (lower case), e.g. ``xslt`` or ``xslt2``."""
        return self._spec.query_binding

    @property
    def phase(self) -> str:
        """Return the phase that was compiled (``#ALL`` for all patterns)."""
        return self._spec.phase

    @property
    def title(self) -> str | None:
        """Return the schema's ``sch:title``, if any."""
        return self._spec.title

    @property
    def namespaces(self) -> dict[str, str]:
        """Return the prefixes declared with ``sch:ns`` (plus ``xml``)."""
        return dict(self._namespaces)

    @property
    def patterns(self) -> tuple[SchematronPattern, ...]:
        """Return the active patterns and their rules, in schema order."""
        return tuple(
            SchematronPattern(p.spec.id, tuple(_describe(r) for r in p.rules))
            for p in self._patterns
        )

    @property
    def rules(self) -> tuple[SchematronRule, ...]:
        """Return every rule of every active pattern, in schema order."""
        return tuple(_describe(r) for p in self._patterns for r in p.rules)

    def applicable_rules(self, document: TeiDocument) -> list[SchematronRule]:
        """Return the rules whose context can match *document*'s element/attribute names."""
        run = _Run(self, document)
        return [_describe(r) for p in self._patterns for r in p.rules if self._may_match(run, r)]

    def without_lxml(self) -> SchematronSchema:
        """Return the same schema compiled to run every expression with elementpath.

        Slower; meant for cross-checking the libxml2 shortcuts in tests and benchmarks.
        """
        return SchematronSchema(self._spec, use_lxml=False, rule_errors=self.rule_errors)

    def validate(self, document: TeiDocument) -> list[Diagnostic]:
        """Return the findings of every active pattern on *document*.

        >>> import teikit, tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "s.sch").write_text(
        ...     '<schema xmlns="http://purl.oclc.org/dsdl/schematron"><pattern><rule context="p">'
        ...     '<assert test="@n">p needs @n</assert></rule></pattern></schema>')
        >>> [d.message for d in load_schematron(folder / "s.sch").validate(teikit.load(b"<p/>"))]
        ['p needs @n']
        """
        run = _Run(self, document)
        local = self._local
        previous = getattr(local, "run", None)
        previous_budget = getattr(_regex_clock, "left", None)
        local.run = run
        _regex_clock.left = (
            parsers.REGEX_TIME_LIMIT
        )  # read at run time: tests and benchmarks change it
        try:
            out: list[Diagnostic] = []
            selected = set(self._always)
            for names, index in (
                (run.tags, self._by_element),
                (run.attributes, self._by_attribute),
            ):
                for name in index.keys() & names:  # a set intersection: no loop over names
                    selected.update(index[name])
            for number in sorted(selected):
                out.extend(self._run_pattern(run, self._patterns[number]))
            out.extend(run.error_diagnostics())
            return out
        finally:
            local.run = previous
            _regex_clock.left = previous_budget

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self._spec, self._use_lxml, self.rule_errors))

    def __repr__(self) -> str:
        return (
            f"<SchematronSchema {self.name!r} queryBinding={self.query_binding!r} "
            f"phase={self.phase!r} patterns={len(self._patterns)}>"
        )


def _rebuild(spec: _SchemaSpec, use_lxml: bool, rule_errors: Severity) -> SchematronSchema:
    return SchematronSchema(spec, use_lxml=use_lxml, rule_errors=rule_errors)


def load_schematron(
    path: Path,
    *,
    phase: str | None = None,
    tree: etree._ElementTree | None = None,
    rule_errors: Severity = Severity.ERROR,
) -> SchematronSchema:
    """Read and compile the ISO Schematron in *path* (a ``.sch`` file or a RELAX NG grammar).

    *phase* selects a ``sch:phase`` by id; ``None`` or ``#DEFAULT`` means the schema's
    ``defaultPhase`` (else all patterns), ``#ALL`` all patterns. A RELAX NG grammar without
    embedded Schematron gives a schema without patterns.

    :raises SchemaLoadError: the file cannot be read, is not a schema, or uses a feature
        that is not supported (an unknown ``queryBinding``, ``sch:let`` without ``@value``...).

    *tree*, if given, is the content of *path* already parsed (the RELAX NG loader's): it
    spares parsing a large grammar twice, and is not modified. *rule_errors* is the severity
    of a rule that could not be evaluated on a document (``sch.rule-error``).

    >>> from teikit.resources import schemas_dir
    >>> load_schematron(schemas_dir() / "teikit-letter.sch").query_binding
    'xslt'
    """
    return SchematronSchema(_read_spec(Path(path), phase, tree), rule_errors=rule_errors)
