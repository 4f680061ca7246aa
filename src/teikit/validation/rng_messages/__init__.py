"""RELAX NG messages at least as specific as Jing's, from teikit's own reading of the grammar.

libxml2 gives the verdict (it is fast), but its messages are vague ("Element rs failed to
validate attributes", "Expecting an element, got nothing"), blame the wrong attribute and
stop at the first fault of each element. When libxml2 rejects a document, :class:`Diagnoser`
walks it again with the derivative algorithm of James Clark ("An algorithm for RELAX NG
validation", 2002) over the flattened, unspecialised grammar, and recovers from each fault the
way Jing does, so that it reports what Jing reports, in Jing's words plus the element at fault:

* ``element "div" missing required attribute "ana"``
* ``value of attribute "ana" of element "div" is invalid; must be equal to "a", "b" or "c"``
* ``attribute "foo" not allowed here on element "div"; expected attribute "n"``
* ``element "hi" not allowed here in element "div"; expected the element end-tag or element "p"``
* ``element "p" not allowed yet in element "div"; missing required element "head"``
* ``element "div" incomplete; missing required element "head"``
* ``text not allowed here in element "div"; expected element "head"``

Positions: an element's line is libxml2's (the line of the start tag's ``>``, as Jing's);
columns, the line of an end tag and of a run of text come from a second reading of the file
with expat, when the document has a file and both parsers see the same elements. Datatypes
are checked with xmlschema's built-in XSD types; a datatype or facet it does not know counts
as matched, so an uncertain check never invents a fault: when this walk finds nothing, the
caller keeps libxml2's messages.

Modules: :mod:`.patterns` (the patterns, name classes, datatypes), :mod:`.build` (patterns
built from the grammar, interned), :mod:`.derive` (the derivatives and what a state
expects), :mod:`.walk` (one document's walk and the messages; :class:`Diagnoser`).
"""

from __future__ import annotations

from teikit.validation.rng_messages.patterns import CODE as CODE
from teikit.validation.rng_messages.walk import Diagnoser

__all__ = ["Diagnoser"]
