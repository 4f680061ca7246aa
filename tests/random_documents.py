"""Random documents generated from a RELAX NG grammar (test helper, not a test module).

``RandomInstances`` writes documents that follow ``schemas/teikit-letter.rng`` (moved here from
``tests/test_schema.py``, unchanged). ``GrammarInstances`` generalises it to the grammars the TEI
Stylesheets produce (``start``, namespaces, name classes, interleave, mixed, every XSD datatype
TEI uses, pattern facets), and ``mutations`` makes invalid variants of a document, for the
equivalence of compiled ODDs with the reference grammars by verdicts (``tests/test_odd_random.py``).
"""

from __future__ import annotations

import copy
import random
from collections.abc import Iterator
from pathlib import Path

import regex
from lxml import etree

RNG_NS = "http://relaxng.org/ns/structure/1.0"
TEI_NS = "http://www.tei-c.org/ns/1.0"
XML_NS = "http://www.w3.org/XML/1998/namespace"
FOREIGN_NS = "urn:example:not-tei"
RNG_PREFIX = f"{{{RNG_NS}}}"

# One valid value per datatype used by teikit-letter.rng.
SAMPLE_VALUES = {
    "anyURI": "#pointer",
    "token": "word",
    "date": "1952-02-29",
    "gYearMonth": "1951-07",
    "gYear": "1951",
    "decimal": "2.5",
    "positiveInteger": "1",
    "nonNegativeInteger": "0",
    "language": "en",
    "string": "n1",
}


class RandomInstances:
    """Write random documents that follow teikit-letter.rng (to check them against TEI All).

    Repetitions and options are taken at random; from ``max_depth`` on, the generator takes
    the cheapest way out of every choice and repetition, so that every document is finite.
    """

    def __init__(self, rng_path: Path, seed: int, max_depth: int = 7) -> None:
        parser = etree.XMLParser(remove_comments=True, remove_blank_text=True)
        grammar = etree.parse(str(rng_path), parser).getroot()
        self.defines = {d.get("name"): d for d in grammar.iter(f"{{{RNG_NS}}}define")}
        # Costs are cached by id(node): keep every proxy alive so that lxml hands out the
        # same object for a node each time and no id() is recycled (else the "seeded"
        # documents depended on memory addresses and the test was flaky).
        self._alive = list(grammar.iter())
        self.random = random.Random(seed)
        self.max_depth = max_depth
        self.ids: list[str] = []
        self.costs: dict[int, int] = {}

    @staticmethod
    def patterns(node: etree._Element) -> list[etree._Element]:
        return [child for child in node if isinstance(child.tag, str)]

    def cost(self, node: etree._Element, active: frozenset[int] = frozenset()) -> int:
        """Return the number of elements in the smallest instance of *node*."""
        if id(node) in self.costs:
            return self.costs[id(node)]
        if id(node) in active:
            return 10**6
        active |= {id(node)}
        kind, children = etree.QName(node).localname, self.patterns(node)
        if kind == "ref":
            result = self.cost(self.defines[node.get("name")], active)
        elif kind == "choice":
            result = min(self.cost(child, active) for child in children)
        elif kind in ("optional", "zeroOrMore", "attribute", "text", "data", "value", "empty"):
            result = 0
        else:  # element, group, oneOrMore, define
            result = (kind == "element") + sum(self.cost(child, active) for child in children)
        self.costs[id(node)] = result
        return result

    def document(self) -> etree._ElementTree:
        """Return a new random document."""
        self.ids.clear()
        holder = etree.Element("holder")
        self.content(self.defines["TEI"], holder, {}, 0)
        root = holder[0]
        for element in root.iter():  # point every pointer at an element that exists
            for name, value in element.attrib.items():
                if "#pointer" in value:
                    element.set(name, value.replace("#pointer", f"#{self.random.choice(self.ids)}"))
        return etree.ElementTree(root)

    def repetitions(self, kind: str, depth: int) -> int:
        least = int(kind == "oneOrMore")
        if depth >= self.max_depth:
            return least
        return self.random.randint(least, 1 if kind == "optional" else least + 2)

    def content(
        self, node: etree._Element, parent: etree._Element, attrs: dict[str, str], depth: int
    ) -> None:
        """Add a random instance of the pattern *node* to *parent* and *attrs*."""
        kind, children = etree.QName(node).localname, self.patterns(node)
        if kind == "ref":
            self.content(self.defines[node.get("name")], parent, attrs, depth)
        elif kind in ("define", "group"):
            for child in children:
                self.content(child, parent, attrs, depth)
        elif kind in ("optional", "zeroOrMore", "oneOrMore"):
            for _ in range(self.repetitions(kind, depth)):
                for child in children:
                    self.content(child, parent, attrs, depth)
        elif kind == "choice":
            if depth < self.max_depth:
                pick = self.random.choice(children)
            else:
                pick = min(children, key=self.cost)
            self.content(pick, parent, attrs, depth)
        elif kind == "element":
            element = etree.SubElement(parent, f"{{{TEI_NS}}}{node.get('name')}")
            own: dict[str, str] = {}
            for child in children:
                self.content(child, element, own, depth + 1)
            for name, value in own.items():
                element.set(f"{{{XML_NS}}}{name[4:]}" if name.startswith("xml:") else name, value)
        elif kind == "attribute":
            attrs[node.get("name")] = " ".join(self.values(children[0]))
        elif kind == "data" or (kind == "text" and self.random.random() < 0.5):
            word = self.values(node)[0] if kind == "data" else "text "
            if len(parent):
                parent[-1].tail = (parent[-1].tail or "") + word
            else:
                parent.text = (parent.text or "") + word

    def values(self, node: etree._Element) -> list[str]:
        """Return the tokens of a random value of the datatype pattern *node*."""
        kind, children = etree.QName(node).localname, self.patterns(node)
        if kind == "ref":
            return self.values(self.patterns(self.defines[node.get("name")])[0])
        if kind == "value":
            return [node.text or ""]
        if kind == "choice":
            return self.values(self.random.choice(children))
        if kind in ("list", "oneOrMore"):
            return [token for child in children for token in self.values(child)]
        datatype, facet = node.get("type"), node.findtext(f"{{{RNG_NS}}}param") or ""
        if datatype == "ID":
            self.ids.append(f"id{len(self.ids)}")
            return [self.ids[-1]]
        if datatype == "token" and facet.startswith("[\\d]"):
            return ["4.12"]  # TEI/@version
        if datatype == "string" and facet:
            return ["37.97 126.55"]  # geo
        return [SAMPLE_VALUES[datatype]]


#: Candidate values per XSD datatype; the first that matches a pattern facet is taken.
CANDIDATES: dict[str, list[str]] = {
    "anyURI": ["#pointer", "http://example.org/a", "a.xml"],
    "token": ["word", "1", "a-b", "en", "#pointer", "2.5", "x y"],
    "NCName": ["word", "a1"],
    "Name": ["word", "a:b"],
    "QName": ["word"],
    "NMTOKEN": ["word"],
    "string": ["text", "1", "37.97 126.55", "a"],
    "normalizedString": ["text"],
    "date": ["1999-02-28", "1952-02-29"],
    "dateTime": ["1999-07-03T10:00:00"],
    "time": ["10:00:00"],
    "gYearMonth": ["1951-07"],
    "gYear": ["1951"],
    "gMonthDay": ["--07-03"],
    "gMonth": ["--07"],
    "gDay": ["---03"],
    "duration": ["P1D"],
    "decimal": ["0.5", "2.5"],
    "double": ["0.5", "2.5"],
    "float": ["0.5"],
    "integer": ["1", "-1"],
    "int": ["1"],
    "long": ["1"],
    "short": ["1"],
    "byte": ["1"],
    "positiveInteger": ["1"],
    "nonNegativeInteger": ["0", "1"],
    "nonPositiveInteger": ["0"],
    "negativeInteger": ["-1"],
    "boolean": ["true", "false"],
    "language": ["en", "de-AT"],
    "ID": [],  # made unique on demand
    "IDREF": [],
    "IDREFS": [],
}
_FALLBACK = ["word", "1", "a", "x1", "2.5", "1951", "#pointer", "text", "1/2", "1cm", "1,2"]
_PATTERNS: dict[str, regex.Pattern[str] | None] = {}


def _matches(pattern: str, value: str) -> bool:
    """Tell whether *value* matches the XSD *pattern* (anchored; unknown syntax: True)."""
    if pattern not in _PATTERNS:
        try:
            _PATTERNS[pattern] = regex.compile(pattern.replace("\\c", "[\\w.:-]"))
        except regex.error:
            _PATTERNS[pattern] = None
    compiled = _PATTERNS[pattern]
    return compiled is None or compiled.fullmatch(value) is not None


class GrammarInstances(RandomInstances):
    """Random documents of any RELAX NG grammar in XML syntax (one file, no includes).

    Begins at the grammar's ``start``. Elements named by a name class get a foreign name (or
    one of the ``nsName``); attributes named by one are left out. After ``budget`` elements
    a document takes the cheapest way out everywhere, so that it stays small.
    """

    def __init__(self, rng_path: Path, seed: int, max_depth: int = 6, budget: int = 150) -> None:
        self._patterns: dict[int, list[etree._Element]] = {}
        super().__init__(rng_path, seed, max_depth)
        grammar = self._alive[0]
        self.start = grammar.find(f"{{{RNG_NS}}}start")
        self.budget = budget
        self.made = 0
        self.names = sorted(
            {e.get("name", "") for e in grammar.iter(f"{{{RNG_NS}}}element") if e.get("name")}
        )

    def patterns(self, node: etree._Element) -> list[etree._Element]:  # type: ignore[override]
        """Return the RELAX NG children of *node* (not annotations, not Schematron)."""
        found = self._patterns.get(id(node))
        if found is None:
            found = [c for c in node if isinstance(c.tag, str) and c.tag.startswith(RNG_PREFIX)]
            self._patterns[id(node)] = found
        return found

    def possible(self, children: list[etree._Element]) -> list[etree._Element]:
        """Return the *children* that have an instance (not notAllowed), or all of them."""
        return [c for c in children if self.cost(c) < 10**6] or children

    def cost(self, node: etree._Element, active: frozenset[int] = frozenset()) -> int:
        kind = etree.QName(node).localname
        if kind == "notAllowed":
            return 10**6
        if kind in ("interleave", "mixed", "list"):
            children = self.patterns(node)
            key = id(node)
            if key not in self.costs:
                self.costs[key] = sum(self.cost(c, active | {key}) for c in children)
            return self.costs[key]
        if kind == "element" and not node.get("name"):
            return 1
        return super().cost(node, active)

    def document(self) -> etree._ElementTree:
        """Return a new random document."""
        self.ids.clear()
        self.made = 0
        holder = etree.Element("holder")
        assert self.start is not None
        self.content(self.start, holder, {}, 0)
        root = holder[0]
        for element in root.iter():
            for name, value in element.attrib.items():
                if "#pointer" in value and self.ids:
                    element.set(name, value.replace("#pointer", f"#{self.random.choice(self.ids)}"))
        return etree.ElementTree(root)

    def repetitions(self, kind: str, depth: int) -> int:
        if self.made >= self.budget:
            return int(kind == "oneOrMore")
        return super().repetitions(kind, depth)

    @staticmethod
    def _ns(node: etree._Element) -> str:
        for candidate in (node, *node.iterancestors()):
            if candidate.get("ns") is not None:
                return candidate.get("ns", "")
        return ""

    def content(
        self, node: etree._Element, parent: etree._Element, attrs: dict[str, str], depth: int
    ) -> None:
        kind, children = etree.QName(node).localname, self.patterns(node)
        if kind in ("start", "interleave", "mixed"):
            for child in children:
                self.content(child, parent, attrs, depth)
        elif kind == "choice":
            if self.made >= self.budget or depth >= self.max_depth:
                self.content(min(children, key=self.cost), parent, attrs, depth)
            else:
                self.content(self.random.choice(self.possible(children)), parent, attrs, depth)
        elif kind == "element":
            self.made += 1
            name = node.get("name")
            if name is None:
                name_class, children = children[0], children[1:]
                if etree.QName(name_class).localname == "name":
                    tag = f"{{{name_class.get('ns', self._ns(name_class))}}}{name_class.text}"
                elif etree.QName(name_class).localname == "nsName":
                    tag = f"{{{name_class.get('ns')}}}any"
                else:
                    tag = f"{{{FOREIGN_NS}}}any"
            elif ":" in name:
                prefix, local = name.split(":", 1)
                tag = f"{{{node.nsmap.get(prefix, XML_NS)}}}{local}"
            else:
                ns = self._ns(node)
                tag = f"{{{ns}}}{name}" if ns else name
            element = etree.SubElement(parent, tag)
            own: dict[str, str] = {}
            for child in children:
                self.content(child, element, own, depth + 1)
            for att, value in own.items():
                element.set(att, value)
        elif kind == "attribute":
            name = node.get("name")
            if name is None:
                return  # a name class (anyName): no attribute is needed
            if name.startswith("xml:"):
                name = f"{{{XML_NS}}}{name[4:]}"
            elif node.get("ns"):
                name = f"{{{node.get('ns')}}}{name}"
            attrs[name] = " ".join(self.values(children[0])) if children else "text"
        elif kind == "value":
            self._text(parent, node.text or "")
        elif kind == "list":
            self._text(parent, " ".join(t for c in children for t in self.values(c)))
        elif kind in ("notAllowed", "empty"):
            return
        else:
            super().content(node, parent, attrs, depth)

    @staticmethod
    def _text(parent: etree._Element, word: str) -> None:
        if len(parent):
            parent[-1].tail = (parent[-1].tail or "") + word
        else:
            parent.text = (parent.text or "") + word

    def values(self, node: etree._Element) -> list[str]:
        kind, children = etree.QName(node).localname, self.patterns(node)
        if kind == "text":
            return ["text"]
        if kind in ("empty", "notAllowed"):
            return []
        if kind in ("group", "optional", "zeroOrMore"):
            return [token for child in children for token in self.values(child)]
        if kind == "data":
            datatype = node.get("type", "string")
            if datatype in ("ID", "IDREF", "IDREFS"):
                if datatype == "ID" or not self.ids:
                    self.ids.append(f"id{len(self.ids)}")
                return [self.ids[-1] if datatype == "ID" else self.random.choice(self.ids)]
            facets = [p.text or "" for p in node.findall(f"{{{RNG_NS}}}param[@name='pattern']")]
            for value in CANDIDATES.get(datatype, []) + _FALLBACK:
                if all(_matches(f, value) for f in facets):
                    return [value]
            return [(CANDIDATES.get(datatype) or _FALLBACK)[0]]
        if kind == "ref":
            define = self.defines[node.get("name")]
            inner = self.patterns(define)
            return (
                self.values(inner[0])
                if len(inner) == 1
                else [t for c in inner for t in self.values(c)]
            )
        if kind == "value":
            return [node.text or ""]
        if kind == "choice":
            return self.values(self.random.choice(self.possible(children)))
        if kind in ("list", "oneOrMore"):
            return [token for child in children for token in self.values(child)]
        return ["text"]


def mutations(
    document: etree._ElementTree, names: list[str], seed: int
) -> Iterator[etree._ElementTree]:
    """Yield variants of *document* with one random change each, most of them invalid."""
    rand = random.Random(seed)
    while True:
        tree = copy.deepcopy(document)
        elements = [e for e in tree.getroot().iter() if isinstance(e.tag, str)]
        target = rand.choice(elements)
        kind = rand.randrange(7)
        parent = target.getparent()
        ns = etree.QName(target).namespace or ""
        if kind == 0 and parent is not None:
            parent.remove(target)
        elif kind == 1:
            target.insert(rand.randint(0, len(target)), etree.Element(f"{{{ns}}}bogus"))
        elif kind == 2:
            target.set("bogus", "1")
        elif kind == 3:
            target.tag = f"{{{ns}}}{rand.choice(names)}"
        elif kind == 4 and parent is not None:
            target.addnext(copy.deepcopy(target))
        elif kind == 5:
            target.text = "stray text" + (target.text or "")
        elif target.attrib:
            target.set(rand.choice(list(target.attrib)), "not a valid value !")
        else:
            target.set("n", "")
        yield tree
