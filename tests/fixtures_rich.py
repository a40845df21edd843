"""A rich fixture workbook: everything a copy must not lose (images, charts, validations, VBA …).

Built with XlsxWriter, then patched at the XML level for the features XlsxWriter never
writes itself: a shared-formula group and an x14 (extLst) data validation.
"""
from __future__ import annotations

import re
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
import xlsxwriter

MAIN_SHEET = "项目支出绩效自评表"
DATA_SHEET = "Chart 数据"
QUOTE_SHEET = "It's 备注"

# Row layout of the main sheet (1-based, as the user sees it).
HEADER_ROW = 3
FIRST_DATA_ROW = 4
LAST_DATA_ROW = 8
RATE_COL = 6  # F: 执行率 = E/D, a shared formula in the patched fixture
USER_COMMENT_CELL = "B4"
USER_COMMENT_TEXT = "用户批注：请核对预算数"

BUDGET = [(120.0, 96.5), (80.0, 80.0), (45.5, 12.25), (300.0, 281.7), (10.0, 0.0)]


def png_bytes(width: int = 4, height: int = 3) -> bytes:
    """A tiny valid RGB PNG, built without Pillow."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes([200, 30, 30]) * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def vba_project_bin() -> tuple[bytes, str]:
    """A real vbaProject.bin (from xlwings' quickstart.xlsm) or, failing that, arbitrary bytes.

    Returns the bytes and where they came from, so a test can say which it used.
    """
    try:
        import xlwings

        book = Path(xlwings.__file__).parent / "quickstart.xlsm"
        with zipfile.ZipFile(book) as zf:
            return zf.read("xl/vbaProject.bin"), "xlwings quickstart.xlsm"
    except Exception:  # pragma: no cover - only when xlwings is absent
        return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 8, "arbitrary bytes"


def build_rich(path: Path, *, xlsm: bool = False) -> Path:
    """Write the rich fixture to ``path`` (.xlsx, or .xlsm with a VBA project) and return it."""
    path = Path(path)
    wb = xlsxwriter.Workbook(str(path), {"in_memory": True})
    if xlsm:
        data, _ = vba_project_bin()
        bin_path = path.with_suffix(".vbaProject.bin")
        bin_path.write_bytes(data)
        wb.add_vba_project(str(bin_path))
    title = wb.add_format({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"})
    head = wb.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1, "text_wrap": True})
    money = wb.add_format({"num_format": "#,##0.00", "border": 1})
    rate = wb.add_format({"num_format": "0.00%", "border": 1})
    plain = wb.add_format({"border": 1})

    ws = wb.add_worksheet(MAIN_SHEET)
    ws.merge_range("A1:H1", "2023年度项目支出绩效自评表", title)
    ws.merge_range("A2:B2", "项目名称", plain)
    ws.merge_range("C2:H2", "食品安全专项", plain)
    ws.set_row(0, 30)
    ws.set_column("A:A", 6)
    ws.set_column("B:B", 24)
    ws.set_column("C:C", 14)
    ws.set_column("D:F", 13)
    ws.set_column("G:G", 10)
    ws.set_column("H:H", 30)
    headers = ["序号", "资金项目", "资金性质", "全年预算数", "全年执行数", "执行率", "评价", "说明"]
    for c, text in enumerate(headers):
        ws.write(HEADER_ROW - 1, c, text, head)
    for i, (budget, spent) in enumerate(BUDGET):
        r = FIRST_DATA_ROW - 1 + i
        ws.write_number(r, 0, i + 1, plain)
        ws.write_string(r, 1, f"资金项目{i + 1}", plain)
        ws.write_string(r, 2, "财政拨款", plain)
        ws.write_number(r, 3, budget, money)
        ws.write_number(r, 4, spent, money)
        ws.write_formula(r, 5, f"=E{r + 1}/D{r + 1}", rate, spent / budget)
        ws.write_string(r, 6, "良", plain)
        # H stays blank but bordered, like a real form's 说明 column.
        ws.write_blank(r, 7, None, plain)
    total_row = LAST_DATA_ROW  # 0-based index of the row after the data
    ws.write_string(total_row, 1, "合计", head)
    ws.write_formula(total_row, 3, f"=SUM(D{FIRST_DATA_ROW}:D{LAST_DATA_ROW})", money,
                     sum(b for b, _ in BUDGET))
    ws.write_comment(USER_COMMENT_CELL, USER_COMMENT_TEXT, {"author": "张三"})
    ws.data_validation(f"G{FIRST_DATA_ROW}:G{LAST_DATA_ROW}",
                       {"validate": "list", "source": ["优", "良", "中", "差"]})
    ws.conditional_format(f"F{FIRST_DATA_ROW}:F{LAST_DATA_ROW}",
                          {"type": "cell", "criteria": "<", "value": 0.5,
                           "format": wb.add_format({"font_color": "#9C0006", "bg_color": "#FFC7CE"})})
    # A data bar makes XlsxWriter emit an x14 extLst on this sheet.
    ws.conditional_format(f"E{FIRST_DATA_ROW}:E{LAST_DATA_ROW}", {"type": "data_bar", "data_bar_2010": True})
    ws.freeze_panes(HEADER_ROW, 2)
    ws.repeat_rows(0, HEADER_ROW - 1)
    ws.print_area(0, 0, total_row, 7)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.set_header("&C项目支出绩效自评表")
    img = path.with_suffix(".fixture.png")
    img.write_bytes(png_bytes())
    ws.insert_image("J2", str(img), {"x_scale": 10, "y_scale": 10})
    wb.define_name("预算合计", f"='{MAIN_SHEET}'!$D${total_row + 1}")
    wb.define_name(f"'{MAIN_SHEET}'!本表执行率", f"='{MAIN_SHEET}'!$F${FIRST_DATA_ROW}:$F${LAST_DATA_ROW}")

    data = wb.add_worksheet(DATA_SHEET)
    data.write_row(0, 0, ["季度", "支出"])
    for i, v in enumerate([10, 35, 60, 95]):
        data.write_row(i + 1, 0, [f"Q{i + 1}", v])
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"name": "支出", "categories": f"='{DATA_SHEET}'!$A$2:$A$5",
                      "values": f"='{DATA_SHEET}'!$B$2:$B$5"})
    data.insert_chart("E2", chart)
    data.set_column("A:B", 12)
    # A multi-cell array formula: no single cell of C2:C5 may be overwritten.
    data.write_array_formula("C2:C5", "{=B2:B5*2}", None, 20)

    quote = wb.add_worksheet(QUOTE_SHEET)
    quote.write("A1", "备注")
    quote.write("A2", 42)
    quote.hide()
    wb.close()
    img.unlink()
    if xlsm:
        bin_path.unlink()
    _patch_fixture(path)
    return path


CALC_CHAIN = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              '<calcChain xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              '<c r="F4" i="1"/><c r="F5"/><c r="F6"/><c r="F7"/><c r="F8"/><c r="D9"/>'
              '<c r="C2" i="2" a="1"/></calcChain>')


def _patch_fixture(path: Path) -> None:
    """Make the file look saved by Excel: a shared-formula group F4:F8, an x14 data validation,
    a calcChain part and no fullCalcOnLoad."""
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        parts = {i.filename: zf.read(i.filename) for i in infos}
    name = "xl/worksheets/sheet1.xml"
    xml = parts[name].decode("utf-8")
    first = FIRST_DATA_ROW

    def shared(m: re.Match) -> str:
        row = int(m.group(1))
        if row == first:
            return f'<f t="shared" ref="F{first}:F{LAST_DATA_ROW}" si="0">E{row}/D{row}</f>'
        return '<f t="shared" si="0"/>'

    xml, n = re.subn(r"<f>E(\d+)/D\1</f>", shared, xml)
    assert n == LAST_DATA_ROW - FIRST_DATA_ROW + 1, n
    x14 = ('<ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
           'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
           '<x14:dataValidations count="1" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
           '<x14:dataValidation type="list" allowBlank="1" showInputMessage="1" showErrorMessage="1">'
           f"<x14:formula1><xm:f>'{DATA_SHEET}'!$A$2:$A$5</xm:f></x14:formula1>"
           f"<xm:sqref>C{FIRST_DATA_ROW}:C{LAST_DATA_ROW}</xm:sqref>"
           "</x14:dataValidation></x14:dataValidations></ext>")
    head, sep, tail = xml.rpartition("</extLst></worksheet>")
    assert sep, "the data bar should have given the sheet an extLst"
    xml = head + x14 + sep + tail
    parts[name] = xml.encode("utf-8")
    # Like a file saved by Excel: no forced recalculation (XlsxWriter always sets it).
    wb_xml = parts["xl/workbook.xml"].decode("utf-8")
    assert ' fullCalcOnLoad="1"' in wb_xml
    parts["xl/workbook.xml"] = wb_xml.replace(' fullCalcOnLoad="1"', "").encode("utf-8")
    # Excel always writes a calcChain; XlsxWriter never does.
    ct = parts["[Content_Types].xml"].decode("utf-8")
    parts["[Content_Types].xml"] = ct.replace("</Types>", '<Override PartName="/xl/calcChain.xml" ContentType='
                                              '"application/vnd.openxmlformats-officedocument.spreadsheetml.'
                                              'calcChain+xml"/></Types>').encode("utf-8")
    rels = parts["xl/_rels/workbook.xml.rels"].decode("utf-8")
    parts["xl/_rels/workbook.xml.rels"] = rels.replace(
        "</Relationships>", '<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                            'relationships/calcChain" Target="calcChain.xml"/></Relationships>').encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in infos:
            zf.writestr(info, parts[info.filename])
        zf.writestr("xl/calcChain.xml", CALC_CHAIN)


@pytest.fixture
def rich_xlsx(tmp_path: Path) -> Path:
    """The rich fixture as .xlsx in a fresh folder."""
    return build_rich(tmp_path / "rich.xlsx")


@pytest.fixture
def rich_xlsm(tmp_path: Path) -> Path:
    """The rich fixture as .xlsm with a real VBA project."""
    return build_rich(tmp_path / "rich.xlsm", xlsm=True)
