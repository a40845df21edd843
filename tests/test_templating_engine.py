"""The template engine: reference shifting, names, zip writing, compiling and stamping."""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from lxml import etree

from xltools.templating.compiler import compile_template
from xltools.templating.engine import FormData, StampOptions, stamp
from xltools.templating.names import is_unsafe_name, safe_filename, safe_sheet_name, unique
from xltools.templating.placeholders import TemplateError
from xltools.templating.refs import FormulaTemplate, RowMap, shift_sqref
from xltools.io.xmltext import cell_value, esc
from xltools.templating.zipwriter import member, zip_bytes

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
KINDS = ("project-target", "unit-target", "project-selfeval", "unit-selfeval")
M = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
# ECMA-376 CT_Worksheet child order (engineering notes): Excel rejects any other order.
ORDER = ["sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr",
         "sheetProtection", "protectedRanges", "scenarios", "autoFilter", "sortState", "dataConsolidate",
         "customSheetViews", "mergeCells", "phoneticPr", "conditionalFormatting", "dataValidations", "hyperlinks",
         "printOptions", "pageMargins", "pageSetup", "headerFooter", "rowBreaks", "colBreaks", "customProperties",
         "cellWatches", "ignoredErrors", "smartTags", "drawing", "legacyDrawing", "legacyDrawingHF", "picture",
         "oleObjects", "controls", "webPublishItems", "tableParts", "extLst"]


# --- rows and references ---------------------------------------------------------------------

def test_rowmap_moves_rows_below_a_block_and_grows_ranges_over_it():
    rows = RowMap([(5, 4), (10, 3)])
    assert [rows.row(r) for r in (1, 5, 6, 10, 11)] == [1, 5, 9, 13, 16]
    assert rows.end(5) == 8 and rows.end(10) == 15 and rows.end(11) == 16
    assert RowMap([(5, 0)]).end(5) == 5  # an empty block still prints one row


def test_formula_references_follow_the_rows():
    rows = RowMap([(12, 5)])
    f = FormulaTemplate("=SUM(K12:K12)+K5+'项目 表'!$A$13+Sheet2!B20", "项目 表")
    assert f.render(rows, "项目 表") == "SUM(K12:K16)+K5+'项目 表'!$A$17+Sheet2!B20"
    # a formula inside the repeating row points at its own copy
    g = FormulaTemplate('=IF($C12<>"",$F12*2,"")', "s")
    assert g.render(rows, "s", current=14) == 'IF($C14<>"",$F14*2,"")'
    # strings and function names are never taken for references
    h = FormulaTemplate('=CONCAT("A12",B13)', "s")
    assert h.render(RowMap([(12, 3)]), "s") == 'CONCAT("A12",B15)'


def test_sqref_lists_expand():
    assert shift_sqref("A12:K12 M12 B3", RowMap([(12, 4)])) == "A12:K15 M12:M15 B3"


# --- names ------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw", ["a/b", "..", "../../etc/passwd", "C:\\x", "名称:副本", "CON", "lpt1.txt",
                                 "a\x00b", " 末尾点. ", "项目" * 200])
def test_safe_filename_is_always_a_single_safe_component(raw):
    name = safe_filename(raw)
    assert name and name not in (".", "..")
    assert not re.search(r'[\\/:*?"<>|\x00-\x1f]', name)
    assert ".." not in name
    assert len(name.encode("utf-8")) <= 120
    assert name.split(".")[0].upper() not in ("CON", "LPT1")


def test_safe_filename_truncates_on_character_boundaries_with_a_stable_hash():
    a, b = safe_filename("项目" * 100 + "甲"), safe_filename("项目" * 100 + "乙")
    assert a != b  # the hash keeps two long names with the same prefix apart
    assert a == safe_filename("项目" * 100 + "甲")  # deterministic
    a.encode("utf-8").decode("utf-8")  # never half a CJK character


def test_unsafe_name_reasons_and_sheet_names():
    assert is_unsafe_name("车辆保险费") is None
    assert is_unsafe_name("a/b") and is_unsafe_name("a..b") and is_unsafe_name("a:b")
    assert is_unsafe_name("长" * 300, 200)
    s = safe_sheet_name("很长的项目名称" * 10 + "[1]")
    assert len(s) <= 31 and "[" not in s
    taken: set[str] = set()
    assert [unique("a", taken), unique("A", taken), unique("a", taken)] == ["a", "A~2", "a~3"]


# --- XML text ---------------------------------------------------------------------------------

def test_text_starting_with_equals_is_written_as_text_never_a_formula():
    xml = cell_value("A1", "", "=SUM(1,2)")
    assert 't="inlineStr"' in xml and "<f>" not in xml and "=SUM(1,2)" in xml


def test_escaping_of_markup_controls_and_literal_escapes():
    assert esc("a<b&c>") == "a&lt;b&amp;c&gt;"
    assert esc("x\x01y") == "x_x0001_y"
    assert esc("_x0041_") == "_x005F_x0041_"  # a literal escape sequence stays literal
    text = esc("控制\x0b字符")
    root = etree.fromstring(("<t>" + text + "</t>").encode())
    assert root.text == "控制_x000B_字符"


# --- zip --------------------------------------------------------------------------------------

def test_zip_writer_output_reads_back_and_is_deterministic():
    members = [member("a.xml", b"<a/>" * 100), member("tiny", b"x"), member("中文.xml", "文本".encode() * 50)]
    data = zip_bytes(members)
    assert data == zip_bytes(members)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.testzip() is None
        assert z.read("a.xml") == b"<a/>" * 100 and z.read("tiny") == b"x"
        assert z.read("中文.xml").decode() == "文本" * 50
        assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in z.infolist())


# --- compiling ----------------------------------------------------------------------------------

def _template_with(tmp_path: Path, cells: dict[str, str]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "表"
    for ref, v in cells.items():
        ws[ref] = v
    p = tmp_path / "t.xlsx"
    wb.save(p)
    return p


def test_unknown_placeholders_are_reported_with_their_cell(tmp_path):
    with pytest.raises(TemplateError, match=r"B2.*project\.nmae"):
        compile_template(_template_with(tmp_path, {"A1": "{{ year }}", "B2": "{{ project.nmae }}"}))
    with pytest.raises(TemplateError, match="计算单元格"):
        compile_template(_template_with(tmp_path, {"A1": "{{ score.total }}"}))


def test_one_repeating_row_per_collection(tmp_path):
    with pytest.raises(TemplateError, match="ind"):
        compile_template(_template_with(tmp_path, {"A3": "{{ ind.level3 }}", "A5": "{{ ind.target }}"}))


@pytest.mark.parametrize("kind", KINDS)
def test_standard_templates_compile_to_their_kind(kind):
    ct = compile_template(TEMPLATES / f"{kind}.xlsx")
    assert ct.kind == kind
    assert "ind" in ct.blocks and ct.protected
    assert ("task" in ct.blocks) == kind.startswith("unit")


# --- stamping -----------------------------------------------------------------------------------

def _inds(n: int) -> list[dict]:
    level1 = ["产出指标"] * 3 + ["效益指标"] * 2 + ["满意度指标"] * (n - 5)
    level2 = ["数量指标", "数量指标", "质量指标", "社会效益指标", "社会效益指标"] + ["服务对象满意度指标"] * (n - 5)
    return [{"seq": k + 1, "level1": level1[k], "level2": level2[k], "level3": f"指标{k + 1}", "target": "≥90%",
             "unit": "%", "nature": "定量", "direction": "大于或等于", "weight": 10.0, "actual": 95,
             "target_number": 90.0, "target_unit": "%", "target_sense": "大于或等于"} for k in range(n)]


def _sheet(data: bytes) -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return etree.fromstring(z.read("xl/worksheets/sheet1.xml"))


@pytest.mark.parametrize("kind", KINDS)
def test_stamped_sheet_keeps_the_worksheet_element_order(kind):
    ct = compile_template(TEMPLATES / f"{kind}.xlsx")
    root = _sheet(stamp(ct, FormData({"year": 2022}, {"ind": _inds(7), "task": [{"name": "任务"}] * 3})))
    names = [etree.QName(c).localname for c in root]
    assert names == sorted(names, key=ORDER.index)
    merges = root.find(f"{M}mergeCells")
    assert int(merges.get("count")) == len(merges)


def test_repeating_rows_merge_level_runs_and_expand_validations_and_formats():
    ct = compile_template(TEMPLATES / "project-selfeval.xlsx")
    first = ct.blocks["ind"]
    root = _sheet(stamp(ct, FormData({"year": 2022}, {"ind": _inds(7)})))
    merges = {m.get("ref") for m in root.iter(f"{M}mergeCell")}
    assert f"A{first}:A{first + 2}" in merges  # 产出指标 over three rows
    assert f"B{first}:B{first + 1}" in merges  # 数量指标 within it
    assert f"A{first + 5}:A{first + 6}" in merges
    sq = [dv.get("sqref") for dv in root.iter(f"{M}dataValidation")]
    assert f"A{first}:A{first + 6}" in sq
    cf = [c.get("sqref") for c in root.iter(f"{M}conditionalFormatting")]
    assert any(s.endswith(str(first + 6)) for s in cf)
    # the total row moved below the seven copies and sums all of them
    formulas = {c.get("r"): c.find(f"{M}f").text for c in root.iter(f"{M}c") if c.find(f"{M}f") is not None}
    assert any(f"SUM(K{first}:K{first + 6})" in f for f in formulas.values())


def test_print_area_names_and_protection_password():
    ct = compile_template(TEMPLATES / "project-target.xlsx")
    data = stamp(ct, FormData({"year": 2022}, {"ind": _inds(9)}), StampOptions(password="secret"))
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        wb = z.read("xl/workbook.xml").decode()
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    first = ct.blocks["ind"]
    assert f"$A$1:$I${first + 8}" in wb  # print area grew with the rows
    assert "_xlnm.Print_Titles" in wb and "_xlt_ind" in wb and '"project-target"' in wb
    from openpyxl.utils.protection import hash_password
    assert f'password="{hash_password("secret")}"' in sheet


def test_same_input_same_bytes_and_no_formula_from_text():
    ct = compile_template(TEMPLATES / "project-target.xlsx")
    data = FormData({"year": 2022, "project.name": "=HYPERLINK(\"http://x\")"}, {"ind": _inds(6)})
    a, b = stamp(ct, data), stamp(ct, data)
    assert a == b
    ws = openpyxl.load_workbook(io.BytesIO(a)).worksheets[0]
    values = [c.value for row in ws.iter_rows() for c in row]
    assert '=HYPERLINK("http://x")' in values  # openpyxl reads it back as the text it is
    with zipfile.ZipFile(io.BytesIO(a)) as z:
        assert "HYPERLINK" not in "".join(re.findall(r"<f>.*?</f>", z.read("xl/worksheets/sheet1.xml").decode()))


def test_row_heights_grow_for_long_chinese_text():
    ct = compile_template(TEMPLATES / "project-target.xlsx")
    long_goal = "缴纳车辆保险，保障公务用车的正常运行。" * 12
    root = _sheet(stamp(ct, FormData({"year": 2022, "project.goal": long_goal}, {"ind": _inds(6)})))
    r, _ = ct.positions["project.goal"]
    row = next(x for x in root.iter(f"{M}row") if x.get("r") == str(r))
    assert row.get("customHeight") == "1" and float(row.get("ht")) > 60


# --- generated docs cannot drift ----------------------------------------------------------------

def test_schema_and_placeholder_docs_match_the_code():
    from xltools.templating.schema import schema_markdown
    from xltools.templating.vocabulary import describe
    assert (TEMPLATES / "master-schema.md").read_text(encoding="utf-8") == schema_markdown()
    assert describe() in (TEMPLATES / "placeholders.md").read_text(encoding="utf-8")


def test_every_standard_placeholder_is_in_the_vocabulary_and_documented():
    from xltools.templating.vocabulary import COMPUTED, VALUES
    text = (TEMPLATES / "placeholders.md").read_text(encoding="utf-8")
    for kind in KINDS:
        for path in compile_template(TEMPLATES / f"{kind}.xlsx").positions:
            assert path in VALUES or path in COMPUTED
            assert f"{{{{ {path} }}}}" in text or f"{{{{ ={path} }}}}" in text


def test_master_codes_are_registered_in_the_master_family():
    from xltools.core.codes import FAMILIES, REGISTRY
    assert "master" in FAMILIES
    ours = [c for c in REGISTRY.values() if c.family == "master"]
    assert {c.code for c in ours} == {
        "master-sheet-missing", "master-column-missing", "master-missing-value", "master-duplicate-code",
        "master-unknown-code", "master-no-indicators", "master-unsafe-name", "master-formula-text",
        "master-bad-number", "master-bad-setting", "master-bad-value"}
    assert all(c.severity.value == "error" for c in ours)
