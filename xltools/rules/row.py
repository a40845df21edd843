"""One indicator row checked on its own (XLT_CHECKROW): the findings a row has without the rest of its form.

``check_row`` gives exactly what ``check_form`` gives on a form holding only that row with
``enabled=CODES``, but runs only the per-row steps of the layout, taxonomy and targets
families, on the row's cells, and skips what a lone row cannot need: building a Form, the
families that cannot emit these codes, the form-level passes, the verdict caches keyed on
row signatures (a worksheet function sees each row once; its caller caches whole answers).
What the 一级/二级 pair says is remembered per pair, as a form repeats a few of them.
tests/test_excel_udfs.py compares the two over every indicator row of the samples.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Iterable

from ..core.codes import REGISTRY
from ..core.findings import Finding
from ..core.form import _NO_FIELDS, Cell, Form, FormKind, IndicatorRow, value_text
from ..core.notation import ParsedValue, parse_value
from ..core.taxonomy import framework_of, is_evaluation_framework
from ..settings import DEFAULT, Settings
from .context import Context
from .layout import _cell_errors, _empty, _is_empty, _misaligned, misaligned_field
from .names import is_value_text, name_facts
from .targets import _row as _target_findings
from .taxonomy import _level3_name, _pair_verdict, _row_categories

# The ones that need the whole form: categories present, duplicates, the layout of the table.
FORM_LEVEL_CODES = frozenset({"table-not-found", "no-form-found", "mixed-framework", "missing-category",
                              "duplicate-indicator", "duplicate-text"})
# Every check of the row-level families except the form-level ones; the steps below emit no other code.
CODES = frozenset(c.code for c in REGISTRY.values()
                  if c.family in ("layout", "taxonomy", "targets") and c.code not in FORM_LEVEL_CODES)

# The lone row sits on Excel row 2, under a header on row 1, its fields in columns A, B, … in order.
ROW = 2
# What the findings' Context reads of the form: its sheet name. The row is not listed in it, so
# nothing below may ask the Context about the form's rows (the framework comes from _categories).
_FORM = Form(sheet="", kind=FormKind.PROJECT_TARGET, first_row=1, last_row=ROW, header_row=1)
_new = object.__new__


def one_row_form(fields: Iterable[tuple[str, Any]]) -> Form:
    """The form ``check_row`` stands for: one indicator row holding ``fields`` ((field, value) in column order)."""
    cells = {name: Cell(value, ROW, col) for col, (name, value) in enumerate(fields, 1)}
    return Form(sheet="", kind=FormKind.PROJECT_TARGET, first_row=1, last_row=ROW, header_row=1,
                columns={name: cell.col for name, cell in cells.items()}, indicators=[IndicatorRow(ROW, cells)])


def check_row(fields: Iterable[tuple[str, Any]], settings: Settings = DEFAULT) -> list[Finding]:
    """``check_form(one_row_form(fields), settings, CODES)``, without building the form.

    Args:
        fields: (field name, cell value) in column order, e.g. ("level3", "抽检批次"); a field
            left out is a column the form does not have.
        settings: the Settings in force (the framework).

    Returns:
        The row's findings sorted by cell and code.
    """
    # The Cells Cell(value, ROW, col) would make, without a Python __init__ per cell, as
    # form.line_cells makes them for a grid line; the fields come here as pairs, and turning them
    # into a line and a column list first would be paid again on every recalculation.
    cells: dict[str, Cell] = {}
    col = 0
    texts_only = True  # every value str or None: no formula error, no number in a name column
    for name, value in fields:
        col += 1
        cell = _new(Cell)
        cell.value = value
        cell.row = ROW
        cell.col = col
        if type(value) is str:
            cell.text = value.strip()
        elif value is None:
            cell.text = ""
        else:
            cell.text = value_text(value)
            texts_only = False  # (a CellError is a str subclass, never exactly str)
        cells[name] = cell
    ind = IndicatorRow.made(ROW, cells, _NO_FIELDS)
    ctx = _DEFAULT_CONTEXT if settings is DEFAULT else _RowContext(_FORM, settings, CODES)
    out: list[Finding] = []
    c1, c2, c3 = cells.get("level1"), cells.get("level2"), cells.get("level3")
    text1 = "" if c1 is None else c1.text
    text2 = "" if c2 is None else c2.text
    text3 = "" if c3 is None else c3.text
    facts = None if c3 is None else name_facts(text3)
    shifted12, framework = _categories(settings.framework, text1, text2)
    # In the order check_form runs the families, so that the sort below breaks ties as it does.
    if texts_only:
        # layout.misaligned_field on text cells, with its 一级/二级 half looked up with the framework.
        if facts is not None and facts.category:
            shifted = "level3"
        elif shifted12 is not None:
            shifted = shifted12
        elif facts is not None and facts.value_like:
            shifted = "level3"
        else:
            shifted = None
        ind._misaligned = shifted
    else:
        _cell_errors(ind, ctx, out)  # layout
        shifted = misaligned_field(ind, name_facts)
    if shifted is not None:
        out.append(_misaligned(ind, None, ctx))  # the other families leave a shifted row to layout
    else:
        target = cells.get("target")
        if (target is None or not target.text) and _is_empty(ind):  # (a target with text is a value of the row's own)
            out.append(_empty(ind, ctx))
        if framework is not None:  # taxonomy
            _row_categories(ind, framework, ctx, out)
        if text3:
            n3 = facts.level3
            if n3.canonical is not None and (n3.changed or facts.bare):  # what _level3_name reports on
                _level3_name(c3, facts, ctx, out)
            if target is not None:  # targets
                raw: list[tuple[str, Cell, dict]] = []
                _target_findings(ind, target, parse_value(target.value), text3, facts, ctx, raw)
                for code, anchor, kw in raw:
                    out.append(ctx.finding(code, anchor, **kw))
    if len(out) > 1:
        out.sort(key=_order)
    return out


class _RowContext(Context):
    """The Context of lone rows: one made for the default Settings serves every call that uses them.

    It must therefore remember nothing about a row. Name facts come straight from their shared
    cache (a lone row asks each name two or three times, which a per-form memo would not repay);
    values are parsed afresh, as every lone row sits on the same row 2 (``check_row`` hands the
    targets family the parsed target itself). Like ``_FORM``, it knows no rows, so nothing may ask
    it for the framework: ``check_row`` works that out from the row's own texts.
    """

    name_facts = staticmethod(name_facts)

    def parsed(self, ind: IndicatorRow, name: str) -> ParsedValue:
        cell = ind.cells.get(name)
        return parse_value(None if cell is None else cell.value)


_DEFAULT_CONTEXT = _RowContext(_FORM, DEFAULT, CODES)


@lru_cache(maxsize=4096)
def _categories(setting: str, text1: str, text2: str) -> tuple[str | None, str | None]:
    """What a row's 一级 and 二级 texts say, worked out once per pair (a form repeats a few pairs).

    Args:
        setting: ``Settings.framework``.
        text1, text2: the 一级 and 二级 cells' texts ("" for a blank or absent cell).

    Returns:
        (shifted, framework): "level1" or "level2" when that text reads as a value (layout's
        misaligned_field, for text cells), else None; and the framework _row_categories checks
        the pair against, or None when it has nothing to report (the evaluation framework,
        known names in their place).
    """
    shifted = "level1" if is_value_text(text1) else "level2" if is_value_text(text2) else None
    if is_evaluation_framework((text1,) if text1 else ()):
        return shifted, None
    framework = setting if setting != "auto" else framework_of((text1,), (text2,))
    found, _old_cost = _pair_verdict(framework, (text1, text2, _NO_FIELDS))  # (old cost is form-level: mixed-framework)
    return shifted, framework if found else None


def _order(f: Finding) -> tuple[int, str, str]:
    return f.row, f.cell, f.code
