"""The worksheet functions (XLT_*): thin xlwings UDFs over the core, in the wizard's "xltools" category.

Each function takes what Excel really passes — floats for integers, None for blank cells,
error values (as "#N/A" text), text with stray spaces, 2-D lists for ranges — and never
raises into Excel: bad input gives an Excel error value ("#VALUE!", turned into the real
error by the VBA wrapper) or a Chinese message. The scalar functions also accept ranges and
then spill one result per cell, as Excel's own functions do.

Excel loads this module through the add-in; nothing else in xltools imports it. Off Windows
the xlwings decorators do nothing and the functions are plain Python (the tests use that).
"""
from __future__ import annotations

import math
from functools import lru_cache
from typing import Any, Callable

import xlwings as xw

from ..core.findings import Severity
from ..core.grid import Grid
from ..core.notation import ValueKind, normalise_text, parse_value
from ..core.numbers import to_number
from ..core.scoring import execution_rate, execution_score, grade, indicator_score
from ..settings import DEFAULT
from .udf_specs import BY_NAME, CATEGORY

__all__ = ["XLT_EXECRATE", "XLT_EXECSCORE", "XLT_PARSE", "XLT_NORMALIZE", "XLT_SCORE", "XLT_GRADE",
           "XLT_CHECKROW", "XLT_VALIDATE", "ERRORS"]

ERRORS = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
                    "#SPILL!", "#CALC!"})
# Excel's error values as COM hands them over when no conversion asked for text.
_COM_ERRORS = {-2146826281: "#DIV/0!", -2146826246: "#N/A", -2146826259: "#NAME?", -2146826288: "#NULL!",
               -2146826252: "#NUM!", -2146826265: "#REF!", -2146826273: "#VALUE!"}
VALUE = "#VALUE!"
KIND_ZH = {ValueKind.QUANTITY: "定量", ValueKind.QUALITATIVE: "定性", ValueKind.DATE: "时间",
           ValueKind.PLACEHOLDER: "占位符", ValueKind.EMPTY: "空", ValueKind.UNKNOWN: "无法识别"}
REVERSE_RULES = {"": "ratio", "ratio": "ratio", "比值": "ratio", "a/b": "ratio", "比例": "ratio",
                 "linear": "linear", "线性": "linear", "线性扣分": "linear"}
VALIDATE_HEADER = ["代码", "级别", "单元格", "说明"]


def _udf(fn: Callable) -> Callable:
    """Register ``fn`` with xlwings from its entry in udf_specs (category, argument help)."""
    spec = BY_NAME[fn.__name__]
    for arg in spec.args:
        if arg.as_range:
            fn = xw.arg(arg.name, "range", doc=arg.doc_zh)(fn)
        else:
            # ndim=2 keeps a column a column; err_to_str hands error cells over as "#N/A" text.
            fn = xw.arg(arg.name, ndim=2, err_to_str=True, doc=arg.doc_zh)(fn)
    return xw.func(category=CATEGORY)(fn)


# --- input handling -------------------------------------------------------------------------

def _clean(x: Any) -> Any:
    """One cell's value as the core expects it: None for blank, error text for errors."""
    t = type(x)
    if x is None or t is float:
        return x
    if t is str:
        return x if x and not x.isspace() else None
    if t is bool:
        return x
    if t is int:
        return _COM_ERRORS.get(x, float(x))
    if isinstance(x, str):
        return x if x.strip() else None
    return x


def _error_of(*values: Any) -> str | None:
    """The first Excel error among the inputs (Excel propagates the first one too)."""
    for v in values:
        if type(v) is str and v[:1] in ("#", " ") and v.strip() in ERRORS:
            return v.strip()
    return None


def _is_blank(x: Any) -> bool:
    # Arguments reach the bodies through _clean, which already turned blank text into None.
    return x is None


def _as_rows(x: Any) -> list[list[Any]] | None:
    """A 2-D list for range arguments; None for a single value."""
    if isinstance(x, (list, tuple)):
        if not x:
            return [[None]]
        if isinstance(x[0], (list, tuple)):
            return [list(r) for r in x]
        return [list(x)]
    return None


def _lift(fn: Callable[..., Any], *args: Any) -> Any:
    """Apply a scalar function cell by cell when some argument is a range (Excel's array lifting).

    Shapes broadcast as in Excel: a single row or column stretches; a cell outside a smaller
    range gets #N/A. A 1×1 result comes back as a plain value. Excel calls the bodies once per
    formula cell, so the common case (every argument one cell) is written out here, not in helpers.
    """
    cleaned = []
    append = cleaned.append
    for a in args:
        t = type(a)
        if t is list:
            # One cell, which xlwings hands over as [[value]] (ndim=2).
            if len(a) != 1 or type(a[0]) is not list or len(a[0]) != 1:
                return _lift_ranges(fn, args)
            a = a[0][0]
            t = type(a)
        elif t is tuple:
            return _lift_ranges(fn, args)
        # _clean, with its commonest cases first.
        if t is str:
            append(a if a and not a.isspace() else None)
        elif t is float or a is None or t is _Missing:  # (an omitted optional argument stays as it is)
            append(a)
        else:
            append(_clean(a))
    try:  # _call, inline
        return fn(*cleaned)
    except Exception:  # noqa: BLE001 - a core bug on odd input must show as #VALUE!, not a VBA error
        return VALUE


def _call(fn: Callable[..., Any], args: list[Any]) -> Any:
    try:
        return fn(*args)
    except Exception:  # noqa: BLE001 - a core bug on odd input must show as #VALUE!, not a VBA error
        return VALUE


def _lift_ranges(fn: Callable[..., Any], args: tuple) -> Any:
    grids = [_as_rows(a) for a in args]
    n_rows = max(len(g) for g in grids if g is not None)
    n_cols = max(max(len(r) for r in g) for g in grids if g is not None)
    # One row getter per argument, chosen once: a scalar repeats, a single row or column stretches.
    getters = []
    for g, a in zip(grids, args):
        if g is None:
            value = _clean(a)
            getters.append(lambda r, c, v=value: v)
        else:
            cleaned = [[_clean(v) for v in row] for row in g]
            getters.append(_getter(cleaned))
    out = [[_call(fn, [get(r, c) for get in getters]) for c in range(n_cols)] for r in range(n_rows)]
    return out[0][0] if n_rows == 1 and n_cols == 1 else out


def _getter(rows: list[list[Any]]) -> Callable[[int, int], Any]:
    one_row = len(rows) == 1

    def get(r: int, c: int) -> Any:
        if not one_row and r >= len(rows):
            return "#N/A"
        row = rows[0 if one_row else r]
        if len(row) == 1:
            return row[0]
        return row[c] if c < len(row) else "#N/A"
    return get


# --- the functions --------------------------------------------------------------------------

def _execrate(execution: Any, budget: Any) -> Any:
    err = _error_of(execution, budget)
    if err:
        return err
    rate = execution_rate(execution, budget)
    if rate is not None:
        return rate
    if _is_blank(budget) or to_number(budget) == 0 or _is_blank(execution):
        return ""
    return VALUE


@_udf
def XLT_EXECRATE(execution, budget):  # noqa: N802 - Excel function names are upper case
    """执行率 = 执行数 / 预算数 as a fraction; "" when the budget is 0 or blank.

    Args:
        execution: 全年执行数 (number, numeric text, blank).
        budget: 全年(调整后)预算数.

    Returns:
        The rate at full precision, "" or "#VALUE!" for text that is not a number.
    """
    return _lift(_execrate, execution, budget)


def _execscore(execution: Any, budget: Any, weight: Any) -> Any:
    err = _error_of(execution, budget, weight)
    if err:
        return err
    score = execution_score(execution, budget, weight)
    if score is not None:
        return score
    if any(_is_blank(v) for v in (execution, budget, weight)) or to_number(budget) == 0:
        return ""
    return VALUE


@_udf
def XLT_EXECSCORE(execution, budget, weight):  # noqa: N802
    """ROUND(min(执行率, 100%) × 分值, 2) with Excel's half-up rounding.

    Args:
        execution: 全年执行数.
        budget: 全年(调整后)预算数.
        weight: 分值 of the execution row.

    Returns:
        The score, "" when an input is blank or the budget is 0, "#VALUE!" for non-numbers.
    """
    return _lift(_execscore, execution, budget, weight)


def _parse_row(value: Any) -> list[Any]:
    err = _error_of(value)
    if err:
        return [err, "", "", "", ""]
    p = parse_value(value)
    return [KIND_ZH[p.kind], p.direction.symbol if p.direction else "",
            p.number if p.number is not None else "", p.unit or "", p.text]


@_udf
def XLT_PARSE(value):  # noqa: N802
    """Parse a 指标值 into one row: [类型, 方向, 数值, 单位, 规范写法].

    Args:
        value: the 指标值 or 实际完成值; a range gives one row per cell.

    Returns:
        A 1×5 list (kind in Chinese, direction symbol, number, unit, normalised text).
    """
    rows = _as_rows(value)
    if rows is None:
        return [_parse_row(_clean(value))]
    return [_parse_row(_clean(v)) for row in rows for v in row]


def _normalize(value: Any) -> Any:
    err = _error_of(value)
    if err:
        return err
    return normalise_text(value)


@_udf
def XLT_NORMALIZE(value):  # noqa: N802
    """The normalised notation ("≥95百分比" → "≥95%").

    Args:
        value: a 指标值.

    Returns:
        The normalised text ("" for blank).
    """
    return _lift(_normalize, value)


def _score(target: Any, actual: Any, weight: Any, reverse_rule: Any) -> Any:
    err = _error_of(target, actual, weight, reverse_rule)
    if err:
        return err
    rule = REVERSE_RULES.get(str(reverse_rule or "").strip().lower())
    if rule is None:
        return VALUE
    if any(_is_blank(v) for v in (target, actual, weight)):
        return ""
    if to_number(weight) is None:
        return VALUE
    score = _cached_score(target, actual, weight, rule)
    if score.value is not None:
        return score.value
    return score.rule  # a qualitative band, or why the actual cannot be compared (D16)


@lru_cache(maxsize=4096)
def _cached_score(target, actual, weight, rule):
    return indicator_score(target, actual, weight, reverse_rule=rule)


@_udf
def XLT_SCORE(target, actual, weight, reverse_rule=None):  # noqa: N802
    """The indicator's 得分 by the scoring rules (domain.md §2.3), capped at the weight.

    Args:
        target: 年度指标值 (A).
        actual: 实际完成值 (B).
        weight: 分值.
        reverse_rule: 比值/ratio (default: w×A/B) or 线性/linear for missed reverse indicators.

    Returns:
        The score; for a qualitative indicator below 达成, or an actual that cannot be compared
        with the target, the Chinese rule text instead; "" when an input is blank.
    """
    return _lift(_score, target, actual, weight, reverse_rule)


def _grade(total: Any) -> Any:
    err = _error_of(total)
    if err:
        return err
    if _is_blank(total):
        return ""
    t = to_number(total)
    if t is None or not math.isfinite(t):
        return VALUE
    return grade(t)


@_udf
def XLT_GRADE(total):  # noqa: N802
    """优/良/中/差 for a total score (90/80/60 thresholds).

    Args:
        total: the total score.

    Returns:
        The grade, "" for blank, "#VALUE!" for text.
    """
    return _lift(_grade, total)


def _checkrow(level1: Any, level2: Any, level3: Any, target: Any, unit: Any, direction: Any,
              nature: Any) -> Any:
    fields = (("level1", level1), ("level2", level2), ("level3", level3), ("target", target))
    # An omitted optional argument is a column the form does not have; a blank cell is an empty one.
    if unit is not _MISSING:
        fields += (("unit", unit),)
    if direction is not _MISSING:
        fields += (("direction", direction),)
    if nature is not _MISSING:
        fields += (("nature", nature),)
    return _check_fields(fields)


@lru_cache(maxsize=4096)
def _check_fields(fields: tuple[tuple[str, Any], ...]) -> str:
    # The row's checks alone (rules.row): what check_form says of a one-row form, minus the form-level
    # codes (categories present, duplicates, layout of the table), without building the form.
    findings = (_check_row or _row_checker())(fields, DEFAULT)
    if not findings:
        return ""  # most rows
    return "\n".join(f"【{f.severity.label_zh}】{f.message}" for f in findings)


def _row_checker() -> Callable[..., list]:
    """rules.row.check_row, imported on the first call: Excel imports udfs before any rule is needed."""
    global _check_row
    from ..rules.row import check_row
    _check_row = check_row
    return check_row


_check_row: Callable[..., list] | None = None  # _row_checker's answer, once it has been asked


class _Missing:
    """An optional argument Excel did not pass (distinct from a blank cell)."""

    def __repr__(self) -> str:
        return "<missing>"


_MISSING = _Missing()


@_udf
def XLT_CHECKROW(level1, level2, level3, target, unit=_MISSING, direction=_MISSING,  # noqa: N802
                 nature=_MISSING):
    """Check one indicator row; "" when it is fine, else its findings' Chinese messages.

    Args:
        level1: 一级指标.
        level2: 二级指标.
        level3: 三级指标.
        target: 指标值.
        unit: 计量单位 column, when the form has one.
        direction: 指标方向 column, when the form has one.
        nature: 指标性质 column, when the form has one.

    Returns:
        "" or one line per finding, "【错误】…", "【警告】…", "【提示】…".
    """
    # xlwings passes an omitted optional argument as its Python default; a blank cell is None.
    return _lift(_checkrow, level1, level2, level3, target, unit, direction, nature)


def _area_grid(area: Any) -> Grid:
    """A Grid from a range: an xlwings Range (true sheet and addresses) or plain 2-D values."""
    if hasattr(area, "options") and hasattr(area, "sheet"):
        values = area.options(ndim=2, err_to_str=True).value
        return Grid(area.sheet.name, [[_clean(v) for v in row] for row in values], origin=(area.row, area.column))
    rows = _as_rows(area)
    if rows is None:
        rows = [[area]]
    return Grid("", [[_clean(v) for v in row] for row in rows])


@_udf
def XLT_VALIDATE(area):  # noqa: N802
    """Check a whole form in one call; spills [代码, 级别, 单元格, 说明] per finding.

    Args:
        area: the range holding the form, headers included. Given as plain values, cell
            addresses count from the range's top-left cell as A1.

    Returns:
        A header row, then one row per finding; a single "未发现问题" row when clean.
    """
    try:
        from ..engine import validate_grid
        grid = _area_grid(area)
        reports = validate_grid(grid, DEFAULT)
    except Exception as exc:  # noqa: BLE001 - never raise into Excel; say what failed
        return [VALIDATE_HEADER, ["", Severity.ERROR.label_zh, "", f"无法校验：{exc}"]]
    if not reports:
        return [VALIDATE_HEADER, ["", "", "", "区域中没有找到绩效表（需要“三级指标”“指标值”等表头）"]]
    rows = [[f.code, f.severity.label_zh, f.cell, f.message] for r in reports for f in r.findings]
    return [VALIDATE_HEADER] + (rows or [["", "", "", "未发现问题"]])
