"""The hand-read zip (zipview) and calamine's merges-first sheet copies read exactly what zipfile
and python-calamine read from the file as it is; anything of another shape goes to zipfile."""
from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from fixtures_workbooks import ROOT, SAMPLES_AND_BAD, readable
from xltools.io import calamine_parts, reader
from xltools.io.errors import WorkbookError
from xltools.io.zipview import ZipView, stored_zip

ZIPS = [p for p in SAMPLES_AND_BAD if p.read_bytes()[:2] == b"PK"]
READABLE_ZIPS = readable(ZIPS)


@pytest.mark.parametrize("path", ZIPS, ids=lambda p: p.name)
def test_view_reads_every_part_as_zipfile_does(path):
    raw = path.read_bytes()
    view = ZipView.parse(raw)
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile:
        assert view is None  # what zipfile cannot open is never read by hand
        return
    assert view is not None  # every writer's zip here has the plain shape
    assert list(view.entries) == zf.namelist()
    for info in zf.infolist():
        e = view.entries[info.filename]
        assert (e.file_size, e.compress_size) == (info.file_size, info.compress_size)
        if info.file_size < 64 * 1024 * 1024:
            assert view.read(info.filename) == zf.read(info.filename)


def grids(path: Path) -> list[tuple]:
    return [(g.sheet, g.origin, g.values, sorted(g.merges), g.may_hold_errors) for g in reader.read_workbook(path).sheets]


@pytest.mark.parametrize("path", READABLE_ZIPS, ids=lambda p: p.name)
def test_merges_first_copies_read_the_same(path, monkeypatch):
    moved = grids(path)
    monkeypatch.setattr(reader, "merges_first", lambda xml: None)  # calamine on the file as it is
    assert grids(path) == moved


@pytest.mark.parametrize("path", READABLE_ZIPS, ids=lambda p: p.name)
def test_zipfile_fallback_reads_the_same(path, monkeypatch):
    by_hand = grids(path)
    monkeypatch.setattr(reader.ZipView, "parse", classmethod(lambda cls, raw: None))
    assert grids(path) == by_hand


def test_samples_really_take_the_fast_paths(monkeypatch):
    moved = []
    original = calamine_parts.merges_first

    def counting(xml):
        out = original(xml)
        moved.append(out is not None)
        return out

    monkeypatch.setattr(reader, "merges_first", counting)
    merged_sample = next(p for p in sorted((ROOT / "samples").glob("*.xlsx")) if any(g.merges for g in reader.read_workbook(p).sheets))
    assert ZipView.parse(merged_sample.read_bytes()) is not None
    grids(merged_sample)
    assert moved and all(moved)


def test_with_parts_replaces_only_what_it_names():
    path = next(iter(sorted((ROOT / "samples").glob("*.xlsx"))))
    raw = path.read_bytes()
    view = ZipView.parse(raw)
    sheet = next(n for n in view.entries if n.startswith("xl/worksheets/sheet"))
    new = b"<worksheet>replaced \xe4\xb8\xad</worksheet>"
    out = view.with_parts({sheet: new})
    with zipfile.ZipFile(io.BytesIO(out)) as z:
        assert z.testzip() is None  # every CRC right
        assert z.namelist() == list(view.entries)
        for name in z.namelist():
            assert z.read(name) == (new if name == sheet else view.read(name))
    assert ZipView.parse(out).read(sheet) == new


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.text(st.characters(min_codepoint=48, max_codepoint=0x9fff, blacklist_categories=("Cs",)),
                                  min_size=1, max_size=12),
                          st.binary(max_size=2000)), min_size=1, max_size=6, unique_by=lambda t: t[0]))
def test_stored_zip_is_a_zip_zipfile_reads(parts):
    out = stored_zip(parts)
    with zipfile.ZipFile(io.BytesIO(out)) as z:
        assert z.testzip() is None
        assert [(n, z.read(n)) for n in z.namelist()] == parts
    view = ZipView.parse(out)
    assert [(n, view.read(n)) for n in view.entries] == parts


def zip_of(parts: dict[str, bytes], **kw) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", **kw) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_other_shapes_are_left_to_zipfile():
    plain = zip_of({"a.xml": b"x" * 100}, compression=zipfile.ZIP_DEFLATED)
    assert ZipView.parse(plain) is not None
    assert ZipView.parse(b"junk before" + plain) is None  # zipfile copes with a prefix; we do not
    assert ZipView.parse(plain[:-10]) is None  # truncated end record
    bz = zip_of({"a.xml": b"x" * 100}, compression=zipfile.ZIP_BZIP2)
    assert ZipView.parse(bz) is None
    # An encrypted entry: flag bit 0 set in its central record.
    at = plain.rfind(b"PK\x01\x02")
    flagged = plain[:at + 8] + struct.pack("<H", 1) + plain[at + 10:]
    assert ZipView.parse(flagged) is None


def test_damaged_part_is_refused_in_zipfile_words(tmp_path):
    """A part whose bytes no longer match its CRC: read by hand it falls back to zipfile, so the
    message is the one zipfile's read gives, naming the file and the sheet."""
    src = sorted((ROOT / "samples").glob("*.xlsx"))[0]
    raw = bytearray(src.read_bytes())
    view = ZipView.parse(bytes(raw))
    sheet = next(e for n, e in view.entries.items() if n.startswith("xl/worksheets/sheet"))
    assert sheet.method == 8
    # Flip a byte in the middle of the sheet's compressed data.
    *_, name_len, extra_len = struct.unpack_from("<4s5H3L2H", raw, sheet.local_offset)
    at = sheet.local_offset + 30 + name_len + extra_len + sheet.compress_size // 2
    raw[at] ^= 0xFF
    bad = tmp_path / "damaged.xlsx"
    bad.write_bytes(bytes(raw))
    with pytest.raises(WorkbookError) as err:
        reader.read_workbook(bad)
    message = str(err.value)
    assert "damaged.xlsx" in message and ("corrupt" in message or "损坏" in message)
    assert bad.read_bytes() == bytes(raw)


def test_merges_first_moves_the_block_and_keeps_the_rows():
    rows = b'<row r="1"><c r="A1"><v>1</v></c></row>'
    xml = (b'<worksheet><dimension ref="A1"/><sheetData>' + rows + b'</sheetData>'
           b'<mergeCells count="1"><mergeCell ref="A1:B1"/></mergeCells><pageMargins left="0.7"/></worksheet>')
    out = calamine_parts.merges_first(xml)
    assert out == (b'<worksheet><dimension ref="A1"/><mergeCells count="1"><mergeCell ref="A1:B1"/></mergeCells>'
                   b'<sheetData>' + rows + b'</sheetData></worksheet>')
    no_merges = xml.replace(b'<mergeCells count="1"><mergeCell ref="A1:B1"/></mergeCells>', b"")
    assert calamine_parts.NO_MERGES in calamine_parts.merges_first(no_merges)
    assert calamine_parts.merges_first(xml.replace(b"<sheetData>", b"<x:sheetData>")) is None
    assert calamine_parts.merges_first(xml.replace(b"<mergeCells", b"<x:mergeCells")) is None
