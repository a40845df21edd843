"""Findings: what a check reports, as data (never an exception)."""
from __future__ import annotations

from dataclasses import dataclass, asdict
from enum import Enum


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def label_zh(self) -> str:
        return {"error": "错误", "warning": "警告", "info": "提示"}[self.value]


SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass(frozen=True)
class Finding:
    """One reported problem, pointing at the cell a person must look at.

    ``row`` is the 1-based Excel row the user sees; ``cell`` is A1 notation.
    ``expected`` is the computed right value, rendered as text, where one exists.
    """

    code: str
    severity: Severity
    sheet: str
    cell: str
    row: int
    message: str
    expected: str | None = None

    def to_dict(self) -> dict:
        d = asdict(self)
        d["severity"] = self.severity.value
        return d
