"""Persons, places, organisations, dates and proposals of TEI documents, as typed records.

>>> from teikit.entities import extract_entities, build_register
>>> doc = (b'<TEI xmlns="http://www.tei-c.org/ns/1.0"><standOff><listPerson>'
...        b'<person xml:id="mao"><persName>Mao Zedong</persName></person></listPerson></standOff>'
...        b'<text><p><persName ref="#mao">Mao</persName></p></text></TEI>')
>>> [(m.text, m.entity_ids) for m in extract_entities([doc])]
[('Mao', ('mao',))]
>>> [(r.entry.id, r.name_forms, r.mention_count)
...  for r in build_register(extract_entities([doc], registers=True))]
[('mao', ('Mao Zedong', 'Mao'), 1)]
"""

from __future__ import annotations

from teikit.entities.config import (
    BUILTIN_RULES,
    ConfigError,
    MentionRule,
    MentionTable,
    find_config,
    load_mention_table,
    mention_table_for,
)
from teikit.entities.extract import EntityOptions, Extraction, extract_entities, load_indexes
from teikit.entities.model import (
    AUTHORITIES,
    MENTION_COLUMNS,
    REGISTER_COLUMNS,
    DateRange,
    EntityKind,
    Location,
    Mention,
    Proposal,
    Record,
    RegisterEntry,
    RegisterRow,
    Row,
    Status,
    Target,
)
from teikit.entities.propose import (
    PROPOSED_KINDS,
    ProposedEntry,
    RegisterProposal,
    Rewrite,
    grouping_key,
    propose_register,
)
from teikit.entities.register import build_register, iter_register_entries
from teikit.entities.views import entity_table
from teikit.sources import expand_paths

__all__ = [
    "AUTHORITIES",
    "BUILTIN_RULES",
    "MENTION_COLUMNS",
    "PROPOSED_KINDS",
    "REGISTER_COLUMNS",
    "ConfigError",
    "DateRange",
    "EntityKind",
    "EntityOptions",
    "Extraction",
    "Location",
    "Mention",
    "MentionRule",
    "MentionTable",
    "Proposal",
    "ProposedEntry",
    "Record",
    "RegisterEntry",
    "RegisterProposal",
    "RegisterRow",
    "Rewrite",
    "Row",
    "Status",
    "Target",
    "build_register",
    "entity_table",
    "expand_paths",
    "extract_entities",
    "find_config",
    "grouping_key",
    "iter_register_entries",
    "load_indexes",
    "load_mention_table",
    "mention_table_for",
    "propose_register",
]
