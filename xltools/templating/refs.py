"""Row mapping for repeating blocks: where a template row lands, and formulas/ranges shifted with it.

A template has one-row repeating blocks. When block ``b`` at template row ``r_b`` expands to
``n_b`` rows, every template row below it moves down by ``n_b - 1``; a range that spans the
block row grows to cover every copy, as when Excel inserts rows inside a range.
Formulas are split once, at compile time, into literal text and reference slots
(:class:`FormulaTemplate`), so stamping a form only formats numbers.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from openpyxl.formula.tokenizer import Token, Tokenizer

from ..core.form import col_index, col_letter

_CELL = re.compile(r"^(\$?)([A-Za-z]{1,3})(\$?)(\d+)$")
_ROWS = re.compile(r"^(\$?)(\d+)$")
_COLS = re.compile(r"^(\$?)([A-Za-z]{1,3})$")


class RowMap:
    """Maps template rows to output rows for one form.

    Args:
        blocks: ``(template_row, count)`` for every repeating block; a count below 1 is
            treated as 1 (an empty block still prints one blank row, keeping the layout).
    """

    __slots__ = ("_blocks", "_starts", "counts", "_memo")

    def __init__(self, blocks: list[tuple[int, int]] | tuple = ()):
        self._blocks = sorted((r, max(1, n)) for r, n in blocks)
        self.counts = dict(self._blocks)
        starts = {}
        shift = 0
        for r, n in self._blocks:
            starts[r] = r + shift
            shift += n - 1
        self._starts = starts
        self._memo: dict[int, int] = {}

    def row(self, r: int) -> int:
        """Output row of template row ``r`` (the first copy, for a block row)."""
        hit = self._memo.get(r)
        if hit is not None:
            return hit
        shift = 0
        for br, n in self._blocks:
            if br < r:
                shift += n - 1
            else:
                break
        self._memo[r] = r + shift
        return r + shift

    def end(self, r: int) -> int:
        """Output row of the last copy of template row ``r`` (``row(r)`` for non-block rows)."""
        return self.row(r) + self.counts.get(r, 1) - 1

    @property
    def growth(self) -> int:
        return sum(n - 1 for _, n in self._blocks)


IDENTITY = RowMap()


@dataclass(frozen=True)
class _Ref:
    """A reference slot: one cell, a cell range, a whole-row range, or a whole-column range."""

    sheet: str | None  # as written (may be quoted); None for an unqualified reference
    own: bool  # True when it points at the form sheet (unqualified or naming it)
    kind: str  # "cell", "area", "rows", "cols"
    c1: str = ""
    r1: int = 0
    c2: str = ""
    r2: int = 0
    abs1: tuple[str, str] = ("", "")
    abs2: tuple[str, str] = ("", "")

    def render(self, rows: RowMap, sheet_name: str | None, current: int | None) -> str:
        """The reference text for one form; ``current`` is the output row of the copy being written
        when the formula sits in a block row whose own row it references."""
        prefix = ""
        if self.sheet is not None:
            prefix = (quote_sheet(sheet_name) if (self.own and sheet_name) else self.sheet) + "!"
        if self.kind == "cols" or not self.own:
            return prefix + self._text(self.r1, self.r2)
        if self.kind == "cell":
            r = current if current is not None and self.r1 in rows.counts and not self.abs1[1] else rows.row(self.r1)
            return prefix + f"{self.abs1[0]}{self.c1}{self.abs1[1]}{r}"
        if current is not None and self.r1 == self.r2 and self.r1 in rows.counts and not self.abs1[1]:
            r1 = r2 = current
        else:
            r1, r2 = rows.row(self.r1), rows.end(self.r2)
        return prefix + self._text(r1, r2)

    def _text(self, r1: int, r2: int) -> str:
        a1, a2 = self.abs1, self.abs2
        if self.kind == "cell":
            return f"{a1[0]}{self.c1}{a1[1]}{r1}"
        if self.kind == "area":
            return f"{a1[0]}{self.c1}{a1[1]}{r1}:{a2[0]}{self.c2}{a2[1]}{r2}"
        if self.kind == "rows":
            return f"{a1[1]}{r1}:{a2[1]}{r2}"
        return f"{a1[0]}{self.c1}:{a2[0]}{self.c2}"


def quote_sheet(name: str) -> str:
    """A sheet name as it must be written before ``!`` in a formula."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", name) and not _CELL.match(name):
        return name
    return "'" + name.replace("'", "''") + "'"


def _unquote(sheet: str) -> str:
    if sheet.startswith("'") and sheet.endswith("'"):
        return sheet[1:-1].replace("''", "'")
    return sheet


def parse_ref(text: str, form_sheet: str) -> _Ref | None:
    """A reference token (``A1``, ``$A$1:B2``, ``Sheet!A:A``, ``'a b'!3:4``) as a slot, or None
    when the text is not a reference (a defined name, an error, a number)."""
    sheet = None
    body = text
    if "!" in text:
        sheet, body = text.rsplit("!", 1)
        if sheet.startswith("[") or sheet.startswith("'["):
            return None  # an external workbook: never ours
    own = sheet is None or _unquote(sheet) == form_sheet
    parts = body.split(":")
    if len(parts) == 1:
        m = _CELL.match(body)
        if not m:
            return None
        return _Ref(sheet, own, "cell", m.group(2).upper(), int(m.group(4)), abs1=(m.group(1), m.group(3)))
    if len(parts) != 2:
        return None
    a, b = parts
    m1, m2 = _CELL.match(a), _CELL.match(b)
    if m1 and m2:
        return _Ref(sheet, own, "area", m1.group(2).upper(), int(m1.group(4)), m2.group(2).upper(), int(m2.group(4)),
                    (m1.group(1), m1.group(3)), (m2.group(1), m2.group(3)))
    m1, m2 = _ROWS.match(a), _ROWS.match(b)
    if m1 and m2:
        return _Ref(sheet, own, "rows", r1=int(m1.group(2)), r2=int(m2.group(2)),
                    abs1=("", m1.group(1)), abs2=("", m2.group(1)))
    m1, m2 = _COLS.match(a), _COLS.match(b)
    if m1 and m2:
        return _Ref(sheet, own, "cols", m1.group(2).upper(), c2=m2.group(2).upper(),
                    abs1=(m1.group(1), ""), abs2=(m2.group(1), ""))
    return None


class FormulaTemplate:
    """A formula split into literal text and reference slots.

    Args:
        formula: the formula text, with or without the leading ``=``.
        form_sheet: the name of the sheet the formula lives on (references to it shift).
    """

    __slots__ = ("parts", "has_refs", "text")

    def __init__(self, formula: str, form_sheet: str):
        self.text = formula
        body = formula[1:] if formula.startswith("=") else formula
        parts: list[object] = []
        try:
            tokens = Tokenizer("=" + body).items
        except Exception:  # an unparsable formula is kept verbatim rather than corrupted
            tokens = []
            parts = [body]
        for tok in tokens:
            ref = None
            if tok.type == Token.OPERAND and tok.subtype == Token.RANGE:
                ref = parse_ref(tok.value, form_sheet)
            if ref is not None:
                parts.append(ref)
            elif parts and isinstance(parts[-1], str):
                parts[-1] += tok.value
            else:
                parts.append(tok.value)
        self.parts = parts
        self.has_refs = any(isinstance(p, _Ref) for p in parts)

    def render(self, rows: RowMap = IDENTITY, sheet_name: str | None = None, current: int | None = None) -> str:
        """The formula text (no leading ``=``) for one form."""
        if not self.has_refs:
            return "".join(self.parts)  # type: ignore[arg-type]
        return "".join(p if isinstance(p, str) else p.render(rows, sheet_name, current) for p in self.parts)


def split_sqref(sqref: str) -> list[tuple[int, int, int, int]]:
    """``"A1:B2 D4"`` → [(r1, c1, r2, c2), …], 1-based inclusive."""
    out = []
    for part in sqref.split():
        a, _, b = part.partition(":")
        m1 = _CELL.match(a)
        m2 = _CELL.match(b) if b else m1
        if not (m1 and m2):
            continue
        out.append((int(m1.group(4)), col_index(m1.group(2)), int(m2.group(4)), col_index(m2.group(2))))
    return out


def range_text(r1: int, c1: int, r2: int, c2: int) -> str:
    """A1-style range text; a single cell when both corners agree."""
    a = f"{col_letter(c1)}{r1}"
    if (r1, c1) == (r2, c2):
        return a
    return f"{a}:{col_letter(c2)}{r2}"


def shift_area(area: tuple[int, int, int, int], rows: RowMap) -> tuple[int, int, int, int]:
    """An area after expansion: its top row moves, its bottom row goes to the last copy."""
    r1, c1, r2, c2 = area
    return rows.row(r1), c1, rows.end(r2), c2


def shift_sqref(sqref: str, rows: RowMap) -> str:
    """A space-separated range list after expansion (data validations, conditional formats)."""
    return " ".join(range_text(*shift_area(a, rows)) for a in split_sqref(sqref))
