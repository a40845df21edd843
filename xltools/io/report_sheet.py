"""The 校验结果 sheet: one row per finding with a link to its cell, plus the hidden marks record.

The record (column J, hidden) lists every cell xltools highlighted with the style it had
before, so that clearing restores it exactly; it is ordinary cell text, so it survives
Excel and LibreOffice re-saving the workbook.
"""
from __future__ import annotations

import json
import math
import unicodedata
from dataclasses import dataclass, fields

from lxml import etree

from ..core.findings import Finding, Severity
from ..core.form import address, col_letter
from .package import NS_MAIN, NS_R
from .sheet_patch import parse_ref
from .styles_patch import Styles
from .xmltext import esc, ooxml_text

_M = f"{{{NS_MAIN}}}"
REPORT_SHEET = "校验结果"
HEADERS = ("序号", "工作表", "单元格", "行", "级别", "代码", "说明", "期望值")
RECORD_COL = 10  # J, hidden; column I stays empty so sorting A:H never reaches it
RECORD_HEADER = "xltools-marks-v1"
# The Excel add-in (xltools.excel.xlwings_book) writes its own record: {"sheet","cell","color"}.
LIVE_RECORD_HEADER = "xltools-live-marks-v1"
SEVERITY_RGB = {Severity.ERROR: "FFC7CE", Severity.WARNING: "FFEB9C", Severity.INFO: "DDEBF7"}
MARK_RGB = set(SEVERITY_RGB.values())  # compared on RRGGBB: writers differ in the alpha byte
_MAX_WIDTH = {1: 8, 2: 28, 3: 12, 4: 8, 5: 8, 6: 30, 7: 70, 8: 30}
_WRAPPED = (7, 8)


@dataclass(frozen=True)
class MarkRecord:
    """What clearing needs for one highlighted cell.

    Attributes:
        sheet: the sheet's name; cell: A1 address.
        orig: the cell's ``s`` before marking (None when it had none).
        mark: the xf index xltools gave it.
        fill: the original fill as XML text, to rebuild the style after a re-save renumbered xfs.
        created: "" (the cell existed), "cell" or "row" (xltools created it to colour it).
        dim, spans: the sheet's <dimension ref> and the row's spans before a cell was created.
    """

    sheet: str
    cell: str
    orig: int | None
    mark: int
    fill: str
    created: str = ""
    dim: str | None = None
    spans: str | None = None

    def to_text(self) -> str:
        """The record as one line of JSON (a cell value)."""
        # Not dataclasses.asdict, which deep-copies: a tenth of the time of a large report.
        return json.dumps({name: getattr(self, name) for name in _RECORD_FIELDS}, ensure_ascii=False,
                          separators=(",", ":"))

    @classmethod
    def from_text(cls, text: str) -> "MarkRecord | None":
        """Parse :meth:`to_text` output; None when the text is not a record."""
        try:
            d = json.loads(text)
            orig = d.get("orig")
            return cls(str(d["sheet"]), str(d["cell"]), None if orig is None else int(orig), int(d["mark"]),
                       str(d["fill"]), str(d.get("created", "")), d.get("dim"), d.get("spans"))
        except (ValueError, KeyError, TypeError):
            return None


_RECORD_FIELDS = tuple(f.name for f in fields(MarkRecord))


@dataclass(frozen=True)
class ReportLine:
    """A finding as listed: ``location`` is "'Sheet'!E12" when the cell exists, else None."""

    finding: Finding
    location: str | None
    cell_text: str


@dataclass(frozen=True)
class ReportStyles:
    header: int
    body: int
    wrap: int
    link: int
    severity: dict

    @classmethod
    def build(cls, styles: Styles) -> "ReportStyles":
        """Add (or reuse) the header, body, link and severity formats in ``styles``."""
        border = styles.thin_border()
        header = styles.new_xf(font=styles.font_like_default(bold=True), fill=styles.fill_id("D9E1F2"),
                               border=border, horizontal="center", vertical="center", wrap=True)
        body = styles.new_xf(border=border, vertical="top")
        wrap = styles.new_xf(border=border, vertical="top", wrap=True)
        link = styles.new_xf(font=styles.font_like_default(underline=True, rgb="0563C1"), border=border,
                             vertical="top")
        sev = {s: styles.new_xf(fill=styles.fill_id(rgb), border=border, horizontal="center", vertical="top")
               for s, rgb in SEVERITY_RGB.items()}
        return cls(header, body, wrap, link, sev)


class _CharWidths(dict):
    """East Asian width class of each character met so far: "W"/"F" (wide) or not."""

    def __missing__(self, ch: str) -> bool:
        wide = self[ch] = unicodedata.east_asian_width(ch) in ("W", "F")
        return wide


_WIDE = _CharWidths()


def text_width(text: str, font_size: float = 11.0) -> float:
    """Display width in Excel column units: about 2 units per CJK character at 10 pt, 2.25 at 11 pt."""
    wide = 0.25 * font_size - 0.5
    narrow = wide / 2 + 0.1
    longest = 0.0
    for line in str(text).split("\n"):
        n_wide = sum(map(_WIDE.__getitem__, line))  # True counts 1; the loop runs in C
        longest = max(longest, n_wide * wide + (len(line) - n_wide) * narrow)
    return longest


def _attr(text: str) -> str:
    """An attribute value, quoted and escaped as lxml writes it (control characters as _xHHHH_)."""
    return '"' + (esc(text).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")) + '"'


def _cell(r: int, c: int, value: object, style: int) -> str:
    """One <c> element as text: a number, inline text (control characters as _xHHHH_), or empty."""
    head = f'<c r="{address(r, c)}" s="{style}"'
    if value is None or value == "":
        return head + "/>"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{head}><v>{value}</v></c>"
    text = str(value)
    shown = ooxml_text(text)  # what the <t> holds once read: spaces at its ends need xml:space
    space = ' xml:space="preserve"' if shown != shown.strip() or "\n" in shown else ""
    return f'{head} t="inlineStr"><is><t{space}>{esc(text)}</t></is></c>'


def _fit(texts, cap: float, font_size: float) -> float:
    """The widest of ``texts`` plus padding, or ``cap`` as soon as one reaches it."""
    widest = 0.0
    for text in texts:
        widest = max(widest, text_width(text if text is not None else "", font_size) + 2)
        if widest >= cap:
            return cap
    return widest


def build_report(lines: list[ReportLine], records: list[MarkRecord], st: ReportStyles,
                 font_size: float = 11.0, snapshot: dict | None = None) -> bytes:
    """The worksheet XML of 校验结果: header, one row per finding, hidden record column J.

    Column J holds RECORD_HEADER followed by ``snapshot`` (JSON: what the package looked like
    before marking, e.g. styles counts) in J1, then one MarkRecord per row; there are never
    more records than findings, so J stays within the table.

    Written as text, not as an element tree: a sheet of tens of thousands of findings is built
    in a fraction of the time, and nothing here needs a tree.
    """
    hidden = [RECORD_HEADER + " " + json.dumps(snapshot or {}, ensure_ascii=False, separators=(",", ":"))]
    hidden += [rec.to_text() for rec in records]
    rows: list[list[object]] = [list(HEADERS)]
    for i, line in enumerate(lines, 1):
        f = line.finding
        sev = Severity(f.severity)
        rows.append([i, f.sheet, line.cell_text, f.row if f.row else None, sev.label_zh, f.code,
                     f.message, f.expected or ""])
    n = len(rows)
    widths = {}
    for c in range(1, len(HEADERS) + 1):
        fit = _fit((r[c - 1] for r in rows), _MAX_WIDTH[c], font_size)
        widths[c] = round(min(max(fit, 6.0), _MAX_WIDTH[c]), 2)
    line_height = round(font_size * 1.5, 2)
    total = max(n, len(hidden))

    out = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n',
           f'<worksheet xmlns="{NS_MAIN}" xmlns:r="{NS_R}">',
           '<sheetPr><tabColor rgb="FFC00000"/><pageSetUpPr fitToPage="1"/></sheetPr>',  # print one page wide
           f'<dimension ref="A1:{col_letter(RECORD_COL)}{total}"/>',
           '<sheetViews><sheetView workbookViewId="0">'
           '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
           '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>',
           f'<sheetFormatPr defaultRowHeight="{line_height}"/>', "<cols>"]
    out += [f'<col min="{c}" max="{c}" width="{w}" customWidth="1"/>' for c, w in widths.items()]
    out.append(f'<col min="{RECORD_COL}" max="{RECORD_COL}" width="40" hidden="1" customWidth="1"/></cols>')
    out.append("<sheetData>")
    for r in range(1, total + 1):
        cells = []
        height = 1
        if r <= n:
            values = rows[r - 1]
            if r > 1:
                for c in _WRAPPED:
                    text = str(values[c - 1] or "")
                    per_line = max(widths[c] - 1, 1)
                    height = max(height, sum(max(1, math.ceil(text_width(part, font_size) / per_line))
                                             for part in text.split("\n")))
            for c, value in enumerate(values, 1):
                if r == 1:
                    style = st.header
                elif c == 5:
                    style = st.severity[Severity(lines[r - 2].finding.severity)]
                elif c == 3 and lines[r - 2].location:
                    style = st.link
                elif c in _WRAPPED:
                    style = st.wrap
                else:
                    style = st.body
                cells.append(_cell(r, c, value, style))
        if r <= len(hidden):
            cells.append(_cell(r, RECORD_COL, hidden[r - 1], 0))
        tall = f' ht="{round(height * line_height, 2)}" customHeight="1"' if height > 1 else ""
        out.append(f'<row r="{r}"{tall}>' + "".join(cells) + "</row>" if cells else f'<row r="{r}"{tall}/>')
    out.append("</sheetData>")
    out.append(f'<autoFilter ref="A1:{col_letter(len(HEADERS))}{n}"/>')
    links = [(i + 2, line) for i, line in enumerate(lines) if line.location]
    if links:
        out.append("<hyperlinks>")
        out += [f'<hyperlink ref="C{r}" location={_attr(line.location)} display={_attr(line.cell_text)}/>'
                for r, line in links]
        out.append("</hyperlinks>")
    out.append('<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
               '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/></worksheet>')
    return "".join(out).encode("utf-8")


def read_records(root: etree._Element, shared: list[str]) -> tuple[list[MarkRecord], dict | None] | None:
    """The marks record and package snapshot of a 校验结果 sheet (inline or shared strings alike).

    Reads this module's record and the Excel add-in's live record (whose entries carry the
    original fill colour instead of xf indexes; they come back with ``mark`` -1). Returns
    None when the sheet has no record header: then it is not a sheet xltools wrote.
    """
    out: list[MarkRecord] = []
    snapshot = None
    found_header = live = False
    for c in root.iter(_M + "c"):
        ref = c.get("r", "")
        try:
            _, col = parse_ref(ref)
        except ValueError:
            continue
        if col != RECORD_COL:
            continue
        text = cell_string(c, shared)
        if text == LIVE_RECORD_HEADER:
            found_header = live = True
            continue
        if text.startswith(RECORD_HEADER):
            found_header = True
            try:
                snapshot = json.loads(text[len(RECORD_HEADER):])
            except ValueError:
                snapshot = None
            continue
        if found_header and text:
            rec = _live_record(text) if live else MarkRecord.from_text(text)
            if rec is not None:
                out.append(rec)
    return (out, snapshot) if found_header else None


def _live_record(text: str) -> MarkRecord | None:
    try:
        d = json.loads(text)
        color = d.get("color")
        if color:
            r, g, b = (int(x) for x in color)
            fill = ('<fill><patternFill patternType="solid">'
                    f'<fgColor rgb="FF{r:02X}{g:02X}{b:02X}"/><bgColor indexed="64"/></patternFill></fill>')
        else:
            fill = '<fill><patternFill patternType="none"/></fill>'
        return MarkRecord(str(d["sheet"]), str(d["cell"]), None, -1, fill)
    except (ValueError, KeyError, TypeError):
        return None


def cell_string(c: etree._Element, shared: list[str]) -> str:
    """The text of a string cell: inline, shared-string index or a formula's string result."""
    t = c.get("t")
    if t == "inlineStr":
        is_ = c.find(_M + "is")
        return "" if is_ is None else "".join(x.text or "" for x in is_.iter(_M + "t"))
    v = c.findtext(_M + "v") or ""
    if t == "s":
        try:
            return shared[int(v)]
        except (ValueError, IndexError):
            return ""
    return v


def shared_strings(root: etree._Element | None) -> list[str]:
    """All entries of sharedStrings.xml as plain text (phonetic runs left out)."""
    if root is None:
        return []
    out = []
    for si in root.iterfind(_M + "si"):
        out.append("".join(t.text or "" for t in si.iter(_M + "t")
                           if etree.QName(t.getparent()).localname != "rPh"))
    return out
