"""The input is never modified; writes are atomic; backups never overwrite; bad input raises WorkbookError."""
from __future__ import annotations

import os
import re
import struct
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from hypothesis import given, settings
from hypothesis import strategies as st

from fixtures_rich import MAIN_SHEET, rich_xlsx  # noqa: F401
from xltools.core.edits import CellEdit
from xltools.core.findings import Finding, Severity
from xltools.io import package
from xltools.io.errors import WorkbookError
from xltools.io.sheet_patch import ooxml_text
from xltools.io.xmltext import esc
from xltools.io.writer import backup_path, save_copy

FINDING = Finding("reason-missing", Severity.WARNING, MAIN_SHEET, "F5", 5, "偏差原因为空")


def _fingerprint(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns


def test_source_is_never_modified(rich_xlsx, tmp_path):
    before = _fingerprint(rich_xlsx)
    save_copy(rich_xlsx, tmp_path / "a.xlsx", edits=[CellEdit(MAIN_SHEET, 4, 4, 1.0)], findings=[FINDING])
    save_copy(rich_xlsx, tmp_path / "b.xlsx", clear_marks=True)
    assert _fingerprint(rich_xlsx) == before


def test_overwriting_the_source_needs_a_backup(rich_xlsx):
    before = _fingerprint(rich_xlsx)
    with pytest.raises(WorkbookError) as info:
        save_copy(rich_xlsx, rich_xlsx, findings=[FINDING])
    assert "backup" in info.value.message
    assert _fingerprint(rich_xlsx) == before
    same_via_other_spelling = rich_xlsx.parent / "." / rich_xlsx.name
    with pytest.raises(WorkbookError):
        save_copy(rich_xlsx, same_via_other_spelling, findings=[FINDING])


def test_backups_are_numbered_and_never_overwritten(rich_xlsx):
    original = rich_xlsx.read_bytes()
    save_copy(rich_xlsx, rich_xlsx, findings=[FINDING], backup=True)
    first = rich_xlsx.with_name("rich.bak.xlsx")
    assert first.read_bytes() == original
    annotated = rich_xlsx.read_bytes()
    assert annotated != original
    save_copy(rich_xlsx, rich_xlsx, clear_marks=True, backup=True)
    second = rich_xlsx.with_name("rich.bak2.xlsx")
    assert second.read_bytes() == annotated
    assert first.read_bytes() == original
    assert backup_path(rich_xlsx) == rich_xlsx.with_name("rich.bak3.xlsx")


def test_failed_write_leaves_destination_and_folder_untouched(rich_xlsx, tmp_path):
    dst = tmp_path / "out.xlsx"
    dst.write_bytes(b"previous content")
    with pytest.raises(WorkbookError):
        save_copy(rich_xlsx, dst, edits=[CellEdit("没有这张表", 1, 1, 1.0)], backup=True)
    assert dst.read_bytes() == b"previous content"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.xlsx", "rich.xlsx"]


def test_write_replaces_destination_atomically(rich_xlsx, tmp_path):
    dst = tmp_path / "out.xlsx"
    dst.write_bytes(b"old")
    old_inode = dst.stat().st_ino
    save_copy(rich_xlsx, dst, findings=[FINDING])
    assert zipfile.is_zipfile(dst) and dst.stat().st_ino != old_inode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.xlsx", "rich.xlsx"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_written_files_get_the_permissions_of_a_new_file_or_of_the_file_they_replace(rich_xlsx, tmp_path):
    """A temp file is its owner's alone (mkstemp); what it becomes must not be: a new copy gets
    what a plain open() gives under the umask, an in-place edit keeps the file's own mode."""
    new, plain = tmp_path / "new.xlsx", tmp_path / "plain.txt"
    save_copy(rich_xlsx, new, findings=[FINDING])
    plain.write_bytes(b"")
    assert new.stat().st_mode & 0o777 == plain.stat().st_mode & 0o777
    shared = tmp_path / "shared.xlsx"
    shared.write_bytes(rich_xlsx.read_bytes())
    shared.chmod(0o664)
    save_copy(shared, shared, findings=[FINDING], backup=True)
    assert shared.stat().st_mode & 0o777 == 0o664
    assert zipfile.is_zipfile(shared)


def _zip_with(path: Path, entries: dict[str, bytes], level: int = 6) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return path


def _minimal(rich: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(rich) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def test_ratio_bomb_is_refused(rich_xlsx, tmp_path):
    entries = _minimal(rich_xlsx)
    entries["xl/media/zeros.bin"] = bytes(20 * 1024 * 1024)  # deflates about 1000:1
    bomb = _zip_with(tmp_path / "bomb.xlsx", entries, level=9)
    info = zipfile.ZipFile(bomb).getinfo("xl/media/zeros.bin")
    assert info.file_size / info.compress_size > package.MAX_RATIO
    with pytest.raises(WorkbookError) as exc:
        save_copy(bomb, tmp_path / "out.xlsx")
    assert "zip" in exc.value.message


def test_declared_huge_part_is_refused_before_inflating(rich_xlsx, tmp_path):
    entries = _minimal(rich_xlsx)
    entries["xl/media/huge.bin"] = b"x" * 1000
    path = _zip_with(tmp_path / "huge.xlsx", entries)
    # Rewrite the central directory's uncompressed size of that entry to 300 MB.
    data = bytearray(path.read_bytes())
    name = b"xl/media/huge.bin"
    pos = data.find(b"PK\x01\x02")
    while pos != -1:
        n_len = struct.unpack_from("<H", data, pos + 28)[0]
        if data[pos + 46: pos + 46 + n_len] == name:
            struct.pack_into("<I", data, pos + 24, 300 * 1024 * 1024)
            break
        pos = data.find(b"PK\x01\x02", pos + 4)
    path.write_bytes(bytes(data))
    with pytest.raises(WorkbookError) as exc:
        save_copy(path, tmp_path / "out.xlsx")
    assert "200 MB" in exc.value.message


@pytest.mark.parametrize("content, words", [
    (b"", "文件为空"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), ".xls"),  # an OLE file that is not encrypted
    (b"name,value\n1,2\n", "CSV"),
])
def test_not_a_workbook(tmp_path, content, words):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(content)
    with pytest.raises(WorkbookError) as exc:
        save_copy(bad, tmp_path / "out.xlsx", findings=[FINDING])
    assert words in exc.value.message and exc.value.path == bad
    assert not (tmp_path / "out.xlsx").exists()


def test_missing_file_and_missing_workbook_part(rich_xlsx, tmp_path):
    with pytest.raises(WorkbookError, match="文件不存在"):
        save_copy(tmp_path / "nope.xlsx", tmp_path / "out.xlsx")
    entries = _minimal(rich_xlsx)
    del entries["xl/workbook.xml"]
    broken = _zip_with(tmp_path / "noworkbook.xlsx", entries)
    with pytest.raises(WorkbookError, match="工作簿部件"):
        save_copy(broken, tmp_path / "out.xlsx")


def test_malformed_sheet_xml_is_a_workbook_error(rich_xlsx, tmp_path):
    entries = _minimal(rich_xlsx)
    entries["xl/worksheets/sheet1.xml"] = entries["xl/worksheets/sheet1.xml"][:-40]
    broken = _zip_with(tmp_path / "broken.xlsx", entries)
    with pytest.raises(WorkbookError, match="XML"):
        save_copy(broken, tmp_path / "out.xlsx", findings=[FINDING])


def test_corrupt_entry_is_a_workbook_error(rich_xlsx, tmp_path):
    data = bytearray(rich_xlsx.read_bytes())
    # Flip bytes inside the compressed stream of the first sheet (found by its local header).
    pos = data.find(b"xl/worksheets/sheet1.xml")
    for i in range(pos + 60, pos + 90):
        data[i] ^= 0xFF
    bad = tmp_path / "corrupt.xlsx"
    bad.write_bytes(bytes(data))
    with pytest.raises(WorkbookError):
        save_copy(bad, tmp_path / "out.xlsx", findings=[FINDING])
    assert not (tmp_path / "out.xlsx").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_destination_folder_must_exist(rich_xlsx, tmp_path):
    with pytest.raises(WorkbookError, match="文件夹"):
        save_copy(rich_xlsx, tmp_path / "no" / "out.xlsx")
    assert os.listdir(tmp_path) == ["rich.xlsx"]



@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from([*map(chr, range(0, 40)), "_", "x", "0", "4", "1", "A", "指", "\u3000",
                                         "\ufffe", "\uffff", "\u2028"]), max_size=16))
def test_text_for_xml_is_legal_and_reads_back(text):
    """Every text written into a cell or note: no character XML forbids, and Excel's reading of
    the _xHHHH_ escapes gives the text back (the common case skips the escaping work)."""
    out = ooxml_text(text)
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", out)
    assert re.sub("_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), out) == text


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from([*map(chr, range(0, 40)), "&", "<", ">", "_", "x", "0", "4", "1", "A", "指",
                                         "\ufffe"]), max_size=16))
def test_escaped_element_text_parses_back_to_the_text(text):
    """``esc``, used wherever a part is written as text (stamped forms, the 校验结果 sheet): an XML
    parser reads back what ``ooxml_text`` gives, carriage returns included."""
    parsed = etree.fromstring(f"<t>{esc(text)}</t>").text or ""
    assert parsed == ooxml_text(text)
