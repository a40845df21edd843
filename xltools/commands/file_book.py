"""The file adapter: a Book backed by an xlsx file on disk (what the CLI and the tests use).

Reads happen once (python-calamine); writes are collected and land in a copy on ``save``,
through the package patcher, so the input file is never modified.
"""
from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Callable, Sequence

from ..core.edits import CellEdit
from ..core.findings import Finding
from ..core.grid import Grid
from ..io.reader import WorkbookData, read_workbook


class FileBook:
    """A workbook file opened for a command. ``save(dst)`` writes the result atomically."""

    def __init__(self, path: Path | str, *, on_progress: Callable[[int, int, str], None] | None = None,
                 on_notify: Callable[[str], None] | None = None):
        self.path = Path(path)
        self.name = self.path.name
        self.data: WorkbookData = read_workbook(self.path)  # raises WorkbookError
        self._grids = {g.sheet: g for g in self.data.sheets}
        self.edits: list[CellEdit] = []
        self.findings: list[Finding] = []
        self.cleared = False
        self._on_progress = on_progress
        self._on_notify = on_notify
        self.messages: list[str] = []

    def sheet_names(self) -> list[str]:
        return [g.sheet for g in self.data.sheets]

    def active_sheet(self) -> str:
        names = self.sheet_names()
        try:
            with zipfile.ZipFile(self.path) as zf:
                m = re.search(rb'activeTab="(\d+)"', zf.read("xl/workbook.xml"))
            if m and int(m.group(1)) < len(names):
                return names[int(m.group(1))]
        except (KeyError, zipfile.BadZipFile, OSError):
            pass
        return names[0] if names else ""

    def grid(self, sheet: str) -> Grid:
        return self._grids[sheet]

    def source_path(self) -> Path:
        return self.path

    def apply(self, edits: Sequence[CellEdit]) -> None:
        self.edits.extend(edits)
        for e in edits:  # later reads (validate after fill) see the written values
            grid = self._grids.get(e.sheet)
            if grid is not None:
                grid.put(e.row, e.col, e.value)

    def mark(self, findings: Sequence[Finding]) -> None:
        self.findings.extend(findings)

    def clear_marks(self) -> None:
        self.cleared = True
        self.findings.clear()

    def progress(self, done: int, total: int, message: str) -> None:
        if self._on_progress:
            self._on_progress(done, total, message)

    def notify(self, message: str) -> None:
        self.messages.append(message)
        if self._on_notify:
            self._on_notify(message)

    @property
    def dirty(self) -> bool:
        return bool(self.edits or self.findings or self.cleared)

    def save(self, dst: Path | str, *, backup: bool = False) -> Path:
        """Write the edited/annotated copy to ``dst`` (atomic; the input stays untouched)."""
        from ..io.writer import save_copy
        dst = Path(dst)
        save_copy(self.path, dst, edits=self.edits, findings=self.findings, clear_marks=self.cleared,
                  backup=backup)
        return dst
