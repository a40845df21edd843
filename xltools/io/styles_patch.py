"""Cell formats (styles.xml cellXfs): clone a cell's xf with another fill or number format.

A cloned xf keeps every other attribute and child (font, border, alignment, protection);
identical fills, fonts, borders and xfs are reused rather than appended again, so
annotating the same workbook twice does not grow styles.xml.
"""
from __future__ import annotations

import copy
import hashlib
import re

from lxml import etree

from .package import NS_MAIN

_M = f"{{{NS_MAIN}}}"

# ECMA-376 Part 1, 18.8.30: the built-in number formats every reader knows by id.
BUILTIN_FORMATS = {
    0: "General", 1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00", 9: "0%", 10: "0.00%",
    11: "0.00E+00", 12: "# ?/?", 13: "# ??/??", 14: "mm-dd-yy", 15: "d-mmm-yy", 16: "d-mmm",
    17: "mmm-yy", 18: "h:mm AM/PM", 19: "h:mm:ss AM/PM", 20: "h:mm", 21: "h:mm:ss",
    22: "m/d/yy h:mm", 37: "#,##0 ;(#,##0)", 38: "#,##0 ;[Red](#,##0)", 39: "#,##0.00;(#,##0.00)",
    40: "#,##0.00;[Red](#,##0.00)", 45: "mm:ss", 46: "[h]:mm:ss", 47: "mmss.0", 48: "##0.0E+0", 49: "@",
}
_FIRST_CUSTOM_ID = 164
# Children of CT_Stylesheet, in schema order (new collections are inserted where they belong).
_STYLESHEET_ORDER = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs",
                     "cellStyles", "dxfs", "tableStyles", "colors", "extLst")
_FONT_ORDER = ("b", "i", "strike", "condense", "extend", "outline", "shadow", "u", "vertAlign",
               "sz", "color", "name", "family", "charset", "scheme")


def format_kind(code: str) -> str:
    """What a number-format code shows: "general", "percent", "text", "date" or "number"."""
    bare = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", code or "General")
    if bare.strip().lower() in ("general", ""):
        return "general"
    if "%" in bare:
        return "percent"
    if bare.strip() == "@":
        return "text"
    if re.search(r"[dmyhs]", bare.lower()) and not re.search(r"[0#?]", bare):
        return "date"
    return "number"


def shows_as(current: str, wanted: str) -> bool:
    """True when a cell formatted ``current`` already shows a value the way ``wanted`` would.

    Identical codes, or the same kind (a cell already formatted 0.0% keeps its own decimals
    when a rate is written); a General or text cell never does.
    """
    if current == wanted:
        return True
    kind = format_kind(current)
    return kind not in ("general", "text") and kind == format_kind(wanted)


def _key(el: etree._Element) -> tuple:
    """A structural identity of an element, blind to namespace declarations and attribute order."""
    return (el.tag, tuple(sorted(el.attrib.items())), (el.text or "").strip(),
            tuple(_key(child) for child in el if isinstance(child.tag, str)))


class Styles:
    """The styles.xml part opened for cloning formats; ``changed`` tells whether to write it back."""

    def __init__(self, root: etree._Element):
        self.root = root
        self.changed = False
        self.cell_xfs = self._collection("cellXfs")
        if len(self.cell_xfs) == 0:
            self._append(self.cell_xfs, etree.Element(_M + "xf", numFmtId="0", fontId="0", fillId="0",
                                                      borderId="0", xfId="0"))
        self._xf_index = {_key(x): i for i, x in enumerate(self.cell_xfs)}
        # (xf, colour) → the xf with that solid fill: a large sheet marks thousands of cells with
        # a handful of styles and three colours, and each answer costs a scan of the fills.
        self._solid_fills: dict[tuple[int, str], int] = {}

    # -- collections -----------------------------------------------------------------------------
    def _collection(self, name: str) -> etree._Element:
        el = self.root.find(_M + name)
        if el is None:
            el = etree.Element(_M + name, count="0")
            pos = _STYLESHEET_ORDER.index(name)
            for i, child in enumerate(self.root):
                local = etree.QName(child).localname
                if local in _STYLESHEET_ORDER and _STYLESHEET_ORDER.index(local) > pos:
                    child.addprevious(el)
                    break
            else:
                self.root.append(el)
            self.changed = True
        return el

    def _append(self, coll: etree._Element, el: etree._Element) -> int:
        coll.append(el)
        coll.set("count", str(len(coll)))
        self.changed = True
        return len(coll) - 1

    def _find_or_add(self, coll_name: str, el: etree._Element) -> int:
        coll = self._collection(coll_name)
        key = _key(el)
        for i, child in enumerate(coll):
            if _key(child) == key:
                return i
        return self._append(coll, el)

    # -- reading ------------------------------------------------------------------------------------
    @property
    def xf_count(self) -> int:
        """How many cellXfs entries there are."""
        return len(self.cell_xfs)

    def xf(self, index: int) -> etree._Element:
        """The cellXfs entry ``index`` (entry 0 when the index is out of range, as readers do)."""
        if 0 <= index < len(self.cell_xfs):
            return self.cell_xfs[index]
        return self.cell_xfs[0]

    def format_code(self, index: int) -> str:
        """The number-format code of xf ``index`` ("General" for id 0 or an unknown built-in)."""
        fmt_id = int(self.xf(index).get("numFmtId", "0"))
        numfmts = self.root.find(_M + "numFmts")
        if numfmts is not None:
            for nf in numfmts:
                if nf.get("numFmtId") == str(fmt_id):
                    return nf.get("formatCode", "General")
        return BUILTIN_FORMATS.get(fmt_id, "General" if fmt_id == 0 else f"builtin:{fmt_id}")

    def fill_of(self, index: int) -> etree._Element:
        """A copy of the fill element used by xf ``index``."""
        fills = self._collection("fills")
        fill_id = int(self.xf(index).get("fillId", "0"))
        if 0 <= fill_id < len(fills):
            return copy.deepcopy(fills[fill_id])
        return _solid_fill(None)

    def fill_rgb(self, index: int) -> str | None:
        """The solid foreground colour (AARRGGBB) of xf ``index``, or None."""
        pattern = self.fill_of(index).find(_M + "patternFill")
        if pattern is None or pattern.get("patternType") != "solid":
            return None
        fg = pattern.find(_M + "fgColor")
        return None if fg is None else fg.get("rgb")

    @property
    def default_font_size(self) -> float:
        """The size of the workbook's default font (fonts[0]), 11 when unknown."""
        fonts = self.root.find(_M + "fonts")
        if fonts is not None and len(fonts):
            sz = fonts[0].find(_M + "sz")
            if sz is not None:
                try:
                    return float(sz.get("val", "11"))
                except ValueError:
                    pass
        return 11.0

    # -- snapshot and trim (so clearing marks can give styles.xml back as it was) -------------------------
    _TRIMMABLE = ("numFmts", "fonts", "fills", "borders", "cellXfs")

    def snapshot(self) -> dict:
        """Length and fingerprint of each collection xltools may append to."""
        out = {}
        for name in self._TRIMMABLE:
            coll = self.root.find(_M + name)
            items = [] if coll is None else list(coll)
            out[name] = [len(items), _fingerprint(items), coll is not None]
        return out

    def trim_to(self, snap: dict, max_used_xf: int) -> bool:
        """Drop what was appended after ``snap`` when nothing uses it any more.

        Only done when every collection still starts with exactly the snapshotted entries
        (a re-save by Excel renumbers styles, and then nothing is trimmed), and when no cell,
        row or column uses an xf past the snapshot (``max_used_xf``). Returns True if trimmed.
        """
        try:
            counts = {name: int(snap[name][0]) for name in self._TRIMMABLE}
            for name in self._TRIMMABLE:
                coll = self.root.find(_M + name)
                items = [] if coll is None else list(coll)
                if len(items) < counts[name] or _fingerprint(items[:counts[name]]) != snap[name][1]:
                    return False
        except (KeyError, TypeError, ValueError, IndexError):
            return False
        if max_used_xf >= counts["cellXfs"]:
            return False
        kept_xfs = list(self.cell_xfs)[:counts["cellXfs"]]
        style_xfs = self.root.find(_M + "cellStyleXfs")
        users = kept_xfs + ([] if style_xfs is None else list(style_xfs))
        refs = {"fonts": "fontId", "fills": "fillId", "borders": "borderId", "numFmts": "numFmtId"}
        for name, attr in refs.items():
            limit = counts[name]
            if name == "numFmts":
                coll = self.root.find(_M + name)
                extra = {int(nf.get("numFmtId", "0")) for nf in ([] if coll is None else list(coll)[limit:])}
                if any(int(x.get(attr, "0")) in extra for x in users):
                    return False
            elif any(int(x.get(attr, "0")) >= limit for x in users):
                return False
        for name in self._TRIMMABLE:
            coll = self.root.find(_M + name)
            if coll is None:
                continue
            for extra in list(coll)[counts[name]:]:
                coll.remove(extra)
            if counts[name] == 0 and not snap[name][2]:
                self.root.remove(coll)
            else:
                coll.set("count", str(len(coll)))
        self._xf_index = {_key(x): i for i, x in enumerate(self.cell_xfs)}
        self._solid_fills.clear()
        self.changed = True
        return True

    # -- cloning -------------------------------------------------------------------------------
    def _xf_with(self, index: int, **attrs: str) -> int:
        xf = copy.deepcopy(self.xf(index))
        for name, value in attrs.items():
            xf.set(name, value)
        key = _key(xf)
        hit = self._xf_index.get(key)
        if hit is not None:
            return hit
        i = self._append(self.cell_xfs, xf)
        self._xf_index[key] = i
        return i

    def with_fill(self, index: int, fill: etree._Element | str) -> int:
        """The xf ``index`` with another fill (an AARRGGBB/RRGGBB solid colour, or a fill element)."""
        if isinstance(fill, str):
            # Entries are only ever appended (until a trim, which forgets these answers), so the
            # same question keeps its answer.
            hit = self._solid_fills.get((index, fill))
            if hit is None:
                hit = self._solid_fills[(index, fill)] = self.with_fill(index, _solid_fill(fill))
            return hit
        fill_id = self._find_or_add("fills", fill)
        return self._xf_with(index, fillId=str(fill_id), applyFill="1")

    def with_num_fmt(self, index: int, code: str) -> int:
        """The xf ``index`` showing numbers as ``code`` (a built-in id when one matches)."""
        return self._xf_with(index, numFmtId=str(self.num_fmt_id(code)), applyNumberFormat="1")

    def num_fmt_id(self, code: str) -> int:
        """The id of number format ``code``, adding a custom numFmt when none exists."""
        for fmt_id, builtin in BUILTIN_FORMATS.items():
            if builtin == code:
                return fmt_id
        numfmts = self._collection("numFmts")
        used = [_FIRST_CUSTOM_ID - 1]
        for nf in numfmts:
            if nf.get("formatCode") == code:
                return int(nf.get("numFmtId"))
            used.append(int(nf.get("numFmtId", "0")))
        new_id = max(used) + 1
        self._append(numfmts, etree.Element(_M + "numFmt", numFmtId=str(new_id), formatCode=code))
        return new_id

    # -- formats for sheets xltools builds ---------------------------------------------------------
    def font_like_default(self, *, bold: bool = False, underline: bool = False,
                          rgb: str | None = None) -> int:
        """A font id: the workbook's default font, optionally bold, underlined or coloured."""
        fonts = self._collection("fonts")
        base = copy.deepcopy(fonts[0]) if len(fonts) else etree.Element(_M + "font")
        if bold and base.find(_M + "b") is None:
            base.insert(0, etree.Element(_M + "b"))
        if underline and base.find(_M + "u") is None:
            base.append(etree.Element(_M + "u"))
        if rgb is not None:
            for old in base.findall(_M + "color"):
                base.remove(old)
            base.append(etree.Element(_M + "color", rgb=_argb(rgb)))
        base[:] = sorted(base, key=lambda e: _FONT_ORDER.index(etree.QName(e).localname)
                         if etree.QName(e).localname in _FONT_ORDER else len(_FONT_ORDER))
        return self._find_or_add("fonts", base)

    def thin_border(self) -> int:
        """A border id with thin lines on all four sides."""
        border = etree.Element(_M + "border")
        for side in ("left", "right", "top", "bottom"):
            etree.SubElement(etree.SubElement(border, _M + side, style="thin"), _M + "color", auto="1")
        etree.SubElement(border, _M + "diagonal")
        return self._find_or_add("borders", border)

    def fill_id(self, rgb: str | None) -> int:
        """A fill id: solid ``rgb``, or no fill for None."""
        return self._find_or_add("fills", _solid_fill(rgb))

    def new_xf(self, *, font: int = 0, fill: int = 0, border: int = 0, wrap: bool = False,
               horizontal: str | None = None, vertical: str | None = None) -> int:
        """An xf index (reused when an identical one exists) built from ids."""
        xf = etree.Element(_M + "xf", numFmtId="0", fontId=str(font), fillId=str(fill),
                           borderId=str(border), xfId="0")
        if font:
            xf.set("applyFont", "1")
        if fill:
            xf.set("applyFill", "1")
        if border:
            xf.set("applyBorder", "1")
        if wrap or horizontal or vertical:
            xf.set("applyAlignment", "1")
            al = etree.SubElement(xf, _M + "alignment")
            if horizontal:
                al.set("horizontal", horizontal)
            if vertical:
                al.set("vertical", vertical)
            if wrap:
                al.set("wrapText", "1")
        key = _key(xf)
        hit = self._xf_index.get(key)
        if hit is not None:
            return hit
        i = self._append(self.cell_xfs, xf)
        self._xf_index[key] = i
        return i


def _fingerprint(items: list) -> str:
    return hashlib.sha1(repr([_key(x) for x in items]).encode("utf-8")).hexdigest()[:16]


def _argb(rgb: str) -> str:
    rgb = rgb.lstrip("#").upper()
    return rgb if len(rgb) == 8 else "FF" + rgb


def _solid_fill(rgb: str | None) -> etree._Element:
    fill = etree.Element(_M + "fill")
    if rgb is None:
        etree.SubElement(fill, _M + "patternFill", patternType="none")
        return fill
    pattern = etree.SubElement(fill, _M + "patternFill", patternType="solid")
    etree.SubElement(pattern, _M + "fgColor", rgb=_argb(rgb))
    etree.SubElement(pattern, _M + "bgColor", indexed="64")
    return fill


def fill_to_text(fill: etree._Element) -> str:
    """A fill element as compact XML text without namespaces (for the marks record)."""
    bare = copy.deepcopy(fill)
    for node in bare.iter():
        if isinstance(node.tag, str):
            node.tag = etree.QName(node).localname
    etree.cleanup_namespaces(bare)
    return etree.tostring(bare, encoding="unicode")


def fill_from_text(text: str) -> etree._Element:
    """The fill element recorded by :func:`fill_to_text`, moved into the main namespace if needed."""
    el = etree.fromstring(text.encode("utf-8"), etree.XMLParser(resolve_entities=False, no_network=True))
    if etree.QName(el).namespace != NS_MAIN:
        for node in el.iter():
            node.tag = _M + etree.QName(node).localname
    return el


MINIMAL_STYLES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    b'<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
    b'<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    b'<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    b'<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    b'<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    b'</styleSheet>'
)
