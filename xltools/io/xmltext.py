"""SpreadsheetML text and cell rendering: escaping, typed values, formulas with cached values.

The one place that escapes text for a package part: the form builder's stamped sheets, the
report sheet and the cell and note writers (through ``ooxml_text``, when lxml escapes markup).
"""
from __future__ import annotations

import math
import re

__all__ = ["esc", "ooxml_text", "cell_value", "cell_formula", "number_text"]

# XML 1.0 forbids most C0 controls; OOXML writes them as _xHHHH_, and a literal "_xHHHH_" in
# text must itself be escaped as "_x005F_xHHHH_" so it is not decoded on load.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_LITERAL_ESCAPE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")
_NEEDS_WORK = re.compile(r"[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_x[0-9A-Fa-f]{4}_")


def ooxml_text(text: str) -> str:
    """Text made safe for XML the way Excel does: control characters as _xHHHH_ escapes, and a
    literal "_xHHHH_" as "_x005F_xHHHH_" (markup characters are left to the caller)."""
    if "_x" not in text and text.isprintable():
        return text  # most text: nothing to escape (isprintable is False for every _ILLEGAL character)
    text = _LITERAL_ESCAPE.sub(r"_x005F_\1", text)
    return _ILLEGAL.sub(lambda m: f"_x{ord(m.group()):04X}_", text)


def esc(text: str) -> str:
    """Escape text for element content (also used for attribute-free <t> and <f>).

    A carriage return is written as a character reference: a parser reads a literal one back as
    a line feed.
    """
    if not _NEEDS_WORK.search(text):
        return text
    text = ooxml_text(text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def number_text(x: float | int) -> str:
    """A number as SpreadsheetML writes it (shortest round-trip form; integers without ".0")."""
    if isinstance(x, int) and not isinstance(x, bool):
        return str(x)
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(x)


def _t(text: str) -> str:
    if text[0].isspace() or text[-1].isspace():
        return f'<t xml:space="preserve">{esc(text)}</t>'
    return f"<t>{esc(text)}</t>"


def cell_value(ref: str, attrs: str, value: object) -> str:
    """A ``<c>`` holding a typed value: number, boolean, inline text, or nothing.

    Text is always written as an inline string, so text starting with "=" stays text and
    never becomes a formula.
    """
    cls = value.__class__
    if cls is str:
        if not value:
            return f'<c r="{ref}"{attrs}/>'
        return f'<c r="{ref}"{attrs} t="inlineStr"><is>{_t(value)}</is></c>'
    if cls is float:
        if value.is_integer() and abs(value) < 1e15:
            return f'<c r="{ref}"{attrs}><v>{int(value)}</v></c>'
        if math.isfinite(value):
            return f'<c r="{ref}"{attrs}><v>{value!r}</v></c>'
    if value is None:
        return f'<c r="{ref}"{attrs}/>'
    if isinstance(value, bool):
        return f'<c r="{ref}"{attrs} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            return f'<c r="{ref}"{attrs} t="e"><v>#NUM!</v></c>'
        return f'<c r="{ref}"{attrs}><v>{number_text(value)}</v></c>'
    return f'<c r="{ref}"{attrs} t="inlineStr"><is>{_t(str(value))}</is></c>'


def cell_formula(ref: str, attrs: str, formula: str, cached: object, escaped: bool = False) -> str:
    """A ``<c>`` with a live formula and its cached value ("" or None caches an empty string)."""
    f = formula if escaped else esc(formula)
    if isinstance(cached, bool):
        return f'<c r="{ref}"{attrs} t="b"><f>{f}</f><v>{int(cached)}</v></c>'
    if isinstance(cached, (int, float)) and math.isfinite(cached):
        return f'<c r="{ref}"{attrs}><f>{f}</f><v>{number_text(cached)}</v></c>'
    text = "" if cached is None else str(cached)
    return f'<c r="{ref}"{attrs} t="str"><f>{f}</f><v>{esc(text)}</v></c>'
