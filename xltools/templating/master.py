"""Reading the master workbook into compact tables indexed by code (python-calamine, streamed).

Rows are kept as tuples in schema column order, with repeated texts interned, so that a
10,000-project master stays small in memory. Structural problems (a missing sheet or
required column) become findings, never exceptions; only an unreadable file raises.
"""
from __future__ import annotations

import datetime as _dt
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..core.form import address
from ..core.findings import Finding
from ..core import codes
from .schema import SETTINGS, SHEETS, SheetSpec

__all__ = ["MasterError", "Table", "Master", "read_master", "norm_code", "norm_header"]

_SPACE = re.compile(r"\s+")


class MasterError(Exception):
    """The master cannot be read at all (not a workbook, missing, encrypted)."""


def norm_header(value: object) -> str:
    """A header as compared: no spaces, half-width brackets, no leading ``*``."""
    if value is None:
        return ""
    t = _SPACE.sub("", str(value)).replace("（", "(").replace("）", ")").lstrip("*＊")
    return t


def norm_code(value: object) -> str:
    """A code cell as text: 414001.0 → "414001", surrounding spaces removed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _clean(value: object) -> object:
    if value is None:
        return None
    if isinstance(value, str):
        if not value.strip():
            return None
        return sys.intern(value) if len(value) < 64 else value
    if isinstance(value, (_dt.date, _dt.time, _dt.timedelta)):
        return str(value)
    return value


@dataclass
class Table:
    """One master sheet: ``rows`` are tuples ``(excel_row, value per schema column…)``."""

    spec: SheetSpec
    sheet: str  # the sheet name as written in the master
    columns: dict[str, int]  # column key → 1-based Excel column
    rows: list[tuple] = field(default_factory=list)

    def __post_init__(self):
        self.index = {c.key: i + 1 for i, c in enumerate(self.spec.columns)}

    def get(self, row: tuple, key: str) -> object:
        return row[self.index[key]]

    def cell(self, row: tuple, key: str) -> str:
        """A1 address of ``key`` on ``row`` (the header's column, or column A when it is missing)."""
        return address(row[0], self.columns.get(key, 1))

    def text(self, row: tuple, key: str) -> str:
        v = row[self.index[key]]
        if v is None:
            return ""
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v).strip()


@dataclass
class Master:
    """The parsed master: tables by schema key, settings, indexes, and structural findings."""

    path: str
    tables: dict[str, Table]
    settings: dict[str, object]
    settings_cells: dict[str, tuple[str, str, int]]  # key → (sheet, cell, row)
    findings: list[Finding]
    formula_texts: list[tuple[str, str, int, str]] = field(default_factory=list)  # (sheet, cell, row, text)
    _indexes: dict = field(default_factory=dict, repr=False)

    def table(self, key: str) -> Table | None:
        return self.tables.get(key)

    def rows(self, key: str) -> list[tuple]:
        t = self.tables.get(key)
        return t.rows if t else []

    def index_by(self, table: str, key: str) -> dict[str, list[tuple]]:
        """Rows of ``table`` grouped by the code in column ``key``, in master order."""
        hit = self._indexes.get((table, key))
        if hit is not None:
            return hit
        t = self.tables.get(table)
        out: dict[str, list[tuple]] = {}
        self._indexes[(table, key)] = out
        if t is None:
            return out
        i = t.index[key]
        for row in t.rows:
            out.setdefault(norm_code(row[i]), []).append(row)
        return out


def _find_header(rows: list[list], spec: SheetSpec) -> tuple[int, dict[str, int]]:
    """(0-based header row, column key → 1-based column) by the best-matching of the first 10 rows."""
    best = (0, {})
    for r, values in enumerate(rows[:10]):
        found: dict[str, int] = {}
        normed = [norm_header(v) for v in values]
        for col in spec.columns:
            labels = [norm_header(x) for x in col.labels]
            for c, h in enumerate(normed):
                if h and h in labels and c + 1 not in found.values():
                    found[col.key] = c + 1
                    break
        if len(found) > len(best[1]):
            best = (r, found)
    return best


def read_master(path: str | Path) -> Master:
    """Read a master workbook.

    Args:
        path: the .xlsx (or .xlsm/.xls/.ods: anything python-calamine reads).

    Returns:
        A Master; structural problems are in ``master.findings`` (family "master").

    Raises:
        MasterError: the file does not exist or is not a readable workbook.
    """
    from python_calamine import CalamineWorkbook

    path = Path(path)
    if not path.is_file():
        raise MasterError(f"主表文件不存在：{path}")
    try:
        wb = CalamineWorkbook.from_path(str(path))
        names = list(wb.sheet_names)
    except Exception as exc:  # calamine raises its own error types for every bad-file case
        raise MasterError(f"无法读取主表“{path.name}”：{exc}") from exc
    normed = {norm_header(n): n for n in names}
    findings: list[Finding] = []
    tables: dict[str, Table] = {}
    formula_texts: list[tuple[str, str, int, str]] = []
    for spec in SHEETS:
        name = normed.get(norm_header(spec.name))
        if name is None:
            if spec.required:
                findings.append(codes.make("master-sheet-missing", sheet=spec.name, cell="A1", row=1,
                                           name=spec.name, purpose=spec.doc.split(".")[0]))
            continue
        try:
            sheet = wb.get_sheet_by_name(name)
            iterator = sheet.iter_rows()
            head: list[list] = []
            for values in iterator:
                head.append(list(values))
                if len(head) >= 10:
                    break
        except Exception as exc:
            raise MasterError(f"无法读取主表工作表“{name}”：{exc}") from exc
        hdr, columns = _find_header(head, spec)
        missing = [c for c in spec.columns if c.required and c.key not in columns]
        for c in missing:
            findings.append(codes.make("master-column-missing", sheet=name, cell=address(hdr + 1, 1), row=hdr + 1,
                                       sheet_name=name, column=c.header))
        table = Table(spec, name, columns)
        tables[spec.key] = table
        if missing and spec.key != "settings":
            continue
        first = sheet.start[0] if sheet.start else 0
        cols = [(columns.get(c.key), c.key) for c in spec.columns]

        picks = [(c - 1) if c else -1 for c, _ in cols]
        intern = sys.intern

        def take(values: list, excel_row: int) -> None:
            row = [excel_row]
            any_value = False
            n = len(values)
            for c in picks:
                v = values[c] if 0 <= c < n else None
                if v.__class__ is str:
                    if not v or v.isspace():
                        v = None
                    else:
                        if v[0] == "=" or v.lstrip()[:1] == "=":
                            formula_texts.append((name, address(excel_row, c + 1), excel_row, v))
                        if len(v) < 64:
                            v = intern(v)
                elif v is not None and not isinstance(v, (int, float)):
                    v = _clean(v)
                if v is not None:
                    any_value = True
                row.append(v)
            if any_value:
                table.rows.append(tuple(row))
        for i, values in enumerate(head[hdr + 1:], start=hdr + 1):
            take(values, first + i + 1)
        for i, values in enumerate(iterator, start=len(head)):
            take(list(values), first + i + 1)
        # header rows themselves may hold "=" text too
        for c, v in enumerate(head[hdr] if head else [], start=1):
            if isinstance(v, str) and v.lstrip().startswith("="):
                formula_texts.append((name, address(first + hdr + 1, c), first + hdr + 1, v))
    settings, cells = _settings(tables.get("settings"))
    return Master(str(path), tables, settings, cells, findings, formula_texts)


def _settings(table: Table | None) -> tuple[dict[str, object], dict[str, tuple[str, str, int]]]:
    out: dict[str, object] = {}
    cells: dict[str, tuple[str, str, int]] = {}
    if table is None:
        return out, cells
    labels = {norm_header(k): v[0] for k, v in SETTINGS.items()}
    labels.update({v[0]: v[0] for v in SETTINGS.values()})
    for row in table.rows:
        key = labels.get(norm_header(table.get(row, "key")))
        if key is None:
            continue
        out[key] = table.get(row, "value")
        cells[key] = (table.sheet, table.cell(row, "value"), row[0])
    return out, cells
