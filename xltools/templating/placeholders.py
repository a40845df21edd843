"""The placeholder syntax of templates: ``{{ path }}`` for values, ``{{ =path }}`` for live formulas.

A cell whose whole text is one placeholder takes the value's type (a number stays a number);
placeholders inside longer text are interpolated as text. A row holding any placeholder of
a collection (``ind.*`` indicators, ``task.*`` key tasks) is that collection's repeating row.
The vocabulary (which paths exist) is in :mod:`xltools.templating.vocabulary`.
"""
from __future__ import annotations

import re

__all__ = ["PLACEHOLDER", "Placeholder", "find", "only_placeholder", "COLLECTIONS", "TemplateError"]

PLACEHOLDER = re.compile(r"\{\{\s*(=?)\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)\s*\}\}")
# Collection name → the plural the builder fills it from.
COLLECTIONS = {"ind": "indicators", "task": "tasks"}


class TemplateError(ValueError):
    """A template cannot be compiled; the message (Chinese) says where and why."""


class Placeholder:
    """One ``{{ … }}`` occurrence."""

    __slots__ = ("path", "computed", "span")

    def __init__(self, path: str, computed: bool, span: tuple[int, int]):
        self.path = path
        self.computed = computed
        self.span = span

    @property
    def collection(self) -> str | None:
        head = self.path.split(".", 1)[0]
        return head if head in COLLECTIONS else None

    @property
    def field(self) -> str:
        """The path inside its collection (``ind.level1`` → ``level1``), or the whole path."""
        return self.path.split(".", 1)[1] if self.collection else self.path

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"{{{{ {'=' if self.computed else ''}{self.path} }}}}"


def find(text: str) -> list[Placeholder]:
    """Every placeholder in ``text``, left to right."""
    return [Placeholder(m.group(2), bool(m.group(1)), m.span()) for m in PLACEHOLDER.finditer(text)]


def only_placeholder(text: str) -> Placeholder | None:
    """The placeholder when ``text`` is exactly one placeholder (surrounding spaces allowed)."""
    m = PLACEHOLDER.fullmatch(text.strip())
    if not m:
        return None
    return Placeholder(m.group(2), bool(m.group(1)), m.span())


def split_text(text: str) -> list[str | Placeholder]:
    """``"{{ year }}年度"`` → [Placeholder(year), "年度"]: literal pieces and placeholders in order."""
    out: list[str | Placeholder] = []
    pos = 0
    for ph in find(text):
        if ph.span[0] > pos:
            out.append(text[pos:ph.span[0]])
        out.append(ph)
        pos = ph.span[1]
    if pos < len(text):
        out.append(text[pos:])
    return out
