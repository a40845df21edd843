"""save_copy: write a filled and/or annotated copy of a real workbook without losing anything.

The copy is made by patching the OOXML package (see package.py): only the parts an edit
or a mark touches are rewritten, so images, charts, validations, VBA and everything
openpyxl would drop survive byte for byte.
"""
from __future__ import annotations

import os
import re
import shutil
from collections import OrderedDict
from pathlib import Path
from typing import Sequence

from lxml import etree

from ..core.edits import CellEdit
from ..core.findings import SEVERITY_ORDER, Finding, Severity
from ..core.form import address
from .comments import SheetComments
from .errors import WorkbookError
from .package import CT_STYLES, NS_MAIN, REL_COMMENTS, REL_SHARED_STRINGS, REL_STYLES, Package
from .report_sheet import (MARK_RGB, REPORT_SHEET, SEVERITY_RGB, MarkRecord, ReportLine, ReportStyles,
                           build_report, read_records, shared_strings)
from .sheet_patch import MAX_COL, MAX_ROW, EditRefused, SheetPatch, parse_ref
from .styles_patch import MINIMAL_STYLES, Styles, fill_from_text, fill_to_text, shows_as
from .workbook_patch import SheetEntry, WorkbookPatch, quote_sheet

__all__ = ["save_copy", "backup_path", "note_line", "WorkbookError"]


def save_copy(src: Path, dst: Path, *, edits: Sequence[CellEdit] = (), findings: Sequence[Finding] = (),
              clear_marks: bool = False, backup: bool = False) -> None:
    """Write a copy of ``src`` to ``dst`` with cell edits and/or findings marked on it.

    Order of work: earlier xltools marks are cleared (when ``clear_marks`` or ``findings``),
    then ``edits`` are written, then ``findings`` are marked (cell fill by severity, a note
    with every message, and a 校验结果 sheet at the end). Everything else is kept as is.

    Args:
        src: the workbook to copy (.xlsx or .xlsm); never modified.
        dst: where to write; may equal ``src`` only with ``backup=True``.
        edits: values, text or live formulas (with cached values) to write.
        findings: findings to mark; ones on unknown sheets or bad addresses are only listed.
        clear_marks: remove xltools highlights, notes and the 校验结果 sheet first.
        backup: if ``dst`` exists, copy it to "<name>.bak<ext>" (numbered, never overwritten) first.

    Raises:
        WorkbookError: unreadable or unsafe input, an edit that cannot be written, or dst == src
            without ``backup``. Nothing is written when it is raised.
    """
    src, dst = Path(src), Path(dst)
    if dst.exists() and dst.is_dir():
        raise WorkbookError(dst, "目标是一个文件夹 / destination is a directory")
    if not dst.parent.exists():
        raise WorkbookError(dst, "目标文件夹不存在 / destination folder does not exist")
    if _same_file(src, dst) and not backup:
        raise WorkbookError(dst, "不能覆盖源文件，除非同时要求备份（backup=True） "
                                 "/ refusing to overwrite the source without backup=True")
    with Package.open(src) as pkg:
        book = _Book(pkg)
        if clear_marks or findings:
            book.clear_marks()
        if edits:
            book.apply_edits(edits)
        if findings:
            book.annotate(findings)
        book.commit()
        if backup and dst.exists():
            _make_backup(dst)
        try:
            pkg.save(dst)
        except PermissionError as exc:
            raise WorkbookError(dst, f"无法写入目标文件（可能正在 Excel 中打开）/ cannot write the destination "
                                     f"(open in Excel?): {exc.strerror}") from None
        except OSError as exc:
            raise WorkbookError(dst, f"写入失败 / write failed: {exc.strerror or exc}") from None


def backup_path(path: Path) -> Path:
    """The first free backup name for ``path``: book.bak.xlsx, then book.bak2.xlsx, book.bak3.xlsx …"""
    path = Path(path)
    n = 1
    while True:
        candidate = path.with_name(f"{path.stem}.bak{'' if n == 1 else n}{path.suffix}")
        if not candidate.exists():
            return candidate
        n += 1


def _make_backup(path: Path) -> Path:
    """Copy ``path`` to its first free backup name, claimed exclusively so nothing is overwritten."""
    while True:
        candidate = backup_path(path)
        try:
            os.close(os.open(candidate, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            continue  # taken meanwhile by another writer: backup_path moves on to the next number
        shutil.copy2(path, candidate)
        return candidate


def _same_file(a: Path, b: Path) -> bool:
    try:
        return b.exists() and os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


class _Book:
    """The package plus lazily opened workbook, styles, sheets and notes."""

    def __init__(self, pkg: Package):
        self.pkg = pkg
        self.wb = WorkbookPatch(pkg)
        self._styles: Styles | None = None
        self._styles_part: str | None = None
        self._sheets: dict[str, SheetPatch] = {}
        self._comments: dict[str, SheetComments] = {}
        self._pending_defaults: list[str] | None = None
        self._pending_names: bool | None = None  # whether <definedNames> existed before marking

    # -- lazily opened parts -----------------------------------------------------------------------
    @property
    def styles(self) -> Styles:
        """styles.xml, opened on first use (a minimal one is added if the package has none)."""
        if self._styles is None:
            rel = self.pkg.rel_by_type(self.wb.part, REL_STYLES)
            if rel is None or not self.pkg.has(rel.target):
                part = self.wb.part.rsplit("/", 1)[0] + "/styles.xml"
                self.pkg.set(part, MINIMAL_STYLES)
                self.pkg.set_override(part, CT_STYLES)
                if rel is None:
                    self.pkg.add_rel(self.wb.part, REL_STYLES, part)
            else:
                part = rel.target
            self._styles_part = part
            self._styles = Styles(self.pkg.xml(part))
        return self._styles

    def entry(self, name: str) -> SheetEntry | None:
        """The worksheet called ``name``; None for unknown names and chart sheets."""
        e = self.wb.sheet(name)
        return e if e is not None and e.is_worksheet else None

    def sheet(self, entry: SheetEntry) -> SheetPatch:
        """The worksheet part of ``entry``, parsed once."""
        sp = self._sheets.get(entry.part)
        if sp is None:
            sp = self._sheets[entry.part] = SheetPatch(self.pkg.xml(entry.part), entry.name)
        return sp

    def comments(self, entry: SheetEntry) -> SheetComments:
        """The notes of ``entry``, opened once."""
        c = self._comments.get(entry.part)
        if c is None:
            c = self._comments[entry.part] = SheetComments(self.pkg, entry.part, self.sheet(entry))
        return c

    def commit(self) -> None:
        """Hand every changed part back to the package."""
        for c in self._comments.values():
            c.commit()
        if self._pending_defaults is not None:
            # Content-type defaults xltools added (vml) go once no part uses them any more.
            self.pkg.drop_unused_defaults(keep=self._pending_defaults)
        for part, sp in self._sheets.items():
            if sp.changed:
                self.pkg.set_xml(part, sp.root)
        if self._styles is not None and self._styles.changed:
            self.pkg.set_xml(self._styles_part, self._styles.root)

    def _error(self, message: str, sheet: str | None = None, cell: str | None = None) -> WorkbookError:
        return WorkbookError(self.pkg.path, message, sheet=sheet, cell=cell)

    # -- edits ---------------------------------------------------------------------------------
    def apply_edits(self, edits: Sequence[CellEdit]) -> None:
        """Write every edit; any refusal raises WorkbookError before anything is saved."""
        any_formula = False
        for e in edits:
            if not (1 <= e.row <= MAX_ROW and 1 <= e.col <= MAX_COL):
                raise self._error(f"单元格位置超出工作表范围（第 {e.row} 行第 {e.col} 列） / cell outside the sheet",
                                  e.sheet)
            ref = address(e.row, e.col)
            entry = self.wb.sheet(e.sheet)
            if entry is None:
                raise self._error(f"没有名为“{e.sheet}”的工作表 / no sheet named {e.sheet!r}", e.sheet, ref)
            if not entry.is_worksheet:
                raise self._error(f"“{e.sheet}”不是普通工作表（图表页等），不能写入 / not a worksheet", e.sheet, ref)
            sp = self.sheet(entry)
            try:
                el = sp.write(e.row, e.col, e.value, e.formula)
            except EditRefused as exc:
                raise self._error(str(exc), e.sheet, ref) from None
            except ValueError as exc:
                raise self._error(f"无法写入该值 / cannot write this value: {exc}", e.sheet, ref) from None
            if e.number_format:
                s = sp.style_of(el)
                if not shows_as(self.styles.format_code(s), e.number_format):
                    sp.set_style(el, self.styles.with_num_fmt(s, e.number_format))
            any_formula = any_formula or e.formula is not None
        if any_formula:
            self.wb.set_full_calc_on_load()
        if any(sp.formula_replaced for sp in self._sheets.values()):
            self.wb.drop_calc_chain()

    # -- marks -----------------------------------------------------------------------------------
    def annotate(self, findings: Sequence[Finding]) -> None:
        """Highlight and note each finding's cell and append the 校验结果 sheet."""
        groups: "OrderedDict[tuple[str, int, int], list[Finding]]" = OrderedDict()
        entries: dict[str, SheetEntry] = {}
        lines: list[ReportLine] = []
        by_name: dict[str, SheetEntry | None] = {}  # each sheet looked up once, not once per finding
        for f in findings:
            entry = by_name[f.sheet] if f.sheet in by_name else by_name.setdefault(f.sheet, self.entry(f.sheet))
            try:
                r, c = parse_ref(f.cell)
            except ValueError:
                r = c = None
            if entry is None or r is None:
                lines.append(ReportLine(f, None, str(f.cell or "")))
                continue
            ref = address(r, c)
            lines.append(ReportLine(f, f"{quote_sheet(entry.name)}!{ref}", ref))
            # A mark inside a merged range goes on its top-left cell, the only one Excel shows.
            ar, ac = self.sheet(entry).merge_anchor(r, c)
            entries[entry.name] = entry
            groups.setdefault((entry.name, ar, ac), []).append(f)
        records: list[MarkRecord] = []
        styles = self.styles
        # Content-type defaults an earlier run added are only dropped at commit: carry the older list.
        defaults = self._pending_defaults if self._pending_defaults is not None else self.pkg.default_extensions()
        names = self._pending_names if self._pending_names is not None else self.wb.has_defined_names
        snapshot = {"styles": styles.snapshot(), "defaults": defaults, "names": names}
        for (name, r, c), group in groups.items():
            entry = entries[name]
            sp = self.sheet(entry)
            ref = address(r, c)
            el = sp.cell(r, c)
            created = dim = spans = None
            if el is None:
                row = sp.row(r)
                created = "row" if row is None else "cell"
                spans = None if row is None else row.get("spans")
                dim_el = sp.child("dimension")
                dim = None if dim_el is None else dim_el.get("ref")
                el = sp.cell(r, c, create=True)
            orig = int(el.get("s")) if el.get("s") is not None else None
            base = orig or 0
            worst = min((Severity(f.severity) for f in group), key=SEVERITY_ORDER.get)
            mark = styles.with_fill(base, SEVERITY_RGB[worst])
            records.append(MarkRecord(name, ref, orig, mark, fill_to_text(styles.fill_of(base)), created or "",
                                      dim, spans))
            sp.set_style(el, mark)
            self.comments(entry).add(ref, [note_line(f) for f in group])
        xml = build_report(lines, records, ReportStyles.build(styles), styles.default_font_size, snapshot)
        # A sheet the user named 校验结果 themselves is left alone; ours then gets a number.
        name, n = REPORT_SHEET, 1
        while self.wb.sheet(name) is not None:
            n += 1
            name = f"{REPORT_SHEET}{n}"
        added = self.wb.add_worksheet(name, xml)
        self.wb.add_defined_name("_xlnm._FilterDatabase", f"{quote_sheet(name)}!$A$1:$H${len(lines) + 1}",
                                 local_sheet=added.index, hidden=True)

    def _report_sheets(self) -> list[tuple[SheetEntry, list[MarkRecord], dict | None]]:
        """xltools' own 校验结果 sheets (recognised by the record header in J1), with their records."""
        out = []
        for entry in self.wb.sheets():
            if entry.is_worksheet and entry.name.startswith(REPORT_SHEET):
                found = read_records(self.pkg.xml(entry.part), self._shared_strings())
                if found is not None:
                    out.append((entry, *found))
        return out

    def clear_marks(self) -> None:
        """Remove xltools' report sheets, highlights and notes, restoring what they replaced."""
        records: list[MarkRecord] = []
        snapshot = None
        # Last first, so that the tab indexes of the remaining ones stay valid.
        for entry, recs, snap in reversed(self._report_sheets()):
            records += recs
            snapshot = snap if snapshot is None else snapshot
            self.wb.remove_sheet(entry)
        for rec in records:
            self._restore(rec)
        for entry in self.wb.sheets():
            if entry.is_worksheet and self.pkg.rel_by_type(entry.part, REL_COMMENTS) is not None:
                self.comments(entry).strip()
        if isinstance(snapshot, dict):
            if isinstance(snapshot.get("styles"), dict):
                self.styles.trim_to(snapshot["styles"], self._max_used_xf())
            if isinstance(snapshot.get("defaults"), list):
                self._pending_defaults = snapshot["defaults"]
            if snapshot.get("names") is False:
                self.wb.drop_empty_defined_names()
            if isinstance(snapshot.get("names"), bool):
                self._pending_names = snapshot["names"]

    def _max_used_xf(self) -> int:
        """The highest cellXfs index any worksheet cell, row or column uses."""
        top = 0
        for entry in self.wb.sheets():
            if not entry.is_worksheet:
                continue
            sp = self._sheets.get(entry.part)
            if sp is not None:
                values = sp.root.xpath("m:sheetData/m:row/@s | m:sheetData/m:row/m:c/@s | m:cols/m:col/@style",
                                       namespaces={"m": NS_MAIN})
                top = max([top, *(int(v) for v in set(values) if v.isdigit())])
            else:
                data = self.pkg.read(entry.part)
                for m in _STYLE_ATTR.finditer(data):
                    top = max(top, int(m.group(1)))
        return top

    def _restore(self, rec: MarkRecord) -> None:
        entry = self.entry(rec.sheet)
        if entry is None:
            return
        try:
            r, c = parse_ref(rec.cell)
        except ValueError:
            return
        sp = self.sheet(entry)
        el = sp.cell(r, c)
        if el is None:
            return
        styles = self.styles
        cur = sp.style_of(el)
        if (styles.fill_rgb(cur) or "")[-6:].upper() not in MARK_RGB:
            return  # the user re-coloured the cell since: their choice wins
        if rec.created and not any(child.tag.endswith(("}v", "}f", "}is")) for child in el):
            sp.remove_cell(r, c)
            if rec.created == "row":
                sp.remove_row_if_bare(r)
            sp.restore_bounds(r, rec.dim, rec.spans)
            return
        orig = rec.orig or 0
        if rec.mark >= 0 and orig < styles.xf_count and _same_but_fill(styles, orig, cur):
            sp.set_style(el, rec.orig)
        else:
            # The xfs were renumbered by a re-save: rebuild the style from the current one.
            sp.set_style(el, styles.with_fill(cur, fill_from_text(rec.fill)))

    def _shared_strings(self) -> list[str]:
        rel = self.pkg.rel_by_type(self.wb.part, REL_SHARED_STRINGS)
        if rel is None or not self.pkg.has(rel.target):
            return []
        return shared_strings(self.pkg.xml(rel.target))


# s="N" appears only on <c> and <row>, style="N" only on <col>, in a worksheet part.
_STYLE_ATTR = re.compile(rb"""\s(?:s|style)\s*=\s*["'](\d+)["']""")


def _same_but_fill(styles: Styles, a: int, b: int) -> bool:
    xa, xb = styles.xf(a), styles.xf(b)
    skip = {"fillId", "applyFill"}
    attrs_a = {k: v for k, v in xa.attrib.items() if k not in skip}
    attrs_b = {k: v for k, v in xb.attrib.items() if k not in skip}
    return attrs_a == attrs_b and [etree.tostring(x) for x in xa] == [etree.tostring(x) for x in xb]


def note_line(f: Finding) -> str:
    """One line of a cell's note: "【错误】code：message", plus the expected value when the message lacks it."""
    label = Severity(f.severity).label_zh
    line = f"【{label}】{f.code}：{f.message}"
    if f.expected and f.expected not in f.message:
        line += f"（期望值：{f.expected}）"
    return line


