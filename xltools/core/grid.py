"""A sheet as a grid of values plus its merged ranges: what every reader hands to the locator."""
from __future__ import annotations

from dataclasses import dataclass, field

from .form import Cell, CellError


@dataclass
class Grid:
    """Cell values of one sheet, row-major and 0-based internally; the API is 1-based like Excel.

    ``merges`` are (first_row, first_col, last_row, last_col), 1-based and inclusive.
    ``origin`` is the 1-based (row, col) of values[0][0] (readers may skip leading empty rows).
    ``may_hold_errors`` is False when the reader knows no cell holds a formula error (a CellError),
    so the checks can skip looking for them cell by cell.
    """

    sheet: str
    values: list[list[object]]
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    origin: tuple[int, int] = (1, 1)
    may_hold_errors: bool = True

    @property
    def n_rows(self) -> int:
        return self.origin[0] - 1 + len(self.values)

    @property
    def n_cols(self) -> int:
        return self.origin[1] - 1 + max((len(r) for r in self.values), default=0)

    def value(self, row: int, col: int) -> object:
        r, c = row - self.origin[0], col - self.origin[1]
        if r < 0 or c < 0 or r >= len(self.values):
            return None
        line = self.values[r]
        return line[c] if c < len(line) else None

    def cell(self, row: int, col: int) -> Cell:
        return Cell(self.value(row, col), row, col)

    def row_cells(self, row: int) -> list[Cell]:
        """The non-blank cells of a row, left to right."""
        r = row - self.origin[0]
        if r < 0 or r >= len(self.values):
            return []
        oc = self.origin[1]
        return [Cell(v, row, oc + i) for i, v in enumerate(self.values[r])
                if v is not None and not (isinstance(v, str) and not v.strip())]

    def put(self, row: int, col: int, value: object) -> None:
        """Set one value, growing the grid (also up or left of its origin) as needed."""
        r0, c0 = self.origin
        if row < r0 or col < c0:
            shift_r, shift_c = max(0, r0 - row), max(0, c0 - col)
            if shift_c:
                self.values = [[""] * shift_c + line for line in self.values]
            self.values[0:0] = [[] for _ in range(shift_r)]
            self.origin = r0, c0 = (min(r0, row), min(c0, col))
        r, c = row - r0, col - c0
        while len(self.values) <= r:
            self.values.append([])
        line = self.values[r]
        if len(line) <= c:
            line.extend([""] * (c + 1 - len(line)))
        line[c] = "" if value is None else value
        if isinstance(value, CellError):
            self.may_hold_errors = True
