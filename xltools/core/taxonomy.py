"""The indicator taxonomy (domain.md §1): 一级 → 二级 per framework, synonyms, and unit expectations of 三级 names."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable, NamedTuple

from .notation import parse_unit, unit_class

__all__ = [
    "FRAMEWORKS", "LEVEL1_SYNONYMS", "LEVEL2_SYNONYMS", "Normalised", "normalise_level1", "normalise_level2",
    "normalise_level3", "detect_framework", "framework_of", "allowed_level1", "allowed_level2", "parent_of",
    "is_category_name", "is_evaluation_framework", "expected_unit_class", "unit_in_name", "NEW_COST_LEVEL2",
]

# 一级 → allowed 二级, per framework. "2015": 财预〔2015〕88号 (成本 under 产出); "2021": 财预〔2021〕101号
# (成本 as a 一级). 可持续影响指标 stays allowed in 2021: real 2023 forms still use it (domain.md §1.2).
FRAMEWORKS: dict[str, dict[str, tuple[str, ...]]] = {
    "2015": {
        "产出指标": ("数量指标", "质量指标", "时效指标", "成本指标"),
        "效益指标": ("经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标"),
        "满意度指标": ("服务对象满意度指标",),
    },
    "2021": {
        "成本指标": ("经济成本指标", "社会成本指标", "生态环境成本指标"),
        "产出指标": ("数量指标", "质量指标", "时效指标"),
        "效益指标": ("经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标"),
        "满意度指标": ("服务对象满意度指标",),
    },
}

# Seen in real forms (domain.md §1.3); keys are written without spaces.
LEVEL1_SYNONYMS: dict[str, str] = {
    "效果指标": "效益指标", "效果": "效益指标", "效益": "效益指标", "产出": "产出指标", "满意度": "满意度指标",
    "成本": "成本指标", "实施效果指标": "效益指标", "满意度指标(服务对象满意度指标)": "满意度指标",
}
LEVEL2_SYNONYMS: dict[str, str] = {
    "环境效益指标": "生态效益指标", "环境效益": "生态效益指标", "生态环境效益指标": "生态效益指标",
    "进度指标": "时效指标", "进度": "时效指标", "时间指标": "时效指标",
    "服务对象满意度": "服务对象满意度指标", "社会公众或服务对象满意度指标": "服务对象满意度指标",
    "社会公众或服务对象满意度": "服务对象满意度指标", "满意度指标": "服务对象满意度指标",
    "满意度": "服务对象满意度指标", "社会公众满意度指标": "服务对象满意度指标",
    "可持续影响": "可持续影响指标", "可持续发展指标": "可持续影响指标",
    "环境成本指标": "生态环境成本指标", "生态成本指标": "生态环境成本指标",
}
# The 二级 names that only exist in the 2021 framework; any of them makes a form "2021".
NEW_COST_LEVEL2 = ("经济成本指标", "社会成本指标", "生态环境成本指标")

# 一级 names of the 项目决策/过程/产出/效益 evaluation framework, not a 目标表 taxonomy (银川 2021).
_EVALUATION_LEVEL1 = frozenset({"决策", "项目决策", "过程", "项目过程", "项目管理", "管理"})
# Bare satisfaction phrases that are also plausible 三级 names: not treated as misplaced categories.
PLAUSIBLE_LEVEL3 = frozenset({"服务对象满意度", "社会公众满意度", "满意度"})

_ALL_LEVEL1 = frozenset(l1 for fw in FRAMEWORKS.values() for l1 in fw)
_ALL_LEVEL2 = frozenset(l2 for fw in FRAMEWORKS.values() for l2s in fw.values() for l2 in l2s)
# Every clean text normalise_level1 or normalise_level2 recognises ("数量" for 数量指标 included).
CATEGORY_WORDS = frozenset(_ALL_LEVEL1 | set(LEVEL1_SYNONYMS) | _ALL_LEVEL2 | set(LEVEL2_SYNONYMS)
                            | {l2[:-2] for l2 in _ALL_LEVEL2 if l2.endswith("指标")})

_WS = re.compile(r"[\s\u3000\u00a0]+")
_FOLD = str.maketrans({"（": "(", "）": ")", "：": ":", "．": ".", "、": "、"})
# "产出指标(50分)", "效益指标（30分）", "产出指标50分", "满意度指标(权重10%)".
_WEIGHT_DECOR = re.compile(r"\((?:权重|分值)?[:]?\d+(?:\.\d+)?(?:分|%)?\)$|(?<=指标)\d+(?:\.\d+)?分$")
# "一、产出指标", "1.数量指标", "(一)", "指标1:" — numbering in front of a name.
_NUMBERING = re.compile(r"^(?:[一二三四五六七八九十]+[、.]|\(?[一二三四五六七八九十\d]{1,2}\)|\d{1,2}[、.](?!\d)"
                        r"|指标\d{1,2}[:.、]?|[一二三]级指标[:])")
_LEVEL3_PREFIX = re.compile(r"指标[\d一二三四五六七八九十]{1,3}[:：.．、]")
_NAME_UNIT = re.compile(r"\(\s*(?:单位[:])?\s*([^()]{1,10}?)\s*\)$")
# Words after the telling ending: "…覆盖率达到", "…增长率先" (seed 000, a stray 先 after 率).
_TRAILING_FILLER = re.compile(r"(?:达到|达|情况|为|先)$")
_FILLERS = ("达到", "达", "情况", "为", "先")
_FILLER_LAST = frozenset(filler[-1] for filler in _FILLERS)  # a set test costs less than str.endswith(tuple)


class Normalised(NamedTuple):
    """The canonical name (None when not a taxonomy name) and whether the written form differed."""

    canonical: str | None
    changed: bool


def _fold(s: str) -> str:
    """``s.translate(_FOLD)``; str.translate is slow on CJK text, and these four characters are rare."""
    if "（" in s:
        s = s.replace("（", "(")
    if "）" in s:
        s = s.replace("）", ")")
    if "：" in s:
        s = s.replace("：", ":")
    if "．" in s:
        s = s.replace("．", ".")
    return s


# Characters that may start numbering ("一、", "指标1:") and so make _clean do work.
_NUMBERING_HEAD = frozenset("一二三四五六七八九十指")
# Whitespace, an opening bracket (a weight decoration) or a character _fold changes other than "）".
_NOT_PLAIN = re.compile(r"[\s(（：．]")


def plain_name(text: str) -> bool:
    """Whether _clean (the name normalisation) leaves a non-blank ``text`` exactly as it is.

    It does when the text has no whitespace, no bracket (a weight decoration), no character
    _fold changes, no trailing 分 and no leading numeral, digit or 指 (numbering). One character
    class and plain string tests: a regex with anchored alternatives cost a µs per name here.
    """
    head = text[0]
    return (text[-1] != "分" and head not in _NUMBERING_HEAD and not head.isdecimal()
            and _NOT_PLAIN.search(text) is None)


def _clean(name: object) -> tuple[str, bool]:
    """Strip whitespace, numbering and weight decorations; report whether anything but layout changed.

    Line breaks are cell layout and do not count as a change; inner spaces and decorations do.
    """
    if name is None:
        return "", False
    text = str(name).strip()
    if not text:
        return "", False
    if plain_name(text):
        return text, False  # the common case: a plain name, nothing to strip
    unbroken = re.sub(r"[\r\n]+", "", text)
    squeezed = _WS.sub("", unbroken)
    changed = squeezed != unbroken
    s = _fold(squeezed)
    decor = _WEIGHT_DECOR.sub("", s)
    numbered = _NUMBERING.sub("", decor)
    if numbered != s:
        changed = True
    return numbered, changed


@lru_cache(maxsize=4096)
def normalise_level1(name: str | None) -> Normalised:
    """Normalise a 一级指标 name ("效果指标" → 效益指标, "产出指标(50分)" → 产出指标).

    Args:
        name: the cell text as written.

    Returns:
        Normalised(canonical, changed): canonical is None when the name is not a 一级 name of
        either framework; changed is True when the written form should be corrected.
    """
    s, changed = _clean(name)
    if not s:
        return Normalised(None, False)
    if s in _ALL_LEVEL1:
        return Normalised(s, changed)
    hit = LEVEL1_SYNONYMS.get(s)
    if hit is not None:
        return Normalised(hit, True)
    return Normalised(None, False)


@lru_cache(maxsize=4096)
def normalise_level2(name: str | None) -> Normalised:
    """Normalise a 二级指标 name ("社会效益" → 社会效益指标, "进度指标" → 时效指标).

    Returns:
        Normalised(canonical, changed); canonical is None when not a 二级 name of either framework.
    """
    s, changed = _clean(name)
    if not s:
        return Normalised(None, False)
    if s in _ALL_LEVEL2:
        return Normalised(s, changed)
    hit = LEVEL2_SYNONYMS.get(s)
    if hit is None and not s.endswith("指标") and s + "指标" in _ALL_LEVEL2:
        hit = s + "指标"
    if hit is not None:
        return Normalised(hit, True)
    return Normalised(None, False)


@lru_cache(maxsize=4096)
def normalise_level3(name: str | None) -> Normalised:
    """Normalise a 三级指标 name: drop a "指标1:" prefix and whitespace; synonyms are not mapped.

    Returns:
        Normalised(cleaned name, or None when blank; changed only when a "指标1:" prefix was dropped —
        spaces inside a 三级 name are layout, not a naming defect).
    """
    if name is None:
        return Normalised(None, False)
    s = str(name)
    if _WS.search(s) is None:
        if not s:
            return Normalised(None, False)
        if not s.startswith("指标"):
            return Normalised(s, False)  # nothing to squeeze and no "指标1:" prefix
    elif not s.strip():
        return Normalised(None, False)
    else:
        s = _WS.sub("", s)
    changed = False
    m = _LEVEL3_PREFIX.match(s)
    if m and m.end() < len(s):
        s = s[m.end():]
        changed = True
    return Normalised(s, changed)


def detect_framework(pairs: Iterable[tuple[str, str]]) -> str:
    """"2021" if 成本指标 is a 一级 or any of 经济/社会/生态环境成本指标 appears; otherwise "2015".

    Args:
        pairs: (一级 text, 二级 text) per indicator row, as written.
    """
    for level1, level2 in pairs:
        if _new_level1(level1) or _new_level2(level2):
            return "2021"
    return "2015"


def framework_of(level1_names: Iterable[str], level2_names: Iterable[str]) -> str:
    """``detect_framework`` given the distinct 一级 and 二级 texts of a form rather than its rows.

    Any one name decides, so a form's few distinct texts are enough.
    """
    if any(map(_new_level1, level1_names)) or any(map(_new_level2, level2_names)):
        return "2021"
    return "2015"


@lru_cache(maxsize=4096)
def _new_level1(level1: str) -> bool:
    return normalise_level1(level1).canonical == "成本指标"


@lru_cache(maxsize=4096)
def _new_level2(level2: str) -> bool:
    return normalise_level2(level2).canonical in NEW_COST_LEVEL2


def allowed_level1(framework: str) -> tuple[str, ...]:
    """The 一级 names of a framework ("2015" or "2021"), in form order."""
    return tuple(FRAMEWORKS.get(framework, FRAMEWORKS["2015"]))


@lru_cache(maxsize=4096)
def allowed_level2(level1: str, framework: str) -> tuple[str, ...]:
    """The 二级 names allowed under a 一级 (written or canonical) in a framework; () when unknown."""
    canonical = normalise_level1(level1).canonical
    if canonical is None:
        return ()
    return FRAMEWORKS.get(framework, FRAMEWORKS["2015"]).get(canonical, ())


@lru_cache(maxsize=4096)
def parent_of(level2: str, framework: str) -> str | None:
    """The 一级 a 二级 (written or canonical) belongs to in a framework; None when it has none there.

    "成本指标" has a parent (产出指标) only in "2015"; the 成本 二级 of "2021" only there.
    """
    canonical = normalise_level2(level2).canonical
    if canonical is None:
        return None
    for level1, children in FRAMEWORKS.get(framework, FRAMEWORKS["2015"]).items():
        if canonical in children:
            return level1
    return None


@lru_cache(maxsize=1 << 16)
def is_category_name(text: str | None) -> bool:
    """True when ``text`` is a 一级/二级 name or synonym (used to spot category names in the 三级 column).

    Bare satisfaction phrases ("服务对象满意度") are plausible 三级 names and return False.
    """
    s, _ = _clean(text)
    if not s or s in PLAUSIBLE_LEVEL3:
        return False
    if s is text or plain_name(s):
        return s in CATEGORY_WORDS  # what normalise_level1/2 would say of a clean name, without their caches
    return normalise_level1(s).canonical is not None or normalise_level2(s).canonical is not None


def is_evaluation_framework(level1_names: Iterable[str]) -> bool:
    """True for the 项目决策/过程/产出/效益 evaluation framework, which is not a 目标表 taxonomy."""
    return any(map(_is_evaluation_level1, level1_names))


@lru_cache(maxsize=4096)
def _is_evaluation_level1(name: str) -> bool:
    return _clean(name)[0] in _EVALUATION_LEVEL1


# Unit expectations of 三级 names (domain.md §4.3), checked on the name's ending, first match wins.
# Money before count so that "项目控制预算数" is money, not a count.
_NAME_CLASS_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("percent", ("率", "比例", "占比", "比率", "比重", "满意度", "百分比")),
    ("money", ("金额", "资金", "经费", "费用", "成本", "预算数", "决算数", "支出数", "执行数", "资金数", "投资额",
               "融资额", "资助额", "补助额", "营业额", "销售额", "收入", "金额数", "额", "费")),
    ("date", ("完成时间", "时间", "日期", "时限", "期限", "时点")),
    ("count", ("数量", "次数", "人数", "户数", "个数", "件数", "家数", "台数", "批次数", "场次", "人次", "数")),
)
# Words ending in 数 that are not counts, and in 率 that are not percentages.
_NOT_COUNT = ("指数", "系数", "分数", "倍数", "参数", "函数", "基数", "读数")
_NOT_PERCENT = ("效率", "频率", "功率", "速率", "汇率")


# ending → (position in _NAME_CLASS_RULES order, class): the first rule that matches wins.
_ENDINGS: dict[str, tuple[int, str]] = {}
for _cls, _endings in _NAME_CLASS_RULES:
    for _ending in _endings:
        _ENDINGS.setdefault(_ending, (len(_ENDINGS), _cls))
del _cls, _endings, _ending
# last character → ((class, its endings with that last character in rule order), …) in rule order:
# the first class with an ending the name ends with is the one whose ending comes first.
_ENDINGS_BY_LAST: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {}
for _ending, (_, _cls) in sorted(_ENDINGS.items(), key=lambda item: item[1][0]):
    _groups = _ENDINGS_BY_LAST.get(_ending[-1], ())
    if _groups and _groups[-1][0] == _cls:
        _groups = _groups[:-1] + ((_cls, _groups[-1][1] + (_ending,)),)
    else:
        _groups += ((_cls, (_ending,)),)
    _ENDINGS_BY_LAST[_ending[-1]] = _groups
del _ending, _cls, _groups
_TRAILING_BRACKETS = re.compile(r"\([^()]*\)$")


@lru_cache(maxsize=1 << 16)
def expected_unit_class(level3_name: str | None) -> str | None:
    """What kind of value a 三级 name implies: "percent", "count", "money", "date" or None.

    A unit written in the name wins ("分析报告数量（份）" → count, "预算执行率 (%)" → percent);
    otherwise the name's ending decides (率/满意度 → percent, 金额/成本 → money, 时间 → date,
    数/数量 → count).
    """
    if not level3_name:
        return None
    return implied_unit_class(level3_name, unit_in_name(level3_name))


def implied_unit_class(level3_name: str, in_name: str | None) -> str | None:
    """``expected_unit_class`` of a non-blank name whose ``unit_in_name`` is already known."""
    if in_name is not None:
        cls = unit_class(in_name)
        if cls in ("percent", "count", "money"):
            return cls
        if cls == "time":
            return "date"
    s = str(level3_name)
    if _WS.search(s) is not None:
        s = _WS.sub("", s)
    s = _fold(s)
    if s.endswith(")"):
        s = _TRAILING_BRACKETS.sub("", s)
    return ending_class(s)


def ending_class(name: str) -> str | None:
    """The unit class the ending of a name without whitespace or a bracketed tail implies.

    ``implied_unit_class`` without a unit in the name, for a name ``plain_name`` says is clean:
    its whitespace, bracket and full-width steps would change nothing there.
    """
    s = name
    last = s[-1:]
    if last in _FILLER_LAST:
        s = _TRAILING_FILLER.sub("", s)
        last = s[-1:]
    # The rule whose ending comes first among those the name ends with decides.
    for cls, endings in _ENDINGS_BY_LAST.get(last, ()):
        if s.endswith(endings):
            break
    else:
        return None
    if cls == "count" and s.endswith(_NOT_COUNT):
        return None
    if cls == "percent" and s.endswith(_NOT_PERCENT):
        return None
    if cls == "money" and s.endswith(("份额", "限额", "定额")):
        ending = next(e for e in endings if s.endswith(e))
        if ending in ("额", "费"):
            return None
    return cls


@lru_cache(maxsize=1 << 16)
def unit_in_name(level3_name: str | None) -> str | None:
    """The unit written in brackets at the end of a 三级 name, or None.

    "管理车辆数（辆）" → 辆, "预算执行率 (%)" → %, "提供知识产权公益服务（次数）" → 次,
    "食品级…飞行检查家（次）" → 家（次）.
    """
    if not level3_name:
        return None
    s = str(level3_name).rstrip()
    if not s or s[-1] not in ")）":
        return None  # the unit pattern ends the name with a bracket
    s = _fold(_WS.sub("", s))
    m = _NAME_UNIT.search(s)
    if m is None:
        return None
    content = m.group(1)
    # "检查家(次)": the bracket qualifies the classifier in front of it.
    if len(content) == 1 and m.start() > 0:
        combined = parse_unit(s[m.start() - 1:])
        if combined is not None and unit_class(combined) not in (None, "other"):
            return combined
    if content.endswith("数") and len(content) > 1:
        content = content[:-1]  # "次数" → 次, "人数" → 人
    unit = parse_unit(content)
    if unit is None or unit_class(unit) in (None, "other"):
        return None
    return unit
