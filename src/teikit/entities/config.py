"""What counts as a mention: the built-in mapping table and its ``[tool.teikit]`` extension.

Built-in table (TEI Guidelines 13.2 and 13.3)::

    type        XPath (relative to any element)
    person      tei:persName
    place       tei:placeName
    org         tei:orgName
    @type       tei:name[@type]      (person/place/org, or the @type value itself)
    @type       tei:rs[@type]        (person/place/org, or the @type value itself)
    date        tei:date

Users add types in the nearest ``teikit.toml`` (table ``[mentions]``) or ``pyproject.toml``
(table ``[tool.teikit.mentions]``)::

    [tool.teikit.mentions]
    ship = "tei:name[@type='ship']"
    vessel = ["tei:rs[@type='vessel']", "tei:term[@type='ship']"]

User rules are tried first, so they win over the built-in ones for the same element.
Elements inside register entries (``person``, ``personGrp``, ``persona``, ``place``,
``org``) are never mentions.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from lxml import etree

from teikit import config as _core
from teikit.config import ConfigError
from teikit.diagnostics import Diagnostic, Severity
from teikit.namespaces import NSMAP, TEI_NS

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    tomllib = None  # type: ignore[assignment]

__all__ = [
    "BUILTIN_RULES",
    "TYPE_FROM_ATTRIBUTE",
    "ConfigError",
    "MentionRule",
    "MentionTable",
    "find_config",
    "load_mention_table",
    "mention_table_for",
]

#: The pseudo type of a rule whose type is the element's ``@type`` value.
TYPE_FROM_ATTRIBUTE: Final = "@type"
_SIMPLE: Final = re.compile(r"^tei:([A-Za-z_][\w.\-]*)(?:\[@([A-Za-z_][\w.\-]*)\])?$")
# rs/@type and name/@type values that mean one of the built-in kinds.
_TYPE_SYNONYMS: Final = {
    "person": "person",
    "persName": "person",
    "place": "place",
    "placeName": "place",
    "org": "org",
    "orgName": "org",
    "organisation": "org",
    "organization": "org",
}


@dataclass(frozen=True, slots=True)
class MentionRule:
    """One row of the mapping table: elements matching *xpath* are mentions of *type*."""

    type: str
    xpath: str
    origin: str = "built-in"

    def compile(self) -> etree.XPath:
        """Return the rule's XPath, evaluated from the root over all descendants.

        :raises ConfigError: the expression is not valid XPath 1.0.
        """
        expression = self.xpath if self.xpath.startswith("/") else f"//{self.xpath}"
        try:
            return etree.XPath(expression, namespaces=NSMAP)
        except etree.XPathSyntaxError as exc:
            raise ConfigError(
                f"{self.origin}: mention type {self.type!r}: invalid XPath {self.xpath!r}: {exc}"
            ) from None

    def simple_test(self) -> tuple[str, str | None] | None:
        """Return ``(Clark tag, required attribute or None)`` for a rule like ``tei:rs[@type]``.

        Such rules are matched while walking the tree once, without XPath; ``None`` means
        the expression needs XPath.

        >>> MentionRule("x", "tei:rs[@type]").simple_test()
        ('{http://www.tei-c.org/ns/1.0}rs', 'type')
        """
        match = _SIMPLE.match(self.xpath)
        if match is None:
            return None
        return f"{{{TEI_NS}}}{match.group(1)}", match.group(2)

    def type_of(self, element: etree._Element) -> str:
        """Return the mention type of an *element* matched by this rule."""
        if self.type != TYPE_FROM_ATTRIBUTE:
            return self.type
        value = (element.get("type") or "").strip()
        return _TYPE_SYNONYMS.get(value, value)


#: The built-in mapping table, in the order documented above.
BUILTIN_RULES: Final = (
    MentionRule("person", "tei:persName"),
    MentionRule("place", "tei:placeName"),
    MentionRule("org", "tei:orgName"),
    MentionRule(TYPE_FROM_ATTRIBUTE, "tei:name[@type]"),
    MentionRule(TYPE_FROM_ATTRIBUTE, "tei:rs[@type]"),
    MentionRule("date", "tei:date"),
)


@dataclass(frozen=True, slots=True)
class MentionTable:
    """The mapping table in effect, with what was noticed while reading the configuration."""

    rules: tuple[MentionRule, ...] = BUILTIN_RULES
    source: str | None = None
    diagnostics: tuple[Diagnostic, ...] = field(default=())

    def custom_types(self) -> list[str]:
        """Return the types added by the configuration."""
        return [r.type for r in self.rules if r.origin != "built-in"]


def _rules_from(table: Any, origin: str) -> list[MentionRule]:
    if not isinstance(table, dict):
        raise ConfigError(f"{origin}: 'mentions' must be a table of type = XPath")
    rules: list[MentionRule] = []
    for name, value in table.items():
        expressions = [value] if isinstance(value, str) else value
        if not isinstance(expressions, list) or not all(isinstance(v, str) for v in expressions):
            raise ConfigError(
                f"{origin}: mention type {name!r} must be an XPath string or a list of them"
            )
        for expression in expressions:
            rule = MentionRule(str(name), expression.strip(), origin)
            rule.compile()  # fail early, naming the file and the key
            rules.append(rule)
    return rules


def find_config(start: Path | None = None) -> Path | None:
    """Return the configuration file that applies in folder *start* (default: the current one).

    The search is :func:`teikit.config.discover`'s: upward to the project root, skipping
    files that others could have planted.
    """
    return _core.find_config(start)


def read_config_section(path: Path) -> dict[str, Any]:
    """Return teikit's settings in *path*: all of ``teikit.toml``, or ``[tool.teikit]``.

    :raises ConfigError: the file cannot be read or is not valid TOML.
    """
    return _core.load_config(path).settings


def load_mention_table(
    config: Path | None = None, *, start: Path | None = None, extra: Iterable[MentionRule] = ()
) -> MentionTable:
    """Return the built-in table extended by *config* (default: the nearest one) and *extra*.

    :raises ConfigError: the configuration is not valid TOML or has an invalid rule.
    """
    path = config or find_config(start)
    rules = list(extra)
    if path is None:
        return MentionTable((*rules, *BUILTIN_RULES))
    origin = os.fspath(path)
    if tomllib is None:  # pragma: no cover - Python 3.10
        notice = Diagnostic(
            Severity.WARNING,
            "config.unavailable",
            "reading teikit configuration needs Python 3.11 (tomllib); "
            "custom mention types are ignored",
            origin,
        )
        return MentionTable((*rules, *BUILTIN_RULES), origin, (notice,))
    section = read_config_section(path)
    if "mentions" in section:
        rules.extend(_rules_from(section["mentions"], origin))
    return MentionTable((*rules, *BUILTIN_RULES), origin)


def mention_table_for(paths: Iterable[str | Path], config: Path | None = None) -> MentionTable:
    """Return the table for the files *paths*: the built-in one extended by their configuration.

    Each file's configuration is found from its folder (:func:`teikit.config.configs_for`),
    or is *config* (``--config``); the types that several configurations add are all kept.

    :raises ConfigError: a configuration is not valid TOML or has an invalid rule.
    """
    found, _skipped = _core.configs_for(paths, config)
    rules: list[MentionRule] = []
    for path in found:
        rules.extend(r for r in load_mention_table(path).rules if r.origin != "built-in")
    source = ", ".join(os.fspath(p) for p in found) or None
    return MentionTable((*rules, *BUILTIN_RULES), source)
