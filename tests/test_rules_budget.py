"""The budget rule family on real fund blocks: seed 003 (韶关 部门整体支出绩效自评表) and D6–D11."""
from __future__ import annotations

import pytest

from xltools.core.form import Cell, CellError, Form, FormKind, FundRow, IndicatorRow, PlanRow
from xltools.core.numbers import fmt_number, fmt_percent
from xltools.rules import budget
from xltools.rules.context import Context
from xltools.settings import DEFAULT

SHEET = "自评表"
FUND_COLS = {"initial_budget": 3, "annual_budget": 4, "execution": 5, "rate": 6, "weight": 7, "score": 8}
FUND_LABELS = {"initial_budget": "年初预算(万元)", "annual_budget": "全年预算(万元)", "execution": "全年执行(万元)",
               "rate": "执行率", "weight": "分值", "score": "得分"}


def fund_row(row: int, label: str, values: dict, *, total: bool = False, cols: dict = FUND_COLS) -> FundRow:
    cells = {k: Cell(values.get(k), row, c) for k, c in cols.items()}
    return FundRow(row, Cell(label, row, 2), total, cells)


# Seed 003's indicator table, as printed: (一级, 二级, 三级, 性质, 方向, 目标值, 单位, 分值, 得分, 偏差原因).
SEED003_INDICATORS = [
    ("产出指标", "数量指标", "新增限上餐饮企业受惠企业数量", "定量", "大于或等于", "不少于7家", "家", 2, 2, "无"),
    ("产出指标", "数量指标", "互联网+“明厨亮灶”学校食堂总家数", "定量", "大于或等于", "不少于800家", "家", 2, 2, "无"),
    ("产出指标", "数量指标", "食品安全示范县创建", "定量", "等于", "2", "县（市、区）", 2, 2, "无"),
    ("产出指标", "数量指标", "食品安全监督抽检", "定量", "大于", "4500批次", "批次", 2, 2, "无"),
    ("产出指标", "数量指标", "食用农产品快检任务", "定量", "大于等于", "不少于19.44万批次", "批次", 2, 2, "无"),
    ("产出指标", "数量指标", "保健食品生产企业日常监督检查", "定量", "大于等于", "11", "家（次）", 2, 2, "无"),
    ("产出指标", "数量指标", "食品级食品相关产品生产企业飞行检查家（次）", "定量", "大于等于", "31", "家（次）", 2, 2, "无"),
    ("产出指标", "数量指标", "特殊食品经营双随机抽查", "定量", "大于等于", "45", "家（次）", 2, 2, "无"),
    ("产出指标", "数量指标", "化妆品经营企业检查", "定量", "大于等于", "不少于2000家次", "家次", 2, 2, "无"),
    ("产出指标", "数量指标", "药品不良反应报告数", "定量", "大于等于", "800", "份", 2, 2, "无"),
    ("产出指标", "数量指标", "对检验检测机构与认证工作培训", "定量", "大于等于", "不少于2次", "次", 2, 2, "无"),
    ("产出指标", "数量指标", "开展药品安全应急演练次数（场）", "定量", "等于", "1场", "场", 2, 2, "无"),
    ("产出指标", "数量指标", "围绕双十产业，建设高价值专利培育布局中心", "定量", "等于", "2家", "家", 2, 2, "无"),
    ("产出指标", "数量指标", "组织开展知识产权金融对接活动", "定量", "等于", "2次以上", "次", 2, 2, "无"),
    ("产出指标", "数量指标", "开发知识产权证券化产品，年内发行知识产权证券化产品", "定量", "等于", "至少1个", "个", 2, 2, "无"),
    ("产出指标", "数量指标", "为企业提供商标品牌相关服务", "定量", "等于或大于", "至少20家企业", "家", 2, 2, "无"),
    ("产出指标", "数量指标", "成功提交地理标志商标注册申请", "定量", "等于", "力争成功提交3件", "件", 2, 2, "无"),
    ("产出指标", "数量指标", "推广本地区地理标志产品与生产经营企业、合作社、农户对接", "定量", "等于或大于", "至少2个以上", "个", 2, 2, "无"),
    ("产出指标", "数量指标", "设立商标业务受理窗口", "定量", "等于", "1个", "个", 2, 2, "无"),
    ("产出指标", "数量指标", "在中小学开展知识产权进校园活动", "定量", "等于或等于", "不少于4所", "所", 2, 2, "无"),
    ("产出指标", "数量指标", "企业知识产权贯标推进", "定量", "大于等于", "19件", "件", 2, 2, "无"),
    ("产出指标", "质量指标", "对药品生产、批发（连锁总部）企业检查覆盖率", "定性", "等于", "100%（26家）", "家", 2, 2, "无"),
    ("产出指标", "质量指标", "全市药品生产企业检查覆盖率", "定性", "等于", "100%（9家）", "家", 2, 2, "无"),
    ("产出指标", "质量指标", "疾控中心检查覆盖率", "定性", "等于", "100%（10家）", "家", 2, 2, "无"),
    ("产出指标", "质量指标", "疫苗接种单位检查覆盖率", "定性", "等于", "100%（134家）", "家", 2, 2, "无"),
    ("产出指标", "质量指标", "化妆品生产企业检查覆盖率", "定性", "等于", "100%（17家次）", "家次", 2, 2, "无"),
    ("产出指标", "质量指标", "双随机抽查辖区企业比例", "定性", "大于等于", "不低于3%", None, 2, 2, "无"),
    ("产出指标", "质量指标", "重点行业领域年报", "定性", "等于", "100%", None, 2, 2, "无"),
    ("产出指标", "质量指标", "医疗器械生产企业、第二、三类医疗器械批发和第三类医疗器械零售经营企业、二级以上（含二",
     "定性", "等于", "100%", None, 2, 2, "无"),
    ("产出指标", "质量指标", "第二类医疗器械零售经营企业检查覆盖率", "定性", "大于等于", "不少于30%", None, 2, 2, "无"),
    ("产出指标", "质量指标", "不合格产品查处率", "定性", "等于", "≥100%", None, 2, 2, "无"),
    ("产出指标", "质量指标", "信息化系统正常运行率", "定性", "等于", "100.00%", None, 2, 2, "无"),
    ("产出指标", "质量指标", "本年度主导和参与制（修）订行业标准/地方标准完成率", "定性", "等于", "100.00%", None, 2, 2, "无"),
    ("产出指标", "质量指标", "全市万人发明专利拥有量增长率", "定性", "大于等于", "不少于30%", None, 2, 2, "无"),
    ("产出指标", "质量指标", "特种设备监管完成整改比例", "定性", "等于", "100%", "项", 2, 2, "无"),
    ("产出指标", "质量指标", "特种设备隐患整改率", "定性", "等于", "100%", "项", 2, 2, "无"),
    ("产出指标", "质量指标", "重大活动食品安全事故率", "定量", "等于", "0", None, 2, 2, "无"),
    ("产出指标", "时效指标", "食品抽检年度任务完成及时率（%）", "定量", "等于", "100.00%", None, 2, 2, "无"),
    ("产出指标", "成本指标", "市级食品安全监督抽检平均成本", "定量", "小于", "省局平均水平2300元/批次", "元/批次", 2, 2, "无"),
    ("效果指标", "社会效益", "投诉按时初查、举报按时核查、投诉调解成功", "定性", "等于", "100%", None, 2.5, 2.5, "无"),
    ("效果指标", "可持续影响", "特种设备安全监管，遏制重特大安全生产事故的发生", "定性", "等于", None, None, 2.5, 2.5, "无"),
    ("效果指标", "可持续影响", "提升城市知识产权创造、运用、保护、服务、管理综合实力，培育建设国家知识产权试点示范城市",
     "定量", None, "1项", "项", 2.5, 2.5, "无"),
    ("效果指标", "可持续影响", "提升提升知识产权创造、运用、保护、服务、管理综合实力，培育建设国家知识产权试点示范园",
     "定量", None, "1项", "项", 2.5, 2.5, "无"),
    ("满意度指标", "服务对象满意度", "服务对象对食品安全工作总体满意度", "定量", "大于等于", "80%", None, 2, 2, "无"),
]
IND_FIELDS = ("level1", "level2", "level3", "nature", "direction", "target", "unit", "weight", "score", "reason")
IND_COLS = {name: i + 1 for i, name in enumerate(IND_FIELDS)}
FUND_HEADER_ROW, FIRST_FUND_ROW, IND_HEADER_ROW = 30, 31, 40


def seed003_form() -> Form:
    """Seed 003 as the reader would locate it: amounts as text, rates "0.00%", 合计 9/10."""
    funds = [
        fund_row(31, "其中：财政拨款", {"initial_budget": 8761.28, "annual_budget": "11,789.83",
                                  "execution": "11,789.83", "rate": "0.00%", "weight": "-", "score": "-"}),
        fund_row(32, "其他资金", {"initial_budget": 0, "annual_budget": "91.71", "execution": "74.52",
                              "rate": "0.00%", "weight": "-", "score": "-"}),
        fund_row(33, "合计", {"initial_budget": 8761.28, "annual_budget": "11,881.54", "execution": "11,881.54",
                            "rate": "100.00%", "weight": 10, "score": 9}, total=True),
    ]
    indicators = []
    for i, values in enumerate(SEED003_INDICATORS):
        row = IND_HEADER_ROW + 1 + i
        cells = {name: Cell(v, row, IND_COLS[name]) for name, v in zip(IND_FIELDS, values)}
        indicators.append(IndicatorRow(row, cells))
    return Form(sheet=SHEET, kind=FormKind.UNIT_SELFEVAL, first_row=1, last_row=IND_HEADER_ROW + len(indicators),
                title="部门整体支出绩效自评表", header_row=IND_HEADER_ROW, columns=dict(IND_COLS),
                indicators=indicators, funds=funds, fund_header_row=FUND_HEADER_ROW, fund_labels=dict(FUND_LABELS))


def findings(form: Form, settings=DEFAULT) -> list:
    return list(budget.check(form, Context(form, settings)))


def by_code(found, code):
    return [f for f in found if f.code == code]


def test_seed003_findings_are_exactly_the_known_defects():
    found = findings(seed003_form())
    got = sorted((f.code, f.cell) for f in found)
    assert got == sorted([("execution-rate-mismatch", "F31"), ("execution-rate-mismatch", "F32"),
                          ("total-mismatch", "E33"), ("execution-score-mismatch", "H33")])


def test_seed003_messages_give_the_right_values():
    found = {f.cell: f for f in findings(seed003_form())}
    assert found["F31"].expected == "100.00%" and "应为 100.00%" in found["F31"].message
    assert found["F32"].expected == "81.26%" and "74.52/91.71" in found["F32"].message
    assert found["E33"].expected == "11,864.35" and "合计" in found["E33"].message
    # 11864.35 / 11881.54 = 99.855…% → min(·,1) × 10 = 9.99, not the printed 9
    assert found["H33"].expected == "9.99"
    assert all(f.sheet == SHEET and f.row == int(f.cell[1:]) for f in found.values())
    assert found["F31"].severity.value == "error"


def test_rate_within_tolerance_or_printed_precision_is_accepted():
    # 北京海淀: 154.74/310.2 = 49.88%, printed "50%" (0 decimals) and score 5
    rows = [fund_row(5, "年度资金总额", {"initial_budget": 310.2, "annual_budget": 310.2, "execution": 154.74,
                                    "rate": "50%", "weight": 10, "score": 5}, total=True)]
    form = Form(SHEET, FormKind.PROJECT_SELFEVAL, 1, 10, funds=rows, fund_labels=dict(FUND_LABELS))
    assert findings(form) == []
    # the same rate typed with 2 decimals must be right to 0.05 percentage points
    rows[0].cells["rate"] = Cell("50.00%", 5, 6)
    assert [f.code for f in findings(form)] == ["execution-rate-mismatch"]


def test_rates_as_fractions_and_percent_numbers():
    cols = dict(FUND_COLS)
    rows = [fund_row(5, "合计", {"annual_budget": 76, "execution": 57.76, "rate": 0.76, "weight": 10,
                                "score": 7.6}, total=True, cols=cols)]
    form = Form(SHEET, FormKind.UNIT_SELFEVAL, 1, 10, funds=rows, fund_labels={**FUND_LABELS, "rate": "执行率(%)"})
    assert findings(form) == []
    rows[0].cells["rate"] = Cell(76.0, 5, 6)  # 重庆 "执行率(%)" holds 76 for 76%
    assert findings(form) == []
    rows[0].cells["rate"] = Cell(0.67, 5, 6)
    assert [f.code for f in findings(form)] == ["execution-rate-mismatch"]


def test_missing_rate_and_blank_total_row():
    form = seed003_form()
    form.funds[0].cells["rate"] = Cell(None, 31, 6)
    form.funds[2].cells["execution"] = Cell(None, 33, 5)
    found = findings(form)
    missing = by_code(found, "execution-rate-missing")
    assert [f.cell for f in missing] == ["F31"] and missing[0].expected == "100.00%"
    blank_total = [f for f in by_code(found, "total-mismatch") if f.cell == "E33"]
    assert blank_total and "（空）" in blank_total[0].message


def test_chizhou_total_row_left_at_zero():
    # 池州 502367: 年度资金总额 0 0 0 while 本年财政拨款 = 202.64 / 132.912 / 132.912 (D6)
    rows = [fund_row(8, "年度资金总额", {"initial_budget": 0, "annual_budget": 0, "execution": 0, "weight": 10,
                                    "rate": 0, "score": 0}, total=True),
            fund_row(9, "其中：本年财政拨款", {"initial_budget": 202.64, "annual_budget": 132.912,
                                       "execution": 132.912, "weight": "—", "score": "—"})]
    form = Form(SHEET, FormKind.PROJECT_SELFEVAL, 1, 20, funds=rows, fund_labels=dict(FUND_LABELS))
    found = findings(form)
    totals = {f.cell: f.expected for f in by_code(found, "total-mismatch")}
    assert totals == {"C8": fmt_number(202.64), "D8": fmt_number(132.912), "E8": fmt_number(132.912)}
    # the score is judged on the corrected total: 132.912/132.912 → 10
    score = by_code(found, "execution-score-mismatch")
    assert [(f.cell, f.expected) for f in score] == [("H8", "10.00")]
    assert by_code(found, "subrow-scored") == []  # "—" is fine on a 其中 row


def test_execution_score_uses_the_cap_and_tolerance():
    # 稷山 2020: 65.07/65.66 = 99.1% → 9.91; a printed 9 is wrong, 9.9 is within ±0.05
    rows = [fund_row(5, "年度资金总额", {"annual_budget": 65.66, "execution": 65.07, "weight": 10, "score": 9},
                     total=True)]
    form = Form(SHEET, FormKind.PROJECT_SELFEVAL, 1, 10, funds=rows, fund_labels=dict(FUND_LABELS))
    found = by_code(findings(form), "execution-score-mismatch")
    assert len(found) == 1 and found[0].expected == "9.91"
    rows[0].cells["score"] = Cell(9.9, 5, 8)
    assert by_code(findings(form), "execution-score-mismatch") == []
    # spending above budget: the score is capped at the weight, and the overspend is a warning
    rows[0].cells.update(execution=Cell(70.0, 5, 5), score=Cell(10, 5, 8))
    found = findings(form)
    assert by_code(found, "execution-score-mismatch") == []
    over = by_code(found, "execution-over-budget")
    assert len(over) == 1 and over[0].cell == "E5" and over[0].severity.value == "warning"


def test_hubei_weight_from_the_header():
    # 湖北: "得分(20分*执行率)" — the weight is in the header, not in a cell
    cols = {"annual_budget": 3, "execution": 4, "rate": 5, "score": 6}
    rows = [fund_row(5, "合计", {"annual_budget": 300, "execution": 259.45, "rate": "86.48%", "score": 20},
                     total=True, cols=cols)]
    labels = {"annual_budget": "预算数(A)", "execution": "执行数(B)", "rate": "执行率(B/A)", "score": "得分(20分*执行率)"}
    form = Form(SHEET, FormKind.PROJECT_SELFEVAL, 1, 10, funds=rows, fund_labels=labels)
    found = by_code(findings(form), "execution-score-mismatch")
    # 259.45/300 = 86.48% of 20 points
    assert [f.expected for f in found] == [fmt_number(20 * 259.45 / 300, thousands=False)]


def test_rate_on_initial_budget_is_flagged():
    # D8: the rate printed equals execution / 年初预算数, not / 全年(调整后)预算数
    rows = [fund_row(5, "合计", {"initial_budget": 100, "annual_budget": 120, "execution": 96, "rate": "96.00%",
                                "weight": 10, "score": 8}, total=True)]
    form = Form(SHEET, FormKind.PROJECT_SELFEVAL, 1, 10, funds=rows, fund_labels=dict(FUND_LABELS))
    found = findings(form)
    over = by_code(found, "execution-over-budget")
    assert [f.cell for f in over] == ["F5"] and "80.00%" in over[0].message
    assert [f.expected for f in by_code(found, "execution-rate-mismatch")] == ["80.00%"]


def test_header_saying_initial_budget_is_flagged():
    # the Beijing template: 年初预算数(A), 全年执行数(B), 执行率(B/A) — no adjusted budget column
    cols = {"initial_budget": 3, "execution": 4, "rate": 5, "weight": 6, "score": 7}
    rows = [fund_row(5, "年度资金总额", {"initial_budget": 310.2, "execution": 154.74, "rate": "49.88%",
                                    "weight": 10, "score": 4.99}, total=True, cols=cols)]
    labels = {"initial_budget": "年初预算数(A)", "execution": "全年执行数(B)", "rate": "执行率(B/A)",
              "weight": "分值(10分)", "score": "得分"}
    form = Form(SHEET, FormKind.PROJECT_SELFEVAL, 1, 10, funds=rows, fund_header_row=4, fund_labels=labels)
    found = findings(form)
    assert [(f.code, f.cell) for f in found] == [("execution-over-budget", "E4")]


def test_subrow_with_a_score_is_flagged_dashes_are_fine():
    form = seed003_form()
    form.funds[1].cells["score"] = Cell(0, 32, 8)
    form.funds[0].cells["weight"] = Cell("/", 31, 7)
    found = by_code(findings(form), "subrow-scored")
    assert [(f.cell, f.severity.value) for f in found] == [("H32", "warning")]
    assert "其他资金" in found[0].message


def test_cell_errors_are_reported_not_raised():
    form = seed003_form()
    form.funds[1].cells["rate"] = Cell(CellError("#DIV/0!"), 32, 6)
    form.funds[2].cells["annual_budget"] = Cell(CellError("#REF!"), 33, 4)
    found = findings(form)
    errors = {f.cell: f for f in by_code(found, "cell-error")}
    assert set(errors) == {"F32", "D33"} and "#DIV/0!" in errors["F32"].message
    assert "全年预算数" in errors["D33"].message


@pytest.mark.parametrize("quarters, codes", [
    (["", "50%", "50%", "100%"], []),            # seed 002: blanks before the first quarter are fine
    (["25%", "61%", "75%", "100%"], []),
    (["", "", "", "100%"], []),
    ([25, 50, 75, 100], []),                       # percents typed as plain numbers
    ([0.25, 0.5, 0.75, 1.0], []),                  # fractions formatted as %
    (["50%", "30%", "75%", "100%"], ["plan-not-cumulative"]),
    (["25%", "50%", "75%", "90%"], ["plan-not-complete"]),
    (["25%", "", "75%", "100%"], ["plan-not-cumulative"]),
    (["25%", "50%", "75%", ""], ["plan-not-complete"]),
])
def test_plan(quarters, codes):
    labels = ("3月底", "6月底", "10月底", "12月底")
    plan = PlanRow(12, [(lab, Cell(v if v != "" else None, 12, 3 + i)) for i, (lab, v) in enumerate(zip(labels, quarters))])
    form = Form(SHEET, FormKind.PROJECT_TARGET, 1, 20, plan=plan)
    found = findings(form)
    assert [f.code for f in found] == codes
    for f in found:
        assert f.row == 12 and f.severity.value == "warning"


def test_plan_messages_name_the_quarters():
    plan = PlanRow(12, [("3月底", Cell("50%", 12, 3)), ("6月底", Cell("30%", 12, 4)), ("12月底", Cell("90%", 12, 5))])
    found = findings(Form(SHEET, FormKind.PROJECT_TARGET, 1, 20, plan=plan))
    assert found[0].cell == "D12" and "6月底（30%）低于3月底（50%）" in found[0].message
    assert found[1].cell == "E12" and "90%" in found[1].message


def test_codes_are_registered_and_declared():
    from xltools.core.codes import REGISTRY
    form = seed003_form()
    form.funds[1].cells["score"] = Cell(0, 32, 8)
    form.plan = PlanRow(12, [("3月底", Cell("50%", 12, 3)), ("12月底", Cell("30%", 12, 5))])
    for f in findings(form):
        assert f.code in REGISTRY and f.code in budget.CODES


def test_expected_percent_rendering_matches_excel_rounding():
    # 74.52 / 91.71 = 81.2561…% → "81.26%" (half-up, as Excel shows it)
    assert fmt_percent(74.52 / 91.71) == "81.26%"
