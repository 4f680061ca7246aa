"""Which schemas apply to a document, and where their local copies are.

Order (first that gives any schema wins):

1. ``--schema FILE`` (repeatable);
2. the ``<?xml-model?>`` processing instructions of the document (all of them);
3. ``schema = [...]`` in the configuration (``--config FILE``, else the ``teikit.toml`` or
   ``pyproject.toml`` ``[tool.teikit]`` found from the document's folder up to the project
   root: :mod:`teikit.config`);
4. TEI All (TEI P5 :data:`TEI_ALL_VERSION`, bundled with teikit, with its embedded
   Schematron): the default for other people's corpora (issue 12), said once per run.

Remote schema URLs are never fetched. A URL is mapped to a local file of the same name
found on the schema search path: the folders in ``TEIKIT_SCHEMA_PATH`` and teikit's own
schema store (filled by ``teikit schema add``); a declared local file that is missing is
looked for there too. Last, a schema teikit bundles stands in for a missing copy of itself:
``teikit-letter.rng``/``.sch``/``.xsd`` (a file copied out of ``examples/``) and TEI's
``tei_all.rng`` URLs; the run says so (``schema.bundled-copy``).
"""

from __future__ import annotations

import enum
import os
import re
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import unquote, urlparse

from teikit.errors import SchemaLoadError
from teikit.namespaces import RNG_NS, SCH_NS, XSD_NS
from teikit.resources import schemas_dir

if TYPE_CHECKING:
    from teikit.document import TeiDocument

__all__ = [
    "SchemaKind",
    "SchemaRef",
    "add_to_store",
    "HOW_TO_PROVIDE",
    "TEI_ALL_VERSION",
    "bundled_copy",
    "bundled_schemas",
    "config_schemas",
    "declared_schemas",
    "default_schemas",
    "resolve_href",
    "resolve_schema",
    "schema_search_path",
    "schema_store",
    "schemas_for",
]

_OLD_SCH_NS: Final = "http://www.ascc.net/xml/schematron"
_PSEUDO_ATTRIBUTE: Final = re.compile(r"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
BUNDLED_NAME: Final = "teikit-letter"
#: The TEI P5 release of the bundled ``tei_all.rng`` (see schemas/README.md).
TEI_ALL_VERSION: Final = "4.12.0"
TEI_ALL_NAME: Final = "tei_all.rng"
_BUNDLED_LETTER: Final = frozenset(f"{BUNDLED_NAME}{suffix}" for suffix in (".rng", ".sch", ".xsd"))
#: How to give teikit a schema it cannot find: every "not found" message ends with this.
HOW_TO_PROVIDE: Final = (
    "give the schema with --schema FILE, store a copy with `teikit schema add {name} FILE`, "
    "put the folder that holds it in TEIKIT_SCHEMA_PATH, or name one in teikit.toml "
    "(schema = [...])"
)


class SchemaKind(enum.Enum):
    """The schema languages teikit runs."""

    RELAXNG = "relaxng"
    XSD = "xsd"
    SCHEMATRON = "schematron"


@dataclass(frozen=True, slots=True)
class SchemaRef:
    """A schema to apply: a local file, its language and where the choice came from."""

    path: Path
    kind: SchemaKind
    origin: str  # "option", "xml-model", "config", "default" or "bundled"
    #: the line of the ``<?xml-model?>`` that named it (not part of its identity)
    line: int | None = field(default=None, compare=False)
    #: the ``href`` it was found from, for ``xml-model`` (the verdict cache maps it again)
    href: str | None = field(default=None, compare=False)
    #: the reference that named a missing schema for which teikit's bundled copy stands in
    substitute: str | None = field(default=None, compare=False)


def kind_from_suffix(path: Path) -> SchemaKind:
    """Return the schema language of *path* from its suffix.

    :raises SchemaLoadError: the suffix is not one teikit knows.
    """
    suffix = path.suffix.lower()
    if suffix in (".rng", ".odd"):  # an ODD is compiled to RELAX NG (teikit.odd.cache)
        return SchemaKind.RELAXNG
    if suffix == ".xsd":
        return SchemaKind.XSD
    if suffix in (".sch", ".isosch"):
        return SchemaKind.SCHEMATRON
    if suffix == ".rnc":
        raise SchemaLoadError(
            f"{path}: RELAX NG compact syntax is not supported; convert it with "
            f"`trang {path.name} {path.with_suffix('.rng').name}`"
        )
    raise SchemaLoadError(
        f"{path}: unknown schema type {suffix!r} (expected .rng, .odd, .xsd, .sch or .isosch)"
    )


def _kind_from_model(schematypens: str | None, path: Path) -> SchemaKind:
    if schematypens == RNG_NS:
        return SchemaKind.RELAXNG
    if schematypens == XSD_NS:
        return SchemaKind.XSD
    if schematypens in (SCH_NS, _OLD_SCH_NS):
        return SchemaKind.SCHEMATRON
    return kind_from_suffix(path)


def schema_store() -> Path:
    """Return teikit's own schema store (``$XDG_DATA_HOME/teikit/schemas``)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "teikit" / "schemas"


def schema_search_path() -> list[Path]:
    """Return the folders searched for local copies of remote schemas, in order."""
    folders = [Path(p) for p in os.environ.get("TEIKIT_SCHEMA_PATH", "").split(os.pathsep) if p]
    folders.append(schema_store())
    return folders


def add_to_store(name: str, source: Path) -> Path:
    """Copy *source* into the schema store under *name*; return the stored path.

    XSD files that import siblings by relative ``schemaLocation`` have those siblings
    copied along.

    :raises SchemaLoadError: *source* is not a readable file.
    """
    if not source.is_file():
        raise SchemaLoadError(f"{source}: no such schema file")
    if Path(name).name != name or not name:
        raise SchemaLoadError(f"{name!r}: a schema name is a plain file name such as tei_all.rng")
    store = schema_store()
    store.mkdir(parents=True, exist_ok=True)
    target = store / name
    shutil.copyfile(source, target)
    if source.suffix.lower() == ".xsd":
        text = source.read_text(encoding="utf-8", errors="replace")
        for location in re.findall(r'schemaLocation="([^"/:]+\.xsd)"', text):
            sibling = source.parent / location
            if sibling.is_file():
                shutil.copyfile(sibling, store / location)
    return target


# TEI publishes its schemas at stable URLs, e.g.
# https://www.tei-c.org/release/xml/tei/custom/schema/relaxng/tei_all.rng and
# https://www.tei-c.org/Vault/P5/4.12.0/xml/tei/custom/schema/xsd/tei_all.xsd
_TEI_URL: Final = re.compile(r"^https?://(www\.)?tei-c\.org/", re.IGNORECASE)


def resolve_href(href: str, base: Path | None) -> Path:
    """Return the local file for a schema reference *href* found in a document at *base*.

    :raises SchemaLoadError: a remote URL with no local copy, or a missing file.
    """
    parsed = urlparse(href)
    if parsed.scheme in ("http", "https", "ftp"):
        name = Path(unquote(parsed.path)).name
        for folder in schema_search_path():
            candidate = folder / name
            if candidate.is_file():
                return candidate
        known = " (a TEI schema)" if _TEI_URL.match(href) else ""
        raise SchemaLoadError(
            f"schema {href}{known} is remote, and teikit never downloads during validation: "
            f"save a copy, then {HOW_TO_PROVIDE.format(name=name)}"
        )
    if parsed.scheme == "file":
        local = Path(unquote(parsed.path))
    elif parsed.scheme and len(parsed.scheme) > 1:
        raise SchemaLoadError(f"schema {href}: unsupported URL scheme {parsed.scheme!r}")
    else:
        local = Path(unquote(href))
    if not local.is_absolute() and base is not None:
        local = base / local
    if not local.is_file():
        for folder in schema_search_path():  # a copy stored by name, as for a URL
            candidate = folder / local.name
            if local.name and candidate.is_file():
                return candidate
        raise SchemaLoadError(
            f"schema {href} not found (looked for {local}): "
            + HOW_TO_PROVIDE.format(name=local.name or "NAME")
        )
    return local


def bundled_copy(href: str) -> Path | None:
    """Return teikit's bundled copy of the schema *href* names, if teikit bundles it.

    ``teikit-letter.rng``, ``.sch`` and ``.xsd`` under any folder (a letter copied out of
    ``examples/`` keeps ``../schemas/teikit-letter.rng``), and TEI's own ``tei_all.rng``
    URLs (the bundled one is TEI P5 :data:`TEI_ALL_VERSION`).

    >>> bundled_copy("../schemas/teikit-letter.rng").name
    'teikit-letter.rng'
    >>> bundled_copy("https://www.tei-c.org/release/xml/tei/custom/schema/relaxng/tei_all.rng").name
    'tei_all.rng'
    >>> bundled_copy("schemas/tei_all.rng") is None  # a local tei_all.rng may be customised
    True
    """
    parsed = urlparse(href)
    name = Path(unquote(parsed.path)).name
    remote = parsed.scheme in ("http", "https")
    if name == TEI_ALL_NAME and remote and _TEI_URL.match(href):
        return schemas_dir() / TEI_ALL_NAME
    if name in _BUNDLED_LETTER and (remote or not parsed.scheme or parsed.scheme == "file"):
        return schemas_dir() / name
    return None


def resolve_schema(href: str, base: Path | None) -> tuple[Path, str | None]:
    """Return the local file for *href* and, when teikit's bundled copy stands in for a
    missing one, *href* (see :func:`bundled_copy`); else ``None``.

    :raises SchemaLoadError: as :func:`resolve_href`, when teikit bundles no copy either.
    """
    try:
        return resolve_href(href, base), None
    except SchemaLoadError:
        copy = bundled_copy(href)
        if copy is None or not copy.is_file():
            raise
        return copy, href


def declared_schemas(
    document: TeiDocument, problems: list[SchemaLoadError] | None = None
) -> list[SchemaRef]:
    """Return the schemas a document declares in ``<?xml-model?>`` processing instructions.

    With a *problems* list, a schema that cannot be found is added to it (its ``line`` set
    to the instruction's) and the others are still returned; without one, it is raised.

    :raises SchemaLoadError: a declared schema cannot be found locally.
    """
    from lxml import etree

    from teikit.document import source_line

    refs: list[SchemaRef] = []
    base = document.path.parent if document.path is not None else Path.cwd()
    node: Any = document.root.getprevious()
    instructions: list[etree._ProcessingInstruction] = []
    while node is not None:
        if isinstance(node, etree._ProcessingInstruction) and node.target == "xml-model":
            instructions.append(node)
        node = node.getprevious()
    for pi in reversed(instructions):
        attrs = {
            m.group(1): m.group(2) or m.group(3) or ""
            for m in _PSEUDO_ATTRIBUTE.finditer(pi.text or "")
        }
        href = attrs.get("href")
        if not href:
            continue
        try:
            path, substitute = resolve_schema(href, base)
        except SchemaLoadError as exc:
            exc.line = source_line(pi)
            if problems is None:
                raise
            problems.append(exc)
            continue
        kind = _kind_from_model(attrs.get("schematypens"), path)
        ref = SchemaRef(path, kind, "xml-model", source_line(pi), href=href, substitute=substitute)
        if ref not in refs:
            refs.append(ref)
    return refs


def _as_list(value: Any, source: Path) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    raise SchemaLoadError(f"{source}: 'schema' must be a file name or a list of file names")


def config_schemas(start: Path, config: Path | None = None) -> list[SchemaRef]:
    """Return the default schemas configured for files in folder *start*, if any.

    The configuration is *config* (``--config``), else the one found from *start* upward
    (:func:`teikit.config.discover`); its ``schema`` names files relative to its folder.

    :raises SchemaLoadError: the configuration cannot be read, or names no usable schema.
    """
    from teikit.config import ConfigError, config_for

    try:
        found = config_for(start, config)
    except ConfigError as exc:
        raise SchemaLoadError(str(exc)) from None
    if found is None or found.section("schema") is None:
        return []
    refs = []
    for name in _as_list(found.section("schema"), found.path):
        path, substitute = resolve_schema(name, found.path.parent)
        refs.append(SchemaRef(path, kind_from_suffix(path), "config", substitute=substitute))
    return refs


def default_schemas() -> list[SchemaRef]:
    """Return the schema for documents that name none: TEI All, bundled with teikit.

    Its embedded Schematron runs with it (unless ``--no-schematron``).
    """
    return [SchemaRef(schemas_dir() / TEI_ALL_NAME, SchemaKind.RELAXNG, "default")]


def bundled_schemas() -> list[SchemaRef]:
    """Return teikit's letter customisation (RELAX NG and Schematron), shipped with teikit.

    It applies where a document declares it or the configuration names it, never by default.
    """
    folder = schemas_dir()
    return [
        SchemaRef(folder / f"{BUNDLED_NAME}.rng", SchemaKind.RELAXNG, "bundled"),
        SchemaRef(folder / f"{BUNDLED_NAME}.sch", SchemaKind.SCHEMATRON, "bundled"),
    ]


def explicit_schemas(paths: Iterable[Path]) -> list[SchemaRef]:
    """Return references for schemas given on the command line."""
    refs = []
    for path in paths:
        if not path.is_file():
            raise SchemaLoadError(
                f"{path}: no such schema file; give the path of a .rng, .xsd or .sch file "
                "(`teikit schema list` shows the stored copies)"
            )
        refs.append(SchemaRef(path, kind_from_suffix(path), "option"))
    return refs


def schemas_for(
    document: TeiDocument,
    explicit: Sequence[SchemaRef] = (),
    problems: list[SchemaLoadError] | None = None,
    config: Path | None = None,
) -> list[SchemaRef]:
    """Return the schemas that apply to *document*, following the documented order.

    *problems* collects declared schemas that cannot be found (see :func:`declared_schemas`);
    a document that declares schemas never falls back to the configured or bundled ones.
    *config* is the configuration file named with ``--config`` (else one is searched for).
    """
    if explicit:
        return list(explicit)
    found: list[SchemaLoadError] = [] if problems is None else problems
    declared = declared_schemas(document, found)
    if declared or found:
        if found and problems is None:
            raise found[0]
        return declared
    start = document.path.parent if document.path is not None else Path.cwd()
    configured = config_schemas(start, config)
    if configured:
        return configured
    return default_schemas()
