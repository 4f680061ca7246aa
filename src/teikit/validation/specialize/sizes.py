"""Reading schema files and bounding what a schema expands to (issue 17)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Final, TypeVar
from urllib.parse import urljoin, urlsplit

from lxml import etree

from teikit.document import make_parser
from teikit.errors import FileRefusedError, SchemaLoadError, TeikitError
from teikit.sources import ReadPolicy, read_policy, read_regular_file
from teikit.validation.specialize.common import (
    _R,
    MAX_CONTENT_PATTERNS,
    MAX_EXPANDED_PATTERNS,
    MAX_PATTERNS,
    _local,
    _url_to_path,
)


def read_schema_file(path: Path) -> bytes:
    """Return the bytes of the schema file *path*: a regular file (a link is followed), never
    a FIFO, a device or a file in ``/proc``, within the size limit.

    :raises SchemaLoadError: the file is not a regular file (a FIFO named by an ``include``
        hung the run, also under Jing, and ``/dev/zero`` filled the memory), too large, or
        in an encoding teikit refuses (UTF-7).
    :raises OSError: the file is missing or cannot be read.
    """
    policy = ReadPolicy(follow_symlinks=True, max_file_size=read_policy().max_file_size)
    try:
        data = read_regular_file(path, policy)
    except FileRefusedError as exc:
        raise SchemaLoadError(str(exc)) from None
    except TeikitError as exc:  # missing: what the callers expect of a file they cannot read
        raise OSError(str(exc)) from None
    from teikit.encodings import refusal

    why = refusal(data)
    if why is not None:  # a schema is input too: UTF-7 could hide markup in it (issue 17)
        raise SchemaLoadError(f"{path}: {why}")
    return data


def check_expansion(path: Path) -> int:
    """Return how many patterns the schema at *path* has with every include inlined.

    Each file is read once; the count is what inlining every ``include`` and
    ``externalRef`` copy would produce (what Jing does), so a diamond of includes is
    measured without being expanded. Files that cannot be read count as empty (the engine
    reports them).

    :raises SchemaLoadError: the count exceeds :data:`MAX_PATTERNS`.
    """
    start = Path(path).resolve()
    own: dict[Path, int] = {}
    edges: dict[Path, list[Path]] = {}
    todo = [start]
    while todo:  # read every file once
        current = todo.pop()
        if current in own:
            continue
        own[current], edges[current] = 0, []
        try:
            data = read_schema_file(current)
            root = etree.fromstring(data, make_parser()[0], base_url=str(current))
        except (OSError, etree.XMLSyntaxError):
            continue
        own[current] = sum(1 for _ in root.iter())
        for reference in root.iter(f"{_R}include", f"{_R}externalRef"):
            href = (reference.get("href") or "").strip()
            base = reference.base or str(current)
            if not href or urlsplit(urljoin(base, href)).scheme not in ("", "file"):
                continue
            try:
                target = _url_to_path(urljoin(base, href))
            except SchemaLoadError:
                continue
            edges[current].append(target)
            todo.append(target)
    # Sizes in reverse topological order; a cycle counts once (the engine refuses it).
    total = _expanded_sizes([start], own, edges)[start]
    if total > MAX_PATTERNS:  # no file reached from the start counts more than the start
        raise SchemaLoadError(_too_large(str(path)))
    return total


_Node = TypeVar("_Node", bound=Hashable)
_SIZE_CAP: Final = 1 << 62  # sizes stop growing here: a blown-up schema is refused anyway


def _expanded_sizes(
    roots: Iterable[_Node], own: Mapping[_Node, int], edges: Mapping[_Node, Sequence[_Node]]
) -> dict[_Node, int]:
    """Return the size of every node reached from *roots* with its edges expanded: its own
    size plus the expanded sizes of its targets, each counted as often as it is referred to.

    Children are sized before their parents, without recursion; an edge back into the path
    being walked (a cycle) counts nothing, so no node counts more than a root it is reached
    from. Sizes stop at :data:`_SIZE_CAP`.

    >>> sizes = _expanded_sizes(["a"], {"a": 1, "b": 2}, {"a": ["b", "b"], "b": ["a"]})
    >>> sizes["a"], sizes["b"]
    (5, 2)
    """
    size: dict[_Node, int] = {}
    for root in roots:
        if root in size:
            continue
        stack: list[tuple[_Node, int]] = [(root, 0)]
        active = {root}
        while stack:
            node, index = stack[-1]
            targets = edges[node]
            if index < len(targets):
                stack[-1] = (node, index + 1)
                target = targets[index]
                if target not in size and target not in active:
                    stack.append((target, 0))
                    active.add(target)
                continue
            stack.pop()
            active.discard(node)
            size[node] = min(own[node] + sum(size.get(t, 0) for t in targets), _SIZE_CAP)
    return size


def _too_large(schema: str) -> str:
    return (
        f"{schema}: the schema expands to more than {MAX_PATTERNS:,} patterns through include "
        "and externalRef (files included over and over, as in a diamond of includes): refused"
    )


def check_grammar_size(grammar: etree._ElementTree, schema: str = "<schema>") -> int:
    """Return how many patterns libxml2 builds for a flat *grammar* (refs expanded).

    Only a ``ref`` to a define whose body is one element pattern stays a reference in
    libxml2; every other ``ref`` counts the patterns of its define again.

    :raises SchemaLoadError: the content of one element (or ``start``) expands to more than
        :data:`MAX_CONTENT_PATTERNS` patterns, or the grammar to more than
        :data:`MAX_EXPANDED_PATTERNS`.
    """
    root = grammar.getroot()
    bodies = {d.get("name", ""): list(d) for d in root.iterchildren(f"{_R}define")}
    shared = {n for n, body in bodies.items() if len(body) == 1 and _local(body[0]) == "element"}
    own: dict[str, int] = {}
    refs: dict[str, list[str]] = {}
    for name, body in bodies.items():
        own[name] = sum(1 for pattern in body for _ in pattern.iter())
        refs[name] = [
            target
            for pattern in body
            for ref in pattern.iter(f"{_R}ref")
            if (target := ref.get("name", "")) in bodies and target not in shared
        ]
    # Expanded sizes of the defines, children first (a cycle outside elements counts once:
    # libxml2 refuses it anyway).
    size = _expanded_sizes(bodies, own, refs)
    units = [("start", list(root.iterchildren(f"{_R}start")))]
    units.extend((f"element of define {n!r}", bodies[n]) for n in shared)
    total = 0
    for label, patterns in units:
        count = 0
        for pattern in patterns:
            for node in pattern.iter():
                count += 1
                if node.tag == f"{_R}ref" and node.get("name", "") not in shared:
                    count += size.get(node.get("name", ""), 0)
        if count > MAX_CONTENT_PATTERNS:
            raise SchemaLoadError(
                f"{schema}: the {label} expands to more than {MAX_CONTENT_PATTERNS:,} patterns "
                "(defines that refer to the same patterns over and over): refused"
            )
        total += count
        if total > MAX_EXPANDED_PATTERNS:
            raise SchemaLoadError(
                f"{schema}: the grammar expands to more than {MAX_EXPANDED_PATTERNS:,} "
                "patterns: refused"
            )
    return total
