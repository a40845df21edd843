"""Make the four standard templates (templates/*.xlsx) with XlsxWriter, laid out like the seed forms.

Run ``python templates/make_templates.py`` after changing a layout; the .xlsx files are
committed, and maintainers may restyle them in Excel (see docs/templates.md). Placeholders:
``{{ path }}`` values, ``{{ =path }}`` live formulas; the row holding ``ind.*`` placeholders
repeats once per indicator, the row holding ``task.*`` once per key task.
"""
from __future__ import annotations

import sys
from pathlib import Path

import xlsxwriter

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from xltools.templating.lists import FRAMEWORKS, LEVEL1_NAME, NATURES  # noqa: E402
from xltools.templating.formulas import DIRECTION_WORDS  # noqa: E402
from xltools.templating.compiler import LISTS_SHEET  # noqa: E402

KINDS = {
    "project-target": "项目支出绩效目标表",
    "unit-target": "部门整体支出绩效目标表",
    "project-selfeval": "项目支出绩效自评表",
    "unit-selfeval": "部门整体支出绩效自评表",
}
BODY = {"font_name": "宋体", "font_size": 10, "valign": "vcenter", "text_wrap": True, "border": 1}
ACTUAL_HELP = "定量指标填数值，单位同目标值（96% 可填 96 或 96%）；定性指标填文字，如“达成年度指标”“部分达成年度指标并具有一定效果”"


class Sheet:
    """Small helpers over an XlsxWriter worksheet: labelled, input and computed cells."""

    def __init__(self, wb: xlsxwriter.Workbook, name: str):
        self.wb = wb
        self.ws = wb.add_worksheet(name)
        f = wb.add_format
        self.title = f({"font_name": "黑体", "font_size": 16, "bold": True, "align": "center", "valign": "vcenter"})
        self.label = f({**BODY, "bold": True, "align": "center", "bg_color": "#F2F2F2"})
        self.text = f({**BODY, "align": "center"})
        self.input = f({**BODY, "locked": False})
        self.input_c = f({**BODY, "align": "center", "locked": False})
        self.money_in = f({**BODY, "align": "right", "num_format": "#,##0.00", "locked": False})
        self.money = f({**BODY, "align": "right", "num_format": "#,##0.00", "bg_color": "#F7F7F7"})
        self.rate = f({**BODY, "align": "right", "num_format": "0.00%", "bg_color": "#F7F7F7"})
        self.pct_in = f({**BODY, "align": "center", "num_format": "0%", "locked": False})
        self.score = f({**BODY, "align": "center", "num_format": "0.00", "bg_color": "#F7F7F7"})
        self.weight_in = f({**BODY, "align": "center", "num_format": "0.00", "locked": False})
        self.helper = f({**BODY, "font_color": "#808080"})
        self.note = f({"font_name": "宋体", "font_size": 10, "align": "right", "valign": "vcenter"})
        self.grade = f({**BODY, "bold": True, "align": "center", "bg_color": "#F7F7F7"})
        self.red = f({"bg_color": "#FFC7CE", "font_color": "#9C0006"})
        self.yellow = f({"bg_color": "#FFEB9C", "font_color": "#9C5700"})
        self.orange = f({"bg_color": "#FCD5B4"})

    def put(self, r: int, c1: int, text: str, fmt, c2: int | None = None) -> None:
        """Write text at (r, c1), merged to c2 when given (0-based, as XlsxWriter)."""
        if c2 is not None and c2 > c1:
            self.ws.merge_range(r, c1, r, c2, "", fmt)
        self.ws.write_string(r, c1, text, fmt)

    def vlabel(self, r1: int, r2: int, c: int, text: str) -> None:
        self.ws.merge_range(r1, c, r2, c, "", self.label)
        self.ws.write_string(r1, c, text, self.label)


def _lists(wb: xlsxwriter.Workbook) -> None:
    ws = wb.add_worksheet(LISTS_SHEET)
    fw = FRAMEWORKS["2015"]
    ws.write_column(0, 0, ["一级", *fw])
    for c, (name, level2) in enumerate(fw.items(), start=1):
        ws.write_column(0, c, [name, *level2])
    ws.hide()
    q = LISTS_SHEET
    wb.define_name(LEVEL1_NAME, f"={q}!$A$2:$A${len(fw) + 1}")
    for c, (name, level2) in enumerate(fw.items(), start=1):
        col = chr(ord("A") + c)
        wb.define_name(name, f"={q}!${col}$2:${col}${len(level2) + 1}")


def _page(s: Sheet, header_row: int, last_col: int, last_row: int, title_field: str) -> None:
    ws = s.ws
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.center_horizontally()
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.repeat_rows(header_row)
    ws.print_area(0, 0, last_row, last_col)
    # font size first, then the font: digits right after "&9" would be read as part of the size
    ws.set_header("&L&9&\"宋体\"{{ " + title_field + " }}&R&9&\"宋体\"{{ year }}年度")
    ws.set_footer("&C&9&\"宋体\"第 &P 页，共 &N 页")
    ws.protect("", {"format_columns": True, "format_rows": True, "select_locked_cells": True,
                    "select_unlocked_cells": True})
    ws.hide_gridlines(2)


def _indicator_validations(s: Sheet, r: int, cols: dict[str, int], selfeval: bool) -> None:
    ws = s.ws
    helper = xlsxwriter.utility.xl_col_to_name(cols["level1_key"])
    ws.data_validation(r, cols["level1"], r, cols["level1"], {
        "validate": "list", "source": f"={LEVEL1_NAME}", "input_title": "一级指标", "input_message": "从列表中选择"})
    ws.data_validation(r, cols["level2"], r, cols["level2"], {
        "validate": "list", "source": f"=INDIRECT(${helper}{r + 1})", "input_title": "二级指标",
        "input_message": "随一级指标变化的列表"})
    ws.data_validation(r, cols["nature"], r, cols["nature"], {"validate": "list", "source": list(NATURES)})
    ws.data_validation(r, cols["direction"], r, cols["direction"], {"validate": "list", "source": list(DIRECTION_WORDS)})
    if selfeval:
        ws.data_validation(r, cols["weight"], r, cols["weight"], {
            "validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 100,
            "error_message": "分值应为 0 到 100 之间的数"})
        ws.data_validation(r, cols["actual"], r, cols["actual"], {
            "validate": "any", "input_title": "实际完成值", "input_message": ACTUAL_HELP[:255]})
        ws.data_validation(r, cols["manual_score"], r, cols["manual_score"], {
            "validate": "decimal", "criteria": ">=", "value": 0, "input_title": "定性评分",
            "input_message": "定性指标部分达成时填 60%–80% 分值，未达成时填 0–60% 分值；达成时自动满分"})


def _indicator_formats(s: Sheet, r: int, cols: dict[str, int], selfeval: bool) -> None:
    L = xlsxwriter.utility.xl_col_to_name
    ws = s.ws
    name, target = L(cols["level3"]), L(cols["target"])
    ws.conditional_format(r, cols["target"], r, cols["target"], {
        "type": "formula", "criteria": f'=AND(${name}{r + 1}<>"",TRIM(${target}{r + 1})="")', "format": s.yellow})
    if selfeval:
        actual, weight, score = L(cols["actual"]), L(cols["weight"]), L(cols["score"])
        ws.conditional_format(r, cols["actual"], r, cols["actual"], {
            "type": "formula", "criteria": f'=AND(${name}{r + 1}<>"",TRIM(${actual}{r + 1})="")', "format": s.yellow})
        ws.conditional_format(r, cols["score"], r, cols["score"], {
            "type": "formula", "criteria": f"=AND(ISNUMBER(${score}{r + 1}),ISNUMBER(${weight}{r + 1}),"
                                           f"${score}{r + 1}>${weight}{r + 1})", "format": s.red})


def _indicator_block(s: Sheet, header: int, fields: list[tuple[str, str, int, object]], selfeval: bool) -> dict:
    """Header row and repeating row: fields are (field, header label, width, format)."""
    ws = s.ws
    cols = {}
    for c, (fld, label, width, fmt) in enumerate(fields):
        cols[fld] = c
        hidden = fld in ("level1_key", "target_number", "target_unit", "target_sense", "sense", "actual_number")
        ws.set_column(c, c, width, None, {"hidden": hidden})
        ws.write_string(header, c, label, s.label)
        computed = fld in ("level1_key", "score", "sense", "actual_number")
        text = f"{{{{ ={'ind.' + fld} }}}}" if computed else f"{{{{ ind.{fld} }}}}"
        ws.write_string(header + 1, c, text, fmt)
    _indicator_validations(s, header + 1, cols, selfeval)
    _indicator_formats(s, header + 1, cols, selfeval)
    return cols


def project_target(wb: xlsxwriter.Workbook) -> None:
    s = Sheet(wb, KINDS["project-target"])
    ws, put = s.ws, s.put
    fields = [("level1", "一级指标", 10, s.input_c), ("level2", "二级指标", 12, s.input_c),
              ("level3", "三级指标", 22, s.input), ("description", "绩效指标描述", 22, s.input),
              ("nature", "指标性质", 7, s.input_c), ("direction", "指标方向", 10, s.input_c),
              ("target", "指标值", 13, s.input_c), ("unit", "计量单位", 8, s.input_c),
              ("basis", "指标值确定依据", 14, s.input), ("level1_key", "辅助：一级", 10, s.helper)]
    put(0, 0, "{{ year }}年度项目支出绩效目标表", s.title, 8)
    ws.set_row(0, 32)
    put(1, 0, "项目编码", s.label)
    put(1, 1, "{{ project.code }}", s.input_c, 2)
    put(1, 3, "项目名称", s.label)
    put(1, 4, "{{ project.name }}", s.input, 8)
    put(2, 0, "主管部门", s.label)
    put(2, 1, "{{ project.department }}", s.input, 2)
    put(2, 3, "实施单位", s.label)
    put(2, 4, "{{ project.executor }}", s.input, 6)
    put(2, 7, "单位：万元", s.text, 8)
    s.vlabel(3, 4, 0, "预算规模及资金用途")
    put(3, 1, "预算数", s.label)
    put(3, 2, "{{ =budget.total }}", s.money)
    put(3, 3, "其中：财政资金", s.label)
    put(3, 4, "{{ budget.fiscal }}", s.money_in, 5)
    put(3, 6, "其他资金", s.label)
    put(3, 7, "{{ budget.other }}", s.money_in, 8)
    put(4, 1, "资金用途", s.label)
    put(4, 2, "{{ project.purpose }}", s.input, 8)
    s.vlabel(5, 6, 0, "资金支出计划（%）")
    for (c1, c2), q, label in zip(((1, 2), (3, 3), (4, 5), (6, 8)), ("q1", "q2", "q3", "q4"),
                                  ("3月底", "6月底", "10月底", "12月底")):
        put(5, c1, label, s.label, c2)
        put(6, c1, f"{{{{ plan.{q} }}}}", s.pct_in, c2)
    put(7, 0, "绩效目标", s.label)
    put(7, 1, "{{ project.goal }}", s.input, 8)
    header = 8
    cols = _indicator_block(s, header, fields, selfeval=False)
    for r in range(1, 8):
        ws.set_row(r, 22)
    ws.set_row(header, 30)
    ws.data_validation(6, 1, 6, 8, {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 1,
                                     "input_title": "资金支出计划", "input_message": "累计支出进度，如 25%"})
    ws.data_validation(3, 4, 3, 8, {"validate": "decimal", "criteria": ">=", "value": 0})
    _page(s, header, len(fields) - 2, header + 1, "project.name")
    _ = cols


def unit_target(wb: xlsxwriter.Workbook) -> None:
    s = Sheet(wb, KINDS["unit-target"])
    ws, put = s.ws, s.put
    fields = [("level1", "一级指标", 10, s.input_c), ("level2", "二级指标", 12, s.input_c),
              ("level3", "三级指标", 26, s.input), ("nature", "指标性质", 7, s.input_c),
              ("direction", "指标方向", 10, s.input_c), ("period_target", "实施周期指标值", 14, s.input_c),
              ("target", "年度指标值", 14, s.input_c), ("unit", "计量单位", 8, s.input_c),
              ("level1_key", "辅助：一级", 10, s.helper)]
    put(0, 0, "{{ year }}年度部门整体支出绩效目标表", s.title, 7)
    ws.set_row(0, 32)
    put(1, 0, "部门名称", s.label)
    put(1, 1, "{{ unit.name }}", s.input, 4)
    put(1, 5, "部门编码", s.label)
    put(1, 6, "{{ unit.code }}", s.input_c, 7)
    put(2, 0, "主管部门", s.label)
    put(2, 1, "{{ unit.department }}", s.input, 4)
    put(2, 5, "单位：万元", s.text, 7)
    s.vlabel(3, 6, 0, "预算整体情况")
    put(3, 1, "部门预算支出", s.label, 2)
    put(3, 3, "预算金额（万元）", s.label, 4)
    put(3, 5, "收入来源", s.label)
    put(3, 6, "预算金额（万元）", s.label, 7)
    for r, (l1, f1, l2, f2, fmt) in enumerate((
            ("基本支出", "{{ unit.basic_spending }}", "财政拨款", "{{ unit.income_fiscal }}", s.money_in),
            ("项目支出", "{{ unit.project_spending }}", "其他资金", "{{ unit.income_other }}", s.money_in),
            ("合计", "{{ =unit.spending_total }}", "合计", "{{ =unit.income_total }}", s.money)), start=4):
        put(r, 1, l1, s.label, 2)
        put(r, 3, f1, fmt, 4)
        put(r, 5, l2, s.label)
        put(r, 6, f2, fmt, 7)
    put(7, 0, "部门职责", s.label)
    put(7, 1, "{{ unit.duty }}", s.input, 7)
    put(8, 0, "总体绩效目标", s.label)
    put(8, 1, "{{ unit.goal }}", s.input, 7)
    put(9, 0, "年度重点工作任务", s.label)
    put(9, 1, "任务名称", s.label)
    put(9, 2, "主要实施内容", s.label, 3)
    put(9, 4, "拟投入的资金（万元）", s.label)
    put(9, 5, "期望达到的目标（概述）", s.label, 7)
    put(10, 0, "任务{{ task.seq }}", s.text)
    put(10, 1, "{{ task.name }}", s.input)
    put(10, 2, "{{ task.content }}", s.input, 3)
    put(10, 4, "{{ task.funds }}", s.money_in)
    put(10, 5, "{{ task.goal }}", s.input, 7)
    header = 11
    _indicator_block(s, header, fields, selfeval=False)
    for r in range(1, 9):
        ws.set_row(r, 22)
    ws.set_row(9, 30)
    ws.set_row(header, 30)
    ws.data_validation(4, 3, 5, 4, {"validate": "decimal", "criteria": ">=", "value": 0})
    ws.data_validation(4, 6, 5, 7, {"validate": "decimal", "criteria": ">=", "value": 0})
    _page(s, header, len(fields) - 2, header + 1, "unit.name")


def _selfeval_fields(s: Sheet, target_label: str, nature_label: str, direction_label: str) -> list:
    return [("level1", "一级指标", 10, s.input_c), ("level2", "二级指标", 12, s.input_c),
            ("level3", "三级指标", 24, s.input), ("nature", nature_label, 8, s.input_c),
            ("direction", direction_label, 10, s.input_c), ("target", target_label, 13, s.text),
            ("unit", "计量单位", 7, s.text), ("actual", "实际完成值", 11, s.input_c),
            ("weight", "分值", 8, s.weight_in), ("manual_score", "定性评分", 7, s.weight_in),
            ("score", "得分", 8, s.score), ("reason", "偏差原因分析及改进措施", 22, s.input),
            ("level1_key", "辅助：一级", 10, s.helper), ("target_number", "辅助：目标数值", 10, s.helper),
            ("target_unit", "辅助：目标单位", 8, s.helper), ("target_sense", "辅助：目标方向", 10, s.helper),
            ("sense", "辅助：方向代码", 8, s.helper), ("actual_number", "辅助：实际数值", 10, s.helper)]


def _totals(s: Sheet, r: int, cols: dict[str, int]) -> None:
    put = s.put
    put(r, 0, "总分", s.label, cols["weight"] - 1)
    put(r, cols["weight"], "{{ =weights.total }}", s.score)
    put(r, cols["manual_score"], "", s.score)
    put(r, cols["score"], "{{ =score.total }}", s.score)
    put(r, cols["reason"], "", s.text)
    put(r + 1, 0, "评价等级", s.label, cols["weight"] - 1)
    put(r + 1, cols["weight"], "{{ =score.grade }}", s.grade, cols["reason"])
    L = xlsxwriter.utility.xl_col_to_name(cols["weight"])
    s.ws.conditional_format(r, cols["weight"], r, cols["weight"], {
        "type": "formula", "criteria": f"=ROUND(${L}${r + 1},2)<>100", "format": s.orange})


def _fund_rows(s: Sheet, top: int, rows: list[tuple[str, str]], cols: dict[str, int], total_key: str) -> None:
    """rows: (label, key); cols: initial/budget/execution/rate/weight/score column spans."""
    put = s.put
    for r, (label, key) in enumerate(rows, start=top):
        put(r, 1, label, s.label, 2)
        if key == total_key:
            put(r, 3, "{{ =fund.total.initial }}", s.money, 4)
            put(r, 5, "{{ =fund.total.budget }}", s.money)
            put(r, 6, "{{ =fund.total.execution }}", s.money, 7)
            put(r, cols["rate"], "{{ =fund.total.rate }}", s.rate)
            put(r, cols["fweight"], "{{ fund.total.weight }}", s.weight_in)
            put(r, cols["fscore"], "{{ =fund.total.score }}", s.score)
        else:
            put(r, 3, f"{{{{ fund.{key}.initial }}}}", s.money_in, 4)
            put(r, 5, f"{{{{ fund.{key}.budget }}}}", s.money_in)
            put(r, 6, f"{{{{ fund.{key}.execution }}}}", s.money_in, 7)
            put(r, cols["rate"], f"{{{{ =fund.{key}.rate }}}}", s.rate)
            put(r, cols["fweight"], "", s.score)
            put(r, cols["fscore"], "", s.score)
        put(r, cols["fscore"] + 1, "", s.text)
    s.ws.data_validation(top, 3, top + len(rows) - 1, 7, {"validate": "decimal", "criteria": ">=", "value": 0,
                                                          "error_message": "金额应为不小于 0 的数（万元）"})


def project_selfeval(wb: xlsxwriter.Workbook) -> None:
    s = Sheet(wb, KINDS["project-selfeval"])
    ws, put = s.ws, s.put
    fields = _selfeval_fields(s, "年度指标值", "指标性质", "指标方向")
    last = 11  # column L: 偏差原因
    put(0, 0, "{{ year }}年度项目支出绩效自评表", s.title, last)
    ws.set_row(0, 32)
    put(1, 0, "项目编码", s.label)
    put(1, 1, "{{ project.code }}", s.input_c, 2)
    put(1, 3, "项目名称", s.label, 4)
    put(1, 5, "{{ project.name }}", s.input, last)
    put(2, 0, "主管部门", s.label)
    put(2, 1, "{{ project.department }}", s.input, 2)
    put(2, 3, "实施单位", s.label, 4)
    put(2, 5, "{{ project.executor }}", s.input, 8)
    put(2, 9, "单位：万元", s.text, last)
    s.vlabel(3, 7, 0, "项目资金（万元）")
    put(3, 1, "", s.label, 2)
    put(3, 3, "年初预算数", s.label, 4)
    put(3, 5, "全年预算数", s.label)
    put(3, 6, "全年执行数", s.label, 7)
    put(3, 8, "分值", s.label)
    put(3, 9, "执行率", s.label)
    put(3, 10, "得分", s.label)
    put(3, 11, "", s.text)
    spans = {"rate": 9, "fweight": 8, "fscore": 10}
    _fund_rows(s, 4, [("年度资金总额", "total"), ("其中：当年财政拨款", "fiscal"), ("上年结转资金", "carryover"),
                      ("其他资金", "other")], spans, "total")
    s.vlabel(8, 9, 0, "年度总体目标")
    put(8, 1, "预期目标", s.label, 5)
    put(8, 6, "实际完成情况", s.label, last)
    put(9, 1, "{{ project.goal }}", s.input, 5)
    put(9, 6, "{{ project.achieved }}", s.input, last)
    header = 10
    cols = _indicator_block(s, header, fields, selfeval=True)
    _totals(s, header + 2, cols)
    for r in range(1, 9):
        ws.set_row(r, 22)
    ws.set_row(header, 30)
    _page(s, header, last, header + 3, "project.name")


def unit_selfeval(wb: xlsxwriter.Workbook) -> None:
    s = Sheet(wb, KINDS["unit-selfeval"])
    ws, put = s.ws, s.put
    fields = _selfeval_fields(s, "目标值", "指标性质(注:定量或者定性)", "指标方向(注:大于、小于或等于)")
    last = 11
    put(0, 0, "{{ year }}年度部门整体支出绩效自评表", s.title, last)
    ws.set_row(0, 32)
    put(1, 0, "部门名称及编码", s.label)
    put(1, 1, "{{ unit.name }} {{ unit.code }}", s.input, 8)
    put(1, 9, "单位：万元", s.text, last)
    put(2, 0, "主管部门", s.label)
    put(2, 1, "{{ unit.department }}", s.input, last)
    put(3, 0, "年度主要任务", s.label)
    put(3, 1, "任务名称", s.label, 2)
    put(3, 3, "主要内容", s.label, 7)
    put(3, 8, "完成情况", s.label, last)
    put(4, 0, "任务{{ task.seq }}", s.text)
    put(4, 1, "{{ task.name }}", s.input, 2)
    put(4, 3, "{{ task.content }}", s.input, 7)
    put(4, 8, "{{ task.result }}", s.input, last)
    put(5, 0, "预期目标", s.label)
    put(5, 1, "{{ unit.goal }}", s.input, last)
    put(6, 0, "目标实际完成情况", s.label)
    put(6, 1, "{{ unit.achieved }}", s.input, last)
    s.vlabel(7, 10, 0, "项目资金（万元）")
    put(7, 1, "", s.label, 2)
    put(7, 3, "年初预算（万元）", s.label, 4)
    put(7, 5, "全年预算（万元）(注:调整预算数)", s.label)
    put(7, 6, "全年执行（万元）(注:实际支出数)", s.label, 7)
    put(7, 8, "执行率", s.label)
    put(7, 9, "分值", s.label)
    put(7, 10, "得分", s.label)
    put(7, 11, "", s.text)
    spans = {"rate": 8, "fweight": 9, "fscore": 10}
    _fund_rows(s, 8, [("其中：财政拨款", "fiscal"), ("其他资金", "other"), ("合计", "total")], spans, "total")
    header = 11
    cols = _indicator_block(s, header, fields, selfeval=True)
    _totals(s, header + 2, cols)
    for r in range(1, 11):
        ws.set_row(r, 22)
    for r in (1, 3, 5, 6):  # two-line labels in column A
        ws.set_row(r, 30)
    ws.set_row(7, 46)
    ws.set_row(header, 42)
    _page(s, header, last, header + 3, "unit.name")


BUILDERS = {"project-target": project_target, "unit-target": unit_target,
            "project-selfeval": project_selfeval, "unit-selfeval": unit_selfeval}


def make(kind: str, path: Path) -> Path:
    """Write the standard template of ``kind`` to ``path`` (deterministic bytes)."""
    import datetime
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_numbers": False})
    wb.set_properties({"title": KINDS[kind], "subject": "xltools 标准模板", "author": "xltools",
                       "created": datetime.datetime(2024, 1, 1)})
    wb.set_calc_mode("auto")
    BUILDERS[kind](wb)
    _lists(wb)
    wb.close()
    _fix_timestamps(path)
    return path


def _fix_timestamps(path: Path) -> None:
    """Rewrite the zip with fixed member dates so the committed templates are reproducible."""
    import zipfile
    with zipfile.ZipFile(path) as z:
        parts = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)


def main(outdir: Path = HERE) -> list[Path]:
    return [make(kind, outdir / f"{kind}.xlsx") for kind in KINDS]


if __name__ == "__main__":
    for p in main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print(p)
