"""Findings on a workbook: highlights, notes, the 校验结果 sheet, re-annotation and clearing."""
from __future__ import annotations

import re
import warnings

import openpyxl
import pytest
from lxml import etree

from fixtures_ooxml import M, R, canon, check_package, parts, workbook_sheets, xml
from fixtures_rich import (MAIN_SHEET, QUOTE_SHEET, USER_COMMENT_CELL, USER_COMMENT_TEXT,  # noqa: F401
                           rich_xlsm, rich_xlsx)
from xltools.core.edits import CellEdit
from xltools.core.findings import Finding, Severity
from xltools.io.sheet_patch import ooxml_text
from xltools.io.writer import save_copy

_M = f"{{{M}}}"
RGB = {Severity.ERROR: "FFFFC7CE", Severity.WARNING: "FFFFEB9C", Severity.INFO: "FFDDEBF7"}
LABEL = {Severity.ERROR: "【错误】", Severity.WARNING: "【警告】", Severity.INFO: "【提示】"}

F_ERR = Finding("execution-rate-mismatch", Severity.ERROR, MAIN_SHEET, "F5", 5,
                "执行率 100.00% 与 全年执行数/全年预算数（80/80）不符，应为 100.00%", "100.00%")
F_WARN = Finding("reason-missing", Severity.WARNING, MAIN_SHEET, "F5", 5, "得分低于分值，但偏差原因为空")
F_INFO = Finding("not-normalised", Severity.INFO, MAIN_SHEET, "G6", 6, "指标值“良 ”建议规范写为“良”", "良")
F_USER = Finding("reason-missing", Severity.WARNING, MAIN_SHEET, USER_COMMENT_CELL, 4, "偏差原因为空")
F_QUOTE = Finding("target-missing", Severity.ERROR, QUOTE_SHEET, "A2", 2, "指标值为空")
F_EMPTY = Finding("actual-missing", Severity.ERROR, MAIN_SHEET, "K30", 30, "实际完成值为空")
F_MERGED = Finding("table-not-found", Severity.WARNING, MAIN_SHEET, "D1", 1, "表头不完整")
F_NOSHEET = Finding("table-not-found", Severity.ERROR, "不存在的表", "A1", 1, "找不到指标表")
F_BADREF = Finding("weights-sum", Severity.ERROR, MAIN_SHEET, "第3行", 3, "分值合计不为 100")
ALL = [F_ERR, F_WARN, F_INFO, F_USER, F_QUOTE, F_EMPTY, F_MERGED, F_NOSHEET, F_BADREF]


def _load(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return openpyxl.load_workbook(path)


def _style(cell):
    return (cell.font.name, cell.font.b, cell.font.sz, cell.border.left.style, cell.border.bottom.style,
            cell.number_format, cell.alignment.horizontal, cell.alignment.wrap_text, cell.protection.locked)


@pytest.fixture
def annotated(rich_xlsx, tmp_path):
    dst = tmp_path / "annotated.xlsx"
    save_copy(rich_xlsx, dst, findings=ALL)
    return rich_xlsx, dst


def test_highlight_by_worst_severity_keeps_the_rest_of_the_style(annotated):
    src, dst = annotated
    before, after = _load(src), _load(dst)
    cases = {(MAIN_SHEET, "F5"): Severity.ERROR, (MAIN_SHEET, "G6"): Severity.INFO,
             (MAIN_SHEET, "B4"): Severity.WARNING, (QUOTE_SHEET, "A2"): Severity.ERROR,
             (MAIN_SHEET, "A1"): Severity.WARNING}  # D1 lies in the merged A1:H1
    for (sheet, ref), sev in cases.items():
        cell = after[sheet][ref]
        assert cell.fill.fill_type == "solid" and cell.fill.fgColor.rgb == RGB[sev], (sheet, ref)
        assert _style(cell) == _style(before[sheet][ref]), (sheet, ref)
        assert cell.value == before[sheet][ref].value
    assert after[MAIN_SHEET]["K30"].fill.fgColor.rgb == RGB[Severity.ERROR]
    # Unmarked neighbours keep their fill.
    assert after[MAIN_SHEET]["F6"].fill.fill_type is None
    assert check_package(dst) == []


def test_notes_list_every_message_and_keep_the_users_note(annotated):
    _, dst = annotated
    ws = _load(dst)[MAIN_SHEET]
    note = ws["F5"].comment
    assert note.author == "xltools"
    lines = note.text.splitlines()
    assert f"{LABEL[Severity.ERROR]}{F_ERR.code}：{F_ERR.message}" in lines
    assert f"{LABEL[Severity.WARNING]}{F_WARN.code}：{F_WARN.message}" in lines
    info = ws["G6"].comment.text
    assert f"{LABEL[Severity.INFO]}{F_INFO.code}：{F_INFO.message}" in info and "期望值：良" not in info
    user = ws[USER_COMMENT_CELL].comment
    assert user.author == "张三"
    assert user.text.startswith(USER_COMMENT_TEXT) and f"{F_USER.code}：{F_USER.message}" in user.text
    assert _load(dst)[QUOTE_SHEET]["A2"].comment is not None
    # Findings on an unknown sheet or an unreadable address are in 校验结果 only.
    noted = [c.comment.text for wsx in _load(dst).worksheets for row in wsx.iter_rows() for c in row if c.comment]
    assert not any(F_NOSHEET.message in t or F_BADREF.message in t for t in noted)


def test_report_sheet_lists_every_finding_with_links(annotated):
    _, dst = annotated
    wb = _load(dst)
    assert wb.sheetnames[-1] == "校验结果"
    rep = wb["校验结果"]
    header = [c.value for c in rep[1][:8]]
    assert header == ["序号", "工作表", "单元格", "行", "级别", "代码", "说明", "期望值"]
    assert rep.freeze_panes == "A2"
    assert rep.auto_filter.ref == f"A1:H{len(ALL) + 1}"
    assert rep["A1"].font.b
    sheet_names = set(wb.sheetnames)
    for i, f in enumerate(ALL, 2):
        row = [c.value for c in rep[i][:8]]
        assert row[0] == i - 1 and row[1] == f.sheet and row[3] == f.row
        assert row[4] == Severity(f.severity).label_zh and row[5] == f.code and row[6] == f.message
        assert (row[7] or None) == f.expected
        assert rep.cell(i, 5).fill.fgColor.rgb == RGB[f.severity]
        link = rep.cell(i, 3).hyperlink
        if f.sheet in sheet_names and re.fullmatch(r"[A-Z]+\d+", f.cell):
            quoted = "'" + f.sheet.replace("'", "''") + "'"
            assert link is not None and link.location == f"{quoted}!{f.cell}" and not link.target
            assert rep.cell(i, 3).value == f.cell
        else:
            assert link is None
    # No HYPERLINK() formulas: real internal hyperlinks without relationships.
    part = dict(workbook_sheets(parts(dst)))["校验结果"]
    assert b"HYPERLINK" not in parts(dst)[part] and f"{part.rsplit('/', 1)[0]}/_rels/" \
        f"{part.rsplit('/', 1)[1]}.rels" not in parts(dst)
    # CJK widths: about 2 units per character, the message column capped and wrapped.
    assert rep.column_dimensions["B"].width >= 2 * len(MAIN_SHEET)
    assert 20 <= rep.column_dimensions["G"].width <= 70
    assert rep.cell(2, 7).alignment.wrap_text
    assert rep.column_dimensions["J"].hidden


HOSTILE_TEXTS = ["A & B <c> \"引号\" 'x'", "  前后空格  ", "两行\n第二行", "制表\t符", "控制\x01字符\x0b",
                 "_x0041_ 像转义", "=SUM(A1:A2)", "全角　空格", "回车\r换行"]


def test_report_sheet_keeps_every_text_as_written(rich_xlsx, tmp_path):
    """The 校验结果 sheet is written as XML text: markup characters, spaces at the ends, new
    lines, control characters and formula-like text must come back as the findings hold them."""
    findings = [Finding("reason-missing", Severity.WARNING, MAIN_SHEET, f"B{4 + k}", 4 + k, text, text)
                for k, text in enumerate(HOSTILE_TEXTS)]
    dst = tmp_path / "hostile.xlsx"
    save_copy(rich_xlsx, dst, findings=findings)
    assert check_package(dst) == []
    rep = _load(dst)["校验结果"]
    for i, f in enumerate(findings, 2):
        # openpyxl leaves Excel's _xHHHH_ escapes (control characters, and "_x" itself) as written.
        assert rep.cell(i, 7).value == ooxml_text(f.message) and rep.cell(i, 8).value == ooxml_text(f.expected)
        assert rep.cell(i, 7).data_type == "s"  # text, never a formula
        assert rep.cell(i, 3).hyperlink.location == f"'{MAIN_SHEET}'!{f.cell}"
    # Excel and LibreOffice drop spaces at the ends and new lines of a <t> without xml:space.
    report = xml(parts(dst)[dict(workbook_sheets(parts(dst)))["校验结果"]])
    kept = [t for t in report.iter(_M + "t") if t.text and (t.text != t.text.strip() or "\n" in t.text)]
    assert len(kept) >= 4
    assert all(t.get("{http://www.w3.org/XML/1998/namespace}space") == "preserve" for t in kept)


def test_filter_database_name_and_existing_names_untouched(annotated):
    src, dst = annotated
    names_src = [(d.get("name"), d.get("localSheetId"), d.text) for d in xml(parts(src)["xl/workbook.xml"]).iter(_M + "definedName")]
    names_dst = [(d.get("name"), d.get("localSheetId"), d.text) for d in xml(parts(dst)["xl/workbook.xml"]).iter(_M + "definedName")]
    assert names_dst[: len(names_src)] == names_src
    assert names_dst[len(names_src):] == [("_xlnm._FilterDatabase", "3", f"'校验结果'!$A$1:$H${len(ALL) + 1}")]
    app = parts(dst)["docProps/app.xml"].decode()
    assert "<vt:lpstr>校验结果</vt:lpstr>" in app and "<vt:i4>4</vt:i4>" in app


def _semantically_equal(a, b):
    pa, pb = parts(a), parts(b)
    assert set(pa) == set(pb)
    for name in pa:
        if pa[name] != pb[name]:
            assert name.endswith((".xml", ".rels")), f"{name} differs"
            assert canon(xml(pa[name])) == canon(xml(pb[name])), f"{name} differs"


def test_clear_marks_gives_the_original_back(annotated, tmp_path):
    src, dst = annotated
    cleared = tmp_path / "cleared.xlsx"
    save_copy(dst, cleared, clear_marks=True)
    _semantically_equal(src, cleared)
    assert check_package(cleared) == []


def test_clear_marks_on_xlsm_keeps_vba(rich_xlsm, tmp_path):
    ann, cleared = tmp_path / "a.xlsm", tmp_path / "c.xlsm"
    save_copy(rich_xlsm, ann, findings=ALL)
    save_copy(ann, cleared, clear_marks=True)
    _semantically_equal(rich_xlsm, cleared)
    assert parts(cleared)["xl/vbaProject.bin"] == parts(rich_xlsm)["xl/vbaProject.bin"]


def test_reannotating_replaces_earlier_marks(annotated, tmp_path):
    src, first = annotated
    second = tmp_path / "second.xlsx"
    later = [Finding("score-over-weight", Severity.ERROR, MAIN_SHEET, "D6", 6, "得分大于分值")]
    save_copy(first, second, findings=later)
    wb, orig = _load(second), _load(src)
    assert wb.sheetnames.count("校验结果") == 1 and wb.sheetnames[-1] == "校验结果"
    assert wb["校验结果"].max_row == 2
    ws = wb[MAIN_SHEET]
    assert ws["D6"].fill.fgColor.rgb == RGB[Severity.ERROR]
    for ref in ("F5", "G6", "A1"):
        assert ws[ref].fill.fill_type == orig[MAIN_SHEET][ref].fill.fill_type
        assert ws[ref].comment is None
    assert ws[USER_COMMENT_CELL].comment.text == USER_COMMENT_TEXT
    assert wb[QUOTE_SHEET]["A2"].comment is None
    assert ws["K30"].value is None and "K30" not in parts(second)["xl/worksheets/sheet1.xml"].decode()
    # Styles do not grow from one annotation to the next of the same kind.
    styles = lambda p: len(xml(parts(p)["xl/styles.xml"]).find(_M + "cellXfs"))  # noqa: E731
    third = tmp_path / "third.xlsx"
    save_copy(second, third, findings=later)
    assert styles(third) == styles(second)
    names = [d.get("name") for d in xml(parts(third)["xl/workbook.xml"]).iter(_M + "definedName")]
    assert names.count("_xlnm._FilterDatabase") == 1


def test_clear_after_user_moved_the_report_sheet(annotated, tmp_path):
    """Deleting a sheet that is not last renumbers localSheetId and activeTab of the ones after it."""
    src, dst = annotated
    moved = tmp_path / "moved.xlsx"
    import zipfile

    p = parts(dst)
    wb = xml(p["xl/workbook.xml"])
    sheets = wb.find(_M + "sheets")
    report = [s for s in sheets if s.get("name") == "校验结果"][0]
    sheets.remove(report)
    sheets.insert(0, report)
    for d in wb.iter(_M + "definedName"):
        d.set("localSheetId", "0" if d.get("name") == "_xlnm._FilterDatabase" else str(int(d.get("localSheetId", "-1")) + 1)) \
            if d.get("localSheetId") is not None else None
    wb.find(f"{_M}bookViews/{_M}workbookView").set("activeTab", "1")
    p["xl/workbook.xml"] = etree.tostring(wb, xml_declaration=True, encoding="UTF-8", standalone=True)
    with zipfile.ZipFile(moved, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in p.items():
            zf.writestr(name, data)
    cleared = tmp_path / "cleared.xlsx"
    save_copy(moved, cleared, clear_marks=True)
    names = lambda path: [(d.get("name"), d.get("localSheetId")) for d in xml(parts(path)["xl/workbook.xml"]).iter(_M + "definedName")]  # noqa: E731
    assert names(cleared) == names(src)
    assert xml(parts(cleared)["xl/workbook.xml"]).find(f"{_M}bookViews/{_M}workbookView").get("activeTab") == "0"
    assert _load(cleared).sheetnames == _load(src).sheetnames


def test_edits_and_findings_together(rich_xlsx, tmp_path):
    dst = tmp_path / "both.xlsx"
    edit = CellEdit(MAIN_SHEET, 5, 6, 1.0, formula="E5/D5", number_format="0.00%")
    save_copy(rich_xlsx, dst, edits=[edit], findings=[F_ERR])
    ws = _load(dst)[MAIN_SHEET]
    assert ws["F5"].value == "=E5/D5" and ws["F5"].fill.fgColor.rgb == RGB[Severity.ERROR]
    assert ws["F5"].number_format == "0.00%"
    assert check_package(dst) == []


def test_report_sheet_name_collision_with_quotes_and_legacy_drawing_order(annotated):
    _, dst = annotated
    p = parts(dst)
    quote_part = dict(workbook_sheets(p))[QUOTE_SHEET]
    root = xml(p[quote_part])
    assert root.find(_M + "legacyDrawing") is not None
    rid = root.find(_M + "legacyDrawing").get(f"{{{R}}}id")
    assert rid and check_package(dst) == []


def test_a_users_own_report_named_sheet_is_kept(tmp_path):
    import xlsxwriter

    src = tmp_path / "own.xlsx"
    wb = xlsxwriter.Workbook(str(src))
    wb.add_worksheet("表").write("A1", "数据")
    wb.add_worksheet("校验结果").write("A1", "用户自己的校验记录")
    wb.close()
    ann, again, cleared = tmp_path / "a.xlsx", tmp_path / "b.xlsx", tmp_path / "c.xlsx"
    finding = Finding("target-missing", Severity.ERROR, "表", "A1", 1, "指标值为空")
    save_copy(src, ann, findings=[finding])
    assert _load(ann).sheetnames == ["表", "校验结果", "校验结果2"]
    assert _load(ann)["校验结果"]["A1"].value == "用户自己的校验记录"
    save_copy(ann, again, findings=[finding])
    assert _load(again).sheetnames == ["表", "校验结果", "校验结果2"]
    save_copy(again, cleared, clear_marks=True)
    assert _load(cleared).sheetnames == ["表", "校验结果"]
    _semantically_equal(src, cleared)


def test_workbook_written_by_openpyxl(tmp_path):
    """openpyxl's conventions differ (no spans, its own VML); marks and clearing still work."""
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    src = tmp_path / "opx.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "表"
    ws["A1"], ws["B2"], ws["C3"] = "标题", 12.5, "=B2*2"
    ws["A1"].font = Font(bold=True)
    ws["B2"].fill = PatternFill("solid", fgColor="FF00FF00")
    ws["B2"].comment = Comment("原有批注", "李四")
    wb.save(src)
    findings = [Finding("cell-error", Severity.ERROR, "表", "B2", 2, "数值可疑"),
                Finding("cell-error", Severity.INFO, "表", "A1", 1, "标题")]
    ann, cleared = tmp_path / "a.xlsx", tmp_path / "c.xlsx"
    save_copy(src, ann, findings=findings)
    assert check_package(ann) == []
    got = _load(ann)["表"]
    assert got["B2"].fill.fgColor.rgb == RGB[Severity.ERROR] and got["A1"].font.b
    assert got["B2"].comment.text.startswith("原有批注") and "数值可疑" in got["B2"].comment.text
    assert "标题" in got["A1"].comment.text
    save_copy(ann, cleared, clear_marks=True)
    _semantically_equal(src, cleared)
    back = _load(cleared)["表"]
    assert back["B2"].fill.fgColor.rgb == "FF00FF00" and back["B2"].comment.text == "原有批注"


def test_clear_marks_left_by_the_excel_add_in(tmp_path):
    """The add-in marks live books with its own record (original colours); clearing a saved one works."""
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    live = pytest.importorskip("xltools.excel.xlwings_book")
    src = tmp_path / "live.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "表"
    ws["A1"], ws["B2"] = "标题", 3.5
    ws["A1"].fill = PatternFill("solid", fgColor="FFFF0000")  # what the add-in coloured
    ws["A1"].comment = Comment(live.merged_note(None, ["【错误】x：消息"]), "xltools")
    ws["B2"].fill = PatternFill("solid", fgColor=RGB[Severity.WARNING])
    rep = wb.create_sheet("校验结果")
    rep.cell(1, 10, live.LIVE_RECORD_HEADER)
    rep.cell(2, 10, live.record_line("表", "A1", (0, 128, 0)))
    rep.cell(3, 10, live.record_line("表", "B2", None))
    wb.save(src)
    ws["A1"].fill = PatternFill("solid", fgColor="FFC7CE")
    wb.save(src)
    cleared = tmp_path / "cleared.xlsx"
    save_copy(src, cleared, clear_marks=True)
    got = _load(cleared)
    assert got.sheetnames == ["表"]
    assert got["表"]["A1"].fill.fgColor.rgb == "FF008000"
    assert got["表"]["B2"].fill.fill_type is None
    assert got["表"]["A1"].comment is None
    assert check_package(cleared) == []


@pytest.mark.parametrize("users_order", [("A1", "C3", "E9"), ("E9", "A1", "C3")])
def test_new_notes_go_before_the_first_note_on_a_later_cell(tmp_path, users_order):
    """In cell order when the user's notes are (the common case, found by bisection since a
    sheet may get thousands of notes), and before the first later one in the list when not."""
    import io
    import zipfile

    from openpyxl.comments import Comment
    from xltools.io.sheet_patch import parse_ref

    src = tmp_path / "notes.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "表"
    for ref in users_order:
        ws[ref] = "值"
        ws[ref].comment = Comment(f"用户批注{ref}", "李四")
    for ref in ("B2", "D4", "A5", "F12"):
        ws[ref] = "值"
    wb.save(src)
    # Put the user's notes in the order asked (openpyxl writes them in cell order).
    raw = io.BytesIO()
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as zout:
        for name in zin.namelist():
            data = zin.read(name)
            if name.startswith("xl/comments"):
                root = etree.fromstring(data)
                lst = root.find(f"{{{M}}}commentList")
                notes = {c.get("ref"): c for c in lst}
                for c in list(lst):
                    lst.remove(c)
                for ref in users_order:
                    lst.append(notes[ref])
                data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            zout.writestr(name, data)
    src.write_bytes(raw.getvalue())
    added = ("D4", "B2", "F12", "A5")
    findings = [Finding("cell-error", Severity.ERROR, "表", ref, parse_ref(ref)[0], f"消息{ref}") for ref in added]
    out = tmp_path / "annotated.xlsx"
    save_copy(src, out, findings=findings)

    expected = list(users_order)  # each new note goes before the first note (in the list) on a later cell
    for ref in added:  # annotate adds them in the findings' order
        later = next((i for i, other in enumerate(expected) if parse_ref(other) > parse_ref(ref)), len(expected))
        expected.insert(later, ref)
    with zipfile.ZipFile(out) as z:
        [part] = [n for n in z.namelist() if n.startswith("xl/comments")]
        got = [c.get("ref") for c in etree.fromstring(z.read(part)).iter(f"{{{M}}}comment")]
    assert got == expected
    if users_order == tuple(sorted(users_order, key=parse_ref)):
        assert got == sorted(got, key=parse_ref)
