"""Build the sample workbooks in samples/ from samples/data/*.json, byte-identically on every run.

Usage: ``python scripts/build_samples.py [--out DIR]``. Besides one .xlsx per data file it writes
``layout.json`` (every block's header row, first/last row and field → column map, plus every
defect kept from the seed, resolved to cell addresses) and ``README.md`` rendered from it, so the
addresses the README quotes cannot drift from the workbooks.

The data files hold what each form prints; this script only decides the cell grid, the merges
and the look (宋体, borders, wrapped text, widths and heights for Chinese text).
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import math
import struct
import unicodedata
import zlib
from pathlib import Path

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "samples" / "data"
FIXED_TIME = dt.datetime(2024, 1, 1, 0, 0, 0)
FONT = "宋体"
LINE_PT = 14.0          # one 10-pt line of wrapped text (Excel uses 13.5–14.25)
MAX_ROW_PT = 409.0      # Excel's ceiling for a row height

# ----------------------------------------------------------------------------- text metrics


def text_units(text: str) -> int:
    """Width of ``text`` in column-width units: CJK/full-width characters count 2, others 1."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def line_count(text: str, width: float) -> int:
    """Lines ``text`` wraps to in a cell ``width`` units wide (a little slack for the cell margin)."""
    # Excel sizes a column in widths of the default font's digit (7 px for 宋体 10 pt); a CJK glyph
    # is about 13.3 px, so two units each, plus the few pixels of cell padding.
    usable = max(width + 0.5, 2.0)
    return sum(max(1, math.ceil(text_units(p) / usable)) for p in str(text).split("\n"))


# ----------------------------------------------------------------------------- logo


def make_png(size: int = 48) -> bytes:
    """A small RGB PNG (a red seal-like ring on white), written with zlib/struct only."""
    rows = []
    c = (size - 1) / 2.0
    for y in range(size):
        row = bytearray([0])  # filter type 0
        for x in range(size):
            r = math.hypot(x - c, y - c)
            inside_ring = size * 0.30 <= r <= size * 0.46
            inside_star = r < size * 0.16
            row += bytes((200, 30, 40)) if (inside_ring or inside_star) else bytes((255, 255, 255))
        rows.append(bytes(row))
    raw = b"".join(rows)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


# ----------------------------------------------------------------------------- sheet writer

STYLE_PROPS = {
    "title": {"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"},
    "subtitle": {"font_size": 11, "align": "center", "valign": "vcenter"},
    "plain": {"align": "left", "valign": "vcenter"},
    "plain_right": {"align": "right", "valign": "vcenter"},
    "header": {"bold": True, "align": "center", "valign": "vcenter", "text_wrap": True, "border": 1, "bg_color": "#F2F2F2"},
    "label": {"bold": True, "align": "center", "valign": "vcenter", "text_wrap": True, "border": 1},
    "text": {"align": "left", "valign": "vcenter", "text_wrap": True, "border": 1},
    "center": {"align": "center", "valign": "vcenter", "text_wrap": True, "border": 1},
    "number": {"align": "right", "valign": "vcenter", "border": 1},
}
DEFAULT_NUMBER_FORMAT = {"number": "#,##0.00"}


class Sheet:
    """One worksheet plus what the manifest needs: every written cell and the named blocks."""

    def __init__(self, book: "Book", name: str, widths: list[float]):
        self.book = book
        self.ws = book.wb.add_worksheet(name)
        self.name = name
        self.widths = widths
        for i, w in enumerate(widths):
            self.ws.set_column(i, i, w)
        # Printed like the paper forms: A4 landscape, all columns on one page width.
        self.ws.set_landscape()
        self.ws.set_paper(9)
        self.ws.fit_to_pages(1, 0)
        self.cells: dict[tuple[int, int], object] = {}
        self.lines: dict[int, float] = {}
        self.vmerges: list[tuple[int, int, float]] = []
        self.fixed_heights: dict[int, float] = {}
        self.blocks: dict[str, dict] = {}

    def put(self, r: int, c: int, value, style: str = "text", span: int = 1, vspan: int = 1) -> None:
        """Write ``value`` at 0-based (r, c), merging ``span`` columns and ``vspan`` rows.

        ``value`` is None, str, int, float, or a dict ``{"v": cached, "fmt": number format,
        "f": formula}``; a formula's ``{field}`` placeholders were resolved by the caller.
        """
        fmt_str = None
        formula = None
        if isinstance(value, dict):
            fmt_str = value.get("fmt")
            formula = value.get("f")
            value = value.get("v")
        if isinstance(value, (int, float)) and not isinstance(value, bool) and fmt_str is None:
            fmt_str = DEFAULT_NUMBER_FORMAT.get(style, "General")
            if style == "number" and isinstance(value, int):
                fmt_str = "General"
        fmt = self.book.fmt(style, fmt_str)
        ws = self.ws
        if span > 1 or vspan > 1:
            ws.merge_range(r, c, r + vspan - 1, c + span - 1, "", fmt)
        if formula:
            ws.write_formula(r, c, formula, fmt, value)
        elif value is None or value == "":
            ws.write_blank(r, c, None, fmt)
        elif isinstance(value, str):
            ws.write_string(r, c, value, fmt)
        else:
            ws.write_number(r, c, value, fmt)
        self.cells[(r, c)] = {"f": formula, "v": value} if formula else value
        if isinstance(value, str) and value and style not in ("title",):
            width = sum(self.widths[c:c + span])
            n = line_count(value, width) * (1.1 if style in ("header", "label") else 1.0)
            if vspan == 1:
                self.lines[r] = max(self.lines.get(r, 1), n)
            else:
                self.vmerges.append((r, vspan, n))

    def height(self, r: int, points: float) -> None:
        self.fixed_heights[r] = points

    def finish(self) -> None:
        """Set row heights: wrapped lines × 15 pt, then stretch rows under tall vertical merges."""
        heights = {r: min(MAX_ROW_PT, max(20.0, LINE_PT * n + 5)) for r, n in self.lines.items()}
        for r, vspan, n in self.vmerges:
            need = min(MAX_ROW_PT * vspan, LINE_PT * n + 5)
            have = sum(heights.get(x, 20.0) for x in range(r, r + vspan))
            if need > have:
                extra = (need - have) / vspan
                for x in range(r, r + vspan):
                    heights[x] = min(MAX_ROW_PT, heights.get(x, 20.0) + extra)
        heights.update(self.fixed_heights)
        for r in sorted(heights):
            self.ws.set_row(r, round(heights[r], 1))

    def block(self, name: str, header_row: int | None, first: int | None, last: int | None,
              columns: dict[str, int], **extra) -> None:
        """Record a block for the manifest (0-based in, 1-based Excel rows and letters out)."""
        self.blocks[name] = {
            "header_row": None if header_row is None else header_row + 1,
            "first_row": None if first is None else first + 1,
            "last_row": None if last is None else last + 1,
            "columns": {k: xl_col_to_name(v) for k, v in columns.items()},
            **extra,
        }


class Book:
    """An xlsxwriter workbook with fixed properties and a format cache."""

    def __init__(self, path: Path | io.BytesIO, title: str, subject: str):
        target = path if isinstance(path, io.BytesIO) else str(path)
        self.wb = xlsxwriter.Workbook(target, {
            "in_memory": True,
            "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False,
            "default_format_properties": {"font_name": FONT, "font_size": 10},
        })
        self.wb.set_properties({
            "title": title, "subject": subject, "author": "xltools samples",
            "company": "xltools", "comments": "Built by scripts/build_samples.py",
            "created": FIXED_TIME,
        })
        self._formats: dict[tuple, object] = {}
        self.sheets: list[Sheet] = []

    def fmt(self, style: str, num_format: str | None = None):
        key = (style, num_format)
        if key not in self._formats:
            props = dict(STYLE_PROPS[style], font_name=FONT)
            props.setdefault("font_size", 10)
            if num_format:
                props["num_format"] = num_format
            self._formats[key] = self.wb.add_format(props)
        return self._formats[key]

    def sheet(self, name: str, widths: list[float]) -> Sheet:
        s = Sheet(self, name, widths)
        self.sheets.append(s)
        return s

    def close(self) -> None:
        for s in self.sheets:
            s.finish()
        self.wb.close()


def resolve(value, columns: dict[str, int], r: int):
    """Fill a formula's ``{field}`` placeholders with this row's cell addresses."""
    if isinstance(value, dict) and "f" in value:
        f = value["f"]
        for field, col in columns.items():
            f = f.replace("{" + field + "}", xl_rowcol_to_cell(r, col))
        return dict(value, f=f)
    return value


def style_for(value, default: str = "center") -> str:
    if isinstance(value, dict):
        return "number" if isinstance(value.get("v"), (int, float)) else default
    if isinstance(value, float):
        return "number"
    return default


# ----------------------------------------------------------------------------- layouts


def build_dg_unit_target(book: Book, d: dict) -> None:
    """Seed 000: title, 部门名称 / 总体绩效目标, the garbled task block, and the 4-column indicator list."""
    s = book.sheet(d["sheet"], [12, 30, 40, 26, 50])
    s.put(0, 0, d["title"], "title", span=5)
    s.height(0, 30)
    s.put(1, 0, d["subtitle"], "subtitle", span=5)
    s.put(2, 0, d["unit_label"], "label", vspan=2)
    s.put(2, 1, d["unit_name"], "center", vspan=2)
    s.put(2, 2, d["overall_label"], "label", span=3)
    s.put(3, 2, d["overall_target"], "text", span=3)
    s.block("header", None, 2, 3, {"unit_name": 1, "overall_target": 2})
    r = 4
    tasks = d["tasks"]
    s.put(r, 0, d["tasks_label"], "label", vspan=1 + len(tasks))
    s.put(r, 1, d["tasks_header"][0], "header")
    s.put(r, 2, d["tasks_header"][1], "header", span=2)
    s.put(r, 4, d["tasks_header"][2], "header")
    for i, (name, content, extra, target) in enumerate(tasks, start=1):
        s.put(r + i, 1, name, "text")
        if extra is not None:
            s.put(r + i, 2, content, "text")
            s.put(r + i, 3, extra, "text")
        else:
            s.put(r + i, 2, content, "text", span=2)
        s.put(r + i, 4, target, "text")
    s.block("tasks", r, r + 1, r + len(tasks), {"name": 1, "content": 2, "content_extra": 3, "target": 4})
    r += len(tasks) + 2  # one blank row, as in the dump
    for c, h in enumerate(d["indicator_header"]):
        s.put(r, c, h, "header")
    rows = d["indicator_rows"]
    for i, row in enumerate(rows, start=1):
        for c, v in enumerate(row):
            s.put(r + i, c, v, "text" if c == 2 else "center")
    s.block("indicators", r, r + 1, r + len(rows), {"level1": 0, "level2": 1, "level3": 2, "target": 3})


def build_gd_unit_target(book: Book, d: dict) -> None:
    """Seed 001 / clean: 部门名称, 预算整体情况, 总体绩效目标, 年度重点工作任务, 一级/二级/三级/实施周期/年度."""
    s = book.sheet(d["sheet"], [12, 22, 30, 36, 30, 16])
    s.put(0, 0, d["title"], "title", span=6)
    s.height(0, 30)
    r = 1
    if d.get("subtitle"):
        s.put(r, 0, d["subtitle"], "subtitle", span=6)
        r += 1
    s.put(r, 0, d["unit_label"], "label")
    s.put(r, 1, d["unit_name"], "text", span=5)
    s.block("header", None, r, r, {"unit_name": 1})
    r += 1
    b = d["budget_rows"]
    s.put(r, 0, d["budget_label"], "label", vspan=len(b))
    for i, row in enumerate(b):
        for c, v in enumerate(row):
            s.put(r + i, 1 + c, v, "number" if isinstance(v, (int, float)) else "center")
        s.put(r + i, 5, None, "center")
    s.block("budget", None, r, r + len(b) - 1, {"label_left": 1, "amount_left": 2, "label_right": 3, "amount_right": 4})
    r += len(b)
    s.put(r, 0, d["overall_label"], "label")
    s.put(r, 1, d["overall_target"], "text", span=5)
    s.block("overall", None, r, r, {"text": 1})
    r += 1
    tasks = d["tasks"]
    s.put(r, 0, d["tasks_label"], "label", vspan=1 + len(tasks))
    for c, h in enumerate(d["tasks_header"]):
        s.put(r, 1 + c, h, "header")
    s.put(r, 5, None, "header")
    for i, row in enumerate(tasks, start=1):
        for c, v in enumerate(row):
            s.put(r + i, 1 + c, v, "number" if isinstance(v, float) else "text")
        s.put(r + i, 5, None, "text")
    s.block("tasks", r, r + 1, r + len(tasks), {"name": 1, "content": 2, "funds": 3, "target": 4})
    r += len(tasks) + 1
    if d.get("other_tasks_label"):
        s.put(r, 0, d["other_tasks_label"], "label")
        s.put(r, 1, None, "text", span=5)
        r += 1
    hdr = r
    s.put(r, 0, d["indicator_label"], "label")
    for c, h in enumerate(d["indicator_header"]):
        s.put(r, 1 + c, h, "header")
    r += 1
    first = r
    n_body = sum(len(g2["rows"]) for g1 in d["indicators"] for g2 in g1["groups"])
    s.put(r, 0, d["indicator_label"], "label", vspan=n_body)
    for g1 in d["indicators"]:
        n1 = sum(len(g2["rows"]) for g2 in g1["groups"])
        s.put(r, 1, g1["level1"], "center", vspan=n1)
        for g2 in g1["groups"]:
            s.put(r, 2, g2["level2"], "center", vspan=len(g2["rows"]))
            for row in g2["rows"]:
                s.put(r, 3, row[0], "text")
                s.put(r, 4, row[1], "center")
                s.put(r, 5, row[2], "center")
                r += 1
    for row in d.get("tail_rows", []):
        for c, v in enumerate(row):
            s.put(r, c, v, "center")
        r += 1
    s.block("indicators", hdr, first, r - 1,
            {"level1": 1, "level2": 2, "level3": 3, "period_target": 4, "target": 5})


def build_hebei_form(s: Sheet, r: int, f: dict, key: str) -> int:
    """One Hebei 项目绩效目标表 starting at row ``r``; returns the row after it."""
    s.put(r, 0, f["title"], "title", span=7)
    s.height(r, 28)
    title_row = r
    r += 1
    s.put(r, 0, f["org"], "plain", span=5)
    s.put(r, 5, f["money_unit"], "plain_right", span=2)
    r += 1
    s.put(r, 0, "项目编码", "label")
    s.put(r, 1, f["code"], "center", span=2)
    s.put(r, 3, "项目名称", "label")
    s.put(r, 4, f["name"], "center", span=3)
    ident = r
    r += 1
    lab = f["budget_labels"]
    bud = f["budget"]
    s.put(r, 0, lab[0], "label", vspan=2)
    s.put(r, 1, lab[1], "label")
    s.put(r, 2, {"v": bud["total"], "fmt": "0.00"} if bud["total"] is not None else None, "number")
    s.put(r, 3, lab[2], "label")
    s.put(r, 4, {"v": bud["fiscal"], "fmt": "0.00"} if bud["fiscal"] is not None else None, "number")
    s.put(r, 5, lab[3], "label")
    s.put(r, 6, {"v": bud["other"], "fmt": "0.00"} if bud["other"] is not None else None, "number")
    s.put(r + 1, 1, f["purpose"], "text", span=6)
    budget_row = r
    r += 2
    s.put(r, 0, f["plan_label"], "label", vspan=2)
    plan_cols = [(1, 1), (2, 1), (3, 2), (5, 2)]
    for (c, span), h in zip(plan_cols, f["plan_header"], strict=True):
        s.put(r, c, h, "header", span=span)
    for (c, span), v in zip(plan_cols, f["plan"], strict=True):
        s.put(r + 1, c, None if v is None else {"v": v, "fmt": "0%"}, "center", span=span)
    plan_row = r
    r += 2
    s.put(r, 0, f["goal_label"], "label")
    s.put(r, 1, f["goal"], "text", span=6)
    goal_row = r
    r += 1
    hdr = r
    for (c, span), h in zip([(0, 1), (1, 1), (2, 1), (3, 2), (5, 1), (6, 1)], f["indicator_header"], strict=True):
        s.put(r, c, h, "header", span=span)
    r += 1
    first = r
    for g in f["indicators"]:
        s.put(r, 0, g["level1"], "center", vspan=len(g["rows"]))
        for l2, l3, desc, value, basis in g["rows"]:
            s.put(r, 1, l2, "center")
            s.put(r, 2, l3, "text")
            s.put(r, 3, desc, "text", span=2)
            s.put(r, 5, value, "center")
            s.put(r, 6, basis, "text")
            r += 1
    s.block(key, None, title_row, r - 1, {}, title=xl_rowcol_to_cell(title_row, 0),
            code_cell=xl_rowcol_to_cell(ident, 1), name_cell=xl_rowcol_to_cell(ident, 4),
            goal_cell=xl_rowcol_to_cell(goal_row, 1))
    s.block(key + ".budget", None, budget_row, budget_row, {"total": 2, "fiscal": 4, "other": 6},
            purpose_cell=xl_rowcol_to_cell(budget_row + 1, 1))
    s.block(key + ".plan", plan_row, plan_row + 1, plan_row + 1, {"q1": 1, "q2": 2, "q3": 3, "q4": 5})
    s.block(key + ".indicators", hdr, first, r - 1,
            {"level1": 0, "level2": 1, "level3": 2, "description": 3, "target": 5, "basis": 6})
    return r


def build_hebei_project_target(book: Book, d: dict) -> None:
    """Seed 002 / clean: one or more Hebei 项目绩效目标表 stacked on one sheet (two blank rows apart)."""
    s = book.sheet(d["sheet"], [12, 16, 26, 12, 16, 16, 24])
    r = 0
    for i, f in enumerate(d["forms"], start=1):
        r = build_hebei_form(s, r, f, f"form{i}") + 2
    u = d.get("unit_sheet")
    if u:
        t = book.sheet(u["sheet"], [8, 26, 50, 34])
        t.put(0, 0, u["title"], "title", span=4)
        t.height(0, 30)
        t.put(1, 0, u["overall_label"], "label")
        t.put(1, 1, u["overall_target"], "text", span=3)
        for c, h in enumerate(u["header"]):
            t.put(2, c, h, "header")
        for i, row in enumerate(u["rows"], start=3):
            for c, v in enumerate(row):
                t.put(i, c, v, "center" if c == 0 else "text")
        t.block("items", 2, 3, 2 + len(u["rows"]), {"no": 0, "name": 1, "goal": 2, "indicator": 3})


def build_gd_unit_selfeval(book: Book, d: dict) -> None:
    """Seed 003 / clean: Guangdong 部门整体支出绩效自评表 (tasks, 项目资金 block, 10-column indicator table)."""
    s = book.sheet(d["sheet"], [10, 12, 14, 34, 10, 12, 16, 10, 7, 7, 18])
    s.put(0, 0, d["title"], "title", span=11)
    s.height(0, 30)
    s.put(1, 0, d["unit_label"], "label")
    s.put(1, 1, d["unit_name"], "center", span=6)
    s.put(1, 7, d["unit_code"], "center", span=4)
    s.put(2, 0, d["office_label"], "label")
    s.put(2, 1, d["office"], "text", span=10)
    s.block("header", None, 1, 2, {"unit_name": 1, "unit_code": 7, "office": 1})
    r = 3
    h = d["tasks_header"]
    s.put(r, 0, h[0], "header", span=2)
    s.put(r, 2, h[1], "header")
    s.put(r, 3, h[2], "header")
    s.put(r, 4, h[3], "header", span=7)
    for i, (goal, name, content, done) in enumerate(d["tasks"], start=1):
        s.put(r + i, 0, goal, "text", span=2)
        s.put(r + i, 2, name, "center")
        s.put(r + i, 3, content, "text")
        s.put(r + i, 4, done, "text", span=7)
    s.block("tasks", r, r + 1, r + len(d["tasks"]), {"goal": 0, "name": 2, "content": 3, "done": 4})
    r += len(d["tasks"]) + 1
    s.put(r, 0, d["expected_label"], "label")
    s.put(r, 1, d["expected"], "text", span=10)
    s.put(r + 1, 0, d["achieved_label"], "label")
    s.put(r + 1, 1, d["achieved"], "text", span=10)
    s.block("goals", None, r, r + 1, {"expected": 1, "achieved": 1})
    r += 2
    rows = d["fund_rows"]
    s.put(r, 0, d["fund_label"], "label", vspan=1 + len(rows))
    s.put(r, 1, None, "header", span=3)
    cols = {"label": 1, "initial_budget": 4, "annual_budget": 5, "execution": 6, "rate": 7, "weight": 8, "score": 9}
    for c, text in zip((4, 5, 6, 7, 8, 9), d["fund_header"], strict=True):
        s.put(r, c, text, "header", span=2 if c == 9 else 1)
    for i, row in enumerate(rows, start=1):
        label, init, annual, execution, rate, weight, score = row
        s.put(r + i, 1, label, "center", span=3)
        for c, v in ((4, init), (5, annual), (6, execution)):
            s.put(r + i, c, v, "number")
        s.put(r + i, 7, rate if isinstance(rate, dict) else {"v": rate, "fmt": "0.00%"}, "number")
        s.put(r + i, 8, weight, "center")
        s.put(r + i, 9, score, "center", span=2)
    s.block("fund", r, r + 1, r + len(rows), cols, rows={row[0]: r + i for i, row in enumerate(rows, start=2)})
    r += len(rows) + 1
    hdr = r
    n_body = sum(len(g["rows"]) for g in d["indicators"])
    s.put(r, 0, d["indicator_label"], "label", vspan=1 + n_body)
    for c, text in enumerate(d["indicator_header"], start=1):
        s.put(r, c, text, "header")
    r += 1
    first = r
    for g in d["indicators"]:
        s.put(r, 1, g["level1"], "center", vspan=len(g["rows"]))
        for row in g["rows"]:
            for c, v in enumerate(row, start=2):
                s.put(r, c, v, "text" if c in (3, 10) else "center")
            r += 1
    s.block("indicators", hdr, first, r - 1,
            {"level1": 1, "level2": 2, "level3": 3, "nature": 4, "direction": 5, "target": 6, "unit": 7,
             "weight": 8, "score": 9, "reason": 10})


def build_project_selfeval_10(book: Book, d: dict) -> None:
    """Clean 10号 项目支出绩效自评表, with the extras the 'loses nothing' tests need."""
    s = book.sheet(d["sheet"], [10, 12, 14, 30, 14, 14, 8, 10, 32])
    ws = s.ws
    s.put(0, 0, d["title"], "title", span=9)
    s.height(0, 36)
    s.put(1, 0, d["subtitle"], "subtitle", span=9)
    s.put(2, 0, d["project_label"], "label")
    s.put(2, 1, d["project_name"], "text", span=8)
    s.put(3, 0, d["dept_label"], "label")
    s.put(3, 1, d["dept"], "text", span=3)
    s.put(3, 4, d["impl_label"], "label")
    s.put(3, 5, d["impl_unit"], "text", span=4)
    s.block("header", None, 2, 3, {"project_name": 1, "dept": 1, "impl_unit": 5})
    r = 4
    rows = d["fund_rows"]
    cols = {"label": 1, "initial_budget": 3, "annual_budget": 4, "execution": 5, "weight": 6, "rate": 7, "score": 8}
    s.put(r, 0, d["fund_label"], "label", vspan=1 + len(rows))
    s.put(r, 1, None, "header", span=2)
    for c, text in zip((3, 4, 5, 6, 7, 8), d["fund_header"], strict=True):
        s.put(r, c, text, "header")
    for i, row in enumerate(rows, start=1):
        rr = r + i
        label, init, annual, execution, weight, rate, score = (resolve(v, cols, rr) for v in row)
        s.put(rr, 1, label, "center", span=2)
        for c, v in ((3, init), (4, annual), (5, execution)):
            s.put(rr, c, v, "number")
        s.put(rr, 6, weight, "center")
        s.put(rr, 7, dict(rate, fmt="0.00%") if isinstance(rate, dict) else {"v": rate, "fmt": "0.00%"}, "number")
        s.put(rr, 8, score, style_for(score))
    fund_total_row = r + 1
    s.block("fund", r, r + 1, r + len(rows), cols, rows={row[0]: r + i for i, row in enumerate(rows, start=2)})
    r += len(rows) + 1
    s.put(r, 0, d["goal_label"], "label", vspan=2)
    s.put(r, 1, d["goal_header"][0], "header", span=4)
    s.put(r, 5, d["goal_header"][1], "header", span=4)
    s.put(r + 1, 1, d["goals"][0], "text", span=4)
    s.put(r + 1, 5, d["goals"][1], "text", span=4)
    s.block("goals", r, r + 1, r + 1, {"expected": 1, "actual": 5})
    r += 2
    hdr = r
    n_body = sum(len(g["rows"]) for g in d["indicators"])
    s.put(r, 0, d["indicator_label"], "label", vspan=1 + n_body)
    for c, text in enumerate(d["indicator_header"], start=1):
        s.put(r, c, text, "header")
    r += 1
    first = r
    for g in d["indicators"]:
        s.put(r, 1, g["level1"], "center", vspan=len(g["rows"]))
        for row in g["rows"]:
            for c, v in enumerate(row, start=2):
                s.put(r, c, v, "text" if c in (3, 8) else "center")
            r += 1
    last = r - 1
    icols = {"level1": 1, "level2": 2, "level3": 3, "target": 4, "actual": 5, "weight": 6, "score": 7, "reason": 8}
    s.block("indicators", hdr, first, last, icols)
    # 总分 and 评价等级: formulas whose cached values are the printed totals.
    g_tot, h_tot = xl_rowcol_to_cell(fund_total_row, 6), xl_rowcol_to_cell(fund_total_row, 8)
    g_rng = f"{xl_rowcol_to_cell(first, 6)}:{xl_rowcol_to_cell(last, 6)}"
    h_rng = f"{xl_rowcol_to_cell(first, 7)}:{xl_rowcol_to_cell(last, 7)}"
    s.put(r, 0, d["total_label"], "label", span=6)
    s.put(r, 6, {"f": f"={g_tot}+SUM({g_rng})", "v": d["total_weight"]}, "center")
    s.put(r, 7, {"f": f"={h_tot}+SUM({h_rng})", "v": d["total_score"], "fmt": "0.00"}, "center")
    s.put(r, 8, None, "center")
    s.put(r + 1, 0, d["grade_label"], "label", span=6)
    s.put(r + 1, 6, d["grade"], "center", span=3)
    s.block("total", None, r, r + 1, {"weight": 6, "score": 7, "grade": 6})
    total_row = r
    # Extras: validations, conditional format, comment, names, chart, logo, print setup.
    ws.data_validation(first, 1, last, 1, {"validate": "list", "source": ["产出指标", "效益指标", "满意度指标"]})
    ws.data_validation(first, 2, last, 2, {"validate": "list", "source": [
        "数量指标", "质量指标", "时效指标", "成本指标", "经济效益指标", "社会效益指标",
        "生态效益指标", "可持续影响指标", "服务对象满意度指标"]})
    ws.data_validation(first, 6, last, 7, {"validate": "decimal", "criteria": ">=", "value": 0,
                                           "error_message": "分值、得分须为非负数"})
    ws.conditional_format(first, 7, last, 7, {
        "type": "formula", "criteria": f"=${xl_col_to_name(7)}{first + 1}<${xl_col_to_name(6)}{first + 1}",
        "format": book.wb.add_format({"bg_color": "#FCE4D6", "font_color": "#9C0006"})})
    cm = d["comment"]
    crow = next(rr for (rr, cc), v in s.cells.items() if v == cm["row_match"] and first <= rr <= last)
    ws.write_comment(crow, icols[cm["field"]], cm["text"], {"author": "xltools"})
    book.wb.define_name("总分", f"='{d['sheet']}'!${xl_col_to_name(7)}${total_row + 1}")
    book.wb.define_name("IndicatorTable", f"='{d['sheet']}'!$A${hdr + 1}:$I${last + 1}")
    chart = book.wb.add_chart({"type": "bar"})
    for col, name in ((6, "分值"), (7, "得分")):
        chart.add_series({"name": name, "categories": [d["sheet"], first, 3, last, 3],
                          "values": [d["sheet"], first, col, last, col]})
    chart.set_title({"name": "各三级指标分值与得分", "name_font": {"name": FONT, "size": 11}})
    chart.set_x_axis({"num_font": {"name": FONT}})
    chart.set_y_axis({"num_font": {"name": FONT}, "reverse": True})
    chart.set_legend({"position": "bottom", "font": {"name": FONT}})
    chart.set_size({"width": 620, "height": 420})
    ws.insert_chart(2, 10, chart)
    ws.insert_image(0, 0, "logo.png", {"image_data": io.BytesIO(make_png()), "x_offset": 6, "y_offset": 6,
                                       "object_position": 3})
    ws.print_area(0, 0, total_row + 1, 8)
    ws.repeat_rows(hdr)
    ws.freeze_panes(hdr + 1, 0)
    s.block("extras", None, None, None, {}, logo="A1", chart=xl_rowcol_to_cell(2, 10),
            validations=[f"B{first + 1}:B{last + 1}", f"C{first + 1}:C{last + 1}", f"G{first + 1}:H{last + 1}"],
            conditional_format=f"H{first + 1}:H{last + 1}", comment=xl_rowcol_to_cell(crow, icols[cm["field"]]),
            defined_names=["总分", "IndicatorTable"], print_area=f"A1:I{total_row + 2}", freeze=f"A{hdr + 2}")


def build_gz_report_tables(book: Book, d: dict) -> None:
    """Seed 004: the report's 附表 key indicators, the task → indicator table and the score table."""
    k = d["key_sheet"]
    s = book.sheet(k["sheet"], [6, 30, 70])
    s.put(0, 0, k["title"], "title", span=3)
    s.height(0, 30)
    for c, h in enumerate(k["header"]):
        s.put(1, c, h, "header")
    for i, row in enumerate(k["rows"], start=2):
        for c, v in enumerate(row):
            s.put(i, c, v, "center" if c == 0 else "text")
    s.block("key_indicators", 1, 2, 1 + len(k["rows"]), {"no": 0, "name": 1, "target": 2})

    t = d["task_sheet"]
    s = book.sheet(t["sheet"], [40, 50, 34, 26])
    s.put(0, 0, t["title"], "title", span=4)
    s.height(0, 30)
    for c, h in enumerate(t["header"]):
        s.put(1, c, h, "header")
    r = 2
    for g in t["groups"]:
        n = len(g["rows"])
        s.put(r, 0, g["plan"], "text", vspan=n)
        s.put(r, 1, g["goal"], "text", vspan=n)
        for name, value in g["rows"]:
            s.put(r, 2, name, "text")
            s.put(r, 3, value, "center")
            r += 1
    s.block("task_indicators", 1, 2, r - 1, {"plan": 0, "goal": 1, "level3": 2, "target": 3})

    sc = d["score_sheet"]
    s = book.sheet(sc["sheet"], [6, 50, 12, 8, 10, 10])
    s.put(0, 0, sc["title"], "title", span=6)
    s.height(0, 30)
    for c, h in enumerate(sc["header"]):
        s.put(1, c, h, "header")
    for i, row in enumerate(sc["rows"], start=2):
        for c, v in enumerate(row):
            s.put(i, c, v, "text" if c == 1 else "center")
    r = 2 + len(sc["rows"])
    label, n3, weight, score, rate = sc["total_row"]
    s.put(r, 0, label, "label", span=2)
    s.put(r, 2, n3, "center")
    s.put(r, 3, weight, "center")
    s.put(r, 4, score, "center")
    s.put(r, 5, rate, "center")
    s.block("scores", 1, 2, r, {"no": 0, "name": 1, "count": 2, "weight": 3, "score": 4, "rate": 5}, total_row=r + 1)
    r += 2
    bl, (b_label, budget, execution, rate) = sc["budget_header"], sc["budget_row"]
    s.put(r, 0, sc["budget_label"], "label", span=2, vspan=2)
    s.put(r, 2, bl[0], "header")
    s.put(r, 3, bl[1], "header", span=2)
    s.put(r, 5, bl[2], "header")
    s.put(r + 1, 2, budget, "number")
    s.put(r + 1, 3, execution, "number", span=2)
    s.put(r + 1, 5, rate, "number")
    s.block("budget", r, r + 1, r + 1, {"annual_budget": 2, "execution": 3, "rate": 5}, label=b_label)
    r += 3
    s.put(r, 0, sc["overall_label"], "label", span=4)
    s.put(r, 4, {"v": sc["overall_score"], "fmt": "0.00"}, "center", span=2)
    s.put(r + 1, 0, sc["grade_label"], "label", span=4)
    s.put(r + 1, 4, sc["grade"], "center", span=2)
    s.block("overall", None, r, r + 1, {"score": 4, "grade": 4})


LAYOUTS = {
    "dg-unit-target": build_dg_unit_target,
    "gd-unit-target": build_gd_unit_target,
    "hebei-project-target": build_hebei_project_target,
    "gd-unit-selfeval": build_gd_unit_selfeval,
    "project-selfeval-10": build_project_selfeval_10,
    "gz-report-tables": build_gz_report_tables,
}

# ----------------------------------------------------------------------------- defects → addresses


def _text(v) -> str:
    if isinstance(v, dict):
        v = v.get("v")
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def resolve_defect(book: Book, spec: dict) -> dict:
    """Turn a defect spec from the data file into sheet + cell addresses (raises if nothing matches).

    Specs: ``match`` (cells whose text equals it), ``contains`` (text contains it), either one
    optionally ``within`` {"blocks": name suffix, "field": f} (that column of those blocks), ``block`` +
    ``field`` (+ ``row_match``: only rows holding that exact text), ``block`` alone (its rows).
    ``count`` asserts how many cells matched.
    """
    hits: list[tuple[Sheet, int, int]] = []
    sheets = [s for s in book.sheets if spec.get("sheet") in (None, s.name)]
    for s in sheets:
        if "match" in spec or "contains" in spec:
            where = None
            if "within" in spec:  # only the `field` column of blocks whose name ends with `blocks`
                w = spec["within"]
                where = {(r, xlsx_col(b["columns"][w["field"]])) for name, b in s.blocks.items()
                         if name.endswith(w["blocks"]) for r in range(b["first_row"] - 1, b["last_row"])}
            for (r, c), v in sorted(s.cells.items()):
                t = _text(v)
                if where is not None and (r, c) not in where:
                    continue
                if ("match" in spec and t == spec["match"]) or ("contains" in spec and t and spec["contains"] in t):
                    hits.append((s, r, c))
        elif "block" in spec and spec["block"] in s.blocks:
            b = s.blocks[spec["block"]]
            rows = range(b["first_row"] - 1, b["last_row"])
            if "row_match" in spec:
                wanted = spec["row_match"] if isinstance(spec["row_match"], list) else [spec["row_match"]]
                rows = [r for r in rows if any(_text(s.cells.get((r, c))) in wanted for c in range(len(s.widths)))]
            fields = spec.get("field")
            fields = fields if isinstance(fields, list) else [fields]
            for r in rows:
                for f in fields:
                    hits.append((s, r, xlsx_col(b["columns"][f])))
    if not hits:
        raise SystemExit(f"defect spec matched nothing: {spec}")
    if "count" in spec and len(hits) != spec["count"]:
        raise SystemExit(f"defect spec matched {len(hits)} cells, expected {spec['count']}: {spec}")
    sheet_names = sorted({s.name for s, _, _ in hits})
    return {
        "code": spec["code"],
        "sheet": sheet_names[0] if len(sheet_names) == 1 else sheet_names,
        "cells": [xl_rowcol_to_cell(r, c) for _, r, c in hits],
        "values": sorted({_text(s.cells.get((r, c))) for s, r, c in hits})[:6],
        "note": spec["note"],
    }


def xlsx_col(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


# ----------------------------------------------------------------------------- README

README_HEAD = """# Sample workbooks

Built by `python scripts/build_samples.py` from the data in `samples/data/*.json` (one file per
workbook). The build is byte-identical on every run (fixed document properties, fixed zip times);
`tests/test_samples_build.py` rebuilds into a temporary folder and compares bytes. Do not edit the
.xlsx files or this README by hand: change the data (or the layout code) and rebuild.

Conventions used below:

* Rows are the 1-based Excel row numbers a user sees; columns are letters.
* A *block* is one table of a form: `header_row` is its column-header row (if it has one),
  `first_row`–`last_row` its body, and `columns` maps a field name (the names of
  `xltools.core.form.INDICATOR_FIELDS` / `FUND_FIELDS` where one fits) to its column.
  Merged cells are written once, in their top-left cell.
* `layout.json` beside this file holds the same blocks and defects in machine-readable form.
* D-codes are the defect IDs of domain.md §5. `syn` marks a synonym the reader must normalise
  (§1.3), not a defect; `src` marks text damaged in the source dump (kept as it is).
* Seed workbooks keep every defect of the seed dump, unfixed. The `clean-*` workbooks are
  defect-free: a validator must report no error finding on them.
"""


def _cells(cells: list[str]) -> str:
    if len(cells) <= 30:
        return ", ".join(cells)
    return ", ".join(cells[:6]) + f", … ({len(cells)} cells: {cells[0]}…{cells[-1]})"


def render(manifest: list[dict], xlsxwriter_version: str) -> str:
    """The samples README, rendered from the manifest so that every address is the built one."""
    out = [README_HEAD + f"\nBuilt with XlsxWriter {xlsxwriter_version}.\n", "| file | kind | what it is |", "|---|---|---|"]
    for m in manifest:
        out.append(f"| `{m['file']}` | {m['kind']} | {m['summary']} |")
    for m in manifest:
        out += ["", f"## {m['file']}", "", m["summary"], "", f"Source: {m['source']}. Layout family: `{m['layout']}`.", ""]
        for note in m["notes"]:
            out.append(f"* {note}")
        out += ["", "### Layout", ""]
        for sheet, blocks in m["sheets"].items():
            out.append(f"Sheet `{sheet}`:")
            out.append("")
            for name, b in blocks.items():
                parts = []
                if b["header_row"]:
                    parts.append(f"header row {b['header_row']}")
                if b["first_row"]:
                    parts.append(f"rows {b['first_row']}–{b['last_row']}")
                if b["columns"]:
                    parts.append("columns " + ", ".join(f"{k}={v}" for k, v in b["columns"].items()))
                extra = {k: v for k, v in b.items() if k not in ("header_row", "first_row", "last_row", "columns")}
                parts += [f"{k}={v}" for k, v in extra.items()]
                out.append(f"* `{name}`: " + "; ".join(parts))
            out.append("")
        out += ["### Defects kept", ""]
        if not m["defects"]:
            out.append("None: a defect-free form.")
            continue
        out += ["| code | sheet | cells | value(s) | what is wrong |", "|---|---|---|---|---|"]
        for dft in m["defects"]:
            vals = "; ".join("(empty)" if not v else v if len(v) <= 40 else v[:38] + "…" for v in dft["values"])
            vals = vals.replace("|", "\\|")
            vals = vals.replace("\n", " ")
            sheet = dft["sheet"] if isinstance(dft["sheet"], str) else ", ".join(dft["sheet"])
            out.append(f"| {dft['code']} | {sheet} | {_cells(dft['cells'])} | {vals} | {dft['note']} |")
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------- driver


def build_one(data: dict, out: Path) -> dict:
    """Build one workbook from its data; return its manifest entry."""
    book = Book(out / data["file"], title=data["summary"][:60], subject=data["kind"])
    LAYOUTS[data["layout"]](book, data)
    defects = [resolve_defect(book, spec) for spec in data.get("defects", [])]
    book.close()
    return {
        "file": data["file"], "kind": data["kind"], "layout": data["layout"], "source": data["source"],
        "summary": data["summary"], "notes": data.get("notes", []),
        "sheets": {s.name: s.blocks for s in book.sheets},
        "defects": defects,
    }


def load_all() -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(DATA.glob("*.json"))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "samples", help="output folder (default: samples/)")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    manifest = [build_one(d, args.out) for d in load_all()]
    # Byte-identity holds for one XlsxWriter version; record it so the rebuild test can tell.
    layout = {"generator": {"xlsxwriter": xlsxwriter.__version__}, "samples": manifest}
    (args.out / "layout.json").write_text(json.dumps(layout, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (args.out / "README.md").write_text(render(manifest, xlsxwriter.__version__), encoding="utf-8")
    for m in manifest:
        size = (args.out / m["file"]).stat().st_size
        print(f"{m['file']}: {size} bytes, {len(m['defects'])} defect entries")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
