"""The live-workbook adapter: the commands' Book interface on a workbook open in Excel (xlwings).

Marks look like the CLI's ``--annotate`` output: the severity colours, the same Chinese note
lines under the "xltools 校验" marker, and a 校验结果 sheet with one linked row per finding.
Each cell's fill before marking is kept in the sheet's hidden column J so that 清除标记
restores it. What to write is decided by the pure functions at the top (tested on Linux);
the class only moves it into Excel.
"""
from __future__ import annotations

import json
from collections import OrderedDict
from pathlib import Path
from typing import Any, Callable, Sequence

from ..core.edits import CellEdit
from ..core.findings import SEVERITY_ORDER, Finding, Severity
from ..core.form import address, col_index
from ..core.grid import Grid
from ..io.comments import MARK
from ..io.report_sheet import HEADERS, RECORD_COL, REPORT_SHEET, SEVERITY_RGB
from ..io.writer import note_line

LIVE_RECORD_HEADER = "xltools-live-marks-v1"  # not the file writer's header: its records hold xf ids
_XL_NONE = -4142  # xlNone: no interior pattern


class LiveBookError(RuntimeError):
    """A command cannot run on this workbook as it is (e.g. never saved); the message is Chinese."""


# --- what to write (pure) -----------------------------------------------------------------------

def split_ref(cell: str) -> tuple[int, int] | None:
    """"E12" → (12, 5); None for anything that is not a plain A1 address."""
    letters = "".join(ch for ch in cell if ch.isalpha())
    digits = cell[len(letters):]
    if not letters or not digits.isdigit() or not letters.isupper() or cell != letters + digits:
        return None
    return int(digits), col_index(letters)


def quote_sheet(name: str) -> str:
    """A sheet name as a formula or link reference needs it: 'My Sheet'."""
    return "'" + name.replace("'", "''") + "'"


def group_marks(findings: Sequence[Finding], anchor: Callable[[str, int, int], tuple[int, int]],
                sheets: set[str]) -> "OrderedDict[tuple[str, int, int], list[Finding]]":
    """Findings per marked cell; a cell inside a merged range is marked on its top-left cell.

    Args:
        findings: what to mark, in report order.
        anchor: (sheet, row, col) → the merge area's top-left (row, col).
        sheets: the workbook's sheet names; findings elsewhere are listed but not marked.
    """
    groups: "OrderedDict[tuple[str, int, int], list[Finding]]" = OrderedDict()
    for f in findings:
        rc = split_ref(f.cell or "")
        if f.sheet not in sheets or f.sheet == REPORT_SHEET or rc is None:
            continue
        r, c = anchor(f.sheet, *rc)
        groups.setdefault((f.sheet, r, c), []).append(f)
    return groups


def worst(findings: Sequence[Finding]) -> Severity:
    """The most severe severity among ``findings`` (it decides the cell's colour)."""
    return min((Severity(f.severity) for f in findings), key=SEVERITY_ORDER.get)


def report_rows(findings: Sequence[Finding], sheets: set[str]) -> list[list[Any]]:
    """The 校验结果 table, header first: the same columns and text as the CLI's sheet.

    Column C links to the cell with a HYPERLINK formula (it works in Excel on Windows and
    macOS alike), or holds the plain address when the cell is not in this workbook.
    """
    rows: list[list[Any]] = [list(HEADERS)]
    for i, f in enumerate(findings, 1):
        rc = split_ref(f.cell or "")
        if f.sheet in sheets and f.sheet != REPORT_SHEET and rc is not None:
            target = f"#{quote_sheet(f.sheet)}!{address(*rc)}"
            link = f'=HYPERLINK("{target}","{address(*rc)}")'
        else:
            link = str(f.cell or "")
        rows.append([i, f.sheet, link, f.row if f.row else None, Severity(f.severity).label_zh, f.code,
                     f.message, f.expected or ""])
    return rows


def merged_note(existing: str | None, lines: list[str]) -> str:
    """A cell's note with xltools' lines: alone, or after the user's own text and the marker."""
    user = strip_mark(existing or "")
    if user:
        return f"{user}\n—— {MARK} ——\n" + "\n".join(lines)
    return f"{MARK}：\n" + "\n".join(lines)


def strip_mark(text: str) -> str:
    """A note without xltools' part ("" when xltools wrote all of it)."""
    cut = text.find(MARK)
    if cut < 0:
        return text
    head = text[:cut]
    if head.endswith("—— "):
        head = head[:-3]
    return head.rstrip("\n")


def record_line(sheet: str, cell: str, color: tuple[int, int, int] | None) -> str:
    """One marked cell and its fill before marking, as a line of the hidden record column."""
    return json.dumps({"sheet": sheet, "cell": cell, "color": list(color) if color else None},
                      ensure_ascii=False, separators=(",", ":"))


def parse_records(column: Sequence[Any]) -> list[dict]:
    """The live marks record of a 校验结果 sheet's column J (empty if another tool wrote it)."""
    out = []
    values = [v for v in column if v not in (None, "")]
    if not values or values[0] != LIVE_RECORD_HEADER:
        return out
    for v in values[1:]:
        try:
            d = json.loads(str(v))
            out.append({"sheet": str(d["sheet"]), "cell": str(d["cell"]),
                        "color": tuple(d["color"]) if d.get("color") else None})
        except (ValueError, KeyError, TypeError):
            continue
    return out


def as_cell_value(value: Any, col: int) -> Any:
    """What to assign to a cell: column C's links stay formulas; other text that Excel would read
    as a formula ("=0" as an expected value) is kept as text."""
    is_link = col == 3 and isinstance(value, str) and value.startswith("=HYPERLINK(")
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") and not is_link:
        return "'" + value
    return value


def _hex_rgb(hex_text: str) -> tuple[int, int, int]:
    return int(hex_text[0:2], 16), int(hex_text[2:4], 16), int(hex_text[4:6], 16)


# --- the adapter ----------------------------------------------------------------------------------

class XlwingsBook:
    """A Book backed by an xlwings workbook; writes land in Excel at once."""

    def __init__(self, book: Any):
        self.book = book
        self.app = book.app
        self.name = book.name
        self._grids: dict[str, Grid] = {}

    def sheet_names(self) -> list[str]:
        return [s.name for s in self.book.sheets]

    def active_sheet(self) -> str:
        return self.book.sheets.active.name

    def source_path(self) -> Path:
        full = self.book.fullname
        if not full or ("/" not in full and "\\" not in full):
            raise LiveBookError("请先保存工作簿，再使用此功能。")
        return Path(full)

    def grid(self, sheet: str) -> Grid:
        if sheet not in self._grids:
            sht = self.book.sheets[sheet]
            used = sht.used_range
            values = used.options(ndim=2, err_to_str=True).value or [[]]
            self._grids[sheet] = Grid(sheet, values, self._merges(sht, used), origin=(used.row, used.column))
        return self._grids[sheet]

    def _merges(self, sht: Any, used: Any) -> list[tuple[int, int, int, int]]:
        """Merged areas via Excel's Find-by-format: one call per area, not one per cell (Windows)."""
        found: list[tuple[int, int, int, int]] = []
        try:
            app = self.app.api
            app.FindFormat.Clear()
            app.FindFormat.MergeCells = True
            first = hit = used.api.Find(What="", SearchFormat=True)
            seen = set()
            while hit is not None:
                area = hit.MergeArea
                key = (area.Row, area.Column, area.Row + area.Rows.Count - 1, area.Column + area.Columns.Count - 1)
                if key in seen:
                    break
                seen.add(key)
                found.append(key)
                hit = used.api.Find(What="", After=hit, SearchFormat=True)
                if hit is not None and hit.Address == first.Address:
                    break
            app.FindFormat.Clear()
        except Exception:  # noqa: BLE001 - macOS or an old Excel: blank cells still continue the value above
            return []
        return found

    def apply(self, edits: Sequence[CellEdit]) -> None:
        self._quiet(True)
        try:
            for e in edits:
                cell = self.book.sheets[e.sheet].range((e.row, e.col))
                if e.formula:
                    cell.formula = "=" + e.formula
                elif isinstance(e.value, str) and e.value[:1] in ("=", "+", "-", "@"):
                    cell.value = "'" + e.value  # text stays text, never a formula
                else:
                    cell.value = e.value
                if e.number_format and cell.number_format == "General":
                    cell.number_format = e.number_format
        finally:
            self._quiet(False)
            self._grids.clear()

    def mark(self, findings: Sequence[Finding]) -> None:
        sheets = set(self.sheet_names())
        groups = group_marks(findings, self._anchor, sheets)
        records = [LIVE_RECORD_HEADER]
        self._quiet(True)
        try:
            for i, ((sheet, r, c), group) in enumerate(groups.items(), 1):
                if i % 50 == 0:
                    self.progress(i, len(groups), "正在标注")
                cell = self.book.sheets[sheet].range((r, c))
                records.append(record_line(sheet, address(r, c), cell.color))
                cell.color = _hex_rgb(SEVERITY_RGB[worst(group)])
                note = cell.note
                text = merged_note(note.text if note else None, [note_line(f) for f in group])
                if note is None:
                    cell.add_note(text)
                else:
                    note.text = text
            self._write_report(findings, sheets, records)
        finally:
            self._quiet(False)

    def _anchor(self, sheet: str, row: int, col: int) -> tuple[int, int]:
        for r1, c1, r2, c2 in self.grid(sheet).merges:
            if r1 <= row <= r2 and c1 <= col <= c2:
                return r1, c1
        return row, col

    def _write_report(self, findings: Sequence[Finding], sheets: set[str], records: list[str]) -> None:
        rows = report_rows(findings, sheets)
        last = self.book.sheets[-1]
        sht = self.book.sheets.add(REPORT_SHEET, after=last)
        sht.range("A1").value = [[as_cell_value(v, c) for c, v in enumerate(row, 1)] for row in rows]
        header = sht.range((1, 1), (1, len(HEADERS)))
        header.font.bold = True
        header.color = (0xD9, 0xE1, 0xF2)
        for r, f in enumerate(findings, 2):
            sht.range((r, 5)).color = _hex_rgb(SEVERITY_RGB[Severity(f.severity)])
        widths = {1: 6, 2: 16, 3: 10, 4: 6, 5: 6, 6: 24, 7: 70, 8: 24}
        for c, w in widths.items():
            sht.range((1, c)).column_width = w
        sht.range((2, 7), (max(len(rows), 2), 8)).wrap_text = True
        column = sht.range((1, RECORD_COL), (len(records), RECORD_COL))
        column.options(transpose=True).value = records
        column.api.EntireColumn.Hidden = True
        try:
            sht.api.Range(f"A1:H{len(rows)}").AutoFilter()
        except Exception:  # noqa: BLE001 - filters are a convenience
            pass

    def clear_marks(self) -> None:
        names = self.sheet_names()
        self._quiet(True)
        try:
            if REPORT_SHEET in names:
                sht = self.book.sheets[REPORT_SHEET]
                column = sht.range((1, RECORD_COL)).expand("down").options(ndim=1).value
                for rec in parse_records(column):
                    if rec["sheet"] not in names:
                        continue
                    cell = self.book.sheets[rec["sheet"]].range(rec["cell"])
                    cell.color = rec["color"]
                display = self.app.display_alerts
                self.app.display_alerts = False
                try:
                    sht.delete()
                finally:
                    self.app.display_alerts = display
            for sheet in self.book.sheets:
                for note in list(sheet.notes):
                    if MARK not in note.text:
                        continue
                    rest = strip_mark(note.text)
                    if rest:
                        note.text = rest
                    else:
                        note.delete()
        finally:
            self._quiet(False)
            self._grids.clear()

    def progress(self, done: int, total: int, message: str) -> None:
        self.app.status_bar = f"xltools：{message}（{done}/{total}）" if total else f"xltools：{message}"

    def notify(self, message: str) -> None:
        self.app.alert(message, title="xltools 绩效工具")

    def _quiet(self, on: bool) -> None:
        try:
            self.app.screen_updating = not on
        except Exception:  # noqa: BLE001 - cosmetic
            pass
