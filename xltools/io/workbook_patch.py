"""The workbook part and its companions: sheet list, defined names, calcPr, calcChain, app.xml titles."""
from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from .errors import WorkbookError
from .package import (CT_WORKSHEET, NS_MAIN, NS_R, REL_CALC_CHAIN, REL_WORKSHEET, Package)

_M = f"{{{NS_MAIN}}}"
NS_EP = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
NS_VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
REL_APP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties"

WORKBOOK_ORDER = (
    "fileVersion", "fileSharing", "workbookPr", "workbookProtection", "bookViews", "sheets",
    "functionGroups", "externalReferences", "definedNames", "calcPr", "oleSize",
    "customWorkbookViews", "pivotCaches", "smartTagPr", "smartTagTypes", "webPublishing",
    "fileRecoveryPr", "webPublishObjects", "extLst",
)


@dataclass(frozen=True)
class SheetEntry:
    """One <sheet> of the workbook: its tab position (0-based), name, ids, part and kind."""

    index: int
    name: str
    sheet_id: int
    rid: str
    part: str | None
    is_worksheet: bool
    state: str = "visible"


def quote_sheet(name: str) -> str:
    """A sheet name as it appears in a reference: always quoted, quotes doubled."""
    return "'" + name.replace("'", "''") + "'"


class WorkbookPatch:
    """workbook.xml opened for changes; every change is written back to the package at once."""

    def __init__(self, pkg: Package):
        self.pkg = pkg
        self.part = pkg.workbook_part()
        self.root = pkg.xml(self.part)
        self._index = None  # (Package.changes when worked out, the sheets and their names)
        if self.root.find(_M + "sheets") is None:
            # Readers that look for <sheet> elements anywhere may still read such a file; a copy
            # of it cannot be written, and Excel would not open it either.
            raise WorkbookError(pkg.path, f"工作簿部件 {self.part} 缺少工作表列表（<sheets>），文件已损坏 "
                                          "/ corrupt workbook part: no <sheets> list")

    def _save(self) -> None:
        self.pkg.set_xml(self.part, self.root)

    def _insert(self, el: etree._Element) -> etree._Element:
        pos = WORKBOOK_ORDER.index(etree.QName(el).localname)
        for child in self.root:
            if not isinstance(child.tag, str):
                continue
            local = etree.QName(child).localname
            if local in WORKBOOK_ORDER and WORKBOOK_ORDER.index(local) > pos:
                child.addprevious(el)
                return el
        self.root.append(el)
        return el

    # -- sheets --------------------------------------------------------------------------------
    def sheets(self) -> list[SheetEntry]:
        """Every sheet tab in order, resolved to its part."""
        return list(self._sheet_index()[0])

    def sheet(self, name: str) -> SheetEntry | None:
        """The sheet called ``name`` (Excel compares sheet names case-insensitively)."""
        _, exact, folded = self._sheet_index()
        hit = exact.get(name)
        return hit if hit is not None else folded.get(name.casefold())

    def _sheet_index(self) -> tuple[list[SheetEntry], dict[str, SheetEntry], dict[str, SheetEntry]]:
        """The sheet tabs in order, and the first of each name as written and casefolded; worked
        out again only once the package has changed (Package.changes): annotating a workbook of
        hundreds of sheets looks each one up by name."""
        if self._index is not None and self._index[0] == self.pkg.changes:
            return self._index[1]
        out = []
        sheets = self.root.find(_M + "sheets")
        for i, el in enumerate(sheets.iterfind(_M + "sheet") if sheets is not None else ()):
            rid = el.get(f"{{{NS_R}}}id", "")
            rel = self.pkg.rel_by_id(self.part, rid)
            part = rel.target if rel is not None and not rel.external and self.pkg.has(rel.target) else None
            out.append(SheetEntry(i, el.get("name", ""), int(el.get("sheetId", "0") or 0), rid, part,
                                  rel is not None and rel.type == REL_WORKSHEET and part is not None,
                                  el.get("state", "visible")))
        exact: dict[str, SheetEntry] = {}
        folded: dict[str, SheetEntry] = {}
        for e in out:
            exact.setdefault(e.name, e)
            folded.setdefault(e.name.casefold(), e)
        index = (out, exact, folded)
        self._index = (self.pkg.changes, index)
        return index

    def add_worksheet(self, name: str, xml: bytes) -> SheetEntry:
        """Append a worksheet tab named ``name`` holding ``xml``; indexes of other sheets are unchanged."""
        pkg = self.pkg
        folder = self.part.rsplit("/", 1)[0] + "/" if "/" in self.part else ""
        part = pkg.unique_name(folder + "worksheets/sheet{}.xml")
        pkg.set(part, xml)
        pkg.set_override(part, CT_WORKSHEET)
        rid = pkg.add_rel(self.part, REL_WORKSHEET, part)
        sheets = self.root.find(_M + "sheets")
        existing = self.sheets()
        sheet_id = max((e.sheet_id for e in existing), default=0) + 1
        el = etree.SubElement(sheets, _M + "sheet", name=name, sheetId=str(sheet_id))
        el.set(f"{{{NS_R}}}id", rid)
        self._save()
        self._app_titles(add=name, existing=[e.name for e in existing if e.is_worksheet])
        return SheetEntry(len(existing), name, sheet_id, rid, part, True)

    def remove_sheet(self, entry: SheetEntry) -> None:
        """Delete a sheet tab, its part and whatever only it used; fix every sheet index after it."""
        pkg = self.pkg
        sheets = self.root.find(_M + "sheets")
        names_before = [e.name for e in self.sheets() if e.is_worksheet]
        for el in sheets.iterfind(_M + "sheet"):
            if el.get(f"{{{NS_R}}}id") == entry.rid:
                sheets.remove(el)
                break
        idx = entry.index
        dn = self.root.find(_M + "definedNames")
        if dn is not None:
            for name in list(dn):
                local = name.get("localSheetId")
                if local is None:
                    continue
                if int(local) == idx:
                    dn.remove(name)
                elif int(local) > idx:
                    name.set("localSheetId", str(int(local) - 1))
        views = self.root.find(_M + "bookViews")
        remaining = len(sheets.findall(_M + "sheet"))
        if views is not None:
            for view in views:
                for attr in ("activeTab", "firstSheet"):
                    v = view.get(attr)
                    if v is not None and v.isdigit() and (int(v) > idx or (int(v) == idx and int(v) >= remaining)):
                        view.set(attr, str(max(int(v) - 1, 0)))
        pkg.remove_rel(self.part, entry.rid)
        if entry.part:
            self._remove_part_tree(entry.part)
        self._save()
        if entry.is_worksheet:
            self._app_titles(remove=entry.name, existing=names_before)

    def _remove_part_tree(self, part: str) -> None:
        """Remove ``part`` and, recursively, the parts only it pointed at."""
        targets = [r.target for r in self.pkg.rels(part) if not r.external]
        self.pkg.remove(part)
        self.pkg.remove_override(part)
        for target in targets:
            if self.pkg.has(target) and not self._referenced(target):
                self._remove_part_tree(target)

    def _referenced(self, target: str) -> bool:
        for name in self.pkg.names():
            if name.endswith(".rels"):
                source = _source_of(name)
                if any(r.target.lower() == target.lower() for r in self.pkg.rels(source) if not r.external):
                    return True
        return False

    # -- names, calculation ------------------------------------------------------------------------
    def add_defined_name(self, name: str, text: str, *, local_sheet: int | None = None,
                         hidden: bool = False) -> None:
        """Append a <definedName> (sheet-local when ``local_sheet`` is given)."""
        dn = self.root.find(_M + "definedNames")
        if dn is None:
            dn = self._insert(etree.Element(_M + "definedNames"))
        el = etree.SubElement(dn, _M + "definedName", name=name)
        if local_sheet is not None:
            el.set("localSheetId", str(local_sheet))
        if hidden:
            el.set("hidden", "1")
        el.text = text
        self._save()

    @property
    def has_defined_names(self) -> bool:
        """Whether workbook.xml has a <definedNames> element (even an empty one)."""
        return self.root.find(_M + "definedNames") is not None

    def drop_empty_defined_names(self) -> None:
        """Remove <definedNames> if it has no names left."""
        dn = self.root.find(_M + "definedNames")
        if dn is not None and len(dn) == 0:
            self.root.remove(dn)
            self._save()

    def set_full_calc_on_load(self) -> None:
        """Ask Excel to recalculate every formula when it opens the file."""
        calc = self.root.find(_M + "calcPr")
        if calc is None:
            calc = self._insert(etree.Element(_M + "calcPr"))
        if calc.get("fullCalcOnLoad") not in ("1", "true"):
            calc.set("fullCalcOnLoad", "1")
            self._save()

    def drop_calc_chain(self) -> bool:
        """Remove calcChain.xml (Excel rebuilds it); a stale chain makes Excel repair the file."""
        rel = self.pkg.rel_by_type(self.part, REL_CALC_CHAIN)
        if rel is None:
            return False
        self.pkg.remove_rel(self.part, rel.id)
        self.pkg.remove(rel.target)
        self.pkg.remove_override(rel.target)
        return True

    # -- docProps/app.xml -------------------------------------------------------------------------
    def _app_titles(self, *, existing: list[str], add: str | None = None, remove: str | None = None) -> None:
        """Keep app.xml's TitlesOfParts/HeadingPairs listing the worksheets; leave it alone if unsure."""
        rel = self.pkg.rel_by_type("", REL_APP)
        if rel is None or not self.pkg.has(rel.target):
            return
        root = self.pkg.xml(rel.target)
        hp = root.find(f"{{{NS_EP}}}HeadingPairs/{{{NS_VT}}}vector")
        tp = root.find(f"{{{NS_EP}}}TitlesOfParts/{{{NS_VT}}}vector")
        if hp is None or tp is None:
            return
        variants = [v[0] for v in hp.iterfind(f"{{{NS_VT}}}variant") if len(v)]
        groups: list[tuple[etree._Element, int]] = []
        for name_el, count_el in zip(variants[0::2], variants[1::2]):
            try:
                groups.append((count_el, int(count_el.text)))
            except (TypeError, ValueError):
                return
        titles = list(tp.iterfind(f"{{{NS_VT}}}lpstr"))
        if sum(n for _, n in groups) != len(titles):
            return
        known = set(existing)
        start = 0
        for count_el, n in groups:
            chunk = titles[start:start + n]
            if n and all((t.text or "") in known for t in chunk):
                if add is not None:
                    new = etree.Element(f"{{{NS_VT}}}lpstr")
                    new.text = add
                    chunk[-1].addnext(new)
                    count_el.text = str(n + 1)
                else:
                    hit = next((t for t in chunk if (t.text or "") == remove), None)
                    if hit is None:
                        return
                    tp.remove(hit)
                    count_el.text = str(n - 1)
                tp.set("size", str(len(tp)))
                self.pkg.set_xml(rel.target, root)
                return
            start += n


def _source_of(rels_part: str) -> str:
    folder, base = rels_part.rsplit("/", 1) if "/" in rels_part else ("", rels_part)
    parent = folder[:-len("_rels")].rstrip("/") if folder.endswith("_rels") else folder
    source = base[:-len(".rels")]
    return f"{parent}/{source}" if parent else source

