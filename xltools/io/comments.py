"""Cell comments (notes) of one sheet: add xltools' messages, strip them again, keep the user's.

A note lives in two parts: the comments part (the text, read by every library) and a
legacy VML drawing (the yellow box Excel shows). xltools' text is either a whole note
starting with OWN_PREFIX or a tail starting with SEPARATOR after the user's own text, so
it can be cut off without any record, even after Excel or LibreOffice re-saved the file.
"""
from __future__ import annotations

import copy
import re
from bisect import bisect_right
from weakref import WeakKeyDictionary

from lxml import etree

from .package import (CT_COMMENTS, CT_VML, NS_MAIN, REL_COMMENTS, REL_VML, Package)
from .sheet_patch import SheetPatch, ooxml_text, parse_ref, set_text

_M = f"{{{NS_MAIN}}}"
AUTHOR = "xltools"
MARK = "xltools 校验"
OWN_PREFIX = MARK + "："  # an xltools-only note starts with this
SEPARATOR = "\n—— " + MARK + " ——"  # what xltools appends after a user's note

# VML is edited as text: Excel's VML is not always well-formed XML, and writers use any
# prefixes (Excel v:/o:/x:, openpyxl ns0:/ns1:/ns2: declared per element), so every pattern
# below ignores the prefix. "shape\b" does not match shapetype or shapelayout.
_SHAPE = re.compile(r"<(\w+:)?shape\b[^>]*?(?<!/)>.*?</\1?shape>", re.S)
_ANY_SHAPE = re.compile(r"<(?:\w+:)?(?:shape|group|rect|roundrect|oval|line|polyline|arc|curve|image)\b")
_ROW = re.compile(r"<(?:\w+:)?Row>\s*(\d+)\s*</(?:\w+:)?Row>")
_COL = re.compile(r"<(?:\w+:)?Column>\s*(\d+)\s*</(?:\w+:)?Column>")
_NOTE = re.compile(r"""ObjectType\s*=\s*["']Note["']""")
_SPID = re.compile(r"_x0000_s(\d+)")
_IDMAP = re.compile(r"""<(?:\w+:)?idmap\b[^>]*\bdata\s*=\s*["']([\d,\s]+)["']""")
_SHAPETYPE_202 = re.compile(r"""\bid\s*=\s*["']_x0000_t202["']""")
_ROOT = re.compile(r"<xml\b[^>]*>")
_OUR_NS = {"v": "urn:schemas-microsoft-com:vml", "o": "urn:schemas-microsoft-com:office:office",
           "x": "urn:schemas-microsoft-com:office:excel"}

_OUR_XMLNS = " ".join(f'xmlns:{p}="{uri}"' for p, uri in _OUR_NS.items())
_SHAPETYPE = (
    '<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe">'
    '<v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'
)
# What is inserted into someone else's VML declares its own prefixes (theirs may differ), so
# that removing it later leaves their part exactly as it was.
_SHAPETYPE_LOCAL = _SHAPETYPE.replace("<v:shapetype ", f"<v:shapetype {_OUR_XMLNS} ", 1)
_VML_HEAD = (
    '<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
    'xmlns:x="urn:schemas-microsoft-com:office:excel">'
    '<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{idmap}"/></o:shapelayout>'
)


def _run_template(bold: bool) -> etree._Element:
    r = etree.Element(_M + "r")
    rpr = etree.SubElement(r, _M + "rPr")
    if bold:
        etree.SubElement(rpr, _M + "b")
    etree.SubElement(rpr, _M + "sz", val="9")
    etree.SubElement(rpr, _M + "color", indexed="81")
    etree.SubElement(rpr, _M + "rFont", val="宋体")
    etree.SubElement(rpr, _M + "family", val="3")
    etree.SubElement(rpr, _M + "charset", val="134")
    etree.SubElement(r, _M + "t")
    return r


# A run of a note as Excel writes one (9 pt 宋体); copied per run, which costs less than
# building its eight elements each time on a sheet of thousands of notes.
_RUNS = {bold: _run_template(bold) for bold in (False, True)}


def _run(text: str, *, bold: bool) -> etree._Element:
    r = copy.deepcopy(_RUNS[bold])
    set_text(r[-1], ooxml_text(text))
    return r


def comment_text(comment: etree._Element) -> str:
    """The plain text of a <comment> (plain <t> and rich runs alike)."""
    text = comment.find(_M + "text")
    if text is None:
        return ""
    return "".join(t.text or "" for t in text.iter(_M + "t") if t.getparent().tag != _M + "rPh")


def _cut_point(text: str) -> int | None:
    """Where xltools' text starts in a note's plain text, or None when there is none."""
    sep = text.find(SEPARATOR)
    if sep != -1:
        return sep
    if text.lstrip().startswith(OWN_PREFIX):
        return 0
    mark = text.find(MARK)
    return None if mark == -1 else mark


def _truncate(text: etree._Element, keep: int) -> None:
    """Keep only the first ``keep`` characters of a <text> (plain <t> and runs), dropping the rest."""
    seen = 0
    for node in list(text):
        local = etree.QName(node).localname
        if local not in ("t", "r"):
            continue
        t = node if local == "t" else node.find(_M + "t")
        value = (t.text or "") if t is not None else ""
        if seen >= keep:
            text.remove(node)
        elif seen + len(value) > keep:
            set_text(t, value[: keep - seen])
        seen += len(value)


def _shape_xml(spid: int, row0: int, col0: int, lines: int) -> str:
    # Anchor: from (col+1, row-1) to a box about four columns wide and tall enough for the lines.
    top = max(row0 - 1, 0)
    anchor = f"{col0 + 1}, 15, {top}, 10, {col0 + 5}, 15, {top + 3 + lines}, 4"
    return (
        f'<v:shape {_OUR_XMLNS} id="_x0000_s{spid}" type="#_x0000_t202" style="position:absolute;margin-left:59.25pt;'
        f'margin-top:1.5pt;width:240pt;height:{30 + 14 * lines}pt;z-index:{spid % 1024};visibility:hidden" '
        'fillcolor="#ffffe1" o:insetmode="auto"><v:fill color2="#ffffe1"/>'
        '<v:shadow on="t" color="black" obscured="t"/><v:path o:connecttype="none"/>'
        '<v:textbox style="mso-direction-alt:auto"><div style="text-align:left"></div></v:textbox>'
        '<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
        f"<x:Anchor>{anchor}</x:Anchor><x:AutoFill>False</x:AutoFill>"
        f"<x:Row>{row0}</x:Row><x:Column>{col0}</x:Column></x:ClientData></v:shape>"
    )


# The highest VML shape-id block (idmap) handed out in each open package (_free_idmap).
_IDMAP_HIGH: WeakKeyDictionary[Package, int] = WeakKeyDictionary()


class SheetComments:
    """The notes of one worksheet, loaded lazily; call :meth:`commit` to write the parts back."""

    def __init__(self, pkg: Package, sheet_part: str, sheet: SheetPatch):
        self.pkg = pkg
        self.sheet_part = sheet_part
        self.sheet = sheet
        rel = pkg.rel_by_type(sheet_part, REL_COMMENTS)
        self.comments_part = rel.target if rel is not None and pkg.has(rel.target) else None
        self.comments_rid = rel.id if rel is not None else None
        self.root: etree._Element | None = pkg.xml(self.comments_part) if self.comments_part else None
        vrid = sheet.legacy_drawing_rid()
        vrel = pkg.rel_by_id(sheet_part, vrid) if vrid else None
        self.vml_part = vrel.target if vrel is not None and pkg.has(vrel.target) else None
        self.vml_rid = vrel.id if vrel is not None else None
        self.vml: str | None = (pkg.read(self.vml_part).decode("utf-8", "surrogateescape")
                                if self.vml_part else None)
        self.changed = False
        self._vml_changed = False
        self._doomed: set[tuple[int, int]] = set()  # (row0, col0) of note shapes to cut
        # A large sheet gets thousands of notes: each one's lookup, sorted insertion and shape id
        # would otherwise rescan every note and the whole VML drawing (quadratic: 8,000 rows
        # took 8 s, 100,000 rows tens of minutes). These are worked out once and kept up to date.
        self._by_ref: dict[str, etree._Element] | None = None  # ref → its <comment>
        # (cell keys, <comment>s) of the notes with a readable ref, in document order; False when
        # the user's notes are not in cell order (then each insertion scans, as Excel's order asks)
        self._order: tuple[list[tuple[int, int]], list[etree._Element]] | bool | None = None
        self._new_shapes: list[str] = []  # note shapes added, spliced into the VML at commit
        self._spid: int | None = None  # the next free shape id

    # -- comments part ---------------------------------------------------------------------------
    def _ensure_root(self) -> etree._Element:
        if self.root is None:
            self.root = etree.Element(_M + "comments", nsmap={None: NS_MAIN})
            etree.SubElement(self.root, _M + "authors")
            etree.SubElement(self.root, _M + "commentList")
        for name in ("authors", "commentList"):
            if self.root.find(_M + name) is None:
                el = etree.Element(_M + name)
                if name == "authors":
                    self.root.insert(0, el)
                else:
                    self.root.find(_M + "authors").addnext(el)
        return self.root

    def _author_id(self) -> str:
        authors = self._ensure_root().find(_M + "authors")
        for i, a in enumerate(authors):
            if (a.text or "") == AUTHOR:
                return str(i)
        etree.SubElement(authors, _M + "author").text = AUTHOR
        return str(len(authors) - 1)

    def find(self, ref: str) -> etree._Element | None:
        """The <comment> on cell ``ref``, if any."""
        if self.root is None:
            return None
        if self._by_ref is None:
            lst = self.root.find(_M + "commentList")
            if lst is None:
                return None
            self._by_ref = {}
            for c in lst.iterfind(_M + "comment"):
                self._by_ref.setdefault(c.get("ref", "").upper(), c)  # the first one, as a scan finds it
        return self._by_ref.get(ref)

    def add(self, ref: str, lines: list[str]) -> None:
        """Put ``lines`` on the note of ``ref``: a new xltools note, or appended to the user's one."""
        existing = self.find(ref)
        if existing is None:
            root = self._ensure_root()
            comment = etree.Element(_M + "comment", ref=ref, authorId=self._author_id())
            text = etree.SubElement(comment, _M + "text")
            text.append(_run(OWN_PREFIX, bold=True))
            text.append(_run("\n" + "\n".join(lines), bold=False))
            self._insert_sorted(root.find(_M + "commentList"), comment)
            if self._by_ref is not None:
                self._by_ref.setdefault(ref.upper(), comment)
            self._add_shape(ref, len(lines) + 1)
        else:
            text = existing.find(_M + "text")
            if text is None:
                text = etree.SubElement(existing, _M + "text")
            plain = text.find(_M + "t")
            if plain is not None:
                # A plain note becomes one unformatted run so that runs can follow it.
                run = etree.Element(_M + "r")
                plain.addprevious(run)
                run.append(plain)
            runs = text.findall(_M + "r")
            anchor = runs[-1] if runs else None
            ours = [_run(SEPARATOR, bold=True), _run("\n" + "\n".join(lines), bold=False)]
            for r in reversed(ours):
                if anchor is not None:
                    anchor.addnext(r)
                else:
                    text.insert(0, r)
        self.changed = True

    def _insert_sorted(self, lst: etree._Element, comment: etree._Element) -> None:
        """Insert ``comment`` before the first note (in document order) on a later cell."""
        key = parse_ref(comment.get("ref"))
        if self._order is None:
            keys, comments = [], []
            for c in lst.iterfind(_M + "comment"):
                try:
                    keys.append(parse_ref(c.get("ref", "")))
                except ValueError:
                    continue
                comments.append(c)
            in_order = all(a <= b for a, b in zip(keys, keys[1:]))
            self._order = (keys, comments) if in_order else False
        if self._order is False:
            for c in lst.iterfind(_M + "comment"):
                try:
                    if parse_ref(c.get("ref", "")) > key:
                        c.addprevious(comment)
                        return
                except ValueError:
                    continue
            lst.append(comment)
            return
        keys, comments = self._order
        at = bisect_right(keys, key)  # in cell order, the first later note is the first in the list
        if at < len(keys):
            comments[at].addprevious(comment)
        else:
            lst.append(comment)
        keys.insert(at, key)
        comments.insert(at, comment)

    def strip(self) -> int:
        """Remove every xltools text; notes left empty are deleted. Returns how many notes changed.

        The cut is found in the note's plain text, not by run, because a re-save may split or
        merge runs (LibreOffice splits them by script and moves line breaks between runs).
        """
        if self.root is None:
            return 0
        lst = self.root.find(_M + "commentList")
        if lst is None:
            return 0
        touched = 0
        self._by_ref = self._order = None  # notes are removed below: look them up afresh
        for comment in list(lst.iterfind(_M + "comment")):
            text = comment.find(_M + "text")
            if text is None:
                continue
            cut = _cut_point(comment_text(comment))
            if cut is None:
                continue
            touched += 1
            _truncate(text, cut)
            rest = text.findall(_M + "r")
            if not comment_text(comment).strip():
                lst.remove(comment)
                self._remove_shape(comment.get("ref", ""))
            elif len(rest) == 1 and rest[0].find(_M + "rPr") is None and len(text) == 1:
                # Undo the plain-to-run conversion made by add().
                t = rest[0].find(_M + "t")
                text.remove(rest[0])
                text.insert(0, t)
        if touched:
            authors = self.root.find(_M + "authors")
            used = {c.get("authorId") for c in lst.iterfind(_M + "comment")}
            # Only the last author can go without renumbering everyone else's authorId.
            if authors is not None and len(authors) and (authors[-1].text or "") == AUTHOR \
                    and str(len(authors) - 1) not in used:
                authors.remove(authors[-1])
            self.changed = True
        return touched

    # -- VML ---------------------------------------------------------------------------------
    def _add_shape(self, ref: str, lines: int) -> None:
        row, col = parse_ref(ref)
        if self.vml is None:
            idmap = self._free_idmap()
            self.vml = _VML_HEAD.format(idmap=idmap) + _SHAPETYPE + "</xml>"
        if not self._new_shapes and not _SHAPETYPE_202.search(self.vml):
            root = _ROOT.search(self.vml)
            if root is None:
                raise ValueError("the sheet's VML drawing has no <xml> root")
            self.vml = self.vml[:root.end()] + _SHAPETYPE_LOCAL + self.vml[root.end():]
        self._new_shapes.append(_shape_xml(self._next_spid(), row - 1, col - 1, lines))
        self._vml_changed = True

    def _splice_new_shapes(self) -> None:
        """Put the shapes added so far before the VML's closing tag, all at once."""
        if self._new_shapes:
            end = self.vml.rfind("</xml>")
            self.vml = self.vml[:end] + "".join(self._new_shapes) + self.vml[end:]
            self._new_shapes = []

    def _free_idmap(self) -> int:
        """A shape-id block no VML drawing of the package uses: one past the highest.

        The package's drawings are read for it once; after that the highest block handed out
        is kept per package (only this module writes drawings), so that annotating a workbook of
        a thousand sheets does not read every other sheet's drawing for each new one.
        """
        high = _IDMAP_HIGH.get(self.pkg)
        if high is None:
            used = {0}
            for name in self.pkg.names():
                if name.lower().endswith(".vml"):
                    text = self.pkg.read(name).decode("utf-8", "surrogateescape")
                    for m in _IDMAP.finditer(text):
                        used.update(int(x) for x in re.split(r"[,\s]+", m.group(1)) if x)
            high = max(used)
        _IDMAP_HIGH[self.pkg] = high + 1
        return high + 1

    def _next_spid(self) -> int:
        """A new shape id: one past the largest in the drawing (or the first of its idmap block)."""
        if self._spid is None:
            ids = [int(x) for x in _SPID.findall(self.vml or "")]
            if ids:
                self._spid = max(ids) + 1
            else:
                m = _IDMAP.search(self.vml or "")
                block = int(re.split(r"[,\s]+", m.group(1).strip())[0]) if m else 1
                self._spid = block * 1024 + 1
        spid = self._spid
        self._spid += 1
        return spid

    def _remove_shape(self, ref: str) -> None:
        """Queue the note shape of ``ref`` for removal (all are cut in one pass at commit)."""
        if self.vml is None:
            return
        try:
            row, col = parse_ref(ref)
        except ValueError:
            return
        self._doomed.add((row - 1, col - 1))
        self._vml_changed = True

    def _cut_shapes(self) -> None:
        if not self._doomed or self.vml is None:
            return
        doomed, self._doomed = self._doomed, set()

        def drop(m: re.Match) -> str:
            shape = m.group(0)
            if not _NOTE.search(shape):
                return shape
            r, c = _ROW.search(shape), _COL.search(shape)
            return "" if r and c and (int(r.group(1)), int(c.group(1))) in doomed else shape

        new = _SHAPE.sub(drop, self.vml)
        if _SHAPETYPE_LOCAL in new and "#_x0000_t202" not in new.replace(_SHAPETYPE_LOCAL, ""):
            new = new.replace(_SHAPETYPE_LOCAL, "")  # the shape type xltools inserted, now unused
        self.vml = new

    # -- writing back --------------------------------------------------------------------------
    def commit(self) -> None:
        """Write the comments and VML parts back, adding or dropping parts, rels and content types."""
        if not (self.changed or self._vml_changed):
            return
        self._splice_new_shapes()
        self._cut_shapes()
        pkg = self.pkg
        has_comments = self.root is not None and len(self.root.findall(f"{_M}commentList/{_M}comment")) > 0
        if has_comments:
            if self.comments_part is None:
                self.comments_part = pkg.unique_name("xl/comments{}.xml")
                self.comments_rid = pkg.add_rel(self.sheet_part, REL_COMMENTS, self.comments_part)
                pkg.set_override(self.comments_part, CT_COMMENTS)
            pkg.set_xml(self.comments_part, self.root)
        elif self.comments_part is not None:
            pkg.remove(self.comments_part)
            pkg.remove_override(self.comments_part)
            pkg.remove_rel(self.sheet_part, self.comments_rid)
            self.comments_part = None
        if self._vml_changed and self.vml is not None:
            if _ANY_SHAPE.search(self.vml):
                if self.vml_part is None:
                    self.vml_part = pkg.unique_name("xl/drawings/vmlDrawing{}.vml")
                    self.vml_rid = pkg.add_rel(self.sheet_part, REL_VML, self.vml_part)
                    pkg.ensure_default("vml", CT_VML)
                    self.sheet.set_legacy_drawing(self.vml_rid)
                pkg.set(self.vml_part, self.vml.encode("utf-8", "surrogateescape"))
            elif self.vml_part is not None:
                pkg.remove(self.vml_part)
                pkg.remove_rel(self.sheet_part, self.vml_rid)
                self.sheet.set_legacy_drawing(None)
                self.vml_part = None
        self.changed = self._vml_changed = False
