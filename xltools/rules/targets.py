"""Rules: targets family — the 指标值 against its notation, unit, 指标方向 and 指标性质 (D1–D4, D12, D15, D17–D19)."""
from __future__ import annotations

from ..core.codes import REGISTRY, make, message_parts
from ..core.codes import finding as make_finding
from ..core.findings import Finding, Severity
from ..core.form import _UNSET, Cell, CellError, Form, IndicatorRow, col_letter
from ..core.notation import (
    Direction, ParsedValue, ValueKind, parse_direction_word, parse_nature, parse_unit, same_unit, unit_class,
)
from .context import Context
from .layout import has_own_value, misaligned_field
from .names import NameFacts

CODES: tuple[str, ...] = (
    "target-missing", "target-placeholder", "target-unparseable", "unit-mismatch", "unit-column-conflict",
    "direction-conflict", "nature-conflict", "percent-out-of-range", "trivial-target", "not-normalised",
    "unit-missing", "direction-missing",
)

# The fields whose presence makes a row with an empty 指标值 a "missing target" rather than the
# layout family's empty row (layout.has_own_value reads them; layout._VALUE_FIELDS adds the target).
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


# Enum members read through their class cost about 0.1 µs each on CPython 3.11 (the metaclass's
# attribute lookup); _row and _range run once per row, and XLT_CHECKROW once per formula cell.
_EMPTY, _PLACEHOLDER, _UNKNOWN, _QUANTITY = ValueKind.EMPTY, ValueKind.PLACEHOLDER, ValueKind.UNKNOWN, ValueKind.QUANTITY
_GE, _GT, _LE, _LT, _EQ = Direction.GE, Direction.GT, Direction.LE, Direction.LT, Direction.EQ

_UNIT_CODES = ("unit-mismatch", "unit-column-conflict", "unit-missing")
_RANGE_CODES = ("percent-out-of-range", "trivial-target")


def check(form: Form, ctx: Context) -> list[Finding]:
    """The findings on each row's 指标值 (the target column; the actual is the scores family's).

    What a row's findings are depends only on a few texts (the value, the 指标方向, 指标性质 and
    计量单位 cells, what the 三级 name implies about units) and those repeat down a form and
    across forms, so each distinct combination is judged once: later rows replay its verdict at
    their own cells, with their own name in the message.
    """
    out: list[Finding] = []
    append = out.append
    wanted = ctx.wanted
    facts_of = ctx.name_facts
    # The facts ctx.name_facts has already stored (the layout and taxonomy families, which run
    # first, look every name up): a hit is what it would return, for a dict look-up instead of a
    # Python call per row. A name not looked up yet, or a Context that keeps its facts elsewhere (row.py's),
    # goes through ctx.name_facts.
    known_facts = ctx.known_facts.get
    sheet = ctx.form.sheet
    letters: dict[int, str] = {}  # column → its letters, for the findings' addresses
    verdicts = _VERDICTS
    if len(verdicts) >= _MAX_VERDICTS:
        verdicts.clear()
    for ind in form.indicators:
        cells = ind.cells
        cell = cells.get("target")
        if cell is None:
            continue  # no target column
        c3 = cells.get("level3")
        if c3 is None:
            continue
        name = c3.text
        if not name:
            continue
        misaligned = ind._misaligned
        if misaligned is _UNSET:
            misaligned = misaligned_field(ind, facts_of)
        if misaligned is not None:
            continue  # a row the layout family reports
        inherited = ind.inherited
        if inherited and "target" in inherited:
            continue  # a merged 指标值 is judged on the row that owns it
        value = cell.value
        d, n, u = cells.get("direction"), cells.get("nature"), cells.get("unit")
        facts = known_facts(name) or facts_of(name)
        # One flat tuple (``d and d.text``: a Cell is always true). The whole inherited set stands
        # for the three "carried down" flags the checks read: it is usually the shared empty set,
        # or one of a few per form.
        key = (value, type(value), facts.in_name, facts.implied, facts.change, d and d.text, n and n.text, u and u.text,
               inherited, wanted, not cell.text and _has_other_value(ind))
        try:
            verdict = verdicts.get(key)
        except TypeError:  # an unhashable value: judge the row on its own
            key, verdict = None, None
        if verdict is None:
            raw: _Raw = []
            _row(ind, cell, ctx.target(ind), name, facts, ctx, raw)
            verdict = None if key is None else _verdict(raw, cells)
            if verdict is None:  # nothing to replay: the row's own findings
                out.extend(ctx.finding(code, anchor, **kw) for code, anchor, kw in raw)
                continue
            verdicts[key] = verdict
        # Each finding as ctx.finding makes it: at the anchor cell's row and A1 address on this sheet.
        for where, code, severity, parts, expected in verdict:
            anchor = cells[where]
            col, row = anchor.col, anchor.row
            at = letters.get(col) or letters.setdefault(col, col_letter(col))
            append(make_finding(code, severity, sheet, f"{at}{row}", row, name.join(parts), expected))
    return out


_Raw = list[tuple[str, Cell, dict]]
# A verdict: the findings of one kind of row, each as (field pointed at, code, severity, the
# message cut where the row's 三级 name goes, expected), ready to be made at any row's cells.
_Verdict = tuple[tuple[str, str, Severity, tuple[str, ...], str | None], ...]
# Row signature (with the codes asked for) → its verdict.
# Shared by all forms: the same few value/column combinations recur across a folder of forms.
_VERDICTS: dict[tuple, _Verdict] = {}
_MAX_VERDICTS = 1 << 16


def _verdict(raw: _Raw, cells: dict[str, Cell]) -> _Verdict | None:
    """The row's findings ``raw`` as a verdict other rows can replay, or None when they cannot.

    That is when one Cell stands for two fields (a finding's field is then ambiguous) or a
    message template spells a field in a way ``message_parts`` does not cut.
    """
    field_of = {id(c): f for f, c in cells.items()}
    if len(field_of) < len(cells):
        return None
    verdict = []
    for code, anchor, kw in raw:
        if "name" in kw:
            kw = {k: v for k, v in kw.items() if k != "name"}
            parts = message_parts(code, "name", **kw)
            if parts is None:
                return None
        else:
            parts = (make(code, sheet="", cell="", row=0, **kw).message,)
        expected = kw.get("expected")
        verdict.append((field_of[id(anchor)], code, REGISTRY[code].severity, parts,
                        None if expected is None else str(expected)))
    return tuple(verdict)


def _raw(code: str, anchor: Cell, **kw) -> tuple[str, Cell, dict]:
    """A finding not yet rendered: its code, the cell it points at, the message fields."""
    return code, anchor, kw


def _row(ind: IndicatorRow, cell: Cell, pv: ParsedValue, name: str, facts: NameFacts, ctx: Context,
         out: _Raw) -> None:
    """The findings on one row's 指标值 ``cell``, parsed as ``pv``, under the 三级 ``name`` whose facts are ``facts``."""
    if isinstance(cell.value, CellError):
        return  # the layout family reports formula errors
    wanted = ctx.wanted
    kind = pv.kind
    if kind is _EMPTY:
        if "target-missing" in wanted and _has_other_value(ind):
            out.append(_raw("target-missing", cell, name=name))
        _direction(ind, pv, cell, ctx, out)
        return
    if kind is _PLACEHOLDER:
        if "target-placeholder" in wanted:
            out.append(_raw("target-placeholder", cell, name=name, value=cell.text))
        return
    if kind is _UNKNOWN:
        if "target-unparseable" in wanted:
            detail = f"（{pv.problem}）" if pv.problem else "，请按“≥95%”“不少于10次”“每年12月底前”等格式填写"
            out.append(_raw("target-unparseable", cell, value=cell.text, detail=detail))
        _direction(ind, pv, cell, ctx, out)
        return
    # The checks of the 指标方向 and 指标性质 columns, only where the form has them: most forms lack
    # one or both, and XLT_CHECKROW pays for each call it makes.
    cells = ind.cells
    has_direction, has_nature = "direction" in cells, "nature" in cells
    if has_direction or has_nature:
        _direction(ind, pv, cell, ctx, out)
    if has_nature and "nature-conflict" in wanted:
        _nature(ind, pv, cell, ctx, out)
    if kind is _QUANTITY:
        if not wanted.isdisjoint(_UNIT_CODES):
            _units(ind, pv, cell, name, facts, ctx, out)
        if not wanted.isdisjoint(_RANGE_CODES):
            _range(ind, pv, cell, facts, ctx, out)
        if has_direction and "direction-missing" in wanted:
            _missing_direction(ind, pv, ctx, out)
    elif "unit-column-conflict" in wanted:
        _unit_on_text(ind, pv, ctx, out)
    if pv.notes and "not-normalised" in wanted:
        out.append(_raw("not-normalised", cell, expected=pv.text, value=cell.text,
                               detail="（" + "；".join(pv.notes) + "）"))


def _has_other_value(ind: IndicatorRow) -> bool:
    return has_own_value(ind, _OTHER_VALUES)


def _direction_source(ind: IndicatorRow) -> Cell | None:
    """The 指标方向 cell, or a Sichuan 指标性质 cell holding ≥ ≤ = when there is no 指标方向 column."""
    cells = ind.cells
    cell = cells.get("direction")
    if cell is not None and cell.text:
        return None if "direction" in ind.inherited else cell
    nature = cells.get("nature")
    if nature is not None and "nature" not in ind.inherited and parse_direction_word(nature.text)[0] is not None:
        return nature
    return None


def _conflicts(column: Direction, value: Direction) -> bool:
    if column is Direction.EQ:
        return value is not Direction.EQ
    if value is Direction.EQ:
        return False
    return column.sense != value.sense


def _direction(ind: IndicatorRow, pv: ParsedValue, cell: Cell, ctx: Context, out: _Raw) -> None:
    if "direction-conflict" not in ctx.wanted:
        return
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
        out.append(_raw("direction-conflict", source, expected=expected, column=source.text, detail=detail))
        return
    if column is None or pv.kind is not ValueKind.QUANTITY or pv.direction is None:
        return
    if _conflicts(column, pv.direction):
        expected = pv.direction.label_zh
        detail = (f"与指标值“{cell.text}”矛盾：指标值表示“{expected}”，"
                  f"请统一指标方向与指标值中的运算符")
        out.append(_raw("direction-conflict", source, expected=expected, column=source.text, detail=detail))


def _nature(ind: IndicatorRow, pv: ParsedValue, cell: Cell, ctx: Context, out: _Raw) -> None:
    ncell = ind.cells.get("nature")
    if ncell is None or not ncell.text or "nature" in ind.inherited:
        return
    nature = parse_nature(ncell.text)
    if nature == "qualitative" and pv.kind is ValueKind.QUANTITY:
        out.append(_raw("nature-conflict", ncell, expected="定量", nature=ncell.text, value=cell.text,
                               actual="数值，应为定量指标"))
    elif nature == "quantitative" and pv.kind in (ValueKind.QUALITATIVE, ValueKind.DATE):
        actual = "日期或时限" if pv.kind is ValueKind.DATE else "文字"
        out.append(_raw("nature-conflict", ncell, expected="定性", nature=ncell.text, value=cell.text,
                               actual=f"{actual}而非数值，应为定性指标或改写为数值"))


def _units(ind: IndicatorRow, pv: ParsedValue, cell: Cell, name: str, facts: NameFacts, ctx: Context,
           out: _Raw) -> None:
    in_name, implied = facts.in_name, facts.implied
    ucell = ind.cells.get("unit")
    column = None
    if ucell is not None and ucell.text and "unit" not in ind.inherited:
        column = parse_unit(ucell.text)
    value_unit = pv.unit
    if value_unit is None and column is None and in_name is None:
        if "unit-missing" in ctx.wanted:
            _missing_unit(ind, pv, cell, implied, name, ctx, out)
        return
    if value_unit is not None:
        mismatch = False
        if in_name is not None and not same_unit(in_name, value_unit):
            if unit_class(in_name) == unit_class(value_unit):  # 元 vs 亿元: same kind, different scale
                out.append(_raw("unit-column-conflict", cell, expected=value_unit, source="指标名称中的单位",
                                       column=in_name, where="指标值", unit=value_unit))
            else:
                mismatch = True
                out.append(_raw("unit-mismatch", cell, expected=f"名称中注明的“{in_name}”", name=name,
                                       unit=value_unit))
        elif in_name is None and implied is not None and unit_class(value_unit) in _CONTRADICTS[implied]:
            mismatch = True
            out.append(_raw("unit-mismatch", cell, expected=_EXPECTED_ZH[implied], name=name, unit=value_unit))
        # (equal texts are the same unit: the common case skips two unit_key look-ups)
        if column is not None and not mismatch and column != value_unit and not same_unit(column, value_unit):
            out.append(_raw("unit-column-conflict", ucell, expected=value_unit, source="计量单位",
                                   column=ucell.text, where="指标值", unit=value_unit))
        return
    if column is None:
        return
    # The value carries no unit ("11", "≥2"): the column must agree with the name.
    if in_name is not None and not same_unit(in_name, column):
        out.append(_raw("unit-column-conflict", ucell, expected=in_name, source="计量单位", column=ucell.text,
                               where="指标名称", unit=in_name))
    elif in_name is None and implied is not None and unit_class(column) in _CONTRADICTS[implied]:
        out.append(_raw("unit-mismatch", ucell, expected=_EXPECTED_ZH[implied], name=name, unit=ucell.text))


def _missing_unit(ind: IndicatorRow, pv: ParsedValue, cell: Cell, implied: str | None, name: str,
                  ctx: Context, out: _Raw) -> None:
    """D12: "≥2" with no unit anywhere. Typed numbers only: a numeric cell may carry its unit in the number format."""
    if not isinstance(cell.value, str) or pv.number == 0:
        return  # "0" (no accidents) needs no unit
    ucell = ind.cells.get("unit")
    anchor = ucell if ucell is not None and "unit" not in ind.inherited else cell
    detail = f"（按指标名称应为{_EXPECTED_ZH[implied]}）" if implied in ("percent", "money", "count") else ""
    out.append(_raw("unit-missing", anchor, expected=_EXPECTED_ZH.get(implied), name=name,
                           value=cell.text, detail=detail))


def _missing_direction(ind: IndicatorRow, pv: ParsedValue, ctx: Context, out: _Raw) -> None:
    """D12: the form has a 指标方向 column, but a quantitative row leaves it blank."""
    dcell = ind.cells.get("direction")
    if dcell is None or dcell.text or "direction" in ind.inherited:
        return
    if parse_nature(ind.text("nature")) == "qualitative":
        return
    if pv.direction is not None:
        expected = pv.direction.label_zh
        detail = f"（按指标值“{ind.text('target')}”应为“{expected}”）"
    else:
        expected = None
        detail = "（定量指标应填写大于、小于、等于、大于或等于或小于或等于）"
    out.append(_raw("direction-missing", dcell, expected=expected, name=ind.text("level3"), detail=detail))


def _unit_on_text(ind: IndicatorRow, pv: ParsedValue, ctx: Context, out: _Raw) -> None:
    """A 计量单位 such as "%" beside a text value ("应保尽保", 岳阳楼区): the unit has nothing to measure."""
    ucell = ind.cells.get("unit")
    if ucell is None or not ucell.text or "unit" in ind.inherited:
        return
    column = parse_unit(ucell.text)
    if column is not None and unit_class(column) not in (None, "other"):
        kind = "日期或时限" if pv.kind is ValueKind.DATE else "文字"
        out.append(_raw("unit-column-conflict", ucell, source="计量单位", column=ucell.text, where="指标值",
                               unit=f"无（{kind}）"))


def _range(ind: IndicatorRow, pv: ParsedValue, cell: Cell, facts: NameFacts, ctx: Context, out: _Raw) -> None:
    """percent-out-of-range and trivial-target on a quantity."""
    number = pv.number
    if number is None:
        return
    change = facts.change
    percent = pv.unit == "%" and pv.is_percent
    d = pv.direction
    if percent and not change:
        high = pv.upper if pv.upper is not None else number
        if high > 100 or number < 0:
            out.append(_raw("percent-out-of-range", cell, expected="0%–100%", value=cell.text))
            return
    if d is _GE and number == 0 and not (change and percent):
        out.append(_raw("trivial-target", cell, value=cell.text,
                               detail="的下限为0，任何结果都能达到，指标没有约束力；请设置有意义的目标值"))
    elif d is _LT and number <= 0 and not change:
        out.append(_raw("trivial-target", cell, value=cell.text, detail="要求小于0，无法达到"))
    elif percent and not change and number == 100 and d is _GE:
        out.append(_raw("trivial-target", cell, expected="100%", value=cell.text,
                               detail="：比率最高为100%，“≥100%”只能以恰好100%达到，建议直接写“100%”"))
    elif percent and not change and number == 100 and d is _GT:
        out.append(_raw("trivial-target", cell, value=cell.text, detail="要求比率超过100%，无法达到"))
    elif percent and not change and number == 100 and d is _LE:
        out.append(_raw("trivial-target", cell, value=cell.text,
                               detail="的上限为100%，任何比率都能达到，指标没有约束力"))
    elif number == 0 and d in (None, _EQ):
        source = _direction_source(ind)
        column = parse_direction_word(source.text)[0] if source is not None else None
        if column is not None and column.sense == "positive":
            out.append(_raw("trivial-target", cell, value=cell.text,
                                   detail=f"为0，而指标方向为“{source.text}”（正向），目标为0没有约束力"))
