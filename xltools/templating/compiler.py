"""Compiling a template workbook once into string fragments that the engine fills per form.

The compiler reads the designer's .xlsx as a package of XML parts. Parts that no form
changes (styles, theme, shared strings, images, other sheets) are compressed once. The form
sheet is split into rows of cell fragments, with placeholders and reference slots marked;
everything after ``sheetData`` (merges, conditional formats, validations, protection, print
setup, header/footer, drawing) is kept as text with its ranges and formulas turned into
slots that follow the repeating rows.
"""
from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path

from lxml import etree
from openpyxl.formula.translate import Translator

from ..core.form import col_index, col_letter
from ..io.errors import DAMAGED_ZIP_ERRORS
from . import styles as st
from .placeholders import Placeholder, TemplateError, find, only_placeholder, split_text
from .refs import FormulaTemplate, split_sqref
from .vocabulary import is_known
from .zipwriter import Member, member

__all__ = ["compile_template", "CompiledTemplate", "CellT", "RowT", "LISTS_SHEET", "infer_kind"]

M = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PR = "http://schemas.openxmlformats.org/package/2006/relationships"
LISTS_SHEET = "指标目录"  # the hidden sheet holding the dropdown lists; the engine rewrites it
_MAIN_XMLNS = f' xmlns="{M}"'
_CALC_CHAIN_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/calcChain"


@dataclass
class CellT:
    """A template cell. ``kind``: const, empty, value, text, calc or formula."""

    col: int
    letters: str
    attrs: str  # e.g. ' s="3"' (never r; t only for const cells)
    kind: str
    body: str = ""  # const: the XML after the attributes, from ">" to "</c>"
    placeholder: Placeholder | None = None
    pieces: list = field(default_factory=list)  # text: literal strings and Placeholders
    formula: FormulaTemplate | None = None
    formula_attrs: str = ""  # t="array" ref=… for array formulas
    fit: tuple[float, float] | None = None  # (width units, font size) when the cell wraps
    coll: str | None = None  # the collection of a repeating-row placeholder ("ind")
    field: str = ""  # its field ("level1")

    def __post_init__(self):
        if self.placeholder is not None:
            self.coll = self.placeholder.collection
            self.field = self.placeholder.field


@dataclass
class RowT:
    """A template row: its attributes, cells, and the collection it repeats for (if any)."""

    r: int
    attrs: str  # without r, ht and customHeight
    ht: float | None
    custom_height: bool
    cells: list[CellT]
    block: str | None = None
    static: str | None = None  # the whole row pre-rendered (constant rows above every block)
    fn: object = None  # the generated renderer (xltools.templating.rowcode), made on first use


@dataclass
class CompiledTemplate:
    """A template compiled for stamping; see the module docstring."""

    source: str
    kind: str | None
    sheet_name: str
    sheet_part: str
    sheet_index: int  # position among <sheet> elements (localSheetId)
    head: str  # sheet XML up to <sheetData>, with {dimension} left to fill
    rows: list[RowT]
    tail: list[list]  # elements after sheetData: literal strings and slots
    merges: list[tuple[int, int, int, int]]
    blocks: dict[str, int]  # collection → template row
    positions: dict[str, tuple[int, int]]  # placeholder path → (template row, column)
    max_col: int
    constant_members: list[tuple[str, Member | None]]  # in package order; None marks a dynamic part
    workbook_head: str
    workbook_sheets: list[dict]
    workbook_names: list[dict]
    workbook_tail: str
    drawing_part: str | None = None
    drawing: list | None = None  # fragments when anchors sit below a repeating row
    lists_part: str | None = None
    lists_sheet_index: int | None = None
    designer_formulas: bool = False
    merged_columns: dict[str, tuple[int, int]] = field(default_factory=dict)  # level field → (c1, c2)
    files: dict[str, bytes] = field(default_factory=dict)  # raw parts (one-workbook mode, rollover)
    col_widths: dict[int, float] = field(default_factory=dict)
    hidden_cols: set[int] = field(default_factory=set)
    protected: bool = False
    formula_cache: dict = field(default_factory=dict, repr=False)  # formulas, tails and names by form shape
    part_cache: dict = field(default_factory=dict, repr=False)  # compressed per-shape parts (workbook.xml)

    @property
    def collections(self) -> set[str]:
        return set(self.blocks)

    def column_of(self, path: str) -> int | None:
        pos = self.positions.get(path)
        return pos[1] if pos else None


def infer_kind(paths: set[str]) -> str:
    """The form kind a template's placeholders imply (project/unit × target/selfeval)."""
    selfeval = any(p in paths for p in ("ind.actual", "ind.score", "score.total", "fund.total.rate"))
    project = any(p.startswith(("project.", "budget.", "plan.")) for p in paths)
    return ("project" if project else "unit") + ("-selfeval" if selfeval else "-target")


def _attr_name(key: str, nsmap: dict) -> str:
    if key.startswith("{"):
        uri, local = key[1:].split("}")
        for prefix, u in nsmap.items():
            if u == uri and prefix:
                return f"{prefix}:{local}"
        return local
    return key


def _esc_attr(v: str) -> str:
    return v.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


def _attrs(el, skip: tuple[str, ...]) -> str:
    out = []
    for k, v in el.attrib.items():
        name = _attr_name(k, el.nsmap)
        if name in skip:
            continue
        out.append(f' {name}="{_esc_attr(v)}"')
    return "".join(out)


def _xml(el) -> str:
    """An element serialized without the namespace declarations its document root already makes."""
    text = etree.tostring(el, encoding="unicode")
    root = el.getroottree().getroot()
    for prefix, uri in root.nsmap.items():
        decl = f' xmlns="{uri}"' if prefix is None else f' xmlns:{prefix}="{uri}"'
        text = text.replace(decl, "")
    return text


def _shared_strings(xml: bytes | None) -> list[str]:
    if not xml:
        return []
    root = etree.fromstring(xml)
    out = []
    for si in root.findall(f"{{{M}}}si"):
        # rPh holds phonetic guides, not text
        out.append("".join(t.text or "" for t in si.iter(f"{{{M}}}t") if t.getparent().tag != f"{{{M}}}rPh"))
    return out


def _rels(xml: bytes | None) -> dict[str, tuple[str, str]]:
    if not xml:
        return {}
    root = etree.fromstring(xml)
    return {r.get("Id"): (r.get("Type"), r.get("Target")) for r in root.findall(f"{{{PR}}}Relationship")}


def _resolve(base_part: str, target: str) -> str:
    if target.startswith("/"):
        return target[1:]
    return posixpath.normpath(posixpath.join(posixpath.dirname(base_part), target))


def _rels_path(part: str) -> str:
    return posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")


_SLOT = re.compile(
    r'(?P<attr>\b(?:sqref|ref)=")(?P<sq>[^"]*)"'
    r'|<(?P<tag>formula|formula1|formula2|xm:f)>(?P<f>.*?)</(?P=tag)>'
    r'|<xm:sqref>(?P<xsq>.*?)</xm:sqref>'
    r'|(?P<brk><brk id=")(?P<id>\d+)"',
    re.S,
)
_HF = re.compile(r"<(odd|even|first)(Header|Footer)>(.*?)</\1\2>", re.S)


def _element_template(xml: str, sheet: str) -> list:
    """Serialized element → [literal, ("sqref", text) | ("f", FormulaTemplate) | ("brk", n) | ("hf", pieces)]."""
    parts: list = []
    pos = 0
    for m in _SLOT.finditer(xml):
        parts.append(xml[pos:m.start()])
        if m.group("attr"):
            parts.append(m.group("attr"))
            parts.append(("sqref", m.group("sq")))
            parts.append('"')
        elif m.group("tag"):
            parts.append(f"<{m.group('tag')}>")
            parts.append(("f", FormulaTemplate(unescape(m.group("f")), sheet)))
            parts.append(f"</{m.group('tag')}>")
        elif m.group("xsq") is not None:
            parts.append("<xm:sqref>")
            parts.append(("sqref", m.group("xsq")))
            parts.append("</xm:sqref>")
        else:
            parts.append(m.group("brk"))
            parts.append(("brk", int(m.group("id"))))
            parts.append('"')
        pos = m.end()
    parts.append(xml[pos:])
    return _merge_literals(parts)


def _hf_template(xml: str) -> list:
    """A headerFooter element with placeholders in its texts turned into ("hf", pieces) slots."""
    parts: list = []
    pos = 0
    for m in _HF.finditer(xml):
        text = unescape(m.group(3))
        if not find(text):
            continue
        parts.append(xml[pos:m.start(3)])
        parts.append(("hf", split_text(text)))
        pos = m.end(3)
    parts.append(xml[pos:])
    return _merge_literals(parts)


def _merge_literals(parts: list) -> list:
    out: list = []
    for p in parts:
        if isinstance(p, str) and out and isinstance(out[-1], str):
            out[-1] += p
        elif p != "":
            out.append(p)
    return out


def _check_placeholder(ph: Placeholder, where: str) -> None:
    if is_known(ph.path, ph.computed):
        return
    hint = ""
    if ph.computed and is_known(ph.path, False):
        hint = "（这是普通值，请去掉“=”）"
    elif not ph.computed and is_known(ph.path, True):
        hint = f"（这是计算单元格，应写成 {{{{ ={ph.path} }}}}）"
    raise TemplateError(f"{where}：未知的占位符“{{{{ {'=' if ph.computed else ''}{ph.path} }}}}”{hint}")


def compile_template(path: str | Path, *, kind: str | None = None) -> CompiledTemplate:
    """Compile a template workbook.

    Args:
        path: the .xlsx template (a designer's file with ``{{ … }}`` placeholders).
        kind: the form kind it produces; inferred from its placeholders when None.

    Returns:
        The compiled template.

    Raises:
        TemplateError: the file is not a workbook, has no form sheet, uses unknown
            placeholders, or uses features that cannot follow repeating rows.
    """
    path = Path(path)
    try:
        archive = zipfile.ZipFile(path)
    except (*_DAMAGED_PART, ValueError) as exc:  # a mangled directory can raise ValueError too
        raise TemplateError(f"模板“{path.name}”不是有效的 xlsx 文件：{exc}") from None
    files = {}
    with archive:
        for name in archive.namelist():
            if name.endswith("/"):
                continue
            try:
                files[name] = archive.read(name)
            except _DAMAGED_PART as exc:
                raise TemplateError(f"模板“{path.name}”的部件 {name} 已损坏：{exc}") from None
    try:
        return _compile(files, str(path), kind)
    except TemplateError:
        raise
    except (etree.XMLSyntaxError, UnicodeDecodeError) as exc:
        # Said here, on the failure path only, rather than by parsing every part twice.
        raise TemplateError(f"模板“{path.name}”的部件 {_first_malformed(files)} 不是合法的 XML：{exc}") from None
    except (IndexError, KeyError, ValueError, TypeError, AttributeError) as exc:
        # Well-formed XML that no spreadsheet writer produces (a row without its number, a style
        # or shared formula that is not there): the template is damaged, and is named as such.
        raise TemplateError(f"模板“{path.name}”的内容不完整或已损坏，无法编译（{type(exc).__name__}: {exc}）"
                            "，请在 Excel 中打开并另存后再试") from None


def _shared_string(sst: list[str], index: str | None, where: str) -> str:
    try:
        return sst[int(index or "")]
    except (ValueError, IndexError):
        raise TemplateError(f"{where} 引用的共享字符串 {index!r} 不存在（文件已损坏）") from None


_DAMAGED_PART = (OSError, *DAMAGED_ZIP_ERRORS)


def _first_malformed(files: dict[str, bytes]) -> str:
    """The first XML part (by name) that is not well-formed UTF-8 XML, or "?" if all are."""
    for name in sorted(files):
        if name.endswith((".xml", ".rels")):
            try:
                etree.fromstring(files[name])
                files[name].decode("utf-8")
            except (etree.XMLSyntaxError, UnicodeDecodeError):
                return name
    return "?"


def _compile(files: dict[str, bytes], source: str, kind: str | None) -> CompiledTemplate:
    if "xl/workbook.xml" not in files:
        raise TemplateError(f"模板“{source}”缺少 xl/workbook.xml")
    wb_xml = files["xl/workbook.xml"].decode("utf-8")
    wb_rels_raw = files.get("xl/_rels/workbook.xml.rels")
    wb_rels = _rels(wb_rels_raw)
    wb_root = etree.fromstring(files["xl/workbook.xml"])
    sheets = []
    for i, s in enumerate(wb_root.findall(f"{{{M}}}sheets/{{{M}}}sheet")):
        rid = s.get(f"{{{R}}}id")
        target = wb_rels.get(rid, ("", ""))[1]
        sheets.append({"name": s.get("name"), "sheetId": s.get("sheetId"), "rid": rid, "state": s.get("state"),
                       "part": _resolve("xl/workbook.xml", target), "index": i, "xml": _xml(s)})
    names = []
    for dn in wb_root.findall(f"{{{M}}}definedNames/{{{M}}}definedName"):
        names.append({"name": dn.get("name"), "attrs": _attrs(dn, ("name",)), "local": dn.get("localSheetId"),
                      "text": dn.text or ""})
    form = None
    lists = None
    for s in sheets:
        if s["name"] == LISTS_SHEET:
            lists = s
        elif form is None and s["part"] in files and s["state"] not in ("hidden", "veryHidden"):
            if b"{{" in files[s["part"]] or _sheet_uses_shared_placeholder(files, s["part"]):
                form = s
    if form is None:
        raise TemplateError(f"模板“{source}”中没有含占位符 {{{{ … }}}} 的可见工作表")
    sst = _shared_strings(files.get("xl/sharedStrings.xml"))
    looks = st.read_styles(files.get("xl/styles.xml"))
    sheet_part = form["part"]
    sheet_rels = _rels(files.get(_rels_path(sheet_part)))
    for rid, (typ, _target) in sheet_rels.items():
        if typ.endswith("/table"):
            raise TemplateError("模板的表单工作表含有“表格”（Excel 表），重复行无法扩展表格范围，请转换为普通区域")
    ct = _compile_sheet(files[sheet_part], form["name"], sst, looks, source)
    # Package parts: constant ones compressed once; the form sheet, workbook and lists are per form.
    dynamic = {sheet_part, "xl/workbook.xml"}
    if lists:
        dynamic.add(lists["part"])
    drawing_part = None
    drawing = None
    for rid, (typ, target) in sheet_rels.items():
        if typ.endswith("/drawing"):
            drawing_part = _resolve(sheet_part, target)
            frags = _drawing_template(files[drawing_part].decode("utf-8"), ct["first_block"])
            if frags is not None:
                drawing = frags
                dynamic.add(drawing_part)
        if typ.endswith("/comments") and ct["first_block"] is not None:
            comments = files.get(_resolve(sheet_part, target), b"").decode("utf-8")
            refs = re.findall(r'<comment ref="[A-Z]+(\d+)"', comments)
            if any(int(r) > ct["first_block"] for r in refs):
                raise TemplateError("批注位于重复行下方，无法随重复行移动；请把批注放在表头区域")
    # calcChain lists formula cells by address; rows move, so it is dropped (Excel rebuilds it).
    chain = [t for t, (typ, tg) in ((rid, v) for rid, v in wb_rels.items()) if typ == _CALC_CHAIN_TYPE]
    members: list[tuple[str, Member | None]] = []
    for name, data in files.items():
        if name == "xl/calcChain.xml":
            continue
        if name == "xl/_rels/workbook.xml.rels" and chain:
            data = re.sub(rb'<Relationship [^>]*calcChain[^>]*/>', b"", data)
        if name == "[Content_Types].xml":
            data = re.sub(rb'<Override [^>]*calcChain[^>]*/>', b"", data)
        if name in dynamic:
            members.append((name, None))
        else:
            members.append((name, member(name, data, level=9)))
        files[name] = data
    files.pop("xl/calcChain.xml", None)
    sheets_span = re.search(r"<sheets>.*?</sheets>|<sheets/>", wb_xml, re.S)
    names_span = re.search(r"<definedNames>.*?</definedNames>|<definedNames/>", wb_xml, re.S)
    head_end = sheets_span.start()
    tail_start = names_span.end() if names_span else sheets_span.end()
    workbook_tail = wb_xml[tail_start:]
    if ct["designer_formulas"] and "fullCalcOnLoad" not in workbook_tail:
        # formulas the engine does not own get no cached value; ask the reader to recalculate
        workbook_tail = re.sub(r"<calcPr\b", '<calcPr fullCalcOnLoad="1"', workbook_tail, count=1) \
            if "<calcPr" in workbook_tail else workbook_tail.replace("</workbook>", '<calcPr fullCalcOnLoad="1"/></workbook>')
    for n in names:
        n["formula"] = FormulaTemplate(unescape(n["text"]), form["name"])
    paths = set(ct["positions"])
    return CompiledTemplate(
        source=source, kind=kind or infer_kind(paths), sheet_name=form["name"], sheet_part=sheet_part,
        sheet_index=form["index"], head=ct["head"], rows=ct["rows"], tail=ct["tail"], merges=ct["merges"],
        blocks=ct["blocks"], positions=ct["positions"], max_col=ct["max_col"], constant_members=members,
        workbook_head=wb_xml[:head_end], workbook_sheets=sheets, workbook_names=names,
        workbook_tail=workbook_tail, drawing_part=drawing_part, drawing=drawing,
        lists_part=lists["part"] if lists else None, lists_sheet_index=lists["index"] if lists else None,
        designer_formulas=ct["designer_formulas"], merged_columns=ct["merged_columns"], files=files,
        col_widths=ct["widths"], hidden_cols=ct["hidden"], protected=ct["protected"])


def _sheet_uses_shared_placeholder(files: dict[str, bytes], part: str) -> bool:
    sst = files.get("xl/sharedStrings.xml", b"")
    return b"{{" in sst and b't="s"' in files.get(part, b"")


def _columns(root) -> tuple[dict[int, float], set[int], float]:
    fmt = root.find(f"{{{M}}}sheetFormatPr")
    default = st.DEFAULT_COL_WIDTH
    if fmt is not None:
        if fmt.get("defaultColWidth"):
            default = float(fmt.get("defaultColWidth"))
        elif fmt.get("baseColWidth"):
            default = float(fmt.get("baseColWidth")) + 0.71
    widths: dict[int, float] = {}
    hidden: set[int] = set()
    for col in root.findall(f"{{{M}}}cols/{{{M}}}col"):
        lo, hi = int(col.get("min")), int(col.get("max"))
        if hi - lo > 200:
            continue  # a "rest of the sheet" entry
        for c in range(lo, hi + 1):
            widths[c] = float(col.get("width", default))
            if col.get("hidden") in ("1", "true"):
                hidden.add(c)
    return widths, hidden, default


def _compile_sheet(xml: bytes, sheet: str, sst: list[str], looks: list[st.CellLook], source: str) -> dict:
    root = etree.fromstring(xml)
    text = xml.decode("utf-8")
    sd_start = re.search(r"<sheetData\s*/?>", text)
    sd_end = text.find("</sheetData>")
    if sd_start is None:
        raise TemplateError(f"模板“{source}”的工作表缺少 sheetData")
    head = text[:sd_start.start()]
    head = re.sub(r"<dimension [^>]*/>", "<dimension ref=\"{dimension}\"/>", head.replace("{", "{{").replace("}", "}}"))
    widths, hidden, default_width = _columns(root)
    merges = [a for mc in root.findall(f"{{{M}}}mergeCells/{{{M}}}mergeCell") for a in split_sqref(mc.get("ref", ""))]
    hmerge = {(r1, c1): (c2,) for r1, c1, r2, c2 in merges if r1 == r2}
    covered = {(r, c) for r1, c1, r2, c2 in merges for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)
               if (r, c) != (r1, c1)}
    vmerged = {(r1, c1) for r1, c1, r2, c2 in merges if r2 > r1}

    def width(c1: int, c2: int) -> float:
        return sum(0.0 if c in hidden else widths.get(c, default_width) for c in range(c1, c2 + 1))

    rows: list[RowT] = []
    blocks: dict[str, int] = {}
    positions: dict[str, tuple[int, int]] = {}
    max_col = 1
    designer = False
    shared_f: dict[str, tuple[str, str]] = {}
    sheet_data = root.find(f"{{{M}}}sheetData")
    for row_el in sheet_data.findall(f"{{{M}}}row"):
        r = int(row_el.get("r"))
        cells: list[CellT] = []
        block = None
        for c_el in row_el.findall(f"{{{M}}}c"):
            ref = c_el.get("r")
            m = re.match(r"([A-Z]+)(\d+)$", ref or "")
            if not m:
                raise TemplateError(f"模板“{source}”第{r}行有缺少地址的单元格")
            letters = m.group(1)
            col = col_index(letters)
            max_col = max(max_col, col)
            where = f"模板“{Path(source).name}”单元格 {ref}"
            t = c_el.get("t")
            s_attr = _attrs(c_el, ("r", "t"))
            f_el = c_el.find(f"{{{M}}}f")
            v_el = c_el.find(f"{{{M}}}v")
            is_el = c_el.find(f"{{{M}}}is")
            value_text = None
            if t == "s" and v_el is not None:
                value_text = _shared_string(sst, v_el.text, where)
            elif t == "inlineStr" and is_el is not None:
                value_text = "".join(x.text or "" for x in is_el.iter(f"{{{M}}}t"))
            elif t == "str" and f_el is None and v_el is not None:
                value_text = v_el.text or ""
            look = looks[int(c_el.get("s", "0"))] if looks and int(c_el.get("s", "0")) < len(looks) else None
            fit = None
            if look is not None and look.wrap and (r, col) not in vmerged and (r, col) not in covered:
                c2 = hmerge.get((r, col), (col,))[0]
                w = width(col, c2)
                fit = (w, look.font_size) if w > 0 else None  # hidden columns never need room
            if f_el is not None:
                designer = True
                ftext = f_el.text or ""
                if f_el.get("t") == "shared":
                    si = f_el.get("si")
                    if ftext:
                        shared_f[si] = (ftext, ref)
                    else:
                        base, origin = shared_f[si]
                        ftext = Translator("=" + base, origin=origin).translate_formula(ref)[1:]
                fattrs = ""
                if f_el.get("t") == "array":
                    fattrs = f' t="array" ref="{f_el.get("ref")}"'
                cells.append(CellT(col, letters, s_attr, "formula", formula=FormulaTemplate(ftext, sheet),
                                   formula_attrs=fattrs))
                continue
            if value_text is not None and "{{" in value_text:
                phs = find(value_text)
                for ph in phs:
                    _check_placeholder(ph, where)
                    if ph.collection:
                        if block is not None and block != ph.collection:
                            raise TemplateError(f"{where}：同一行只能重复一个集合（{block} 与 {ph.collection}）")
                        block = ph.collection
                    positions.setdefault(ph.path, (r, col))
                single = only_placeholder(value_text)
                if single is not None:
                    kind = "calc" if single.computed else "value"
                    cells.append(CellT(col, letters, s_attr, kind, placeholder=single, fit=fit))
                else:
                    if any(ph.computed for ph in phs):
                        raise TemplateError(f"{where}：计算占位符 {{{{ =… }}}} 必须独占一个单元格")
                    cells.append(CellT(col, letters, s_attr, "text", pieces=split_text(value_text), fit=fit))
                continue
            inner = "".join(_xml(ch) for ch in c_el)
            t_attr = f' t="{t}"' if t else ""
            if not inner:
                cells.append(CellT(col, letters, s_attr + t_attr if t and t != "n" else s_attr, "empty"))
            else:
                cells.append(CellT(col, letters, s_attr + t_attr, "const", body=f">{inner}</c>"))
        ht = row_el.get("ht")
        row = RowT(r, _attrs(row_el, ("r", "ht", "customHeight")), float(ht) if ht else None,
                   row_el.get("customHeight") in ("1", "true"), cells, block)
        if block is not None:
            if block in blocks:
                raise TemplateError(f"模板“{Path(source).name}”：集合 {block} 的占位符出现在第{blocks[block]}行和第{r}行；"
                                    "每个集合只能有一行重复行")
            blocks[block] = r
        rows.append(row)
    first_block = min(blocks.values()) if blocks else None
    for b, br in blocks.items():
        for r1, c1, r2, c2 in merges:
            if r1 <= br <= r2 and r1 != r2:
                raise TemplateError(f"模板第{br}行是重复行，不能与其他行纵向合并（{col_letter(c1)}{r1}:{col_letter(c2)}{r2}）")
    # Constant rows above every block never change: render them once.
    from .engine import render_static_row
    for row in rows:
        if (first_block is None or row.r < first_block) and all(c.kind in ("const", "empty") for c in row.cells):
            row.static = render_static_row(row)
    tail_xml = text[sd_end + len("</sheetData>"):] if sd_end >= 0 else text[sd_start.end():]
    tail_xml = tail_xml.replace("</worksheet>", "")
    tail: list[list] = []
    protected = False
    after = False
    for el in root:
        if el.tag == f"{{{M}}}sheetData":
            after = True
            continue
        if not after or not isinstance(el.tag, str):
            continue
        local = etree.QName(el).localname
        s = _xml(el)
        if local == "mergeCells":
            tail.append(["{merges}"])
            continue
        if local == "sheetProtection":
            protected = el.get("sheet") in ("1", "true")
            tail.append([("protection", s)])
            continue
        if local == "headerFooter":
            tail.append(_hf_template(s))
            continue
        if local in ("conditionalFormatting", "dataValidations", "hyperlinks", "rowBreaks", "extLst",
                     "autoFilter", "protectedRanges", "ignoredErrors"):
            tail.append(_element_template(s, sheet))
            continue
        if local == "tableParts":
            raise TemplateError("模板的表单工作表含有“表格”，重复行无法扩展表格范围")
        tail.append([s])
    if not any(p == ["{merges}"] for p in tail):
        # mergeCells must precede conditionalFormatting etc. (CT_Worksheet order)
        order = ("phoneticPr", "conditionalFormatting", "dataValidations", "hyperlinks", "printOptions",
                 "pageMargins", "pageSetup", "headerFooter", "rowBreaks", "colBreaks", "customProperties",
                 "cellWatches", "ignoredErrors", "smartTags", "drawing", "legacyDrawing", "legacyDrawingHF",
                 "picture", "oleObjects", "controls", "webPublishItems", "tableParts", "extLst")
        idx = len(tail)
        for i, part in enumerate(tail):
            first = part[0] if part else ""
            lit = first if isinstance(first, str) else ""
            if any(lit.startswith(f"<{name}") for name in order):
                idx = i
                break
        tail.insert(idx, ["{merges}"])
    merged_columns = {}
    for name in ("level1", "level2"):
        pos = positions.get(f"ind.{name}")
        if pos:
            c2 = hmerge.get((pos[0], pos[1]), (pos[1],))[0]
            merged_columns[name] = (pos[1], c2)
    return {"head": head, "rows": rows, "tail": tail, "merges": merges, "blocks": blocks,
            "positions": positions, "max_col": max_col, "designer_formulas": designer,
            "first_block": first_block, "merged_columns": merged_columns, "widths": {c: widths.get(c, default_width)
                                                                                      for c in range(1, max_col + 1)},
            "hidden": hidden, "protected": protected}


_ANCHOR_ROW = re.compile(r"(<xdr:(?:from|to)>.*?<xdr:row>)(\d+)(</xdr:row>)", re.S)


def _drawing_template(xml: str, first_block: int | None) -> list | None:
    """Drawing XML split at anchor rows that sit below a repeating row, or None when none do."""
    if first_block is None:
        return None
    rows = [int(m.group(2)) + 1 for m in _ANCHOR_ROW.finditer(xml)]
    if not any(r > first_block for r in rows):
        return None
    parts: list = []
    pos = 0
    for m in _ANCHOR_ROW.finditer(xml):
        parts.append(xml[pos:m.end(1)])
        parts.append(("anchor", int(m.group(2)) + 1))
        parts.append(m.group(3))
        pos = m.end()
    parts.append(xml[pos:])
    return _merge_literals(parts)
