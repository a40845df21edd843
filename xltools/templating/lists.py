"""The dropdown lists of a generated form: 一级 names and, per 一级, its allowed 二级 names.

They live on a hidden sheet (``指标目录``) with one defined name per list, so that the
二级 validation ``INDIRECT(<一级 of this row>)`` finds the right list. The lists depend on
the framework of the master (2015: 产出/效益/满意度; 2021: 成本 as a 一级).
"""
from __future__ import annotations

from ..core.form import col_letter
from ..core.taxonomy import FRAMEWORKS as _TAXONOMY
from ..io.xmltext import esc

__all__ = ["FRAMEWORKS", "LEVEL1_NAME", "NATURES", "lists_sheet_xml", "list_names"]

# The core taxonomy is the single source of the 一级 → 二级 lists (domain.md §1).
FRAMEWORKS: dict[str, dict[str, tuple[str, ...]]] = {
    fw: {l1: tuple(l2s) for l1, l2s in levels.items()} for fw, levels in _TAXONOMY.items()}
LEVEL1_NAME = "一级指标"  # the defined name of the 一级 list
NATURES = ("定量", "定性")


def _framework(framework: str) -> dict[str, tuple[str, ...]]:
    return FRAMEWORKS.get(str(framework), FRAMEWORKS["2015"])


def lists_sheet_xml(framework: str) -> str:
    """The worksheet XML of the list sheet: column A the 一级 names, then one column per 一级."""
    fw = _framework(framework)
    level1 = list(fw)
    # headed "一级", not "一级指标": a hidden list sheet must not read as a form to validators
    columns = [["一级", *level1]] + [[name, *fw[name]] for name in level1]
    height = max(len(c) for c in columns)
    rows = []
    for r in range(height):
        cells = []
        for c, col in enumerate(columns, start=1):
            if r < len(col):
                cells.append(f'<c r="{col_letter(c)}{r + 1}" t="inlineStr"><is><t>{esc(col[r])}</t></is></c>')
        rows.append(f'<row r="{r + 1}">{"".join(cells)}</row>')
    last = f"{col_letter(len(columns))}{height}"
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<dimension ref="A1:{last}"/><sheetViews><sheetView workbookViewId="0"/></sheetViews>'
            f'<sheetFormatPr defaultRowHeight="15"/><sheetData>{"".join(rows)}</sheetData>'
            '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>')


def list_names(framework: str, sheet: str) -> list[tuple[str, str]]:
    """(defined name, reference) pairs for the lists; ``sheet`` is the quoted list-sheet name."""
    fw = _framework(framework)
    level1 = list(fw)
    out = [(LEVEL1_NAME, f"{sheet}!$A$2:$A${len(level1) + 1}")]
    for c, name in enumerate(level1, start=2):
        L = col_letter(c)
        out.append((name, f"{sheet}!${L}$2:${L}${len(fw[name]) + 1}"))
    return out
