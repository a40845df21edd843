"""The compound-file writer and reader, checked against olefile and a vbaProject.bin made by Excel."""
from __future__ import annotations

import io
import random
import struct
import zipfile
from pathlib import Path

import olefile
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xltools.excel import cfb
from xltools.excel.vbagen import xlwings_dir

# xlwings ships add-ins saved by Excel; their vbaProject.bin is a real-world compound file.
EXCEL_MADE = xlwings_dir() / "quickstart_addin_ribbon.xlam"


def excel_vba_project() -> bytes:
    with zipfile.ZipFile(EXCEL_MADE) as zf:
        return zf.read("xl/vbaProject.bin")


def olefile_streams(data: bytes) -> dict[str, bytes]:
    ole = olefile.OleFileIO(io.BytesIO(data))
    try:
        return {"/".join(p): ole.openstream("/".join(p)).read() for p in ole.listdir(streams=True)}
    finally:
        ole.close()


SAMPLE = {
    "PROJECT": b"ID=\"{00000000-0000-0000-0000-000000000000}\"\r\n" * 10,
    "PROJECTwm": b"Module1\x00M\x00o\x00d\x00\x00\x00\x00\x00",
    "VBA/_VBA_PROJECT": bytes.fromhex("CC61FFFF000100"),
    "VBA/dir": bytes(range(256)) * 5,
    "VBA/Module1": b"x" * 20_000,          # a regular-sector stream
    "VBA/ThisWorkbook": b"y" * 4096,       # exactly the cutoff: regular sectors
    "VBA/Sheet1": b"z" * 4095,             # just under: mini stream
    "VBA/Empty": b"",
}


def test_olefile_reads_every_stream_back():
    assert olefile_streams(cfb.write_compound_file(SAMPLE)) == SAMPLE


def test_own_reader_agrees_with_olefile_on_our_file():
    data = cfb.write_compound_file(SAMPLE)
    assert cfb.read_compound_file(data) == olefile_streams(data)


def test_own_reader_agrees_with_olefile_on_an_excel_file():
    data = excel_vba_project()
    ours = cfb.read_compound_file(data)
    assert ours == olefile_streams(data)
    assert "VBA/dir" in ours and "PROJECT" in ours


def test_header_fields_are_those_of_version_3():
    data = cfb.write_compound_file(SAMPLE)
    assert data[:8] == cfb.SIGNATURE
    minor, major, order, shift, mini_shift = struct.unpack_from("<HHHHH", data, 24)
    assert (minor, major, order, shift, mini_shift) == (0x3E, 3, 0xFFFE, 9, 6)
    n_dir_sectors, = struct.unpack_from("<I", data, 40)
    assert n_dir_sectors == 0  # must be zero in version 3
    assert struct.unpack_from("<I", data, 56)[0] == 4096
    assert len(data) % 512 == 0


def test_storages_children_form_a_search_tree_in_cfb_order():
    data = cfb.write_compound_file(SAMPLE)
    ole = olefile.OleFileIO(io.BytesIO(data))
    vba = ole.direntries[ole.root.kids_dict["vba"].sid]

    def inorder(sid):
        if sid == cfb.NOSTREAM:
            return []
        e = ole.direntries[sid]
        return inorder(e.sid_left) + [e.name] + inorder(e.sid_right)

    names = inorder(vba.sid_child)
    assert names == sorted(names, key=lambda n: (len(n), n.upper()))
    assert sorted(names) == sorted(k.split("/")[1] for k in SAMPLE if k.startswith("VBA/"))


def test_identical_input_gives_identical_bytes():
    assert cfb.write_compound_file(SAMPLE) == cfb.write_compound_file(dict(SAMPLE))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij_0123456789", min_size=1, max_size=31),
    st.integers(0, 70_000), min_size=1, max_size=12))
def test_random_stream_sets_round_trip(sizes):
    folded = {}
    for name in sizes:  # sibling names are case-insensitive in CFB: keep one of each
        folded.setdefault(name.upper(), name)
    sizes = {name: sizes[name] for name in folded.values()}
    rnd = random.Random(len(sizes))
    streams = {f"S/{name}": rnd.randbytes(size) for name, size in sizes.items()}
    data = cfb.write_compound_file(streams)
    assert cfb.read_compound_file(data) == streams
    assert olefile_streams(data) == streams


@pytest.mark.parametrize("bad", [{"A" * 32: b""}, {"a/b": b"", "a": b""}, {"x:y": b""},
                                 {"S/d": b"", "S/D": b"1"}])
def test_invalid_names_are_refused(bad):
    with pytest.raises(cfb.CfbError):
        cfb.write_compound_file(bad)


def test_not_a_compound_file_is_refused(tmp_path: Path):
    with pytest.raises(cfb.CfbError):
        cfb.read_compound_file(b"PK\x03\x04" + b"\0" * 600)
