"""Damaged workbooks and templates, of the kinds a fuzzer found: each gives a one-line error
naming the file, never an exception or an "internal error", and the input is left as it was.

The crafted cases below each raised before: UnicodeDecodeError from a sheet name or a part name
that is not UTF-8, NotImplementedError from zipfile on an unknown zip version, lxml's TypeError
when an annotated copy was written from a workbook part whose namespace is mangled, and, in a
template, lxml's XMLSyntaxError, zlib's error and IndexError. The seeded mutations keep looking
for more, the same ones on every run.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import random
import re
import resource
import struct
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from xltools.cli import main
from xltools.engine import validate_path
from xltools.io.reader import read_workbook
from xltools.io.errors import WorkbookError

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = sorted((ROOT / "samples").glob("*.xlsx"))
WITH_FINDINGS = ROOT / "samples" / "seed003-shaoguan-unit-selfeval.xlsx"
CENTRAL_SIG = b"PK\x01\x02"


def rezip(raw: bytes, change) -> bytes:
    """The package ``raw`` with each part's bytes passed through ``change(name, data)``."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for name in zin.namelist():
            zout.writestr(name, change(name, zin.read(name)))
    return out.getvalue()


def sheet_name_not_utf8() -> bytes:
    def change(name, data):
        if name != "xl/workbook.xml":
            return data
        start = data.index(b'<sheet name="') + len(b'<sheet name="')
        return data[:start] + b"\xff\xfe" + data[data.index(b'"', start):]
    return rezip(WITH_FINDINGS.read_bytes(), change)


def unknown_zip_version() -> bytes:
    # Every central record asks for zip version 25.5; a part stored twice sends the reader to
    # zipfile (the hand-read view leaves duplicates to it), which refuses the version.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate it is asked to write
        buffer = io.BytesIO(WITH_FINDINGS.read_bytes())
        with zipfile.ZipFile(buffer, "a") as z:
            z.writestr("docProps/app.xml", b"<Properties/>")
        raw = bytearray(buffer.getvalue())
    at = raw.find(CENTRAL_SIG)
    while at >= 0:
        struct.pack_into("<H", raw, at + 6, 255)
        at = raw.find(CENTRAL_SIG, at + 4)
    return bytes(raw)


def part_name_flagged_utf8_but_not() -> bytes:
    raw = bytearray(WITH_FINDINGS.read_bytes())
    name = b"docProps/app.xml"
    assert raw.count(name) == 2  # its local and its central header
    raw[:] = raw.replace(name, b"docProps/\xffpp.xml")
    central = raw.rindex(b"docProps/\xffpp.xml") - 46
    assert raw[central:central + 4] == CENTRAL_SIG
    flags = struct.unpack_from("<H", raw, central + 8)[0]
    struct.pack_into("<H", raw, central + 8, flags | 0x800)
    return bytes(raw)


def workbook_namespace_mangled() -> bytes:
    # Readers that look for <sheet> by its local name still read this file (and find the
    # sample's defects); a copy of it with notes cannot be written.
    main_ns = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    return rezip(WITH_FINDINGS.read_bytes(), lambda name, data: data.replace(main_ns, b"http://0chemas.example/main", 1)
                 if name == "xl/workbook.xml" else data)


DAMAGED = {
    "sheet-name-not-utf8": (sheet_name_not_utf8, "UTF-8"),
    "unknown-zip-version": (unknown_zip_version, "损坏"),
    "part-name-not-utf8": (part_name_flagged_utf8_but_not, "损坏"),
}


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.mark.parametrize("case", sorted(DAMAGED))
def test_a_damaged_package_is_refused_with_one_line_naming_the_file(case, tmp_path):
    make, says = DAMAGED[case]
    path = tmp_path / f"{case}.xlsx"
    path.write_bytes(make())
    before = sha(path)
    with pytest.raises(WorkbookError) as refused:
        read_workbook(path)
    message = str(refused.value)
    assert message.startswith(str(path)) and says in message and "\n" not in message
    report = validate_path(path)
    assert report.error == message and report.forms == []
    result = CliRunner().invoke(main, ["validate", "--format", "json", str(path)])
    assert result.exit_code == 3 and "内部错误" not in result.output, result.output
    assert sha(path) == before


def test_a_copy_that_cannot_be_written_is_said_so_and_the_report_stands(tmp_path):
    path = tmp_path / "mangled.xlsx"
    path.write_bytes(workbook_namespace_mangled())
    before = sha(path)
    assert validate_path(path).findings, "the reader should still read the forms (the case needs findings)"
    out = tmp_path / "annotated"
    result = CliRunner().invoke(main, ["validate", "-j", "1", "--annotate", str(out), str(path)])
    assert result.exit_code == 3 and "内部错误" not in result.output
    assert f"{path}: 工作簿部件 xl/workbook.xml 缺少工作表列表" in result.output
    assert not (out / path.name).exists()
    result = CliRunner().invoke(main, ["fill", str(path), "-o", str(tmp_path / "filled.xlsx")])
    assert result.exit_code == 3 and "内部错误" not in result.output and "<sheets>" in result.output
    assert not (tmp_path / "filled.xlsx").exists()
    assert sha(path) == before


def mutated(rng: random.Random, raw: bytes) -> bytes:
    """One random damage: bytes flipped, the file cut short, or a part's XML cut or spliced."""
    kind = rng.randrange(4)
    if kind == 0:
        out = bytearray(raw)
        for _ in range(rng.randint(1, 20)):
            out[rng.randrange(len(out))] = rng.randrange(256)
        return bytes(out)
    if kind == 1:
        return raw[:rng.randrange(len(raw))]
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        victim = rng.choice([n for n in z.namelist() if n.endswith((".xml", ".rels"))])

    def change(name, data):
        if name != victim or not data:
            return data
        at = rng.randrange(len(data))
        if kind == 2:
            return data[:at] + data[at + rng.randrange(200):]
        splice = rng.choice([b'<c r="A1" t="e"><v>#REF!</v></c>', b'<row r="0">', b"&#0;", b"\xff\xfe",
                             b'<mergeCell ref="A1:XFD1048576"/>', b'<c r="B2" t="s"><v>999999</v></c>'])
        return data[:at] + splice + data[at:]
    return rezip(raw, change)


def test_seeded_mutations_of_the_samples_never_raise(tmp_path):
    rng = random.Random(20261122)
    refused = 0
    for i in range(120):
        raw = mutated(rng, rng.choice(SAMPLES).read_bytes())
        path = tmp_path / f"m{i}.xlsx"
        path.write_bytes(raw)
        report = validate_path(path)  # must not raise
        if report.error is not None:
            refused += 1
            assert report.error.startswith(str(path)) and "\n" not in report.error
        assert path.read_bytes() == raw
    assert 0 < refused < 120  # some damage is refused, some is read past


# --- damaged templates (build --template) ------------------------------------------------------

TEMPLATES = sorted((ROOT / "templates").glob("*.xlsx"))
PROJECT_TARGET = ROOT / "templates" / "project-target.xlsx"


def broken_deflate(raw: bytes, part: str) -> bytes:
    """``raw`` with the compressed bytes of ``part`` garbled (its deflate stream no longer inflates)."""
    out = bytearray(raw)
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        info = z.getinfo(part)
    name_len, extra_len = struct.unpack_from("<HH", out, info.header_offset + 26)
    start = info.header_offset + 30 + name_len + extra_len
    out[start:start + 16] = b"\xff" * 16
    return bytes(out)


DAMAGED_TEMPLATES = {
    "styles-not-xml": (lambda raw: rezip(raw, lambda n, d: d[:len(d) // 2] if n == "xl/styles.xml" else d),
                       "的部件 xl/styles.xml 不是合法的 XML"),
    "shared-string-missing": (lambda raw: rezip(raw, lambda n, d: re.sub(rb"<si>.*</si>", b"", d, flags=re.S)
                                                if n == "xl/sharedStrings.xml" else d),
                              "引用的共享字符串"),
    "deflate-broken": (lambda raw: broken_deflate(raw, "xl/workbook.xml"), "的部件 xl/workbook.xml 已损坏"),
}


@pytest.mark.parametrize("case", sorted(DAMAGED_TEMPLATES))
def test_a_damaged_template_is_refused_by_name(case, tmp_path):
    from xltools.templating.compiler import compile_template
    from xltools.templating.placeholders import TemplateError
    make, says = DAMAGED_TEMPLATES[case]
    template = tmp_path / f"{case}.xlsx"
    template.write_bytes(make(PROJECT_TARGET.read_bytes()))
    with pytest.raises(TemplateError) as refused:
        compile_template(template, kind="project-target")
    assert f"模板“{template.name}”" in str(refused.value) and says in str(refused.value)
    out = tmp_path / "forms"
    result = CliRunner().invoke(main, ["build", str(ROOT / "samples" / "master.xlsx"), "-o", str(out), "-q",
                                       "--kind", "project-target", "--template", str(template)])
    assert result.exit_code == 3 and "内部错误" not in result.output and template.name in result.output
    assert not out.exists()


def test_seeded_mutations_of_the_templates_raise_only_template_errors(tmp_path):
    from xltools.templating.compiler import compile_template
    from xltools.templating.placeholders import TemplateError
    rng = random.Random(1122)
    refused = 0
    for i in range(80):
        source = rng.choice(TEMPLATES)
        template = tmp_path / f"t{i}.xlsx"
        template.write_bytes(mutated(rng, source.read_bytes()))
        try:
            compile_template(template, kind=source.stem)
        except TemplateError as exc:
            refused += 1
            assert template.name in str(exc)
    assert 0 < refused < 80


# --- what python-calamine would abort on ------------------------------------------------------
# A Rust allocation that fails aborts the process: no exception, no message. These run the CLI
# in a child whose address space is capped, so that the old behaviour fails the test (exit -6)
# rather than the machine.

def run_capped(*args: str) -> subprocess.CompletedProcess:
    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
    return subprocess.run([sys.executable, "-m", "xltools.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), preexec_fn=cap, timeout=300)


def stray_cell_far_away(path: Path, rows: int = 30, far: tuple[int, int] | None = (1048575, 16383)) -> Path:
    import xlsxwriter
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("自评表")
    ws.write_row(0, 0, ["一级指标", "二级指标", "三级指标", "指标值", "分值"])
    for i in range(rows):
        ws.write_row(1 + i, 0, ["产出指标", "数量指标", f"检查户数{i}", "≥10户", 2])
    if far is not None:
        ws.write(*far, " ")  # a space typed far away: an accident real sheets have
    wb.close()
    return path


def test_a_stray_cell_far_away_is_refused_by_name_not_an_abort(tmp_path):
    path = stray_cell_far_away(tmp_path / "stray.xlsx")
    proc = run_capped("validate", "--format", "json", "-j", "1", str(path))
    assert proc.returncode == 3, (proc.returncode, proc.stderr[-500:])
    [f] = json.loads(proc.stdout)["files"]
    assert f["error"].startswith(f"{path} [自评表!XFD1048576]") and "\n" not in f["error"]


@pytest.mark.parametrize("rows,far,refused", [
    (30, (1048575, 0), False),     # far down column A: a long thin block
    (3000, (2999, 60), False),     # a wide but dense sheet: columns are only counted past 1,220 rows
    (3000, (5, 16383), True),      # 3,000 rows reaching column XFD
])
def test_oversized_blocks_are_told_from_large_sheets(tmp_path, rows, far, refused):
    from xltools.io.calamine_parts import oversized_block
    path = stray_cell_far_away(tmp_path / "sheet.xlsx", rows, far)
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/worksheets/sheet1.xml")
    assert (oversized_block(xml) is not None) == refused
    if not refused:
        assert validate_path(path).error is None


def test_shared_string_counts_past_the_part_are_not_trusted(tmp_path):
    path = tmp_path / "counts.xlsx"
    counts = re.compile(rb'(count|uniqueCount)="\d+"')
    path.write_bytes(rezip(WITH_FINDINGS.read_bytes(), lambda name, data: counts.sub(rb'\1="4000000000"', data)
                           if name == "xl/sharedStrings.xml" else data))
    proc = run_capped("validate", "--format", "json", "-j", "1", str(path))
    assert proc.returncode == 1, (proc.returncode, proc.stderr[-500:])  # the sample's findings, as without the counts
    ours = json.loads(proc.stdout)["files"][0]["forms"]
    theirs = validate_path(WITH_FINDINGS).to_dict()["forms"]
    assert ours == theirs


def test_a_stray_cell_in_a_sheet_read_in_bands_is_refused_before_its_band_parses(tmp_path, monkeypatch):
    from xltools.io import bands, reader
    monkeypatch.setattr(bands, "BAND_MIN_BYTES", 0)  # every sheet is read in bands
    looked_at = []
    real = reader._refuse_oversized

    def spy(path, sheet, xml, limit=reader.MAX_BLOCK_CELLS):
        looked_at.append(limit)
        real(path, sheet, xml, limit)

    monkeypatch.setattr(reader, "_refuse_oversized", spy)
    path = stray_cell_far_away(tmp_path / "stray.xlsx", rows=200)
    with pytest.raises(WorkbookError) as refused:
        read_workbook(path)
    assert refused.value.sheet == "自评表" and refused.value.cell == "XFD1048576"
    assert looked_at and all(limit < reader.MAX_BLOCK_CELLS for limit in looked_at)  # band by band


def legacy_damaged() -> bytes:
    """tests/data/bad/legacy.xls with 52 random bytes inserted at 1,901, as the fuzzer made it:
    python-calamine then reserved 4 GB for a sector chain of the compound file, and aborted."""
    raw = (ROOT / "tests" / "data" / "bad" / "legacy.xls").read_bytes()
    inserted = bytes.fromhex("b0b4eb8902c44269da1cf6ba66d3f8b6d4b100a9ea0e755a5c2e8210242a08e7078f7f89385eb094"
                             "23555182568b96e8a4fef23a")
    return raw[:1901] + inserted + raw[1901:]


def test_a_damaged_legacy_xls_is_refused_not_an_abort(tmp_path):
    path = tmp_path / "damaged.xls"
    path.write_bytes(legacy_damaged())
    proc = run_capped("validate", "--format", "json", "-j", "1", str(path))
    assert proc.returncode == 3, (proc.returncode, proc.stderr[-300:])
    [f] = json.loads(proc.stdout)["files"]
    assert f["error"].startswith(str(path)) and ".xls" in f["error"] and "\n" not in f["error"]
    assert "backtrace" not in proc.stderr and "Traceback" not in proc.stderr
    assert path.read_bytes() == legacy_damaged()
