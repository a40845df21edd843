"""Reading the master workbook into compact tables indexed by code, streaming each sheet.

Rows are tuples in schema column order, with repeated texts shared. The tables with many
rows per project (指标, 资金) are kept in a temporary spill file rather than in memory, so
memory stays nearly flat as the master grows. Structural problems (a missing sheet or
required column) become findings, never exceptions; only an unreadable file raises.
"""
from __future__ import annotations

import datetime as _dt
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..core.form import address, value_text
from ..core.findings import Finding
from ..core import codes
from .schema import SETTINGS, SHEETS, SheetSpec
from .spill import SpillFile, SpilledIndex, SpilledRows
from .xlsxrows import XlsxRows, is_xlsx

__all__ = ["MasterError", "Table", "Master", "read_master", "norm_code", "norm_header"]

_SPACE = re.compile(r"\s+")
# Tables with rows per project (many per project, read back per form) live in a spill file.
SPILLED = {"indicators": "owner", "funds": "owner"}


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
    return value_text(value)


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
    rows: list[tuple] | SpilledRows = field(default_factory=list)

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
    spill: SpillFile | None = field(default=None, repr=False)  # holds the rows of the SPILLED tables

    def table(self, key: str) -> Table | None:
        return self.tables.get(key)

    def close(self) -> None:
        """Release the spill file (the spilled tables cannot be read afterwards)."""
        if self.spill is not None:
            self.spill.close()

    def rows(self, key: str) -> list[tuple]:
        t = self.tables.get(key)
        return t.rows if t else []

    def index_by(self, table: str, key: str) -> dict[str, list[tuple]]:
        """Rows of ``table`` grouped by the code in column ``key``, in master order (a read-only
        mapping with ``get``, ``in`` and ``[]``)."""
        hit = self._indexes.get((table, key))
        if hit is not None:
            return hit
        t = self.tables.get(table)
        out: dict[str, list[tuple]] = {}
        if t is None:
            self._indexes[(table, key)] = out
            return out
        i = t.index[key]
        if isinstance(t.rows, SpilledRows):
            hit = self._indexes[(table, key)] = SpilledIndex(t.rows, [norm_code(row[i]) for row in t.rows])
            return hit
        self._indexes[(table, key)] = out
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


class _CalamineRows:
    """Rows of a workbook python-calamine reads (.xls, .xlsb, .ods), in XlsxRows' shape."""

    def __init__(self, path: Path):
        from python_calamine import CalamineWorkbook
        self._wb = CalamineWorkbook.from_path(str(path))
        self.sheet_names = list(self._wb.sheet_names)

    def rows(self, name: str, jobs: int = 1):
        sheet = self._wb.get_sheet_by_name(name)
        # python-calamine gives rows from row 1, and columns from the used range's first
        first_col = sheet.start[1] if sheet.start else 0
        texts: dict[str, object] = {}
        for i, values in enumerate(sheet.iter_rows()):
            row = {}
            for j, v in enumerate(values, start=1):
                if v.__class__ is str:
                    if not v:
                        continue
                    hit = texts.get(v)
                    if hit is None:  # each distinct short text once, and one object for each
                        hit = _master_text(v)
                        if len(v) < 64:
                            texts[v] = hit
                    if hit is None:
                        continue
                    v = hit
                elif v is None:
                    continue
                row[first_col + j] = v
            if row:
                yield i + 1, row

    def close(self) -> None:
        self._wb.close()


class _EqualsText(str):
    """A text that starts with "=" (after spaces): the master check reports it (a str subclass
    only while reading; rows store it as plain str)."""


def _master_text(text: str) -> object:
    """Each distinct text of the master once: blank reads as empty; "=" text is marked."""
    if text.isspace():
        return None
    if "=" in text and text.lstrip()[:1] == "=":
        return _EqualsText(text)
    return text


_PLAIN = frozenset((type(None), str, float))  # values a row may hold as read


def _open(path: Path):
    if is_xlsx(path):
        return XlsxRows(path, text_hook=_master_text)
    return _CalamineRows(path)


def read_master(path: str | Path, *, jobs: int = 1) -> Master:
    """Read a master workbook.

    Sheets are streamed row by row (.xlsx/.xlsm; other formats through python-calamine), so
    memory holds the compact tables, never a whole sheet's cells.

    Args:
        path: the .xlsx (or .xlsm/.xls/.ods: anything python-calamine reads).
        jobs: processes that may scan the big sheets of an .xlsx at once (a forked helper).

    Returns:
        A Master; structural problems are in ``master.findings`` (family "master").

    Raises:
        MasterError: the file does not exist or is not a readable workbook.
    """
    path = Path(path)
    if not path.is_file():
        raise MasterError(f"主表文件不存在：{path}")
    try:
        book = _open(path)
        names = list(book.sheet_names)
    except Exception as exc:  # zipfile and calamine raise their own error types for every bad-file case
        raise MasterError(f"无法读取主表“{path.name}”：{exc}") from exc
    try:
        return _read(book, names, path, jobs)
    finally:
        book.close()


def _read(book, names: list[str], path: Path, jobs: int = 1) -> Master:
    normed = {norm_header(n): n for n in names}
    findings: list[Finding] = []
    tables: dict[str, Table] = {}
    formula_texts: list[tuple[str, str, int, str]] = []
    indexes: dict = {}
    spill: SpillFile | None = None
    for spec in SHEETS:
        name = normed.get(norm_header(spec.name))
        if name is None:
            if spec.required:
                findings.append(codes.make("master-sheet-missing", sheet=spec.name, cell="A1", row=1,
                                           name=spec.name, purpose=spec.doc.split(".")[0]))
            continue
        try:
            rows = book.rows(name, jobs) if spec.key in SPILLED else book.rows(name)
            # the header is looked for in the first 10 rows, from the first that holds a value
            head: list[tuple[int, dict]] = []
            pending = None
            for r, values in rows:
                if head and r >= head[0][0] + 10:
                    pending = (r, values)
                    break
                head.append((r, values))
        except Exception as exc:
            raise MasterError(f"无法读取主表工作表“{name}”：{exc}") from exc
        first = head[0][0] if head else 1
        by_row = dict(head)
        grid = [_as_list(by_row.get(first + k, {})) for k in range(10 if head else 0)]
        hdr, columns = _find_header(grid, spec)
        header_row = first + hdr
        missing = [c for c in spec.columns if c.required and c.key not in columns]
        for c in missing:
            findings.append(codes.make("master-column-missing", sheet=name, cell=address(header_row, 1), row=header_row,
                                       sheet_name=name, column=c.header))
        table = Table(spec, name, columns)
        tables[spec.key] = table
        group_key = SPILLED.get(spec.key)
        keys: list = []
        if group_key is not None:
            if spill is None:
                try:
                    spill = SpillFile()
                except OSError:  # no writable temporary folder: keep the rows in memory
                    group_key = None
            if spill is not None:
                table.rows = SpilledRows(spill)
        # header rows themselves may hold "=" text too
        for c, v in sorted(by_row.get(header_row, {}).items()):
            if isinstance(v, str) and v.lstrip().startswith("="):
                formula_texts.append((name, address(header_row, c), header_row, str.__str__(v)))
        if missing and spec.key != "settings":
            continue
        picks = [columns.get(c.key, -1) for c in spec.columns]
        append = table.rows.append
        group_pos = table.index[group_key] - 1 if group_key is not None else None
        width = len(picks)

        def take(values: dict, excel_row: int) -> None:
            get = values.get
            row = [get(c) for c in picks]
            if not _PLAIN.issuperset(map(type, row)):  # a date, a boolean, a number, "=" text
                for k, v in enumerate(row):
                    cls = v.__class__
                    if cls is _EqualsText:
                        v = row[k] = str.__str__(v)
                        formula_texts.append((name, address(excel_row, picks[k]), excel_row, v))
                    elif cls is not str and cls is not float and cls is not int and v is not None:
                        row[k] = _clean(v)
            if row.count(None) < width:
                append((excel_row, *row))
                if group_pos is not None:
                    keys.append(row[group_pos])
        try:
            for r, values in head:
                if r > header_row:
                    take(values, r)
            if pending is not None:
                take(pending[1], pending[0])
                for r, values in rows:
                    take(values, r)
        except Exception as exc:
            raise MasterError(f"无法读取主表工作表“{name}”：{exc}") from exc
        if group_key is not None:
            indexes[(spec.key, group_key)] = SpilledIndex(table.rows, [norm_code(k) for k in keys])
    if spill is not None:
        spill.flush()
    settings, cells = _settings(tables.get("settings"))
    return Master(str(path), tables, settings, cells, findings, formula_texts, indexes, spill)


def _as_list(values: dict) -> list:
    """A row as a list from column A (index 0), for header matching."""
    out = [None] * (max(values) if values else 0)
    for c, v in values.items():
        out[c - 1] = v
    return out


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
