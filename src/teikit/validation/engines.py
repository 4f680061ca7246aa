"""The engines of a run's schemas, compiled once per schema and reused across files.

:class:`CompiledSchemas` is the runner's memo of compiled schemas: each schema (by resolved
path, kind and origin) is compiled once, a schema that failed to compile fails once, and
with the verdict cache on the digests of the files a schema consists of are taken before
its engines read them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from teikit.diagnostics import Diagnostic, Severity
from teikit.errors import SchemaLoadError
from teikit.validation.cache import Digests, schema_dependencies
from teikit.validation.schemas import SchemaKind, SchemaRef

if TYPE_CHECKING:
    from teikit.document import TeiDocument
    from teikit.validation.runner import ValidationOptions

__all__ = ["CompiledSchemas", "Engine"]


class Engine(Protocol):
    """Anything that validates a loaded document."""

    def validate(self, document: TeiDocument) -> list[Diagnostic]:
        """Return the findings for *document*."""
        ...


class CompiledSchemas:
    """The engines of every schema of a run, each compiled once."""

    def __init__(
        self,
        options: ValidationOptions,
        digests: Digests,
        compile_odd: Callable[[Path], Path],
    ) -> None:
        """*compile_odd* turns an ODD file into the path of its compiled RELAX NG grammar."""
        self.options = options
        self._digests = digests
        self._compile_odd = compile_odd
        #: The element and attribute names of the run's files (for ``--specialize``).
        self.vocabulary: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())
        self._engines: dict[tuple[Path, SchemaKind, str], list[Engine]] = {}
        # Schemas are shared by the files of a run: resolve each once, not once per file
        # (a path's resolve() is a system call per component).
        self._keys: dict[Path, Path] = {}
        self._failed: dict[tuple[Path, SchemaKind, str], SchemaLoadError] = {}
        # For the verdict cache: the digests of the files each schema consists of, taken
        # before the engines read them (None: not cacheable).
        self._deps: dict[tuple[Path, SchemaKind, str], list[list[Any]] | None] = {}

    def key_of(self, ref: SchemaRef) -> tuple[Path, SchemaKind, str]:
        """Return the key of a schema's engines: its resolved path, kind and origin."""
        found = self._keys.get(ref.path)
        if found is None:
            found = self._keys[ref.path] = ref.path.resolve()
        return (found, ref.kind, ref.origin)

    def dependencies(self, ref: SchemaRef) -> list[list[Any]] | None:
        """Return ``[file, digest]`` of the files *ref* consists of (None: not cacheable)."""
        return self._deps.get(self.key_of(ref))

    def engines_for(self, ref: SchemaRef) -> list[Engine]:
        """Return the engines of *ref*, compiled on first use; raise what compiling raised."""
        key = self.key_of(ref)
        if key in self._failed:  # compile a broken schema once, not once per file
            raise self._failed[key]
        if key not in self._engines:
            if self.options.cache:  # digests before the engines read the files
                self._deps[key] = schema_dependencies(ref.path, self._digests)
            try:
                self._engines[key] = self._compile(ref)
            except SchemaLoadError as exc:
                self._failed[key] = exc
                raise
        return self._engines[key]

    def _compile(self, ref: SchemaRef) -> list[Engine]:
        engines: list[Engine] = []
        if ref.kind is SchemaKind.RELAXNG and ref.path.suffix.lower() == ".odd":
            ref = replace(ref, path=self._compile_odd(ref.path))
        if ref.kind is SchemaKind.RELAXNG:
            tree = None  # the grammar parsed once, for RELAX NG and its embedded Schematron
            if self.options.engine == "jing":
                from teikit.validation.relaxng import JingValidator

                engines.append(JingValidator(ref.path))
            else:
                from teikit.validation.relaxng import load_relaxng

                schema = load_relaxng(ref.path)
                tree = schema.tree
                if self.options.specialize:
                    engines.append(_SpecializedRelaxNG(schema, *self.vocabulary))
                else:
                    engines.append(schema.full_validator())
            if self.options.schematron:
                engines.extend(self._schematron(ref.path, embedded=True, tree=tree))
        elif ref.kind is SchemaKind.XSD:
            from teikit.validation.xsd import load_xsd

            engines.append(load_xsd(ref.path, engine=self.options.xsd_engine))
        elif self.options.schematron:
            engines.extend(self._schematron(ref.path, embedded=False))
        return engines

    def _schematron(self, path: Path, *, embedded: bool, tree: Any = None) -> list[Engine]:
        from teikit.validation.schematron import load_schematron

        key = (path.resolve(), SchemaKind.SCHEMATRON, "embedded")
        if embedded and key in self._engines:  # declared both as RELAX NG and as Schematron
            return []
        schema = load_schematron(
            path, tree=tree, rule_errors=Severity.parse(self.options.schematron_errors)
        )
        if embedded:
            self._engines[key] = [schema]
        return [schema] if len(schema.patterns) else []


class _SpecializedRelaxNG:
    """RELAX NG specialised to the run's vocabulary, widened if a document brings new names.

    The vocabulary holds the element and attribute names the scan of the run's files found
    (:func:`scan_vocabulary`); a document with a name the scan missed (or a file changed
    since) widens it, so a verdict never depends on the scan.
    """

    def __init__(self, schema: Any, vocabulary: frozenset[str], attributes: frozenset[str]) -> None:
        self._schema = schema
        self._vocabulary = vocabulary
        self._attributes = attributes
        self._validator = schema.validator_for(vocabulary, attributes) if vocabulary else None

    def validate(self, document: TeiDocument) -> list[Diagnostic]:
        """Validate with a grammar that covers every element and attribute name of *document*."""
        if self._validator is not None:
            try:
                result: list[Diagnostic] = self._validator.validate(document)
                return result
            except ValueError:  # the document has names outside the vocabulary
                pass
        elements, attributes = document.names()
        self._vocabulary = self._vocabulary | elements
        self._attributes = self._attributes | attributes
        self._validator = self._schema.validator_for(self._vocabulary, self._attributes)
        result = self._validator.validate(document)
        return result
