"""The scores rule family: 实际完成值, 得分 against the rules (D9, D10, D16), weights (D14), total, grade."""
from __future__ import annotations

import pytest

from test_rules_budget import FUND_LABELS, SHEET, fund_row, seed003_form
from xltools.core.codes import REGISTRY
from xltools.core.form import Cell, Form, FormKind, IndicatorRow
from xltools.core.numbers import excel_round
from xltools.core.scoring import indicator_score
from xltools.rules import scores
from xltools.rules.context import Context
from xltools.settings import DEFAULT

COLS = {"level1": 1, "level2": 2, "level3": 3, "target": 4, "actual": 5, "weight": 6, "score": 7, "reason": 8}


def form_of(rows, *, execution=(10, None), total=None, grade=None, cols=COLS) -> Form:
    """Indicator rows (一级, 三级, 目标, 实际, 分值, 得分, 原因) from row 11; execution = (分值, 得分)."""
    indicators = []
    for i, (l1, name, target, actual, weight, score, reason) in enumerate(rows):
        r = 11 + i
        values = {"level1": l1, "level2": "数量指标", "level3": name, "target": target, "actual": actual,
                  "weight": weight, "score": score, "reason": reason}
        indicators.append(IndicatorRow(r, {k: Cell(values[k], r, c) for k, c in cols.items()}))
    funds = []
    if execution is not None:
        funds = [fund_row(5, "年度资金总额", {"annual_budget": 100, "execution": 100, "rate": 1.0,
                                         "weight": execution[0], "score": execution[1]}, total=True)]
    form = Form(SHEET, FormKind.PROJECT_SELFEVAL, 1, 11 + len(rows) + 2, header_row=10, columns=dict(cols),
                indicators=indicators, funds=funds, fund_labels=dict(FUND_LABELS))
    last = 11 + len(rows)
    if total is not None:
        form.total_score = Cell(total, last, 7)
    if grade is not None:
        form.grade = Cell(grade, last + 1, 7)
    return form


def findings(form: Form, settings=DEFAULT):
    return list(scores.check(form, Context(form, settings)))


def codes(found):
    return sorted(f.code for f in found)


# A national-template form whose weights add up: 10 + 50 + 30 + 10.
BALANCED = [
    ("产出指标", "全县参合人数", 8755, 8676, 15, 14.86, "部分农户外出务工未参合"),
    ("产出指标", "培训人次", "≥1200人次", "1300人次", 20, 20, "无"),
    ("产出指标", "检查覆盖率", "≥95%", "96%", 15, 15, "无"),
    ("效益指标(30分)", "群众知晓率", "≥90%", "92%", 30, 30, "无"),
    ("满意度指标", "服务对象满意度", "≥85%", "88%", 10, 10, "无"),
]


def test_a_consistent_form_has_no_findings():
    assert findings(form_of(BALANCED, execution=(10, 10), total=99.86, grade="优")) == []


def test_seed003_weights_split_info_only():
    found = findings(seed003_form())
    assert [(f.code, f.severity.value) for f in found] == [("weights-split", "info")]
    assert "10/78/10/2" in found[0].message and "10/50/30/10" in found[0].message
    assert found[0].expected == "10/50/30/10"


def test_seed003_weights_sum_when_a_row_is_dropped():
    form = seed003_form()
    del form.indicators[3]
    found = [f for f in findings(form) if f.code == "weights-sum"]
    assert len(found) == 1 and found[0].severity.value == "error"
    assert "98" in found[0].message and found[0].expected == "100"


def test_an_absurd_weight_is_reported_not_raised():
    # A weight of 1e308 (a fuzzed cell) once made the weights-sum message's rounding raise.
    rows = [list(row) for row in BALANCED]
    rows[0][4] = 1e308
    found = [f for f in findings(form_of(rows, execution=(10, 10))) if f.code == "weights-sum"]
    assert len(found) == 1 and "1e+308" in found[0].message and found[0].expected == "100"


def test_weights_past_the_largest_number_are_reported_as_excel_shows_them():
    # Two weights of 1e308 made fsum raise OverflowError ("intermediate overflow in fsum").
    rows = [list(row) for row in BALANCED]
    rows[0][4] = rows[1][4] = 1e308
    found = [f for f in findings(form_of(rows, execution=(10, 10))) if f.code == "weights-sum"]
    assert len(found) == 1 and "#NUM!" in found[0].message


def test_jishan_score_mismatch_and_reason():
    # 稷山 2020: 8755 → 8676 with 分值 15 printed 13 (rule: 14.86); "95% 95% 30 27" (achieved, 27/30)
    rows = [("产出指标", "全县参合人数", 8755, 8676, 15, 13, "无"),
            ("产出指标", "参合率", "95%", "95%", 30, 27, "")]
    found = findings(form_of(rows, execution=None))
    mismatch = {f.cell: f for f in found if f.code == "score-mismatch"}
    assert mismatch["G11"].expected == "14.86" and "B/A" in mismatch["G11"].message
    assert mismatch["G12"].expected == "30"
    reasons = {f.cell: f.message for f in found if f.code == "reason-missing"}
    assert set(reasons) == {"H11", "H12"}
    assert "“无”" in reasons["H11"] and "为空" in reasons["H12"]


def test_score_over_weight():
    rows = [("产出指标", "培训人次", "≥1200人次", "1300人次", 2, 3, "无")]
    found = findings(form_of(rows, execution=None))
    over = [f for f in found if f.code == "score-over-weight"]
    assert len(over) == 1 and over[0].cell == "G11" and over[0].severity.value == "error"
    assert "score-mismatch" in codes(found)  # the rule gives 2, too


def test_yuanzhou_partial_tier():
    # 原州 2022: "是" → "基本达到", printed 7 of 8; 部分达成 allows [4.8, 6.4)
    rows = [("效益指标", "政策知晓", "是", "基本达到", 8, 7, "部分群众了解不足")]
    found = findings(form_of(rows, execution=None))
    mismatch = [f for f in found if f.code == "score-mismatch"]
    assert len(mismatch) == 1 and mismatch[0].expected == "4.8–6.4" and "部分达成" in mismatch[0].message
    rows = [("效益指标", "政策知晓", "是", "基本达到", 8, 6, "部分群众了解不足")]
    assert [f for f in findings(form_of(rows, execution=None)) if f.code == "score-mismatch"] == []


def test_actual_missing_and_unparseable():
    rows = [("产出指标", "项目成本", "≤30万元", "完成", 10, 10, "无"),
            ("产出指标", "培训人次", "≥1200人次", None, 10, None, None),
            ("产出指标", "检查覆盖率", "100%（26家）", "—", 10, 10, "无")]
    found = findings(form_of(rows, execution=None))
    assert sorted((f.code, f.cell) for f in found if f.code.startswith("actual")) == [
        ("actual-missing", "E12"), ("actual-missing", "E13"), ("actual-unparseable", "E11")]
    unparseable = next(f for f in found if f.code == "actual-unparseable")
    assert "完成" in unparseable.message and "≤30万元" in unparseable.message


def test_no_actual_column_no_actual_findings():
    cols = {k: v for k, v in COLS.items() if k != "actual"}
    rows = [("产出指标", "培训人次", "≥1200人次", None, 20, 20, "无")]
    form = form_of(rows, execution=None, cols=cols)
    assert not any(f.code.startswith("actual") or f.code == "score-mismatch" for f in findings(form))


def test_over_achievement_needs_a_reason():
    # seed 004: 有效发明专利量增长率 target 15%, actual 30.5% ("预期值设置较保守")
    rows = [("效益指标", "有效发明专利量增长率", "≥15%", "30.5%", 10, 10, "无")]
    found = [f for f in findings(form_of(rows, execution=None)) if f.code == "reason-missing"]
    assert len(found) == 1 and "2.03 倍" in found[0].message
    lenient = findings(form_of(rows, execution=None), DEFAULT.with_(over_achievement=2.5))
    assert all(f.code != "reason-missing" for f in lenient)


def test_reverse_rule_setting_is_used():
    rows = [("产出指标", "平均处理时长", "≤20天", "30天", 10, 5, "办理量增加")]
    assert [f.expected for f in findings(form_of(rows, execution=None)) if f.code == "score-mismatch"] == ["6.67"]
    linear = DEFAULT.with_(reverse_rule="linear")
    assert [f for f in findings(form_of(rows, execution=None), linear) if f.code == "score-mismatch"] == []


def test_misaligned_rows_are_skipped():
    # seed 000: "社会效益指标 ≥85%" repeats a value in the 三级 column; layout reports it, not scores
    rows = list(BALANCED) + [("效益指标", "社会效益指标", "≥85%", "10%", None, 99, None)]
    found = findings(form_of(rows, execution=(10, 10)))
    assert all(f.row != 16 for f in found)


def test_total_score_and_grade():
    found = findings(form_of(BALANCED, execution=(10, 10), total=95, grade="良"))
    total = [f for f in found if f.code == "total-score-mismatch"]
    assert len(total) == 1 and total[0].expected == "99.86"
    grade = [f for f in found if f.code == "grade-mismatch"]
    # judged on the printed total (95 → 优): the grade is wrong either way
    assert len(grade) == 1 and grade[0].expected == "优"


def test_grade_boundary_seed004_and_huangguoshu():
    assert [f.code for f in findings(form_of([], execution=None, total=93.86, grade="优"))] == []
    found = findings(form_of([], execution=None, total=88.64, grade="优"))
    assert [(f.code, f.expected) for f in found] == [("grade-mismatch", "良")]


def test_error_in_the_total_is_reported_once_and_stops_the_grade_check():
    from xltools.core.form import CellError
    form = form_of(BALANCED, execution=(10, 10), total=0, grade="差")
    form.total_score = Cell(CellError("#REF!"), form.total_score.row, 7)
    found = findings(form)
    assert [(f.code, f.cell) for f in found] == [("cell-error", form.total_score.address)]
    # an error among the parts: the sum cannot be judged, nor the grade of it
    form = form_of(BALANCED, execution=(10, None), grade="差")
    form.funds[0].cells["score"] = Cell(CellError("#DIV/0!"), 5, 8)
    assert [f.code for f in findings(form)] == []


@pytest.mark.parametrize("template, weights, execution, expect", [
    ("sichuan", [60, 30], 10, []),                          # 四川: 预算执行 10 + 绩效指标 90
    ("sichuan", [60, 30], None, []),                        # 四川 target form: indicators alone sum to 90
    ("hubei", [40, 40], 20, []),                            # 湖北: 20 + 40 + 40
    ("hubei", [40, 30], 20, ["weights-sum"]),
    ("national", [40, 40, 20], None, ["weights-split"]),    # 原州: 40/40/20 with no execution score
    ("national", [50, 30, 5], 10, ["weights-split", "weights-sum"]),
])
def test_weight_templates(template, weights, execution, expect):
    l1 = ["产出指标", "效益指标", "满意度指标"]
    rows = [(l1[i], f"指标{i}", "≥1", "1", w, w, "无") for i, w in enumerate(weights)]
    found = findings(form_of(rows, execution=None if execution is None else (execution, execution)),
                     DEFAULT.with_(weight_template=template))
    assert sorted(f.code for f in found) == sorted(expect)


def test_yuanzhou_split_message():
    rows = [("产出指标", "a", "≥1", "1", 40, 40, "无"), ("效益指标", "b", "≥1", "1", 40, 40, "无"),
            ("满意度指标", "c", "≥1", "1", 20, 20, "无")]
    found = findings(form_of(rows, execution=None))
    assert [f.code for f in found] == ["weights-split"] and "—/40/40/20" in found[0].message


def test_scores_follow_the_scoring_module():
    # the expected value in a finding is the scoring module's, rendered to 2 decimals
    rows = [("产出指标", "资金到位金额", "≥1亿元", "9000万元", 10, 5, "资金未全部到位")]
    found = [f for f in findings(form_of(rows, execution=None)) if f.code == "score-mismatch"]
    assert float(found[0].expected) == indicator_score("≥1亿元", "9000万元", 10).value == excel_round(9.0, 2)


def test_codes_are_registered_and_declared():
    rows = [("产出指标", "x", "≤30万元", "完成", 10, 11, "无"), ("产出指标", "y", "≥5", None, 5, 1, "")]
    found = findings(form_of(rows, total=3, grade="优"))
    assert found
    for f in found:
        assert f.code in REGISTRY and f.code in scores.CODES and f.sheet == SHEET
