"""Rules: taxonomy family — 一级/二级 names against the framework, missing categories, duplicates, copy-paste (D13, D20)."""
from __future__ import annotations

import re

from ..core.findings import Finding
from ..core.form import _UNSET, Cell, Form, IndicatorRow
from ..core.taxonomy import (
    FRAMEWORKS, allowed_level1, allowed_level2, is_evaluation_framework, normalise_level1, normalise_level2, parent_of,
)
from .context import Context
from .layout import misaligned_field
from .names import NameFacts

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


_CATEGORY_CODES = ("unknown-level1", "unknown-level2", "level2-wrong-parent", "mixed-framework", "name-not-normalised")


def check(form: Form, ctx: Context) -> list[Finding]:
    """The taxonomy findings of one form; rows with a category name in the 三级 column are left to layout.

    One pass over the rows gathers what every sub-check needs: a sheet may hold 100,000 rows,
    and a pass per sub-check cost two and a half times as much. The findings come out in the
    order of the sub-checks: 一级/二级, missing categories, 三级 names, duplicated 三级,
    duplicated texts.
    """
    wanted = ctx.wanted
    categories = ctx.wants(_CATEGORY_CODES)
    missing = "missing-category" in wanted
    judge = categories or missing  # missing-category needs the old-style 成本指标 cells the verdicts find
    fw = ctx.framework if judge else ""
    names = "name-not-normalised" in wanted
    duplicates = "duplicate-indicator" in wanted
    level3 = names or duplicates
    copies = "duplicate-text" in wanted
    facts_of = ctx.name_facts
    rows: list[IndicatorRow] = []
    misaligned: list[IndicatorRow] = []
    level1_texts: set[str] = set()
    # (findings, 一级 cell, 二级 cell) of the rows whose pair has something to report: they become
    # findings only once the form is known not to use the evaluation framework.
    flagged: list[tuple[tuple[tuple[str, str, dict], ...], Cell | None, Cell | None]] = []
    old_cost: list[Cell] = []
    # (一级 text, 二级 text, inherited fields) → verdict: the texts and which of them are the row's
    # own decide the verdict, and a form repeats a handful of pairs over all its rows.
    verdicts: dict[tuple[str, str, frozenset[str]], _Verdict] = {}
    level3_names: list[Finding] = []
    seen3: set[str] = set()
    repeated3: set[str] = set()
    blank3 = False  # some row has no 三级 text: missing-category then looks only at the named rows
    pairs: list[tuple[Cell, Cell]] = []
    for ind in form.indicators:
        shifted = ind._misaligned
        if shifted is _UNSET:
            shifted = misaligned_field(ind, facts_of)
        if shifted is not None:
            misaligned.append(ind)
            continue
        rows.append(ind)
        cells = ind.cells
        inherited = ind.inherited
        c1 = cells.get("level1")
        text1 = "" if c1 is None else c1.text
        level1_texts.add(text1)
        if judge:
            c2 = cells.get("level2")
            key = (text1, "" if c2 is None else c2.text, inherited)
            verdict = verdicts.get(key)
            if verdict is None:
                verdict = verdicts[key] = _pair_verdict(fw, key)
            found, cost = verdict
            if found:
                flagged.append((found, c1, c2))
            if cost:
                old_cost.append(c2)
        c3 = cells.get("level3")
        if c3 is None or not c3.text:
            blank3 = True
        elif level3 and "level3" not in inherited:
            facts = facts_of(c3.text)
            n3 = facts.level3
            canonical = n3.canonical
            if canonical is not None:
                if names and (n3.changed or facts.bare):
                    _level3_name(c3, facts, ctx, level3_names)
                # A duplicate needs a repeated name first; real forms repeat none, so the
                # grouping by 一级/二级 runs only for the names seen twice.
                if canonical in seen3:
                    repeated3.add(canonical)
                else:
                    seen3.add(canonical)
        if copies:
            period = cells.get("period_target")
            if period is not None:
                target = cells.get("target")
                if target is not None and "period_target" not in inherited and (period.text or target.text):
                    pairs.append((period, target))
    out: list[Finding] = []
    level1_texts.discard("")
    if not is_evaluation_framework(level1_texts):
        if categories:
            for found, c1, c2 in flagged:
                for code, where, fields in found:
                    out.append(ctx.finding(code, c1 if where == "level1" else c2, **fields))
            if old_cost and "mixed-framework" in wanted:
                _mixed_framework(rows, old_cost, ctx, out)
        if missing:
            if blank3:
                texts = {ind.text("level1") for ind in rows if ind.text("level3")}
            else:
                texts = level1_texts  # every row is named; "" (no 一级) names no category anyway
            _missing_categories(form, rows, misaligned, texts, ctx, old_cost, out)
    out += level3_names
    if duplicates and repeated3:
        _duplicate_indicators(rows, repeated3, ctx, out)
    if copies:
        _duplicate_text(form, pairs, ctx, out)
    return out


# What the 一级/二级 check finds on a row, per (一级 text, own 一级 text, own 二级 text): findings as
# (code, "level1"/"level2", keyword arguments), and whether the 二级 is an old-style 成本指标.
_Verdict = tuple[tuple[tuple[str, str, dict], ...], bool]
# (framework, 一级 text, own 一级, own 二级) → verdict, shared by all forms (a folder repeats a few).
_VERDICTS: dict[tuple[str, str, str | None, str | None], _Verdict] = {}
_MAX_VERDICTS = 1 << 16


def _category_verdict(fw: str, text1: str, own1: str | None, own2: str | None) -> _Verdict:
    tree = FRAMEWORKS.get(fw, FRAMEWORKS["2015"])
    found: list[tuple[str, str, dict]] = []
    canon1 = normalise_level1(text1).canonical if text1 not in _LABEL_ONLY else None
    if own1 is not None:
        n1 = normalise_level1(own1)
        if n1.canonical is None or n1.canonical not in tree:
            allowed1 = "、".join(allowed_level1(fw))
            found.append(("unknown-level1", "level1", dict(expected=allowed1, name=own1, allowed=allowed1)))
        elif n1.changed:
            found.append(("name-not-normalised", "level1", dict(expected=n1.canonical, name=own1)))
    if own2 is None:
        return tuple(found), False
    n2 = normalise_level2(own2)
    parent_text = canon1 or text1 or "（空）"
    under = allowed_level2(canon1, fw) if canon1 in tree else ()
    if n2.canonical is None:
        allowed = "、".join(under or tuple(l2 for l2s in tree.values() for l2 in l2s))
        found.append(("unknown-level2", "level2", dict(expected=allowed, name=own2, parent=parent_text,
                                                       allowed=allowed)))
        return tuple(found), False
    if fw == "2021" and n2.canonical == "成本指标":
        return tuple(found), True  # reported once per form as mixed-framework
    parent = parent_of(n2.canonical, fw)
    if parent is None:
        allowed = "、".join(under or tuple(l2 for l2s in tree.values() for l2 in l2s))
        found.append(("unknown-level2", "level2", dict(expected=allowed, name=own2, parent=parent_text,
                                                       allowed=allowed)))
    elif canon1 in tree and parent != canon1:
        found.append(("level2-wrong-parent", "level2", dict(expected=parent, name=own2, parent=parent_text)))
    elif n2.changed:
        found.append(("name-not-normalised", "level2", dict(expected=n2.canonical, name=own2)))
    return tuple(found), False


def _pair_verdict(fw: str, key: tuple[str, str, frozenset[str]]) -> _Verdict:
    """The verdict on a row with 一级 text, 二级 text and inherited fields ``key``, as ``_row_categories`` judges it."""
    text1, text2, inherited = key
    own1 = text1 if text1 and "level1" not in inherited and text1 not in _LABEL_ONLY else None
    own2 = text2 if text2 and "level2" not in inherited and text2 not in _LABEL_ONLY else None
    shared = (fw, text1, own1, own2)
    verdict = _VERDICTS.get(shared)
    if verdict is None:
        if len(_VERDICTS) >= _MAX_VERDICTS:
            _VERDICTS.clear()
        verdict = _VERDICTS[shared] = _category_verdict(fw, text1, own1, own2)
    return verdict


def _mixed_framework(rows: list[IndicatorRow], old_cost: list[Cell], ctx: Context, out: list[Finding]) -> None:
    """mixed-framework, once per form: a 2021 form with 成本指标 also as an old-style 二级 (cells ``old_cost``)."""
    first = old_cost[0]
    cost_rows = [ind.row for ind in rows if normalise_level1(ind.text("level1")).canonical == "成本指标"]
    if cost_rows:
        detail = (f"成本指标既是一级指标（第{cost_rows[0]}行），又作为二级指标出现在“产出指标”下"
                  f"（第{first.row}行）")
    else:
        detail = f"使用了新体系的成本类二级指标，又把成本指标作为“产出指标”下的二级指标（第{first.row}行）"
    detail += "；按财预〔2021〕101号，成本指标应为一级指标，下设经济成本、社会成本、生态环境成本指标"
    out.append(ctx.finding("mixed-framework", first, expected="成本指标（一级）", detail=detail))


def _row_categories(ind: IndicatorRow, fw: str, ctx: Context, out: list[Finding]) -> Cell | None:
    """One row's 一级/二级 findings, appended to ``out``; its 二级 cell when that is an old-style 成本指标 in a 2021 form."""
    cells = ind.cells
    c1, c2 = cells.get("level1"), cells.get("level2")
    verdict = _pair_verdict(fw, ("" if c1 is None else c1.text, "" if c2 is None else c2.text, ind.inherited))
    found, cost = verdict
    for code, where, fields in found:
        out.append(ctx.finding(code, c1 if where == "level1" else c2, **fields))
    return c2 if cost else None


def _missing_categories(form: Form, rows: list[IndicatorRow], misaligned: list[IndicatorRow], texts: set[str],
                        ctx: Context, old_cost: list[Cell], out: list[Finding]) -> None:
    """missing-category for each 一级 of the framework that no named row's 一级 text (``texts``) stands for."""
    if "level1" not in form.columns and not any(ind.has("level1") for ind in rows):
        return
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
            out.append(ctx.finding("missing-category", None, row=row, col=col, name=level1))


def _duplicate_indicators(rows: list[IndicatorRow], repeated: set[str], ctx: Context, out: list[Finding]) -> None:
    """duplicate-indicator: the 三级 names in ``repeated`` (seen more than once) that repeat under one 一级/二级."""
    groups: dict[tuple[str, str, str], list[tuple[Cell, str]]] = {}
    parents: dict[tuple[str, str], tuple[str, str, str]] = {}
    for ind in rows:
        cell = ind.cells.get("level3")
        if cell is None or not cell.text or "level3" in ind.inherited:
            continue
        canonical = ctx.name_facts(cell.text).level3.canonical
        if canonical not in repeated:
            continue
        cells = ind.cells
        c1, c2 = cells.get("level1"), cells.get("level2")
        key = ("" if c1 is None else c1.text, "" if c2 is None else c2.text)
        parent = parents.get(key)
        if parent is None:
            text1, text2 = key
            parent1 = normalise_level1(text1).canonical or text1
            parent2 = normalise_level2(text2).canonical or text2
            parent = parents[key] = (parent1, parent2, parent2 or parent1 or "同一分类")
        group = groups.get((parent[0], parent[1], canonical))
        if group is None:
            groups[(parent[0], parent[1], canonical)] = [(cell, parent[2])]
        else:
            group.append((cell, parent[2]))
    # One finding per duplicated name, at its second occurrence (a sheet may repeat one name 50,000 times).
    for same in groups.values():
        if len(same) < 2:
            continue
        (first, _), (second, parent) = same[0], same[1]
        others = [first.row] + [c.row for c, _ in same[2:_LIST_ROWS + 1]]
        other = "、".join(map(str, others)) + ("等" if len(same) > _LIST_ROWS + 1 else "")
        out.append(ctx.finding("duplicate-indicator", second, name=second.text, parent=parent, count=len(same),
                               other=other))


def _level3_name(cell: Cell, facts: NameFacts, ctx: Context, out: list[Finding]) -> None:
    """name-not-normalised on a 三级 name the normaliser recognises: "指标1:" prefixes, units in brackets."""
    n3 = facts.level3
    if n3.changed:
        out.append(ctx.finding("name-not-normalised", cell, expected=n3.canonical, name=cell.text))
    elif facts.bare:
        out.append(ctx.finding("name-not-normalised", cell, expected=facts.bare, name=cell.text))


def _duplicate_text(form: Form, pairs: list[tuple[Cell, Cell]], ctx: Context, out: list[Finding]) -> None:
    """D20: the same long task text under several tasks; 实施周期 values copied from the annual ones.

    ``pairs`` holds each row's (实施周期指标值, 指标值) cells where the row has both and either holds text.
    """
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
            out.append(ctx.finding("duplicate-text", dup[1],
                                   detail=f"{len(dup)}项任务的“{label}”文字完全相同（第{where}行），请按各任务分别填写"))
            break
    if len(pairs) >= 2 and all(p.text == t.text for p, t in pairs):
        out.append(ctx.finding("duplicate-text", pairs[0][0],
                               detail=f"全部{len(pairs)}个指标的实施周期指标值与年度指标值完全相同，"
                                      "请确认实施周期指标是否按整个实施期填写"))
