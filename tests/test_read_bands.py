"""Large sheets parsed in row bands on several cores give exactly the Grid of the one-call read."""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import pytest
import xlsxwriter

from fixtures_workbooks import SAMPLES_AND_BAD, readable
from xltools.io import bands, reader

WORKBOOKS = [p for p in SAMPLES_AND_BAD if ".xls" in p.suffix]


def grids(path: Path, banded: bool, monkeypatch) -> list[tuple]:
    monkeypatch.setattr(bands, "BAND_MIN_BYTES", 0 if banded else 1 << 62)
    data = reader.read_workbook(path)
    return [(g.sheet, g.origin, g.values, sorted(g.merges)) for g in data.sheets]


@pytest.fixture
def count_bands(monkeypatch):
    """How many sheets were really read in bands (not quietly by the one-call fallback)."""
    calls = {"banded": 0, "fallback": 0}
    original = reader._read_sheet_banded

    def counting(*args):
        grid = original(*args)
        calls["banded" if grid is not None else "fallback"] += 1
        return grid

    monkeypatch.setattr(reader, "_read_sheet_banded", counting)
    return calls


@pytest.mark.parametrize("path", readable(WORKBOOKS), ids=lambda p: p.name)
def test_every_sample_reads_the_same_in_bands(path, monkeypatch, count_bands):
    one_call = grids(path, False, monkeypatch)
    assert grids(path, True, monkeypatch) == one_call
    if path.suffix == ".xlsx" and any(len(values) >= 2 for _, _, values, _ in one_call):
        assert count_bands["banded"] >= 1, "no sheet of this workbook was cut into bands"


def awkward_sheet(path: Path, *, constant_memory: bool) -> Path:
    """Leading blank rows and columns, a block of empty rows, a wider row late, merges, dates,
    numbers, booleans and a formula error: what stitching bands must put back in place.
    Written row by row, which xlsxwriter's constant_memory mode requires."""
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": constant_memory})
    ws = wb.add_worksheet("表")
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    merged = {(10, 2): (12, 3), (330, 2): (331, 2)}
    covered = {(r, c) for (r1, c1), (r2, c2) in merged.items()
               for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}
    for r in range(3, 400):
        if 150 <= r < 220:
            continue  # a gap that a band boundary may fall into
        if (r, 2) in merged:
            ws.merge_range(r, 2, *merged[(r, 2)], f"合并{r}")
        elif (r, 2) not in covered:
            ws.write(r, 2, f"名称{r}")
        if (r, 3) not in covered:
            ws.write(r, 3, r * 1.5)
        if r % 7 == 0:
            ws.write_datetime(r, 4, dt.datetime(2025, 1 + r % 12, 1), date)
        if r % 11 == 0:
            ws.write_boolean(r, 5, r % 2 == 0)
        if r == 300:
            ws.write_formula(r, 6, "=1/0", None, "#DIV/0!")
        if r == 390:
            ws.write(r, 9, "最宽的一行")
    wb.close()
    return path


@pytest.mark.parametrize("constant_memory", [False, True], ids=["shared-strings", "inline-strings"])
def test_awkward_sheet_reads_the_same_in_bands(tmp_path, monkeypatch, count_bands, constant_memory):
    path = awkward_sheet(tmp_path / "a.xlsx", constant_memory=constant_memory)
    monkeypatch.setattr(bands, "MAX_BANDS", 4)
    monkeypatch.setattr(bands, "band_count", lambda size: 1 if bands.BAND_MIN_BYTES > size else 4)
    one_call = grids(path, False, monkeypatch)
    banded = grids(path, True, monkeypatch)
    assert count_bands["banded"] == 1
    assert banded == one_call
    sheet, origin, values, merges = banded[0]
    assert origin == (4, 3)  # calamine skips the empty rows and columns before the first value
    assert any(isinstance(v, dt.date) for line in values for v in line)
    assert "#DIV/0!" in [v for line in values for v in line]
    assert len(merges) == 2


def rewrite_sheet(path: Path, out: Path, edit) -> Path:
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = edit(data)
            dst.writestr(info, data)
    return out


def test_rows_without_their_number_are_not_cut(tmp_path, monkeypatch, count_bands):
    # Some writers leave out r= on rows; a band would then not know where it starts.
    src = awkward_sheet(tmp_path / "a.xlsx", constant_memory=False)
    path = rewrite_sheet(src, tmp_path / "no-r.xlsx", lambda x: re.sub(rb'<row r="\d+"', b"<row", x))
    one_call = grids(path, False, monkeypatch)
    assert grids(path, True, monkeypatch) == one_call
    assert count_bands == {"banded": 0, "fallback": 1}


def test_rows_without_their_number_inside_bands_read_the_same(tmp_path, monkeypatch, count_bands):
    # Cuts fall only before numbered rows; an unnumbered row inside a band is placed one below
    # the row before it, in the band as in the whole sheet. Every third row loses its number.
    src = awkward_sheet(tmp_path / "a.xlsx", constant_memory=False)
    seen = iter(range(10**6))
    path = rewrite_sheet(src, tmp_path / "some-r.xlsx",
                         lambda x: re.sub(rb'<row r="\d+"', lambda m: b"<row" if next(seen) % 3 == 1 else m.group(0), x))
    assert re.search(rb"<row[ >](?!r=)", zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml"))
    monkeypatch.setattr(bands, "band_count", lambda size: 1 if bands.BAND_MIN_BYTES > size else 4)
    one_call = grids(path, False, monkeypatch)
    assert grids(path, True, monkeypatch) == one_call
    assert count_bands == {"banded": 1, "fallback": 0}
    # and the unnumbered rows are where the numbered sheet has them
    assert one_call == grids(src, False, monkeypatch)


def test_cut_bands_keeps_every_row_once():
    rows = b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (i, i, i) for i in range(1, 101))
    xml = (b'<worksheet><dimension ref="A1:A100"/><sheetData>' + rows
           + b'</sheetData><mergeCells count="1"><mergeCell ref="A1:A2"/></mergeCells></worksheet>')
    parts = bands.cut_bands(xml, 3)
    assert len(parts) == 3
    bodies = [p[p.index(b"<sheetData>") + 11:p.index(b"</sheetData>")] for p in parts]
    assert b"".join(bodies) == rows
    assert all(b"<dimension" not in p for p in parts)  # each band's own extent, not the sheet's
    # The merges ride before the rows (python-calamine's merge scan stops there), in the first band.
    assert all(p.index(b"<mergeCells") < p.index(b"<sheetData>") for p in parts)
    assert [p.count(b'<mergeCell ref="A1:A2"/>') for p in parts] == [1, 0, 0]
    assert bands.cut_bands(xml.replace(b"<sheetData>", b"<x:sheetData>"), 2) is None
    # Merges in a shape not recognised (prefixed, or a second block): not cut.
    assert bands.cut_bands(xml.replace(b"<mergeCells", b"<x:mergeCells"), 2) is None
    assert bands.cut_bands(xml.replace(b"</worksheet>", b"<mergeCells></mergeCells></worksheet>"), 2) is None
    empty = bands.cut_bands(xml.replace(b'<mergeCells count="1"><mergeCell ref="A1:A2"/></mergeCells>',
                                        b'<mergeCells count="0"/>'), 2)
    assert empty is not None and all(b"<mergeCells></mergeCells>" in p for p in empty)


def test_small_sheets_are_read_in_one_call():
    assert bands.band_count(bands.BAND_MIN_BYTES - 1) == 1


def test_input_file_is_untouched(tmp_path, monkeypatch):
    path = awkward_sheet(tmp_path / "a.xlsx", constant_memory=False)
    before = path.read_bytes()
    grids(path, True, monkeypatch)
    assert path.read_bytes() == before


def test_banded_read_opens_no_whole_book(tmp_path, monkeypatch):
    """The sheet list of a banded read comes from the workbook part alone: opening the whole
    book would parse all its shared strings once more, for nothing."""
    path = awkward_sheet(tmp_path / "a.xlsx", constant_memory=False)
    opened = []
    original = reader._open_book

    def recording(p, raw):
        opened.append(raw)
        return original(p, raw)

    monkeypatch.setattr(reader, "_open_book", recording)
    monkeypatch.setattr(bands, "band_count", lambda size: 4)
    grids(path, True, monkeypatch)
    assert len(opened) == 1
    names = zipfile.ZipFile(io.BytesIO(opened[0])).namelist()
    assert "xl/workbook.xml" in names and "xl/sharedStrings.xml" not in names
