"""Where the TEI source comes from: the bundled ``p5subset.xml``, ``@source``, chained
customisations and an OASIS XML catalog. teikit never downloads."""

from __future__ import annotations

import lzma
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final

from lxml import etree

from teikit.document import load
from teikit.errors import OddError
from teikit.odd.specs import (
    _error,
    _index,
    _Source,
    _t,
)

if TYPE_CHECKING:
    pass

#: The TEI release whose ``p5subset.xml`` ships with teikit.
BUNDLED_VERSION: Final = "4.9.0a"
_DATA: Final = Path(__file__).resolve().parent / "data"

_BUNDLED_CACHE: dict[str, bytes] = {}


def bundled_p5subset() -> bytes:
    """Return the bytes of the bundled TEI ``p5subset.xml`` (release :data:`BUNDLED_VERSION`)."""
    if BUNDLED_VERSION not in _BUNDLED_CACHE:
        path = _DATA / f"p5subset-{BUNDLED_VERSION}.xml.xz"
        try:
            _BUNDLED_CACHE[BUNDLED_VERSION] = lzma.decompress(path.read_bytes())
        except (OSError, lzma.LZMAError) as exc:  # pragma: no cover - broken installation
            raise OddError(f"the bundled TEI source {path} cannot be read: {exc}") from None
    return _BUNDLED_CACHE[BUNDLED_VERSION]


def _schema_spec(root: etree._Element, wanted: str | None, label: str) -> etree._Element:
    schemas = [s for s in root.iter(_t("schemaSpec"))]
    if wanted:
        schemas = [s for s in schemas if s.get("ident") == wanted]
    if not schemas:
        what = f"no schemaSpec ident={wanted!r}" if wanted else "no schemaSpec"
        raise OddError(f"{label}: {what}: this is not an ODD customisation")
    return schemas[0]


_VAULT: Final = "https://www.tei-c.org/Vault/P5/{}/xml/tei/odd/p5subset.xml"
_CATALOG_NS: Final = "urn:oasis:names:tc:entity:xmlns:xml:catalog"


def read_catalog(path: Path) -> dict[str, Path]:
    """Return the ``uri`` and ``system`` entries of the OASIS XML catalog *path*."""
    root = load(path).root
    entries: dict[str, Path] = {}
    for entry in root.iter(f"{{{_CATALOG_NS}}}uri", f"{{{_CATALOG_NS}}}system"):
        name = entry.get("name") or entry.get("systemId")
        target = entry.get("uri")
        if name and target:
            entries[name] = (path.parent / target).resolve()
    return entries


@dataclass
class _Sources:
    """Where TEI sources and external grammars are found: never on the network."""

    p5subset: bytes | Path | None
    catalog: dict[str, Path]
    label: str
    depth: int = 0
    loaded: dict[str, _Source] = field(default_factory=dict)
    inputs: list[Path] = field(default_factory=list)

    def locate(self, value: str, base: Path | None) -> Path | None:
        """Return the local file for URL or path *value*, ``None`` when there is none."""
        candidates = [value]
        match = re.fullmatch(r"tei:(\S+)", value)
        if match:
            candidates = [
                _VAULT.format(match.group(1)),
                _VAULT.format(match.group(1)).replace("https:", "http:"),
            ]
        for candidate in candidates:
            if candidate in self.catalog:
                return self.catalog[candidate]
            if candidate.replace("http:", "https:", 1) in self.catalog:
                return self.catalog[candidate.replace("http:", "https:", 1)]
        if value.startswith("file:"):
            return Path(value[len("file://") :])
        if "://" in value or value.startswith("tei:"):
            return None
        return Path(value) if base is None else base.parent / value

    def source(self, value: str, where: etree._Element, base: Path | None) -> _Source:
        """Return the TEI source that ``@source`` *value* names (the default when empty)."""
        value = value.strip()
        if not value:
            if self.p5subset is not None:
                return self._load(self.p5subset)
            return _bundled_source()
        local = self.locate(value, base)
        if local is not None:
            if not local.is_file():
                raise _error(f"@source {value!r}: no such file ({local})", where, self.label)
            return self._load(local)
        match = re.fullmatch(r"tei:(\S+)", value) or re.search(r"/Vault/P5/([^/]+)/", value)
        version = match.group(1) if match else None
        if self.p5subset is not None:
            return self._load(self.p5subset)
        if version in ("current", "latest", BUNDLED_VERSION):
            return _bundled_source()
        wanted = f"TEI {version}" if version else repr(value)
        raise _error(
            f"@source asks for {wanted}; teikit bundles TEI {BUNDLED_VERSION} and never "
            "downloads: give that release's p5subset.xml with --source (or map the URL in "
            "a --catalog)",
            where,
            self.label,
        )

    def _load(self, source: bytes | Path) -> _Source:
        key = str(source.resolve()) if isinstance(source, Path) else f"bytes:{hash(source)}"
        if isinstance(source, Path) and source.resolve() not in self.inputs:
            self.inputs.append(source.resolve())
        if key not in self.loaded:
            self.loaded[key] = _load_source(source, self, self.label, self.depth)
        return self.loaded[key]


_BUNDLED_SOURCE: list[_Source] = []


def _bundled_source() -> _Source:
    if not _BUNDLED_SOURCE:
        _BUNDLED_SOURCE.append(_index(load(bundled_p5subset(), name="p5subset.xml").root))
    return _BUNDLED_SOURCE[0]


def _load_source(source: bytes | Path, sources: _Sources, label: str, depth: int) -> _Source:
    document = load(source) if isinstance(source, Path) else load(source, name="p5subset.xml")
    root = document.root
    schemas = list(root.iter(_t("schemaSpec")))
    if any(s.find(_t("moduleRef")) is not None for s in schemas):
        # a chained customisation: compile the source ODD first, then use its specs
        if depth > 8:
            raise OddError(f"{label}: ODD sources chain more than 8 deep")
        inner = _Sources(sources.p5subset, sources.catalog, document.name, depth + 1)
        inner.inputs = sources.inputs  # one list: every file the compilation read
        from teikit.odd.compiler import _compile  # compiler.py imports this module

        compiled = _compile(document.root, document.path, inner, None)
        return _index(compiled.compiled.getroot())
    return _index(root)
