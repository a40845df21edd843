"""Speed budgets of validation and of the Excel UDF bodies, and the guards that make the speed safe.

The budgets are generous (two to three times the issue's targets, best of several runs, CPU time
of this process) so that a regression of an order of magnitude fails while a loaded machine
does not. ``bench/bench_validate.py`` and ``bench/bench_udfs.py`` measure the real numbers.

The speed comes from memoising answers that depend only on a text (parsed notation, facts of a
三级 name, a row's target verdict) and from skipping work for codes nobody asked for, so the
guards check that neither can change a report: cold caches equal warm ones, a code selection
equals the full report filtered, and the fast paths agree with the functions they stand for.
"""
from __future__ import annotations

import dataclasses
import gc
import inspect
import json
import time
from pathlib import Path

import pytest
import xlsxwriter

from xltools.core import notation
from xltools.core.form import Cell, Form, FormKind, IndicatorRow
from xltools.core.notation import ParsedValue, parse_value
from xltools.core.taxonomy import (
    expected_unit_class, implied_unit_class, is_category_name, normalise_level3, plain_name, unit_in_name,
)
from xltools.engine import gc_paused, validate_grid, validate_path, validate_paths
from xltools.excel import udfs
from xltools.io.reader import read_workbook
from xltools.rules import check_form, clear_caches, names
from xltools.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "samples").glob("*.xlsx")) + [ROOT / "tests" / "data" / "bad" / "error-values.xlsx"]

# The targets (bench/bench_validate.py, bench/bench_udfs.py) and the slack allowed here.
ROW_US, SCALAR_US, VALIDATE_MS, FOLDER_S_PER_100K = 50.0, 50.0, 5.0, 3.0
SLACK = 3.0

HEADER = ["一级指标", "二级指标", "三级指标", "指标性质", "指标方向", "目标值", "计量单位", "分值", "得分",
          "偏差原因分析及改进措施"]
ROWS = [
    ("产出指标", "数量指标", "食品安全监督抽检批次", "定量", "大于或等于", "不少于4500批次", "批次", 2, 2, "无"),
    ("产出指标", "质量指标", "疾控中心检查覆盖率", "定量", "等于", "100%", "%", 2, 2, "无"),
    ("产出指标", "时效指标", "食品抽检年度任务完成及时率", "定量", "大于或等于", "≥95%", "%", 2, 2, "无"),
    ("产出指标", "成本指标", "市级食品安全监督抽检平均成本", "定量", "小于", "≤2300元/批次", "元/批次", 2, 2, "无"),
    ("效益指标", "社会效益指标", "投诉按时初查率", "定性", "等于", "是/否", "", 2.5, 2.5, "无"),
    ("满意度指标", "服务对象满意度指标", "服务对象总体满意度", "定量", "大于或等于", "80%", "%", 2, 2, "无"),
]
FIELDS = ("level1", "level2", "level3", "nature", "direction", "target", "unit", "weight", "score", "reason")


def best_cpu(fn, runs: int = 5) -> float:
    """The least CPU time of ``runs`` calls, in seconds: other processes on the machine barely move it."""
    best = float("inf")
    for _ in range(runs):
        t = time.process_time()
        fn()
        best = min(best, time.process_time() - t)
    return best


def assert_cost_stays_flat(cost_per_unit, small: int, large: int, unit: str) -> None:
    """The cost per ``unit`` at size ``large`` is under twice that at ``small``: a cost that grows
    with the size (one rescan of everything so far per unit) grows far past that."""
    at_small, at_large = cost_per_unit(small), cost_per_unit(large)
    assert at_large < 2 * at_small, (f"{at_large * 1e3:.2f} ms per {unit} at {large:,} against "
                                     f"{at_small * 1e3:.2f} at {small:,}")


def write_small_form(ws, top: int, k: int, rows: int) -> None:
    """Form ``k`` of a workbook of many (title, header, ``rows`` rows of ROWS) from row ``top``."""
    ws.write(top, 0, f"项目支出绩效自评表{k}")
    ws.write_row(top + 1, 0, HEADER)
    for i in range(rows):
        ws.write_row(top + 2 + i, 0, [*ROWS[i % len(ROWS)][:2], f"指标{k}-{i}", *ROWS[i % len(ROWS)][3:]])


def write_form(path: Path, rows: int, salt: str = "") -> Path:
    """A 部门整体支出绩效自评表 like the benchmark's: real forms don't repeat a 三级 name."""
    wb = xlsxwriter.Workbook(str(path), {"in_memory": True})
    ws = wb.add_worksheet("自评表")
    ws.write(0, 0, "部门整体支出绩效自评表")
    ws.write_row(1, 0, HEADER)
    for i in range(rows):
        row = list(ROWS[i % len(ROWS)])
        row[2] = f"{row[2]}{i // len(ROWS) + 1}{salt}"
        ws.write_row(2 + i, 0, row)
    wb.close()
    return path


def report_json(paths, **kw) -> str:
    report = validate_paths(paths, **kw)
    for f in report.files:
        f.path = Path(f.path).name
    return report.to_json()


# --- budgets ------------------------------------------------------------------------------------

def test_a_folder_of_forms_validates_within_budget(tmp_path):
    """100,000 rows as 2,000 forms in ≤ 3 s on two cores: ≤ 3 ms of one core per 50-row form."""
    paths = [write_form(tmp_path / f"form{k:03d}.xlsx", 50) for k in range(60)]
    validate_paths(paths[:5])  # rules and tables load on first use
    per_form = best_cpu(lambda: validate_paths(paths), runs=3) / len(paths)
    budget = FOLDER_S_PER_100K * 2 / 2000 * SLACK
    assert per_form <= budget, f"{per_form * 1e3:.2f} ms per form, budget {budget * 1e3:.1f} ms"


def test_one_big_sheet_validates_within_budget(tmp_path):
    """A 20,000-row sheet, read, located and checked on one core (CPU time of this process; the
    two-core paths are guarded by test_read_bands and test_rules_parallel). The issue's 3 s per
    100,000 rows is not met on one core; the bound is three times the ~50 µs per row of before."""
    path = write_form(tmp_path / "big.xlsx", 20_000)
    per_row = best_cpu(lambda: validate_path(path), runs=2) / 20_000
    assert per_row <= 150e-6, f"{per_row * 1e6:.1f} µs per row"


def test_annotating_costs_the_same_per_finding_on_a_large_sheet(tmp_path):
    # Each note used to rescan every note and the whole VML drawing before it: 2,000 rows took
    # 0.46 s, 8,000 rows 8.1 s (4.4× the cost per finding), 100,000 rows tens of minutes.
    from xltools.io.writer import save_copy

    def per_finding(rows: int) -> float:
        path = write_form(tmp_path / f"form{rows}.xlsx", rows)
        findings = validate_path(path).findings
        assert len(findings) > rows // 10  # the 是/否 rows
        out = tmp_path / f"annotated{rows}.xlsx"
        return best_cpu(lambda: save_copy(path, out, findings=findings), runs=2) / len(findings)

    assert_cost_stays_flat(per_finding, 2000, 8000, "finding (rows)")


def test_annotating_costs_the_same_per_sheet_in_a_workbook_of_many_sheets(tmp_path):
    # Each sheet's lookup resolved every relationship of the workbook, and each new comments or
    # drawing part counted its number up from 1 and scanned every content-type override: 100
    # sheets took 8.2 s to annotate, 400 sheets 487 s (1.2 s a sheet); 7.3 s for 1,000 now.
    from xltools.io.writer import save_copy

    def per_sheet(sheets: int) -> float:
        path = tmp_path / f"sheets{sheets}.xlsx"
        wb = xlsxwriter.Workbook(str(path), {"in_memory": True})
        for k in range(sheets):
            write_small_form(wb.add_worksheet(f"表{k}"), 0, k, 6)
        wb.close()
        findings = validate_path(path).findings
        assert {f.sheet for f in findings} == {f"表{k}" for k in range(sheets)}  # every sheet gets notes
        out = tmp_path / f"annotated{sheets}.xlsx"
        return best_cpu(lambda: save_copy(path, out, findings=findings), runs=2) / sheets

    assert_cost_stays_flat(per_sheet, 50, 200, "sheet (sheets)")


def test_locating_costs_the_same_per_form_on_a_sheet_of_many_stacked_forms(tmp_path):
    # Each form scanned every anchor of the sheet for its preamble and its end: 4,000 stacked
    # forms took 13 s to locate (in the profiler), 0.9 s now.
    from xltools.core.locate import locate_forms

    def per_form(forms: int) -> float:
        path = tmp_path / f"stacked{forms}.xlsx"
        wb = xlsxwriter.Workbook(str(path), {"in_memory": True})
        ws = wb.add_worksheet("自评表")
        for k in range(forms):
            write_small_form(ws, k * 13, k, 10)
        wb.close()
        grid = read_workbook(path).sheets[0]
        assert len(locate_forms(grid)) == forms
        # As validation runs it, with the cyclic collector paused: its passes over this test
        # process's heap, not locating, made the cost per form swing 2.6× from run to run.
        with gc_paused():
            return best_cpu(lambda: locate_forms(grid), runs=2) / forms

    assert_cost_stays_flat(per_form, 375, 3000, "form (forms)")


def test_checking_one_row_and_parsing_one_target_are_within_budget():
    """bench_validate's per-call costs: a 3,000-row form of distinct names, and distinct targets."""
    clear_caches()
    rows = []
    for r, values in enumerate(ROWS * 500, 2):
        values = list(values)
        values[2] = f"{values[2]}-{r}"
        rows.append(IndicatorRow(r, {n: Cell(v, r, c) for c, (n, v) in enumerate(zip(FIELDS, values), 1)}))
    form = Form("S", FormKind.UNIT_SELFEVAL, 1, len(rows) + 1, indicators=rows,
                columns={n: i for i, n in enumerate(FIELDS, 1)})
    per_row = best_cpu(lambda: check_form(form), runs=3) / len(rows)
    assert per_row <= ROW_US * SLACK * 1e-6, f"{per_row * 1e6:.1f} µs per row"
    targets = [f"≥{i}%" if i % 3 else f"不少于{i}万批次。" for i in range(3000)]

    def parse_all():
        clear_caches()  # each target parsed for the first time
        for text in targets:
            parse_value(text)
    per_parse = best_cpu(parse_all, runs=3) / len(targets)
    assert per_parse <= ROW_US * SLACK * 1e-6, f"{per_parse * 1e6:.1f} µs per target"


def _udf_cases(n: int, salt: int):
    cell = lambda v: [[v]]  # noqa: E731 - what xlwings passes for one cell with ndim=2
    return {
        "XLT_EXECRATE": [(cell(100.0 + i), cell(300.0 + salt + i / 7)) for i in range(n)],
        "XLT_EXECSCORE": [(cell(100.0 + i), cell(300.0 + salt + i / 7), cell(10.0)) for i in range(n)],
        "XLT_PARSE": [(cell(f" ≥{i}.{salt}百分比 "),) for i in range(n)],
        "XLT_NORMALIZE": [(cell(f"不少于{i}.{salt}万批次。"),) for i in range(n)],
        "XLT_SCORE": [(cell(f"≥9{i % 10}.{salt}{i}%"), cell(f"{80 + i % 20}%"), cell(10.0)) for i in range(n)],
        "XLT_GRADE": [(cell(40.0 + (i * 7919 + salt) % 6000 / 100),) for i in range(n)],
        "XLT_CHECKROW": [(cell("产出指标"), cell("数量指标"), cell(f"检查次数{i}-{salt}"), cell(f"≥{i}.{salt}次"),
                          cell("次")) for i in range(n)],
    }


@pytest.mark.parametrize("name", list(_udf_cases(1, 0)))
def test_every_scalar_udf_is_within_budget_on_inputs_it_has_not_seen(name):
    fn = getattr(udfs, name)
    for args in _udf_cases(20, -1)[name]:  # warm-up on other inputs: tables load on first use
        fn(*args)
    best = float("inf")
    for salt in range(5):  # fresh inputs and empty caches each time: nothing is remembered
        calls = _udf_cases(400, salt)[name]
        clear_caches()
        udfs._cached_score.cache_clear()
        udfs._check_fields.cache_clear()
        t = time.process_time()
        for args in calls:
            fn(*args)
        best = min(best, (time.process_time() - t) / len(calls))
    assert best <= SCALAR_US * SLACK * 1e-6, f"{name}: {best * 1e6:.1f} µs per call"


def test_validate_udf_over_a_60_row_form_is_within_budget():
    def values(salt):
        out = [["部门整体支出绩效自评表"] + [None] * 9, list(HEADER)]
        for i in range(60):
            row = [float(v) if isinstance(v, int) else v for v in ROWS[i % len(ROWS)]]
            row[2] = f"{row[2]}{i // len(ROWS) + 1}-{salt}"
            out.append(row)
        return out
    udfs.XLT_VALIDATE(values(-1))
    forms = [values(k) for k in range(5)]
    clear_caches()
    seconds = best_cpu(lambda: udfs.XLT_VALIDATE(forms.pop()), runs=5)
    assert seconds <= VALIDATE_MS * SLACK / 1e3, f"{seconds * 1e3:.2f} ms"


# --- the guards ---------------------------------------------------------------------------------

def test_the_samples_report_the_same_twice_and_with_cold_caches():
    clear_caches()
    cold = report_json(SAMPLES)
    warm = report_json(SAMPLES)
    assert warm == cold
    clear_caches()
    assert report_json(SAMPLES, settings=Settings(framework="2021", weight_template="sichuan")) == \
        report_json(SAMPLES, settings=Settings(framework="2021", weight_template="sichuan"))
    findings = sum(len(form["findings"]) for f in json.loads(cold)["files"] for form in f["forms"])
    assert findings > 100  # the samples hold defects: the comparison is not between two empty reports


@pytest.mark.parametrize("selection", [
    {"target-missing", "unit-mismatch", "not-normalised"}, {"missing-category", "duplicate-indicator"},
    {"cell-error"}, {"weights-sum", "score-mismatch", "reason-missing"}, {"direction-conflict", "unknown-level2"},
])
def test_a_code_selection_reports_what_the_full_report_holds_for_those_codes(selection):
    """Families skip the work of codes nobody asked for; what they still report must not change."""
    for path in SAMPLES:
        for grid in read_workbook(path).sheets:
            full = [r.findings for r in validate_grid(grid)]
            picked = [r.findings for r in validate_grid(grid, enabled=set(selection))]
            assert picked == [[f for f in findings if f.code in selection] for findings in full], path.name


def test_a_row_verdict_replays_at_each_row_with_its_own_name_and_cells():
    """Rows that share a value, 计量单位 and what their names imply share one target verdict."""
    cells = lambda r, name, target, unit: {  # noqa: E731
        "level1": Cell("产出指标", r, 1), "level2": Cell("数量指标", r, 2), "level3": Cell(name, r, 3),
        "target": Cell(target, r, 4), "unit": Cell(unit, r, 5)}
    rows = [IndicatorRow(r, cells(r, f"第{r}类检查覆盖率", "≥95人", "人")) for r in range(3, 8)]
    form = Form("S", FormKind.PROJECT_TARGET, 1, 8, header_row=2,
                columns={"level1": 1, "level2": 2, "level3": 3, "target": 4, "unit": 5}, indicators=rows)
    clear_caches()
    got = [(f.cell, f.message) for f in check_form(form, enabled={"unit-mismatch"})]
    assert got == [(f"D{r}", f"指标“第{r}类检查覆盖率”的单位“人”与指标名称不符（应为百分比（%））") for r in range(3, 8)]


def test_the_fast_parsed_value_is_a_parsed_value():
    fields = [f.name for f in dataclasses.fields(ParsedValue)]
    params = inspect.signature(notation._pv).parameters
    assert list(params) == fields
    assert [p.default for p in list(params.values())[1:]] == [f.default for f in dataclasses.fields(ParsedValue)[1:]]
    fast = parse_value("≥95百分比")
    slow = ParsedValue(**{name: getattr(fast, name) for name in fields})
    assert fast == slow and hash(fast) == hash(slow) and repr(fast) == repr(slow)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.number = 1.0


NAMES = ["食品安全监督抽检批次12", "预算执行率 (%)", "管理车辆数（辆）", "指标1：服务覆盖率", "一、产出指标",
         "效果指标", "产出指标(50分)", "服务对象满意度", "数量", "成本指标", "检查家（次）", "人均经费", "同比增长率",
         " 经济效益指标 ", "培训人数\n（人次）", "≥95%", "每年12月底前", "１２３", "资金使用效率", "占比情况", ""]


@pytest.mark.parametrize("text", NAMES)
def test_name_facts_agree_with_the_functions_they_stand_for(text):
    facts = names.name_facts(text)
    assert facts.category == is_category_name(text)
    assert facts.value_like == names.is_value_text(text)
    assert facts.level3 == normalise_level3(text)
    assert facts.in_name == unit_in_name(text)
    assert facts.implied == expected_unit_class(text)
    if text:
        assert implied_unit_class(text, unit_in_name(text)) == expected_unit_class(text)
    if text and plain_name(text):  # the shortcut name_facts takes: nothing for the cleaning to change
        assert normalise_level3(text) == (text, False)


def test_checks_pause_the_collector_and_leave_it_as_they_found_it():
    form = Form("S", FormKind.PROJECT_TARGET, 1, 2, indicators=[IndicatorRow(2, {"level3": Cell("x", 2, 1)})])
    assert gc.isenabled()
    check_form(form)
    assert gc.isenabled()
    gc.disable()
    try:
        check_form(form)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_pause_that_leaves_a_large_model_freezes_it_until_the_next_pause(monkeypatch):
    from xltools import engine
    monkeypatch.setattr(engine, "FREEZE_AFTER", 20_000)
    assert gc.isenabled()
    try:
        with engine.gc_paused():
            few = [[] for _ in range(100)]
        assert gc.isenabled() and gc.get_freeze_count() == 0  # a small file's objects stay with the collector
        with engine.gc_paused():
            model = [[] for _ in range(50_000)]  # what a large sheet's form model is to the collector
        assert gc.isenabled()
        assert gc.get_freeze_count() >= 50_000
        with engine.gc_paused():
            assert gc.get_freeze_count() == 0  # put back: a frozen cycle lasts no longer than this
        assert gc.get_freeze_count() == 0
    finally:
        gc.unfreeze()
    assert few and model


def test_a_large_form_keeps_its_names_out_of_the_shared_cache(monkeypatch):
    from xltools.rules import context, names
    rows = [IndicatorRow(r, {"level3": Cell(f"独有指标{r}", r, 1)}) for r in range(2, 12)]
    form = Form("S", FormKind.PROJECT_TARGET, 1, 11, indicators=rows)
    clear_caches()
    small = check_form(form)
    assert names.name_facts.cache_info().currsize >= 10  # a small form's names are shared across forms
    clear_caches()
    monkeypatch.setattr(context, "LARGE_FORM", 5)
    assert check_form(form) == small
    assert names.name_facts.cache_info().currsize == 0  # its own names, kept in its Context only


def test_worker_processes_give_the_serial_report(tmp_path):
    import shutil
    from xltools.engine import POOL_MIN_FILES
    paths = []
    for k in range(POOL_MIN_FILES):
        src = SAMPLES[k % len(SAMPLES)]
        paths.append(Path(shutil.copy(src, tmp_path / f"{k:02d}-{src.name}")))
    assert report_json(paths, jobs=2) == report_json(paths)


def test_error_free_flag_is_only_set_on_sheets_without_errors():
    """layout skips the cell-by-cell search for formula errors where the reader saw none."""
    from xltools.core.form import CellError
    flags = []
    for path in SAMPLES:
        for grid in read_workbook(path).sheets:
            holds = any(isinstance(v, CellError) for line in grid.values for v in line)
            assert grid.may_hold_errors or not holds, (path.name, grid.sheet)
            flags.append((grid.may_hold_errors, holds))
    assert (True, True) in flags and (False, False) in flags  # both kinds of sheet are covered
    report = validate_path(ROOT / "tests" / "data" / "bad" / "error-values.xlsx")
    assert any(f.code == "cell-error" for f in report.findings)
