"""The HTML page of ``teikit odd doc``: one static HTML5 file, its style inline, no script."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from teikit.odd.doc_entries import Attribute, Documentation, Entry

__all__ = ["page"]

_STYLE: Final = """
:root { color-scheme: light dark; --line: #8884; --muted: #666; --accent: #1a5fb4; }
@media (prefers-color-scheme: dark) { :root { --muted: #aaa; --accent: #78aeed; } }
body { font: 16px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 62rem;
       padding: 0 1rem 4rem; }
a { color: var(--accent); }
code, pre { font-family: ui-monospace, monospace; font-size: 0.92em; }
pre { overflow-x: auto; padding: 0.6rem; border: 1px solid var(--line); border-radius: 4px;
      white-space: pre-wrap; }
nav.az { position: sticky; top: 0; padding: 0.4rem 0; border-bottom: 1px solid var(--line);
         background: Canvas; display: flex; flex-wrap: wrap; gap: 0.2rem 0.55rem; }
nav.az span { color: var(--muted); }
article { border-top: 1px solid var(--line); margin-top: 1.5rem; }
h4 { font-size: 1.15rem; margin: 0.8rem 0 0.3rem; }
.gloss { color: var(--muted); font-weight: normal; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; border-bottom: 1px solid var(--line);
         padding: 0.25rem 0.5rem 0.25rem 0; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; }
dl.values { margin: 0.3rem 0 0; }
dl.values dt { font-family: ui-monospace, monospace; }
dl.values dd { margin: 0 0 0.2rem 1.5rem; }
.model { font-family: ui-monospace, monospace; font-size: 0.92em; }
"""


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _id(prefix: str, name: str) -> str:
    return _e(f"{prefix}-{name}")


def _links(keys: list[str], names: dict[str, str]) -> str:
    return ", ".join(f'<a href="#{_id("el", k)}">{_e(names[k])}</a>' for k in keys) or "–"


def _attributes(attributes: list[Attribute]) -> list[str]:
    if not attributes:
        return ["<p>No attributes.</p>"]
    out = [
        "<table>",
        "<thead><tr><th>attribute</th><th>use</th><th>type</th><th>description</th></tr></thead>",
        "<tbody>",
    ]
    for att in attributes:
        origin = f"<br><small>from {_e(att.origin)}</small>" if att.origin else ""
        cell = att.description
        if att.values:
            kinds = {
                "closed": "closed list: only these values",
                "semi": "semi-open list: these values or others",
                "open": "open list: suggested values",
            }
            items = "".join(
                f"<dt>{_e(value)}</dt><dd>{desc or '–'}</dd>" for value, desc in att.values
            )
            kind = kinds.get(att.list_type, att.list_type)
            cell += f'<p>{kind}:</p><dl class="values">{items}</dl>'
        out.append(
            f"<tr><td><code>@{_e(att.name)}</code>{origin}</td>"
            f"<td>{'required' if att.required else 'optional'}</td>"
            f'<td class="model">{att.datatype}</td><td>{cell}</td></tr>'
        )
    out += ["</tbody>", "</table>"]
    return out


def _constraints(constraints: list[tuple[str, list[tuple[str, str, str]]]]) -> list[str]:
    out = ["<ul>"]
    for context, checks in constraints:
        for kind, test, message in checks:
            verb = "must hold" if kind == "assert" else "reported when"
            out.append(
                f"<li><code>{_e(context)}</code>: {verb} <code>{_e(test)}</code>"
                f"<br>{_e(message)}</li>"
            )
    out.append("</ul>")
    return out


def _entry(entry: Entry, names: dict[str, str]) -> list[str]:
    gloss = f' <span class="gloss">({_e(entry.gloss)})</span>' if entry.gloss else ""
    out = [
        f'<article id="{_id("el", entry.key)}" class="element">',
        f"<h4><code>&lt;{_e(entry.name)}&gt;</code>{gloss}</h4>",
    ]
    if entry.description:
        out.append(f"<p>{entry.description}</p>")
    out.append('<dl class="meta">')
    if entry.module:
        out.append(f"<dt>module</dt><dd>{_e(entry.module)}</dd>")
    out.append(f"<dt>namespace</dt><dd><code>{_e(entry.namespace)}</code></dd>")
    if entry.classes:
        classes = ", ".join(f"<code>{_e(c)}</code>" for c in entry.classes)
        out.append(f"<dt>member of</dt><dd>{classes}</dd>")
    out.append(f'<dt>content</dt><dd class="model">{entry.content}</dd>')
    out.append(f"<dt>may contain</dt><dd>{_links(entry.contains, names)}</dd>")
    out.append(f"<dt>contained by</dt><dd>{_links(entry.contained_by, names)}</dd>")
    out.append("</dl>")
    out.append("<h5>Attributes</h5>")
    out += _attributes(entry.attributes)
    if entry.constraints:
        out.append("<h5>Constraints (Schematron)</h5>")
        out += _constraints(entry.constraints)
    for number, example in enumerate(entry.examples, start=1):
        out.append(f"<h5>Example {number}</h5>")
        out.append(f"<pre><code>{_e(example)}</code></pre>")
    out.append("</article>")
    return out


def page(doc: Documentation, version: str) -> str:
    """Return the HTML5 page documenting *doc*."""
    names = {e.key: e.name for e in doc.elements}
    title = f"{doc.title} ({doc.name})" if doc.title else doc.name
    letters = sorted({e.name[:1].upper() for e in doc.elements if e.name})
    jump = []
    for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        if letter in letters:
            jump.append(f'<a href="#letter-{letter}">{letter}</a>')
        else:
            jump.append(f"<span>{letter}</span>")
    jump += [f'<a href="#letter-{_e(x)}">{_e(x)}</a>' for x in letters if not ("A" <= x <= "Z")]
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="teikit {_e(version)}">',
        f"<title>{_e(title)}: schema documentation</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>{_e(title)}</h1>",
        f"<p>Documentation of the ODD customisation <code>{_e(doc.source_label)}</code>"
        + (f", based on TEI P5 {_e(doc.tei_version)}" if doc.tei_version else "")
        + f": {len(doc.elements)} elements. Made by teikit {_e(version)}.</p>",
        '<nav aria-label="sections"><a href="#changes">Changes to TEI</a> · '
        '<a href="#elements">Elements</a> · <a href="#classes">Model classes</a> · '
        '<a href="#macros">Macros</a> · <a href="#constraints">Other constraints</a></nav>',
        "</header>",
        f'<nav class="az" aria-label="elements A to Z">{" ".join(jump)}</nav>',
        "<main>",
        '<section id="changes">',
        "<h2>Changes to TEI</h2>",
    ]
    if doc.modules:
        out.append("<h3>Modules</h3>")
        out.append("<ul>" + "".join(f"<li>{line}</li>" for line in doc.modules) + "</ul>")
    out.append("<h3>Specifications</h3>")
    if doc.changes:
        out.append("<table>")
        out.append("<thead><tr><th>what</th><th>name</th><th>change</th></tr></thead><tbody>")
        for kind, ident, mode, details in doc.changes:
            key = next((k for k, n in names.items() if n == ident), None)
            shown = _e(ident)
            if kind == "element" and key:
                shown = f'<a href="#{_id("el", key)}">{shown}</a>'
            more = "<ul>" + "".join(f"<li>{d}</li>" for d in details) + "</ul>" if details else ""
            out.append(
                f'<tr class="change"><td>{_e(kind)}</td><td><code>{shown}</code></td>'
                f"<td>{_e(mode)}{more}</td></tr>"
            )
        out.append("</tbody></table>")
    else:
        out.append("<p>None: the schema uses TEI's modules as they are.</p>")
    out += ["</section>", '<section id="elements">', "<h2>Elements</h2>"]
    current = ""
    for entry in doc.elements:
        letter = entry.name[:1].upper()
        if letter != current:
            current = letter
            out.append(f'<h3 id="letter-{_e(letter)}">{_e(letter)}</h3>')
        out += _entry(entry, names)
    out += ["</section>", '<section id="classes">', "<h2>Model classes</h2>"]
    for name, gloss, desc, members in doc.classes:
        shown = f' <span class="gloss">({_e(gloss)})</span>' if gloss else ""
        out.append(f'<article id="{_id("class", name)}"><h4><code>{_e(name)}</code>{shown}</h4>')
        if desc:
            out.append(f"<p>{desc}</p>")
        out.append(f"<p>Elements: {_links(members, names)}</p></article>")
    out += ["</section>", '<section id="macros">', "<h2>Macros</h2>"]
    for name, desc, model in doc.macros:
        out.append(f'<article id="{_id("macro", name)}"><h4><code>{_e(name)}</code></h4>')
        if desc:
            out.append(f"<p>{desc}</p>")
        out.append(f'<p class="model">{model}</p></article>')
    out += ["</section>", '<section id="constraints">', "<h2>Other constraints</h2>"]
    if doc.other_constraints:
        out.append("<p>Schematron rules of classes, attributes and the schema as a whole.</p>")
        out += _constraints(doc.other_constraints)
    else:
        out.append("<p>None.</p>")
    out += ["</section>", "</main>", "</body>", "</html>", ""]
    return "\n".join(out)
