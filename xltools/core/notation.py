"""The 指标值 notation (domain.md §4): one parser for targets and actuals. It never raises."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from enum import Enum
from functools import lru_cache


__all__ = [
    "ValueKind", "Direction", "ParsedValue", "parse_value", "parse_direction_word", "parse_nature",
    "normalise_text", "parse_unit", "unit_class", "unit_key", "same_unit",
]


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

    # The three properties read attributes set on each member below the class: rules ask for
    # them on every row, and building a dict per call cost more than the rest of the test.
    @property
    def sense(self) -> str:
        """positive / reverse / equal, the scoring families of domain.md §2.3."""
        return self._sense

    @property
    def label_zh(self) -> str:
        """The 指标方向 word for this operator, as Guangdong forms write it (大于或等于 …)."""
        return self._label_zh

    @property
    def symbol(self) -> str:
        return self._symbol


for _d, _sense, _label, _symbol in (
        (Direction.GE, "positive", "大于或等于", "≥"), (Direction.GT, "positive", "大于", ">"),
        (Direction.LE, "reverse", "小于或等于", "≤"), (Direction.LT, "reverse", "小于", "<"),
        (Direction.EQ, "equal", "等于", "=")):
    _d._sense, _d._label_zh, _d._symbol = _sense, _label, _symbol
del _d, _sense, _label, _symbol


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
        upper: the upper bound of a range ("90%-95%" → number 90, upper 95), else None.
        context: words around the amount that are neither operator nor unit
            ("省局平均水平" in "省局平均水平2300元/批次", "企业" in "至少20家企业"), else None.
        problem: for UNKNOWN values, a Chinese phrase saying why ("含有多个数值"), else None.
    """

    kind: ValueKind
    direction: Direction | None = None
    number: float | None = None
    unit: str | None = None
    text: str = ""
    raw: str = ""
    annotation: str | None = None
    notes: tuple[str, ...] = field(default=())
    upper: float | None = None
    context: str | None = None
    problem: str | None = None

    @property
    def unit_class(self) -> str | None:
        """"percent", "money", "count", "time", "measure", "score" or "other"; None without a unit."""
        return unit_class(self.unit)

    @property
    def is_percent(self) -> bool:
        return unit_class(self.unit) == "percent"


_new = object.__new__
_set = object.__setattr__


def _pv(kind: ValueKind, direction: Direction | None = None, number: float | None = None, unit: str | None = None,
        text: str = "", raw: str = "", annotation: str | None = None, notes: tuple[str, ...] = (),
        upper: float | None = None, context: str | None = None, problem: str | None = None) -> ParsedValue:
    """``ParsedValue(...)``, built without the frozen dataclass's __init__.

    That __init__ sets each of the eleven fields through ``object.__setattr__`` and cost more than
    the rest of parsing "≥95%"; an Excel UDF parses once per cell. The instance is the same:
    equal, hashable, frozen, picklable (a test keeps the parameters in step with the fields).
    """
    value = _new(ParsedValue)
    _set(value, "__dict__", {"kind": kind, "direction": direction, "number": number, "unit": unit, "text": text,
                             "raw": raw, "annotation": annotation, "notes": notes, "upper": upper,
                             "context": context, "problem": problem})
    return value


# --------------------------------------------------------------------------- text normalisation

_FULLWIDTH = {chr(0xFF10 + i): chr(0x30 + i) for i in range(10)}
_FULLWIDTH.update({chr(0xFF21 + i): chr(0x41 + i) for i in range(26)})
_FULLWIDTH.update({chr(0xFF41 + i): chr(0x61 + i) for i in range(26)})
_FULLWIDTH.update({"％": "%", "＜": "<", "＞": ">", "＝": "=", "＋": "+", "－": "-", "．": ".", "／": "/",
                   "～": "~", "\u3000": " ", "≧": "≥", "≦": "≤", "⩾": "≥", "⩽": "≤", "﹪": "%", "﹤": "<",
                   "﹥": ">", "﹦": "=", "\u00a0": " ", "\u2212": "-"})
_FOLD = str.maketrans(_FULLWIDTH)
# Parsing only (not shown to users): CJK brackets and punctuation to ASCII so one regex covers both.
_PARSE_FOLD = str.maketrans({"（": "(", "）": ")", "【": "(", "】": ")", "［": "(", "］": ")", "〔": "(", "〕": ")",
                             "，": ",", "：": ":", "；": ";"})

_TRAILING_PUNCT = re.compile(r"[\s。.，,；;、！!？?]+$")
_PERCENT_WORD = re.compile(r"(?<=\d)\s*(?:百分比|百分率)")
_ASCII_OPS = re.compile(r">\s*=|=\s*>|<\s*=|=\s*<")
_ASCII_OPS_MAP = {">=": "≥", "=>": "≥", "<=": "≤", "=<": "≤"}
_SPACE = re.compile(r"\s+")
# "…*100%，预期值为 85%或以上。": the value follows the marker, up to an explanation.
_VALUE_MARKER = re.compile(r"(?:预期值|目标值|指标值|预期实现值|预期完成值|年度指标值)(?:为|是|:)")
_MARKER_TAIL = re.compile(r",即|;|。|,其中")
# D17: glyphs OCR produces for ≥/≤ ("工5%"); which of the two was meant cannot be known.
_OCR_GLYPHS = frozenset({"工", "W", "w", "^", "$"})
# D17: "≥" read as "2". Only when the digits would otherwise be a rate above 100%.
_OCR_GE = re.compile(r"2((?:[5-9]\d(?:\.\d+)?)|100(?:\.0+)?)%")

# --------------------------------------------------------------------------- vocabularies

_OPS: dict[str, Direction | None] = {
    "≥": Direction.GE, "不少于": Direction.GE, "不低于": Direction.GE, "不小于": Direction.GE,
    "至少": Direction.GE, "最少": Direction.GE, "最低": Direction.GE, "达到": Direction.GE, "力争": Direction.GE,
    "大于等于": Direction.GE, "大于或等于": Direction.GE, "等于或大于": Direction.GE, "高于或等于": Direction.GE,
    "不得低于": Direction.GE, "不得少于": Direction.GE, "不应低于": Direction.GE, "不应少于": Direction.GE,
    "达": Direction.GE,
    ">": Direction.GT, "大于": Direction.GT, "高于": Direction.GT, "超过": Direction.GT, "多于": Direction.GT,
    "≤": Direction.LE, "不超过": Direction.LE, "不高于": Direction.LE, "不大于": Direction.LE,
    "不多于": Direction.LE, "最多": Direction.LE, "最高": Direction.LE, "控制在": Direction.LE,
    "小于等于": Direction.LE, "小于或等于": Direction.LE, "等于或小于": Direction.LE, "低于或等于": Direction.LE,
    "不得超过": Direction.LE, "不得高于": Direction.LE, "不超出": Direction.LE, "不应超过": Direction.LE,
    "<": Direction.LT, "小于": Direction.LT, "低于": Direction.LT, "少于": Direction.LT, "不足": Direction.LT,
    "=": Direction.EQ, "等于": Direction.EQ,
    "约": None, "大约": None, "≈": None, "保持在": None, "维持在": None,
}
# Operators so short that they only count right before the number ("达100%", not "送达率100%").
_ADJACENT_ONLY = frozenset({"达", "约"})
# Writing these together with a suffix operator is a duplication worth a note ("至少2个以上").
_STRONG_OPS = frozenset({"≥", ">", "≤", "<", "至少", "最少", "不少于", "不低于", "不超过", "不高于", "最多", "="})
_OP_RE = re.compile("|".join(re.escape(k) for k in sorted(_OPS, key=len, reverse=True)))

_POST_OPS: dict[str, Direction | None] = {
    "或以上": Direction.GE, "及以上": Direction.GE, "以上": Direction.GE, "或更高": Direction.GE, "或更多": Direction.GE,
    "或以下": Direction.LE, "及以下": Direction.LE, "以下": Direction.LE, "以内": Direction.LE, "之内": Direction.LE,
    "或更低": Direction.LE, "或更少": Direction.LE, "内": Direction.LE,
    "左右": None, "上下": None, "全覆盖": None,
}
_POST_RE = re.compile("|".join(re.escape(k) for k in sorted(_POST_OPS, key=len, reverse=True)))

_NUM_RE = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")
_DIGIT = re.compile(r"\d")
_BRACKETS = re.compile(r"\([^()]*\)")
_ANNOT_RE = re.compile(r"\(([^()]*)\)")
_DEN_RE = re.compile(r"(?:/(?:\d+(?:\.\d+)?)?[十百千万亿]?[A-Za-z\u4e00-\u9fff]+(?:[.·・][\u4e00-\u9fff]+)?)+")
_RANGE_SEP = re.compile(r"(?:-|~|至|到|—|–)+(?=\d)")
_CONCAT = re.compile(r"\d+\.\d+\.\d")  # D19: lost cell boundaries, "310.2154.741050%5"

_PLACEHOLDER_RE = re.compile(
    r"是/否|否/是|是或否|是否|是/否/|有/无|有或无|达到/未达到|完成/未完成|[-—–_/\\~.…·*]+|[Xx×*]+"
    r"|请?填写.*|待填.*|待定|待补充|待完善|略|N/?A|n/?a|无数据|暂无|空|\(\)")
_X_RE = re.compile(r"(?<![A-Za-z])[Xx×*]+(?![A-Za-z])")
_SKELETON_STRIP = re.compile(r"[\s.,:;()\-]+")

_YEAR = r"(?:19|20)\d{2}"
_MONTH = r"(?:1[0-2]|0?[1-9])"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])"
_DATE_RE = re.compile(
    rf"{_YEAR}年度?(?:{_MONTH}月份?(?:{_DAY}[日号])?)?(?:底|末|初|中旬|上旬|下旬|前|之前|以前|内)?"
    rf"|{_YEAR}[-/]{_MONTH}(?:[-/]{_DAY})?(?!\d)"
    rf"|{_YEAR}\.{_MONTH}\.{_DAY}(?!\d)"
    rf"|(?<![\d.])(?<!第){_MONTH}月份?(?:{_DAY}[日号])?(?:底|末|初|中旬|上旬|下旬|前|之前|以前|内)?"
    r"|第[一二三四1-4]季度")
_DATE_WORDS = re.compile(
    r"按月|按季|按年度|按周|按旬|每月|每季|每周|每年度|月底|月末|年底|年末|年内|年度内|季度|上半年|下半年"
    r"|时间内|期限内|时限内|时间节点|规定时间|规定时限|截止|截至|之前完成|前完成|以前完成|工作日内|当月|次月")
_GRADE_RE = re.compile(r"[1-5]?A{1,5}级?(?:以上)?|[一二三四五]星级?")
_STANDARD_RE = re.compile(r"(?:GB|DB|HJ|JJG|JJF|YY|QB|NY|SB|GA)(?:/T|/Z)?\d")


# --------------------------------------------------------------------------- units

# Unit vocabulary by class, written with ASCII brackets (the parse form). Classes drive the
# unit-mismatch checks: a 率 wants "percent", a 金额 "money", a 数量 "count".
_UNIT_CLASSES: dict[str, tuple[str, ...]] = {
    "percent": ("%", "‰", "个百分点", "百分点", "倍"),
    "money": ("元", "万元", "亿元", "千元", "百万元", "千万元", "万亿元", "美元", "万美元", "亿美元"),
    "time": ("年", "个月", "月", "周", "天", "日", "小时", "分钟", "秒", "工作日", "个工作日", "季度", "学时",
             "课时", "h", "min", "人日", "人天"),
    "count": ("个", "次", "场", "场次", "家", "家次", "家(次)", "户", "户次", "人", "人次", "人(次)", "名", "位",
              "批", "批次", "批(次)", "件", "件次", "项", "项次", "台", "台次", "台(套)", "套", "份", "所", "辆",
              "篇", "种", "例", "条", "座", "栋", "间", "处", "张", "本", "册", "部", "支", "只", "头", "株",
              "棵", "宗", "起", "单", "期", "轮", "个(次)", "次(场)", "场(次)", "县(市、区)", "县(市,区)",
              "县(区)", "镇街(园区)", "镇(街)", "镇(街道)", "乡(镇)", "村(社区)", "镇街", "乡镇", "街道",
              "村", "社区", "床", "节", "门", "届", "组", "队", "块", "盏", "根", "枚", "份次", "款", "类",
              "个(家)", "家(个)", "项(次)", "件(次)", "例次", "号", "级"),
    "measure": ("吨", "万吨", "千克", "公斤", "kg", "克", "g", "毫克", "mg", "亩", "万亩", "公顷", "平方米",
                "万平方米", "平方公里", "m²", "m2", "㎡", "立方米", "万立方米", "m³", "m3", "公里", "千米",
                "km", "米", "m", "升", "L", "毫升", "ml", "mL", "mg/L", "mg/kg", "μg/m³", "ug/m3", "千瓦",
                "kW", "千瓦时", "kWh", "万千瓦时", "兆瓦", "MW", "GB", "TB", "Mbps", "dB", "分贝", "℃",
                "°C", "吨标准煤", "标准煤"),
    "score": ("分",),
}
_CLASS_OF: dict[str, str] = {u: c for c, units in _UNIT_CLASSES.items() for u in units}
_UNIT_RE_SOURCE = "|".join(re.escape(u) for u in sorted(_CLASS_OF, key=len, reverse=True))
# Longest first, so 个月 wins over 个 and mg/L over mg.
_UNIT_RE = re.compile(_UNIT_RE_SOURCE)
# first character → the lengths of the units starting with it, longest first: _unit_at's table.
_UNIT_LENGTHS: dict[str, tuple[int, ...]] = {
    head: tuple(sorted({len(u) for u in _CLASS_OF if u[0] == head}, reverse=True)) for head in {u[0] for u in _CLASS_OF}}


def _unit_at(s: str, pos: int) -> str | None:
    """The longest known unit starting at ``s[pos]`` (what ``_UNIT_RE.match(s, pos)`` finds), or None.

    The regex tries its two hundred alternatives in turn at every call; the parser asks this two
    or three times per target, so it looks up the few lengths of unit that start with the character
    there. A slice cut short by the end of ``s`` is all that is left, so the longest candidate.
    """
    lengths = _UNIT_LENGTHS.get(s[pos:pos + 1])
    if lengths is not None:
        for length in lengths:
            unit = s[pos:pos + length]
            if unit in _CLASS_OF:
                return unit
    return None


_MULT_RE = re.compile(r"百万|千万|万|亿|千|百")
_BRACKET_KEY = str.maketrans({"(": "", ")": "", "（": "", "）": ""})


def _display_unit(unit: str) -> str:
    """A unit as users write it: CJK brackets around CJK qualifiers ("家（次）")."""
    if "(" in unit:
        return unit.replace("(", "（").replace(")", "）")
    return unit


def unit_key(unit: str | None) -> str | None:
    """A comparison key for units: brackets dropped, width folded, 百分比 → %."""
    if unit is None:
        return None
    return _unit_key(unit)


@lru_cache(maxsize=1024)
def _unit_key(unit: str) -> str | None:
    k = _SPACE.sub("", unit.translate(_FOLD)).translate(_BRACKET_KEY)
    if k in ("百分比", "百分率", "百分数"):
        return "%"
    return k or None


def unit_class(unit: str | None) -> str | None:
    """The class of a unit: "percent", "money", "count", "time", "measure", "score" or "other".

    A rate's class is its numerator's ("元/批次" → money, "%/年" → percent); a bare per-period
    amount ("万/年", "/月") counts as "count".
    """
    if not unit:
        return None
    return _unit_class(str(unit))


@lru_cache(maxsize=1024)
def _unit_class(unit: str) -> str:
    u = unit.translate(_FOLD).replace("（", "(").replace("）", ")")
    cls = _CLASS_OF.get(u)
    if cls is not None:
        return cls
    numerator = u.split("/", 1)[0]
    if not numerator or numerator in _MULTIPLIERS:
        return "count"
    cls = _CLASS_OF.get(numerator)
    if cls is not None:
        return cls
    m = _UNIT_RE.match(numerator)
    if m is not None and m.end() == len(numerator):
        return _CLASS_OF[m.group()]
    return "other"


_NEEDS_FOLD = re.compile("[" + re.escape("".join(_FULLWIDTH)) + "]")
_NEEDS_PFOLD = re.compile("[（）【】［］〔〕，：；]")
_HAS_SPACE = re.compile(r"\s")
_TRAIL_CHARS = frozenset("。.，,；;、！!？? \t\r\n")
# Any character one of the rewrites in _parse_text acts on: full-width forms (_FOLD), whitespace,
# CJK brackets and punctuation (_PARSE_FOLD), "=" (">=") and "百" (百分比). Most targets hold none,
# and one search that says so costs less than the five tests it spares.
_REWRITE_HINT = re.compile("[" + re.escape("".join(_FULLWIDTH)) + r"（）【】［］〔〕，：；=百\s]")
# "4-digit year, separator, digit" (2023-12, 2023.6.30); the other date hints are plain substrings.
# Written from the separator, so that the search skips to the separators ("\d{4}" first is tried everywhere).
_NUMERIC_DATE = re.compile(r"[-/.](?<=\d{4}[-/.])\d")
# First characters _PLACEHOLDER_RE can match: a text starting otherwise is no placeholder.
# Kept beside the pattern because both must change together.
_PLACEHOLDER_HEADS = frozenset("是否有达完-—–_/\\~.…·*Xx×请填待略Nn无暂空(")
# _GRADE_RE needs an "A" or 星, _STANDARD_RE one of B (GB DB QB SB), J (HJ JJG JJF), Y (YY NY), A (GA).
_GRADE_OR_STANDARD_HINT = re.compile("[ABJY星]")
_RANGE_HEADS = frozenset("-~至到—–")  # first characters of _RANGE_SEP
_MULT_HEADS = frozenset("百千万亿")  # first characters of _MULT_RE
_POST_HEADS = frozenset(op[0] for op in _POST_OPS)  # first characters of _POST_RE
# The fast path: an amount with at most an operator right before it, as _parse_quantity reads it
# ("≥", "不少于"), and after it nothing or a unit from _SIMPLE_UNITS. The unit is looked up in a set:
# as an alternation inside the regex it was retried for every shorter reading of the number.
# _simple_amount finds the operator and amount; this reads the text up to the first digit.
_SIMPLE_HEAD = re.compile(r"(\D*)(\d+(?:\.\d+)?)")
# Not 年/月/季度 (the text may be a date) and no brackets (shown as "家（次）").
_SIMPLE_UNITS = frozenset(u for u in _CLASS_OF if "(" not in u and "年" not in u and "月" not in u and "季" not in u)


def _simple_amount(s: str) -> re.Match | None:
    """What ``(operator)?(amount)`` (the operators of _OPS) matches at the start of ``s``, or None.

    The operator group is "" rather than None when there is none. Operators hold no digit, so the
    only one such a pattern can take before the amount is all the text before the first digit:
    one character class and a dict look-up, where the alternation tried sixty operators in turn
    (tests/test_notation.py compares the two).
    """
    m = _SIMPLE_HEAD.match(s)
    if m is not None and m.start(2) and s[:m.start(2)] not in _OPS:
        return None  # words before the amount that are no operator: "省局平均水平2300元"
    return m


_PARSE_FOLD_PAIRS = tuple((chr(cjk), ascii_) for cjk, ascii_ in _PARSE_FOLD.items())


def _parse_fold(s: str) -> str:
    """``s.translate(_PARSE_FOLD)``, at half the cost on CJK text.

    str.translate looks every character up in the table; eleven substring tests cost less. No
    replacement produces a character another one replaces, so the order does not matter.
    """
    for cjk, ascii_ in _PARSE_FOLD_PAIRS:
        if cjk in s:
            s = s.replace(cjk, ascii_)
    return s


_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_NUM_RE = re.compile(
    rf"(?P<op>{_OP_RE.pattern})?(?P<cn>[零〇一二两三四五六七八九十百]+)(?=(?:{_UNIT_RE_SOURCE})(?:{_POST_RE.pattern})?$)")


# --------------------------------------------------------------------------- public API

def parse_value(value: object) -> ParsedValue:
    """Parse what a target/actual cell holds into a ParsedValue. Never raises.

    Args:
        value: the cell value: str, int, float, bool, None, datetime/date, or a CellError
            (a str subclass such as "#DIV/0!"). A bare number is a QUANTITY without unit, so 0.95
            read from a %-formatted cell stays 0.95.

    Returns:
        The parsed value; ``kind`` is UNKNOWN when the value fits no known notation.
    """
    try:
        if value is None:
            return _EMPTY
        if isinstance(value, str):
            if type(value) is not str:  # CellError and other str subclasses: formula errors
                text = str.__str__(value).strip()
                if text.startswith("#"):
                    return _pv(ValueKind.UNKNOWN, text=text, raw=text, problem="单元格为公式错误值")
                value = str.__str__(value)
            return _parse_cached(value)
        if isinstance(value, bool):
            word = "是" if value else "否"
            return _pv(ValueKind.QUALITATIVE, text=word, raw=str(value))
        if isinstance(value, (int, float)):
            return _parse_number(value)
        if isinstance(value, Decimal):
            return _parse_number(float(value))
        if isinstance(value, (datetime, date)):
            d = value.date() if isinstance(value, datetime) else value
            text = f"{d.year}年{d.month}月{d.day}日"
            return _pv(ValueKind.DATE, text=text, raw=value.isoformat())
        if isinstance(value, time):
            return _pv(ValueKind.UNKNOWN, text=value.isoformat(), raw=value.isoformat(), problem="时间值")
        return _parse_cached(str(value))
    except Exception:  # noqa: BLE001 — the contract is "never raises"; a bug must not stop validation
        raw = _safe_str(value)
        return _pv(ValueKind.UNKNOWN, text=raw, raw=raw, problem="无法解析")


def normalise_text(value: object) -> str:
    """The normalised notation of a value ("≥95%" for "≥95百分比"); what XLT_NORMALIZE returns."""
    return parse_value(value).text


def parse_direction_word(text: object) -> tuple[Direction | None, bool]:
    """Read a 指标方向 (or Sichuan 指标性质) cell.

    Args:
        text: 大于, 小于, 等于, 大于或等于, 大于等于, 等于或大于, 小于或等于, 正向指标, 反向指标,
            or a symbol (≥ ≤ = > <). 定性/定量 and blanks carry no direction.

    Returns:
        (direction, malformed). ``malformed`` is True for words that repeat or contradict
        themselves ("等于或等于", "大于或小于") or that are not a direction at all.
    """
    if text is None:
        return None, False
    return _direction_word(str(text))


@lru_cache(maxsize=1024)
def _direction_word(text: str) -> tuple[Direction | None, bool]:
    s = _SPACE.sub("", text.translate(_FOLD))
    s = _TRAILING_PUNCT.sub("", s)
    if not s or s in ("定性", "定量", "定性指标", "定量指标", "-", "—", "/"):
        return None, False
    s = s.replace("指标", "")
    hit = _DIRECTION_WORDS.get(s)
    if hit is not None:
        return hit, False
    parts = [p for p in re.split(r"或|及|和|、|/", s) if p]
    rels = []
    for p in parts:
        if p in ("大于", "高于", ">"):
            rels.append("gt")
        elif p in ("小于", "低于", "<"):
            rels.append("lt")
        elif p in ("等于", "="):
            rels.append("eq")
        else:
            return None, True
    kinds = set(rels)
    repeated = len(kinds) < len(rels)
    if kinds == {"gt", "eq"}:
        return Direction.GE, repeated
    if kinds == {"lt", "eq"}:
        return Direction.LE, repeated
    if len(kinds) == 1:
        return {"gt": Direction.GT, "lt": Direction.LT, "eq": Direction.EQ}[rels[0]], repeated
    return None, True


_DIRECTION_WORDS: dict[str, Direction] = {
    "大于": Direction.GT, "小于": Direction.LT, "等于": Direction.EQ, "高于": Direction.GT, "低于": Direction.LT,
    "大于或等于": Direction.GE, "大于等于": Direction.GE, "等于或大于": Direction.GE, "不小于": Direction.GE,
    "不低于": Direction.GE, "不少于": Direction.GE, "小于或等于": Direction.LE, "小于等于": Direction.LE,
    "等于或小于": Direction.LE, "不大于": Direction.LE, "不高于": Direction.LE, "不超过": Direction.LE,
    "正向": Direction.GE, "反向": Direction.LE, "≥": Direction.GE, ">=": Direction.GE, ">": Direction.GT,
    "≤": Direction.LE, "<=": Direction.LE, "<": Direction.LT, "=": Direction.EQ, "＝": Direction.EQ,
    "≧": Direction.GE, "≦": Direction.LE,
}


def parse_nature(text: object) -> str | None:
    """Read a 指标性质 / 指标值类型 cell: "quantitative" (定量), "qualitative" (定性) or None.

    Sichuan forms write the operator (≥ ≤ =) into 指标性质 for quantitative indicators, so a
    direction symbol also reads as "quantitative".
    """
    if text is None:
        return None
    return _nature_word(str(text))


@lru_cache(maxsize=256)
def _nature_word(text: str) -> str | None:
    s = _SPACE.sub("", text.translate(_FOLD))
    if not s:
        return None
    if "定性" in s:
        return None if "定量" in s else "qualitative"
    if "定量" in s:
        return "quantitative"
    if s in _DIRECTION_WORDS or s in ("≥", "≤", "=", ">", "<"):
        return "quantitative"
    return None


def parse_unit(text: object) -> str | None:
    """Normalise a 计量单位 cell ("％" → "%", "百分比" → "%", "家(次)" → "家（次）"); None when blank.

    A unit outside the known vocabulary is returned cleaned but otherwise as written.
    """
    if text is None or isinstance(text, bool):
        return None
    return _unit_word(str(text))


@lru_cache(maxsize=1024)
def _unit_word(text: str) -> str | None:
    s = _SPACE.sub("", text.translate(_FOLD)).translate(_PARSE_FOLD)
    s = _TRAILING_PUNCT.sub("", s)
    if not s or _PLACEHOLDER_RE.fullmatch(s) or s in ("无", "空"):
        return None
    if s in ("百分比", "百分率", "百分数"):
        return "%"
    m = _UNIT_RE.match(s)
    if m:
        den = _DEN_RE.match(s, m.end())
        end = den.end() if den else m.end()
        if end == len(s):
            return _display_unit(s)
    if s.startswith("/") and _DEN_RE.fullmatch(s):
        return s
    return _display_unit(s)


def same_unit(a: str | None, b: str | None) -> bool:
    """True when two units name the same thing ("家（次）" = "家次", "％" = "%")."""
    return unit_key(a) == unit_key(b)


# --------------------------------------------------------------------------- implementation

_EMPTY = _pv(ValueKind.EMPTY)
_QUANTITY = ValueKind.QUANTITY  # (an enum member read through its class costs 0.1 µs on CPython 3.11)
# The formula error values a reader may hand over as plain text (form.CellError.ERRORS).
_CELL_ERRORS = frozenset({"#DIV/0!", "#REF!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#VALUE!", "#GETTING_DATA",
                          "#SPILL!", "#CALC!"})


def _safe_str(value: object) -> str:
    try:
        return str(value)
    except Exception:  # noqa: BLE001
        return ""


def _parse_number(value: float) -> ParsedValue:
    if isinstance(value, float) and not math.isfinite(value):
        return _pv(ValueKind.UNKNOWN, text=str(value), raw=str(value), problem="不是有限数值")
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        text = str(int(value))
    else:
        text = repr(value) if isinstance(value, float) else str(value)
    return _pv(ValueKind.QUANTITY, number=float(value), text=text, raw=text)


@lru_cache(maxsize=8192)
def _parse_cached(raw: str) -> ParsedValue:
    return _parse_text(raw)


def _parse_text(raw: str) -> ParsedValue:
    """Parse one text value (uncached; the cached entry point is parse_value)."""
    t = raw.strip()
    if not t:
        return _pv(ValueKind.EMPTY, raw=raw)
    if t[0] == "#" and t.upper() in _CELL_ERRORS:
        return _pv(ValueKind.UNKNOWN, text=t, raw=raw, problem="单元格为公式错误值")
    notes: list[str] = []
    # Each rewrite is guarded by a cheap test: an Excel UDF calls this once per cell.
    rewrite = _REWRITE_HINT.search(t) is not None
    if rewrite and _NEEDS_FOLD.search(t):
        t = t.translate(_FOLD).strip()
        notes.append("全角字符应改为半角")
    if t and t[-1] in _TRAIL_CHARS:
        stripped = _TRAILING_PUNCT.sub("", t)
        if stripped:
            notes.append("去掉末尾多余的标点")
        t = stripped
    if not t:
        return _pv(ValueKind.PLACEHOLDER, text=raw.strip(), raw=raw)
    if not rewrite:  # nothing below would change t (dropping trailing punctuation adds no such character)
        s = nospace = t
        spaced = False
    else:
        if "百分" in t:
            pct = _PERCENT_WORD.sub("%", t)
            if pct != t:
                notes.append("“百分比”应写为“%”")
                t = pct
        if "=" in t:
            ops = _ASCII_OPS.sub(lambda m: _ASCII_OPS_MAP[_SPACE.sub("", m.group())], t)
            if ops != t:
                notes.append("“>=”“<=”应写为“≥”“≤”")
                t = ops
        nospace = _SPACE.sub("", t) if _HAS_SPACE.search(t) else t
        spaced = nospace is not t and nospace != t
        s = _parse_fold(nospace) if _NEEDS_PFOLD.search(nospace) else nospace

    if s[0] == "2":  # _OCR_GE's first character
        m = _OCR_GE.fullmatch(s)
        if m:
            s = nospace = "≥" + m.group(1) + "%"
            notes.append("疑似识别错误：开头的“2”应为“≥”")
    m = _simple_amount(s)
    if m is not None:
        unit = s[m.end():] or None
        if unit is None or unit in _SIMPLE_UNITS:  # the common case: "≥95%", "100%", "不少于17辆"
            op, num = m.groups()
            if spaced:
                notes.append("去掉多余的空格")
            return _pv(_QUANTITY, _OPS[op] if op else None, float(num), unit, nospace, raw, None,
                       tuple(notes) if notes else ())
    elif s[0] in _PLACEHOLDER_HEADS and _PLACEHOLDER_RE.fullmatch(s):  # (a text that starts with an amount has none)
        return _pv(ValueKind.PLACEHOLDER, text=t, raw=raw)
    if "值" in s:
        marked = _after_marker(s, nospace, raw, notes)
        if marked is not None:
            return marked
    if m is None and not _DIGIT.search(s):  # (m: the text starts with an amount)
        cn = _CN_NUM_RE.match(s)
        if cn is None:
            return _parse_wordy(s, t, raw, notes)
        # "至少两次": parse the arabic equivalent, show the text as written.
        s = s[:cn.start("cn")] + str(_cn_number(cn.group("cn"))) + s[cn.end("cn"):]
        return _parse_quantity(s, nospace, raw, notes, spaced, editable=False)
    if "." in s and _CONCAT.search(s) and not _DATE_RE.fullmatch(s):
        return _pv(ValueKind.UNKNOWN, text=t, raw=raw, problem="疑似多个数值连在一起（单元格边界丢失）")
    if _GRADE_OR_STANDARD_HINT.search(s) and (_GRADE_RE.fullmatch(s) or _STANDARD_RE.search(s)):
        return _pv(ValueKind.QUALITATIVE, text=t, raw=raw)
    # The date hint: 年, 月, 季度 or a numeric date; substring tests, as a regex alternation with
    # \d{4} tried at every position cost more than the rest of parsing a plain amount.
    if ("年" in s or "月" in s or "季度" in s
            or (("-" in s or "/" in s or "." in s) and _NUMERIC_DATE.search(s) is not None)):
        undated = _DATE_RE.sub("", s)
        if undated != s:
            if not _DIGIT.search(undated):
                return _pv(ValueKind.DATE, text=nospace, raw=raw, notes=_space_note(notes, spaced))
            # A deadline plus an amount: "2023年完成10项" is the amount; the text stays whole.
            return _parse_quantity(undated, nospace, raw, notes, spaced, editable=False)
    return _parse_quantity(s, nospace, raw, notes, spaced)


def _after_marker(s: str, nospace: str, raw: str, notes: list[str]) -> ParsedValue | None:
    """"计算公式…，预期值为 85%或以上。": the value is what follows the marker (seed 004's report tables).

    ``s`` (the parse form) and ``nospace`` (the shown text) have the same length, so the span found
    in one cuts the other.
    """
    m = None
    for m in _VALUE_MARKER.finditer(s):
        pass
    if m is None:
        return None
    value = _MARKER_TAIL.split(s[m.end():], 1)[0]
    if not value:
        return None
    inner = _parse_text(nospace[m.end():m.end() + len(value)] if len(nospace) == len(s) else value)
    if inner.kind is ValueKind.PLACEHOLDER:
        return replace(inner, raw=raw)
    if inner.kind not in (ValueKind.QUANTITY, ValueKind.DATE, ValueKind.QUALITATIVE):
        return None
    note = f"指标值中夹有说明文字，应只填写“{inner.text}”"
    return replace(inner, raw=raw, notes=tuple(notes) + (note,) + inner.notes)


def _space_note(notes: list[str], spaced: bool) -> tuple[str, ...]:
    if spaced:
        notes.append("去掉多余的空格")
    return tuple(notes)


def _parse_wordy(s: str, t: str, raw: str, notes: list[str]) -> ParsedValue:
    """A value without digits: placeholder skeleton, deadline words, or qualitative text."""
    if _is_skeleton(s):
        return _pv(ValueKind.PLACEHOLDER, text=t, raw=raw)
    kind = ValueKind.DATE if _DATE_WORDS.search(s) else ValueKind.QUALITATIVE
    return _pv(kind, text=_SPACE.sub(" ", t), raw=raw, notes=tuple(notes))


def _is_skeleton(s: str) -> bool:
    """Operator, unit and "XX" without an amount: a template never filled in ("≥XX%", "≥ %")."""
    rest = _X_RE.sub("", s)
    rest = _OP_RE.sub("", rest)
    rest = _POST_RE.sub("", rest)
    rest = _SKELETON_STRIP.sub("", rest)
    if not rest:
        return True
    m = _UNIT_RE.match(rest)
    if m and m.end() == len(rest):
        return True
    den = _DEN_RE.fullmatch(rest) if m is None else _DEN_RE.fullmatch(rest, m.end())
    return den is not None and (m is not None or rest.startswith("/"))


def _cn_number(cn: str) -> int:
    """Small Chinese numerals (一 … 九十九, 一百): enough for "至少两次", "不少于十个"."""
    if cn == "百":
        return 100
    if "百" in cn:
        head, _, rest = cn.partition("百")
        return _CN_DIGITS.get(head, 1) * 100 + (_cn_number(rest) if rest else 0)
    if "十" in cn:
        head, _, tail = cn.partition("十")
        return (_CN_DIGITS.get(head, 1) if head else 1) * 10 + (_CN_DIGITS.get(tail, 0) if tail else 0)
    total = 0
    for ch in cn:
        total = total * 10 + _CN_DIGITS.get(ch, 0)
    return total


def _first_number(s: str) -> re.Match | None:
    """The first number in ``s`` outside brackets, or None."""
    first = _NUM_RE.search(s)
    if first is None:
        return None
    bracket = s.find("(")
    if bracket < 0 or first.start() < bracket:  # no bracket opens before it: "100%(26家)"
        return first
    spans = [m.span() for m in _BRACKETS.finditer(s)]
    for m in _NUM_RE.finditer(s):
        if not any(a <= m.start() < b for a, b in spans):
            return m
    return None


def _to_float(text: str, mult: int = 1) -> float:
    text = text.replace(",", "")
    if mult == 1:
        return float(text)
    if len(text) <= 15 and text.isdigit() and text.isascii():
        return float(int(text) * mult)  # exact, as the Decimal product below, and without its cost
    try:
        return float(Decimal(text) * mult)
    except InvalidOperation:
        return float(text) * mult


_MULTIPLIERS = {"万": 10_000, "亿": 100_000_000, "千": 1_000, "百": 100, "百万": 1_000_000, "千万": 10_000_000}


def _parse_quantity(s: str, nospace: str, raw: str, notes: list[str], spaced: bool,
                    editable: bool = True) -> ParsedValue:
    """Parse ``s`` (the parse form) as [text][op][text] amount [unit][/den][range][post-op][(annotation)][text].

    ``nospace`` is the text shown to users; when ``editable`` its positions match ``s`` one to one,
    so a duplicated operator can be cut from it.
    """
    first = _first_number(s)
    if first is None:
        # Digits only inside brackets: qualitative text with a note ("达标（见附件1）").
        return _pv(ValueKind.QUALITATIVE, text=nospace, raw=raw)
    pre = s[:first.start()]
    # -- operator before the number (possibly with words between: "达到每年4份/千人")
    pre_dir: Direction | None = None
    pre_op = ""
    pre_span = (0, 0)  # where pre_op stands in ``s``
    context_parts: list[str] = []
    negative = False
    if pre in _OPS:
        # The whole prefix is an operator ("不少于", "≥"): the last _OP_RE match below would be all of it.
        pre_op = pre
        pre_dir = _OPS[pre]
        pre_span = (0, len(pre))
    elif pre:
        op_match = None
        for m in _OP_RE.finditer(pre):
            op_match = m
        if op_match is not None:
            mid = pre[op_match.end():]
            if mid in ("-", "−"):
                negative, mid = True, ""
            if len(mid) <= 8 and (mid == "" or op_match.group() not in _ADJACENT_ONLY):
                pre_op = op_match.group()
                pre_dir = _OPS[pre_op]
                pre_span = op_match.span()
                if pre[:op_match.start()]:
                    context_parts.append(pre[:op_match.start()])
                if mid:
                    context_parts.append(mid)
            else:
                context_parts.append(pre)
        elif pre in _OCR_GLYPHS:
            # D17: OCR read ≥/≤ as "工", "W", "^", "$": which one cannot be known, so say so.
            return _pv(ValueKind.UNKNOWN, text=nospace, raw=raw,
                               problem=f"数值前的“{pre}”疑似识别错误（应为≥或≤）")
        elif pre in ("-", "−"):
            negative = True
        elif pre.endswith("-") and not pre[-2:-1].isdigit():
            negative = True
            context_parts.append(pre[:-1])
        elif pre != "+":
            context_parts.append(pre)

    # -- multiplier, unit, per-denominator
    pos = first.end()
    end = len(s)
    mult = 1
    unit = _unit_at(s, pos)
    if unit is not None:
        pos += len(unit)
    elif pos < end and s[pos] in _MULT_HEADS:
        mm = _MULT_RE.match(s, pos)
        after = mm.end()
        unit = _unit_at(s, after)
        if unit is None and s.startswith("/", after):
            unit = mm.group()  # "3.5万/年": the multiplier is the numerator of the rate
            pos = after
        else:
            mult = _MULTIPLIERS[mm.group()]
            pos = after if unit is None else after + len(unit)
    # Each optional part below starts with a known character: test it before running the regex.
    den = _DEN_RE.match(s, pos) if pos < end and s[pos] == "/" else None
    post_dir: Direction | None = None
    post_op = ""
    post_span = None
    if den is not None:
        den_text = den.group()
        # The denominator regex is greedy: give back a trailing 以上/以下 ("1次/月以上").
        pm = _POST_RE.search(den_text)
        while pm is not None and pm.end() != len(den_text):
            pm = _POST_RE.search(den_text, pm.start() + 1)
        if pm is not None and pm.start() > 1:
            den_text = den_text[:pm.start()]
        unit = (unit or "") + den_text
        pos += len(den_text)

    number = _to_float(first.group(), mult)
    if negative:
        number = -number
    upper = None
    # -- range "90%-95%", "5~10个"
    rs = _RANGE_SEP.match(s, pos) if pos < end and s[pos] in _RANGE_HEADS else None
    if rs is not None:
        second = _NUM_RE.match(s, rs.end())
        if second is not None:
            p2 = second.end()
            mult2 = mult
            mm2 = _MULT_RE.match(s, p2)
            unit2 = _unit_at(s, p2)
            if unit2 is None and mm2 is not None:
                mult2 = _MULTIPLIERS[mm2.group()]
                unit2 = _unit_at(s, mm2.end())
                p2 = mm2.end()
            if unit2 is not None:
                if unit is not None and unit_key(unit2) != unit_key(unit):
                    return _pv(ValueKind.UNKNOWN, text=nospace, raw=raw, problem="范围两端单位不一致")
                unit = unit or unit2
                p2 += len(unit2)
            upper = _to_float(second.group(), mult2)
            if upper < number:
                number, upper = upper, number
            pos = p2
    # -- suffix operator, annotation, suffix operator again ("100%(26家)以上")
    annotation = None
    for _ in range(2):
        if pos == end:
            break
        pm = _POST_RE.match(s, pos) if s[pos] in _POST_HEADS else None
        if pm is not None and post_span is None:
            post_op = pm.group()
            post_dir = _POST_OPS[post_op]
            post_span = pm.span()
            pos = pm.end()
        am = _ANNOT_RE.match(s, pos) if pos < end and s[pos] == "(" else None
        if am is not None and annotation is None:
            annotation = am.group(1) or None
            pos = am.end()
    tail = s[pos:]
    if tail:
        if _first_number(tail) is not None:
            return _pv(ValueKind.UNKNOWN, text=nospace, raw=raw, problem="含有多个数值")
        if unit is None and len(tail) == 1 and "\u4e00" <= tail <= "\u9fff" and tail not in "的了是":
            unit = tail  # a classifier missing from the vocabulary ("5座")
        else:
            context_parts.append(tail)

    # -- combine operators
    direction = pre_dir
    if post_span is not None and post_dir is not None:
        if pre_dir is None or pre_op in ("约", "大约", "≈", "保持在", "维持在"):
            direction = post_dir
        elif pre_dir.sense == post_dir.sense or pre_dir is Direction.EQ:
            if pre_op in _STRONG_OPS:
                notes.append(f"运算符重复（“{pre_op}”与“{post_op}”），保留一个即可")
                # Keep the operator that gives the direction, so that the normalised text reads
                # back the same: "≥90%以上" → "≥90%", but "=0以上" → "0以上" (≥). An "=" after
                # other text ("==0以上") stays: without it, that text could read otherwise.
                drop = post_span if pre_dir is not Direction.EQ else pre_span if pre_span[0] == 0 else None
                if editable and drop is not None:
                    nospace = nospace[:drop[0]] + nospace[drop[1]:]
            direction = pre_dir if pre_dir is not Direction.EQ else post_dir
        else:
            return _pv(ValueKind.UNKNOWN, text=nospace, raw=raw,
                               problem=f"运算符矛盾（“{pre_op}”与“{post_op}”）")
    if spaced:
        notes.append("去掉多余的空格")
    context = None
    if context_parts:
        context = " ".join(p.strip(",:;、") for p in context_parts if p.strip(",:;、")) or None
    return _pv(ValueKind.QUANTITY, direction=direction, number=number,
                       unit=_display_unit(unit) if unit else None, text=nospace, raw=raw,
                       annotation=annotation, notes=tuple(notes), upper=upper, context=context)

