"""Rates and scores: 执行率, execution score, per-indicator 得分 and grade (domain.md §2).

Every function here is scalar and pure, because Excel UDFs call them once per cell: a
call on values seen before costs about a microsecond (results are cached), a first call
on numbers some 15 µs, and a first call on text is dominated by the notation parser. Rounding is Excel's ROUND (``excel_round``), never
Python's ``round``. The arithmetic is written in the same order as the formulas that
``xltools.core.fill`` writes, so a formula's cached value is what a spreadsheet computes.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import NamedTuple
from functools import lru_cache

from .notation import Direction, ParsedValue, ValueKind, parse_direction_word, parse_value, unit_class, unit_key
from .numbers import exact_sum, excel_round, fold_width, to_number

__all__ = [
    "Score", "Comparison", "execution_rate", "execution_score", "indicator_score", "compare_values",
    "grade", "grade_of_text", "qualitative_tier", "direction_from_word", "total_score", "TIERS",
    "rate_score", "round2", "score_comparison", "quantitative_points",
]

# --- 执行率 and its score -----------------------------------------------------------------

_text_number = lru_cache(maxsize=4096)(to_number)


def _number(value) -> float | None:
    # Text amounts ("11,789.83") recur on every recalculation; parse each once.
    return _text_number(value) if isinstance(value, str) else to_number(value)


def execution_rate(execution, budget) -> float | None:
    """执行率 = 全年执行数 / 全年(调整后)预算数, as a fraction at full precision.

    Args:
        execution: 全年执行数 (number, numeric text such as "11,789.83", or None).
        budget: 全年(调整后)预算数, same forms.

    Returns:
        The fraction (0.9986 for 99.86%), or None when the budget is blank, 0 or not a
        number, or the execution is not a number.
    """
    b = _number(budget)
    if not b:
        return None
    e = _number(execution)
    if e is None:
        return None
    return e / b


def execution_score(execution, budget, weight) -> float | None:
    """The 执行率 score: ROUND(min(执行率, 100%) × 分值, 2), never below 0.

    Args:
        execution: 全年执行数.
        budget: 全年(调整后)预算数.
        weight: the 分值 of the execution row (10 nationally, 20 in Hubei).

    Returns:
        The score, or None when the rate or the weight cannot be computed.
    """
    w = _number(weight)
    if w is None:
        return None
    rate = execution_rate(execution, budget)
    if rate is None:
        return None
    return rate_score(rate, w)


def rate_score(rate: float, weight: float) -> float:
    """ROUND(MAX(0, MIN(rate, 1)) × weight, 2): the execution score from a known rate."""
    return round2(max(0.0, min(rate, 1.0)) * weight)


def round2(x: float) -> float:
    """``excel_round(x, 2)``, without Decimal when x is clearly away from a half-cent.

    Away from a boundary, half-up and the 15-digit step cannot change the result, and
    n / 100 is the double nearest to the two-decimal number (IEEE division is exact-rounded).
    """
    if -1e6 < x < 1e6:
        y = x * 100.0
        f = math.floor(y)
        frac = y - f
        if abs(frac - 0.5) > 1e-6:
            return (f + 1.0 if frac > 0.5 else f) / 100.0
    return excel_round(x, 2)


# --- direction words and qualitative tiers -------------------------------------------------

@lru_cache(maxsize=256)
def _direction_word(word: str) -> Direction | None:
    return parse_direction_word(word)[0]


def direction_from_word(word: object) -> Direction | None:
    """A 指标方向 / 指标性质 word ("大于或等于", "≥", "反向指标") as a Direction, or None.

    Args:
        word: a Direction (returned as is), the column text, or None.

    Returns:
        The direction, or None for blank or unknown words (定性/定量 are not directions).
    """
    if word is None or isinstance(word, Direction):
        return word
    if not isinstance(word, str):
        return None
    return _direction_word(word)


ACHIEVED, PARTIAL, MISSED = "达成", "部分达成", "未达成"
# Allowed score band per tier, as fractions of 分值 (财预〔2020〕10号, vendor selfqualscorecheck).
TIERS = {ACHIEVED: (0.8, 1.0), PARTIAL: (0.6, 0.8), MISSED: (0.0, 0.6)}

# Checked in this order: negations first ("未达成" contains "达成"), then partial words.
_MISSED_WORDS = ("未达成", "未达到", "未完成", "没有完成", "未实现", "不达标", "不合格", "无效", "较差",
                 "效果差", "不满意", "未按时", "未按期", "滞后")
_PARTIAL_WORDS = ("基本达到", "基本达成", "基本完成", "基本实现", "基本满意", "基本符合", "部分达成",
                  "部分完成", "部分实现", "部分达到", "一般", "有待提高", "有待提升")
_ACHIEVED_WORDS = ("达成", "达到", "完成", "实现", "有效", "显著", "明显", "满意", "符合", "按时", "按期",
                   "按计划", "按要求", "全覆盖", "应保尽保", "提高", "提升", "改善", "良好", "较好", "优秀",
                   "较高")
# 高/低 are left out: whether "低" is good depends on the target (an actual equal to its
# target is always 达成, see compare_values).
_SINGLE = {"是": ACHIEVED, "优": ACHIEVED, "良": ACHIEVED, "好": ACHIEVED, "有": ACHIEVED,
           "中": PARTIAL, "否": MISSED, "差": MISSED, "无": MISSED}
_TRIM = " \t\r\n\u3000。.，,；;！!"


@lru_cache(maxsize=1024)
def qualitative_tier(text: str) -> str | None:
    """The 定性 tier a free-text 实际完成值 claims: "达成", "部分达成", "未达成", or None.

    "达成预期指标"/"有效"/"完成"/"是"/"优"/"效果明显" → 达成; "基本达到"/"部分达成" → 部分达成;
    "未达成"/"否"/"差" → 未达成. Unrecognised text gives None.
    """
    t = fold_width(str(text)).strip(_TRIM)
    if not t:
        return None
    if t in _SINGLE:  # one-character words only match whole: "差" must not hit "差错率"
        return _SINGLE[t]
    for words, tier in ((_MISSED_WORDS, MISSED), (_PARTIAL_WORDS, PARTIAL), (_ACHIEVED_WORDS, ACHIEVED)):
        if any(w in t for w in words):
            return tier
    return None


# --- comparing a target with an actual -----------------------------------------------------

_MONEY = {"元": 1.0, "千元": 1e3, "万元": 1e4, "百万元": 1e6, "千万元": 1e7, "亿元": 1e8}
_PREFIX = (("万亿", 1e12), ("千万", 1e7), ("百万", 1e6), ("亿", 1e8), ("万", 1e4))


def _unit_base(unit: str) -> tuple[str, float]:
    """(base unit key, multiplier): 万元 → (元, 1e4); 万人次 → (人次, 1e4); 家（次） → (家次, 1)."""
    key = unit_key(unit) or ""
    if key in _MONEY:
        return "元", _MONEY[key]
    for prefix, factor in _PREFIX:
        if key.startswith(prefix) and len(key) > len(prefix) and not key.startswith(prefix + "/"):
            return key[len(prefix):], factor
    return key, 1.0


class Comparison(NamedTuple):
    """How a target and an actual compare, before any weight is applied.

    Attributes:
        sense: "positive", "reverse", "equal" (quantitative) or "qualitative"; None when
            nothing can be scored (blank inputs, or not comparable).
        a: the target number A, in the target's unit (percent as written: 95 for 95%).
        b: the actual number B, converted to the target's unit.
        a_factor: what the target's own number was multiplied by to give ``a``.
        b_factor: what the actual's own number was multiplied by to give ``b`` (1e4 for 万元
            against 元; 100 for a cell holding 0.96 against a "95%" target).
        tier: for qualitative comparisons, the tier the actual claims.
        comparable: False when a non-blank actual cannot be compared with the target (D16).
    """

    sense: str | None
    a: float | None = None
    b: float | None = None
    a_factor: float = 1.0
    b_factor: float = 1.0
    tier: str | None = None
    comparable: bool = True


_BLANK = Comparison(None)
_NOT_COMPARABLE = Comparison(None, comparable=False)
_NUMERIC_RAW = re.compile(r"^-?\d+(\.\d+)?(e-?\d+)?$")
_SKIP = (ValueKind.EMPTY, ValueKind.PLACEHOLDER)


def _view(value) -> tuple:
    """(kind, number, unit, direction, parsed): what scoring needs of a value.

    Numbers skip the notation parser (``parsed`` is None): they are the UDF hot path.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return ValueKind.QUANTITY, float(value), None, None, None
    p = value if isinstance(value, ParsedValue) else parse_value(value)
    return p.kind, p.number, p.unit, p.direction, p


def _bare(parsed: ParsedValue | None) -> bool:
    """A number without a unit as a cell holds it (0.96 from a cell formatted as percent)."""
    return parsed is None or (parsed.unit is None and _NUMERIC_RAW.match(str(parsed.raw).strip()) is not None)


def _nature_is_qualitative(nature) -> bool:
    return isinstance(nature, str) and "定性" in nature


def compare_values(target, actual, *, direction=None, nature=None) -> Comparison:
    """Put a target (A) and an actual (B) on one scale and pick the scoring family.

    Args:
        target: 年度指标值 / 目标值: text, number or ParsedValue.
        actual: 实际完成值, same forms.
        direction: a Direction or a 指标方向 word; it overrides the operator written in the value.
        nature: the 指标性质 text ("定性"/"定量") or None.

    Returns:
        A Comparison; see its attributes.
    """
    tk, a, ut, td, pt = _view(target)
    ak, b, ua, _, pa = _view(actual)
    if tk in _SKIP or ak in _SKIP:
        return _BLANK
    quantitative = tk is ValueKind.QUANTITY and a is not None
    if quantitative and ak is ValueKind.QUANTITY and b is not None:
        a_factor = b_factor = 1.0
        if ut != ua:
            if ut == "%" and ua is None and abs(b) <= 1.5 and _bare(pa):
                b_factor = 100.0  # a cell formatted as percent holds 0.96 for 96%
            elif ua == "%" and ut is None and abs(a) <= 1.5 and _bare(pt):
                a_factor = 100.0
            elif ut is not None and ua is not None:
                bt, ft = _unit_base(ut)
                ba, fa = _unit_base(ua)
                if bt == ba:
                    b_factor = fa / ft
                elif {unit_class(ut), unit_class(ua)} & {"percent", "money"}:
                    return _NOT_COMPARABLE  # 26家 against 100%, 人 against 万元
        if a_factor != 1.0:
            a = a * a_factor
        if b_factor != 1.0:
            b = b * b_factor
        d = direction_from_word(direction) if direction is not None else None
        sense = (d or td or Direction.EQ).sense
        if sense == "equal" and a != 0:
            sense = "positive"  # "= 2" with A > 0 scores like "≥ 2" (vendor selfequalindex)
        return Comparison(sense, a, b, a_factor, b_factor)
    if quantitative and not _nature_is_qualitative(nature):
        return _NOT_COMPARABLE  # D16: "完成" against "≤30万元"
    if ak is ValueKind.QUANTITY:
        return _NOT_COMPARABLE
    text = pa.text or str(pa.raw or "")
    # "低" for a target "低", "下降" for "下降": an actual that restates its target met it.
    tier = ACHIEVED if pt is not None and text == (pt.text or str(pt.raw or "")) else qualitative_tier(text)
    if tier is None:
        return _NOT_COMPARABLE
    return Comparison("qualitative", tier=tier)


# --- indicator scores ---------------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    """The score a rule gives one indicator.

    Attributes:
        value: the rule's score, ROUND(…, 2); None when not computable (a qualitative tier
            other than 达成 fixes only a band, not a value).
        low: the lowest allowed score; equals ``value`` for quantitative rules.
        high: the highest allowed score.
        rule: Chinese description of the rule applied, with its numbers.
        comparable: False when the actual cannot be compared with the target (D16).
    """

    value: float | None
    low: float | None
    high: float | None
    rule: str
    comparable: bool = True

    def accepts(self, printed: float, tolerance: float = 0.05) -> bool:
        """True when a printed score is within ``tolerance`` of the rule (or of its band)."""
        if self.low is None or self.high is None:
            return True
        return self.low - tolerance <= printed <= self.high + tolerance


def _fmt(x: float) -> str:
    return f"{x:.6g}" if abs(x) < 1e15 else repr(x)


def quantitative_points(sense: str, a: float, b: float, w: float, reverse_rule: str = "ratio") -> float:
    """The unrounded score for A, B, w; the same operations, in the same order, as fill's formulas."""
    if sense == "positive":
        if b >= a:
            return w
        return max(0.0, w * b / a) if a > 0 else 0.0
    if sense == "reverse":
        if b <= a:
            return w
        if a <= 0:
            return 0.0
        if reverse_rule == "linear":
            return w * (1 - (b - a) / a) if b < 2 * a else 0.0
        return w * a / b
    # equal with A == 0 ("重大事故 = 0"): zero tolerance
    return w if b <= 0 else 0.0


def _rule_text(sense: str, a: float, b: float, w: float, reverse_rule: str) -> str:
    A, B, W = _fmt(a), _fmt(b), _fmt(w)
    if sense == "positive":
        if b >= a:
            return f"正向指标：实际值{B}≥目标值{A}，得满分{W}"
        return f"正向指标：得分=B/A×分值={B}/{A}×{W}" if a > 0 else f"正向指标：目标值{A}≤0且未达到，得0分"
    if sense == "reverse":
        if b <= a:
            return f"反向指标：实际值{B}≤目标值{A}，得满分{W}"
        if reverse_rule == "linear":
            return f"反向指标：得分=(1−(B−A)/A)×分值=(1−({B}−{A})/{A})×{W}，B≥2A得0分"
        return f"反向指标：得分=A/B×分值={A}/{B}×{W}"
    return f"等于0的指标：实际值{B}{'≤' if b <= 0 else '>'}0，{'得满分' if b <= 0 else '得0分'}"


def indicator_score(target, actual, weight, *, reverse_rule: str = "ratio", direction=None,
                    nature=None) -> Score:
    """The 得分 of one indicator by domain.md §2.3, always within [0, 分值].

    Args:
        target: 年度指标值 / 目标值 (A): text such as "≥95%", a number, or a ParsedValue.
        actual: 实际完成值 (B), same forms.
        weight: 分值 (w), a number or numeric text.
        reverse_rule: "ratio" (w×A/B, default) or "linear" (w×(1−(B−A)/A), 0 at B ≥ 2A) for
            missed reverse indicators.
        direction: a Direction or a 指标方向 word ("大于或等于"), overriding the value's operator.
        nature: "定性"/"定量" or None; "定性" lets a text actual be judged by tiers even when the
            target is numeric.

    Returns:
        A Score. Quantitative: value = low = high. Qualitative: the tier's band, with value = w
        for 达成 and None for the lower tiers. Not comparable: all None, comparable=False.
    """
    try:
        return _indicator_score_cached(target, actual, weight, reverse_rule, direction, nature)
    except TypeError:  # an unhashable argument: score it uncached
        cmp = compare_values(target, actual, direction=direction, nature=nature)
        return score_comparison(cmp, weight, reverse_rule=reverse_rule)


@lru_cache(maxsize=8192, typed=True)
def _indicator_score_cached(target, actual, weight, reverse_rule, direction, nature) -> Score:
    # A workbook recalculation calls the UDF again with the same cells; Score is immutable.
    cmp = compare_values(target, actual, direction=direction, nature=nature)
    return score_comparison(cmp, weight, reverse_rule=reverse_rule)


def score_comparison(cmp: Comparison, weight, *, reverse_rule: str = "ratio") -> Score:
    """Apply the weight to a Comparison (see indicator_score)."""
    if not cmp.comparable:
        return Score(None, None, None, "实际完成值无法与目标值比较", False)
    w = _number(weight)
    if cmp.sense is None or w is None:
        return Score(None, None, None, "缺少目标值、实际完成值或分值")
    if cmp.sense == "qualitative":
        lo, hi = TIERS[cmp.tier]
        low, high = round2(lo * w), round2(hi * w)
        pct = f"{int(lo * 100)}%–{int(hi * 100)}%"
        return Score(high if cmp.tier == ACHIEVED else None, low, high,
                     f"定性指标（{cmp.tier}）：得分应在分值的{pct}之间（{_fmt(low)}–{_fmt(high)}）")
    value = round2(quantitative_points(cmp.sense, cmp.a, cmp.b, w, reverse_rule))
    value = min(max(value, 0.0), max(w, 0.0))
    return Score(value, value, value, _rule_text(cmp.sense, cmp.a, cmp.b, w, reverse_rule))


# --- totals and grades --------------------------------------------------------------------


def total_score(parts) -> float:
    """ROUND(SUM(parts), 2), skipping parts that are not numbers."""
    nums = [x for x in (to_number(p) for p in parts) if x is not None]
    return round2(exact_sum(nums)) if nums else 0.0


def grade(total: float) -> str:
    """The grade of a total score: 优 ≥ 90, 良 ≥ 80, 中 ≥ 60, else 差 (domain.md §2.4)."""
    t = round2(float(total))  # 89.99999999 from a float sum is 90
    if t >= 90:
        return "优"
    if t >= 80:
        return "良"
    if t >= 60:
        return "中"
    return "差"


def grade_of_text(text: object) -> str | None:
    """The grade a printed text names ("优秀" → 优, "良好" → 良), or None."""
    t = str(text or "")
    for g in ("优", "良", "中", "差"):
        if g in t:
            return g
    return None
