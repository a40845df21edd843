"""Facts about a 三级 name that several rule families need, worked out once per distinct name.

A form's 三级 names are nearly all different, so per-function caches keyed by the name miss on
every row, each at the cost of its own lookup and insertion. One ``name_facts`` entry per name
holds what layout, taxonomy, targets and scores ask of it.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from ..core.taxonomy import (
    CATEGORY_WORDS, PLAUSIBLE_LEVEL3, Normalised, ending_class, implied_unit_class, is_category_name, normalise_level3,
    plain_name, unit_in_name,
)

# A whole cell that is a value, not a name: "≥85%", "100%", "17辆", "不少于2000家次", "每年12月底前".
VALUE_ONLY = re.compile(
    r"^(?:[≥≤><=＞＜≧≦＝]=?|不少于|不低于|不超过|不高于|至少|大于|小于|等于|达到)?\s*\d[\d,，.]*\s*"
    r"(?:%|％|百分比|[\u4e00-\u9fff]{1,3}(?:/[\u4e00-\u9fff]{1,4})?)?\s*(?:以上|以下|以内|或以上|或以下)?"
    r"(?:[（(][^）)]{0,12}[）)])?[。.]?$"
    r"|^每年\d{1,2}月(?:底)?(?:前|之前)?$|^\d{4}年\d{1,2}月(?:\d{1,2}日)?(?:前|之前)?$")
# What VALUE_ONLY's match can start with besides a digit or whitespace: an operator, or 每年.
# Names rarely start so, and this test costs a fifth of running the regex.
_VALUE_HEADS = frozenset("≥≤><=＞＜≧≦＝不至大小等达每")
# Rates of change may be negative or above 100%; rates of completion may not.
CHANGE = re.compile("增长|增幅|增速|增加|提高|提升|上升|下降|降低|减少|变化|同比|环比|比上年|较上年")
_NAME_UNIT_TAIL = re.compile(r"\s*[(（][^()（）]*[)）]\s*$")
_tuple_new = tuple.__new__
# Texts remembered per memo: names are mostly distinct, so a sheet of 100,000 rows brings as many.
CACHE_SIZE = 1 << 16


class NameFacts(NamedTuple):
    """What the rule families ask of one 三级 name.

    Attributes:
        category: a 一级/二级 category name (``is_category_name``): the row is shifted (D5).
        value_like: the text reads as a 指标值 (``is_value_text``).
        level3: ``normalise_level3`` of the name.
        bare: the name without the unit it carries in brackets ("预算执行率" for "预算执行率 (%)"),
            "" when it carries none (D18).
        in_name: ``unit_in_name``: the unit written in the name, or None.
        implied: ``expected_unit_class``: the unit class the name implies, or None.
        change: the name speaks of a change (增长率, 同比下降), so its rate may leave 0–100%.
    """

    category: bool
    value_like: bool
    level3: Normalised
    bare: str
    in_name: str | None
    implied: str | None
    change: bool


@lru_cache(maxsize=CACHE_SIZE)
def is_value_text(text: str) -> bool:
    """Whether a whole cell reads as a 指标值 (so it is out of place in a name column)."""
    return _reads_as_value(text)


def _reads_as_value(text: str) -> bool:
    """``is_value_text`` without the cache; the regex runs only on a text that can start a value."""
    if not text or len(text) > 24:
        return False
    head = text[0]
    if head not in _VALUE_HEADS and not head.isdecimal() and not head.isspace():
        return False
    return VALUE_ONLY.match(text) is not None


@lru_cache(maxsize=CACHE_SIZE)
def name_facts(text: str) -> NameFacts:
    """The NameFacts of a 三级 name (the cell's stripped text)."""
    if text and plain_name(text):
        # Nothing for _clean to strip and no bracket to hold a unit: what is_category_name,
        # normalise_level3, unit_in_name and implied_unit_class would say, directly.
        in_name = None
        bare = ""
        category = text in CATEGORY_WORDS and text not in PLAUSIBLE_LEVEL3
        level3 = _tuple_new(Normalised, (text, False))
        implied = ending_class(text)
    else:
        # The uncached originals: their own caches would only take one more miss per name.
        in_name = unit_in_name.__wrapped__(text)
        bare = "" if in_name is None else _without_unit(text, in_name)
        category = is_category_name.__wrapped__(text)
        level3 = normalise_level3.__wrapped__(text)
        implied = implied_unit_class(text, in_name) if text else None
    # tuple.__new__ rather than NameFacts(...): the same tuple, without a Python-level __new__.
    return _tuple_new(NameFacts, (
        category,
        _reads_as_value(text),  # value_like
        level3,
        bare,
        in_name,
        implied,
        CHANGE.search(text) is not None,  # change
    ))


def _without_unit(text: str, unit: str) -> str:
    """D18: "预算执行率 (%)" without the unit in brackets."""
    bare = _NAME_UNIT_TAIL.sub("", text).rstrip()
    if "（" in unit:  # "…检查家（次）": the classifier in front of the bracket is part of the unit
        bare = bare[:-1]
    return bare
