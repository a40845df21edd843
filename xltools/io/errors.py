"""WorkbookError: the one exception raised when a workbook cannot be read or written."""
from __future__ import annotations

from pathlib import Path


class WorkbookError(Exception):
    """A workbook could not be read or written; ``message`` is one line, Chinese then English.

    Attributes:
        path: the file concerned (None when there is no file yet).
        message: "中文说明 / English explanation", one line.
        sheet: the sheet concerned, when one is.
        cell: the A1 address concerned, when one is.
    """

    def __init__(self, path: str | Path | None, message: str, *, sheet: str | None = None,
                 cell: str | None = None):
        self.path = Path(path) if path is not None else None
        self.message = " ".join(str(message).split())
        self.sheet = sheet
        self.cell = cell
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.sheet is not None:
            where = f" [{self.sheet}" + (f"!{self.cell}" if self.cell else "") + "]"
        head = f"{self.path}" if self.path is not None else "<workbook>"
        return f"{head}{where}: {self.message}"
