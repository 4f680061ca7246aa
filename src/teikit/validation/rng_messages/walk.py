"""One document's walk through the grammar, and the messages in Jing's words."""

from __future__ import annotations

from typing import Any
from xml.parsers import expat

from lxml import etree

from teikit.diagnostics import Diagnostic, Severity
from teikit.document import TeiDocument
from teikit.namespaces import TEI_NS
from teikit.validation.rng_messages.derive import _Engine
from teikit.validation.rng_messages.patterns import (
    _AFTER,
    _ATTRIBUTE,
    _CHOICE,
    _ELEMENT,
    _NOT_ALLOWED,
    _PREFIXES,
    CODE,
    _and_list,
    _contains,
    _NameClass,
    _or_list,
    _Pat,
    _QName,
    _qname,
)


class _Names:
    """Render the names of one message as Jing does.

    TEI and no-namespace names are bare (``"div"``), ``xml:`` names keep their prefix, and
    other namespaces get ``ns``, ``ns2``... declared at the end of the message. With a TEI
    grammar, an element in no namespace says so (``"TEI" (in no namespace)``).
    """

    def __init__(self, tei: bool = False) -> None:
        self.tei = tei
        self.declared: dict[str, str] = {}

    def name(self, qname: _QName, prefix: str | None = None, *, element: bool = True) -> str:
        """Return ``"local"`` or ``"prefix:local"`` (*prefix*: the document's own, if any)."""
        ns, local = qname
        if ns == "" and element and self.tei:
            return f'"{local}" (in no namespace)'
        if ns in ("", TEI_NS):
            return f'"{local}"'
        prefix = prefix or _PREFIXES.get(ns)
        if prefix is None:
            number = len(self.declared) + 1
            prefix = self.declared.setdefault(ns, "ns" if number == 1 else f"ns{number}")
        return f'"{prefix}:{local}"'

    def element(self, element: etree._Element) -> str:
        """Return the name of a document's element as the document writes it (as Jing).

        An element of another namespace without a prefix says which namespace it is in.
        """
        ns, local = _qname(element.tag)
        if ns not in ("", TEI_NS) and not element.prefix and ns not in _PREFIXES:
            return f'"{local}" (in namespace {ns})'
        return self.name((ns, local), element.prefix)

    def of_class(self, nc: _NameClass, element: bool = True) -> list[str]:
        """Return the names a name class stands for, rendered."""
        kind = nc[0]
        if kind == "name":
            return [self.name((nc[1], nc[2]), element=element)]
        if kind == "any":
            return ["any name"]
        if kind == "ns":
            return [f"any name in namespace {nc[1] or '(none)'}"]
        return self.of_class(nc[1], element) + self.of_class(nc[2], element)

    def suffix(self) -> str:
        """Return `` (with xmlns:ns="...")`` for the namespaces used, or ""."""
        if not self.declared:
            return ""
        pairs = " ".join(f'xmlns:{prefix}="{ns}"' for ns, prefix in self.declared.items())
        return f" (with {pairs})"


class _Positions:
    """Where elements, end tags and runs of text are in the file, read with expat."""

    def __init__(self) -> None:
        self.starts: list[tuple[int, int]] = []
        self.ends: dict[int, tuple[int, int]] = {}
        self.texts: dict[tuple[str, int], tuple[int, int]] = {}

    @classmethod
    def read(cls, data: bytes, count: int) -> _Positions | None:
        """Return the positions in *data*, or None unless it holds exactly *count* elements."""
        positions = cls()
        parser = expat.ParserCreate()
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        stack: list[int] = []
        slot: list[tuple[str, int]] = [("none", -1)]

        def start(_name: str, _attributes: dict[str, str]) -> None:
            index = len(positions.starts)
            positions.starts.append((parser.CurrentLineNumber, parser.CurrentColumnNumber + 1))
            stack.append(index)
            slot[0] = ("text", index)

        def end(_name: str) -> None:
            index = stack.pop()
            positions.ends[index] = (parser.CurrentLineNumber, parser.CurrentColumnNumber + 1)
            slot[0] = ("tail", index)

        def characters(data: str) -> None:
            if slot[0] in positions.texts:
                return
            stripped = data.lstrip()
            if not stripped:
                return
            skipped = data[: len(data) - len(stripped)]
            line = parser.CurrentLineNumber + skipped.count("\n")
            if "\n" in skipped:
                column = len(skipped) - skipped.rfind("\n")
            else:
                column = parser.CurrentColumnNumber + len(skipped) + 1
            positions.texts[slot[0]] = (line, column)

        parser.StartElementHandler = start
        parser.EndElementHandler = end
        parser.CharacterDataHandler = characters
        try:
            parser.Parse(data, True)
        except expat.ExpatError:
            return None
        return positions if len(positions.starts) == count else None


class Diagnoser:
    """Jing-like diagnostics for documents, from a flattened grammar (see the module doc)."""

    def __init__(self, grammar: etree._ElementTree) -> None:
        self._engine = _Engine(grammar)

    def diagnose(self, document: TeiDocument) -> list[Diagnostic]:
        """Return the faults of *document*, Jing's way, in document order."""
        return _Walk(self._engine, document).run()


class _Walk:
    """One document's walk through the grammar."""

    def __init__(self, engine: _Engine, document: TeiDocument) -> None:
        self.engine = engine
        self.document = document
        self.elements = list(document.root.iter(tag=etree.Element))
        self.index = {id(element): number for number, element in enumerate(self.elements)}
        self.positions: _Positions | None = None
        # A DOCTYPE's internal subset may declare entities, which expat would expand (teikit's
        # loader does not): positions are then left to libxml2's lines.
        if document.path is not None and document.tree.docinfo.internalDTD is None:
            try:
                data = document.path.read_bytes()
            except OSError:
                data = b""
            if data:
                self.positions = _Positions.read(data, len(self.elements))
        self.found: list[Diagnostic] = []

    def run(self) -> list[Diagnostic]:
        engine = self.engine
        state = self.element(engine.start, self.document.root, None)
        del state
        self.found.sort(key=lambda d: (d.line or 0, d.column or 0))
        return self.found

    # -- positions

    def where(self, element: etree._Element) -> tuple[int | None, int | None]:
        line = element.sourceline if isinstance(element.sourceline, int) else None
        if self.positions is not None:
            start_line, column = self.positions.starts[self.index[id(element)]]
            return (line or start_line), (column if start_line == line else None)
        return line, None

    def where_end(self, element: etree._Element) -> tuple[int | None, int | None]:
        if self.positions is not None:
            found = self.positions.ends.get(self.index[id(element)])
            if found is not None:
                return found
        return self.where(element)

    def where_text(
        self, slot: tuple[str, int], parent: etree._Element
    ) -> tuple[int | None, int | None]:
        if self.positions is not None:
            found = self.positions.texts.get(slot)
            if found is not None:
                return found
        if slot[0] == "tail":
            return self.where(self.elements[slot[1]])
        return self.where(parent)

    def report(
        self, message: str, where: tuple[int | None, int | None], node: Any, names: _Names
    ) -> None:
        message += names.suffix()
        path = node.getroottree().getpath(node) if node is not None else None
        self.found.append(
            Diagnostic(Severity.ERROR, CODE, message, self.document.name, where[0], where[1], path)
        )

    # -- the walk

    def expected(self, p: _Pat, names: _Names) -> str:
        end, text, classes = self.engine.expected(p)
        parts = []
        if end:
            parts.append("the element end-tag")
        if text:
            parts.append("text")
        rendered = sorted({name for nc in classes for name in names.of_class(nc)})
        if rendered:
            parts.append(f"element {_or_list(rendered)}")
        return f"expected {_or_list(parts)}" if parts else "nothing more allowed"

    def element(self, p: _Pat, element: etree._Element, parent: etree._Element | None) -> _Pat:
        """Walk *element* from parent state *p*; return the parent's state after it."""
        engine = self.engine
        qname = _qname(element.tag)
        where = self.where(element)
        d = engine.start_open(p, qname)
        if d.kind == _NOT_ALLOWED:
            names = _Names(self.engine.tei)
            subject = f"element {names.element(element)}"
            inside = (
                f" in element {names.element(parent)}"
                if parent is not None
                else " as the root element"
            )
            recovered = engine.start_open(p, qname, recover=True)
            if recovered.kind != _NOT_ALLOWED:
                reason = self.missing(engine.required(p, _ELEMENT), "element", names)
                reason = reason or self.expected(p, names)
                self.report(f"{subject} not allowed yet{inside}; {reason}", where, element, names)
                d = recovered
            else:
                definitions = engine.elements_named(qname)
                allowed = "here" if definitions else "anywhere"
                reason = self.expected(p, names)
                self.report(
                    f"{subject} not allowed {allowed}{inside}; {reason}", where, element, names
                )
                if not definitions:
                    return p
                d = engine.after(engine.choice(*(engine.content(x) for x in definitions)), p)
        d = self.attributes(d, element, where)
        closed = engine.start_close(d)
        if closed.kind == _NOT_ALLOWED:
            names = _Names(self.engine.tei)
            subject = f"element {names.element(element)}"
            reason = self.missing(engine.required(d, _ATTRIBUTE), "attribute", names)
            if not reason:
                listed = sorted(
                    {n for a in engine.attributes(d) for n in names.of_class(a.info, False)}
                )
                reason = "missing one or more required attributes; expected attribute " + _or_list(
                    listed
                )
            self.report(f"{subject} {reason}", where, element, names)
            closed = engine.start_close(d, recover=True)
        d = self.children(closed, element)
        ended = engine.end_tag(d)
        if ended.kind == _NOT_ALLOWED:
            names = _Names(self.engine.tei)
            subject = f"element {names.element(element)}"
            content = engine.choice(
                *(
                    item.a
                    for item in (d.items if d.kind == _CHOICE else (d,))
                    if item.kind == _AFTER
                )
            )
            reason = self.missing(engine.required(content, _ELEMENT), "element", names)
            reason = reason or self.expected(d, names)
            self.report(f"{subject} incomplete; {reason}", self.where_end(element), element, names)
            ended = engine.end_tag(d, recover=True)
        return ended

    @staticmethod
    def missing(required: frozenset[_QName], what: str, names: _Names) -> str:
        """Return ``missing required element "x"`` (or attributes...), or "" for none."""
        if not required:
            return ""
        plural = "s" if len(required) > 1 else ""
        return f"missing required {what}{plural} " + _and_list(
            sorted(names.name(m, element=what == "element") for m in required)
        )

    def attributes(
        self, d: _Pat, element: etree._Element, where: tuple[int | None, int | None]
    ) -> _Pat:
        """Walk the attributes of *element*; report each one the state does not accept."""
        engine = self.engine
        for key, value in element.attrib.items():
            qname = _qname(str(key))
            after = engine.attribute(d, qname, str(value))
            if after.kind != _NOT_ALLOWED:
                d = after
                continue
            names = _Names(self.engine.tei)
            attribute = names.name(qname, element=False)
            name = names.element(element)
            candidates = engine.attributes(d)
            matching = [a for a in candidates if _contains(a.info, qname)]
            if matching:
                content = engine.choice(*(a.a for a in matching))
                message = (
                    f"value of attribute {attribute} of element {name} is invalid; "
                    f"{engine.describe_content(content)}"
                )
                # As Jing does: the attribute counts as given, so it is not also "missing".
                d = engine.attribute(d, qname, None)
            else:
                listed = sorted({n for a in candidates for n in names.of_class(a.info, False)})
                expected = (
                    f"expected attribute {_or_list(listed)}" if listed else "no more expected"
                )
                message = f"attribute {attribute} not allowed here on element {name}; {expected}"
            self.report(message, where, element, names)
        return d

    def children(self, d: _Pat, element: etree._Element) -> _Pat:
        """Walk the content of *element* from state *d*; return the state at its end tag."""
        engine = self.engine
        own = ("text", self.index[id(element)])
        if not any(isinstance(child.tag, str) for child in element):
            text = "".join(_texts(element))
            after = engine.text_deriv(d, text)
            if not text.strip():
                after = engine.choice(d, after)
                if engine.end_tag(after).kind != _NOT_ALLOWED or engine.plain(d):
                    return after  # complete, or an "incomplete" finding at the end tag
            elif after.kind != _NOT_ALLOWED:
                return after
            if not self.text_fault(d, text, own, element):
                return d
            return engine.completed(d)  # as Jing: the bad value counts as the content
        # Runs of text between child elements; whitespace-only runs are ignored (4.2).
        chunks: list[tuple[tuple[str, int], str]] = []
        slot, buffer = own, [element.text or ""]
        for child in element:
            if isinstance(child.tag, str):
                chunks.append((slot, "".join(buffer)))
                chunks.append((("element", self.index[id(child)]), ""))
                slot, buffer = ("tail", self.index[id(child)]), []
            elif isinstance(child, etree._Entity):
                buffer.append(child.text or "&")
            buffer.append(child.tail or "")
        chunks.append((slot, "".join(buffer)))
        for (kind, number), text in chunks:
            if kind == "element":
                d = self.element(d, self.elements[number], element)
            elif text.strip():
                after = engine.text_deriv(d, text)
                if after.kind == _NOT_ALLOWED:
                    self.text_fault(d, text, (kind, number), element)
                else:
                    d = after
        return d

    def text_fault(
        self, d: _Pat, text: str, slot: tuple[str, int], element: etree._Element
    ) -> bool:
        """Report text that state *d* does not accept; return whether it was a value."""
        engine = self.engine
        names = _Names(engine.tei)
        name = names.element(element)
        where = self.where_text(slot, element)
        if engine.plain(d):
            message = f"text not allowed here in element {name}; {self.expected(d, names)}"
            self.report(message, where, element, names)
            return False
        content = engine.choice(
            *(item.a for item in (d.items if d.kind == _CHOICE else (d,)) if item.kind == _AFTER)
        )
        reason = engine.describe_content(content)
        if reason == "is not allowed":
            reason = self.expected(d, names)
        self.report(f"character content of element {name} invalid; {reason}", where, element, names)
        return True


def _texts(element: etree._Element) -> list[str]:
    """Return the text of an element without element children (comments and PIs skipped)."""
    parts = [element.text or ""]
    for child in element:
        if isinstance(child, etree._Entity):
            parts.append(child.text or "&")
        parts.append(child.tail or "")
    return parts
