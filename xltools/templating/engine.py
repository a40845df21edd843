"""Stamping forms out of a compiled template: fill the fragments, expand repeating rows, zip.

``stamp(template, data)`` returns the bytes of one .xlsx. The work per form is string
formatting of the rows that change and deflating the sheet XML; every constant part is
copied as already-compressed bytes (see :mod:`xltools.templating.zipwriter`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

from openpyxl.utils.protection import hash_password

from ..core.form import col_letter
from ..core.notation import ValueKind
from . import lists as lists_mod
from .compiler import LISTS_SHEET, CompiledTemplate, RowT
from .formulas import RULES, Calc, word_names
from .rowcode import row_function
from .refs import RowMap, quote_sheet, range_text, shift_area, shift_sqref
from .styles import line_height
from .vocabulary import COMPUTED
from ..io.xmltext import cell_formula, cell_value, esc, number_text
from .zipwriter import Member, member, zip_bytes

__all__ = ["FormData", "StampOptions", "stamp", "stamp_many", "render_sheet", "render_static_row", "SheetOut"]


@dataclass
class FormData:
    """What one form is filled with.

    Attributes:
        fields: placeholder path → value for the non-repeating cells (``"project.name"``).
        items: collection → list of rows, each a dict of field → value (``items["ind"][0]["level1"]``).
        sheet_name: the sheet's name in one-workbook mode (ignored for one file per form).
        parsed_targets: optional per-indicator ValueKind of the target (so blank targets write "").
    """

    fields: dict[str, object] = field(default_factory=dict)
    items: dict[str, list[dict[str, object]]] = field(default_factory=dict)
    sheet_name: str | None = None
    target_kinds: list[ValueKind] | None = None


@dataclass(frozen=True)
class StampOptions:
    """Build-wide choices.

    Attributes:
        password: sheet-protection password (legacy Excel hash); None keeps the template's.
        reverse_rule: "ratio" or "linear", as in Settings.
        framework: "2015" or "2021": which dropdown lists the form carries.
    """

    password: str | None = None
    reverse_rule: str = "ratio"
    framework: str = "2015"


@dataclass
class SheetOut:
    xml: str
    rows: RowMap
    names: list[tuple[str, str, str, bool]]  # (name, attributes, text, local to this sheet)
    drawing: str | None
    sheet_name: str


def _group_spans(values: list[object], parents: list[int] | None = None) -> list[int]:
    """For each row, the length of the run of equal non-blank values it starts (0 when it
    continues a run). ``parents`` (run starts of the enclosing level) cut runs at their edges."""
    n = len(values)
    spans = [1] * n
    i = 0
    while i < n:
        j = i + 1
        v = values[i]
        if v not in (None, ""):
            while j < n and values[j] == v and (parents is None or parents[j] == 0):
                j += 1
        spans[i] = j - i
        for k in range(i + 1, j):
            spans[k] = 0
        i = j
    return spans


class _State:
    """Per-form lookups used by rendering and by :class:`Calc`."""

    def __init__(self, ct: CompiledTemplate, data: FormData, rows: RowMap, opts: StampOptions):
        self.ct = ct
        self.data = data
        self.rows = rows
        self.shape = tuple(sorted(rows.counts.items()))  # what fixed cells' addresses depend on
        self.memo: dict[tuple[str, int | None], tuple[str, object]] = {}
        self.calc = Calc(self, opts.reverse_rule)
        self.reverse_rule = opts.reverse_rule
        self.symbolic: int | None = None  # while set, refs to that copy's row are written as _CUR
        self.current_items: list | None = None
        self.current_coll: str | None = None
        self.sheet_name = ct.sheet_name
        items = data.items.get("ind") or []
        self.spans: dict[str, list[int]] = {}
        if items and "ind.level1" in ct.positions:
            s1 = _group_spans([it.get("level1") for it in items])
            self.spans["level1"] = s1
            if "ind.level2" in ct.positions:
                self.spans["level2"] = _group_spans([it.get("level2") for it in items], s1)

    def has(self, path: str) -> bool:
        return path in self.ct.positions

    def item(self, i: int | None) -> dict | None:
        """The item of copy ``i`` of the row being written (any collection: set by render_sheet)."""
        items = self.current_items
        if i is None or items is None or i >= len(items):
            return None
        return items[i]

    def field(self, item: dict | None, i: int, name: str) -> object:
        if item is None:
            return None
        spans = self.spans.get(name) if self.current_coll == "ind" else None
        if spans is not None and spans[i] == 0:
            return None  # covered by the merged cell of the run above
        return item.get(name)

    def count(self, path: str) -> int:
        coll = path.split(".", 1)[0]
        return max(1, len(self.data.items.get(coll) or []))

    def ref(self, path: str, i: int | None = None) -> str | None:
        pos = self.ct.positions.get(path)
        if pos is None:
            return None
        r, c = pos
        letters = _LETTERS[c]
        if r in self.rows.counts:
            if self.symbolic is not None and i is not None:
                if i == self.symbolic:
                    return letters + _CUR
                if i == self.symbolic - 1:
                    return letters + _PREV
            return f"{letters}{self.rows.row(r) + (i or 0)}"
        return f"{letters}{self.rows.row(r)}"

    def column_range(self, path: str) -> str | None:
        pos = self.ct.positions.get(path)
        if pos is None:
            return None
        r, c = pos
        L = col_letter(c)
        return f"{L}{self.rows.row(r)}:{L}{self.rows.end(r)}"

    def target_blank(self, i: int) -> bool:
        kinds = self.data.target_kinds
        return bool(kinds) and i < len(kinds) and kinds[i] in (ValueKind.EMPTY, ValueKind.PLACEHOLDER)

    def value(self, path: str, i: int | None = None) -> object:
        info = _PATHS.get(path)
        if info is None:
            info = _PATHS[path] = _path_info(path)
        computed, coll, name = info
        if computed:
            hit = self.memo.get((path, i))
            return hit[1] if hit is not None else self.computed(path, i)[1]
        if coll is None:
            return self.data.fields.get(path)
        items = self.data.items.get(coll)
        if not items or i is None or i >= len(items):
            return None
        if coll == "ind" and name in self.spans and self.spans[name][i] == 0:
            return None  # covered by the merged cell of the run above
        return items[i].get(name)

    def raw_item(self, coll: str, i: int) -> dict:
        """Item ``i`` of a collection as given (merged-run blanks not applied), or {}."""
        items = self.data.items.get(coll)
        return items[i] if items and i is not None and i < len(items) else {}

    def computed(self, path: str, i: int | None = None) -> tuple[str, object]:
        """(formula, cached value) of a computed cell; the formula is already XML-escaped.

        A formula depends only on where the cells are (the row counts) and, in a repeating row,
        on a few facts of the row (``Calc.variant``), unless a missing cell was written into it
        as a literal. So each is built once per template and shape, with the row number left as
        a sentinel, and per form only the value is computed and the number filled in.
        """
        key = (path, i)
        hit = self.memo.get(key)
        if hit is not None:
            return hit
        calc = self.calc
        rule = RULES[path]
        # calc.need_formula is False except while a formula is being built (below)
        value = rule(calc, i)[1]
        if i is None:
            variant = ("fixed", path, self.reverse_rule, self.shape)
        else:
            variant = (path, self.reverse_rule, i == 0, calc.variant(path, i) if path == "ind.score" else None)
        f = self.ct.formula_cache.get(variant)
        if f is None:
            f = self._formula(rule, i, variant)
        if i is not None:
            r = self.rows.row(self.ct.positions[path][0]) + i
            if _PREV in f:
                f = f.replace(_PREV, str(r - 1))
            f = f.replace(_CUR, str(r))
        hit = self.memo[key] = (f, value)
        return hit

    def _formula(self, rule, i: int | None, variant: tuple) -> str:
        """Build a formula (escaped; a repeating row's own row number as a sentinel) and keep it
        for the template unless a value was written into it."""
        calc = self.calc
        saved = calc.need_formula, calc.literal_used, self.symbolic
        try:
            calc.need_formula, calc.literal_used, self.symbolic = True, False, i
            f = esc(rule(calc, i)[0])
            cache = self.ct.formula_cache
            if not calc.literal_used and len(cache) < _FORMULA_CACHE_LIMIT:
                cache[variant] = f
        finally:
            calc.need_formula, calc.literal_used, self.symbolic = saved
        return f


_PATHS: dict[str, tuple[bool, str | None, str]] = {}


def _path_info(path: str) -> tuple[bool, str | None, str]:
    head, _, rest = path.partition(".")
    return path in COMPUTED, head if head in ("ind", "task") else None, rest


_CUR, _PREV = "\ue000", "\ue001"  # private-use: never in real formulas
_FORMULA_CACHE_LIMIT = 4096  # formulas per template and shape; forms of unusual shapes build their own
_PART_CACHE_LIMIT = 512  # compressed workbook/drawing parts, one per form shape
_LETTERS = [""] + [col_letter(c) for c in range(1, 16385)]


def _text_of(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return number_text(v)
    return str(v)


@lru_cache(maxsize=4096)  # bounded: long unique texts (goals) would otherwise pile up in a 10,000-form build
def _needed_height(text: str, width: float, size: float) -> float:
    usable = max(width - 0.8, 1.0)
    lines = 0
    for para in text.split("\n"):
        n = len(para)
        wide = (len(para.encode("utf-8")) - n) // 2  # CJK is 3 bytes in UTF-8: 2 extra each
        units = (wide * 0.205 + (n - wide) * 0.105) * size
        lines += max(1, -int(-units // usable))
    return lines * line_height(size) + 3.0


def render_static_row(row: RowT) -> str:
    """A row with no placeholders, at its template position."""
    return _row_xml(row, row.r, [_const(c, row.r) for c in row.cells], None)


def _const(c, R: int) -> str:
    if c.kind == "const":
        return f'<c r="{c.letters}{R}"{c.attrs}{c.body}'
    return f'<c r="{c.letters}{R}"{c.attrs}/>'


def _calc_cell(ref: str, attrs: str, f: str, v: object) -> str:
    """A computed cell: its (escaped) formula and cached value, as xmltext.cell_formula writes it."""
    cls = v.__class__
    if cls is float:
        if v.is_integer() and abs(v) < 1e15:
            return f'<c r="{ref}"{attrs}><f>{f}</f><v>{int(v)}</v></c>'
        if math.isfinite(v):
            return f'<c r="{ref}"{attrs}><f>{f}</f><v>{v!r}</v></c>'
    elif cls is str:
        return f'<c r="{ref}"{attrs} t="str"><f>{f}</f><v>{esc(v)}</v></c>'
    return cell_formula(ref, attrs, f, v, escaped=True)


def _other_cell(c, Rs: str, i: int | None, state: "_State") -> str:
    """Mixed text (``{{ year }}年度…``) and a designer's own formulas."""
    ref = c.letters + Rs
    if c.kind == "text":
        text = "".join(p if isinstance(p, str) else _text_of(state.value(p.path, i)) for p in c.pieces)
        return cell_value(ref, c.attrs, text)
    # shifted with the rows, without a cached value (the compiler set fullCalcOnLoad)
    f = c.formula.render(state.rows, state.sheet_name, int(Rs) if i is not None else None)
    return f'<c r="{ref}"{c.attrs}><f{c.formula_attrs}>{esc(f)}</f></c>'


def _row_xml(row: RowT, R: int, cells, need: float | None) -> str:
    if not isinstance(cells, str):
        cells = "".join(cells)
    ht = ""
    if need is not None and need > (row.ht or 0) + 0.01 and need > 15.01:
        ht = f' ht="{round(need, 2):g}" customHeight="1"'
    elif row.ht is not None:
        ht = f' ht="{row.ht:g}"' + (' customHeight="1"' if row.custom_height else "")
    return f'<row r="{R}"{row.attrs}{ht}>{cells}</row>'


def render_sheet(ct: CompiledTemplate, data: FormData, opts: StampOptions = StampOptions(),
                 sheet_name: str | None = None) -> SheetOut:
    """The form sheet's XML, defined names and (when anchors move) drawing XML for one form."""
    sheet_name = sheet_name or ct.sheet_name
    counts = [(r, len(data.items.get(coll) or [])) for coll, r in ct.blocks.items()]
    rows = RowMap(counts)
    state = _State(ct, data, rows, opts)
    out: list[str] = [ct.head.format(dimension=f"A1:{col_letter(ct.max_col)}{rows.row(ct.rows[-1].r) if ct.rows else 1}"
                                     if not ct.rows or not ct.rows[-1].block else
                                     f"A1:{col_letter(ct.max_col)}{rows.end(ct.rows[-1].r)}"),
                      "<sheetData>"]
    state.sheet_name = sheet_name
    for row in ct.rows:
        fn = row.fn
        if fn is None:
            fn = row.fn = row_function(row, _calc_cell, _needed_height, _other_cell)
        if row.block is None:
            R = rows.row(row.r)
            if row.static is not None and R == row.r:
                out.append(row.static)
                continue
            state.current_items, state.current_coll = None, None
            cells, need = fn(str(R), None, state)
            out.append(_row_xml(row, R, cells, need))
            continue
        state.current_items, state.current_coll = data.items.get(row.block) or [], row.block
        n = state.count(row.block + ".")
        start = rows.row(row.r)
        for i in range(n):
            R = start + i
            cells, need = fn(str(R), i, state)
            out.append(_row_xml(row, R, cells, need))
    out.append("</sheetData>")
    # Merges, validations, conditional formats and names depend only on the row counts (and
    # the 一级/二级 runs): forms with the same shape reuse them.
    shape = (tuple(sorted(rows.counts.items())), sheet_name, opts.password,
             tuple(tuple(v) for v in state.spans.values()))
    cache = ct.formula_cache
    hit = cache.get(("tail", shape))
    if hit is None:
        merges = _merges(ct, rows, state)
        pieces: list = []
        for part in ct.tail:
            if part == ["{merges}"]:
                if merges:
                    pieces.append(f'<mergeCells count="{len(merges)}">' +
                                  "".join(f'<mergeCell ref="{m}"/>' for m in merges) + "</mergeCells>")
                continue
            for p in part:
                if isinstance(p, str):
                    pieces.append(p)
                elif p[0] == "hf":
                    pieces.append(p)  # header/footer text holds form values: filled per form
                else:
                    pieces.append(_slot(p, rows, sheet_name, state, opts))
        hit = _merge_strings(pieces)
        if len(cache) < 4096:
            cache[("tail", shape)] = hit
    for p in hit:
        out.append(p if isinstance(p, str) else _slot(p, rows, sheet_name, state, opts))
    out.append("</worksheet>")
    drawing = None
    if ct.drawing is not None:
        drawing = "".join(p if isinstance(p, str) else str(rows.row(p[1]) - 1) for p in ct.drawing)
    state.calc.s = None  # break the state ↔ calc cycle: freed at once, not by the collector
    names = cache.get(("names", state.shape, sheet_name))
    if names is None:
        names = _names(ct, rows, sheet_name)
        if len(cache) < _FORMULA_CACHE_LIMIT:
            cache[("names", state.shape, sheet_name)] = names
    return SheetOut("".join(out), rows, list(names), drawing, sheet_name)


def _merge_strings(pieces: list) -> list:
    out: list = []
    for p in pieces:
        if isinstance(p, str) and out and isinstance(out[-1], str):
            out[-1] += p
        else:
            out.append(p)
    return out


def _merges(ct: CompiledTemplate, rows: RowMap, state: _State) -> list[str]:
    out: list[str] = []
    block_rows = set(rows.counts)
    level_cols = {name: cols for name, cols in ct.merged_columns.items() if name in state.spans}
    ind_row = ct.blocks.get("ind")
    for area in ct.merges:
        r1, c1, r2, c2 = area
        if r1 == r2 and r1 in block_rows:
            start, n = rows.row(r1), rows.end(r1) - rows.row(r1) + 1
            for i in range(n):
                if r1 == ind_row and any(i < len(state.spans[name]) and state.spans[name][i] != 1 and c1 <= lc2 and lc1 <= c2
                       for name, (lc1, lc2) in level_cols.items()):
                    continue  # inside a vertical 一级/二级 run: the run's merge covers this cell
                out.append(range_text(start + i, c1, start + i, c2))
        else:
            out.append(range_text(*shift_area(area, rows)))
    if level_cols:
        r0 = rows.row(ct.blocks["ind"])
        for name, (c1, c2) in level_cols.items():
            for i, span in enumerate(state.spans[name]):
                if span > 1:
                    out.append(range_text(r0 + i, c1, r0 + i + span - 1, c2))
    return out


def _slot(p: tuple, rows: RowMap, sheet_name: str, state: _State, opts: StampOptions) -> str:
    kind = p[0]
    if kind == "sqref":
        return shift_sqref(p[1], rows)
    if kind == "f":
        return esc(p[1].render(rows, sheet_name))
    if kind == "brk":
        return str(rows.end(p[1]))
    if kind == "hf":
        text = "".join(x if isinstance(x, str) else _text_of(state.value(x.path)).replace("&", "&&") for x in p[1])
        return esc(text)
    if kind == "protection":
        xml = p[1]
        if opts.password:
            import re
            xml = re.sub(r'\s(password|algorithmName|hashValue|saltValue|spinCount)="[^"]*"', "", xml)
            xml = xml.replace("<sheetProtection", f'<sheetProtection password="{hash_password(opts.password)}"', 1)
        return xml
    raise AssertionError(kind)


def _is_list_name(n: dict) -> bool:
    return (LISTS_SHEET in n["text"] or n["name"] in lists_mod.FRAMEWORKS["2021"] or n["name"] == lists_mod.LEVEL1_NAME
            or n["name"].startswith("_xlt_"))  # engine-owned names are written fresh


def _names(ct: CompiledTemplate, rows: RowMap, sheet_name: str) -> tuple[tuple[str, str, str, bool], ...]:
    """This sheet's defined names as (name, attributes, text, local): the template's own that
    point at the form sheet (shifted with the rows), then the engine's hidden block names."""
    out = []
    for n in ct.workbook_names:
        if _is_list_name(n):
            continue
        local = n["local"] is not None
        if local and int(n["local"]) != ct.sheet_index:
            continue
        if not local and not n["formula"].has_refs:
            continue  # workbook-level constants are written once by the packager
        out.append((n["name"], n["attrs"], esc(n["formula"].render(rows, sheet_name)), local))
    q = quote_sheet(sheet_name)
    last_col = col_letter(ct.max_col)
    for coll, r in sorted(ct.blocks.items()):
        out.append((f"_xlt_{coll}", ' hidden="1"', f"{q}!$A${rows.row(r)}:${last_col}${rows.end(r)}", True))
    if ct.kind:
        out.append(("_xlt_kind", ' hidden="1"', esc(f'"{ct.kind}"'), True))
    return tuple(out)


def _workbook_level_names(ct: CompiledTemplate) -> list[tuple[str, str, str]]:
    out = []
    for n in ct.workbook_names:
        if _is_list_name(n):
            continue
        if n["local"] is None and not n["formula"].has_refs:
            out.append((n["name"], n["attrs"], esc(n["text"])))
    return out


def _name_xml(name: str, attrs: str, text: str, local: int | None) -> str:
    import re
    attrs = re.sub(r'\slocalSheetId="\d+"', "", attrs)
    loc = f' localSheetId="{local}"' if local is not None else ""
    return f'<definedName name="{esc(name)}"{loc}{attrs}>{text}</definedName>'


@lru_cache(maxsize=16)
def _lists_member(part: str, framework: str) -> Member:
    return member(part, lists_mod.lists_sheet_xml(framework).encode("utf-8"))


def _lists_names(ct: CompiledTemplate, framework: str) -> list[str]:
    """Workbook names the engine owns: the dropdown lists and the score formulas' word lists."""
    out = [_name_xml(n, ' hidden="1"', esc(text), None) for n, text in word_names()]
    if ct.lists_part is None:
        return out
    q = quote_sheet(LISTS_SHEET)
    return out + [_name_xml(n, "", ref, None) for n, ref in lists_mod.list_names(framework, q)]


def _workbook_xml(ct: CompiledTemplate, sheets_xml: str, names: list[str]) -> str:
    dn = f"<definedNames>{''.join(sorted(names, key=_name_sort_key))}</definedNames>" if names else ""
    return f"{ct.workbook_head}<sheets>{sheets_xml}</sheets>{dn}{ct.workbook_tail}"


def _name_sort_key(xml: str) -> str:
    # Excel writes defined names sorted case-insensitively; follow it for stable, diffable output
    return xml.split('name="', 1)[1].split('"', 1)[0].lower() + xml


def stamp(ct: CompiledTemplate, data: FormData, opts: StampOptions = StampOptions()) -> bytes:
    """One .xlsx (bytes) for one form."""
    sheet = render_sheet(ct, data, opts)
    members = []
    for name, m in ct.constant_members:
        if m is not None:
            members.append(m)
        elif name == ct.sheet_part:
            members.append(member(name, sheet.xml.encode("utf-8")))
        elif name == "xl/workbook.xml":
            members.append(_workbook_member(ct, sheet, opts))
        elif name == ct.lists_part:
            members.append(_lists_member(name, opts.framework))
        elif name == ct.drawing_part:
            members.append(_cached_member(ct, name, sheet.drawing))
    return zip_bytes(members)


def _workbook_member(ct: CompiledTemplate, sheet: SheetOut, opts: StampOptions) -> Member:
    """workbook.xml of a one-form file, compressed. It depends only on the form's defined names
    (which follow the row counts), so forms of the same shape share one compressed copy."""
    key = ("workbook", tuple(sheet.names), opts.framework)
    hit = ct.part_cache.get(key)
    if hit is None:
        names = [_name_xml(n, a, t, ct.sheet_index if local else None) for n, a, t, local in sheet.names]
        names += [_name_xml(n, a, t, None) for n, a, t in _workbook_level_names(ct)]
        names += _lists_names(ct, opts.framework)
        sheets_xml = "".join(s["xml"] for s in ct.workbook_sheets)
        hit = member("xl/workbook.xml", _workbook_xml(ct, sheets_xml, names).encode("utf-8"))
        if len(ct.part_cache) < _PART_CACHE_LIMIT:
            ct.part_cache[key] = hit
    return hit


def _cached_member(ct: CompiledTemplate, name: str, text: str) -> Member:
    key = ("part", name, text)
    hit = ct.part_cache.get(key)
    if hit is None:
        hit = member(name, text.encode("utf-8"))
        if len(ct.part_cache) < _PART_CACHE_LIMIT:
            ct.part_cache[key] = hit
    return hit


def stamp_many(ct: CompiledTemplate, forms: list[FormData], opts: StampOptions = StampOptions()) -> bytes:
    """One .xlsx holding every form as its own sheet (``FormData.sheet_name`` names each)."""
    from .packager import package_many
    return package_many(ct, [render_sheet(ct, f, opts, f.sheet_name) for f in forms], opts)
