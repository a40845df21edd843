"""The workbook interface every command runs against, whatever hosts the workbook."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, Sequence, runtime_checkable

from ..core.edits import CellEdit
from ..core.findings import Finding
from ..core.grid import Grid


@runtime_checkable
class Book(Protocol):
    """A workbook a command runs on: the live Excel book (xlwings) or a file (the CLI).

    Reads come from ``grid``; writes are ``apply`` (cell values/formulas) and ``mark``
    (highlights, Chinese comments and the 校验结果 sheet). Hosts decide when writes land:
    the live book at once, a file on ``FileBook.save``.
    """

    name: str

    def sheet_names(self) -> list[str]: ...

    def active_sheet(self) -> str: ...

    def grid(self, sheet: str) -> Grid: ...

    def apply(self, edits: Sequence[CellEdit]) -> None: ...

    def mark(self, findings: Sequence[Finding]) -> None: ...

    def clear_marks(self) -> None: ...

    def progress(self, done: int, total: int, message: str) -> None: ...

    def notify(self, message: str) -> None: ...


@dataclass
class CommandResult:
    """What a command did: a Chinese summary for the user, plus data for the CLI and tests."""

    message: str
    findings: list[Finding] = field(default_factory=list)
    edits: list[CellEdit] = field(default_factory=list)
    exit_code: int = 0
    data: dict = field(default_factory=dict)
