"""WorkbookError: the one exception raised when a workbook cannot be read or written."""
from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

# What reading one member of a damaged zip can raise: zipfile's own error, a bad deflate stream
# (zlib.error), a member cut short (EOFError), a compression method or zip version zipfile does
# not know (NotImplementedError), an encrypted member (RuntimeError).
DAMAGED_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError)


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
