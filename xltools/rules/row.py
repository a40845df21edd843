"""One indicator row checked on its own (XLT_CHECKROW): the findings a row has without the rest of its form.

``check_row`` gives exactly what ``check_form`` gives on a form holding only that row with
``enabled=CODES``, but runs only the per-row steps of the layout, taxonomy and targets
families, on the row's cells, and skips what a lone row cannot need: building a Form, the
families that cannot emit these codes, the form-level passes, the verdict caches keyed on
row signatures (a worksheet function sees each row once; its caller caches whole answers).
tests/test_excel_udfs.py compares the two over every indicator row of the samples.
"""
from __future__ import annotations

from typing import Any, Iterable

from ..core.codes import REGISTRY
from ..core.findings import Finding
from ..core.form import Cell, Form, FormKind, IndicatorRow
from ..core.taxonomy import is_evaluation_framework
from ..settings import DEFAULT, Settings
from .context import Context, row_framework
from .layout import _cell_errors, _empty, _is_empty, _misaligned, misaligned_field
from .names import name_facts
from .targets import _row as _target_findings
from .taxonomy import _level3_name, _row_categories

# The ones that need the whole form: categories present, duplicates, the layout of the table.
FORM_LEVEL_CODES = frozenset({"table-not-found", "no-form-found", "mixed-framework", "missing-category",
                              "duplicate-indicator", "duplicate-text"})
# Every check of the row-level families except the form-level ones; the steps below emit no other code.
CODES = frozenset(c.code for c in REGISTRY.values()
                  if c.family in ("layout", "taxonomy", "targets") and c.code not in FORM_LEVEL_CODES)

# The lone row sits on Excel row 2, under a header on row 1, its fields in columns A, B, … in order.
ROW = 2
# What the findings' Context reads of the form: its sheet name. The row is not listed in it, so
# nothing below may ask the Context about the form's rows (the framework comes from row_framework).
_FORM = Form(sheet="", kind=FormKind.PROJECT_TARGET, first_row=1, last_row=ROW, header_row=1)


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
    cells = {name: Cell(value, ROW, col) for col, (name, value) in enumerate(fields, 1)}
    ind = IndicatorRow(ROW, cells)
    ctx = Context(_FORM, settings, CODES)
    out: list[Finding] = []
    # In the order check_form runs the families, so that the sort below breaks ties as it does.
    _cell_errors(ind, ctx, out)  # layout
    if misaligned_field(ind, ctx.name_facts) is not None:
        out.append(_misaligned(ind, None, ctx))  # the other families leave a shifted row to layout
    else:
        if _is_empty(ind):
            out.append(_empty(ind, ctx))
        c1, c2, c3 = cells.get("level1"), cells.get("level2"), cells.get("level3")
        text1 = "" if c1 is None else c1.text
        if not is_evaluation_framework((text1,) if text1 else ()):  # taxonomy
            _row_categories(ind, row_framework(settings, text1, "" if c2 is None else c2.text), ctx, out)
        if c3 is not None and c3.text:
            facts = name_facts(c3.text)
            if facts.level3.canonical is not None:
                _level3_name(c3, facts, ctx, out)
            target = cells.get("target")
            if target is not None:  # targets
                raw: list[tuple[str, Cell, dict]] = []
                _target_findings(ind, target, c3.text, ctx, raw)
                for code, anchor, kw in raw:
                    out.append(ctx.finding(code, anchor, **kw))
    if len(out) > 1:
        out.sort(key=_order)
    return out


def _order(f: Finding) -> tuple[int, str, str]:
    return f.row, f.cell, f.code
