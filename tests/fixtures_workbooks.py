"""The workbooks the reader tests run over: the samples and the bad inputs, and which of them read."""
from __future__ import annotations

from pathlib import Path

from xltools.io import reader
from xltools.io.errors import WorkbookError

ROOT = Path(__file__).resolve().parent.parent
SAMPLES_AND_BAD = sorted((ROOT / "samples").glob("*.xls*")) + sorted((ROOT / "tests" / "data" / "bad").glob("*"))


def readable(paths: list[Path]) -> list[Path]:
    """The ``paths`` the reader reads (the others it refuses with a WorkbookError, as it must)."""
    out = []
    for path in paths:
        try:
            reader.read_workbook(path)
        except WorkbookError:
            continue
        out.append(path)
    return out
