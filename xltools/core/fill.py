"""Fill planning: the right 执行率, totals, scores and grade of a form, as cell edits.

``analyse_funds`` and ``scored_indicators`` compute what a form's numbers should be; the
budget and scores rule families judge printed values against them, and ``plan_fill`` turns
them into ``CellEdit``s. With ``formulas=True`` each edit carries a live Excel formula whose
cached ``value`` is what Excel or LibreOffice compute from it: cells holding real numbers
are referenced, while text ("11,789.83", "≥95%") is written into the formula as a literal,
because SUM and comparisons ignore or mis-read text.
"""
from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal
from dataclasses import dataclass, field

from .edits import CellEdit
from .form import Cell, CellError, Form, FundRow, IndicatorRow
from .numbers import exact_sum, excel_round, to_number
from .taxonomy import is_category_name
from .scoring import (Comparison, Score, compare_values, execution_rate, grade_of_text, rate_score,
                      score_comparison)

__all__ = ["plan_fill", "analyse_funds", "FundAnalysis", "scored_indicators", "ScoredIndicator",
           "is_dash", "is_misaligned", "header_weight", "rate_agrees", "score_parts", "fund_score_cells",
           "indicator_score_cells", "AMOUNT_FIELDS", "AMOUNT_TOLERANCE"]

AMOUNT_FIELDS = ("initial_budget", "annual_budget", "execution")
# Amounts are printed to 2 decimals; a sum of such amounts is exact to half a cent.
AMOUNT_TOLERANCE = 0.005
RATE_FORMAT = "0.00%"
AMOUNT_FORMAT = "#,##0.00"
_DASHES = {"-", "—", "–", "/", "－", "——", "／", "\\", "--", "…"}


def is_dash(cell: Cell | None) -> bool:
    """True for a cell holding only a dash or slash: "not applicable" on 其中 rows."""
    return cell is not None and isinstance(cell.value, str) and cell.value.strip() in _DASHES


def _is_empty(cell: Cell | None) -> bool:
    return cell is None or cell.is_blank or is_dash(cell)


# Excel's limits: a formula of at most 8,192 characters, a function of at most 255 arguments. A
# formula past them makes Excel refuse the whole file ("We found a problem with some content").
MAX_FORMULA_CHARS = 8192
MAX_FUNCTION_ARGS = 255


def _real_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def is_misaligned(ind: IndicatorRow) -> bool:
    """A 一级/二级 category name in the 三级 column (D5): the layout family reports it; skip it."""
    return is_category_name(ind.text("level3"))


# --- the fund block --------------------------------------------------------------------------


_HEADER_WEIGHT = re.compile(r"(\d+(?:\.\d+)?)分")


def header_weight(form: Form) -> float | None:
    """The execution weight written in a header: "分值(10分)", "得分(20分*执行率)"."""
    for key in ("weight", "score", "rate"):
        m = _HEADER_WEIGHT.search(form.fund_labels.get(key, ""))
        if m:
            return float(m.group(1))
    return None


@dataclass
class FundAnalysis:
    """What the numbers of a form's 项目资金 block should be.

    Attributes:
        budget_field: "annual_budget" (全年/调整后预算数), or "initial_budget" when the form has
            no adjusted-budget column.
        groups: (total row, its 其中 rows) pairs.
        sums: (row, field) → (Σ of the 其中 amounts, the 其中 cells that hold them) for each
            total row and amount column where some 其中 row holds a number.
        amounts: (row, field) → the amount as it should be: the printed number, except on a
            total row whose printed number is missing or disagrees with its sum; absent when
            neither exists.
        rates: row → 执行率 from ``amounts`` (None when the budget is 0/blank).
        scored: the rows that carry the execution 分值/得分 (the total rows, or a lone row).
        weights: row → (分值, the weight cell when the value came from it).
        scores: row → the execution score from ``rates`` and ``weights``.
        errors: cells holding a formula error, with their field name.
    """

    budget_field: str
    groups: list[tuple[FundRow, list[FundRow]]] = field(default_factory=list)
    sums: dict[tuple[int, str], tuple[float, list[Cell]]] = field(default_factory=dict)
    amounts: dict[tuple[int, str], float] = field(default_factory=dict)
    rates: dict[int, float | None] = field(default_factory=dict)
    scored: list[FundRow] = field(default_factory=list)
    weights: dict[int, tuple[float, Cell | None]] = field(default_factory=dict)
    scores: dict[int, float] = field(default_factory=dict)
    errors: list[tuple[Cell, str]] = field(default_factory=list)


def _groups(funds: list[FundRow]) -> list[tuple[FundRow, list[FundRow]]]:
    """Totals and their 其中 rows: a total leads its rows when the block starts with one
    (年度资金总额 / 其中 …), otherwise it closes them (其中 … / 合计, seed 003)."""
    if not any(f.is_total for f in funds):
        return []
    groups: list[tuple[FundRow, list[FundRow]]] = []
    if funds[0].is_total:
        for f in funds:
            if f.is_total:
                groups.append((f, []))
            else:
                groups[-1][1].append(f)
    else:
        pending: list[FundRow] = []
        for f in funds:
            if f.is_total:
                groups.append((f, pending))
                pending = []
            else:
                pending.append(f)
    return groups


def analyse_funds(form: Form) -> FundAnalysis:
    """Compute the right amounts, rates and execution scores of ``form.funds``."""
    funds = form.funds
    has_annual = any("annual_budget" in f.cells for f in funds)
    fa = FundAnalysis("annual_budget" if has_annual else "initial_budget")
    fa.groups = _groups(funds)
    for f in funds:
        for name, cell in f.cells.items():
            if cell.is_error:
                fa.errors.append((cell, name))
    for f in funds:
        for name in AMOUNT_FIELDS:
            cell = f.get(name)
            if cell is not None and not cell.is_error:
                n = to_number(cell.value)
                if n is not None:
                    fa.amounts[(f.row, name)] = n
    for total, parts in fa.groups:
        for name in AMOUNT_FIELDS:
            if total.get(name) is None or total.get(name).is_error:
                continue
            cells = [p.get(name) for p in parts if p.get(name) is not None]
            if any(c.is_error for c in cells):
                continue
            numbered = [c for c in cells if to_number(c.value) is not None]
            if not numbered:
                continue
            s = exact_sum(to_number(c.value) for c in numbered)
            fa.sums[(total.row, name)] = (s, numbered)
            printed = fa.amounts.get((total.row, name))
            if printed is None or abs(printed - s) > AMOUNT_TOLERANCE:
                fa.amounts[(total.row, name)] = s  # a printed total that agrees stands as printed
    for f in funds:
        b = fa.amounts.get((f.row, fa.budget_field))
        e = fa.amounts.get((f.row, "execution"))
        fa.rates[f.row] = execution_rate(e, b)
    if fa.groups:
        fa.scored = [t for t, _ in fa.groups]
    elif len(funds) == 1:
        fa.scored = list(funds)
    else:
        fa.scored = [f for f in funds if to_number(_value(f.get("weight"))) is not None]
    fallback = header_weight(form)
    for f in fa.scored:
        cell = f.get("weight")
        w = to_number(_value(cell))
        if w is not None:
            fa.weights[f.row] = (w, cell)
        elif fallback is not None:
            fa.weights[f.row] = (fallback, None)
        rate = fa.rates.get(f.row)
        if f.row in fa.weights and rate is not None:
            fa.scores[f.row] = rate_score(rate, fa.weights[f.row][0])
    return fa


def _value(cell: Cell | None) -> object:
    return None if cell is None or cell.is_error else cell.value


# --- indicators ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoredIndicator:
    """One indicator row with the rule's score. ``cmp`` is the target/actual comparison."""

    ind: IndicatorRow
    cmp: Comparison
    score: Score
    weight: float | None


def scored_indicators(form: Form, settings) -> list[ScoredIndicator]:
    """The rule's score of every indicator row that has an actual (self-evaluation forms).

    Misaligned rows (a category name in the 三级 column) and rows without a 三级 name are skipped.
    """
    out: list[ScoredIndicator] = []
    for ind in form.indicators:
        if not ind.text("level3") or is_misaligned(ind) or "actual" not in ind.cells:
            continue
        actual = ind.get("actual")
        if actual.is_blank or actual.is_error:
            continue
        target = ind.get("target")
        if target is None or target.is_error:
            continue
        cmp = compare_values(target.value, actual.value, direction=ind.text("direction") or None,
                             nature=ind.text("nature") or None)
        w = to_number(_value(ind.get("weight")))
        out.append(ScoredIndicator(ind, cmp, score_comparison(cmp, w, reverse_rule=settings.reverse_rule), w))
    return out


def score_parts(form: Form, fa: FundAnalysis | None = None) -> list[Cell]:
    """The 得分 cells a total score adds up: the execution score, then every indicator's."""
    return fund_score_cells(fa or analyse_funds(form)) + indicator_score_cells(form.indicators)


def fund_score_cells(fa: FundAnalysis) -> list[Cell]:
    """The execution score cells (得分) of the funds block a total score adds up."""
    return [f.get("score") for f in fa.scored if f.get("score") is not None]


def indicator_score_cells(rows: list[IndicatorRow]) -> list[Cell]:
    """The 得分 cells of the indicator ``rows`` that a total score adds up."""
    return [ind.get("score") for ind in rows
            if ind.get("score") is not None and ind.text("level3") and not is_misaligned(ind)
            and "score" not in ind.inherited]


# --- formulas --------------------------------------------------------------------------------


def _literal(x: float) -> str:
    if abs(x) < 1e15 and x == int(x):
        return str(int(x))
    r = repr(float(x))
    return r.upper() if "e" in r else r


class _Book:
    """The form's cells as they will be after the planned edits: what formulas may reference."""

    def __init__(self, form: Form):
        self.sheet = form.sheet
        self.planned: dict[tuple[int, int], object] = {}

    def value(self, cell: Cell) -> object:
        return self.planned.get((cell.row, cell.col), cell.value)

    def term(self, cell: Cell | None, value: float, factor: float = 1.0) -> str:
        """A reference to ``cell`` when it holds the real number ``value``/``factor``, else a literal."""
        if cell is not None:
            v = self.value(cell)
            if _real_number(v) and (float(v) * factor if factor != 1.0 else float(v)) == value:
                return cell.address if factor == 1.0 else f"({cell.address}*{_literal(factor)})"
        return _literal(value)

    def sum_terms(self, cells: list[Cell]) -> str | None:
        """SUM arguments: runs of cells directly below each other as ranges, numbers stored as
        text as literals (SUM skips text in a range); None past Excel's 255 arguments.

        A blank cell, or a text that is no number, adds 0 in a range as in the total worked out
        here, so it stays in its run: a long form's scores then make one range, not one argument
        per run between its unscored rows (2,000 rows made 334 arguments, which Excel refuses).
        """
        refs: list[Cell] = []
        literals: list[str] = []
        for c in cells:
            v = self.value(c)
            number = None if _real_number(v) else to_number(v)
            if number is None:
                refs.append(c)
            else:
                literals.append(_literal(number))
        parts: list[str] = []
        i = 0  # runs of cells directly below each other, in the given order, become ranges
        while i < len(refs):
            j = i
            while j + 1 < len(refs) and refs[j + 1].col == refs[i].col and refs[j + 1].row == refs[j].row + 1:
                j += 1
            parts.append(refs[i].address if i == j else f"{refs[i].address}:{refs[j].address}")
            i = j + 1
        if len(parts) + len(literals) > MAX_FUNCTION_ARGS:
            return None
        return ",".join(parts + literals) or "0"


def _indicator_formula(book: _Book, si: ScoredIndicator, reverse_rule: str) -> str | None:
    cmp, ind = si.cmp, si.ind
    W = book.term(ind.get("weight"), si.weight)
    if cmp.sense == "qualitative":
        return f"ROUND({W},2)"
    A = book.term(ind.get("target"), cmp.a, cmp.a_factor)
    B = book.term(ind.get("actual"), cmp.b, cmp.b_factor)
    positive = f"IF({B}>={A},{W},IF({A}>0,MAX(0,{W}*{B}/{A}),0))"
    if cmp.sense == "positive":
        body = positive
    elif cmp.sense == "reverse":
        if reverse_rule == "linear":
            body = f"IF({B}<={A},{W},IF(AND({A}>0,{B}<2*{A}),{W}*(1-({B}-{A})/{A}),0))"
        else:
            body = f"IF({B}<={A},{W},IF({A}>0,{W}*{A}/{B},0))"
    else:
        zero = f"IF({B}<=0,{W},0)"
        body = zero if A == "0" else f"IF({A}=0,{zero},{positive})"
    return f"ROUND({body},2)"


# --- planning --------------------------------------------------------------------------------


def rate_agrees(printed: object, rate: float, tolerance: float, label: str = "") -> bool:
    """Whether a printed 执行率 shows ``rate`` within ``tolerance`` percentage points.

    Accepts fractions (0.9986), percent text ("99.86%"), and percent numbers (99.86) in a
    column headed "(%)" or above 2. Text printed with fewer decimals is allowed its own
    rounding: "50%" agrees with 49.88%.
    """
    n = to_number(printed)
    if n is None:
        return False
    tol = tolerance
    if isinstance(printed, str) and "%" in printed:
        digits = printed.strip().rstrip("%％ ").partition(".")[2]
        tol = max(tol, 0.5 * 10 ** -len(digits))
    candidates = [n]
    if not (isinstance(printed, str) and "%" in printed) and ("%" in label or n > 2):
        candidates.append(n / 100)
    return any(abs(c - rate) * 100 <= tol + 1e-9 for c in candidates)


def _cached(value):
    """A formula's value as LibreOffice writes it back: 15 significant digits, rounded half-up
    from the shortest round-trip form (measured on 3,000 quotients: 3,000 agree; Python's
    ``f"{x:.15g}"`` agrees on 2,910). The cache we write is then exactly the recalculated one."""
    if not isinstance(value, float) or value == 0 or not math.isfinite(value):
        return value
    d = Decimal(repr(value))
    return float(d.quantize(Decimal(1).scaleb(d.adjusted() - 14), rounding=ROUND_HALF_UP))


def _grade_raw(x: float) -> str:
    # the cached value of the grade formula below: it compares the total cell as it is
    return "优" if x >= 90 else "良" if x >= 80 else "中" if x >= 60 else "差"


def _is_wrong(printed: object, right: float, tol: float) -> bool:
    n = to_number(printed)
    return n is None or abs(n - right) > tol + 1e-9


def plan_fill(form: Form, settings, *, overwrite: bool = False, formulas: bool = False) -> list[CellEdit]:
    """The edits that complete a form's computed cells.

    Computes 执行率 per fund row, 合计 per amount column from its 其中 rows, the execution
    score (total row), indicator scores (self-evaluation forms with actual, weight and score
    columns), the total score and the grade.

    Args:
        form: a located form.
        settings: xltools.settings.Settings (reverse_rule, tolerance).
        overwrite: also correct cells whose printed value is wrong beyond the tolerance
            (amounts: half a cent; rates: ``settings.tolerance`` percentage points; scores:
            ``settings.tolerance``). Without it only blank (or "-") cells are written.
        formulas: write live Excel formulas (no leading "=") with the correct cached value.

    Returns:
        CellEdits in form order; at most one per cell.
    """
    tol = settings.tolerance
    book = _Book(form)
    edits: list[CellEdit] = []

    def wanted(cell: Cell | None, right: float, tolerance: float) -> bool:
        if cell is None or cell.is_error and not overwrite:
            return False
        if _is_empty(cell):
            return True
        return overwrite and (cell.is_error or _is_wrong(cell.value, right, tolerance))

    def emit(cell: Cell, value, formula: str | None, fmt: str | None, reason: str) -> None:
        if type(value) is float and not math.isfinite(value):
            return  # a sum past the largest number: Excel would show #NUM!, and a cell cannot hold it
        if formula is not None and len(formula) > MAX_FORMULA_CHARS:
            formula = None  # Excel refuses the file: the value alone is written
        book.planned[(cell.row, cell.col)] = value  # full precision: later formulas compute from it
        edits.append(CellEdit(form.sheet, cell.row, cell.col, _cached(value), formula if formulas else None, fmt,
                              reason))

    fa = analyse_funds(form)
    # 1. totals from their 其中 rows
    for total, _ in fa.groups:
        for name in AMOUNT_FIELDS:
            hit = fa.sums.get((total.row, name))
            cell = total.get(name)
            if hit is None or not wanted(cell, hit[0], AMOUNT_TOLERANCE):
                continue
            terms = book.sum_terms(hit[1])
            emit(cell, hit[0], None if terms is None else f"SUM({terms})", AMOUNT_FORMAT, "合计=其中各项之和")
    # 2. 执行率 per row, from the (corrected) amounts
    for f in form.funds:
        rate, cell = fa.rates.get(f.row), f.get("rate")
        if rate is None or cell is None or cell.is_error and not overwrite:
            continue
        if not _is_empty(cell) and (not overwrite or rate_agrees(cell.value, rate, tol, form.fund_labels.get("rate", ""))):
            continue
        b_cell, e_cell = f.get(fa.budget_field), f.get("execution")
        b = book.term(b_cell, fa.amounts[(f.row, fa.budget_field)])
        e = book.term(e_cell, fa.amounts[(f.row, "execution")])
        formula = f'IF(N({b})=0,"",{e}/{b})' if b_cell is not None and b == b_cell.address else f"{e}/{b}"
        emit(cell, rate, formula, RATE_FORMAT, "执行率=全年执行数/全年预算数")
    # 3. the execution score
    for f in fa.scored:
        score, cell = fa.scores.get(f.row), f.get("score")
        if score is None or not wanted(cell, score, tol):
            continue
        rate_cell = f.get("rate")
        rate = fa.rates[f.row]
        if rate_cell is not None and _real_number(book.value(rate_cell)) and float(book.value(rate_cell)) == rate:
            r = rate_cell.address
        else:
            r = (f"{book.term(f.get('execution'), fa.amounts[(f.row, 'execution')])}"
                 f"/{book.term(f.get(fa.budget_field), fa.amounts[(f.row, fa.budget_field)])}")
        w_value, w_cell = fa.weights[f.row]
        w = book.term(w_cell, w_value)
        emit(cell, score, f"ROUND(MAX(0,MIN({r},1))*{w},2)", None, "执行率得分=min(执行率,100%)×分值")
    # 4. indicator scores
    if form.is_selfeval or any("actual" in i.cells for i in form.indicators):
        for si in scored_indicators(form, settings):
            cell = si.ind.get("score")
            if cell is None or si.score.value is None or "score" in si.ind.inherited:
                continue
            if _is_empty(cell):
                pass
            elif not overwrite:
                continue
            else:
                printed = to_number(cell.value)
                if printed is not None and si.score.accepts(printed, tol):
                    continue
            emit(cell, si.score.value, _indicator_formula(book, si, settings.reverse_rule), None,
                 f"指标得分：{si.score.rule}")
    # 5. total score and grade
    total_value = None
    if form.total_score is not None:
        parts = score_parts(form, fa)
        values = [book.value(c) for c in parts]
        nums = [n for n in map(to_number, values) if n is not None]
        if nums and not any(isinstance(v, CellError) for v in values):  # SUM over an error is an error
            total_value = excel_round(exact_sum(nums), 2)
        if total_value is not None and not math.isfinite(total_value):
            total_value = None  # a sum past the largest number (Excel: #NUM!): nothing to write or grade
        if total_value is not None:
            cell = form.total_score
            if wanted(cell, total_value, tol):
                terms = book.sum_terms(parts)
                emit(cell, total_value, None if terms is None else f"ROUND(SUM({terms}),2)", None, "总分=各项得分之和")
            elif not _is_empty(cell) and to_number(cell.value) is not None:
                total_value = to_number(cell.value)  # a printed total within tolerance stands
    if form.grade is not None and total_value is not None:
        right = _grade_raw(total_value)
        cell = form.grade
        if _is_empty(cell) or (overwrite and grade_of_text(cell.value) != right):
            x = book.term(form.total_score, total_value)
            emit(cell, right, f'IF({x}>=90,"优",IF({x}>=80,"良",IF({x}>=60,"中","差")))', None,
                 "等级按总分：优≥90、良≥80、中≥60、差<60")
    return edits


