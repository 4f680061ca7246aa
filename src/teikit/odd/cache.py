"""Compiled ODDs kept on disk, so that ``teikit validate --schema project.odd`` compiles once.

The key is the SHA-256 of the ODD's bytes, of the bundled TEI source and of teikit's version.
Beside each grammar a manifest lists the other files the compilation read (a local
``p5subset.xml``, a source ODD, external grammars) with their digests, and the digest of the
grammar itself; an entry whose manifest does not match any more, or that cannot be read, is
compiled again. The grammar is written as it is, for the RELAX NG loader to read; the
manifest is sealed like every cache entry (see :mod:`teikit.resources`), so a grammar
replaced in the cache folder does not match it and is never used (issue 17).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Final

from teikit.__about__ import __version__
from teikit.errors import OddError, SchemaLoadError, TeikitError
from teikit.namespaces import RNG_NS
from teikit.resources import cache_dir, read_cache_json, write_cache_file

__all__ = ["compiled_schema"]

_FORMAT: Final = b"teikit-odd-cache-1\0"


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _bundled_digest() -> str:
    from teikit.odd.sources import _DATA, BUNDLED_VERSION

    found = _digest(_DATA / f"p5subset-{BUNDLED_VERSION}.xml.xz")
    return found or "missing"


def _fresh(target: Path, manifest: Path) -> bool:
    """Tell whether the cached grammar *target* is complete and its inputs unchanged."""
    recorded = read_cache_json(manifest)
    if not isinstance(recorded, dict) or not isinstance(recorded.get("inputs"), dict):
        return False
    for name, digest in recorded["inputs"].items():
        if _digest(Path(name)) != digest:
            return False
    try:
        grammar = target.read_bytes()
    except OSError:
        return False
    if hashlib.sha256(grammar).hexdigest() != recorded.get("rng"):
        return False  # replaced or damaged since it was written
    return f'xmlns="{RNG_NS}"'.encode() in grammar[:4096]


def compiled_schema(odd: Path) -> Path:
    """Return a RELAX NG file compiled from the ODD *odd*, compiling it only when needed.

    :raises SchemaLoadError: the ODD cannot be read or compiled (the message says why).
    """
    from teikit.odd.compiler import compile_odd

    try:
        data = odd.read_bytes()
    except OSError as exc:
        raise SchemaLoadError(f"{odd}: cannot read ODD: {exc.strerror or exc}") from None
    key = hashlib.sha256(_FORMAT + __version__.encode() + b"\0")
    key.update(_bundled_digest().encode() + b"\0" + str(odd.resolve()).encode() + b"\0" + data)
    folder = cache_dir() / "odd"
    target = folder / f"{key.hexdigest()}.rng"
    manifest = folder / f"{key.hexdigest()}.json"
    if _fresh(target, manifest):
        return target
    try:
        compiled = compile_odd(odd)
    except OddError as exc:
        raise SchemaLoadError(f"cannot compile ODD: {exc}") from None
    except TeikitError as exc:
        raise SchemaLoadError(f"{odd}: cannot compile ODD: {exc}") from None
    inputs = {str(p): _digest(p) for p in compiled.inputs}
    grammar = compiled.rng_bytes()
    record = {"odd": str(odd), "inputs": inputs, "rng": hashlib.sha256(grammar).hexdigest()}
    if write_cache_file(target, grammar, sealed=False) and write_cache_file(
        manifest, json.dumps(record).encode()
    ):
        return target
    # no writable cache: a private temporary file, removed when the process ends
    import atexit
    import tempfile

    try:
        handle, name = tempfile.mkstemp(suffix=".rng", prefix="teikit-odd-")
        with open(handle, "wb") as stream:
            stream.write(grammar)
    except OSError as exc:
        raise SchemaLoadError(f"{odd}: nowhere to keep the compiled grammar: {exc}") from None
    atexit.register(Path(name).unlink, missing_ok=True)
    return Path(name)
