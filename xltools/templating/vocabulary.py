"""The placeholder vocabulary: every path a template may use, with its meaning (for docs and checks)."""
from __future__ import annotations

__all__ = ["VALUES", "COMPUTED", "describe", "is_known"]

_FUND_ROWS = {"fiscal": "当年财政拨款（部门整体表：财政拨款）", "carryover": "上年结转资金", "other": "其他资金"}
_FUND_COLS = {"initial": "年初预算数", "budget": "全年预算数（调整后）", "execution": "全年执行数"}

# Plain values: written as typed values (numbers stay numbers, text stays text).
VALUES: dict[str, str] = {
    "year": "年度（设置表“年度”，或 build --year）",
    "title": "表名（如“项目支出绩效目标表”）",
    "framework": "指标体系（2015 或 2021）",
    "unit.code": "单位编码",
    "unit.name": "单位名称",
    "unit.department": "主管部门",
    "unit.duty": "部门（单位）职责",
    "unit.goal": "部门整体年度总体绩效目标",
    "unit.achieved": "部门整体目标实际完成情况",
    "unit.basic_spending": "基本支出（万元）",
    "unit.project_spending": "项目支出（万元）",
    "unit.income_fiscal": "收入：财政拨款（万元，资金表年初预算数之和）",
    "unit.income_other": "收入：其他资金（万元）",
    "project.code": "项目编码",
    "project.name": "项目名称",
    "project.department": "主管部门",
    "project.executor": "实施单位",
    "project.purpose": "资金用途",
    "project.goal": "年度绩效目标（预期目标）",
    "project.achieved": "年度总体目标实际完成情况",
    "project.period": "实施周期",
    "budget.fiscal": "预算数其中：财政资金（万元，年初预算：当年财政拨款 + 上年结转）",
    "budget.other": "预算数其中：其他资金（万元）",
    "plan.q1": "资金支出计划 3月底（累计，百分比）",
    "plan.q2": "资金支出计划 6月底",
    "plan.q3": "资金支出计划 10月底",
    "plan.q4": "资金支出计划 12月底",
    "fund.total.weight": "预算执行率分值（权重模板，全国为10）",
    **{f"fund.{r}.{c}": f"{rl} {cl}" for r, rl in _FUND_ROWS.items() for c, cl in _FUND_COLS.items()},
    "ind.seq": "指标序号（1, 2, …）",
    "ind.level1": "一级指标（相同的相邻值纵向合并）",
    "ind.level2": "二级指标（在同一一级内纵向合并）",
    "ind.level3": "三级指标",
    "ind.description": "绩效指标描述 / 指标解释",
    "ind.period_target": "实施周期指标值",
    "ind.target": "年度指标值 / 目标值（文本，原样写入）",
    "ind.unit": "计量单位",
    "ind.nature": "指标性质（定量 / 定性）",
    "ind.direction": "指标方向（大于或等于 / 小于或等于 / 等于 …；空白时由指标值的运算符推出）",
    "ind.basis": "指标值确定依据",
    "ind.weight": "分值",
    "ind.actual": "实际完成值（定量指标写为数值，单位同目标值；定性写文字）",
    "ind.reason": "偏差原因分析及改进措施",
    "ind.manual_score": "定性指标人工评分（部分达成/未达成时在分值区间内填写）",
    "ind.target_number": "辅助：目标值中的数值 A（定量指标；定性为空）",
    "ind.target_unit": "辅助：目标值的单位（如 %）",
    "ind.target_sense": "辅助：目标值运算符的方向词（指标方向为空时使用）",
    "task.seq": "任务序号",
    "task.name": "任务名称",
    "task.content": "主要实施内容",
    "task.funds": "拟投入的资金（万元）",
    "task.goal": "期望达到的目标",
    "task.result": "完成情况",
}

# Computed: written as live formulas with cached values (the engine writes the formula).
COMPUTED: dict[str, str] = {
    "budget.total": "预算数 = 财政资金 + 其他资金",
    "unit.spending_total": "部门预算支出合计 = 基本支出 + 项目支出",
    "unit.income_total": "收入合计 = 财政拨款 + 其他资金",
    "tasks.funds_total": "重点任务拟投入资金合计",
    **{f"fund.{r}.rate": f"{rl} 执行率 = 全年执行数 / 全年预算数" for r, rl in _FUND_ROWS.items()},
    "fund.total.initial": "年度资金总额 年初预算数 = 其中各项之和",
    "fund.total.budget": "年度资金总额 全年预算数 = 其中各项之和",
    "fund.total.execution": "年度资金总额 全年执行数 = 其中各项之和",
    "fund.total.rate": "总执行率 = 全年执行数合计 / 全年预算数合计",
    "fund.total.score": "执行率得分 = ROUND(MIN(执行率,100%)×分值, 2)",
    "ind.level1_key": "辅助：本行所属一级指标（合并单元格下方各行也有值，供二级下拉 INDIRECT 使用）",
    "ind.sense": "辅助：方向代码（1 正向，2 反向，3 等于；先看指标方向，再看目标值的运算符）",
    "ind.actual_number": "辅助：实际数值 B（百分比目标下 0.96 读作 96）",
    "ind.score": "指标得分（正向 B/A×分值，反向 A/B×分值，定性按档次；不超过分值）",
    "weights.total": "分值合计 = 执行率分值 + 各指标分值",
    "score.indicators": "指标得分合计",
    "score.total": "总分 = 执行率得分 + 指标得分（全部可计算时才显示）",
    "score.grade": "等级：优 ≥90，良 ≥80，中 ≥60，差",
}


def is_known(path: str, computed: bool) -> bool:
    """Whether ``path`` is in the vocabulary (as a value or as a computed cell)."""
    return path in (COMPUTED if computed else VALUES)


def describe() -> str:
    """The vocabulary as a Markdown table, for docs/templates.md (generated, so it cannot drift)."""
    lines = ["| placeholder | meaning |", "|---|---|"]
    for path, text in VALUES.items():
        lines.append(f"| `{{{{ {path} }}}}` | {text} |")
    for path, text in COMPUTED.items():
        lines.append(f"| `{{{{ ={path} }}}}` | {text} |")
    return "\n".join(lines) + "\n"
