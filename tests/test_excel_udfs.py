"""The XLT_* worksheet functions, called as Excel calls them: floats for integers, None for blank
cells, error values, padded text, and 2-D lists for ranges. They run on the real core."""
from __future__ import annotations

import inspect
import json
import math
import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xltools.core.notation import parse_value
from xltools.core.scoring import indicator_score
from xltools.excel import udfs
from xltools.excel.udf_specs import SPECS
from xltools.rules import row

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
ERRORS = ["#DIV/0!", "#N/A", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!"]
COM_NA = -2146826246  # how COM hands over #N/A when nothing asked for text


def excel_round(x: float, digits: int) -> float:
    """The oracle: ROUND half away from zero on the 15-significant-digit value Excel shows."""
    d = Decimal(format(Decimal(repr(x)), ".15g"))
    return float(d.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def cell(v):
    """One cell as xlwings passes it with the add-in's ndim=2 option."""
    return [[v]]


# --- shape and registration ---------------------------------------------------------------------

def test_every_spec_has_its_function_with_the_same_arguments():
    for spec in SPECS:
        fn = getattr(udfs, spec.name)
        params = inspect.signature(fn).parameters
        assert [p for p in params] == [a.name for a in spec.args], spec.name
        optional = [p.default is not inspect.Parameter.empty for p in params.values()]
        assert optional == [a.optional for a in spec.args], spec.name
        assert len(spec.description_zh) <= 255 and all(len(a.doc_zh) <= 255 for a in spec.args)


# --- XLT_EXECRATE / XLT_EXECSCORE ------------------------------------------------------------------

@pytest.mark.parametrize("execution,budget", [(11789.83, 11789.83), (74.52, 91.71), (154.74, 310.2), (120.0, 100.0)])
def test_execrate_is_execution_over_budget(execution, budget):
    assert udfs.XLT_EXECRATE(execution, budget) == pytest.approx(execution / budget, rel=1e-15)
    assert udfs.XLT_EXECRATE(cell(execution), cell(budget)) == udfs.XLT_EXECRATE(execution, budget)


@pytest.mark.parametrize("budget", [0.0, None, "", "   "])
def test_execrate_is_empty_when_the_budget_is_zero_or_blank(budget):
    assert udfs.XLT_EXECRATE(10.0, budget) == ""
    assert udfs.XLT_EXECRATE(cell(10.0), cell(budget)) == ""


def test_execrate_reads_numbers_typed_as_text():
    assert udfs.XLT_EXECRATE(" 11,789.83 ", "１１７８９.８３") == pytest.approx(1.0)
    assert udfs.XLT_EXECRATE("74.52", 91.71) == pytest.approx(74.52 / 91.71)


def test_execrate_bad_input_gives_excel_errors_not_exceptions():
    assert udfs.XLT_EXECRATE("abc", 10.0) == "#VALUE!"
    assert udfs.XLT_EXECRATE(True, 10.0) == "#VALUE!"
    for err in ERRORS:
        assert udfs.XLT_EXECRATE(err, 10.0) == err
        assert udfs.XLT_EXECRATE(1.0, cell(err)) == err
    assert udfs.XLT_EXECRATE(COM_NA, 10.0) == "#N/A"


def test_execrate_over_a_column_spills_one_rate_per_row():
    execution = [[100.0], [50.0], [None], [30.0]]
    budget = [[200.0], [50.0], [10.0], [0.0]]
    assert udfs.XLT_EXECRATE(execution, budget) == [[0.5], [1.0], [""], [""]]
    # A single budget cell stretches over the column; a shorter column leaves #N/A, as Excel does.
    assert udfs.XLT_EXECRATE(execution, cell(100.0)) == [[1.0], [0.5], [""], [0.3]]
    assert udfs.XLT_EXECRATE([[1.0], [2.0], [3.0]], [[2.0], [4.0]]) == [[0.5], [0.5], ["#N/A"]]
    assert udfs.XLT_EXECRATE([1.0, 2.0], 4.0) == [[0.25, 0.5]]  # a 1-D list is a row


@settings(max_examples=300, deadline=None)
@given(st.floats(0, 1e7), st.floats(0.01, 1e7), st.sampled_from([10.0, 20.0, 5.0, 10]))
def test_execscore_is_capped_rate_times_weight_with_excel_rounding(execution, budget, weight):
    expected = excel_round(min(execution / budget, 1.0) * float(weight), 2)
    assert udfs.XLT_EXECSCORE(execution, budget, weight) == expected
    assert udfs.XLT_EXECSCORE(cell(execution), cell(budget), cell(weight)) == expected


def test_execscore_rounds_half_up_where_python_does_not():
    # 2.675 / 10 × 10 = 2.675 and 57.5 / 100 × 1 = 0.575: Python's round() gives 2.67 and 0.57,
    # Excel's ROUND gives 2.68 and 0.58.
    assert (round(2.675 / 10 * 10, 2), round(57.5 / 100 * 1.0, 2)) == (2.67, 0.57)
    assert udfs.XLT_EXECSCORE(2.675, 10.0, 10.0) == 2.68
    assert udfs.XLT_EXECSCORE(57.5, 100.0, 1.0) == 0.58


def test_execscore_blank_and_bad_inputs():
    assert udfs.XLT_EXECSCORE(None, 100.0, 10.0) == ""
    assert udfs.XLT_EXECSCORE(50.0, 100.0, None) == ""
    assert udfs.XLT_EXECSCORE(50.0, 0.0, 10.0) == ""
    assert udfs.XLT_EXECSCORE(50.0, 100.0, "十分") == "#VALUE!"
    assert udfs.XLT_EXECSCORE("#REF!", 100.0, 10.0) == "#REF!"


# --- XLT_PARSE / XLT_NORMALIZE ---------------------------------------------------------------------

@pytest.mark.parametrize("value", ["≥95%", " ≥95百分比 ", "不少于19.44万批次", "是/否", "每年12月底前", "有效", 95.0, None,
                                   "100%（26家）", "＜0.36百分比"])
def test_parse_spills_kind_direction_number_unit_text(value):
    p = parse_value(value)
    row = udfs.XLT_PARSE(value)
    assert len(row) == 1 and len(row[0]) == 5
    kind, direction, number, unit, text = row[0]
    assert kind == udfs.KIND_ZH[p.kind]
    assert direction == (p.direction.symbol if p.direction else "")
    assert number == ("" if p.number is None else p.number)
    assert unit == (p.unit or "") and text == p.text
    assert udfs.XLT_PARSE(cell(value)) == row


def test_parse_of_a_column_gives_one_row_per_cell():
    rows = udfs.XLT_PARSE([["≥95%"], [None], ["是/否"]])
    assert [r[0] for r in rows] == ["定量", "空", "占位符"]
    assert udfs.XLT_PARSE("#N/A") == [["#N/A", "", "", "", ""]]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="≥≤<>=％%0123456789.万元次个人批百分比以上不少于 ，。（）()", max_size=20))
def test_normalize_is_idempotent_and_agrees_with_the_parser(text):
    once = udfs.XLT_NORMALIZE(text)
    if text.strip():
        assert once == parse_value(text).text
        assert udfs.XLT_NORMALIZE(once) == once
    else:
        assert once == ""


def test_normalize_cleans_what_people_type():
    assert udfs.XLT_NORMALIZE(" ≥９５％。") == udfs.XLT_NORMALIZE("≥95%") == "≥95%"
    assert udfs.XLT_NORMALIZE("≥95百分比") == "≥95%"
    assert udfs.XLT_NORMALIZE(None) == ""
    assert udfs.XLT_NORMALIZE(cell("#DIV/0!")) == "#DIV/0!"


# --- XLT_SCORE -------------------------------------------------------------------------------------

@pytest.mark.parametrize("target,actual,weight", [("≥95%", "90%", 10.0), ("≥95%", "99%", 10.0), ("≤5", 8.0, 4.0),
                                                  ("不少于4500批次", "4000批次", 2.0), ("=0", 0.0, 3.0)])
def test_score_is_the_cores_score(target, actual, weight):
    assert udfs.XLT_SCORE(target, actual, weight) == indicator_score(target, actual, weight).value
    assert udfs.XLT_SCORE(cell(target), cell(actual), cell(weight)) == udfs.XLT_SCORE(target, actual, weight)


def test_score_positive_and_reverse_rules_by_hand():
    assert udfs.XLT_SCORE("≥95%", "90%", 10.0) == excel_round(90 / 95 * 10, 2)   # B/A × w
    assert udfs.XLT_SCORE("≤5", 8.0, 4.0) == excel_round(5 / 8 * 4, 2)           # A/B × w
    assert udfs.XLT_SCORE("≤5", 8.0, 4.0, "线性") == excel_round((1 - 3 / 5) * 4, 2)
    assert udfs.XLT_SCORE("≤5", 8.0, 4.0, "linear") == udfs.XLT_SCORE("≤5", 8.0, 4.0, "线性")
    assert udfs.XLT_SCORE("≤5", 8.0, 4.0, "比值") == udfs.XLT_SCORE("≤5", 8.0, 4.0, None)


@settings(max_examples=200, deadline=None)
@given(st.floats(0.01, 1000), st.floats(0, 5000), st.floats(0.5, 40), st.sampled_from(["≥", "≤", ""]))
def test_score_never_exceeds_the_weight_nor_drops_below_zero(a, b, w, op):
    got = udfs.XLT_SCORE(f"{op}{a:.2f}", b, w)
    assert isinstance(got, float) and 0.0 <= got <= w + 1e-9


def test_score_says_why_when_there_is_no_single_number():
    partial = udfs.XLT_SCORE("是", "基本达到", 8.0)
    assert isinstance(partial, str) and "定性" in partial
    assert partial == indicator_score("是", "基本达到", 8.0).rule
    d16 = udfs.XLT_SCORE("≤30万元", "完成", 5.0)
    assert d16 == indicator_score("≤30万元", "完成", 5.0).rule and not indicator_score("≤30万元", "完成", 5.0).comparable


def test_score_blank_and_bad_inputs():
    assert udfs.XLT_SCORE("≥95%", None, 10.0) == ""
    assert udfs.XLT_SCORE(None, "90%", 10.0) == ""
    assert udfs.XLT_SCORE("≥95%", "90%", "十") == "#VALUE!"
    assert udfs.XLT_SCORE("≥95%", "90%", 10.0, "随便") == "#VALUE!"
    assert udfs.XLT_SCORE("≥95%", "#N/A", 10.0) == "#N/A"


# --- XLT_GRADE -------------------------------------------------------------------------------------

@pytest.mark.parametrize("total,grade", [(93.86, "优"), (90.0, "优"), (89.99, "良"), (80.0, "良"), (79.99, "中"),
                                         (60.0, "中"), (59.99, "差"), (0.0, "差"), (100, "优")])
def test_grade_bands_of_the_2020_measures(total, grade):
    # 财预〔2020〕10号: 90（含）-100 优, 80（含）-90 良, 60（含）-80 中, 60 以下 差 (domain.md §2.4).
    assert udfs.XLT_GRADE(total) == grade
    assert udfs.XLT_GRADE(cell(float(total))) == grade


def test_grade_of_a_float_sum_just_below_90():
    assert udfs.XLT_GRADE(sum([10.0] * 9) - 1e-12) == "优"  # 89.999999999999 is 90 on the sheet


def test_grade_blank_text_and_ranges():
    assert udfs.XLT_GRADE(None) == ""
    assert udfs.XLT_GRADE("九十") == "#VALUE!"
    assert udfs.XLT_GRADE(" 85 ") == "良"
    assert udfs.XLT_GRADE([[95.0, 85.0], [65.0, None]]) == [["优", "良"], ["中", ""]]


# --- XLT_CHECKROW / XLT_VALIDATE -------------------------------------------------------------------

HEADER = ["一级指标", "二级指标", "三级指标", "指标值", "计量单位"]


def validate_rows(rows):
    out = udfs.XLT_VALIDATE([HEADER] + rows)
    assert out[0] == udfs.VALIDATE_HEADER
    return out[1:]


def test_checkrow_messages_are_the_row_findings_of_validate():
    rows = [["产出指标", "数量指标", "抽检批次", "是/否", "批次"],
            ["产出指标", "质量指标", "检查覆盖率", "≥95百分比", "%"],
            ["效益指标", "社会效益指标", "发放准确率", "7人", "人"],
            ["满意度指标", "服务对象满意度指标", "群众满意度", "≥90%", "%"]]
    table = validate_rows(rows)
    for i, r in enumerate(rows, 2):
        expected = [f"【{sev}】{msg}" for code, sev, ref, msg in table
                    if ref.endswith(str(i)) and code in row.CODES]
        got = udfs.XLT_CHECKROW(*r)
        assert got == "\n".join(expected), r
        assert udfs.XLT_CHECKROW(*(cell(v) for v in r)) == got
    assert "是/否" in udfs.XLT_CHECKROW(*rows[0])


def test_checkrow_of_a_clean_row_is_empty():
    assert udfs.XLT_CHECKROW("产出指标", "数量指标", "监督抽检批次", "≥4500批次", "批次") == ""


def test_checkrow_omitted_and_blank_columns_differ():
    # An omitted 计量单位 means the form has no such column; a blank cell is an empty unit.
    omitted = udfs.XLT_CHECKROW("产出指标", "数量指标", "抽检批次", "≥4500批次")
    blank = udfs.XLT_CHECKROW("产出指标", "数量指标", "抽检批次", "≥4500批次", None)
    assert omitted == "" and isinstance(blank, str)


def test_checkrow_over_columns_spills_one_text_per_row():
    got = udfs.XLT_CHECKROW([["产出指标"], ["产出指标"]], [["数量指标"], ["数量指标"]], [["批次"], ["次数"]],
                            [["是/否"], ["≥900次"]])
    assert len(got) == 2 and got[0][0].startswith("【错误】") and got[1][0] == ""


# check_row must say exactly what check_form says of the same row alone on a form (ROW_CODES).
UDF_FIELDS = ("level1", "level2", "level3", "target", "unit", "direction", "nature")


def sample_rows():
    """Every indicator row of samples/*.xlsx as (field, value) pairs in column order."""
    from xltools.core.locate import locate_forms
    from xltools.io.reader import read_workbook
    out = []
    for path in sorted(SAMPLES.glob("*.xlsx")):
        for grid in read_workbook(path).sheets:
            for form in locate_forms(grid):
                for ind in form.indicators:
                    out.append(tuple(sorted(((name, c.value) for name, c in ind.cells.items()),
                                            key=lambda nv: ind.cells[nv[0]].col)))
    return out


def generated_rows(n, seed):
    """Rows mixing the names, values and column texts real forms hold, the awkward ones included."""
    import random

    from xltools.core.form import CellError
    rnd = random.Random(seed)
    level1 = ["产出指标", "效益指标", "满意度指标", "成本指标", "效果指标", "产出指标(50分)", "项目决策", "一级指标", "",
              None, "质量指标", "≥90%", 3.0]
    level2 = ["数量指标", "质量指标", "时效指标", "成本指标", "经济成本指标", "社会效益指标", "可持续影响指标",
              "服务对象满意度指标", "经济效益", "二级指标", "", None, "100%", "乱写的"]
    level3 = ["抽检批次", "检查覆盖率", "预算执行率 (%)", "指标1：群众满意度", "产出指标", "数量指标", "≥85%", "每年12月底前",
              "项目完成时间", "资金到位金额（万元）", "同比增长率", "检查家（次）", "发放准确率", "", None, 12.0,
              "培训人数", "事故发生次数", "平均成本"]
    targets = ["≥95%", "不少于4500批次", "每年12月底前", "100%（26家）", "是/否", "≥0次", "≥100%", "≤100%", ">100%",
               "-5%", "0", "≥90百分比", "≤2300元/批次", "达到预期", "好", "", None, 0.0, 95.0, 0.95,
               CellError("#N/A"), "#N/A", "xx", "≥1万元", "2024年6月", "≥ 80 %。", "100", "大于等于5次", "≤0"]
    units = ["%", "次", "元", "万元", "批次", "人", "", None, "天", "家（次）", "无"]
    directions = ["大于或等于", "≥", "等于", "大于等于", "小于或等于", "", None, "正向", "大于", "=<"]
    natures = ["定量", "定性", "≥", "≤", "", None, "定量指标"]
    rows = []
    for _ in range(n):
        fields = [("level1", rnd.choice(level1)), ("level2", rnd.choice(level2)),
                  ("level3", rnd.choice(level3) if rnd.random() < 0.7 else f"检查次数{rnd.randrange(99)}"),
                  ("target", rnd.choice(targets) if rnd.random() < 0.8 else f"≥{rnd.randrange(200)}%")]
        for name, choices in (("unit", units), ("direction", directions), ("nature", natures)):
            if rnd.random() < 0.5:
                fields.append((name, rnd.choice(choices)))
        for name in ("actual", "weight"):
            if rnd.random() < 0.1:
                fields.append((name, rnd.choice(["", "95%", 10.0, None])))
        if rnd.random() < 0.1:
            rnd.shuffle(fields)
        rows.append(tuple(fields))
    return rows


def test_check_row_gives_what_check_form_gives_on_the_lone_row():
    from xltools.rules import check_form, clear_caches
    from xltools.settings import DEFAULT
    samples = sample_rows()
    assert len(samples) > 500
    udf_shaped = [tuple((n, v) for n, v in r if n in UDF_FIELDS) for r in samples]
    cases = samples + udf_shaped + generated_rows(3000, seed=4) + [()]  # () : a row with no field at all
    compared = 0
    for settings_ in (DEFAULT, DEFAULT.with_(framework="2021"), DEFAULT.with_(framework="2015")):
        for cold in (True, False):  # a row judged afresh, and after check_form has cached its verdicts
            if cold:
                clear_caches()
            for fields in cases:
                want = check_form(row.one_row_form(fields), settings_, row.CODES)
                assert row.check_row(fields, settings_) == want, fields
                compared += 1
    assert compared == 6 * len(cases)


def test_validate_of_a_clean_form_says_so():
    assert validate_rows([["产出指标", "数量指标", "监督抽检批次", "≥4500批次", "批次"],
                          ["效益指标", "社会效益指标", "投诉按时初查率", "≥90%", "%"],
                          ["满意度指标", "服务对象满意度指标", "群众满意度", "≥90%", "%"]]) == [["", "", "", "未发现问题"]]


def test_validate_without_a_form_and_with_garbage_does_not_raise():
    assert "没有找到绩效表" in udfs.XLT_VALIDATE([[1.0, 2.0], [None, "x"]])[1][3]
    assert udfs.XLT_VALIDATE(None)[0] == udfs.VALIDATE_HEADER
    assert udfs.XLT_VALIDATE("#REF!")[0] == udfs.VALIDATE_HEADER


def cli_report(path: Path) -> dict:
    run = subprocess.run([sys.executable, "-m", "xltools.cli", "validate", "--format", "json", str(path)],
                         capture_output=True, text=True, cwd=ROOT)
    return json.loads(run.stdout)


@pytest.mark.parametrize("name", ["seed003-shaoguan-unit-selfeval.xlsx", "seed000-dongguan-unit-target.xlsx",
                                  "seed002-shanhaiguan-targets.xlsx", "clean-unit-selfeval.xlsx"])
def test_validate_over_a_whole_sheet_gives_what_the_cli_gives(name):
    """The sheet's values, read by openpyxl as Excel would pass them, against `xltools validate`."""
    path = SAMPLES / name
    report = cli_report(path)
    for ws in openpyxl.load_workbook(path, data_only=True).worksheets:
        values = [list(r) for r in ws.iter_rows(min_row=1, min_col=1, max_row=ws.max_row,
                                                max_col=ws.max_column, values_only=True)]
        out = udfs.XLT_VALIDATE(values)
        ours = sorted((code, ref, msg) for code, _, ref, msg in out[1:] if code)
        theirs = sorted((f["code"], f["cell"], f["message"]) for form in report["files"][0]["forms"]
                        if form["sheet"] == ws.title for f in form["findings"])
        assert ours == theirs, ws.title


# --- never raises --------------------------------------------------------------------------------

EXCELISH = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**12, 10**12),
                     st.booleans(), st.text(max_size=12), st.sampled_from(ERRORS + [" ", "≥95%", "是/否", "线性"]))
RANGE = st.lists(st.lists(EXCELISH, min_size=1, max_size=3), min_size=1, max_size=3)
ARG = st.one_of(EXCELISH, RANGE)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_no_function_raises_on_anything_excel_can_pass(data):
    for spec in SPECS:
        fn = getattr(udfs, spec.name)
        args = [data.draw(ARG) for a in spec.args if not a.optional]
        result = fn(*args)
        flat = [x for row in result for x in row] if isinstance(result, list) else [result]
        for x in flat:
            assert x is None or isinstance(x, (str, float)) or (isinstance(x, float) and math.isnan(x)), (spec.name, x)
