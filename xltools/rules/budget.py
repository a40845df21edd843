"""Rules: budget family — the 项目资金 block (执行率, totals, execution score) and 资金支出计划."""
from __future__ import annotations

from typing import Iterator

from ..core.fill import AMOUNT_FIELDS, AMOUNT_TOLERANCE, FundAnalysis, analyse_funds, is_dash, rate_agrees
from ..core.findings import Finding
from ..core.form import FIELD_ZH, Cell, Form, FundRow
from ..core.numbers import fmt_number, fmt_percent, to_number
from .context import Context

CODES: tuple[str, ...] = (
    "cell-error", "execution-rate-missing", "execution-rate-mismatch", "execution-over-budget", "total-mismatch",
    "execution-score-mismatch", "subrow-scored", "plan-not-cumulative", "plan-not-complete",
)

_BUDGET_ZH = {"annual_budget": "全年预算数", "initial_budget": "年初预算数"}


def check(form: Form, ctx: Context) -> Iterator[Finding]:
    if form.funds:
        fa = analyse_funds(form)
        yield from _cell_errors(fa, ctx)
        yield from _totals(form, fa, ctx)
        yield from _rates(form, fa, ctx)
        yield from _over_budget(form, fa, ctx)
        yield from _execution_scores(fa, ctx)
        yield from _subrows(form, fa, ctx)
    if form.plan is not None:
        yield from _plan(form, ctx)


def _label(f: FundRow) -> str:
    return f.label.text if f.label is not None else "资金"


def _shown(cell: Cell) -> str:
    if isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
        return fmt_number(float(cell.value))
    return "（空）" if cell.is_blank else cell.text


def _cell_errors(fa: FundAnalysis, ctx: Context) -> Iterator[Finding]:
    for cell, name in fa.errors:
        yield ctx.finding("cell-error", cell, value=cell.value, field=FIELD_ZH.get(name, name))


def _totals(form: Form, fa: FundAnalysis, ctx: Context) -> Iterator[Finding]:
    for total, _ in fa.groups:
        for name in AMOUNT_FIELDS:
            hit = fa.sums.get((total.row, name))
            cell = total.get(name)
            if hit is None or cell is None:
                continue
            printed = to_number(cell.value)
            if printed is not None and abs(printed - hit[0]) <= AMOUNT_TOLERANCE + 1e-9:
                continue
            column = form.fund_labels.get(name) or FIELD_ZH[name]
            yield ctx.finding("total-mismatch", cell, expected=fmt_number(hit[0]), label=_label(total),
                              column=column, printed=_shown(cell))


def _rates(form: Form, fa: FundAnalysis, ctx: Context) -> Iterator[Finding]:
    """执行率 judged against the row's own printed amounts: a wrong total is reported once, as
    total-mismatch, not again through its rate."""
    label = form.fund_labels.get("rate", "")
    for f in form.funds:
        cell = f.get("rate")
        if cell is None or cell.is_error:
            continue
        b_cell, e_cell = f.get(fa.budget_field), f.get("execution")
        b = to_number(None if b_cell is None or b_cell.is_error else b_cell.value)
        e = to_number(None if e_cell is None or e_cell.is_error else e_cell.value)
        if not b or e is None:
            continue
        rate = e / b
        if cell.is_blank or is_dash(cell):
            yield ctx.finding("execution-rate-missing", cell, expected=fmt_percent(rate))
        elif not rate_agrees(cell.value, rate, ctx.settings.tolerance, label):
            yield ctx.finding("execution-rate-mismatch", cell, expected=fmt_percent(rate),
                              printed=_printed_rate(cell), execution=fmt_number(e), budget=fmt_number(b))


def _printed_rate(cell: Cell) -> str:
    if isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
        return fmt_percent(float(cell.value))
    return cell.text


def _over_budget(form: Form, fa: FundAnalysis, ctx: Context) -> Iterator[Finding]:
    """D8: spending above the adjusted budget, or a rate taken on 年初预算数."""
    rate_label = form.fund_labels.get("rate", "")
    initial_label = form.fund_labels.get("initial_budget", "")
    annual_label = form.fund_labels.get("annual_budget", "")
    # "年初预算数(A) … 执行率(B/A)": the header itself defines the rate on the initial budget.
    on_initial = "年初" in rate_label or ("(A)" in initial_label and "(A)" not in annual_label
                                         and "B/A" in rate_label.upper())
    if on_initial:
        rate_cells = [f.get("rate") for f in form.funds if f.get("rate") is not None]
        col = rate_cells[0].col if rate_cells else 1
        row = form.fund_header_row or (form.funds[0].row if form.funds else form.first_row)
        yield ctx.finding("execution-over-budget", None, row=row, col=col,
                          detail=f"执行率表头“{rate_label or initial_label}”按年初预算数计算；"
                                 "执行率应为 全年执行数/全年（调整后）预算数")
    for f in form.funds:
        e_cell, b_cell = f.get("execution"), f.get("annual_budget")
        e = _number(e_cell)
        b = _number(b_cell)
        if e is not None and b is not None and e > b + AMOUNT_TOLERANCE:
            yield ctx.finding("execution-over-budget", e_cell,
                              detail=f"“{_label(f)}”全年执行数 {fmt_number(e)} 超过全年预算数 {fmt_number(b)}"
                                     f"（执行率 {fmt_percent(e / b) if b else '—'}）")
            continue
        # A printed rate that is execution / 年初预算数 rather than / 全年预算数.
        r_cell, i_cell = f.get("rate"), f.get("initial_budget")
        i = _number(i_cell)
        if on_initial or r_cell is None or r_cell.is_error or e is None or not b or not i or abs(i - b) <= AMOUNT_TOLERANCE:
            continue
        tol = ctx.settings.tolerance
        if rate_agrees(r_cell.value, e / i, tol, "") and not rate_agrees(r_cell.value, e / b, tol, ""):
            yield ctx.finding("execution-over-budget", r_cell,
                              detail=f"“{_label(f)}”执行率 {_printed_rate(r_cell)} 是按年初预算数 {fmt_number(i)} "
                                     f"计算的，应按全年（调整后）预算数 {fmt_number(b)} 计算为 {fmt_percent(e / b)}")


def _number(cell: Cell | None) -> float | None:
    return None if cell is None or cell.is_error else to_number(cell.value)


def _execution_scores(fa: FundAnalysis, ctx: Context) -> Iterator[Finding]:
    for f in fa.scored:
        cell = f.get("score")
        right = fa.scores.get(f.row)
        if cell is None or cell.is_error or right is None:
            continue
        printed = to_number(cell.value)
        if printed is None or abs(printed - right) <= ctx.settings.tolerance + 1e-9:
            continue
        yield ctx.finding("execution-score-mismatch", cell, expected=fmt_number(right, thousands=False),
                          printed=cell.text)


def _subrows(form: Form, fa: FundAnalysis, ctx: Context) -> Iterator[Finding]:
    if not fa.groups:
        return
    scored = {f.row for f in fa.scored}
    for f in form.funds:
        if f.row in scored:
            continue
        for name in ("weight", "score"):
            cell = f.get(name)
            if cell is None or cell.is_error:
                continue
            if to_number(cell.value) is not None:
                yield ctx.finding("subrow-scored", cell, label=_label(f), column=FIELD_ZH[name])


def _plan(form: Form, ctx: Context) -> Iterator[Finding]:
    """D11: 资金支出计划 percentages are cumulative and end at 100% (blanks before the first
    filled quarter are fine)."""
    quarters = form.plan.quarters
    if not quarters:
        return
    for _, cell in quarters:
        if cell.is_error:
            yield ctx.finding("cell-error", cell, value=cell.value, field="资金支出计划")
    typed_percent = [isinstance(c.value, str) and "%" in c.value for _, c in quarters]
    raw = [None if c.is_error else to_number(c.value) for _, c in quarters]
    # Plain numbers above 1 are percents typed without the sign (25, 50, 100); else fractions.
    scale = 100.0 if any(v is not None and v > 1.0 + 1e-9 and not p for v, p in zip(raw, typed_percent)) else 1.0
    values: list[tuple[str, Cell, float | None]] = [
        (label, cell, None if v is None else v if p else v / scale)
        for (label, cell), v, p in zip(quarters, raw, typed_percent)]
    started = False
    prev: tuple[str, Cell, float] | None = None
    tol = ctx.settings.tolerance / 100
    for label, cell, v in values[:-1] if len(values) > 1 else []:
        if v is None:
            if started and not is_dash(cell) and prev is not None:
                yield ctx.finding("plan-not-cumulative", cell, later=label, later_value="空白",
                                  earlier=prev[0], earlier_value=_pct(prev[2]))
            continue
        started = True
        if prev is not None and v < prev[2] - tol:
            yield ctx.finding("plan-not-cumulative", cell, later=label, later_value=_pct(v),
                              earlier=prev[0], earlier_value=_pct(prev[2]))
        prev = (label, cell, v)
    label, cell, v = values[-1]
    if v is not None and prev is not None and v < prev[2] - tol:
        yield ctx.finding("plan-not-cumulative", cell, later=label, later_value=_pct(v),
                          earlier=prev[0], earlier_value=_pct(prev[2]))
    if v is None or abs(v - 1.0) > tol:
        yield ctx.finding("plan-not-complete", cell, expected="100%", value="空白" if v is None else _pct(v))


def _pct(fraction: float) -> str:
    text = fmt_percent(fraction)
    return text.replace(".00%", "%")
