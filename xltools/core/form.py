"""The form model: what a located 绩效目标表/自评表 holds, independent of where it came from.

Readers (xltools.io) build these from a grid of cell values; rules (xltools.rules)
read them and yield findings. Every value keeps its cell position so that findings
can point at it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


def col_letter(col: int) -> str:
    """1-based column index to letters (1 → A, 27 → AA)."""
    s = ""
    while col > 0:
        col, rem = divmod(col - 1, 26)
        s = chr(65 + rem) + s
    return s


def col_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def address(row: int, col: int) -> str:
    """1-based row and column to A1 notation."""
    return f"{col_letter(col)}{row}"


class CellError(str):
    """A formula error value read from a cell (#DIV/0!, #REF!, #N/A …)."""

    ERRORS = ("#DIV/0!", "#REF!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#VALUE!", "#GETTING_DATA", "#SPILL!", "#CALC!")


class Cell:
    """A value at a 1-based (row, col). ``value`` is str, float, int, bool, datetime, CellError or None.

    A plain slotted class rather than a dataclass: readers make one per cell of every
    indicator row, and the rules read ``text`` many times per cell, so it is computed once,
    here, and read as a plain attribute.

    Attributes:
        text: the value as stripped text ('' for empty); numbers without a trailing .0.
    """

    __slots__ = ("value", "row", "col", "text")

    def __init__(self, value: object, row: int, col: int):
        self.value = value
        self.row = row
        self.col = col
        self.text = value.strip() if type(value) is str else value_text(value)

    def __repr__(self) -> str:
        return f"Cell({self.value!r}, {self.row}, {self.col})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Cell) and (self.value, self.row, self.col) == (other.value, other.row, other.col)

    def __hash__(self) -> int:
        return hash((self.row, self.col))

    @property
    def address(self) -> str:
        return address(self.row, self.col)

    @property
    def is_blank(self) -> bool:
        return self.text == ""

    @property
    def is_error(self) -> bool:
        return isinstance(self.value, CellError)


def value_text(value: object) -> str:
    """A cell value as text, as ``Cell.text`` reads it: "" for None, 414001.0 → "414001", stripped."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


_new_object = object.__new__
# Text of float values already seen: indicator rows repeat a few weights and scores, and a dict
# lookup is much cheaper than value_text. Equal floats have equal text, so a float key is
# exact; the cache is emptied when it grows large (budget amounts are seldom repeated).
_FLOAT_TEXTS: dict[float, str] = {}
_FLOAT_TEXTS_MAX = 4096


def _float_text(value: float) -> str:
    if len(_FLOAT_TEXTS) >= _FLOAT_TEXTS_MAX:
        _FLOAT_TEXTS.clear()
    text = _FLOAT_TEXTS[value] = value_text(value)
    return text


def line_cells(line: list[object], row: int, where: list[tuple[str, int, int]]) -> dict[str, Cell]:
    """``{field: Cell(line[index], row, col)}`` for each (field, col, index) in ``where``.

    Every index must lie inside ``line``. The Cells equal ``Cell(line[index], row, col)`` but are
    made without its ``__init__``: locating makes one per field of every indicator row, and on
    CPython 3.11 a class call that runs a Python ``__init__`` costs more than ``object.__new__``
    plus four slot stores; floats take their text from a cache.
    """
    cells = {}
    new, cell_class, float_texts = _new_object, Cell, _FLOAT_TEXTS  # locals: read ten times a row
    for name, col, j in where:
        value = line[j]
        cell = new(cell_class)
        cell.value = value
        cell.row = row
        cell.col = col
        if type(value) is str:
            cell.text = value.strip()
        elif type(value) is float:
            cell.text = float_texts.get(value) or _float_text(value)
        elif value is None:
            cell.text = ""
        else:
            cell.text = value_text(value)
        cells[name] = cell
    return cells


class FormKind(str, Enum):
    PROJECT_TARGET = "project-target"
    UNIT_TARGET = "unit-target"
    PROJECT_SELFEVAL = "project-selfeval"
    UNIT_SELFEVAL = "unit-selfeval"
    UNKNOWN = "unknown"

    @property
    def is_selfeval(self) -> bool:
        return self in (FormKind.PROJECT_SELFEVAL, FormKind.UNIT_SELFEVAL)

    @property
    def title_zh(self) -> str:
        return {
            "project-target": "项目支出绩效目标表",
            "unit-target": "部门整体支出绩效目标表",
            "project-selfeval": "项目支出绩效自评表",
            "unit-selfeval": "部门整体支出绩效自评表",
            "unknown": "绩效表",
        }[self.value]


# Field names of an indicator row; readers map header synonyms onto these.
INDICATOR_FIELDS = (
    "level1", "level2", "level3", "description", "period_target", "target", "unit",
    "nature", "direction", "basis", "actual", "weight", "score", "reason",
)

FIELD_ZH = {
    "level1": "一级指标", "level2": "二级指标", "level3": "三级指标", "description": "指标描述",
    "period_target": "实施周期指标值", "target": "指标值", "unit": "计量单位", "nature": "指标性质",
    "direction": "指标方向", "basis": "指标值确定依据", "actual": "实际完成值", "weight": "分值",
    "score": "得分", "reason": "偏差原因", "initial_budget": "年初预算数", "annual_budget": "全年预算数",
    "execution": "全年执行数", "rate": "执行率",
}


_UNSET = object()
_NO_FIELDS: frozenset[str] = frozenset()


class IndicatorRow:
    """One 三级 indicator row. ``level1``/``level2`` already carry merged-cell values.

    ``cells`` maps field name → Cell for every column the form has; a field the form
    lacks is absent (not a blank cell), so rules can tell "empty" from "no such column".
    ``inherited`` names the fields filled from a merged or blank-continued cell above.
    A slotted class: readers make one per row of sheets with 200,000 rows.
    """

    __slots__ = ("row", "cells", "inherited", "_misaligned")

    def __init__(self, row: int, cells: dict[str, Cell], inherited: frozenset[str] = _NO_FIELDS):
        self.row = row
        self.cells = cells
        self.inherited = inherited
        self._misaligned = _UNSET  # cache for rules.layout.misaligned_field

    @classmethod
    def made(cls, row: int, cells: dict[str, Cell], inherited: frozenset[str]) -> IndicatorRow:
        """``IndicatorRow(row, cells, inherited)`` without the ``__init__`` call (see line_cells)."""
        made = _new_object(cls)
        made.row = row
        made.cells = cells
        made.inherited = inherited
        made._misaligned = _UNSET
        return made

    def __repr__(self) -> str:
        return f"IndicatorRow({self.row}, {self.cells!r})"

    def get(self, name: str) -> Cell | None:
        return self.cells.get(name)

    def text(self, name: str) -> str:
        c = self.cells.get(name)
        return "" if c is None else c.text

    def has(self, name: str) -> bool:
        return name in self.cells


FUND_FIELDS = ("initial_budget", "annual_budget", "execution", "rate", "weight", "score", "reason")


@dataclass
class FundRow:
    """A row of the 项目资金 / 预算执行情况 block. ``is_total`` for 合计/年度资金总额/总额."""

    row: int
    label: Cell
    is_total: bool
    cells: dict[str, Cell]

    def get(self, name: str) -> Cell | None:
        return self.cells.get(name)


@dataclass
class PlanRow:
    """资金支出计划(%): quarter label → cell (3月底, 6月底, 10月底/9月底, 12月底)."""

    row: int
    quarters: list[tuple[str, Cell]]


@dataclass
class TaskRow:
    """年度重点工作任务 / 年度主要任务: name, content, goal texts."""

    row: int
    cells: dict[str, Cell]


@dataclass
class Form:
    """One located form on a sheet."""

    sheet: str
    kind: FormKind
    first_row: int
    last_row: int
    title: str = ""
    name: str = ""  # 项目名称 / 部门名称
    name_label: str = ""  # the label the name stood beside (项目名称, 部门名称及编码 …)
    header_row: int = 0
    columns: dict[str, int] = field(default_factory=dict)  # field → 1-based column
    header_labels: dict[str, str] = field(default_factory=dict)  # field → header text as written
    indicators: list[IndicatorRow] = field(default_factory=list)
    funds: list[FundRow] = field(default_factory=list)
    fund_header_row: int = 0
    fund_labels: dict[str, str] = field(default_factory=dict)
    plan: PlanRow | None = None
    tasks: list[TaskRow] = field(default_factory=list)
    total_score: Cell | None = None
    grade: Cell | None = None
    stray_rows: list[list[Cell]] = field(default_factory=list)  # rows inside the table the reader could not place
    may_hold_errors: bool = True  # False: the reader saw no formula error (CellError) on the sheet

    @property
    def is_selfeval(self) -> bool:
        return self.kind.is_selfeval
