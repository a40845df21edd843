"""Rules: layout family — shifted rows, empty rows and formula errors in indicator tables."""
from __future__ import annotations

from typing import Callable

from ..core.findings import Finding
from ..core.form import _UNSET, FIELD_ZH, CellError, Form, IndicatorRow
from .context import Context
from .names import NameFacts, is_value_text, name_facts

# table-not-found and no-form-found are emitted by the engine, which sees whole sheets and books.
CODES: tuple[str, ...] = ("misaligned-row", "empty-indicator-row", "cell-error", "table-not-found", "no-form-found")

_NUMBERS = (int, float)
_VALUE_FIELDS = ("target", "period_target", "actual", "unit", "weight", "score")


def misaligned_field(ind: IndicatorRow, facts_of: Callable[[str], NameFacts] = name_facts) -> str | None:
    """The name column that shows the row is shifted (D5), or None.

    Either a 一级/二级 category name sits in the 三级 column, or a value sits in a name column.
    Every family asks, so the answer is cached on the row. ``facts_of`` looks up a name's
    NameFacts (a check passes ``Context.name_facts``).
    """
    hit = ind._misaligned
    if hit is not _UNSET:
        return hit
    cells = ind.cells
    inherited = ind.inherited
    c3 = cells.get("level3")
    facts = None if c3 is None else facts_of(c3.text)
    # The three name columns in order, unrolled: every family asks this of every row.
    if facts is not None and facts.category:
        hit = "level3"
    elif (c1 := cells.get("level1")) is not None and "level1" not in inherited and (
            type(c1.value) in _NUMBERS or is_value_text(c1.text)):
        hit = "level1"
    elif (c2 := cells.get("level2")) is not None and "level2" not in inherited and (
            type(c2.value) in _NUMBERS or is_value_text(c2.text)):
        hit = "level2"
    elif c3 is not None and "level3" not in inherited and (type(c3.value) in _NUMBERS or facts.value_like):
        hit = "level3"
    else:
        hit = None
    ind._misaligned = hit
    return hit


def is_misaligned(ind: IndicatorRow, facts_of: Callable[[str], NameFacts] = name_facts) -> bool:
    """Whether a row is shifted (D5): the layout family reports it once, other families skip it."""
    hit = ind._misaligned
    if hit is _UNSET:
        hit = misaligned_field(ind, facts_of)
    return hit is not None


def check(form: Form, ctx: Context) -> list[Finding]:
    """The layout findings of one form: formula errors, shifted rows, empty rows."""
    out: list[Finding] = []
    wanted = ctx.wanted
    errors = "cell-error" in wanted
    shifted = "misaligned-row" in wanted
    empty = "empty-indicator-row" in wanted
    if not (errors or shifted or empty):
        return out
    errors = errors and form.may_hold_errors  # the reader saw no formula error: nothing to look for
    prev = ctx.row_before  # the row above the first, when the form is checked in parts
    facts_of = ctx.name_facts
    for ind in form.indicators:
        if errors:
            _cell_errors(ind, ctx, out)
        if misaligned_field(ind, facts_of) is not None:
            if shifted:
                out.append(_misaligned(ind, prev, ctx))
        elif empty and _is_empty(ind):
            out.append(_empty(ind, ctx))
        prev = ind
    return out


def _cell_errors(ind: IndicatorRow, ctx: Context, out: list[Finding]) -> None:
    inherited = ind.inherited
    for name, cell in ind.cells.items():
        if isinstance(cell.value, CellError) and name not in inherited:
            out.append(ctx.finding("cell-error", cell, value=cell.value, field=FIELD_ZH.get(name, name)))


def _misaligned(ind: IndicatorRow, prev: IndicatorRow | None, ctx: Context) -> Finding:
    where = misaligned_field(ind)
    cell = ind.get(where)
    if where == "level3" and ctx.name_facts(cell.text).category:
        detail = f"三级指标列中是分类名称“{cell.text}”"
        value = ind.text("target")
        if value:
            detail += f"，却带有指标值“{value}”"
            if prev is not None and prev.text("target") == value:
                detail += "（与上一行相同，疑为合并单元格展开错位）"
        return ctx.finding("misaligned-row", cell, detail=detail + "；请把它移到一级/二级指标列或删除")
    return ctx.finding("misaligned-row", cell,
                       detail=f"{FIELD_ZH[where]}列中是指标值“{cell.text}”，该行的单元格疑似整体错位")


def has_own_value(ind: IndicatorRow, fields: tuple[str, ...]) -> bool:
    """Whether one of ``fields`` holds a value of the row's own (not carried down from a merge)."""
    cells = ind.cells
    inherited = ind.inherited
    for name in fields:
        cell = cells.get(name)
        if cell is not None and cell.text and name not in inherited:
            return True
    return False


def _is_empty(ind: IndicatorRow) -> bool:
    if not ind.cells:
        return False  # no cell to report it at: no located form has such a row, only check_row(())
    if has_own_value(ind, _VALUE_FIELDS):
        return False
    c3 = ind.cells.get("level3")
    return c3 is None or not c3.text or "target" in ind.cells


def _empty(ind: IndicatorRow, ctx: Context) -> Finding:
    if ind.text("level3"):
        return ctx.finding("empty-indicator-row", ind.get("level3"),
                           detail=f"三级指标“{ind.text('level3')}”没有指标值、单位或分值")
    named = [c for c in (ind.get("level2"), ind.get("level1")) if c is not None and not c.is_blank]
    anchor = named[0] if named else next(iter(ind.cells.values()))
    cats = " / ".join(t for t in (ind.text("level1"), ind.text("level2")) if t)
    return ctx.finding("empty-indicator-row", anchor,
                       detail=f"只有分类名称（{cats or '空'}），没有三级指标和指标值")
