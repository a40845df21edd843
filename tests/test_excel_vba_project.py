"""vbaProject.bin: the PROJECT stream's encryption, the dir stream, and reading projects back."""
from __future__ import annotations

import io
import struct
import zipfile

import olefile
import pytest
from oletools.olevba import VBA_Parser, decompress_stream

from xltools.excel import ovba
from xltools.excel.vba_project import (ModuleKind, VbaModule, VbaProjectError, build_vba_project, decrypt,
                                       encrypt, read_vba_modules)
from xltools.excel.vbagen import WORKBOOK_BASE, document_module_source, xlwings_dir

# The PROJECT stream of a blank workbook saved by Excel, as published with
# Beakerboy/vbaProject-Compiler (tests/blank/PROJECT) together with its seeds and filler bytes.
EXCEL_ID = "{9E394C0B-697E-4AEE-9FA6-446F51FB30DC}"
EXCEL_VECTORS = [
    ("41435A5A5E5A5E5A5E5A5E", b"\0\0\0\0", 0x41, b""),          # CMG: protection state
    ("BCBEA7A2591C5A1C5A1C", b"\0", 0xBC, b"\x7b\x7b"),           # DPB: no password
    ("37352C2BDCDD56DE56DEA9", b"\xff", 0x37, b"\x7b\x7b\x7b"),   # GC: visible
]


@pytest.mark.parametrize("hex_text,data,seed,filler", EXCEL_VECTORS)
def test_encryption_reproduces_excels_bytes(hex_text, data, seed, filler):
    assert encrypt(EXCEL_ID, data, seed=seed, ignored=filler) == hex_text


@pytest.mark.parametrize("hex_text,data,seed,filler", EXCEL_VECTORS)
def test_decryption_of_excels_bytes(hex_text, data, seed, filler):
    key, plain = decrypt(hex_text)
    assert plain == data
    assert key == sum(EXCEL_ID.encode()) & 0xFF


def test_decryption_of_the_xlwings_addin_project():
    with zipfile.ZipFile(xlwings_dir() / "quickstart_addin_ribbon.xlam") as zf:
        project = olefile.OleFileIO(io.BytesIO(zf.read("xl/vbaProject.bin"))).openstream("PROJECT").read()
    lines = dict(line.split("=", 1) for line in project.decode("cp1252").splitlines() if "=" in line)
    key = sum(lines["ID"].strip('"').encode()) & 0xFF
    assert decrypt(lines["GC"].strip('"')) == (key, b"\xff")
    assert decrypt(lines["DPB"].strip('"')) == (key, b"\0")


MODULES = [
    VbaModule("ThisWorkbook", ModuleKind.DOCUMENT, document_module_source("ThisWorkbook", WORKBOOK_BASE, "")),
    VbaModule("Module1", ModuleKind.STANDARD,
              'Attribute VB_Name = "Module1"\r\nPublic Sub Hello()\r\n    MsgBox "hi"\r\nEnd Sub\r\n'),
]


def _project(modules=MODULES) -> bytes:
    return build_vba_project(modules, name="Demo")


def test_olevba_reads_the_modules_back():
    buf = _project()
    parser = VBA_Parser("vbaProject.bin", data=buf)
    got = {name: code for (_, _, name, code) in parser.extract_all_macros()}
    assert got == {"ThisWorkbook.cls": MODULES[0].source, "Module1.bas": MODULES[1].source}


def test_own_reader_reads_the_modules_back():
    assert read_vba_modules(_project()) == {m.name: m.source for m in MODULES}


def test_own_reader_agrees_with_olevba_on_an_excel_project():
    with zipfile.ZipFile(xlwings_dir() / "quickstart_addin_ribbon.xlam") as zf:
        data = zf.read("xl/vbaProject.bin")
    theirs = {name.rsplit(".", 1)[0]: code for (_, _, name, code) in VBA_Parser("p.bin", data=data).extract_all_macros()}
    assert read_vba_modules(data) == theirs


def test_source_only_project_layout():
    ole = olefile.OleFileIO(io.BytesIO(_project()))
    assert ole.openstream("VBA/_VBA_PROJECT").read()[:4] == bytes.fromhex("CC61FFFF")  # version 0xFFFF
    # Each module stream is its compressed source and nothing else (MODULEOFFSET 0).
    for m in MODULES:
        stream = ole.openstream(f"VBA/{m.name}").read()
        assert ovba.decompress(stream) == m.source.encode("cp1252")
    project = ole.openstream("PROJECT").read().decode("cp1252")
    assert "Document=ThisWorkbook/&H00000000\r\n" in project and "Module=Module1\r\n" in project
    assert 'Name="Demo"' in project


def test_dir_stream_records():
    ole = olefile.OleFileIO(io.BytesIO(_project()))
    raw = decompress_stream(bytearray(ole.openstream("VBA/dir").read()))
    assert raw[:10] == struct.pack("<HII", 0x0001, 4, 1)  # PROJECTSYSKIND first
    assert raw.endswith(struct.pack("<HI", 0x0010, 0))    # dir terminator last
    offsets = [struct.unpack_from("<I", raw, i + 6)[0] for i in range(len(raw) - 10)
               if raw[i:i + 6] == struct.pack("<HI", 0x0031, 4)]
    assert offsets == [0, 0]


def test_identical_sources_give_identical_bytes_and_changed_ones_do_not():
    assert _project() == _project()
    other = MODULES[:1] + [VbaModule("Module1", ModuleKind.STANDARD, MODULES[1].source.replace("hi", "ho"))]
    assert _project(other) != _project()


@pytest.mark.parametrize("modules", [
    [VbaModule("Bad Name", ModuleKind.STANDARD, "")],
    [VbaModule("A", ModuleKind.STANDARD, ""), VbaModule("a", ModuleKind.STANDARD, "")],
    [VbaModule("Zh", ModuleKind.STANDARD, 'Attribute VB_Name = "Zh"\r\n\' 绩效\r\n')],
])
def test_unstorable_modules_are_refused(modules):
    with pytest.raises(VbaProjectError):
        build_vba_project(modules)
