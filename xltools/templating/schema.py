"""The master workbook's schema: its sheets, columns, settings, and the Markdown doc made from them."""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Column", "SheetSpec", "SHEETS", "SETTINGS", "SOURCES", "sheet", "schema_markdown"]


@dataclass(frozen=True)
class Column:
    """One master column: ``key`` (used in code), the Chinese ``header``, and accepted aliases."""

    key: str
    header: str
    required: bool = False
    kind: str = "text"  # text, code, number, percent
    aliases: tuple[str, ...] = ()
    doc: str = ""

    @property
    def labels(self) -> tuple[str, ...]:
        return (self.header, *self.aliases)


@dataclass(frozen=True)
class SheetSpec:
    key: str
    name: str
    required: bool
    columns: tuple[Column, ...]
    doc: str

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


C = Column
SHEETS: tuple[SheetSpec, ...] = (
    SheetSpec("settings", "设置", True, (
        C("key", "项目", True, aliases=("设置项", "名称")),
        C("value", "值", False, aliases=("取值", "内容")),
    ), "Key–value rows; see the settings table below."),
    SheetSpec("units", "单位", True, (
        C("code", "单位编码", True, "code", ("部门编码", "编码")),
        C("name", "单位名称", True, aliases=("部门名称",)),
        C("department", "主管部门"),
        C("duty", "部门职责", aliases=("部门（单位）职责",)),
        C("goal", "总体绩效目标", aliases=("年度总体绩效目标", "预期目标")),
        C("achieved", "目标实际完成情况", aliases=("实际完成情况",)),
        C("basic_spending", "基本支出", kind="number", doc="万元"),
        C("project_spending", "项目支出", kind="number", doc="万元"),
    ), "One row per unit (部门/单位). Unit forms (部门整体) are built per unit."),
    SheetSpec("projects", "项目", True, (
        C("code", "项目编码", True, "code"),
        C("unit", "单位编码", True, "code", ("部门编码",)),
        C("name", "项目名称", True),
        C("department", "主管部门"),
        C("executor", "实施单位"),
        C("period", "实施周期"),
        C("purpose", "资金用途", aliases=("预算规模及资金用途",)),
        C("goal", "年度绩效目标", aliases=("绩效目标", "预期目标", "年度总体目标")),
        C("achieved", "实际完成情况", aliases=("年度总体目标实际完成情况",)),
        C("q1", "3月底", kind="percent", doc="资金支出计划，累计，如 25% 或 0.25"),
        C("q2", "6月底", kind="percent"),
        C("q3", "10月底", kind="percent", aliases=("9月底",)),
        C("q4", "12月底", kind="percent"),
    ), "One row per project (项目支出)."),
    SheetSpec("funds", "资金", False, (
        C("owner", "编码", True, "code", ("项目或单位编码", "归属编码", "项目编码")),
        C("source", "资金来源", True, doc="当年财政拨款 / 上年结转资金 / 其他资金"),
        C("initial", "年初预算数", kind="number", doc="万元"),
        C("budget", "全年预算数", kind="number", aliases=("调整后预算数", "全年预算数（调整后）"), doc="万元"),
        C("execution", "全年执行数", kind="number", aliases=("实际支出数",), doc="万元"),
    ), "Fund sources of a project or unit, one row per source."),
    SheetSpec("tasks", "重点任务", False, (
        C("unit", "单位编码", True, "code", ("部门编码",)),
        C("name", "任务名称", True, aliases=("名称",)),
        C("content", "主要实施内容", aliases=("主要内容",)),
        C("funds", "拟投入的资金", kind="number", aliases=("拟投入的资金（万元）",), doc="万元"),
        C("goal", "期望达到的目标", aliases=("期望达到的目标（概述）",)),
        C("result", "完成情况"),
    ), "年度重点工作任务 of a unit, in order."),
    SheetSpec("indicators", "指标", True, (
        C("owner", "编码", True, "code", ("项目或单位编码", "归属编码", "项目编码")),
        C("level1", "一级指标", True),
        C("level2", "二级指标", True),
        C("level3", "三级指标", True),
        C("description", "绩效指标描述", aliases=("指标解释",)),
        C("nature", "指标性质", doc="定量 / 定性；空白时按指标值推断"),
        C("direction", "指标方向", doc="大于或等于 / 小于或等于 / 等于 …；空白时按指标值的运算符推断"),
        C("period_target", "实施周期指标值"),
        C("target", "年度指标值", True, aliases=("指标值", "目标值")),
        C("unit", "计量单位"),
        C("basis", "指标值确定依据"),
        C("weight", "分值", kind="number", doc="空白时按权重模板分配"),
        C("actual", "实际完成值", doc="自评用"),
        C("reason", "偏差原因分析及改进措施", aliases=("偏差原因",)),
        C("manual_score", "定性评分", kind="number", doc="定性指标部分达成/未达成时的评分"),
    ), "Indicators of a project (编码 = 项目编码) or of a unit (编码 = 单位编码), in form order."),
)

SETTINGS: dict[str, tuple[str, str, str]] = {
    # label → (key, default, doc)
    "年度": ("year", "", "预算年度，如 2022（必填；build --year 可覆盖）"),
    "指标体系": ("framework", "2015", "2015（产出/效益/满意度）或 2021（成本指标为一级指标）"),
    "权重模板": ("weight_template", "全国", "全国（10/50/30/10）、四川（10+90）或湖北（20+40+40）"),
    "反向指标计分": ("reverse_rule", "比例", "比例（A/B×分值）或 线性（(1−(B−A)/A)×分值）"),
    "保护密码": ("password", "", "工作表保护密码；空白为无密码保护"),
}
WEIGHT_TEMPLATES = {"全国": "national", "national": "national", "四川": "sichuan", "sichuan": "sichuan",
                    "湖北": "hubei", "hubei": "hubei"}
REVERSE_RULES = {"比例": "ratio", "ratio": "ratio", "线性": "linear", "linear": "linear"}
# 资金来源 text → fund row key of the forms
SOURCES = {"当年财政拨款": "fiscal", "本年财政拨款": "fiscal", "财政拨款": "fiscal", "财政资金": "fiscal",
           "上年结转资金": "carryover", "上年结转": "carryover", "结转资金": "carryover",
           "其他资金": "other", "单位资金": "other", "自有资金": "other"}


def sheet(key: str) -> SheetSpec:
    return next(s for s in SHEETS if s.key == key)


def schema_markdown() -> str:
    """The schema as Markdown (templates/master-schema.md is generated from this)."""
    out = ["# The master workbook (主表)", "",
           "`xltools build` reads one .xlsx with the sheets below. Sheet and column names are matched",
           "by their Chinese header (aliases in brackets); column order is free and extra columns are",
           "ignored. Required sheets and columns are marked ✔. Generated by",
           "`xltools.templating.schema.schema_markdown()`; do not edit by hand.", ""]
    for s in SHEETS:
        out += [f"## {s.name} ({s.key}){' ✔' if s.required else ''}", "", s.doc, "",
                "| column | required | type | also accepted | notes |", "|---|---|---|---|---|"]
        for c in s.columns:
            out.append(f"| {c.header} | {'✔' if c.required else ''} | {c.kind} | {'、'.join(c.aliases)} | {c.doc} |")
        out.append("")
    out += ["## 设置 rows", "", "| 项目 | default | meaning |", "|---|---|---|"]
    for label, (key, default, doc) in SETTINGS.items():
        out.append(f"| {label} | {default} | {doc} |")
    out += ["", "资金来源 values: " + "、".join(SOURCES) + ".", ""]
    return "\n".join(out)
