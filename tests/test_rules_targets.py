"""The targets rule family on hand-built rows and on the seed forms' indicator tables."""
from __future__ import annotations

import json
from pathlib import Path

from xltools.core.codes import REGISTRY
from xltools.core.form import Cell, Form, FormKind, IndicatorRow
from xltools.rules import check_form, clear_caches, targets
from xltools.settings import DEFAULT

SEEDS = json.loads((Path(__file__).parent / "data" / "seed_values.json").read_text(encoding="utf-8"))
COLS = {"level1": 1, "level2": 2, "level3": 3, "nature": 4, "direction": 5, "target": 6, "unit": 7, "weight": 8,
        "score": 9}


def make_form(rows: list[dict], columns=None, first_row: int = 5, carry: bool = True) -> Form:
    """A form from dicts of field → value; a field absent from ``columns`` is absent from the row.

    With ``carry``, a 一级 equal to the row above's is marked inherited, as the locator does for merges.
    """
    columns = columns or COLS
    indicators = []
    prev: dict = {}
    for i, values in enumerate(rows):
        r = first_row + i
        cells = {k: Cell(values.get(k), r, c) for k, c in columns.items()}
        inherited = set(values.get("_inherited", ()))
        if carry and prev and values.get("level1") == prev.get("level1"):
            inherited.add("level1")
        indicators.append(IndicatorRow(r, cells, frozenset(inherited)))
        prev = values
    return Form("表1", FormKind.UNIT_SELFEVAL, first_row - 1, first_row + len(rows), header_row=first_row - 1,
                columns=dict(columns), indicators=indicators)


def findings(form: Form, settings=DEFAULT):
    return check_form(form, settings, enabled=targets.CODES)


def one(l3, target, unit=None, nature=None, direction=None, l1="产出指标", l2="数量指标", **extra):
    """One row; the 计量单位/指标性质/指标方向 columns exist only when a value is given for them."""
    row = {"level1": l1, "level2": l2, "level3": l3, "target": target, "unit": unit, "nature": nature,
           "direction": direction, "weight": 2, "score": 2}
    row.update(extra)
    columns = {k: c for k, c in COLS.items() if row.get(k) is not None or k in ("level1", "level2", "level3", "target")}
    return findings(make_form([row], columns=columns))


def codes(found) -> list[str]:
    return sorted(f.code for f in found)


def test_codes_are_registered_in_the_targets_family():
    for code in targets.CODES:
        assert REGISTRY[code].family == "targets"


# --- the brief's acceptance examples ------------------------------------------------------------

def test_placeholder():
    [f] = one("项目控制预算数", "是/否", l2="成本指标")
    assert f.code == "target-placeholder" and f.severity.value == "error" and "是/否" in f.message
    assert f.cell == "F5" and f.row == 5


def test_unit_mismatch_rate_with_a_count():
    [f] = one("工资及保险发放准确率", "7人", l2="质量指标")
    assert f.code == "unit-mismatch" and f.severity.value == "error"
    assert "人" in f.message and "%" in f.expected


def test_direction_conflicts():
    for value in ("2次以上", "至少1个", "≥100%", "力争成功提交3件"):
        found = [f for f in one("某项工作", value, nature="定量", direction="等于") if f.code == "direction-conflict"]
        assert len(found) == 1, value
        assert found[0].cell == "E5" and found[0].expected == "大于或等于" and value in found[0].message
    assert not [f for f in one("推广对接", "至少2个以上", direction="等于或大于") if f.code == "direction-conflict"]
    assert not one("食品安全监督抽检", "4500批次", unit="批次", nature="定量", direction="大于")
    [f] = [f for f in one("进校园活动", "不少于4所", unit="所", direction="等于或等于") if f.code == "direction-conflict"]
    assert "写法有误" in f.message and f.expected == "大于或等于"
    assert [f.code for f in one("事故率", "≤0.5%", direction="大于等于")] == ["direction-conflict"]
    assert not one("事故率", "≤0.5%", direction="小于或等于")


def test_nature_conflicts():
    for value in ("100%（26家）", "不低于3%"):
        found = [f for f in one("检查覆盖率", value, nature="定性", direction=None) if f.code == "nature-conflict"]
        assert len(found) == 1 and found[0].cell == "D5" and found[0].expected == "定量"
    [f] = [f for f in one("资金安排", "按月安排", nature="定量") if f.code == "nature-conflict"]
    assert f.expected == "定性"
    assert not one("群众满意度", "较好", nature="定性")
    assert not one("执行率", "≥90%", nature="定量")


def test_unit_column_conflicts():
    found = one("对药品生产企业检查覆盖率", "100%（26家）", unit="家", l2="质量指标")
    [f] = [f for f in found if f.code == "unit-column-conflict"]
    assert f.cell == "G5" and f.expected == "%" and f.severity.value == "warning"
    assert "unit-mismatch" not in codes(found)
    # 元 in the name vs 亿元 in the value: same money class, a warning not an error
    [f] = one("知识产权质押融资额（元）", "≥15亿元")
    assert f.code == "unit-column-conflict" and f.expected == "亿元" and "指标名称" in f.message
    # 业务工作支出安排金额 | 28.8万元 | %  (岳阳楼区)
    [f] = one("业务工作支出安排金额", "28.8万元", unit="%", l2="成本指标")
    assert f.code == "unit-column-conflict" and f.cell == "G5"
    # 保证单位正常运转 | 定性 | 应保尽保 | %  (岳阳楼区)
    [f] = one("保证单位正常运转", "应保尽保", unit="%", nature="定性")
    assert f.code == "unit-column-conflict" and f.cell == "G5"
    assert not one("保证单位正常运转", "应保尽保", unit="—", nature="定性")
    assert not one("化妆品经营企业检查", "不少于2000家次", unit="家次")
    assert not one("保健食品生产企业日常监督检查", 11, unit="家（次）")


def test_unit_mismatch_on_a_growth_rate_per_year():
    [f] = one("企业负担增长率", "≥3.5万/年", l1="效益指标", l2="经济效益指标")
    assert f.code == "unit-mismatch"


def test_unit_mismatch_from_the_unit_column_when_the_value_has_none():
    [f] = one("检查覆盖率", 100, unit="家", l2="质量指标")
    assert f.code == "unit-mismatch" and f.cell == "G5"


def test_unit_in_the_name_against_a_different_class():
    [f] = one("管理车辆数（辆）", "≥95%")
    assert f.code == "unit-mismatch" and "辆" in f.expected


def test_trivial_targets():
    [f] = one("成本节约率 (%)", "≥0%", l2="成本指标")
    assert f.code == "trivial-target"
    [f] = one("不合格产品查处率", "≥100%", l2="质量指标")
    assert f.code == "trivial-target" and f.expected == "100%"
    assert [f.code for f in one("重大事故次数", "≥0次")] == ["trivial-target"]
    assert [f.code for f in one("事故数", 0, direction="大于或等于")] == ["trivial-target"]
    assert [f.code for f in one("执行率", "≤100%")] == ["trivial-target"]
    assert not one("重大事故次数", "0次", direction="等于")
    assert not one("有效发明专利量增长率", "≥0%")  # a change may be negative: ≥0% is a real target


def test_percent_out_of_range():
    [f] = one("食品抽检完成率", "≥120%")
    assert f.code == "percent-out-of-range" and f.expected == "0%–100%"
    assert not one("有效发明专利量同比增长率", "≥150%")
    assert not one("食品抽检完成率", "90%-95%")
    assert [f.code for f in one("食品抽检完成率", "90%-105%")] == ["percent-out-of-range"]


def test_not_normalised():
    for value, expected in (("≥95百分比", "≥95%"), ("100%。", "100%"), ("＜0.36百分比", "<0.36%")):
        [f] = one("公车保险缴纳率", value)
        assert f.code == "not-normalised" and f.severity.value == "info" and f.expected == expected
        assert "（" in f.message  # the reason is given


def test_unparseable():
    [f] = one("年度资金总额", "310.2154.741050%5")
    assert f.code == "target-unparseable" and "连在一起" in f.message


def test_missing_only_when_the_row_has_something_else():
    [f] = one("特种设备安全监管", None, nature="定性", direction="等于")
    assert f.code == "target-missing" and f.cell == "F5"
    assert not findings(make_form([{"level1": "产出指标", "level2": "数量指标", "level3": "只有名称"}]))


def test_sichuan_operator_in_the_nature_column():
    cols = {"level1": 1, "level2": 2, "level3": 3, "nature": 4, "target": 5, "unit": 6, "weight": 7}
    form = make_form([
        {"level1": "产出指标", "level2": "质量指标", "level3": "差错率", "nature": "≥", "target": "≤5%"},
        {"level1": "产出指标", "level2": "质量指标", "level3": "工作完成质量", "nature": "≤", "target": "是"},
        {"level1": "产出指标", "level2": "质量指标", "level3": "抽检合格率", "nature": "≥", "target": "95%"},
        {"level1": "产出指标", "level2": "质量指标", "level3": "工作效果", "nature": "定性", "target": "好"},
    ], columns=cols)
    found = findings(form)
    assert [(f.row, f.code) for f in found] == [(5, "direction-conflict"), (6, "nature-conflict")]
    assert found[0].cell == "D5"


def test_rows_other_families_report_are_skipped():
    form = make_form([
        {"level1": "产出指标", "level2": "数量指标", "level3": "A数", "target": "是/否", "_inherited": ()},
        {"level1": "产出指标", "level2": "数量指标", "level3": "B数", "target": "是/否", "_inherited": ("target",)},
        {"level1": "效益指标", "level2": "社会效益指标", "level3": "社会效益指标", "target": "≥85百分比"},  # misaligned
    ])
    assert [(f.row, f.code) for f in findings(form)] == [(5, "target-placeholder")]
    no_target = {k: v for k, v in COLS.items() if k != "target"}
    assert not findings(make_form([{"level3": "A率", "unit": "人"}], columns=no_target))


# --- the seeds -----------------------------------------------------------------------------------

def seed003_form() -> Form:
    rows = [dict(r, score=r["weight"]) for r in SEEDS["seed003_rows"]]
    return make_form(rows)


def test_seed_003_defects_are_found_where_domain_md_says():
    form = seed003_form()
    found = findings(form)
    by_code: dict[str, set[str]] = {}
    for f in found:
        ind = next(i for i in form.indicators if i.row == f.row)
        by_code.setdefault(f.code, set()).add(ind.text("target"))
    # D3: 等于 with an operator in the value, and the malformed 等于或等于
    assert by_code["direction-conflict"] == {"2次以上", "至少1个", "力争成功提交3件", "≥100%", "不少于4所"}
    # D4: 定性 on every numeric target
    numeric_qualitative = {r["target"] for r in SEEDS["seed003_rows"]
                           if r["nature"] == "定性" and any(ch.isdigit() for ch in r["target"])}
    assert by_code["nature-conflict"] == numeric_qualitative
    # D2: a percentage against 家/家次/项 in 计量单位
    assert by_code["unit-column-conflict"] == {r["target"] for r in SEEDS["seed003_rows"]
                                               if r["unit"] and "%" in r["target"]}
    assert by_code["target-missing"] == {""}  # D12: 可持续影响 … 定性 等于 (blank)
    assert by_code["trivial-target"] == {"≥100%"}
    assert by_code["not-normalised"] == {"至少2个以上"}
    # D12: 定量 rows with no 指标方向
    assert by_code["direction-missing"] == {r["target"] for r in SEEDS["seed003_rows"]
                                            if r["nature"] == "定量" and not r["direction"]}
    assert not {"unit-mismatch", "target-unparseable", "target-placeholder", "percent-out-of-range"} & set(by_code)


def test_seed_002_project_tables():
    rows = [{"level1": "产出指标", "level2": "数量指标", "level3": v["name"], "target": v["value"]}
            for v in SEEDS["values"] if v["seed"] == "002" and v["name"]]
    cols = {"level1": 1, "level2": 2, "level3": 3, "target": 5}
    found = findings(make_form(rows, columns=cols))
    placeholders = [f for f in found if f.code == "target-placeholder"]
    assert len(placeholders) == sum(1 for r in rows if r["target"] == "是/否") == 28
    mismatched = {next(r["level3"] for i, r in enumerate(rows) if i + 5 == f.row)
                  for f in found if f.code == "unit-mismatch"}
    assert mismatched == {"工资及保险发放准确率"}
    # D15 "百分比" and D18 full-width operators ("＜1个", "＜0.36百分比")
    assert sum(f.code == "not-normalised" for f in found) == sum(
        "百分比" in r["target"] or any(ch in r["target"] for ch in "＜＞％＝") for r in rows)


def test_seed_001_money_name_against_yi_yuan_and_values_without_unit():
    rows = [{"level1": "产出指标", "level2": "数量指标", "level3": v["name"], "target": v["value"]}
            for v in SEEDS["values"] if v["seed"] == "001" and v["field"] == "target"]
    cols = {"level1": 1, "level2": 2, "level3": 3, "target": 5}
    found = findings(make_form(rows, columns=cols))
    got = [(f.code, rows[f.row - 5]["target"]) for f in found]
    assert got == [("unit-missing", "≥2"), ("unit-missing", "≥1"), ("unit-column-conflict", "≥15亿元")]


def test_unit_missing():
    [f] = one("数据采集服务报告数量", "≥2")
    assert f.code == "unit-missing" and f.cell == "F5" and "计数单位" in f.message
    [f] = one("抽检合格率", "≥95", unit="")  # an empty 计量单位 column: the finding points there
    assert f.code == "unit-missing" and f.cell == "G5" and f.expected == "百分比（%）"
    assert not one("重大事故次数", "0")
    assert not one("数据采集服务报告数量", 2)  # a numeric cell may carry its unit in its number format
    assert not one("分析报告数量（份）", "≥1")


def test_direction_missing():
    [f] = one("企业知识产权贯标推进", "1项", nature="定量", direction="")
    assert f.code == "direction-missing" and f.cell == "E5" and f.expected is None
    [f] = one("抽检合格率", "≥95%", nature="定量", direction="")
    assert f.expected == "大于或等于"
    assert not one("群众评价", "较好", nature="定性", direction="")
    assert "direction-missing" not in codes(one("工作质量", "100%", nature="定性", direction=""))


# --- verdicts replayed on rows that share a signature ---------------------------------------------

def test_a_replayed_verdict_points_at_each_rows_own_cells_and_name():
    rows = [{"level1": "产出指标", "level2": "数量指标", "level3": name, "target": "≥95人", "unit": "人",
             "direction": "小于"} for name in ("检查{0}覆盖率", "服务}{覆盖率", "检查{0}覆盖率")]
    for cold in (True, False):  # judged afresh, then replayed from the verdict the first pass left
        if cold:
            clear_caches()
        found = findings(make_form(rows, carry=False))
        assert [(f.code, f.cell) for f in found] == [
            (code, f"{col}{r}") for r in (5, 6, 7)
            for code, col in (("direction-conflict", "E"), ("unit-mismatch", "F"))]
        mismatches = [f.message for f in found if f.code == "unit-mismatch"]
        assert mismatches == [f"指标“{r['level3']}”的单位“人”与指标名称不符（应为百分比（%））" for r in rows]


def test_a_cell_standing_for_two_fields_is_judged_on_its_own_row():
    form = make_form([{"level1": "产出指标", "level2": "数量指标", "level3": f"第{i}项检查覆盖率", "target": "是/否"}
                      for i in range(3)], carry=False)
    for ind in form.indicators:
        ind.cells["nature"] = ind.cells["target"]  # a reader that maps two headers onto one column
    found = findings(form)
    assert [(f.code, f.cell, f.message) for f in found] == [
        ("target-placeholder", f"F{r}", f"指标“第{r - 5}项检查覆盖率”的指标值“是/否”是未填写的占位符") for r in (5, 6, 7)]
