"""The UDF catalogue: each Excel function's name, arguments and the Chinese texts the wizard shows.

One table serves both sides: ``udfs.py`` decorates its functions from it (xlwings' category and
argument docs), and ``vbagen`` writes the VBA wrappers and their ``Application.MacroOptions``
registration from it. It imports nothing from xlwings, so the add-in can be built anywhere.
"""
from __future__ import annotations

from dataclasses import dataclass

CATEGORY = "xltools"
UDF_MODULE = "xltools.excel.udfs"


@dataclass(frozen=True)
class UdfArg:
    """One argument: its parameter name (Python and VBA) and the Chinese description.

    ``as_range`` asks xlwings for the Range object itself (sheet name and addresses included)
    instead of the cell values.
    """

    name: str
    label_zh: str
    doc_zh: str
    optional: bool = False
    as_range: bool = False


@dataclass(frozen=True)
class UdfSpec:
    """One worksheet function.

    Attributes:
        name: the function name in Excel and in ``xltools.excel.udfs``.
        signature_zh: how the guide writes the call, e.g. "XLT_EXECRATE(执行数, 预算数)".
        description_zh: the Function Wizard's description (at most 255 characters).
        args: the arguments, in order; optional ones last.
        spills: True when the result is a 2-D array that spills into neighbouring cells.
    """

    name: str
    signature_zh: str
    description_zh: str
    args: tuple[UdfArg, ...]
    spills: bool = False


SPECS: tuple[UdfSpec, ...] = (
    UdfSpec(
        "XLT_EXECRATE", "XLT_EXECRATE(执行数, 预算数)",
        "预算执行率 = 全年执行数 ÷ 全年（调整后）预算数，返回小数（设为百分比格式显示）。预算数为 0 或空白时返回空。",
        (UdfArg("execution", "执行数", "全年执行数（实际支出数）"),
         UdfArg("budget", "预算数", "全年预算数（调整后预算数）")),
    ),
    UdfSpec(
        "XLT_EXECSCORE", "XLT_EXECSCORE(执行数, 预算数, 分值)",
        "预算执行率得分 = min(执行率, 100%) × 分值，按 Excel ROUND 保留两位小数。",
        (UdfArg("execution", "执行数", "全年执行数（实际支出数）"),
         UdfArg("budget", "预算数", "全年预算数（调整后预算数）"),
         UdfArg("weight", "分值", "执行率的分值，全国通用模板为 10")),
    ),
    UdfSpec(
        "XLT_PARSE", "XLT_PARSE(指标值)",
        "解析指标值写法，横向溢出 5 格：类型、方向、数值、单位、规范写法。",
        (UdfArg("value", "指标值", "指标值或实际完成值，如“≥95%”“不少于19.44万批次”"),),
        spills=True,
    ),
    UdfSpec(
        "XLT_NORMALIZE", "XLT_NORMALIZE(指标值)",
        "返回指标值的规范写法，如“≥95百分比”→“≥95%”，全角字符转半角，去掉末尾标点。",
        (UdfArg("value", "指标值", "要规范的指标值"),),
    ),
    UdfSpec(
        "XLT_SCORE", "XLT_SCORE(指标值, 实际完成值, 分值, [反向规则])",
        "按评分规则计算指标得分：正向指标 B/A×分值，反向指标 A/B×分值，满分封顶；定性指标返回分值区间说明。",
        (UdfArg("target", "指标值", "年度指标值（A），如“≥95%”"),
         UdfArg("actual", "实际完成值", "全年实际完成值（B）"),
         UdfArg("weight", "分值", "该指标的分值"),
         UdfArg("reverse_rule", "反向规则", "可选：比值（默认，A/B×分值）或 线性（超出部分按比例扣分）", optional=True)),
    ),
    UdfSpec(
        "XLT_GRADE", "XLT_GRADE(总分)",
        "按总分评定等级：90 分及以上为优，80 分及以上为良，60 分及以上为中，其余为差。",
        (UdfArg("total", "总分", "自评总分"),),
    ),
    UdfSpec(
        "XLT_CHECKROW", "XLT_CHECKROW(一级, 二级, 三级, 指标值, [计量单位], [指标方向], [指标性质])",
        "检查一行指标：指标体系、指标值写法、单位、方向与性质。没有问题返回空，否则返回中文问题说明。",
        (UdfArg("level1", "一级", "一级指标，如“产出指标”"),
         UdfArg("level2", "二级", "二级指标，如“数量指标”"),
         UdfArg("level3", "三级", "三级指标名称"),
         UdfArg("target", "指标值", "指标值 / 目标值"),
         UdfArg("unit", "计量单位", "可选：计量单位列", optional=True),
         UdfArg("direction", "指标方向", "可选：指标方向列，如“大于或等于”", optional=True),
         UdfArg("nature", "指标性质", "可选：指标性质列，定量或定性", optional=True)),
    ),
    UdfSpec(
        "XLT_VALIDATE", "XLT_VALIDATE(区域)",
        "校验整张绩效表，溢出问题清单：代码、级别、单元格、说明。一个公式代替逐行检查。",
        (UdfArg("area", "区域", "包含整张绩效表（含表头）的区域", as_range=True),),
        spills=True,
    ),
)

BY_NAME: dict[str, UdfSpec] = {s.name: s for s in SPECS}
