"""The 指标值 notation (domain.md §4): one parser for targets and actuals. It never raises."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class ValueKind(str, Enum):
    QUANTITY = "quantity"        # a number, with or without a unit: "≥95%", "17辆", "不少于19.44万批次"
    QUALITATIVE = "qualitative"  # "是", "A级", "有效", "按要求支出", "下降"
    DATE = "date"                # "每年12月底前", "2023年12月31日", "按月安排"
    PLACEHOLDER = "placeholder"  # "是/否", "填写", "XX", "—", "/"
    EMPTY = "empty"
    UNKNOWN = "unknown"          # fits no notation (D19)


class Direction(str, Enum):
    GE = "ge"   # ≥ 不少于 不低于 至少 以上 达到
    GT = "gt"   # >
    LE = "le"   # ≤ 不超过 不高于 以下 以内 控制在
    LT = "lt"   # <
    EQ = "eq"   # = 等于, or a bare number

    @property
    def sense(self) -> str:
        """positive / reverse / equal, the scoring families of domain.md §2.3."""
        return {"ge": "positive", "gt": "positive", "le": "reverse", "lt": "reverse", "eq": "equal"}[self.value]


@dataclass(frozen=True)
class ParsedValue:
    """A parsed 指标值/完成值.

    Attributes:
        kind: see ValueKind.
        direction: the operator written in the value, or None when none was written.
        number: the number as written, with 万/亿 multipliers that are not part of the unit applied
            ("19.44万批次" → 194400, unit 批次; "15亿元" → 15, unit 亿元); percent as written (95 for 95%).
        unit: normalised unit ("%", "万元", "批次", "元/批次", "次/月") or None.
        text: normalised notation ("≥95%" for "≥95百分比"; full-width folded; trailing 。 dropped).
        raw: the input, as given.
        annotation: text in brackets after the value ("26家" for "100%（26家）").
        notes: Chinese notes on what normalisation changed (for not-normalised findings).
    """

    kind: ValueKind
    direction: Direction | None = None
    number: float | None = None
    unit: str | None = None
    text: str = ""
    raw: str = ""
    annotation: str | None = None
    notes: tuple[str, ...] = field(default=())


def parse_value(value: object) -> ParsedValue:  # placeholder until the parser lands
    raise NotImplementedError
