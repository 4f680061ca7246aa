"""What counts as a mention: the built-in mapping table and its ``[tool.teikit]`` extension.

The built-in table and :class:`MentionRule` live in :mod:`teikit.kinds`, read by every
command. Users add types in the nearest ``teikit.toml`` (table ``[mentions]``) or ``pyproject.toml``
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
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from teikit import config as _core
from teikit.config import ConfigError
from teikit.diagnostics import Diagnostic, Severity
from teikit.kinds import BUILTIN_RULES, TYPE_FROM_ATTRIBUTE, MentionRule, MentionRuleError

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
            try:
                rule.compile()  # fail early, naming the file and the key
            except MentionRuleError as exc:
                raise ConfigError(str(exc)) from None
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
