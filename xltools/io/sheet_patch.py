"""One worksheet part opened for surgery: find or create rows and cells, write values and formulas.

Everything not touched (merges, validations, conditional formats, drawings, extLst …) stays
in the tree as parsed. New children of <worksheet> are inserted where the CT_Worksheet
sequence of ECMA-376 puts them, because Excel rejects out-of-order elements.
"""
from __future__ import annotations

import bisect
import math
import re

from lxml import etree

from ..core.form import address, col_index
from .package import NS_MAIN, NS_R
from . import xmltext
from .xmltext import ooxml_text  # noqa: F401 - cell and note writers import it from here

_M = f"{{{NS_MAIN}}}"
NS_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"

MAX_ROW = 1_048_576
MAX_COL = 16_384
MAX_TEXT = 32_767

WORKSHEET_ORDER = (
    "sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr",
    "sheetProtection", "protectedRanges", "scenarios", "autoFilter", "sortState", "dataConsolidate",
    "customSheetViews", "mergeCells", "phoneticPr", "conditionalFormatting", "dataValidations",
    "hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter", "rowBreaks",
    "colBreaks", "customProperties", "cellWatches", "ignoredErrors", "smartTags", "drawing",
    "legacyDrawing", "legacyDrawingHF", "picture", "oleObjects", "controls", "webPublishItems",
    "tableParts", "extLst",
)
_ORDER = {name: i for i, name in enumerate(WORKSHEET_ORDER)}
_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")


class EditRefused(ValueError):
    """An edit that would corrupt the sheet (part of an array formula, a hidden merged cell …)."""


def parse_ref(ref: str) -> tuple[int, int]:
    """A1 (or $A$1) to 1-based (row, col); ValueError when it is not one cell inside the grid."""
    m = _REF.match(ref.strip()) if isinstance(ref, str) else None
    if not m:
        raise ValueError(f"not a cell address: {ref!r}")
    row, col = int(m.group(2)), col_index(m.group(1))
    if not (1 <= row <= MAX_ROW and 1 <= col <= MAX_COL):
        raise ValueError(f"cell address outside the sheet: {ref!r}")
    return row, col


def parse_range(ref: str) -> tuple[int, int, int, int]:
    """"A1:C3" (or one cell) to (r1, c1, r2, c2)."""
    first, _, last = ref.partition(":")
    r1, c1 = parse_ref(first)
    r2, c2 = parse_ref(last) if last else (r1, c1)
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


def number_text(value: float) -> str:
    """A number as <v> text (``xmltext.number_text``), a boolean as 1 or 0; a number that is not
    finite has no cell form and raises ValueError."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"cannot write {value!r} into a cell")
    return xmltext.number_text(value)


def set_text(el: etree._Element, text: str) -> None:
    """Set ``el``'s text, keeping leading/trailing spaces and newlines (xml:space)."""
    el.text = text
    if text != text.strip() or "\n" in text:
        el.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")


def _order_of(child: etree._Element) -> int | None:
    if not isinstance(child.tag, str):
        return None
    qn = etree.QName(child)
    if qn.namespace == NS_MAIN:
        return _ORDER.get(qn.localname)
    if qn.namespace == NS_MC and qn.localname == "AlternateContent":
        # mc:AlternateContent wraps one worksheet child (controls, oleObjects): it sits there.
        for choice in child:
            for inner in choice:
                if isinstance(inner.tag, str):
                    return _ORDER.get(etree.QName(inner).localname)
    return None


def insert_in_order(parent: etree._Element, el: etree._Element) -> etree._Element:
    """Insert ``el`` among <worksheet>'s children where CT_Worksheet puts it; returns el."""
    pos = _ORDER[etree.QName(el).localname]
    for child in parent:
        order = _order_of(child)
        if order is not None and order > pos:
            child.addprevious(el)
            return el
    parent.append(el)
    return el


class SheetPatch:
    """A worksheet's XML tree with a row index; mutate through the methods, then save the root."""

    def __init__(self, root: etree._Element, name: str):
        self.root = root
        self.name = name
        self.changed = False
        self.formula_replaced = False
        data = root.find(_M + "sheetData")
        if data is None:
            data = insert_in_order(root, etree.Element(_M + "sheetData"))
        self.sheet_data = data
        self._rows: dict[int, etree._Element] = {}
        self._row_numbers: list[int] = []
        self._arrays: list[tuple[tuple[int, int, int, int], tuple[int, int], str]] | None = None
        self._merges: list[tuple[int, int, int, int]] | None = None
        self._index_rows()

    # -- index ---------------------------------------------------------------------------------
    def _index_rows(self) -> None:
        """Index rows by number, filling in r attributes a writer left out (they are implicit)."""
        ns = {"m": NS_MAIN}
        rows = self.sheet_data.findall(_M + "row")
        numbers = self.sheet_data.xpath("m:row/@r", namespaces=ns)
        if len(numbers) == len(rows) and not self.sheet_data.xpath("m:row/m:c[not(@r)]", namespaces=ns):
            # The common case, done without a Python-level walk over every cell.
            self._rows = dict(zip(map(int, numbers), rows))
        else:
            prev = 0
            for row in rows:
                r = row.get("r")
                n = int(r) if r else prev + 1
                if not r:
                    row.set("r", str(n))
                self._rows[n] = row
                prev = n
                col = 0
                for c in row.iterfind(_M + "c"):
                    ref = c.get("r")
                    col = parse_ref(ref)[1] if ref else col + 1
                    if not ref:
                        c.set("r", address(n, col))
        self._row_numbers = sorted(self._rows)

    def row(self, r: int, create: bool = False) -> etree._Element | None:
        """The <row> numbered ``r``; with ``create`` a new one is inserted in row order."""
        hit = self._rows.get(r)
        if hit is not None or not create:
            return hit
        row = etree.Element(_M + "row", r=str(r))
        i = bisect.bisect_right(self._row_numbers, r)
        if i < len(self._row_numbers):
            self._rows[self._row_numbers[i]].addprevious(row)
        else:
            self.sheet_data.append(row)
        self._row_numbers.insert(i, r)
        self._rows[r] = row
        self.changed = True
        return row

    def remove_row_if_bare(self, r: int) -> None:
        """Drop row ``r`` when it has no cells and no attributes besides r/spans."""
        row = self._rows.get(r)
        if row is None or len(row) or set(row.attrib) - {"r", "spans"}:
            return
        self.sheet_data.remove(row)
        del self._rows[r]
        self._row_numbers.remove(r)
        self.changed = True

    def cell(self, r: int, c: int, create: bool = False) -> etree._Element | None:
        """The <c> at (r, c); with ``create`` a new one is inserted in column order."""
        row = self.row(r, create)
        if row is None:
            return None
        ref = address(r, c)
        after = None
        for el in row.iterfind(_M + "c"):
            cref = el.get("r")
            if cref == ref:
                return el
            if after is None and parse_ref(cref)[1] > c:
                after = el
        if not create:
            return None
        el = etree.Element(_M + "c", r=ref)
        style = self.inherited_style(r, c)
        if style:
            el.set("s", str(style))
        if after is not None:
            after.addprevious(el)
        else:
            # Cells come before any extLst child of the row.
            ext = row.find(_M + "extLst")
            if ext is not None:
                ext.addprevious(el)
            else:
                row.append(el)
        self._extend_spans(row, c)
        self.extend_dimension(r, c)
        self.changed = True
        return el

    def remove_cell(self, r: int, c: int) -> None:
        """Delete the <c> at (r, c) if it exists."""
        el = self.cell(r, c)
        if el is not None:
            el.getparent().remove(el)
            self.changed = True

    def inherited_style(self, r: int, c: int) -> int:
        """The style a new cell at (r, c) gets in Excel: its row's, else its column's, else 0."""
        row = self._rows.get(r)
        if row is not None and row.get("customFormat") in ("1", "true") and row.get("s"):
            return int(row.get("s"))
        cols = self.root.find(_M + "cols")
        if cols is not None:
            for col in cols.iterfind(_M + "col"):
                if int(col.get("min", "0")) <= c <= int(col.get("max", "0")):
                    return int(col.get("style", "0"))
        return 0

    # -- geometry ----------------------------------------------------------------------------------
    def merges(self) -> list[tuple[int, int, int, int]]:
        """Merged ranges as (r1, c1, r2, c2), 1-based."""
        if self._merges is None:
            self._merges = []
            mc = self.root.find(_M + "mergeCells")
            if mc is not None:
                for m in mc.iterfind(_M + "mergeCell"):
                    try:
                        self._merges.append(parse_range(m.get("ref", "")))
                    except ValueError:
                        continue
            # Index by row so that a lookup does not scan thousands of ranges; tall ranges stay in a list.
            self._merge_rows: dict[int, list[tuple[int, int, int, int]]] = {}
            self._tall_merges: list[tuple[int, int, int, int]] = []
            for rng in self._merges:
                if rng[2] - rng[0] > 256:
                    self._tall_merges.append(rng)
                else:
                    for r in range(rng[0], rng[2] + 1):
                        self._merge_rows.setdefault(r, []).append(rng)
        return self._merges

    def merge_anchor(self, r: int, c: int) -> tuple[int, int]:
        """The top-left cell of the merged range holding (r, c), or (r, c) itself."""
        self.merges()
        for ranges in (self._merge_rows.get(r, ()), self._tall_merges):
            for r1, c1, r2, c2 in ranges:
                if r1 <= r <= r2 and c1 <= c <= c2:
                    return r1, c1
        return r, c

    def extend_dimension(self, r: int, c: int) -> None:
        """Grow <dimension ref> to include (r, c)."""
        dim = self.root.find(_M + "dimension")
        if dim is None:
            return
        try:
            r1, c1, r2, c2 = parse_range(dim.get("ref", "A1"))
        except ValueError:
            return
        if r1 <= r <= r2 and c1 <= c <= c2:
            return
        if dim.get("ref", "A1") == "A1" and self._is_empty_except(r, c):
            r1, c1, r2, c2 = r, c, r, c
        r1, c1, r2, c2 = min(r1, r), min(c1, c), max(r2, r), max(c2, c)
        dim.set("ref", address(r1, c1) if (r1, c1) == (r2, c2) else f"{address(r1, c1)}:{address(r2, c2)}")
        self.changed = True

    def restore_bounds(self, r: int, dim: str | None, spans: str | None) -> None:
        """Put back the dimension and row spans recorded before a cell was created, if still true."""
        row = self._rows.get(r)
        if row is not None and spans and re.fullmatch(r"\d+:\d+", spans):
            lo, hi = (int(x) for x in spans.split(":"))
            if all(lo <= parse_ref(c.get("r"))[1] <= hi for c in row.iterfind(_M + "c")):
                row.set("spans", spans)
        el = self.root.find(_M + "dimension")
        if el is None or not dim:
            return
        try:
            r1, c1, r2, c2 = parse_range(dim)
        except ValueError:
            return
        for c in self.sheet_data.iter(_M + "c"):
            cr, cc = parse_ref(c.get("r"))
            if not (r1 <= cr <= r2 and c1 <= cc <= c2):
                return
        el.set("ref", dim)
        self.changed = True

    def _is_empty_except(self, r: int, c: int) -> bool:
        for el in self.sheet_data.iter(_M + "c"):
            if el.get("r") != address(r, c):
                return False
        return True

    @staticmethod
    def _extend_spans(row: etree._Element, c: int) -> None:
        spans = row.get("spans")
        if not spans:
            return
        try:
            bounds = [int(x) for part in spans.split() for x in part.split(":")]
        except ValueError:
            del row.attrib["spans"]
            return
        lo, hi = min(bounds), max(bounds)
        if not lo <= c <= hi:
            row.set("spans", f"{min(lo, c)}:{max(hi, c)}")

    # -- formulas ----------------------------------------------------------------------------------
    def _array_ranges(self) -> list[tuple[tuple[int, int, int, int], tuple[int, int], str]]:
        if self._arrays is None:
            self._arrays = []
            for f in self.sheet_data.iter(_M + "f"):
                if f.get("t") in ("array", "dataTable") and f.get("ref"):
                    try:
                        rng = parse_range(f.get("ref"))
                        master = parse_ref(f.getparent().get("r"))
                    except (ValueError, TypeError):
                        continue
                    if rng[0] != rng[2] or rng[1] != rng[3]:
                        self._arrays.append((rng, master, f.get("ref")))
        return self._arrays

    def check_writable(self, r: int, c: int) -> None:
        """Raise EditRefused when (r, c) cannot be written on its own."""
        anchor = self.merge_anchor(r, c)
        if anchor != (r, c):
            raise EditRefused(f"单元格 {address(r, c)} 位于合并区域内（左上角为 {address(*anchor)}），写入不会显示 "
                              f"/ {address(r, c)} is hidden inside a merged range anchored at {address(*anchor)}")
        for (r1, c1, r2, c2), _master, ref in self._array_ranges():
            if r1 <= r <= r2 and c1 <= c <= c2:
                raise EditRefused(f"单元格 {address(r, c)} 属于数组公式或模拟运算表 {ref}，不能单独改写 "
                                  f"/ {address(r, c)} is part of the array formula or data table {ref}")

    def _materialise_shared(self, master: etree._Element, f: etree._Element) -> None:
        """Give every dependant of the shared formula mastered at ``master`` its own formula."""
        from openpyxl.formula.translate import Translator, TranslatorError

        si, text, origin = f.get("si"), f.text or "", master.get("r")
        for c in self.sheet_data.iter(_M + "c"):
            g = c.find(_M + "f")
            if c is master or g is None or g.get("t") != "shared" or g.get("si") != si:
                continue
            try:
                own = Translator("=" + text, origin=origin).translate_formula(c.get("r"))[1:]
            except (TranslatorError, ValueError) as exc:
                raise EditRefused(f"无法展开 {origin} 的共享公式到 {c.get('r')}，未改写 "
                                  f"/ cannot expand the shared formula of {origin} into {c.get('r')}: {exc}") from None
            for attr in ("t", "si", "ref"):
                g.attrib.pop(attr, None)
            g.text = own
        self.formula_replaced = True

    def write(self, r: int, c: int, value: object, formula: str | None = None) -> etree._Element:
        """Write a number, text (always as an inline string) or a live formula with its cached value.

        Raises:
            EditRefused: the cell is hidden in a merged range or part of a multi-cell array formula.
            ValueError: a value that no cell can hold (NaN, text over 32,767 characters).
        """
        self.check_writable(r, c)
        if value is not None and not isinstance(value, (str, int, float)):
            raise ValueError(f"unsupported value type {type(value).__name__} for {address(r, c)}")
        if isinstance(value, str) and len(value) > MAX_TEXT:
            raise ValueError(f"text longer than {MAX_TEXT} characters cannot go into {address(r, c)}")
        el = self.cell(r, c, create=True)
        old_f = el.find(_M + "f")
        if old_f is not None:
            self.formula_replaced = True
            if old_f.get("t") == "shared" and old_f.get("ref"):
                self._materialise_shared(el, old_f)
        for child in list(el):
            if etree.QName(child).localname in ("f", "v", "is"):
                el.remove(child)
        # t: the old type; cm/vm: dynamic-array and rich-value metadata of the old value.
        for attr in ("t", "cm", "vm"):
            el.attrib.pop(attr, None)
        new: list[etree._Element] = []
        if formula is not None:
            f = etree.Element(_M + "f")
            f.text = ooxml_text(formula.lstrip("=") if formula.startswith("=") else formula)
            new.append(f)
            if value is not None:
                v = etree.Element(_M + "v")
                if isinstance(value, str):
                    el.set("t", "str")
                    set_text(v, ooxml_text(value))
                else:
                    if isinstance(value, bool):
                        el.set("t", "b")
                    v.text = number_text(value)
                new.append(v)
        elif isinstance(value, str):
            el.set("t", "inlineStr")
            is_ = etree.Element(_M + "is")
            set_text(etree.SubElement(is_, _M + "t"), ooxml_text(value))
            new.append(is_)
        elif value is not None:
            if isinstance(value, bool):
                el.set("t", "b")
            v = etree.Element(_M + "v")
            v.text = number_text(value)
            new.append(v)
        for i, child in enumerate(new):
            el.insert(i, child)
        self.changed = True
        return el

    # -- styles -----------------------------------------------------------------------------------
    @staticmethod
    def style_of(el: etree._Element) -> int:
        """The cellXfs index of a <c> (0 when it has no s)."""
        return int(el.get("s", "0") or 0)

    def set_style(self, el: etree._Element, s: int | None) -> None:
        """Set a <c>'s style index; None removes the attribute."""
        if s is None or (s == 0 and el.get("s") is None):
            el.attrib.pop("s", None)
        else:
            el.set("s", str(s))
        self.changed = True

    # -- other children ---------------------------------------------------------------------------
    def child(self, local: str) -> etree._Element | None:
        """The first <worksheet> child named ``local``."""
        return self.root.find(_M + local)

    def set_legacy_drawing(self, rid: str | None) -> None:
        """Point <legacyDrawing> at ``rid``, or remove it when ``rid`` is None."""
        el = self.child("legacyDrawing")
        if rid is None:
            if el is not None:
                self.root.remove(el)
                self.changed = True
            return
        if el is None:
            el = insert_in_order(self.root, etree.Element(_M + "legacyDrawing"))
        el.set(f"{{{NS_R}}}id", rid)
        self.changed = True

    def legacy_drawing_rid(self) -> str | None:
        """The r:id of <legacyDrawing> (the notes' VML), or None."""
        el = self.child("legacyDrawing")
        return None if el is None else el.get(f"{{{NS_R}}}id")
