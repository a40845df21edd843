"""Cell edits: what `fill` decides to write, as data, before any adapter writes it."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CellEdit:
    """Write ``value`` (and, when given, the live ``formula``) into one cell.

    ``formula`` has no leading "="; its cached value is ``value``. ``number_format``
    (e.g. "0.00%") is applied only when the cell's current format does not already show
    the value that way. ``reason`` is a short Chinese note for reports.
    Strings are always written as text, never as formulas.
    """

    sheet: str
    row: int
    col: int
    value: float | str | None
    formula: str | None = None
    number_format: str | None = None
    reason: str = ""
