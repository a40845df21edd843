"""Rules: scores family — 实际完成值, 得分 against the scoring rules, weights, total and grade."""
from __future__ import annotations

import math
import re
from functools import lru_cache

from ..core.fill import (
    ScoredIndicator, analyse_funds, fund_score_cells, indicator_score_cells, is_dash, scored_indicators,
)
from ..core.findings import Finding
from ..core.form import Cell, CellError, Form, IndicatorRow
from ..core.notation import ValueKind
from ..core.numbers import exact_sum, excel_round, to_number
from ..core.scoring import grade, grade_of_text
from ..core.taxonomy import normalise_level1
from .context import Context

CODES: tuple[str, ...] = (
    "cell-error", "actual-missing", "actual-unparseable", "score-over-weight", "score-mismatch", "reason-missing",
    "weights-sum", "weights-split", "total-score-mismatch", "grade-mismatch",
)

_NO_REASON = {"无", "无。", "没有", "不适用", "暂无", "无偏差", "/", "-", "—", "——", "－", "／"}
_WEIGHT_NOTE = re.compile(r"\s+|[(（]\s*\d+(\.\d+)?\s*分\s*[)）]")


def _fmt(x: float) -> str:
    r = excel_round(x, 2)
    if not math.isfinite(r):
        return "#NUM!"  # a sum past the largest number, as Excel shows it
    # Whole numbers as integers ("100", not "100.0"), up to where Excel shows every digit.
    return str(int(r)) if r == int(r) and abs(r) < 1e15 else f"{r:g}"


@lru_cache(maxsize=4096)
def _level1(name: str) -> str:
    """The canonical 一级 name (效果指标 → 效益指标; "产出指标(50分)" → 产出指标), else the text."""
    return normalise_level1(name).canonical or _WEIGHT_NOTE.sub("", name or "")


def _indicators(form: Form, ctx: Context) -> tuple[list[IndicatorRow], list[float | None]]:
    """The rows with a 三级 name that is not a category name, and each one's own 分值 (read once
    for the row checks and the weight sums)."""
    rows, weights = [], []
    facts_of = ctx.name_facts
    for ind in form.indicators:
        cells = ind.cells
        c3 = cells.get("level3")
        if c3 is not None and c3.text and not facts_of(c3.text).category:
            rows.append(ind)
            weights.append(_number(cells.get("weight"), ind, "weight"))
    return rows, weights


_OWN_CODES = tuple(c for c in CODES if c != "cell-error")
_ROW_CODES = ("actual-missing", "actual-unparseable", "score-over-weight", "score-mismatch", "reason-missing")


class Tally:
    """What the rows of one part of a form tell the form-level sub-checks (weights, total).

    See taxonomy.Tally for the parts. Attributes:
        per_level1: each canonical 一级 → the 分值 of its rows, in row order.
        first_weight: (row, col) of the first row's 分值 cell.
        parts: the 得分 of the rows a total adds up (score_parts), where they are numbers.
        part_error: whether one of those 得分 cells holds a formula error.
    """

    __slots__ = ("per_level1", "first_weight", "parts", "part_error")

    def __init__(self):
        self.per_level1: dict[str, list[float]] = {}
        self.first_weight: tuple[int, int] | None = None
        self.parts: list[float] = []
        self.part_error = False

    def merge(self, later: Tally) -> Tally:
        """This tally followed by ``later``, the tally of the rows below this one's."""
        for key, weights in later.per_level1.items():
            self.per_level1.setdefault(key, []).extend(weights)
        self.first_weight = self.first_weight or later.first_weight
        self.parts += later.parts
        self.part_error = self.part_error or later.part_error
        return self


def check(form: Form, ctx: Context) -> list[Finding]:
    """The scores findings of one form: per row, then the weights, the total and the grade."""
    found, tally = gather(form, ctx)
    return found + conclude(form, ctx, tally)


_TOTAL_CODES = ("cell-error", "total-score-mismatch", "grade-mismatch")


def gather(form: Form, ctx: Context) -> tuple[list[Finding], Tally | None]:
    """The findings on each row of ``form`` (the whole form or a part of it), and the tally of its
    分值 and 得分 for ``conclude``; None when the form asks for nothing this family reports."""
    out: list[Finding] = []
    wanted = ctx.wanted
    if wanted.isdisjoint(_OWN_CODES) and form.total_score is None and form.grade is None:
        return out, None  # only cell-error asked for, which this family reports on the total and grade cells alone
    rows, weights = _indicators(form, ctx)
    if ctx.wants(_ROW_CODES):
        _rows(form, rows, weights, ctx, out)
    tally = Tally()
    if "weights-sum" in wanted or "weights-split" in wanted:
        _tally_weights(rows, weights, tally)
    if (form.total_score is not None or form.grade is not None) and ctx.wants(_TOTAL_CODES):
        cells = indicator_score_cells(form.indicators)
        tally.part_error = any(c.is_error for c in cells)
        tally.parts = [n for n in map(_number, cells) if n is not None]
    return out, tally


def conclude(form: Form, ctx: Context, tally: Tally | None) -> list[Finding]:
    """The weights, total and grade findings of the whole form, from the tally of all its rows."""
    out: list[Finding] = []
    if tally is None:
        return out
    wanted = ctx.wanted
    fa = None
    if form.funds and ctx.wants(("weights-sum", "weights-split", *_TOTAL_CODES)):
        fa = analyse_funds(form)
    if "weights-sum" in wanted or "weights-split" in wanted:
        _weights(form, tally, fa, ctx, out)
    if ctx.wants(_TOTAL_CODES):
        _total(form, fa, tally, ctx, out)
    return out


def _rows(form: Form, rows: list[IndicatorRow], weights: list[float | None], ctx: Context,
          out: list[Finding]) -> None:
    has_actual = "actual" in form.columns or any("actual" in i.cells for i in rows)
    has_reason = "reason" in form.columns or any("reason" in i.cells for i in rows)
    scored = {si.ind.row: si for si in scored_indicators(form, ctx.settings)} if has_actual else {}
    wanted = ctx.wanted
    actual_missing = has_actual and "actual-missing" in wanted
    scores = ctx.wants(("actual-unparseable", "score-over-weight", "score-mismatch"))
    reasons = has_reason and "reason-missing" in wanted
    tol = ctx.settings.tolerance
    for ind, weight in zip(rows, weights):
        si = scored.get(ind.row) if scored else None
        printed = _number(ind.cells.get("score"), ind, "score")
        if actual_missing:
            _actual(ind, ctx, out)
        # Without a computed score, only a printed score against the 分值 can raise a finding:
        # most rows need neither call.
        if si is None and (weight is None or printed is None):
            continue
        if scores and (si is not None or printed > weight + 1e-9):
            _score(ind, si, weight, printed, ctx, out)
        if reasons and (si is not None or printed < weight - tol):
            _reason(ind, si, weight, printed, ctx, out)


def _number(cell: Cell | None, ind: IndicatorRow | None = None, name: str = "") -> float | None:
    if cell is None or (ind is not None and name in ind.inherited):
        return None
    value = cell.value
    if type(value) is float:
        return value if math.isfinite(value) else None  # the reader's numbers: to_number's answer, sooner
    if isinstance(value, CellError):
        return None
    return to_number(value)


def _actual(ind: IndicatorRow, ctx: Context, out: list[Finding]) -> None:
    cells = ind.cells
    cell = cells.get("actual")
    if cell is None or isinstance(cell.value, CellError):
        return
    if cell.text and not is_dash(cell):
        return
    target = cells.get("target")
    has_target = not (target is None or not target.text)
    if has_target or _number(cells.get("weight")) is not None:
        out.append(ctx.finding("actual-missing", cell, name=ind.text("level3")))


def _score(ind: IndicatorRow, si: ScoredIndicator | None, weight: float | None, printed: float | None,
           ctx: Context, out: list[Finding]) -> None:
    cells = ind.cells
    if si is not None and not si.score.comparable and ctx.target(ind).kind is ValueKind.QUANTITY:
        out.append(ctx.finding("actual-unparseable", cells.get("actual"), actual=ind.text("actual"),
                               target=ind.text("target")))
    if printed is None:
        return
    cell = cells.get("score")
    if weight is not None and printed > weight + 1e-9:
        out.append(ctx.finding("score-over-weight", cell, score=cell.text, weight=_fmt(weight)))
    if si is None or si.score.low is None or si.score.accepts(printed, ctx.settings.tolerance):
        return
    s = si.score
    expected = _fmt(s.value) if s.value is not None else f"{_fmt(s.low)}–{_fmt(s.high)}"
    out.append(ctx.finding("score-mismatch", cell, expected=expected, printed=cell.text, rule=s.rule))


def _reason(ind: IndicatorRow, si: ScoredIndicator | None, weight: float | None, printed: float | None,
            ctx: Context, out: list[Finding]) -> None:
    cell = ind.cells.get("reason")
    if cell is None or "reason" in ind.inherited or isinstance(cell.value, CellError):
        return
    text = cell.text
    if text and text.strip(" 。.") not in _NO_REASON and not is_dash(cell):
        return
    why = None
    if weight is not None and printed is not None and printed < weight - ctx.settings.tolerance:
        why = f"得分 {_fmt(printed)} 低于分值 {_fmt(weight)}"
    elif si is not None and si.cmp.sense == "positive" and si.cmp.a and si.cmp.a > 0 \
            and si.cmp.b / si.cmp.a > ctx.settings.over_achievement:
        why = (f"实际完成值 {si.cmp.b:g} 是目标值 {si.cmp.a:g} 的 {si.cmp.b / si.cmp.a:.2f} 倍"
               f"（超过 {ctx.settings.over_achievement:g} 倍，目标可能设置偏低）")
    if why:
        out.append(ctx.finding("reason-missing", cell, why=why, reason="为空" if not text else f"填写为“{text}”"))


def _tally_weights(rows: list[IndicatorRow], weights: list[float | None], tally: Tally) -> None:
    per_level1 = tally.per_level1
    canonical_level1 = _level1
    for ind, w in zip(rows, weights):
        if w is None:
            continue
        row_cells = ind.cells
        if tally.first_weight is None:
            cell = row_cells["weight"]
            tally.first_weight = (cell.row, cell.col)
        c1 = row_cells.get("level1")
        key = canonical_level1("" if c1 is None else c1.text)
        group = per_level1.get(key)
        if group is None:
            per_level1[key] = [w]
        else:
            group.append(w)


def _weights(form: Form, tally: Tally, fa, ctx: Context, out: list[Finding]) -> None:
    """D14: 分值 of the execution row and the indicators against the weight template."""
    if tally.first_weight is None:
        return
    per_level1 = {key: exact_sum(weights) for key, weights in tally.per_level1.items()}
    execution = exact_sum(w for w, _ in fa.weights.values()) if fa is not None and fa.weights else None
    indicators = exact_sum(per_level1.values())
    tpl = ctx.settings.template
    total = (execution or 0.0) + indicators
    tol = ctx.settings.tolerance
    first_row, first_col = tally.first_weight
    anchor_col = form.columns.get("weight", first_col)
    anchor_row = form.header_row or first_row
    # With no execution row, indicators alone may carry all 100 (原州) or 100 − execution (四川 90).
    allowed = [tpl["total"]] if execution is not None else [tpl["total"], tpl["total"] - tpl["execution"]]
    if all(abs(total - a) > tol for a in allowed):
        parts = f"（预算执行率 {_fmt(execution)} + 绩效指标 {_fmt(indicators)}）" if execution is not None else "（绩效指标）"
        out.append(ctx.finding("weights-sum", None, row=anchor_row, col=anchor_col, expected=_fmt(allowed[0]),
                               total=_fmt(total) + parts, template=tpl["label"]))
    level1 = tpl.get("level1")
    if not level1:
        return
    expected = [tpl["execution"], *level1.values()]
    actual = [execution, *(per_level1.get(k, 0.0) for k in level1)]
    extra = {k: v for k, v in per_level1.items() if k not in level1}
    if extra or any(a is None or abs(a - e) > tol for a, e in zip(actual, expected)):
        text = "/".join("—" if a is None else _fmt(a) for a in actual)
        text += "".join(f"+{k or '未分类'}{_fmt(v)}" for k, v in extra.items())
        out.append(ctx.finding("weights-split", None, row=anchor_row, col=anchor_col,
                               expected="/".join(_fmt(e) for e in expected), actual=text, template=tpl["label"]))


def _total(form: Form, fa, tally: Tally, ctx: Context, out: list[Finding]) -> None:
    cell, g = form.total_score, form.grade
    for c, field in ((cell, "总分"), (g, "评价等级")):
        if c is not None and c.is_error:
            out.append(ctx.finding("cell-error", c, value=c.value, field=field))
    if cell is None and g is None:
        return
    # What score_parts adds up: the execution row's 得分, and the rows' (tallied part by part).
    cells = fund_score_cells(fa) if fa is not None else []
    if cell is not None and cell.is_error or tally.part_error or any(c.is_error for c in cells):
        return  # a total over an error value cannot be judged; the error is reported at its cell
    parts = [n for n in (_number(c) for c in cells) if n is not None] + tally.parts
    total = None
    printed = _number(cell)
    if parts:
        total = excel_round(exact_sum(parts), 2)
        if printed is not None and abs(printed - total) > ctx.settings.tolerance + 1e-9:
            out.append(ctx.finding("total-score-mismatch", cell, expected=_fmt(total), printed=cell.text))
    score = printed if printed is not None else total
    if g is None or g.is_blank or g.is_error or score is None:
        return
    right = grade(score)
    if grade_of_text(g.text) != right:
        out.append(ctx.finding("grade-mismatch", g, expected=right, printed=g.text, score=_fmt(score)))
