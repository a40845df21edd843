"""Cell edits: numbers, text, live formulas with cached values, new rows and cells, number formats."""
from __future__ import annotations

import math

import openpyxl
import pytest
from lxml import etree
from python_calamine import CalamineWorkbook

from fixtures_ooxml import M, check_package, parts, xml
from fixtures_rich import (BUDGET, DATA_SHEET, FIRST_DATA_ROW, LAST_DATA_ROW, MAIN_SHEET,  # noqa: F401
                           rich_xlsm, rich_xlsx)
from xltools.core.edits import CellEdit
from xltools.core.numbers import excel_round
from xltools.io.errors import WorkbookError
from xltools.io.writer import save_copy

_M = f"{{{M}}}"


def _cell_xml(path, ref, part="xl/worksheets/sheet1.xml"):
    for c in xml(parts(path)[part]).iter(_M + "c"):
        if c.get("r") == ref:
            return c
    return None


def _load(path, **kw):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about the x14 extensions it drops on read
        return openpyxl.load_workbook(path, **kw)


def test_values_text_and_formulas(rich_xlsx, tmp_path):
    total_spent = sum(s for _, s in BUDGET)
    rate = excel_round(total_spent / sum(b for b, _ in BUDGET), 4)
    edits = [
        CellEdit(MAIN_SHEET, 4, 4, 130.5),                       # number over a number
        CellEdit(MAIN_SHEET, 5, 8, "  前后空格\n第二行"),          # text into a blank styled cell
        CellEdit(MAIN_SHEET, 6, 8, "=SUM(A1:A3)"),               # text that looks like a formula
        CellEdit(MAIN_SHEET, 9, 5, total_spent, formula="SUM(E4:E8)"),
        CellEdit(MAIN_SHEET, 9, 6, rate, formula="ROUND(E9/D9,4)"),
        CellEdit(MAIN_SHEET, 9, 7, "正常", formula='IF(E9>D9,"超支","正常")'),
        CellEdit(MAIN_SHEET, 9, 8, None),                        # nothing: an empty styled cell
    ]
    dst = tmp_path / "out.xlsx"
    save_copy(rich_xlsx, dst, edits=edits)
    assert check_package(dst) == []
    ws = _load(dst)[MAIN_SHEET]
    assert ws["D4"].value == 130.5 and ws["D4"].number_format == "#,##0.00" and ws["D4"].border.left.style == "thin"
    assert ws["H5"].value == "  前后空格\n第二行"
    assert ws["H6"].value == "=SUM(A1:A3)" and ws["H6"].data_type == "s"
    raw = _cell_xml(dst, "H6")
    assert raw.get("t") == "inlineStr" and raw.find(_M + "f") is None
    assert ws["E9"].value == "=SUM(E4:E8)" and ws["F9"].value == "=ROUND(E9/D9,4)"
    assert ws["G9"].value == '=IF(E9>D9,"超支","正常")'
    assert _cell_xml(dst, "G9").get("t") == "str"
    cached = _load(dst, data_only=True)[MAIN_SHEET]
    assert math.isclose(cached["E9"].value, total_spent) and cached["F9"].value == rate and cached["G9"].value == "正常"
    rows = CalamineWorkbook.from_path(str(dst)).get_sheet_by_name(MAIN_SHEET).to_python()
    assert rows[8][4] == pytest.approx(total_spent) and rows[8][5] == rate and rows[8][6] == "正常"
    assert rows[5][7] == "=SUM(A1:A3)"
    wb = xml(parts(dst)["xl/workbook.xml"])
    assert wb.find(_M + "calcPr").get("fullCalcOnLoad") == "1"


def test_new_rows_and_cells_are_inserted_in_order(rich_xlsx, tmp_path):
    edits = [CellEdit(MAIN_SHEET, 20, 3, 1.0), CellEdit(MAIN_SHEET, 15, 2, 2.0), CellEdit(MAIN_SHEET, 15, 1, 3.0),
             CellEdit(MAIN_SHEET, 9, 3, 4.0), CellEdit(MAIN_SHEET, 9, 30, 5.0), CellEdit(MAIN_SHEET, 2, 9, "I2")]
    dst = tmp_path / "out.xlsx"
    save_copy(rich_xlsx, dst, edits=edits)
    assert check_package(dst) == []  # includes row/cell order and style ranges
    root = xml(parts(dst)["xl/worksheets/sheet1.xml"])
    rows = [int(r.get("r")) for r in root.iter(_M + "row")]
    assert rows == sorted(rows) and {15, 20} <= set(rows)
    assert [c.get("r") for c in root.iter(_M + "c") if c.get("r").endswith("9") and len(c.get("r")) <= 3] == \
        ["B9", "C9", "D9", "AD9"]
    assert root.find(_M + "dimension").get("ref") == "A1:AD20"
    ws = _load(dst)[MAIN_SHEET]
    assert (ws["C20"].value, ws["B15"].value, ws["A15"].value, ws["C9"].value, ws["AD9"].value, ws["I2"].value) == \
        (1, 2, 3, 4, 5, "I2")


def test_new_cell_takes_row_or_column_style(tmp_path):
    import xlsxwriter

    src = tmp_path / "styled.xlsx"
    wb = xlsxwriter.Workbook(str(src))
    ws = wb.add_worksheet("S")
    ws.set_column("C:C", 12, wb.add_format({"num_format": "0.000"}))
    ws.set_row(4, None, wb.add_format({"bold": True}))
    ws.write("A1", "x")
    wb.close()
    dst = tmp_path / "out.xlsx"
    save_copy(src, dst, edits=[CellEdit("S", 3, 3, 1.5), CellEdit("S", 5, 1, 7.0)])
    ws = _load(dst)["S"]
    assert ws["C3"].number_format == "0.000"
    assert ws["A5"].font.b


def test_number_format_only_where_the_cell_does_not_show_it(rich_xlsx, tmp_path):
    edits = [
        CellEdit(MAIN_SHEET, 12, 4, 0.8126, number_format="0.00%"),  # new General cell: gets the rate format
        CellEdit(MAIN_SHEET, 6, 6, 0.5, number_format="0.0%"),       # already a percent cell: keeps 0.00%
        CellEdit(MAIN_SHEET, 7, 4, 12.0, number_format="0.00%"),     # a money cell asked to show a rate: changes
        CellEdit(MAIN_SHEET, 8, 4, 13.0, number_format="0.0000"),    # a number cell already shows numbers: kept
        CellEdit(MAIN_SHEET, 12, 5, 13.0, number_format="0.0000"),   # General cell, code new to the workbook
    ]
    dst = tmp_path / "out.xlsx"
    save_copy(rich_xlsx, dst, edits=edits)
    assert check_package(dst) == []
    src_ws, ws = _load(rich_xlsx)[MAIN_SHEET], _load(dst)[MAIN_SHEET]
    assert ws["D12"].number_format == "0.00%"
    assert ws["F6"].number_format == "0.00%"
    assert ws["D7"].number_format == "0.00%"
    assert ws["D8"].number_format == "#,##0.00"
    assert ws["E12"].number_format == "0.0000"
    for ref in ("D7", "D8"):  # only the number format changed
        assert ws[ref].border.left.style == src_ws[ref].border.left.style == "thin"
        assert ws[ref].font.name == src_ws[ref].font.name


def test_overwriting_shared_formula_master_materialises_dependants(rich_xlsx, tmp_path):
    dst = tmp_path / "out.xlsx"
    save_copy(rich_xlsx, dst, edits=[CellEdit(MAIN_SHEET, FIRST_DATA_ROW, 6, 0.75)])
    ws = _load(dst)[MAIN_SHEET]
    assert ws[f"F{FIRST_DATA_ROW}"].value == 0.75
    for r in range(FIRST_DATA_ROW + 1, LAST_DATA_ROW + 1):
        assert ws[f"F{r}"].value == f"=E{r}/D{r}"
        f = _cell_xml(dst, f"F{r}").find(_M + "f")
        assert f.get("t") is None and f.get("si") is None
    cached = _load(dst, data_only=True)[MAIN_SHEET]
    for r, (budget, spent) in enumerate(BUDGET[1:], FIRST_DATA_ROW + 1):
        assert cached[f"F{r}"].value == pytest.approx(spent / budget)
    # A stale calcChain would still list the replaced formula: it must be gone with its rel and type.
    p = parts(dst)
    assert "xl/calcChain.xml" not in p
    assert b"calcChain" not in p["[Content_Types].xml"] and b"calcChain" not in p["xl/_rels/workbook.xml.rels"]
    assert check_package(dst) == []


def test_overwriting_a_shared_dependant_keeps_the_group(rich_xlsx, tmp_path):
    dst = tmp_path / "out.xlsx"
    save_copy(rich_xlsx, dst, edits=[CellEdit(MAIN_SHEET, FIRST_DATA_ROW + 2, 6, 0.3, formula="E6/D6*1")])
    master = _cell_xml(dst, f"F{FIRST_DATA_ROW}").find(_M + "f")
    assert master.get("t") == "shared" and master.text == f"E{FIRST_DATA_ROW}/D{FIRST_DATA_ROW}"
    assert _cell_xml(dst, f"F{FIRST_DATA_ROW + 1}").find(_M + "f").get("si") == "0"
    assert _load(dst)[MAIN_SHEET][f"F{FIRST_DATA_ROW + 2}"].value == "=E6/D6*1"


def test_value_edit_keeps_calc_chain(rich_xlsx, tmp_path):
    dst = tmp_path / "out.xlsx"
    save_copy(rich_xlsx, dst, edits=[CellEdit(MAIN_SHEET, 4, 4, 99.0)])
    assert parts(dst)["xl/calcChain.xml"] == parts(rich_xlsx)["xl/calcChain.xml"]
    assert xml(parts(dst)["xl/workbook.xml"]).find(_M + "calcPr").get("fullCalcOnLoad") == \
        xml(parts(rich_xlsx)["xl/workbook.xml"]).find(_M + "calcPr").get("fullCalcOnLoad")


@pytest.mark.parametrize("edit, words", [
    (CellEdit(DATA_SHEET, 3, 3, 1.0), "数组公式"),                  # inside array C2:C5
    (CellEdit(DATA_SHEET, 2, 3, 1.0), "数组公式"),                  # its master
    (CellEdit(MAIN_SHEET, 1, 3, "x"), "合并区域"),                  # hidden inside A1:H1
    (CellEdit("没有这张表", 1, 1, 1.0), "没有名为"),
    (CellEdit(MAIN_SHEET, 1, 20000, 1.0), "超出"),
    (CellEdit(MAIN_SHEET, 30, 1, float("nan")), "无法写入"),
    (CellEdit(MAIN_SHEET, 30, 1, "长" * 32768), "无法写入"),
])
def test_refused_edits_raise_and_write_nothing(rich_xlsx, tmp_path, edit, words):
    dst = tmp_path / "out.xlsx"
    with pytest.raises(WorkbookError) as info:
        save_copy(rich_xlsx, dst, edits=[CellEdit(MAIN_SHEET, 4, 4, 1.0), edit])
    assert words in info.value.message and " / " in info.value.message
    assert info.value.sheet == edit.sheet
    assert not dst.exists()
    assert list(tmp_path.iterdir()) == [rich_xlsx]


def test_control_characters_are_escaped_not_fatal(rich_xlsx, tmp_path):
    dst = tmp_path / "out.xlsx"
    save_copy(rich_xlsx, dst, edits=[CellEdit(MAIN_SHEET, 30, 1, "a\x01b\x1fc")])
    t = _cell_xml(dst, "A30").find(f"{_M}is/{_M}t")
    assert t.text == "a_x0001_b_x001F_c"
    assert check_package(dst) == []


def test_edit_xlsm_in_place_keeps_it_macro_enabled(rich_xlsm, tmp_path):
    dst = tmp_path / "filled.xlsm"
    save_copy(rich_xlsm, dst, edits=[CellEdit(MAIN_SHEET, 4, 8, "已填")])
    wb = _load(dst, keep_vba=True)
    assert wb[MAIN_SHEET]["H4"].value == "已填"
    assert wb.vba_archive is not None
    assert etree.QName(xml(parts(dst)["xl/workbook.xml"])).localname == "workbook"


def test_rows_and_cells_without_r_attributes(tmp_path):
    """r is optional in SpreadsheetML: rows and cells then follow on from the previous one."""
    import re
    import zipfile

    import xlsxwriter

    src = tmp_path / "implicit.xlsx"
    wb = xlsxwriter.Workbook(str(src))
    ws = wb.add_worksheet("S")
    for r in range(3):
        ws.write_row(r, 0, [r * 10 + c for c in range(3)])
    wb.close()
    with zipfile.ZipFile(src) as zf:
        p = {i.filename: zf.read(i) for i in zf.infolist()}
    sheet = p["xl/worksheets/sheet1.xml"].decode()
    p["xl/worksheets/sheet1.xml"] = re.sub(r' r="[A-Z]*\d+"', "", sheet).encode()
    with zipfile.ZipFile(src, "w") as zf:
        for name, data in p.items():
            zf.writestr(name, data)
    dst = tmp_path / "out.xlsx"
    save_copy(src, dst, edits=[CellEdit("S", 2, 2, 99.0), CellEdit("S", 2, 5, 7.0)])
    ws = _load(dst)["S"]
    assert [[c.value for c in row] for row in ws.iter_rows(min_row=1, max_row=3, max_col=5)] == \
        [[0, 1, 2, None, None], [10, 99, 12, None, 7], [20, 21, 22, None, None]]
    assert check_package(dst) == []
