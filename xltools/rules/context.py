"""Per-form state shared by the rule families: parsed values and taxonomy, computed once."""
from __future__ import annotations

from functools import cached_property

from ..core import codes
from ..core.findings import Finding
from ..core.form import Cell, Form, IndicatorRow
from ..core.notation import ParsedValue, parse_value
from ..settings import Settings


class Context:
    """What every rule of one form needs: the settings, and values parsed once per cell."""

    def __init__(self, form: Form, settings: Settings):
        self.form = form
        self.settings = settings
        self._parsed: dict[tuple[int, str], ParsedValue] = {}

    def parsed(self, ind: IndicatorRow, name: str) -> ParsedValue:
        """The parsed notation of field ``name`` (target, actual, period_target) of a row."""
        key = (ind.row, name)
        hit = self._parsed.get(key)
        if hit is None:
            cell = ind.get(name)
            hit = self._parsed[key] = parse_value(None if cell is None else cell.value)
        return hit

    def target(self, ind: IndicatorRow) -> ParsedValue:
        return self.parsed(ind, "target")

    def actual(self, ind: IndicatorRow) -> ParsedValue:
        return self.parsed(ind, "actual")

    @cached_property
    def framework(self) -> str:
        """"2015" or "2021", from settings or detected from the form's 一级/二级 names."""
        if self.settings.framework != "auto":
            return self.settings.framework
        from ..core.taxonomy import detect_framework
        return detect_framework([(i.text("level1"), i.text("level2")) for i in self.form.indicators])

    def finding(self, code: str, cell: Cell | None, *, row: int | None = None, col: int | None = None,
                expected: object = None, **fields) -> Finding:
        """A finding at ``cell`` (or at row/col when the cell is absent) of this form's sheet."""
        if cell is not None:
            r, addr = cell.row, cell.address
        else:
            from ..core.form import address
            r = row or self.form.first_row
            addr = address(r, col or 1)
        return codes.make(code, sheet=self.form.sheet, cell=addr, row=r, expected=expected, **fields)
