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

from teikit.diagnostics import Diagnostic, Severity
from teikit.errors import TeikitError
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
]


class ConfigError(TeikitError, ValueError):
    """The teikit configuration (``teikit.toml`` or ``[tool.teikit]``) is invalid."""


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
    """Return the nearest ``teikit.toml``, or ``pyproject.toml`` with ``[tool.teikit]``.

    The search starts in *start* (default: the current folder) and walks up to the root.
    """
    folder = (start or Path.cwd()).resolve()
    for candidate in (folder, *folder.parents):
        own = candidate / "teikit.toml"
        if own.is_file():
            return own
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file():
            try:
                text = pyproject.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            if "[tool.teikit" in text:
                return pyproject
    return None


def read_config_section(path: Path) -> dict[str, Any]:
    """Return teikit's settings in *path*: all of ``teikit.toml``, or ``[tool.teikit]``.

    :raises ConfigError: the file cannot be read or is not valid TOML.
    """
    origin = os.fspath(path)
    if tomllib is None:  # pragma: no cover - Python 3.10 without tomli
        raise ConfigError(f"{origin}: reading teikit configuration needs Python 3.11 (tomllib)")
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"{origin}: cannot read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{origin}: not valid TOML: {exc}") from None
    section = data if path.name == "teikit.toml" else data.get("tool", {}).get("teikit", {})
    return section if isinstance(section, dict) else {}


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
