"""save_copy changes only the parts it must: every other part survives byte for byte."""
from __future__ import annotations

import copy
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from lxml import etree
from python_calamine import CalamineWorkbook

from fixtures_ooxml import M, canon, check_package, infos, parts, workbook_sheets, xml
from fixtures_rich import (DATA_SHEET, MAIN_SHEET, QUOTE_SHEET, build_rich, rich_xlsm, rich_xlsx,  # noqa: F401
                           vba_project_bin)
from xltools.core.edits import CellEdit
from xltools.core.findings import Finding, Severity
from xltools.io.writer import save_copy

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
SAMPLE = SAMPLES / "clean-project-selfeval.xlsx"
# The named sample always gets a test id (skipped until it exists); any other sample is a bonus.
SAMPLE_NAMES = sorted({SAMPLE.name} | {p.name for p in SAMPLES.glob("*.xlsx")})
_M = f"{{{M}}}"
ALWAYS_ALLOWED = {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml",
                  "docProps/app.xml"}
NEW_PART = re.compile(r"^xl/(worksheets/sheet\d+\.xml|comments\d+\.xml|drawings/vmlDrawing\d+\.vml"
                      r"|worksheets/_rels/sheet\d+\.xml\.rels)$")


def _strip(root: etree._Element, cells: set[str], *, loose_bounds: bool, drop_legacy: bool) -> tuple:
    """The sheet without the given cells (and, when asked, without dimension/spans/legacyDrawing)."""
    root = copy.deepcopy(root)
    for c in list(root.iter(_M + "c")):
        if c.get("r") in cells:
            c.getparent().remove(c)
    for row in list(root.iter(_M + "row")):
        if len(row) == 0:
            row.getparent().remove(row)
        elif loose_bounds:
            row.attrib.pop("spans", None)
    drop = {"dimension"} if loose_bounds else set()
    if drop_legacy:
        drop.add("legacyDrawing")
    for child in list(root):
        if isinstance(child.tag, str) and etree.QName(child).localname in drop:
            root.remove(child)
    return canon(root)


def assert_only_intended_changes(src: Path, dst: Path, touched: dict[str, set[str]]) -> None:
    """Parts other than the intended ones are byte-identical; touched sheets equal minus the touched cells."""
    a, b = parts(src), parts(dst)
    sheets_a = dict(workbook_sheets(a))
    touched_parts = {sheets_a[name] for name in touched}
    allowed = ALWAYS_ALLOWED | touched_parts
    for part in touched_parts:
        folder, base = part.rsplit("/", 1)
        allowed.add(f"{folder}/_rels/{base}.rels")
    for name, data in a.items():
        assert name in b, f"part {name} was lost"
        if name in allowed or name.startswith(("xl/comments", "xl/drawings/vmlDrawing")):
            continue
        assert b[name] == data, f"part {name} changed although nothing was meant to touch it"
    for name in set(b) - set(a):
        assert NEW_PART.match(name), f"unexpected new part {name}"
    # Same order and compression for the original parts.
    ia, ib = infos(src), infos(dst)
    assert [i.filename for i in ib if i.filename in a] == [i.filename for i in ia]
    kinds = {i.filename: i.compress_type for i in ib}
    assert all(kinds[i.filename] == i.compress_type for i in ia)
    for name, cells in touched.items():
        part = sheets_a[name]
        ra, rb = xml(a[part]), xml(b[part])
        had_legacy = ra.find(_M + "legacyDrawing") is not None
        assert _strip(ra, cells, loose_bounds=True, drop_legacy=not had_legacy) == \
            _strip(rb, cells, loose_bounds=True, drop_legacy=not had_legacy), f"{name}: more than the touched cells changed"
    assert check_package(dst) == []


FINDINGS = [
    Finding("execution-rate-mismatch", Severity.ERROR, MAIN_SHEET, "F5", 5, "执行率 100.00% 不符，应为 100.00%", "100.00%"),
    Finding("reason-missing", Severity.WARNING, MAIN_SHEET, "B4", 4, "偏差原因为空"),
    Finding("not-normalised", Severity.INFO, MAIN_SHEET, "G6", 6, "指标值建议规范写为“良”", "良"),
    Finding("actual-missing", Severity.ERROR, MAIN_SHEET, "H12", 12, "实际完成值为空"),
    Finding("target-missing", Severity.ERROR, QUOTE_SHEET, "A2", 2, "指标值为空"),
    Finding("total-mismatch", Severity.ERROR, DATA_SHEET, "B3", 3, "合计不符", "35"),
]
EDITS = [
    CellEdit(MAIN_SHEET, 4, 8, "已完成"),
    CellEdit(MAIN_SHEET, 9, 5, 470.45, formula="SUM(E4:E8)"),
    CellEdit(MAIN_SHEET, 9, 6, 470.45 / 555.5, formula="E9/D9", number_format="0.00%"),
    CellEdit(MAIN_SHEET, 11, 2, "=不是公式"),
]
TOUCHED = {MAIN_SHEET: {"F5", "B4", "G6", "H12", "H4", "E9", "F9", "B11"}, QUOTE_SHEET: {"A2"}, DATA_SHEET: {"B3"}}


@pytest.mark.parametrize("kind", ["xlsx", "xlsm"])
def test_only_intended_parts_differ(tmp_path, kind):
    src = build_rich(tmp_path / f"rich.{kind}", xlsm=kind == "xlsm")
    dst = tmp_path / f"out.{kind}"
    save_copy(src, dst, edits=EDITS, findings=FINDINGS)
    assert_only_intended_changes(src, dst, TOUCHED)
    a, b = parts(src), parts(dst)
    # The pieces openpyxl would drop or mangle are all still there, unchanged.
    for name in ("xl/media/image1.png", "xl/charts/chart1.xml", "xl/drawings/drawing1.xml",
                 "xl/drawings/drawing2.xml", "xl/sharedStrings.xml", "xl/calcChain.xml", "docProps/core.xml"):
        assert b[name] == a[name]
    main = xml(b["xl/worksheets/sheet1.xml"])
    assert main.find(_M + "extLst") is not None and "x14:dataValidation" in b["xl/worksheets/sheet1.xml"].decode()
    assert [m.get("ref") for m in main.iter(_M + "mergeCell")] == ["A1:H1", "A2:B2", "C2:H2"]
    wb = xml(b["xl/workbook.xml"])
    names_a = [(d.get("name"), d.get("localSheetId"), d.text) for d in xml(a["xl/workbook.xml"]).iter(_M + "definedName")]
    names_b = [(d.get("name"), d.get("localSheetId"), d.text) for d in wb.iter(_M + "definedName")]
    assert names_b[: len(names_a)] == names_a
    assert wb.find(_M + "calcPr").get("fullCalcOnLoad") == "1"


def test_xlsm_keeps_vba_and_macro_content_type(rich_xlsm, tmp_path):
    dst = tmp_path / "out.xlsm"
    save_copy(rich_xlsm, dst, edits=EDITS, findings=FINDINGS)
    a, b = parts(rich_xlsm), parts(dst)
    expected, _source = vba_project_bin()
    assert b["xl/vbaProject.bin"] == a["xl/vbaProject.bin"] == expected
    ct = b["[Content_Types].xml"].decode()
    assert 'PartName="/xl/workbook.xml" ContentType="application/vnd.ms-excel.sheet.macroEnabled.main+xml"' in ct
    assert 'Extension="bin" ContentType="application/vnd.ms-office.vbaProject"' in ct
    assert "relationships/vbaProject" in b["xl/_rels/workbook.xml.rels"].decode()
    from oletools.olevba import VBA_Parser

    vba = VBA_Parser(str(dst))
    assert vba.detect_vba_macros()
    assert list(vba.extract_macros())


def test_noop_copy_is_byte_identical(rich_xlsx, tmp_path):
    dst = tmp_path / "same.xlsx"
    save_copy(rich_xlsx, dst)
    assert dst.read_bytes() == rich_xlsx.read_bytes()


def _first_cells(path: Path, n: int = 3) -> tuple[str, list[tuple[int, int]], int]:
    """The first sheet's name, a few of its non-empty cells, and its last row (read with calamine)."""
    book = CalamineWorkbook.from_path(str(path))
    name = book.sheet_names[0]
    rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    cells = [(r + 1, c + 1) for r, row in enumerate(rows) for c, v in enumerate(row) if v not in ("", None)]
    return name, cells[:n], len(rows)


def _source(which: str, rich: Path, tmp_path: Path) -> Path:
    """The fixture, or a copy of samples/<which> (skipped when absent, or unusable unless it is SAMPLE)."""
    if which == "fixture":
        return rich
    sample = SAMPLES / which
    if not sample.exists():
        pytest.skip(f"samples/{which} has not been built yet")
    src = tmp_path / sample.name
    src.write_bytes(sample.read_bytes())
    if which != SAMPLE.name:
        try:
            if not _first_cells(src)[1]:
                pytest.skip(f"samples/{which}: first sheet is empty")
        except Exception as exc:  # a deliberately broken sample is not this test's business
            pytest.skip(f"samples/{which} is not a readable workbook: {exc}")
    return src


@pytest.mark.parametrize("which", ["fixture", *SAMPLE_NAMES])
def test_real_workbook_roundtrip(rich_xlsx, tmp_path, which):
    src = _source(which, rich_xlsx, tmp_path)
    name, cells, last_row = _first_cells(src)
    from xltools.core.form import address

    findings = [Finding("cell-error", Severity.WARNING, name, address(r, c), r, f"测试标记 {i}")
                for i, (r, c) in enumerate(cells)]
    edits = [CellEdit(name, last_row + 3, 1, "xltools 测试写入"), CellEdit(name, last_row + 3, 2, 0.25, formula="1/4")]
    dst = tmp_path / ("out" + src.suffix)
    save_copy(src, dst, edits=edits, findings=findings)
    touched = {address(r, c) for r, c in cells} | {address(last_row + 3, 1), address(last_row + 3, 2)}
    assert_only_intended_changes(src, dst, {name: touched})
    wb = openpyxl.load_workbook(dst)
    ws = wb[name]
    assert ws.cell(last_row + 3, 1).value == "xltools 测试写入"
    assert ws.cell(last_row + 3, 2).value == "=1/4"
    for r, c in cells:
        assert "测试标记" in ws.cell(r, c).comment.text
    assert wb.sheetnames[-1] == "校验结果"
    cached = CalamineWorkbook.from_path(str(dst)).get_sheet_by_name(name).to_python(skip_empty_area=False)
    assert cached[last_row + 2][1] == 0.25
    # Images, charts and validations of the input are all still referenced by the output.
    a, b = parts(src), parts(dst)
    media = [n for n in a if n.startswith(("xl/media/", "xl/charts/"))]
    assert all(b[n] == a[n] for n in media)
    assert (b"dataValidation" in b[dict(workbook_sheets(b))[name]]) == (b"dataValidation" in a[dict(workbook_sheets(a))[name]])


def test_stored_and_deflated_parts_keep_their_method(rich_xlsx, tmp_path):
    # Re-pack the fixture with two parts stored (no compression), as some writers do.
    src = tmp_path / "mixed.xlsx"
    with zipfile.ZipFile(rich_xlsx) as zin, zipfile.ZipFile(src, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            method = zipfile.ZIP_STORED if info.filename in ("xl/media/image1.png", "xl/theme/theme1.xml") else zipfile.ZIP_DEFLATED
            zout.writestr(info.filename, zin.read(info), compress_type=method)
    dst = tmp_path / "out.xlsx"
    save_copy(src, dst, findings=FINDINGS[:1])
    methods = {i.filename: i.compress_type for i in infos(dst)}
    assert methods["xl/media/image1.png"] == zipfile.ZIP_STORED
    assert methods["xl/theme/theme1.xml"] == zipfile.ZIP_STORED
    assert methods["xl/worksheets/sheet1.xml"] == zipfile.ZIP_DEFLATED


@pytest.mark.parametrize("which", ["fixture", *SAMPLE_NAMES])
def test_annotate_then_clear_gives_the_workbook_back(rich_xlsx, tmp_path, which):
    src = _source(which, rich_xlsx, tmp_path)
    name, cells, last_row = _first_cells(src, n=6)
    from xltools.core.form import address

    severities = [Severity.ERROR, Severity.WARNING, Severity.INFO]
    findings = [Finding("cell-error", severities[i % 3], name, address(r, c), r, f"测试标记 {i}")
                for i, (r, c) in enumerate(cells)]
    findings.append(Finding("actual-missing", Severity.ERROR, name, address(last_row + 2, 3), last_row + 2, "空白处"))
    annotated, cleared = tmp_path / ("a" + src.suffix), tmp_path / ("c" + src.suffix)
    save_copy(src, annotated, findings=findings)
    save_copy(annotated, cleared, clear_marks=True)
    a, c = parts(src), parts(cleared)
    assert set(a) == set(c)
    for part in a:
        if a[part] != c[part]:
            assert canon(xml(a[part])) == canon(xml(c[part])), f"{part} not restored"
    assert check_package(cleared) == []
