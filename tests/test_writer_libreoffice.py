"""A real engine reads what save_copy writes: LibreOffice recalculates formulas and keeps the marks.

Also: the element order of every worksheet xltools writes agrees with what XlsxWriter emits
for the same features (frozen pane, autofilter, internal links, notes, hidden column).
"""
from __future__ import annotations

import io
import warnings

import openpyxl
import pytest
import xlsxwriter
from lxml import etree

from fixtures_ooxml import M, parts, workbook_sheets, xml
from fixtures_rich import (BUDGET, DATA_SHEET, MAIN_SHEET, QUOTE_SHEET, USER_COMMENT_CELL, png_bytes,  # noqa: F401
                           rich_xlsx)
from xltools.core.edits import CellEdit
from xltools.core.findings import Finding, Severity
from xltools.core.numbers import excel_round
from xltools.io.writer import save_copy

lo = pytest.importorskip("xltools.io.libreoffice")
needs_lo = pytest.mark.skipif(lo.soffice_path() is None, reason="LibreOffice is not installed")
_M = f"{{{M}}}"

FINDINGS = [
    Finding("execution-rate-mismatch", Severity.ERROR, MAIN_SHEET, "F5", 5, "执行率不符，应为 100.00%", "100.00%"),
    Finding("reason-missing", Severity.WARNING, MAIN_SHEET, USER_COMMENT_CELL, 4, "偏差原因为空"),
    Finding("not-normalised", Severity.INFO, QUOTE_SHEET, "A1", 1, "建议规范"),
    Finding("table-not-found", Severity.ERROR, "不存在", "A1", 1, "找不到表"),
]


def _load(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return openpyxl.load_workbook(path, **kw)


@needs_lo
@pytest.mark.libreoffice
def test_formulas_recalculate_to_the_cached_values(rich_xlsx, tmp_path):
    budget, spent = sum(b for b, _ in BUDGET), sum(s for _, s in BUDGET)
    rate = excel_round(spent / budget, 4)
    edits = [
        CellEdit(MAIN_SHEET, 9, 5, spent, formula="SUM(E4:E8)"),
        CellEdit(MAIN_SHEET, 9, 6, rate, formula="ROUND(E9/D9,4)", number_format="0.00%"),
        CellEdit(MAIN_SHEET, 9, 7, "正常", formula='IF(E9>D9,"超支","正常")'),
        CellEdit(MAIN_SHEET, 10, 4, excel_round(45.5 * 0.285, 2), formula="ROUND(D6*0.285,2)"),
        # Overwriting the shared master makes its dependants explicit; LibreOffice must agree.
        CellEdit(MAIN_SHEET, 4, 6, 0.8, formula="ROUND(E4/D4,1)"),
    ]
    dst = tmp_path / "filled.xlsx"
    save_copy(rich_xlsx, dst, edits=edits, findings=FINDINGS)
    out, = lo.recalc([dst], tmp_path / "lo")
    ours, theirs = _load(dst, data_only=True)[MAIN_SHEET], _load(out, data_only=True)[MAIN_SHEET]
    for e in edits:
        ref = f"{chr(64 + e.col)}{e.row}"
        assert theirs[ref].value == pytest.approx(e.value) if not isinstance(e.value, str) else theirs[ref].value == e.value
        assert ours[ref].value == theirs[ref].value or ours[ref].value == pytest.approx(theirs[ref].value)
    for r, (b, s) in enumerate(BUDGET[1:], 5):
        assert theirs[f"F{r}"].value == pytest.approx(s / b)


@needs_lo
@pytest.mark.libreoffice
def test_comments_and_report_survive_libreoffice(rich_xlsx, tmp_path):
    dst = tmp_path / "annotated.xlsx"
    save_copy(rich_xlsx, dst, findings=FINDINGS)
    out, = lo.convert([dst], "xlsx", tmp_path / "lo")
    ours, theirs = _load(dst), _load(out)
    assert theirs.sheetnames == ours.sheetnames
    for sheet, ref in ((MAIN_SHEET, "F5"), (MAIN_SHEET, USER_COMMENT_CELL), (QUOTE_SHEET, "A1")):
        assert theirs[sheet][ref].comment is not None
        assert theirs[sheet][ref].comment.text.strip() == ours[sheet][ref].comment.text.strip()
        assert theirs[sheet][ref].fill.fgColor.rgb == ours[sheet][ref].fill.fgColor.rgb
    rep_a, rep_b = ours["校验结果"], theirs["校验结果"]
    for row in range(1, len(FINDINGS) + 2):
        assert [rep_b.cell(row, c).value for c in range(1, 9)] == [rep_a.cell(row, c).value for c in range(1, 9)]
        link_a, link_b = rep_a.cell(row, 3).hyperlink, rep_b.cell(row, 3).hyperlink
        assert (link_a and link_a.location) == (link_b and link_b.location)


@needs_lo
@pytest.mark.libreoffice
def test_clear_marks_after_libreoffice_resaved_the_file(rich_xlsx, tmp_path):
    """A re-save renumbers styles and turns inline strings into shared ones; clearing still works."""
    dst = tmp_path / "annotated.xlsx"
    save_copy(rich_xlsx, dst, findings=FINDINGS)
    resaved, = lo.convert([dst], "xlsx", tmp_path / "lo")
    baseline, = lo.convert([rich_xlsx], "xlsx", tmp_path / "lo_orig")
    cleared = tmp_path / "cleared.xlsx"
    save_copy(resaved, cleared, clear_marks=True)
    got, want = _load(cleared), _load(baseline)
    assert got.sheetnames == want.sheetnames
    for sheet, ref in ((MAIN_SHEET, "F5"), (MAIN_SHEET, USER_COMMENT_CELL), (QUOTE_SHEET, "A1")):
        a, b = got[sheet][ref], want[sheet][ref]
        assert (a.fill.fill_type, a.fill.fgColor.rgb) == (b.fill.fill_type, b.fill.fgColor.rgb), (sheet, ref)
        assert (a.font.b, a.border.left.style, a.number_format) == (b.font.b, b.border.left.style, b.number_format)
        assert (a.comment.text if a.comment else None) == (b.comment.text if b.comment else None), (sheet, ref)


def _children(root: etree._Element) -> list[str]:
    return [etree.QName(c).localname for c in root if isinstance(c.tag, str) and etree.QName(c).namespace == M]


def _agree(ours: list[str], reference: list[str]) -> None:
    """Elements both lists have come in the same relative order (repeats collapsed)."""
    ours, reference = list(dict.fromkeys(ours)), list(dict.fromkeys(reference))
    common = [x for x in ours if x in reference]
    assert common == [x for x in reference if x in common], (ours, reference)


def test_element_order_matches_xlsxwriter(rich_xlsx, tmp_path):
    ref_path = tmp_path / "reference.xlsx"
    wb = xlsxwriter.Workbook(str(ref_path))
    ws = wb.add_worksheet("校验结果")
    ws.set_tab_color("#C00000")
    ws.freeze_panes(1, 0)
    ws.set_column("G:G", 60, wb.add_format({"text_wrap": True}))
    ws.set_column("J:J", 40, None, {"hidden": True})
    ws.write_row(0, 0, ["序号", "工作表", "单元格"])
    ws.write_url("C2", f"internal:'{MAIN_SHEET}'!F5", string="F5")
    ws.autofilter("A1:H2")
    ws.write_comment("A2", "note")
    ws.set_landscape()
    other = wb.add_worksheet("x")
    other.write("A1", 1)
    other.merge_range("B2:C2", "m")
    other.data_validation("D1:D3", {"validate": "list", "source": ["a", "b"]})
    other.conditional_format("A1:A3", {"type": "cell", "criteria": ">", "value": 1,
                                       "format": wb.add_format({"bold": True})})
    other.write_comment("A1", "note")
    other.insert_image("F3", "dot.png", {"image_data": io.BytesIO(png_bytes())})
    other.set_header("&C页眉")
    wb.close()
    reference = _children(xml(parts(ref_path)["xl/worksheets/sheet1.xml"]))
    dst = tmp_path / "annotated.xlsx"
    save_copy(rich_xlsx, dst, findings=FINDINGS)
    p = parts(dst)
    sheets = dict(workbook_sheets(p))
    _agree(_children(xml(p[sheets["校验结果"]])), reference)
    ref_other = _children(xml(parts(ref_path)["xl/worksheets/sheet2.xml"]))
    for name in (MAIN_SHEET, QUOTE_SHEET, DATA_SHEET):
        _agree(_children(xml(p[sheets[name]])), ref_other)
