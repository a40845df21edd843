"""Rules: targets family — the 指标值 against its notation, unit, 指标方向 and 指标性质 (D1–D4, D12, D15, D17–D19)."""
from __future__ import annotations

import re
from typing import Iterator

from ..core.findings import Finding
from ..core.form import Cell, Form, IndicatorRow
from ..core.notation import (
    Direction, ParsedValue, ValueKind, parse_direction_word, parse_nature, parse_unit, same_unit, unit_class,
)
from ..core.taxonomy import expected_unit_class, unit_in_name
from .context import Context
from .layout import is_misaligned

CODES: tuple[str, ...] = (
    "target-missing", "target-placeholder", "target-unparseable", "unit-mismatch", "unit-column-conflict",
    "direction-conflict", "nature-conflict", "percent-out-of-range", "trivial-target", "not-normalised",
    "unit-missing", "direction-missing",
)

# The fields whose presence makes a row with an empty 指标值 a "missing target" rather than the
# layout family's empty row (kept in step with rules.layout).
_OTHER_VALUES = ("period_target", "actual", "unit", "weight", "score")

_EXPECTED_ZH = {
    "percent": "百分比（%）",
    "count": "计数单位（个、次、家、人等）",
    "money": "金额单位（元、万元、亿元）",
    "date": "日期或时限",
}
# Value unit classes that contradict what the name implies.
_CONTRADICTS = {
    "percent": frozenset({"count", "money", "time", "measure"}),
    "count": frozenset({"percent", "money"}),
    "money": frozenset({"count", "time"}),
    "date": frozenset({"percent", "money", "count", "measure"}),
}
# Rates of change may be negative or above 100%; rates of completion may not.
_CHANGE = re.compile("增长|增幅|增速|增加|提高|提升|上升|下降|降低|减少|变化|同比|环比|比上年|较上年")


def check(form: Form, ctx: Context) -> Iterator[Finding]:
    """Yield the findings on each row's 指标值 (the target column; the actual is the scores family's)."""
    for ind in form.indicators:
        if not ind.has("target") or not ind.text("level3") or is_misaligned(ind):
            continue  # no target column, or a row the layout family reports
        if "target" in ind.inherited:
            continue  # a merged 指标值 is judged on the row that owns it
        yield from _row(ind, ctx)


def _row(ind: IndicatorRow, ctx: Context) -> Iterator[Finding]:
    cell = ind.get("target")
    if cell.is_error:
        return  # the layout family reports formula errors
    pv = ctx.target(ind)
    name = ind.text("level3")
    if pv.kind is ValueKind.EMPTY:
        if any(ind.text(f) for f in _OTHER_VALUES if ind.has(f) and f not in ind.inherited):
            yield ctx.finding("target-missing", cell, name=name)
        yield from _direction(ind, pv, cell, ctx)
        return
    if pv.kind is ValueKind.PLACEHOLDER:
        yield ctx.finding("target-placeholder", cell, name=name, value=cell.text)
        return
    if pv.kind is ValueKind.UNKNOWN:
        detail = f"（{pv.problem}）" if pv.problem else "，请按“≥95%”“不少于10次”“每年12月底前”等格式填写"
        yield ctx.finding("target-unparseable", cell, value=cell.text, detail=detail)
        yield from _direction(ind, pv, cell, ctx)
        return
    yield from _direction(ind, pv, cell, ctx)
    yield from _nature(ind, pv, cell, ctx)
    if pv.kind is ValueKind.QUANTITY:
        yield from _units(ind, pv, cell, ctx)
        yield from _range(ind, pv, cell, ctx)
        yield from _missing_direction(ind, pv, ctx)
    else:
        yield from _unit_on_text(ind, pv, ctx)
    if pv.notes:
        yield ctx.finding("not-normalised", cell, expected=pv.text, value=cell.text,
                          detail="（" + "；".join(pv.notes) + "）")


def _direction_source(ind: IndicatorRow) -> Cell | None:
    """The 指标方向 cell, or a Sichuan 指标性质 cell holding ≥ ≤ = when there is no 指标方向 column."""
    cell = ind.get("direction")
    if cell is not None and not cell.is_blank:
        return None if "direction" in ind.inherited else cell
    nature = ind.get("nature")
    if nature is not None and "nature" not in ind.inherited and parse_direction_word(nature.text)[0] is not None:
        return nature
    return None


def _conflicts(column: Direction, value: Direction) -> bool:
    if column is Direction.EQ:
        return value is not Direction.EQ
    if value is Direction.EQ:
        return False
    return column.sense != value.sense


def _direction(ind: IndicatorRow, pv: ParsedValue, cell: Cell, ctx: Context) -> Iterator[Finding]:
    source = _direction_source(ind)
    if source is None:
        return
    column, malformed = parse_direction_word(source.text)
    if malformed:
        if pv.direction is not None:
            expected = pv.direction.label_zh
            detail = f"写法有误，按指标值“{cell.text}”应为“{expected}”"
        else:
            expected = column.label_zh if column is not None else None
            detail = ("写法有误，应为“大于”“小于”“等于”“大于或等于”“小于或等于”之一"
                      if expected is None else f"写法有误，应为“{expected}”")
        yield ctx.finding("direction-conflict", source, expected=expected, column=source.text, detail=detail)
        return
    if column is None or pv.kind is not ValueKind.QUANTITY or pv.direction is None:
        return
    if _conflicts(column, pv.direction):
        expected = pv.direction.label_zh
        detail = (f"与指标值“{cell.text}”矛盾：指标值表示“{expected}”，"
                  f"请统一指标方向与指标值中的运算符")
        yield ctx.finding("direction-conflict", source, expected=expected, column=source.text, detail=detail)


def _nature(ind: IndicatorRow, pv: ParsedValue, cell: Cell, ctx: Context) -> Iterator[Finding]:
    ncell = ind.get("nature")
    if ncell is None or ncell.is_blank or "nature" in ind.inherited:
        return
    nature = parse_nature(ncell.text)
    if nature == "qualitative" and pv.kind is ValueKind.QUANTITY:
        yield ctx.finding("nature-conflict", ncell, expected="定量", nature=ncell.text, value=cell.text,
                          actual="数值，应为定量指标")
    elif nature == "quantitative" and pv.kind in (ValueKind.QUALITATIVE, ValueKind.DATE):
        actual = "日期或时限" if pv.kind is ValueKind.DATE else "文字"
        yield ctx.finding("nature-conflict", ncell, expected="定性", nature=ncell.text, value=cell.text,
                          actual=f"{actual}而非数值，应为定性指标或改写为数值")


def _units(ind: IndicatorRow, pv: ParsedValue, cell: Cell, ctx: Context) -> Iterator[Finding]:
    name = ind.text("level3")
    in_name = unit_in_name(name)
    implied = expected_unit_class(name)
    ucell = ind.get("unit")
    column = None
    if ucell is not None and not ucell.is_blank and "unit" not in ind.inherited:
        column = parse_unit(ucell.text)
    value_unit = pv.unit
    if value_unit is None and column is None and in_name is None:
        yield from _missing_unit(ind, pv, cell, implied, ctx)
        return
    if value_unit is not None:
        vclass = unit_class(value_unit)
        mismatch = False
        if in_name is not None and not same_unit(in_name, value_unit):
            if unit_class(in_name) == vclass:  # 元 vs 亿元: same kind, different scale
                yield ctx.finding("unit-column-conflict", cell, expected=value_unit, source="指标名称中的单位",
                                  column=in_name, where="指标值", unit=value_unit)
            else:
                mismatch = True
                yield ctx.finding("unit-mismatch", cell, expected=f"名称中注明的“{in_name}”", name=name,
                                  unit=value_unit)
        elif in_name is None and implied is not None and vclass in _CONTRADICTS[implied]:
            mismatch = True
            yield ctx.finding("unit-mismatch", cell, expected=_EXPECTED_ZH[implied], name=name, unit=value_unit)
        if column is not None and not mismatch and not same_unit(column, value_unit):
            yield ctx.finding("unit-column-conflict", ucell, expected=value_unit, source="计量单位",
                              column=ucell.text, where="指标值", unit=value_unit)
        return
    if column is None:
        return
    # The value carries no unit ("11", "≥2"): the column must agree with the name.
    if in_name is not None and not same_unit(in_name, column):
        yield ctx.finding("unit-column-conflict", ucell, expected=in_name, source="计量单位", column=ucell.text,
                          where="指标名称", unit=in_name)
    elif in_name is None and implied is not None and unit_class(column) in _CONTRADICTS[implied]:
        yield ctx.finding("unit-mismatch", ucell, expected=_EXPECTED_ZH[implied], name=name, unit=ucell.text)


def _missing_unit(ind: IndicatorRow, pv: ParsedValue, cell: Cell, implied: str | None,
                  ctx: Context) -> Iterator[Finding]:
    """D12: "≥2" with no unit anywhere. Typed numbers only: a numeric cell may carry its unit in the number format."""
    if not isinstance(cell.value, str) or pv.number == 0:
        return  # "0" (no accidents) needs no unit
    ucell = ind.get("unit")
    anchor = ucell if ucell is not None and "unit" not in ind.inherited else cell
    detail = f"（按指标名称应为{_EXPECTED_ZH[implied]}）" if implied in ("percent", "money", "count") else ""
    yield ctx.finding("unit-missing", anchor, expected=_EXPECTED_ZH.get(implied), name=ind.text("level3"),
                      value=cell.text, detail=detail)


def _missing_direction(ind: IndicatorRow, pv: ParsedValue, ctx: Context) -> Iterator[Finding]:
    """D12: the form has a 指标方向 column, but a quantitative row leaves it blank."""
    dcell = ind.get("direction")
    if dcell is None or not dcell.is_blank or "direction" in ind.inherited:
        return
    if parse_nature(ind.text("nature")) == "qualitative":
        return
    if pv.direction is not None:
        expected = pv.direction.label_zh
        detail = f"（按指标值“{ind.text('target')}”应为“{expected}”）"
    else:
        expected = None
        detail = "（定量指标应填写大于、小于、等于、大于或等于或小于或等于）"
    yield ctx.finding("direction-missing", dcell, expected=expected, name=ind.text("level3"), detail=detail)


def _unit_on_text(ind: IndicatorRow, pv: ParsedValue, ctx: Context) -> Iterator[Finding]:
    """A 计量单位 such as "%" beside a text value ("应保尽保", 岳阳楼区): the unit has nothing to measure."""
    ucell = ind.get("unit")
    if ucell is None or ucell.is_blank or "unit" in ind.inherited:
        return
    column = parse_unit(ucell.text)
    if column is not None and unit_class(column) not in (None, "other"):
        kind = "日期或时限" if pv.kind is ValueKind.DATE else "文字"
        yield ctx.finding("unit-column-conflict", ucell, source="计量单位", column=ucell.text, where="指标值",
                          unit=f"无（{kind}）")


def _range(ind: IndicatorRow, pv: ParsedValue, cell: Cell, ctx: Context) -> Iterator[Finding]:
    """percent-out-of-range and trivial-target on a quantity."""
    number = pv.number
    if number is None:
        return
    name = ind.text("level3")
    change = _CHANGE.search(name) is not None
    percent = pv.is_percent and pv.unit == "%"
    d = pv.direction
    if percent and not change:
        high = pv.upper if pv.upper is not None else number
        if high > 100 or number < 0:
            yield ctx.finding("percent-out-of-range", cell, expected="0%–100%", value=cell.text)
            return
    if d is Direction.GE and number == 0 and not (change and percent):
        yield ctx.finding("trivial-target", cell, value=cell.text,
                          detail="的下限为0，任何结果都能达到，指标没有约束力；请设置有意义的目标值")
    elif d is Direction.LT and number <= 0 and not change:
        yield ctx.finding("trivial-target", cell, value=cell.text, detail="要求小于0，无法达到")
    elif percent and not change and number == 100 and d is Direction.GE:
        yield ctx.finding("trivial-target", cell, expected="100%", value=cell.text,
                          detail="：比率最高为100%，“≥100%”只能以恰好100%达到，建议直接写“100%”")
    elif percent and not change and number == 100 and d is Direction.GT:
        yield ctx.finding("trivial-target", cell, value=cell.text, detail="要求比率超过100%，无法达到")
    elif percent and not change and number == 100 and d is Direction.LE:
        yield ctx.finding("trivial-target", cell, value=cell.text,
                          detail="的上限为100%，任何比率都能达到，指标没有约束力")
    elif number == 0 and d in (None, Direction.EQ):
        source = _direction_source(ind)
        column = parse_direction_word(source.text)[0] if source is not None else None
        if column is not None and column.sense == "positive":
            yield ctx.finding("trivial-target", cell, value=cell.text,
                              detail=f"为0，而指标方向为“{source.text}”（正向），目标为0没有约束力")
