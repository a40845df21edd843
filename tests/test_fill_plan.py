"""Fill planning: which cells get written, with what value, and formulas a real engine agrees with."""
from __future__ import annotations

import random
from pathlib import Path

import openpyxl
import pytest

from test_rules_budget import FUND_LABELS, SHEET, fund_row, seed003_form
from xltools.core.edits import CellEdit
from xltools.core.fill import plan_fill
from xltools.core.form import Cell, Form, FormKind, IndicatorRow
from xltools.core.numbers import excel_round
from xltools.core.scoring import execution_score, grade, indicator_score
from xltools.settings import DEFAULT


def at(edits: list[CellEdit], row: int, col: int) -> CellEdit:
    hits = [e for e in edits if (e.row, e.col) == (row, col)]
    assert len(hits) == 1, f"expected one edit at {(row, col)}, got {hits}"
    return hits[0]


# --- seed 003 acceptance -----------------------------------------------------------------------

def test_seed003_without_overwrite_writes_nothing():
    # every computed cell already holds something; only blanks are filled without --overwrite
    assert plan_fill(seed003_form(), DEFAULT) == []


def test_seed003_overwrite_corrects_rates_total_and_score():
    edits = plan_fill(seed003_form(), DEFAULT, overwrite=True)
    assert {(e.row, e.col) for e in edits} == {(31, 6), (32, 6), (33, 5), (33, 6), (33, 8)}
    assert at(edits, 31, 6).value == 1.0                                    # 财政拨款 11,789.83 / 11,789.83
    assert at(edits, 32, 6).value == pytest.approx(0.8126, abs=5e-5)         # 其他资金 74.52 / 91.71
    assert at(edits, 33, 5).value == pytest.approx(11864.35, abs=1e-9)       # 合计 全年执行 = Σ 其中
    assert at(edits, 33, 6).value == pytest.approx(0.99855, abs=5e-6)        # 99.86%
    assert at(edits, 33, 8).value == 9.99
    assert all(e.number_format == "0.00%" for e in edits if e.col == 6)
    assert at(edits, 33, 5).number_format == "#,##0.00"
    assert all(e.formula is None for e in edits) and all(e.reason for e in edits)


def test_seed003_formulas_use_literals_for_text_numbers():
    edits = plan_fill(seed003_form(), DEFAULT, overwrite=True, formulas=True)
    # the amounts are text ("11,789.83"), which SUM ignores: they enter the formula as numbers
    assert at(edits, 33, 5).formula == "SUM(11789.83,74.52)"
    assert at(edits, 32, 6).formula == "74.52/91.71"
    # the total's rate refers to the corrected total cell; the score to the rate and weight cells
    assert at(edits, 33, 6).formula == "E33/11881.54"
    assert at(edits, 33, 8).formula == "ROUND(MAX(0,MIN(F33,1))*G33,2)"


def test_blank_cells_are_filled_and_correct_ones_left_alone():
    form = seed003_form()
    form.funds[0].cells["rate"] = Cell(None, 31, 6)
    form.funds[1].cells["rate"] = Cell("81.26%", 32, 6)
    form.funds[2].cells["execution"] = Cell(None, 33, 5)
    form.funds[2].cells["rate"] = Cell(None, 33, 6)
    form.funds[2].cells["score"] = Cell(None, 33, 8)
    edits = plan_fill(form, DEFAULT)
    assert {(e.row, e.col) for e in edits} == {(31, 6), (33, 5), (33, 6), (33, 8)}
    assert at(edits, 33, 8).value == execution_score(11789.83 + 74.52, 11881.54, 10)


# --- a project self-evaluation form with indicators, total and grade ----------------------------

IND_COLS = {"level1": 1, "level2": 2, "level3": 3, "target": 4, "actual": 5, "weight": 6, "score": 7,
            "reason": 8, "direction": 9}


def project_form(indicators, *, funds=None, totals=False) -> Form:
    """Indicators from row 21; with ``totals``, blank 总分 and 等级 cells below them."""
    rows = []
    for i, (name, target, actual, weight, score, direction) in enumerate(indicators):
        r = 21 + i
        values = {"level1": "产出指标", "level2": "数量指标", "level3": name, "target": target, "actual": actual,
                  "weight": weight, "score": score, "reason": None, "direction": direction}
        rows.append(IndicatorRow(r, {k: Cell(values[k], r, c) for k, c in IND_COLS.items()}))
    last = 21 + len(rows)
    form = Form(SHEET, FormKind.PROJECT_SELFEVAL, 1, last + 2, title="项目支出绩效自评表", header_row=20,
                columns=dict(IND_COLS), indicators=rows, funds=funds or [], fund_header_row=4,
                fund_labels=dict(FUND_LABELS))
    if totals:
        form.total_score = Cell(None, last, 7)
        form.grade = Cell(None, last + 1, 7)
    return form


def project_funds(total=None, score=None):
    total = total or {}
    return [
        fund_row(5, "年度资金总额", {"weight": 10, "score": score, **total}, total=True),
        fund_row(6, "其中：当年财政拨款", {"initial_budget": 300, "annual_budget": 280, "execution": 259.45,
                                      "weight": "—", "score": "—"}),
        fund_row(7, "上年结转资金", {"initial_budget": 20, "annual_budget": "20.00", "execution": 12.5,
                                "weight": "—", "score": "—"}),
    ]


INDICATORS = [
    ("全县参合人数", 8755, 8676, 15, None, "大于或等于"),           # 稷山: 14.86
    ("培训人次", "≥1200人次", "1000人次", 10, None, None),
    ("检查覆盖率", "≥95%", 0.9, 10, None, None),                   # a %-formatted actual cell
    ("项目成本", "≤30万元", "36万元", 10, None, None),
    ("平均处理时长", 20, 30, 5, None, "小于或等于"),
    ("重大安全事故", "=0", 0, 5, None, None),
    ("资金到位金额", "≥1亿元", "9000万元", 10, None, None),
    ("群众满意度", "达成预期指标", "效果明显", 15, None, None),
    ("服务对象满意度", "≥90%", "92%", 10, None, None),
]


def test_indicator_scores_total_and_grade_are_filled():
    form = project_form(INDICATORS, funds=project_funds(), totals=True)
    edits = plan_fill(form, DEFAULT)
    for i, (name, target, actual, weight, _, direction) in enumerate(INDICATORS):
        e = at(edits, 21 + i, 7)
        assert e.value == indicator_score(target, actual, weight, direction=direction).value, name
    assert at(edits, 21, 7).value == 14.86
    # the 合计 row gets Σ 其中 (20.00 is text), its rate, and the score
    assert at(edits, 5, 4).value == 300.0 and at(edits, 5, 5).value == pytest.approx(271.95)
    assert at(edits, 5, 8).value == execution_score(259.45 + 12.5, 300.0, 10)
    parts = [at(edits, 5, 8).value] + [at(edits, 21 + i, 7).value for i in range(len(INDICATORS))]
    total = at(edits, form.total_score.row, 7).value
    assert total == excel_round(sum(parts), 2)
    assert at(edits, form.grade.row, 7).value == grade(total)


def test_a_total_past_the_largest_number_is_not_written():
    # Two fuzzed scores of 1e308 made the total's fsum raise OverflowError; their sum is now
    # infinite, which no cell can hold (Excel shows #NUM!): the total is left alone.
    rows = [(f"指标{i}", "≥1", 1, 10, 1e308, None) for i in range(2)]
    form = project_form(rows, totals=True)
    # The scores are printed (and not overwritten); the total and the grade are not computable.
    assert plan_fill(form, DEFAULT) == []


def test_overwrite_respects_tolerance_and_qualitative_bands():
    rows = [("全县参合人数", 8755, 8676, 15, 14.9, None),     # within ±0.05 of 14.86: kept
            ("参保人数", 8755, 8676, 15, 13, None),           # 稷山 printed 13: corrected
            ("群众满意度", "达成预期指标", "达成", 10, 8.5, None),  # inside the 达成 band: kept
            ("政策知晓", "是", "基本达到", 8, 7, None)]           # 部分达成 band has no single value: kept
    form = project_form(rows)
    assert plan_fill(form, DEFAULT) == []
    edits = plan_fill(form, DEFAULT, overwrite=True)
    assert [(e.row, e.value) for e in edits] == [(22, 14.86)]


def test_reverse_rule_setting_changes_the_fill():
    form = project_form([("平均处理时长", "≤20天", "30天", 10, None, None)])
    ratio = plan_fill(form, DEFAULT)[0]
    linear = plan_fill(form, DEFAULT.with_(reverse_rule="linear"))[0]
    assert (ratio.value, linear.value) == (excel_round(10 * 20 / 30, 2), 5.0)


def test_target_forms_get_no_indicator_scores():
    form = project_form([("人数", 10, 9, 5, None, None)])
    for ind in form.indicators:
        del ind.cells["actual"]
    form.columns.pop("actual")
    form.kind = FormKind.PROJECT_TARGET
    assert plan_fill(form, DEFAULT) == []


def test_formulas_reference_number_cells_and_inline_notation():
    form = project_form(INDICATORS, funds=project_funds(), totals=True)
    edits = {(e.row, e.col): e for e in plan_fill(form, DEFAULT, formulas=True)}
    assert edits[(21, 7)].formula == "ROUND(IF(E21>=D21,F21,IF(D21>0,MAX(0,F21*E21/D21),0)),2)"
    assert "(E23*100)" in edits[(23, 7)].formula and "95" in edits[(23, 7)].formula
    assert edits[(22, 7)].formula.count("1200") >= 2 and "E22" not in edits[(22, 7)].formula
    assert edits[(5, 4)].formula == "SUM(D6,20)"         # D7 holds the text "20.00"
    assert edits[(5, 3)].formula == "SUM(C6:C7)"
    total = form.total_score
    assert edits[(total.row, 7)].formula.startswith("ROUND(SUM(H5,G21:G29)")
    assert edits[(form.grade.row, 7)].formula == f'IF(G{total.row}>=90,"优",IF(G{total.row}>=80,"良",IF(G{total.row}>=60,"中","差")))'


def test_a_long_forms_total_is_one_range_and_never_past_excels_limits():
    # Every fifth row cannot be scored (是/否): its blank score cell used to end a run, so 400
    # rows made 80 SUM arguments and 2,000 rows 334, past the 255 Excel allows in a function.
    rows = [(f"指标{i}", "是/否" if i % 5 == 4 else "≥1", 1, 1, None, None) for i in range(2000)]
    form = project_form(rows, totals=True)
    edits = {(e.row, e.col): e for e in plan_fill(form, DEFAULT, formulas=True)}
    total = edits[(form.total_score.row, 7)]
    assert total.formula == f"ROUND(SUM(G21:G{20 + len(rows)}),2)"
    assert total.value == sum(1 for i in range(2000) if i % 5 != 4)
    # Numbers stored as text are literals, one argument each: past 255 the value alone is written.
    for i, ind in enumerate(form.indicators):
        ind.cells["score"] = Cell("1" if i % 2 else None, ind.row, 7)
    edits = {(e.row, e.col): e for e in plan_fill(form, DEFAULT, formulas=True)}
    total = edits[(form.total_score.row, 7)]
    printed = sum(1 for i in range(2000) if i % 2)
    computed = sum(1 for i in range(2000) if not i % 2 and i % 5 != 4)
    assert total.formula is None and total.value == printed + computed


def test_cell_errors_are_left_alone_unless_overwriting():
    from xltools.core.form import CellError
    form = seed003_form()
    form.funds[1].cells["rate"] = Cell(CellError("#DIV/0!"), 32, 6)
    assert all((e.row, e.col) != (32, 6) for e in plan_fill(form, DEFAULT))
    assert at(plan_fill(form, DEFAULT, overwrite=True), 32, 6).value == pytest.approx(74.52 / 91.71)


def test_no_total_over_an_error_value():
    from xltools.core.form import CellError
    form = project_form(INDICATORS, funds=project_funds(), totals=True)
    form.indicators[2].cells["score"] = Cell(CellError("#VALUE!"), 23, 7)
    cells = {(e.row, e.col) for e in plan_fill(form, DEFAULT)}
    assert (form.total_score.row, 7) not in cells and (form.grade.row, 7) not in cells
    # with overwrite the error cell itself is recomputed, and then the total can be too
    cells = {(e.row, e.col) for e in plan_fill(form, DEFAULT, overwrite=True)}
    assert {(23, 7), (form.total_score.row, 7), (form.grade.row, 7)} <= cells


# --- the cached values are what LibreOffice computes ---------------------------------------------

def _write_book(form: Form, edits: list[CellEdit], path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = form.sheet
    cells = [c for f in form.funds for c in f.cells.values()]
    cells += [c for i in form.indicators for c in i.cells.values()]
    cells += [c for c in (form.total_score, form.grade) if c is not None]
    for c in cells:
        if c.value is not None and not c.is_error:
            ws.cell(c.row, c.col, c.value)
    for e in edits:
        cell = ws.cell(e.row, e.col)
        cell.value = "=" + e.formula
        if e.number_format:
            cell.number_format = e.number_format
    wb.save(path)


def _random_form(rnd: random.Random) -> Form:
    rows = []
    for k in range(rnd.randint(3, 12)):
        w = rnd.choice([2, 2.5, 5, 8, 10, 15])
        a = round(rnd.uniform(1, 5000), rnd.choice([0, 1, 2]))
        b = round(a * rnd.uniform(0.3, 2.5), rnd.choice([0, 2]))
        kind = rnd.randrange(7)
        if kind == 0:
            rows.append((f"指标{k}", a, b, w, None, rnd.choice(["大于或等于", "小于", "等于"])))
        elif kind == 1:
            rows.append((f"指标{k}", f"≥{a:g}万元", f"{b:g}万元", w, None, None))
        elif kind == 2:
            rows.append((f"指标{k}", f"≤{a:g}", b, w, None, None))
        elif kind == 3:
            pct = round(rnd.uniform(50, 100), 1)
            rows.append((f"指标{k}率", f"≥{pct:g}%", round(pct / 100 * rnd.uniform(0.7, 1.1), 4), w, None, None))
        elif kind == 4:
            rows.append((f"指标{k}", "=0", rnd.choice([0, 1, 2]), w, None, None))
        elif kind == 5:
            rows.append((f"指标{k}", "是", rnd.choice(["是", "完成", "达成预期指标"]), w, None, None))
        else:
            rows.append((f"指标{k}", f"{a:g}", f"{b:g}", w, None, rnd.choice(["大于", "小于或等于", None])))
    parts = [(round(rnd.uniform(1, 900), 2), round(rnd.uniform(0, 900), 2)) for _ in range(rnd.randint(1, 3))]
    funds = [fund_row(5, "合计", {"weight": 10}, total=True)]
    for j, (budget, spent) in enumerate(parts):
        as_text = rnd.random() < 0.3
        funds.append(fund_row(6 + j, "其中：财政拨款", {
            "initial_budget": budget, "annual_budget": f"{budget:,.2f}" if as_text else budget,
            "execution": spent, "weight": "-", "score": "-"}))
    return project_form(rows, funds=funds, totals=True)


@pytest.mark.libreoffice
@pytest.mark.parametrize("reverse_rule", ["ratio", "linear"])
def test_formula_cache_equals_libreoffice(tmp_path, reverse_rule):
    lo = pytest.importorskip("xltools.io.libreoffice")
    if lo.soffice_path() is None:
        pytest.skip("LibreOffice is not installed")
    settings = DEFAULT.with_(reverse_rule=reverse_rule)
    rnd = random.Random(2024 if reverse_rule == "ratio" else 7)
    forms = [project_form(INDICATORS, funds=project_funds(), totals=True), seed003_form()]
    forms += [_random_form(rnd) for _ in range(25)]
    plans, paths = [], []
    for n, form in enumerate(forms):
        edits = plan_fill(form, settings, overwrite=True, formulas=True)
        assert edits and all(e.formula for e in edits)
        path = tmp_path / f"form{n}.xlsx"
        _write_book(form, edits, path)
        plans.append(edits)
        paths.append(path)
    outs = lo.recalc(paths, tmp_path / "out")
    compared = 0
    for edits, out in zip(plans, outs):
        ws = openpyxl.load_workbook(out, data_only=True)[SHEET]
        for e in edits:
            got = ws.cell(e.row, e.col).value
            assert got == e.value, (out.name, e.row, e.col, e.formula, got, e.value)
            compared += 1
    assert compared > 200
