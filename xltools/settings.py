"""One Settings object for every knob (weight template, reverse-indicator rule, tolerance)."""
from __future__ import annotations

from dataclasses import dataclass, replace

# 一级 split per template: execution-rate weight, then per-一级 weights (None: not fixed per 一级).
WEIGHT_TEMPLATES = {
    "national": {"total": 100.0, "execution": 10.0,
                 "level1": {"产出指标": 50.0, "效益指标": 30.0, "满意度指标": 10.0},
                 "label": "全国通用模板（预算执行率10/产出50/效益30/满意度10）"},
    "sichuan": {"total": 100.0, "execution": 10.0, "level1": None,
                "label": "四川模板（预算执行情况10 + 绩效指标90）"},
    "hubei": {"total": 100.0, "execution": 20.0, "level1": None, "goals": (40.0, 40.0),
              "label": "湖北模板（预算执行20 + 年度绩效目标40 + 40）"},
}


@dataclass(frozen=True)
class Settings:
    """Configuration shared by the CLI, the add-in and the template builder.

    Attributes:
        weight_template: "national" (10/50/30/10, default), "sichuan" (10 + 90) or "hubei" (20 + 40 + 40).
        reverse_rule: how a missed reverse (≤) indicator scores: "ratio" (w × A/B, the printed
            templates' rule, default) or "linear" (w × (1 − (B−A)/A), 0 at B ≥ 2A; vendor systems).
        tolerance: how far a printed score or rate may be from the computed one (±0.05).
        framework: "auto" (detect per form), "2015" (产出/效益/满意度) or "2021" (成本 as 一级).
        over_achievement: B/A above this on a positive indicator asks for a 偏差原因.
    """

    weight_template: str = "national"
    reverse_rule: str = "ratio"
    tolerance: float = 0.05
    framework: str = "auto"
    over_achievement: float = 1.5

    def with_(self, **changes) -> "Settings":
        return replace(self, **changes)

    @property
    def template(self) -> dict:
        return WEIGHT_TEMPLATES[self.weight_template]


DEFAULT = Settings()
