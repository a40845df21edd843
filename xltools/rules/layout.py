"""Rules: layout family — shifted rows, empty rows and formula errors in indicator tables."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterator

from ..core.findings import Finding
from ..core.form import _UNSET, FIELD_ZH, Form, IndicatorRow
from ..core.taxonomy import is_category_name
from .context import Context

# table-not-found and no-form-found are emitted by the engine, which sees whole sheets and books.
CODES: tuple[str, ...] = ("misaligned-row", "empty-indicator-row", "cell-error", "table-not-found", "no-form-found")

_NAME_FIELDS = ("level1", "level2", "level3")
_VALUE_FIELDS = ("target", "period_target", "actual", "unit", "weight", "score")


# A whole cell that is a value, not a name: "≥85%", "100%", "17辆", "不少于2000家次", "每年12月底前".
_VALUE_ONLY = re.compile(
    r"^(?:[≥≤><=＞＜≧≦＝]=?|不少于|不低于|不超过|不高于|至少|大于|小于|等于|达到)?\s*\d[\d,，.]*\s*"
    r"(?:%|％|百分比|[\u4e00-\u9fff]{1,3}(?:/[\u4e00-\u9fff]{1,4})?)?\s*(?:以上|以下|以内|或以上|或以下)?(?:[（(][^）)]{0,12}[）)])?[。.]?$"
    r"|^每年\d{1,2}月(?:底)?(?:前|之前)?$|^\d{4}年\d{1,2}月(?:\d{1,2}日)?(?:前|之前)?$")


@lru_cache(maxsize=4096)
def is_value_text(text: str) -> bool:
    """Whether a whole cell reads as a 指标值 (so it is out of place in a name column)."""
    return bool(text) and len(text) <= 24 and _VALUE_ONLY.match(text) is not None


def misaligned_field(ind: IndicatorRow) -> str | None:
    """The name column that shows the row is shifted (D5), or None.

    Either a 一级/二级 category name sits in the 三级 column, or a value sits in a name column.
    Every family asks, so the answer is cached on the row.
    """
    hit = ind._misaligned
    if hit is not _UNSET:
        return hit
    hit = None
    if is_category_name(ind.text("level3")):
        hit = "level3"
    else:
        for name in _NAME_FIELDS:
            cell = ind.cells.get(name)
            if cell is not None and name not in ind.inherited and (
                    is_value_text(cell.text) or type(cell.value) in (int, float)):
                hit = name
                break
    ind._misaligned = hit
    return hit


def is_misaligned(ind: IndicatorRow) -> bool:
    """Whether a row is shifted (D5): the layout family reports it once, other families skip it."""
    return misaligned_field(ind) is not None


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
    where = misaligned_field(ind)
    if where is None:
        return None
    cell = ind.get(where)
    if where == "level3" and is_category_name(cell.text):
        detail = f"三级指标列中是分类名称“{cell.text}”"
        value = ind.text("target")
        if value:
            detail += f"，却带有指标值“{value}”"
            if prev is not None and prev.text("target") == value:
                detail += "（与上一行相同，疑为合并单元格展开错位）"
        return ctx.finding("misaligned-row", cell, detail=detail + "；请把它移到一级/二级指标列或删除")
    return ctx.finding("misaligned-row", cell,
                       detail=f"{FIELD_ZH[where]}列中是指标值“{cell.text}”，该行的单元格疑似整体错位")


def _is_empty(ind: IndicatorRow) -> bool:
    has_name = bool(ind.text("level3"))
    has_value = any(ind.text(f) for f in _VALUE_FIELDS if ind.has(f) and f not in ind.inherited)
    return not has_value and (not has_name or ind.has("target"))


def _empty(ind: IndicatorRow, ctx: Context) -> Finding:
    if ind.text("level3"):
        return ctx.finding("empty-indicator-row", ind.get("level3"),
                           detail=f"三级指标“{ind.text('level3')}”没有指标值、单位或分值")
    named = [c for c in (ind.get("level2"), ind.get("level1")) if c is not None and not c.is_blank]
    anchor = named[0] if named else next(iter(ind.cells.values()))
    cats = " / ".join(t for t in (ind.text("level1"), ind.text("level2")) if t)
    return ctx.finding("empty-indicator-row", anchor,
                       detail=f"只有分类名称（{cats or '空'}），没有三级指标和指标值")
