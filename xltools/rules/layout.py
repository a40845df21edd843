"""Rules: layout family — shifted rows, empty rows and formula errors in indicator tables."""
from __future__ import annotations

from typing import Iterator

from ..core.findings import Finding
from ..core.form import FIELD_ZH, Form, IndicatorRow
from ..core.notation import ValueKind
from ..core.taxonomy import is_category_name
from .context import Context

CODES: tuple[str, ...] = ("misaligned-row", "empty-indicator-row", "cell-error")

_NAME_FIELDS = ("level1", "level2", "level3")
_VALUE_FIELDS = ("target", "period_target", "actual", "unit", "weight", "score")


def is_misaligned(ind: IndicatorRow) -> bool:
    """A 一级/二级 category name sitting in the 三级 column (D5): other families skip such rows."""
    return is_category_name(ind.text("level3"))


def check(form: Form, ctx: Context) -> Iterator[Finding]:
    prev: IndicatorRow | None = None
    for ind in form.indicators:
        yield from _cell_errors(ind, ctx)
        finding = _misaligned(ind, prev, ctx)
        if finding is not None:
            yield finding
        elif _is_empty(ind):
            yield _empty(ind, ctx)
        prev = ind


def _cell_errors(ind: IndicatorRow, ctx: Context) -> Iterator[Finding]:
    for name, cell in ind.cells.items():
        if cell.is_error and name not in ind.inherited:
            yield ctx.finding("cell-error", cell, value=cell.value, field=FIELD_ZH.get(name, name))


def _misaligned(ind: IndicatorRow, prev: IndicatorRow | None, ctx: Context) -> Finding | None:
    level3 = ind.get("level3")
    if level3 is not None and is_misaligned(ind):
        detail = f"三级指标列中是分类名称“{level3.text}”"
        value = ind.text("target")
        if value:
            detail += f"，却带有指标值“{value}”"
            if prev is not None and prev.text("target") == value:
                detail += "（与上一行相同，疑为合并单元格展开错位）"
        return ctx.finding("misaligned-row", level3, detail=detail + "；请把它移到一级/二级指标列或删除")
    # A value (≥85%, 100%, 每年12月底前) in a name column: the row is shifted sideways.
    for name in _NAME_FIELDS:
        cell = ind.get(name)
        if cell is None or cell.is_blank or name in ind.inherited:
            continue
        parsed = ctx.parsed(ind, name)
        if parsed.kind in (ValueKind.QUANTITY, ValueKind.DATE) and (
                parsed.direction is not None or parsed.unit is not None or isinstance(cell.value, (int, float))):
            return ctx.finding("misaligned-row", cell,
                               detail=f"{FIELD_ZH[name]}列中是指标值“{cell.text}”，该行的单元格疑似整体错位")
    return None


def _is_empty(ind: IndicatorRow) -> bool:
    has_name = bool(ind.text("level3"))
    has_value = any(ind.text(f) for f in _VALUE_FIELDS if ind.has(f) and f not in ind.inherited)
    return not has_value and (not has_name or ind.has("target"))


def _empty(ind: IndicatorRow, ctx: Context) -> Finding:
    if ind.text("level3"):
        return ctx.finding("empty-indicator-row", ind.get("level3"),
                           detail=f"三级指标“{ind.text('level3')}”没有指标值、单位或分值")
    anchor = ind.get("level2") or ind.get("level1") or next(iter(ind.cells.values()))
    cats = " / ".join(t for t in (ind.text("level1"), ind.text("level2")) if t)
    return ctx.finding("empty-indicator-row", anchor,
                       detail=f"只有分类名称（{cats or '空'}），没有三级指标和指标值")
