"""The ribbon definition (customUI14.xml): its buttons, and the checks that tie it to VBA and Python.

Office shows nothing at all when a ribbon part is invalid, and a button whose callback is
missing fails only when clicked, so the build refuses a ribbon that any of these checks reject.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

NS = "http://schemas.microsoft.com/office/2009/07/customui"
REL_TYPE = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
PART_NAME = "customUI/customUI14.xml"
TAB_LABEL = "绩效工具"

_SUB = re.compile(r"^[ \t]*(?:(Public|Private|Friend)[ \t]+)?(?:Static[ \t]+)?Sub[ \t]+(\w+)[ \t]*\(([^)]*)\)",
                  re.I | re.M)


@dataclass(frozen=True)
class RibbonButton:
    """One button of the ribbon tab."""

    id: str
    label: str
    on_action: str
    image_mso: str
    supertip: str = ""


def ribbon_buttons(xml: bytes) -> list[RibbonButton]:
    """The buttons of a customUI part, in document order.

    Raises:
        xml.etree.ElementTree.ParseError: when the part is not well-formed.
    """
    root = ET.fromstring(xml)
    return [RibbonButton(b.get("id", ""), b.get("label", ""), b.get("onAction", ""), b.get("imageMso", ""),
                         b.get("supertip", ""))
            for b in root.iter(f"{{{NS}}}button")]


def vba_subs(source: str) -> dict[str, tuple[str, str]]:
    """Sub name → (scope, parameter list) for every Sub declared in a VBA module's source."""
    return {m.group(2): ((m.group(1) or "Public").capitalize(), m.group(3).strip()) for m in _SUB.finditer(source)}


def check_customui(xml: bytes, vba_sources: Iterable[str], command_ids: Iterable[str] | None = None,
                   schema: Path | None = None) -> list[str]:
    """Everything wrong with a ribbon part, in plain English; empty when it is fine.

    Args:
        xml: the customUI14.xml bytes.
        vba_sources: the source of every VBA module the add-in contains.
        command_ids: the registered command ids each button id must match (and cover), or None
            to skip that check.
        schema: an XSD to validate against (``macros/customUI14-subset.xsd``), or None. Needs lxml.

    Returns:
        One sentence per problem.
    """
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        return [f"customUI is not well-formed XML: {exc}"]
    problems: list[str] = []
    if root.tag != f"{{{NS}}}customUI":
        problems.append(f"root element is {root.tag}, expected customUI in namespace {NS}")
    if schema is not None:
        problems += _schema_problems(xml, schema)
    tabs = list(root.iter(f"{{{NS}}}tab"))
    if not any(t.get("label") == TAB_LABEL for t in tabs):
        problems.append(f"no tab labelled {TAB_LABEL}")
    buttons = ribbon_buttons(xml)
    if not buttons:
        problems.append("the ribbon has no buttons")
    ids = [b.id for b in buttons]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(f"button id {dup!r} is used more than once")
    subs: dict[str, tuple[str, str]] = {}
    for src in vba_sources:
        subs.update({k.lower(): v for k, v in vba_subs(src).items()})
    for b in buttons:
        for attr, value in (("id", b.id), ("label", b.label), ("onAction", b.on_action), ("imageMso", b.image_mso)):
            if not value:
                problems.append(f"button {b.id or '?'} has no {attr}")
        if not b.on_action:
            continue
        hit = subs.get(b.on_action.split(".")[-1].lower())
        if hit is None:
            problems.append(f"button {b.id}: onAction {b.on_action} has no Sub in the VBA")
        elif hit[0] == "Private":
            problems.append(f"button {b.id}: Sub {b.on_action} is Private; Office cannot call it")
        elif not re.fullmatch(r"(ByRef\s+|ByVal\s+)?\w+\s+As\s+(Office\.)?IRibbonControl", hit[1], re.I):
            problems.append(f"button {b.id}: Sub {b.on_action}({hit[1]}) must take (control As IRibbonControl)")
    if command_ids is not None:
        known = list(command_ids)
        for i in ids:
            if i not in known:
                problems.append(f"button id {i!r} is not a registered command")
        for c in known:
            if c not in ids:
                problems.append(f"command {c!r} has no ribbon button")
    return problems


def _schema_problems(xml: bytes, schema: Path) -> list[str]:
    try:
        from lxml import etree
    except ImportError:  # pragma: no cover - lxml ships with xltools' dependencies
        return ["lxml is needed to validate the ribbon against its schema"]
    validator = etree.XMLSchema(etree.parse(str(schema)))
    if validator.validate(etree.fromstring(xml)):
        return []
    return [f"schema: line {e.line}: {e.message}" for e in validator.error_log]
