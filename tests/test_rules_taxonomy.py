"""The taxonomy rule family: names against the framework, missing categories, duplicates, copy-paste (D13, D20)."""
from __future__ import annotations

import json
from pathlib import Path

from xltools.core.codes import REGISTRY
from xltools.core.form import Cell, Form, FormKind, IndicatorRow, TaskRow
from xltools.rules import check_form, taxonomy
from xltools.rules.context import Context
from xltools.settings import DEFAULT

SEEDS = json.loads((Path(__file__).parent / "data" / "seed_values.json").read_text(encoding="utf-8"))
COLS = {"level1": 1, "level2": 2, "level3": 3, "period_target": 4, "target": 5}
FIRST = 5


def make_form(rows, tasks=(), columns=None) -> Form:
    """Rows as (一级, 二级, 三级[, 实施周期, 年度]); a blank 一级/二级 is carried down as the locator does."""
    columns = columns or COLS
    indicators = []
    carry: dict[str, object] = {}
    for i, values in enumerate(rows):
        r = FIRST + i
        values = dict(zip(("level1", "level2", "level3", "period_target", "target"), values))
        inherited = set()
        cells = {}
        for name, col in columns.items():
            v = values.get(name)
            if name in ("level1", "level2") and v in (None, "") and name in carry:
                v = carry[name]
                inherited.add(name)
            elif name in ("level1", "level2") and v:
                carry[name] = v
                if name == "level1":
                    carry.pop("level2", None)
            cells[name] = Cell(v, r, col)
        indicators.append(IndicatorRow(r, cells, frozenset(inherited)))
    task_rows = [TaskRow(20 + i, {k: Cell(v, 20 + i, c) for c, (k, v) in enumerate(t.items(), start=2)})
                 for i, t in enumerate(tasks)]
    return Form("表1", FormKind.UNIT_TARGET, 1, FIRST + len(rows), header_row=FIRST - 1, columns=dict(columns),
                indicators=indicators, tasks=task_rows)


def findings(form, settings=DEFAULT):
    return check_form(form, settings, enabled=taxonomy.CODES)


def pairs(found):
    return [(f.row, f.code) for f in found]


CLEAN_2015 = [
    ("产出指标", "数量指标", "检查次数", "≥10次", "≥12次"),
    ("", "质量指标", "抽检合格率", "≥95%", "≥96%"),
    ("效益指标", "社会效益指标", "群众知晓率", "≥80%", "≥85%"),
    ("满意度指标", "服务对象满意度指标", "群众满意度", "≥90%", "≥92%"),
]


def test_codes_are_registered_in_the_taxonomy_family():
    for code in taxonomy.CODES:
        assert REGISTRY[code].family == "taxonomy"


def test_a_clean_form_has_no_findings():
    assert findings(make_form(CLEAN_2015)) == []


def test_synonyms_are_reported_once_per_written_cell():
    rows = [("效果指标", "社会效益", "A率", "1", "2"), ("", "社会效益", "B率", "1", "2"),
            ("产出指标(50分)", "进度指标", "C率", "1", "2"), ("满意度指标", "满意度指标", "D度", "1", "2")]
    found = findings(make_form(rows))
    got = [(f.cell, f.expected) for f in found if f.code == "name-not-normalised"]
    assert got == [("A5", "效益指标"), ("B5", "社会效益指标"), ("B6", "社会效益指标"), ("A7", "产出指标"),
                   ("B7", "时效指标"), ("B8", "服务对象满意度指标")]
    assert all(f.severity.value == "info" for f in found)


def test_unknown_names():
    rows = CLEAN_2015 + [("产出类指标", "数量指标", "E数", "1", "2"), ("效益指标", "数量质量指标", "F数", "1", "2")]
    found = findings(make_form(rows))
    [u1] = [f for f in found if f.code == "unknown-level1"]
    assert u1.row == 9 and "产出指标、效益指标、满意度指标" in u1.message and u1.severity.value == "error"
    [u2] = [f for f in found if f.code == "unknown-level2"]
    assert u2.row == 10 and "经济效益指标" in u2.message and "数量质量指标" in u2.message


def test_level2_under_the_wrong_level1():
    rows = CLEAN_2015 + [("效益指标", "数量指标", "G数", "1", "2")]
    [f] = findings(make_form(rows))
    assert (f.code, f.cell, f.expected) == ("level2-wrong-parent", "B9", "产出指标")
    rows_2021 = [("成本指标", "经济成本指标", "成本控制", "1", "2"), ("产出指标", "经济成本指标", "H", "1", "2"),
                 ("", "数量指标", "I数", "1", "2"), ("效益指标", "社会效益指标", "J率", "1", "2"),
                 ("满意度指标", "服务对象满意度指标", "K度", "1", "2")]
    [f] = findings(make_form(rows_2021))
    assert (f.code, f.row, f.expected) == ("level2-wrong-parent", 6, "成本指标")


def test_mixed_framework_is_one_warning():
    rows = [("成本指标", "社会成本指标", "L", "1", "2"), ("产出指标", "成本指标", "M", "1", "2"),
            ("", "成本指标", "N", "1", "2"), ("", "数量指标", "O数", "1", "2"),
            ("效益指标", "社会效益指标", "P率", "1", "2"), ("满意度指标", "服务对象满意度指标", "Q度", "1", "2")]
    found = findings(make_form(rows))
    assert pairs(found) == [(6, "mixed-framework")]
    assert "第5行" in found[0].message and found[0].severity.value == "warning"


def test_forced_framework_reports_cost_as_unknown_level1():
    rows = [("成本指标", "经济成本指标", "R", "1", "2")] + CLEAN_2015
    found = findings(make_form(rows), DEFAULT.with_(framework="2015"))
    assert ("unknown-level1", 5) in [(f.code, f.row) for f in found]
    assert ("unknown-level2", 5) in [(f.code, f.row) for f in found]


def test_missing_categories():
    found = findings(make_form(CLEAN_2015[:2]))
    assert [(f.code, f.cell) for f in found] == [("missing-category", "A4"), ("missing-category", "A4")]
    assert "效益指标" in found[0].message and "满意度指标" in found[1].message
    # 社会成本指标 makes the form 2021 (and is misplaced): 成本指标 as a 一级 is then missing
    rows_2021 = [("产出指标", "数量指标", "S数", "1", "2"), ("效益指标", "经济效益指标", "T率", "1", "2"),
                 ("满意度指标", "服务对象满意度指标", "U度", "1", "2"), ("产出指标", "社会成本指标", "V", "1", "2")]
    found = findings(make_form(rows_2021))
    assert pairs(found) == [(4, "missing-category"), (8, "level2-wrong-parent")]
    assert "成本指标" in found[0].message
    # a category row without a 三级 does not count as an indicator of that category
    found = findings(make_form(CLEAN_2015[:3] + [("满意度指标", "服务对象满意度指标", "", "", "")]))
    assert [(f.code, f.message) for f in found] == [("missing-category", "缺少一级指标“满意度指标”下的指标")]


def test_a_category_in_a_misaligned_row_is_not_missing():
    rows = CLEAN_2015[:3] + [("", "", "服务对象满意度指标", "", "≥90%")]  # seed 000/001: reported as misaligned-row
    assert findings(make_form(rows)) == []


def test_duplicate_indicator():
    rows = CLEAN_2015 + [("满意度指标", "服务对象满意度指标", "群众 满意度", "≥90%", "≥91%"),
                         ("产出指标", "时效指标", "检查次数", "1", "2")]
    found = findings(make_form(rows))
    [f] = [f for f in found if f.code == "duplicate-indicator"]
    assert f.row == 9 and "出现2次" in f.message and "另见第8行" in f.message


def test_a_name_repeated_many_times_is_one_finding():
    rows = CLEAN_2015 + [("产出指标", "数量指标", "检查次数", "1", "2")] * 8
    [f] = findings(make_form(rows))
    assert (f.code, f.row) == ("duplicate-indicator", 9)
    assert "出现9次" in f.message and "另见第5、10、11、12、13等行" in f.message


def test_level3_placeholder_prefix_and_unit_in_name():
    [f] = findings(make_form(CLEAN_2015 + [("产出指标", "数量指标", "指标1:培训人数", "≥1", "≥2")]))
    assert (f.code, f.expected) == ("name-not-normalised", "培训人数")
    [f] = findings(make_form(CLEAN_2015 + [("产出指标", "成本指标", "预算执行率 (%)", "≥90%", "≥90%")]))
    assert (f.code, f.cell, f.expected) == ("name-not-normalised", "C9", "预算执行率")
    assert not findings(make_form(CLEAN_2015 + [("产出指标", "质量指标", "示范区（试点）建设完成率", "1", "2")]))


def test_misaligned_rows_are_left_to_the_layout_family():
    rows = CLEAN_2015 + [("", "", "质量指标", "", "全市34个镇街（园区）")]
    assert findings(make_form(rows)) == []


def test_evaluation_framework_is_skipped():
    rows = [("项目决策", "项目立项", "立项依据充分性", "", "是"), ("项目过程", "资金管理", "资金到位率", "", "100%")]
    assert findings(make_form(rows)) == []


LONG = SEEDS["about"]  # any long paragraph will do


def test_duplicate_task_text():
    tasks = [{"name": f"任务{i}", "content": f"内容{i}", "goal": LONG} for i in range(1, 5)]
    found = findings(make_form(CLEAN_2015, tasks=tasks))
    [f] = found
    assert f.code == "duplicate-text" and f.row == 21 and "4项任务" in f.message and "期望达到的目标" in f.message
    short = [{"name": f"任务{i}", "content": f"内容{i}", "goal": "按时完成"} for i in range(1, 4)]
    assert findings(make_form(CLEAN_2015, tasks=short)) == []
    distinct = [{"name": "任务1", "goal": LONG}, {"name": "任务2", "goal": LONG + "。另有补充"}]
    assert findings(make_form(CLEAN_2015, tasks=distinct)) == []


def test_period_values_copied_from_the_annual_ones():
    rows = [(a, b, c, v, v) for a, b, c, v, _ in CLEAN_2015]
    [f] = findings(make_form(rows))
    assert f.code == "duplicate-text" and f.cell == "D5" and "实施周期" in f.message
    rows[2] = rows[2][:4] + ("≥81%",)
    assert findings(make_form(rows)) == []
    no_period = {k: v for k, v in COLS.items() if k != "period_target"}
    assert findings(make_form([(a, b, c, v, v) for a, b, c, v, _ in CLEAN_2015], columns=no_period)) == []


def test_seed_001_has_every_period_value_equal_to_the_annual_one():
    seed = [v for v in SEEDS["values"] if v["seed"] == "001" and "note" not in v]
    period = {v["name"]: v["value"] for v in seed if v["field"] == "period_target"}
    annual = {v["name"]: v["value"] for v in seed if v["field"] == "target"}
    rows = [("产出指标" if i == 0 else "", "数量指标" if i == 0 else "", name, period[name], annual[name])
            for i, name in enumerate(period)]
    found = findings(make_form(rows))
    assert [f.code for f in found if f.code == "duplicate-text"] == ["duplicate-text"]


def test_seed_003_table():
    rows, prev1 = [], None
    for r in SEEDS["seed003_rows"]:
        rows.append(("" if r["level1"] == prev1 else r["level1"], r["level2"], r["level3"], None, r["target"]))
        prev1 = r["level1"]
    found = findings(make_form(rows))
    assert {f.code for f in found} == {"name-not-normalised"}
    renamed = {(f.message.split("“")[1].split("”")[0], f.expected) for f in found}
    # §1.3 synonyms, and D18 units written inside 三级 names
    assert renamed == {("效果指标", "效益指标"), ("社会效益", "社会效益指标"), ("可持续影响", "可持续影响指标"),
                       ("服务对象满意度", "服务对象满意度指标"),
                       ("开展药品安全应急演练次数（场）", "开展药品安全应急演练次数"),
                       ("食品级食品相关产品生产企业飞行检查家（次）", "食品级食品相关产品生产企业飞行检查"),
                       ("食品抽检年度任务完成及时率（%）", "食品抽检年度任务完成及时率")}
    written_bare = sum(1 for r in SEEDS["seed003_rows"] if r["level2"] in ("社会效益", "可持续影响", "服务对象满意度"))
    assert len(found) == written_bare + 1 + 3  # each written cell, the one written 效果指标, three names


def test_a_name_under_two_different_categories_is_no_duplicate():
    rows = CLEAN_2015 + [("效益指标", "社会效益指标", "检查次数", "1", "2"), ("产出指标", "质量指标", "抽检合格率", "1", "2")]
    found = findings(make_form(rows))
    assert pairs(found) == [(10, "duplicate-indicator")]  # 抽检合格率 twice under 质量指标; 检查次数 under two 二级
    assert "另见第6行" in found[0].message


def test_the_evaluation_framework_still_gets_its_level3_names_checked():
    rows = [("项目决策", "项目立项", "指标1:立项依据充分性", "", "是"), ("项目过程", "资金管理", "资金到位率", "", "100%"),
            ("项目过程", "资金管理", "资金到位率", "", "100%")]
    assert pairs(findings(make_form(rows))) == [(5, "name-not-normalised"), (7, "duplicate-indicator")]


def test_an_old_style_cost_level2_counts_as_the_cost_category_when_only_missing_categories_are_asked_for():
    rows = [("产出指标", "成本指标", "M", "1", "2"), ("", "社会成本指标", "N", "1", "2"),
            ("效益指标", "社会效益指标", "P率", "1", "2"), ("满意度指标", "服务对象满意度指标", "Q度", "1", "2")]
    form = make_form(rows)
    assert pairs(check_form(form, DEFAULT, enabled=["missing-category"])) == []
    assert pairs(findings(form)) == [(5, "mixed-framework"), (6, "level2-wrong-parent")]


def test_the_findings_keep_their_order_by_sub_check():
    rows = [("效果指标", "社会效益", "指标1:A率", "1", "1"), ("", "社会效益", "指标2:A率", "1", "1")]
    found = taxonomy.check(make_form(rows), Context(make_form(rows), DEFAULT, None))
    assert [(f.code, f.cell) for f in found] == [
        ("name-not-normalised", "A5"), ("name-not-normalised", "B5"), ("name-not-normalised", "B6"),
        ("missing-category", "A4"), ("missing-category", "A4"),
        ("name-not-normalised", "C5"), ("name-not-normalised", "C6"), ("duplicate-indicator", "C6"),
        ("duplicate-text", "D5")]
