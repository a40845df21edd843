"""The form locator: forms found by their header labels, merged cells applied, several forms a sheet."""
from xltools.core.form import FormKind
from xltools.core.grid import Grid
from xltools.core.locate import locate_forms, norm_label


def grid(rows, merges=(), sheet="表1", origin=(1, 1)):
    return Grid(sheet, [list(r) for r in rows], list(merges), origin)


SELFEVAL = [
    ["部门整体支出绩效自评表"],
    ["部门名称及编码", "韶关市市场监督管理局 141001"],
    ["项目资金（万元）", "年初预算（万\n元）", "全年预算（万元）(注:调整预算数)", "全年执行（万元）(注:实际支出数)", "执行率", "分值", "得分"],
    ["其中：财政拨款", 8761.28, 11789.83, 11789.83, 0.0, "-", ""],
    ["其他资金", 0, 91.71, 74.52, 0.0, "-", ""],
    ["合计", 8761.28, 11881.54, 11881.54, 1.0, 10, 9],
    [],
    ["绩效指标", "一级指标", "二级指标", "三级指标", "指标性质(注:定量或者定性)", "指标方向(注:大于、小于或等于)",
     "目标值", "计量单位", "分值", "得分", "偏差原因分析及改进措施"],
    ["", "产出指标", "数量指标", "新增限上餐饮企业受惠企业数量", "定量", "大于或等于", "不少于7家", "家", 2, 2, "无"],
    ["", "", "数量指标", "食品安全监督抽检", "定量", "大于", "4500批次", "批次", 2, 2, "无"],
    ["", "", "质量指标", "疾控中心检查覆盖率", "定性", "等于", "100%（10家）", "家", 2, 2, "无"],
    ["", "效果指标", "社会效益", "投诉按时初查", "定性", "等于", "100%", "", 2.5, 2.5, "无"],
]


def test_selfeval_form_with_fund_block_and_merged_level1():
    g = grid(SELFEVAL, merges=[(9, 2, 11, 2), (8, 1, 12, 1)])
    [form] = locate_forms(g)
    assert form.kind is FormKind.UNIT_SELFEVAL
    assert form.name == "韶关市市场监督管理局 141001"
    assert form.header_row == 8
    assert form.columns["target"] == 7 and form.columns["direction"] == 6 and form.columns["nature"] == 5
    assert form.columns["weight"] == 9 and form.columns["score"] == 10 and form.columns["reason"] == 11
    assert [i.row for i in form.indicators] == [9, 10, 11, 12]
    # the merged 一级 (B9:B11) applies to every row it spans
    assert [i.text("level1") for i in form.indicators] == ["产出指标", "产出指标", "产出指标", "效果指标"]
    assert "level1" in form.indicators[1].inherited and "level1" not in form.indicators[0].inherited
    labels = [(f.label.text, f.is_total) for f in form.funds]
    assert labels == [("其中：财政拨款", False), ("其他资金", False), ("合计", True)]
    total = form.funds[2]
    assert total.get("execution").value == 11881.54 and total.get("score").address == "G6"
    assert total.get("annual_budget").col == 3 and total.get("initial_budget").col == 2


def test_blank_level1_continues_without_merge_and_resets_level2():
    rows = [["一级指标", "二级指标", "三级指标", "指标值"],
            ["产出指标", "数量指标", "A数", "≥1个"],
            ["", "", "B数", "≥2个"],
            ["效益指标", "", "C率", "≥90%"]]
    [form] = locate_forms(grid(rows))
    got = [(i.text("level1"), i.text("level2")) for i in form.indicators]
    assert got == [("产出指标", "数量指标"), ("产出指标", "数量指标"), ("效益指标", "")]
    assert form.kind is FormKind.PROJECT_TARGET


def test_several_forms_on_one_sheet_each_with_its_preamble():
    rows = []
    for n, name in enumerate(["车辆保险费", "办公设备购置", "食品抽检经费"], 1):
        rows += [[f"{n}.{name}绩效目标表"], ["项目编码", f"13030322P00{n}", "项目名称", name],
                 ["资金支出计划（%）", "3月底", "6月底", "10月底", "12月底"],
                 ["", "25%", "50%", "75%", "100%"],
                 ["一级指标", "二级指标", "三级指标", "绩效指标描述", "指标值", "指标值确定依据"],
                 ["产出指标", "数量指标", f"{name}数量", "描述", "17辆", "年度工作计划"],
                 ["", "质量指标", "缴纳率", "描述", "是/否", "年度工作计划"],
                 [], []]
    forms = locate_forms(grid(rows))
    assert [f.name for f in forms] == ["车辆保险费", "办公设备购置", "食品抽检经费"]
    assert all(f.kind is FormKind.PROJECT_TARGET for f in forms)
    assert [len(f.indicators) for f in forms] == [2, 2, 2]
    assert forms[1].plan is not None and [q for q, _ in forms[1].plan.quarters] == ["3月底", "6月底", "10月底", "12月底"]
    assert forms[1].plan.quarters[0][1].text == "25%" and forms[1].plan.row == 13
    assert forms[2].indicators[1].get("target").address == "E25"


def test_header_synonyms_and_regional_layouts():
    sichuan = [["一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位", "完成值", "权重", "得分", "未完成原因分析"],
               ["产出指标", "数量指标", "培训人次", "≥", 100, "人次", 120, 30, 30, ""]]
    [form] = locate_forms(grid(sichuan))
    assert set(form.columns) >= {"level1", "level2", "level3", "nature", "target", "unit", "actual", "weight", "score", "reason"}
    assert form.kind in (FormKind.PROJECT_SELFEVAL, FormKind.UNIT_SELFEVAL)
    hubei = [["一级指标", "二级指标", "三级指标", "年初目标值(A)", "实际完成值(B)", "分值", "得分", "偏差大或目标未完成原因分析"],
             ["产出指标", "质量指标", "合格率", "≥95%", "96%", 20, 20, ""]]
    [form] = locate_forms(grid(hubei))
    assert form.columns["target"] == 4 and form.columns["actual"] == 5 and form.columns["reason"] == 8
    nansha = [["绩效指标", "一级指标", "二级指标", "三级指标", "实施周期指标值", "年度指标值"],
              ["绩效指标", "产出指标", "数量指标", "专利转让许可次数", "≥900次", "≥900次"]]
    [form] = locate_forms(grid(nansha))
    assert form.columns["period_target"] == 5 and form.columns["target"] == 6


def test_total_score_and_grade_rows_end_the_table():
    rows = [["项目支出绩效自评表"],
            ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"],
            ["产出指标", "数量指标", "培训人次", "≥100人次", "120人次", 50, 50, "无"],
            ["总分", "", "", "", "", 100, 95.5, ""],
            ["评价等级", "优"]]
    [form] = locate_forms(grid(rows))
    assert len(form.indicators) == 1
    assert form.total_score.address == "G4" and form.total_score.value == 95.5
    assert form.grade.text == "优" and form.grade.address == "B5"
    assert form.kind is FormKind.PROJECT_SELFEVAL


def test_no_form_on_sheet_and_spacer_rows_and_numbers_as_text():
    assert locate_forms(grid([["姓名", "电话"], ["张三", "123"]])) == []
    rows = [["一级指标", "二级指标", "三级指标", "指标值"], [], ["产出指标", "数量指标", "A", "１００％"], [""] * 4,
            ["", "", "B", "≥2个"]]
    [form] = locate_forms(grid(rows, origin=(5, 2)))
    assert [i.row for i in form.indicators] == [7, 9]
    assert form.indicators[0].get("target").address == "E7"


def test_norm_label_drops_notes_whitespace_and_width():
    assert norm_label("全年执行（万元）(注:实际支出数)") == "全年执行(万元)"
    assert norm_label("年初预算（万\n元）") == "年初预算(万元)"
    assert norm_label("*指标值") == "指标值"
