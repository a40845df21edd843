"""Rules: taxonomy family — 一级/二级 names against the framework, missing categories, duplicates, copy-paste (D13, D20)."""
from __future__ import annotations

import re
from typing import Iterator

from ..core.findings import Finding
from ..core.form import Cell, Form, IndicatorRow
from ..core.taxonomy import (
    FRAMEWORKS, allowed_level1, allowed_level2, is_evaluation_framework, normalise_level1, normalise_level2,
    normalise_level3, parent_of, unit_in_name,
)
from .context import Context
from .layout import is_misaligned

CODES: tuple[str, ...] = (
    "unknown-level1", "unknown-level2", "level2-wrong-parent", "mixed-framework", "missing-category",
    "duplicate-indicator", "name-not-normalised", "duplicate-text",
)

# Header words a reader may leave in a category column (a repeated header after a page break).
_LABEL_ONLY = frozenset({"一级指标", "二级指标", "三级指标", "绩效指标", "指标"})
# D20: texts shorter than this are too short to call a copy-paste ("100%", "按时完成").
_LONG_TEXT = 20
# duplicate-indicator lists this many other rows, then "等".
_LIST_ROWS = 5
_TASK_FIELDS = (("goal", "期望达到的目标"), ("content", "主要实施内容"), ("result", "完成情况"))
_WS = re.compile(r"\s+")
_NAME_UNIT_TAIL = re.compile(r"\s*[(（][^()（）]*[)）]\s*$")


def check(form: Form, ctx: Context) -> Iterator[Finding]:
    """Yield the taxonomy findings of one form; rows with a category name in the 三级 column are left to layout."""
    rows, misaligned = [], []
    for ind in form.indicators:
        (misaligned if is_misaligned(ind) else rows).append(ind)
    level1_texts = {ind.text("level1") for ind in rows} - {""}
    if not is_evaluation_framework(level1_texts):
        old_cost = yield from _categories(rows, ctx)
        yield from _missing_categories(form, rows, misaligned, ctx, old_cost)
    yield from _level3(rows, ctx)
    yield from _duplicate_text(form, rows, ctx)


def _own(ind: IndicatorRow, name: str) -> Cell | None:
    """The row's own non-blank cell for ``name`` (not one carried down from a merged cell above)."""
    cell = ind.get(name)
    if cell is None or cell.is_blank or name in ind.inherited or cell.text in _LABEL_ONLY:
        return None
    return cell


def _categories(rows: list[IndicatorRow], ctx: Context):
    """一级/二级 names row by row; returns the cells holding an old-style 成本指标 二级 in a 2021 form."""
    fw = ctx.framework
    tree = FRAMEWORKS.get(fw, FRAMEWORKS["2015"])
    old_cost: list[Cell] = []
    for ind in rows:
        text1 = ind.text("level1")
        canon1 = normalise_level1(text1).canonical if text1 not in _LABEL_ONLY else None
        cell1 = _own(ind, "level1")
        if cell1 is not None:
            n1 = normalise_level1(cell1.text)
            if n1.canonical is None or n1.canonical not in tree:
                yield ctx.finding("unknown-level1", cell1, expected="、".join(allowed_level1(fw)),
                                  name=cell1.text, allowed="、".join(allowed_level1(fw)))
            elif n1.changed:
                yield ctx.finding("name-not-normalised", cell1, expected=n1.canonical, name=cell1.text)
        cell2 = _own(ind, "level2")
        if cell2 is None:
            continue
        n2 = normalise_level2(cell2.text)
        parent_text = canon1 or text1 or "（空）"
        under = allowed_level2(canon1, fw) if canon1 in tree else ()
        if n2.canonical is None:
            allowed = under or tuple(l2 for l2s in tree.values() for l2 in l2s)
            yield ctx.finding("unknown-level2", cell2, expected="、".join(allowed), name=cell2.text,
                              parent=parent_text, allowed="、".join(allowed))
            continue
        if fw == "2021" and n2.canonical == "成本指标":
            old_cost.append(cell2)  # reported once per form as mixed-framework
            continue
        parent = parent_of(n2.canonical, fw)
        if parent is None:
            allowed = under or tuple(l2 for l2s in tree.values() for l2 in l2s)
            yield ctx.finding("unknown-level2", cell2, expected="、".join(allowed), name=cell2.text,
                              parent=parent_text, allowed="、".join(allowed))
        elif canon1 in tree and parent != canon1:
            yield ctx.finding("level2-wrong-parent", cell2, expected=parent, name=cell2.text, parent=parent_text)
        elif n2.changed:
            yield ctx.finding("name-not-normalised", cell2, expected=n2.canonical, name=cell2.text)
    if old_cost:
        first = old_cost[0]
        cost_rows = [ind.row for ind in rows if normalise_level1(ind.text("level1")).canonical == "成本指标"]
        if cost_rows:
            detail = (f"成本指标既是一级指标（第{cost_rows[0]}行），又作为二级指标出现在“产出指标”下"
                      f"（第{first.row}行）")
        else:
            detail = f"使用了新体系的成本类二级指标，又把成本指标作为“产出指标”下的二级指标（第{first.row}行）"
        detail += "；按财预〔2021〕101号，成本指标应为一级指标，下设经济成本、社会成本、生态环境成本指标"
        yield ctx.finding("mixed-framework", first, expected="成本指标（一级）", detail=detail)
    return old_cost


def _missing_categories(form: Form, rows: list[IndicatorRow], misaligned: list[IndicatorRow], ctx: Context,
                        old_cost: list[Cell]):
    if "level1" not in form.columns and not any(ind.has("level1") for ind in rows):
        return
    texts = {ind.text("level1") for ind in rows if ind.text("level3")}
    present = {normalise_level1(t).canonical for t in texts} - {None}
    if not present:
        return  # nothing recognisable: unknown-level1 already says so
    if old_cost:
        present.add("成本指标")
    # A category whose name sits in a misaligned row exists; the layout family reports the row (D5).
    for ind in misaligned:
        name = ind.text("level3")
        present.add(normalise_level1(name).canonical or parent_of(name, ctx.framework) or "")
    col = form.columns.get("level1") or next((ind.get("level1").col for ind in rows if ind.has("level1")), 1)
    row = form.header_row or rows[0].row
    for level1 in allowed_level1(ctx.framework):
        if level1 not in present:
            yield ctx.finding("missing-category", None, row=row, col=col, name=level1)


def _level3(rows: list[IndicatorRow], ctx: Context) -> Iterator[Finding]:
    """Duplicated 三级 names under one 二级, and "指标1:" prefixes."""
    groups: dict[tuple[str, str, str], list[tuple[Cell, str]]] = {}
    for ind in rows:
        cell = ind.get("level3")
        if cell is None or cell.is_blank or "level3" in ind.inherited:
            continue
        n3 = normalise_level3(cell.text)
        if n3.canonical is None:
            continue
        if n3.changed:
            yield ctx.finding("name-not-normalised", cell, expected=n3.canonical, name=cell.text)
        elif (unit := unit_in_name(cell.text)) is not None:
            # D18: "预算执行率 (%)" — the unit belongs in the value or the 计量单位 column.
            bare = _NAME_UNIT_TAIL.sub("", cell.text).rstrip()
            if "（" in unit:  # "…检查家（次）": the classifier in front of the bracket is part of the unit
                bare = bare[:-1]
            if bare:
                yield ctx.finding("name-not-normalised", cell, expected=bare, name=cell.text)
        text1, text2 = ind.text("level1"), ind.text("level2")
        parent1 = normalise_level1(text1).canonical or text1
        parent2 = normalise_level2(text2).canonical or text2
        groups.setdefault((parent1, parent2, n3.canonical), []).append((cell, parent2 or parent1 or "同一分类"))
    # One finding per duplicated name, at its second occurrence (a sheet may repeat one name 50,000 times).
    for same in groups.values():
        if len(same) < 2:
            continue
        (first, _), (second, parent) = same[0], same[1]
        others = [first.row] + [c.row for c, _ in same[2:_LIST_ROWS + 1]]
        other = "、".join(map(str, others)) + ("等" if len(same) > _LIST_ROWS + 1 else "")
        yield ctx.finding("duplicate-indicator", second, name=second.text, parent=parent, count=len(same),
                          other=other)


def _duplicate_text(form: Form, rows: list[IndicatorRow], ctx: Context) -> Iterator[Finding]:
    """D20: the same long task text under several tasks; 实施周期 values copied from the annual ones."""
    for name, label in _TASK_FIELDS:
        groups: dict[str, list[Cell]] = {}
        for task in form.tasks:
            cell = task.cells.get(name)
            if cell is None:
                continue
            text = _WS.sub("", cell.text)
            if len(text) >= _LONG_TEXT:
                groups.setdefault(text, []).append(cell)
        dup = max(groups.values(), key=len, default=[])
        if len(dup) >= 2:
            where = "、".join(str(c.row) for c in dup)
            yield ctx.finding("duplicate-text", dup[1],
                              detail=f"{len(dup)}项任务的“{label}”文字完全相同（第{where}行），请按各任务分别填写")
            break
    pairs = []
    for ind in rows:
        period, target = ind.get("period_target"), ind.get("target")
        if period is None or target is None or "period_target" in ind.inherited:
            continue
        if period.is_blank and target.is_blank:
            continue
        pairs.append((period, target))
    if len(pairs) >= 2 and all(p.text == t.text for p, t in pairs):
        yield ctx.finding("duplicate-text", pairs[0][0],
                          detail=f"全部{len(pairs)}个指标的实施周期指标值与年度指标值完全相同，"
                                 "请确认实施周期指标是否按整个实施期填写")
