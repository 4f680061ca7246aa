"""Merging a customisation into a spec: ``mode="change"`` on children, class membership,
``attList``/``attDef`` and ``valList`` (odd2odd's semantics)."""

from __future__ import annotations

import copy
from collections.abc import Iterator

from lxml import etree

from teikit.odd.specs import (
    _is_tei,
    _t,
)


def _merge_children(target: etree._Element, change: etree._Element) -> None:
    """Replace *target*'s children of each kind that *change* has (``mode="change"``)."""
    for name, value in change.attrib.items():
        if name not in ("mode",):
            target.set(name, value)
    handled: set[str] = set()
    for child in change:
        if not isinstance(child.tag, str):
            continue
        tag = child.tag
        local = etree.QName(child).localname if _is_tei(child) else ""
        if local == "classes":
            _merge_classes(target, child)
        elif local == "attList":
            attlist = target.find(_t("attList"))
            if attlist is None:
                attlist = etree.SubElement(target, _t("attList"))
            _merge_attlist(attlist, child)
        elif local == "constraintSpec":
            ident = child.get("ident")
            for old in target.findall(_t("constraintSpec")):
                if old.get("ident") == ident:
                    target.remove(old)
            if child.get("mode") != "delete":
                target.append(copy.deepcopy(child))
        elif local == "valList" and child.get("mode") == "change":
            old_list = target.find(_t("valList"))
            if old_list is None:
                target.append(copy.deepcopy(child))
            else:
                _merge_vallist(old_list, child)
        else:
            if tag not in handled:
                handled.add(tag)
                for old in target.findall(tag):
                    target.remove(old)
            if child.get("mode") != "delete":
                target.append(copy.deepcopy(child))


def _merge_classes(target: etree._Element, change: etree._Element) -> None:
    # odd2odd: <classes> replaces the memberships unless it says mode="change"
    classes = target.find(_t("classes"))
    if classes is None or change.get("mode", "replace") == "replace":
        if classes is not None:
            target.remove(classes)
        classes = etree.SubElement(target, _t("classes"))
    present = {m.get("key"): m for m in classes.findall(_t("memberOf"))}
    for member in change.findall(_t("memberOf")):
        key = member.get("key")
        if member.get("mode") == "delete":
            if key in present:
                classes.remove(present.pop(key))
        elif key not in present:
            present[key] = copy.deepcopy(member)
            classes.append(present[key])


def _attdefs(attlist: etree._Element) -> Iterator[etree._Element]:
    for child in attlist:
        if _is_tei(child, "attDef"):
            yield child
        elif _is_tei(child, "attList"):
            yield from _attdefs(child)


def _merge_attlist(target: etree._Element, change: etree._Element) -> None:
    for attref in change.iter(_t("attRef")):
        target.append(copy.deepcopy(attref))
    existing = {a.get("ident"): a for a in _attdefs(target)}
    for attdef in _attdefs(change):
        ident = attdef.get("ident")
        mode = attdef.get("mode", "add")
        old = existing.get(ident)
        if mode == "delete":
            if old is not None and old.get("mode") not in ("change",):
                old.getparent().remove(old)  # type: ignore[union-attr]
            elif old is not None:
                old.getparent().replace(old, copy.deepcopy(attdef))  # type: ignore[union-attr]
            else:
                target.append(copy.deepcopy(attdef))
        elif mode == "change":
            owner = target.getparent()
            if old is None and owner is not None and _is_tei(owner, "classSpec"):
                continue  # a class has no inherited attributes to change: odd2odd drops it
            if old is None:
                target.append(copy.deepcopy(attdef))
            elif old.get("mode") == "delete":
                continue
            else:
                _merge_attdef(old, attdef)
        else:
            new = copy.deepcopy(attdef)
            new.attrib.pop("mode", "")
            if old is not None:
                old.getparent().replace(old, new)  # type: ignore[union-attr]
            else:
                target.append(new)
            existing[ident] = new


def _merge_attdef(target: etree._Element, change: etree._Element) -> None:
    for name, value in change.attrib.items():
        if name != "mode":
            target.set(name, value)
    handled: set[str] = set()
    for child in change:
        if not isinstance(child.tag, str):
            continue
        if _is_tei(child, "valList") and child.get("mode") == "change":
            old_list = target.find(_t("valList"))
            if old_list is not None:
                _merge_vallist(old_list, child)
                continue
        if _is_tei(child, "valList") and child.get("mode") is None:
            # odd2odd's mergeAttribute takes a changed attribute's new valList only with
            # @mode add, replace, change or delete; without @mode the old one stays (TEI's own
            # factuality/@type: a closed list in p5subset, plain teidata.enumerated in tei_all)
            continue
        if child.tag not in handled:
            handled.add(child.tag)
            for old in target.findall(child.tag):
                target.remove(old)
        if child.get("mode") != "delete":
            new = copy.deepcopy(child)
            target.append(new)


def _merge_vallist(target: etree._Element, change: etree._Element) -> None:
    if change.get("type"):
        target.set("type", change.get("type", ""))
    items = {v.get("ident"): v for v in target.findall(_t("valItem"))}
    for item in change.findall(_t("valItem")):
        ident = item.get("ident")
        old = items.get(ident)
        if item.get("mode") == "delete":
            if old is not None:
                target.remove(old)
        elif old is not None:
            target.replace(old, copy.deepcopy(item))
        else:
            target.append(copy.deepcopy(item))


# ---------------------------------------------------------------------------------------------
# The compiler
