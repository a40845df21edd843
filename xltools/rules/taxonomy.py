"""Rules: taxonomy family — 一级/二级 names against the framework, missing categories, duplicates, copy-paste (D13, D20)."""
from __future__ import annotations

import re
from array import array

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


# A 三级 name's occurrence as a tally sends it between processes: (row, column, the name as
# written, the row's 一级 text, its 二级 text).
Occurrence = tuple[int, int, str, str, str]


def occurrence(entry: IndicatorRow | Occurrence) -> Occurrence:
    """The occurrence of a row's 三级 name (``entry`` is the row, or already its occurrence)."""
    if type(entry) is tuple:
        return entry
    cells = entry.cells
    c3 = cells["level3"]
    c1, c2 = cells.get("level1"), cells.get("level2")
    return entry.row, c3.col, c3.text, "" if c1 is None else c1.text, "" if c2 is None else c2.text


class Tally:
    """What the rows of one part of a form tell the form-level sub-checks.

    A form is checked in one part (serially) or in two (rules.parallel: each process its half of
    the rows); ``merge`` adds a later part's tally, and ``conclude`` turns the whole form's into
    findings. In its process it refers to rows rather than copy their texts (a reference per
    distinct 三级 name costs nothing to make); pickled, only texts and numbers travel.

    Attributes:
        gated: the 一级/二级 findings, reported unless the form uses the evaluation framework.
        first_row_of: each 一级 text of a row not shifted → the first row it is on.
        old_cost: the first old-style 成本指标 二级 cell of a 2021 form.
        named_level1: the 一级 texts of the rows (not shifted) with a 三级 name.
        blank3: whether a row (not shifted) has no 三级 name.
        shifted_names: the 三级 texts of the shifted rows.
        first_row: the first row not shifted; level1_col: the 一级 column of the first such row with one.
        level3_names: the name-not-normalised findings on 三级 names.
        seen3: each canonical 三级 name → its first occurrence: the row itself, or, in a tally
            that came through pickle, its ``Occurrence``;
        more3: every later occurrence, (canonical, occurrence), in row order.
        pairs, pairs_equal, first_period: the (实施周期指标值, 指标值) pairs, whether all are
            equal, and the first pair's 实施周期 cell.
    """

    __slots__ = ("gated", "first_row_of", "old_cost", "named_level1", "blank3", "shifted_names", "first_row",
                 "level1_col", "level3_names", "seen3", "more3", "pairs", "pairs_equal", "first_period")

    def __init__(self):
        self.gated: list[Finding] = []
        self.first_row_of: dict[str, int] = {}
        self.old_cost: Cell | None = None
        self.named_level1: set[str] = set()
        self.blank3 = False
        self.shifted_names: list[str] = []
        self.first_row: int | None = None
        self.level1_col: int | None = None
        self.level3_names: list[Finding] = []
        self.seen3: dict[str, IndicatorRow | Occurrence] = {}
        self.more3: list[tuple[str, IndicatorRow | Occurrence]] = []
        self.pairs = 0
        self.pairs_equal = True
        self.first_period: Cell | None = None

    def __getstate__(self):
        # seen3 holds an entry per distinct name (50,000 in half of the bench sheet): as columns,
        # each 一级/二级 pair once, it pickles and unpickles in 0.03 s, as a dict of tuples in 0.2.
        state = {name: getattr(self, name) for name in self.__slots__}
        seen3 = state.pop("seen3")
        occurrences = [occurrence(entry) for entry in seen3.values()]
        pairs: dict[tuple[str, str], int] = {}
        numbers = array("q", [pairs.setdefault((o[3], o[4]), len(pairs)) for o in occurrences])
        state["seen3_columns"] = (list(seen3), array("q", [o[0] for o in occurrences]),
                                  array("q", [o[1] for o in occurrences]), [o[2] for o in occurrences],
                                  numbers, list(pairs))
        state["more3"] = [(canonical, occurrence(entry)) for canonical, entry in self.more3]
        return state

    def __setstate__(self, state):
        names, rows, cols, texts, numbers, pairs = state.pop("seen3_columns")
        self.seen3 = {name: (row, col, text, *pairs[number])
                      for name, row, col, text, number in zip(names, rows, cols, texts, numbers)}
        for name, value in state.items():
            setattr(self, name, value)

    def merge(self, later: Tally) -> Tally:
        """This tally followed by ``later``, the tally of the rows below this one's."""
        self.gated += later.gated
        for text, row in later.first_row_of.items():
            self.first_row_of.setdefault(text, row)
        self.old_cost = self.old_cost or later.old_cost
        self.named_level1 |= later.named_level1
        self.blank3 = self.blank3 or later.blank3
        self.shifted_names += later.shifted_names
        if self.first_row is None:
            self.first_row, self.level1_col = later.first_row, later.level1_col
        elif self.level1_col is None:
            self.level1_col = later.level1_col
        self.level3_names += later.level3_names
        seen3, more3 = self.seen3, self.more3
        for canonical, entry in later.seen3.items():
            if canonical in seen3:
                more3.append((canonical, entry))
            else:
                seen3[canonical] = entry
        more3 += later.more3
        self.pairs += later.pairs
        self.pairs_equal = self.pairs_equal and later.pairs_equal
        self.first_period = self.first_period or later.first_period
        return self


def check(form: Form, ctx: Context) -> list[Finding]:
    """The taxonomy findings of one form; rows with a category name in the 三级 column are left to layout."""
    found, tally = gather(form, ctx)
    return found + conclude(form, ctx, tally)


def gather(form: Form, ctx: Context) -> tuple[list[Finding], Tally]:
    """One pass over the rows of ``form`` (the whole form or a part of it): the tally the
    form-level sub-checks need. This family's findings all come from ``conclude``.

    One pass gathers what every sub-check needs: a sheet may hold 100,000 rows, and a pass per
    sub-check cost two and a half times as much.
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
    tally = Tally()
    gated = tally.gated
    first_row_of = tally.first_row_of
    named_level1 = tally.named_level1
    shifted_names = tally.shifted_names
    level3_names = tally.level3_names
    seen3, more3 = tally.seen3, tally.more3
    first_row = level1_col = None
    # (一级 text, 二级 text, inherited fields) → verdict: the texts and which of them are the row's
    # own decide the verdict, and a form repeats a handful of pairs over all its rows.
    verdicts: dict[tuple[str, str, frozenset[str]], _Verdict] = {}
    old_cost = None
    blank3 = False  # some row has no 三级 text: missing-category then looks only at the named rows
    pairs, pairs_equal, first_period = 0, True, None
    for ind in form.indicators:
        shifted = ind._misaligned
        if shifted is _UNSET:
            shifted = misaligned_field(ind, facts_of)
        cells = ind.cells
        if shifted is not None:
            shifted_names.append(ind.text("level3"))
            continue
        inherited = ind.inherited
        c1 = cells.get("level1")
        text1 = "" if c1 is None else c1.text
        if first_row is None:
            first_row = ind.row
        if level1_col is None and c1 is not None:
            level1_col = c1.col
        if text1 not in first_row_of:
            first_row_of[text1] = ind.row
        if judge:
            c2 = cells.get("level2")
            key = (text1, "" if c2 is None else c2.text, inherited)
            verdict = verdicts.get(key)
            if verdict is None:
                verdict = verdicts[key] = _pair_verdict(fw, key)
            found, cost = verdict
            if found and categories:
                for code, where, fields in found:
                    gated.append(ctx.finding(code, c1 if where == "level1" else c2, **fields))
            if cost and old_cost is None:
                old_cost = c2
        c3 = cells.get("level3")
        if c3 is None or not c3.text:
            blank3 = True
        else:
            named_level1.add(text1)
            if level3 and "level3" not in inherited:
                facts = facts_of(c3.text)
                n3 = facts.level3
                canonical = n3.canonical
                if canonical is not None:
                    if names and (n3.changed or facts.bare):
                        _level3_name(c3, facts, ctx, level3_names)
                    if duplicates:
                        if canonical in seen3:
                            more3.append((canonical, ind))
                        else:
                            seen3[canonical] = ind
        if copies:
            period = cells.get("period_target")
            if period is not None:
                target = cells.get("target")
                if target is not None and "period_target" not in inherited and (period.text or target.text):
                    pairs += 1
                    if first_period is None:
                        first_period = period
                    if pairs_equal and period.text != target.text:
                        pairs_equal = False
    tally.old_cost, tally.blank3 = old_cost, blank3
    tally.first_row, tally.level1_col = first_row, level1_col
    tally.pairs, tally.pairs_equal, tally.first_period = pairs, pairs_equal, first_period
    return [], tally


def conclude(form: Form, ctx: Context, tally: Tally) -> list[Finding]:
    """The findings of the whole form from the tally of all its rows, in the order of the
    sub-checks: 一级/二级, missing categories, 三级 names, duplicated 三级, duplicated texts."""
    wanted = ctx.wanted
    out: list[Finding] = []
    level1_texts = set(tally.first_row_of)
    level1_texts.discard("")
    if not is_evaluation_framework(level1_texts):
        if ctx.wants(_CATEGORY_CODES):
            out += tally.gated
            if tally.old_cost is not None and "mixed-framework" in wanted:
                _mixed_framework(tally, ctx, out)
        if "missing-category" in wanted and tally.first_row is not None:
            texts = tally.named_level1 if tally.blank3 else level1_texts
            _missing_categories(form, tally, texts, ctx, out)
    out += tally.level3_names
    if "duplicate-indicator" in wanted and tally.more3:
        _duplicate_indicators(tally, ctx, out)
    if "duplicate-text" in wanted:
        _duplicate_text(form, tally, ctx, out)
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


def _mixed_framework(tally: Tally, ctx: Context, out: list[Finding]) -> None:
    """mixed-framework, once per form: a 2021 form with 成本指标 also as an old-style 二级 (``tally.old_cost``)."""
    first = tally.old_cost
    cost_rows = sorted(row for text, row in tally.first_row_of.items()
                       if normalise_level1(text).canonical == "成本指标")
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


def _missing_categories(form: Form, tally: Tally, texts: set[str], ctx: Context, out: list[Finding]) -> None:
    """missing-category for each 一级 of the framework that no named row's 一级 text (``texts``) stands for."""
    if "level1" not in form.columns and tally.level1_col is None:
        return
    present = {normalise_level1(t).canonical for t in texts} - {None}
    if not present:
        return  # nothing recognisable: unknown-level1 already says so
    if tally.old_cost is not None:
        present.add("成本指标")
    # A category whose name sits in a misaligned row exists; the layout family reports the row (D5).
    for name in tally.shifted_names:
        present.add(normalise_level1(name).canonical or parent_of(name, ctx.framework) or "")
    col = form.columns.get("level1") or tally.level1_col or 1
    row = form.header_row or tally.first_row
    for level1 in allowed_level1(ctx.framework):
        if level1 not in present:
            out.append(ctx.finding("missing-category", None, row=row, col=col, name=level1))


def _duplicate_indicators(tally: Tally, ctx: Context, out: list[Finding]) -> None:
    """duplicate-indicator: the 三级 names seen more than once that repeat under one 一级/二级."""
    repeated = {canonical for canonical, _ in tally.more3}
    seen3 = tally.seen3
    occurrences = [(canonical, occurrence(entry))
                   for canonical, entry in [(canonical, seen3[canonical]) for canonical in repeated] + tally.more3]
    occurrences.sort(key=lambda item: item[1][0])  # in row order, as the rows are
    groups: dict[tuple[str, str, str], list[tuple[int, int, str, str]]] = {}
    parents: dict[tuple[str, str], tuple[str, str, str]] = {}
    for canonical, (row, col, text, text1, text2) in occurrences:
        key = (text1, text2)
        parent = parents.get(key)
        if parent is None:
            parent1 = normalise_level1(text1).canonical or text1
            parent2 = normalise_level2(text2).canonical or text2
            parent = parents[key] = (parent1, parent2, parent2 or parent1 or "同一分类")
        groups.setdefault((parent[0], parent[1], canonical), []).append((row, col, text, parent[2]))
    # One finding per duplicated name, at its second occurrence (a sheet may repeat one name 50,000 times).
    for same in groups.values():
        if len(same) < 2:
            continue
        first, (row, col, text, parent) = same[0], same[1]
        others = [first[0]] + [r for r, *_ in same[2:_LIST_ROWS + 1]]
        other = "、".join(map(str, others)) + ("等" if len(same) > _LIST_ROWS + 1 else "")
        out.append(ctx.finding("duplicate-indicator", None, row=row, col=col, name=text, parent=parent,
                               count=len(same), other=other))


def _level3_name(cell: Cell, facts: NameFacts, ctx: Context, out: list[Finding]) -> None:
    """name-not-normalised on a 三级 name the normaliser recognises: "指标1:" prefixes, units in brackets."""
    n3 = facts.level3
    if n3.changed:
        out.append(ctx.finding("name-not-normalised", cell, expected=n3.canonical, name=cell.text))
    elif facts.bare:
        out.append(ctx.finding("name-not-normalised", cell, expected=facts.bare, name=cell.text))


def _duplicate_text(form: Form, tally: Tally, ctx: Context, out: list[Finding]) -> None:
    """D20: the same long task text under several tasks; 实施周期 values copied from the annual ones.

    ``tally.pairs`` counts the rows with both a 实施周期指标值 and a 指标值 cell, either holding text.
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
    if tally.pairs >= 2 and tally.pairs_equal:
        out.append(ctx.finding("duplicate-text", tally.first_period,
                               detail=f"全部{tally.pairs}个指标的实施周期指标值与年度指标值完全相同，"
                                      "请确认实施周期指标是否按整个实施期填写"))
