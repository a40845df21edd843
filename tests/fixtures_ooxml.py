"""Package-level checks for written workbooks: part diffs, semantic XML equality, OOXML invariants.

These are the "Excel is stricter than LibreOffice" rules (engineering notes): CT_Worksheet
element order, count attributes, style and shared-string indexes in range, a content type
for every part, and an existing target for every relationship.
"""
from __future__ import annotations

import posixpath
import zipfile
from pathlib import Path

from lxml import etree

M = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PR = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
_M = f"{{{M}}}"

# ECMA-376 Part 1 §18.3.1.99 CT_Worksheet, written out independently of xltools' own copy.
CT_WORKSHEET = [
    "sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr",
    "sheetProtection", "protectedRanges", "scenarios", "autoFilter", "sortState", "dataConsolidate",
    "customSheetViews", "mergeCells", "phoneticPr", "conditionalFormatting", "dataValidations",
    "hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter", "rowBreaks",
    "colBreaks", "customProperties", "cellWatches", "ignoredErrors", "smartTags", "drawing",
    "legacyDrawing", "legacyDrawingHF", "picture", "oleObjects", "controls", "webPublishItems",
    "tableParts", "extLst",
]


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def infos(path: Path) -> list[zipfile.ZipInfo]:
    with zipfile.ZipFile(path) as zf:
        return zf.infolist()


def xml(data: bytes) -> etree._Element:
    return etree.fromstring(data)


def canon(el: etree._Element) -> tuple:
    """Structural identity: tag, attributes (order-free), stripped text, children."""
    return (el.tag, tuple(sorted(el.attrib.items())), (el.text or "").strip(),
            tuple(canon(c) for c in el if isinstance(c.tag, str)))


def rels(all_parts: dict[str, bytes], source: str) -> list[tuple[str, str, str, bool]]:
    """(Id, Type, resolved target, external) of ``source``'s relationships."""
    folder, base = posixpath.split(source)
    name = posixpath.join(folder, "_rels", base + ".rels")
    if name not in all_parts:
        return []
    out = []
    for el in xml(all_parts[name]).iter(f"{{{PR}}}Relationship"):
        target, external = el.get("Target"), el.get("TargetMode") == "External"
        if not external:
            target = (posixpath.normpath(target).lstrip("/") if target.startswith("/")
                      else posixpath.normpath(posixpath.join(folder, target)))
        out.append((el.get("Id"), el.get("Type"), target, external))
    return out


def workbook_sheets(all_parts: dict[str, bytes]) -> list[tuple[str, str]]:
    """(sheet name, worksheet part) in tab order."""
    wb = "xl/workbook.xml"
    targets = {rid: t for rid, _, t, _ in rels(all_parts, wb)}
    return [(s.get("name"), targets[s.get(f"{{{R}}}id")]) for s in xml(all_parts[wb]).iter(_M + "sheet")]


def check_package(path: Path) -> list[str]:
    """Every invariant violation found in the package at ``path`` (an empty list when valid)."""
    problems: list[str] = []
    p = parts(path)
    ct = xml(p["[Content_Types].xml"])
    defaults = {d.get("Extension").lower(): d.get("ContentType") for d in ct.iter(f"{{{CT}}}Default")}
    overrides = {o.get("PartName").lstrip("/").lower(): o.get("ContentType") for o in ct.iter(f"{{{CT}}}Override")}
    lower = {n.lower() for n in p}
    for name in p:
        if name == "[Content_Types].xml" or name.endswith("/"):
            continue
        ext = posixpath.basename(name).rsplit(".", 1)[-1].lower()
        if name.lower() not in overrides and ext not in defaults:
            problems.append(f"no content type for {name}")
    for over in overrides:
        if over not in lower:
            problems.append(f"content-type override for a missing part /{over}")
    for name in p:
        if name.endswith(".rels"):
            folder = posixpath.dirname(posixpath.dirname(name))
            source = posixpath.join(folder, posixpath.basename(name)[:-5]) if folder or posixpath.basename(name) != ".rels" else ""
            for rid, _, target, external in rels(p, source):
                if not external and target.lower() not in lower:
                    problems.append(f"{name} {rid} points at missing {target}")
    styles = xml(p["xl/styles.xml"])
    for coll in ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs"):
        el = styles.find(_M + coll)
        if el is not None and el.get("count") is not None and int(el.get("count")) != len(el):
            problems.append(f"styles {coll} count={el.get('count')} but {len(el)} children")
    n_xf = len(styles.find(_M + "cellXfs"))
    n_fonts, n_fills, n_borders = (len(styles.find(_M + c)) for c in ("fonts", "fills", "borders"))
    for i, xf in enumerate(styles.find(_M + "cellXfs")):
        if int(xf.get("fontId", 0)) >= n_fonts or int(xf.get("fillId", 0)) >= n_fills \
                or int(xf.get("borderId", 0)) >= n_borders:
            problems.append(f"cellXfs[{i}] points past fonts/fills/borders")
    n_sst = 0
    if "xl/sharedStrings.xml" in p:
        sst = xml(p["xl/sharedStrings.xml"])
        n_sst = len(sst.findall(_M + "si"))
    for name, part in workbook_sheets(p):
        if part not in p:
            problems.append(f"sheet {name} part {part} missing")
            continue
        root = xml(p[part])
        if root.tag != _M + "worksheet":
            continue
        order = [etree.QName(c).localname for c in root if isinstance(c.tag, str) and etree.QName(c).namespace == M]
        idx = [CT_WORKSHEET.index(o) for o in order]
        if idx != sorted(idx):
            problems.append(f"{part}: children out of CT_Worksheet order: {order}")
        for coll, child in (("mergeCells", "mergeCell"), ("dataValidations", "dataValidation"),
                            ("hyperlinks", "hyperlink")):
            el = root.find(_M + coll)
            if el is not None and el.get("count") is not None and int(el.get("count")) != len(el.findall(_M + child)):
                problems.append(f"{part}: {coll} count disagrees")
        last_row = 0
        for row in root.iter(_M + "row"):
            r = int(row.get("r"))
            if r <= last_row:
                problems.append(f"{part}: row {r} out of order")
            last_row = r
            if row.get("s") and int(row.get("s")) >= n_xf:
                problems.append(f"{part}: row {r} style out of range")
            last_col = 0
            for c in row.iter(_M + "c"):
                ref = c.get("r")
                if ref is None:  # r is optional: the cell follows the previous one
                    last_col += 1
                    continue
                letters = "".join(ch for ch in ref if ch.isalpha())
                col = 0
                for ch in letters:
                    col = col * 26 + ord(ch) - 64
                if col <= last_col or int(ref[len(letters):]) != r:
                    problems.append(f"{part}: cell {ref} out of order in row {r}")
                last_col = col
                if int(c.get("s", 0)) >= n_xf:
                    problems.append(f"{part}: {ref} style {c.get('s')} >= {n_xf}")
                if c.get("t") == "s" and int(c.findtext(_M + "v")) >= n_sst:
                    problems.append(f"{part}: {ref} shared string out of range")
        for col in root.iter(_M + "col"):
            if int(col.get("style", 0)) >= n_xf:
                problems.append(f"{part}: col style out of range")
        comment_rel = [t for _, ty, t, _ in rels(p, part) if ty.endswith("/comments")]
        if comment_rel:
            if root.find(_M + "legacyDrawing") is None:
                problems.append(f"{part}: comments without a legacyDrawing")
            refs = [c.get("ref") for c in xml(p[comment_rel[0]]).iter(_M + "comment")]
            vml_rid = root.find(_M + "legacyDrawing").get(f"{{{R}}}id") if root.find(_M + "legacyDrawing") is not None else None
            vml = {rid: t for rid, _, t, _ in rels(p, part)}.get(vml_rid)
            if vml is None or vml not in p:
                problems.append(f"{part}: legacyDrawing target missing")
            else:
                text = p[vml].decode("utf-8", "replace")
                if text.count('ObjectType="Note"') + text.count("ObjectType='Note'") != len(refs):
                    problems.append(f"{part}: {len(refs)} comments but a different number of VML notes")
    return problems
