"""Reading the master as a stream: the same values as python-calamine, rows spilled to disk, flat memory."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from xltools.templating import master as master_mod
from xltools.templating.builder import build_all
from xltools.templating.checks import check_master
from xltools.templating.master import read_master
from xltools.templating.spill import SpilledRows, SpillFile
from xltools.templating.xlsxrows import XlsxRows

ROOT = Path(__file__).resolve().parent.parent
MASTER = ROOT / "samples" / "master.xlsx"
DEFECTS = ROOT / "samples" / "master-with-defects.xlsx"
sys.path.insert(0, str(ROOT / "bench"))
from make_master import make_master  # noqa: E402


def _calamine(path: Path, sheet: str) -> dict[int, dict[int, object]]:
    """python-calamine's rows as {row: {column: value}} (rows from 1, columns from the used range's first)."""
    s = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet)
    first_col = s.start[1] if s.start else 0
    out = {}
    for i, values in enumerate(s.iter_rows(), start=1):
        row = {first_col + j: v for j, v in enumerate(values, start=1) if v != "" and v is not None}
        if row:
            out[i] = row
    return out


def _streamed(path: Path, sheet: str, jobs: int = 1) -> dict[int, dict[int, object]]:
    with XlsxRows(path) as book:
        return dict(book.rows(sheet, jobs))


@pytest.fixture(scope="module")
def typed_book(tmp_path_factory) -> Path:
    """Every kind of cell value, written by XlsxWriter (numbers, dates by format, formulas, rich text)."""
    path = tmp_path_factory.mktemp("typed") / "typed.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("S")
    formats = ["yyyy-mm-dd", "yyyy-mm-dd hh:mm", "hh:mm:ss", 'yyyy"年"m"月"d"日"', "0.00%", "[Red]0.00",
               "[h]:mm:ss", '"d"0', '0 "days"', "mm:ss.0", 14, 22, 46, 57, '[$-F800]dddd, mmmm dd, yyyy']
    numbers = [0, 0.5, 1, 59, 60, 61, 44000, 44000.5, 44000.99999999, -0.5, 2958465, 2958466, 1e20]
    for c, f in enumerate(formats):
        fmt = wb.add_format({"num_format": f})
        for r, x in enumerate(numbers, start=1):
            if not (x > 1e9 and f in ("[h]:mm:ss", 46)):  # python-calamine overflows on such durations
                ws.write_number(r, c, x, fmt)
    r = len(numbers) + 2
    ws.write_row(r, 0, ["text", " padded ", "a & b < c > d \" '", "ctl\x01char_x0041_lit", "line1\nline2", "＝全角"])
    ws.write_boolean(r + 1, 0, True)
    ws.write_boolean(r + 1, 1, False)
    ws.write_formula(r + 1, 2, "=1/0", None, "#DIV/0!")
    ws.write_formula(r + 1, 3, '="a"&"b"', None, "ab")
    ws.write_formula(r + 1, 4, "=1+1", None, 2)
    ws.write_rich_string(r + 1, 5, "rich ", wb.add_format({"bold": True}), "bold", " end")
    ws.write_string(r + 1, 6, "=A1")
    ws.write(r + 3, 9, "far away")
    wb.close()
    return path


def test_streamed_values_equal_python_calamine_for_every_kind_of_cell(typed_book):
    got, want = _streamed(typed_book, "S"), _calamine(typed_book, "S")
    assert got == want
    # the kinds really are all there: dates, times, durations, booleans, floats, text
    kinds = {type(v).__name__ for row in got.values() for v in row.values()}
    assert {"date", "datetime", "time", "timedelta", "bool", "float", "str"} <= kinds


_NS = "http://schemas.openxmlformats.org"
_PKG_REL = f"{_NS}/package/2006/relationships"
_DOC_REL = f"{_NS}/officeDocument/2006/relationships"
_MAIN = f"{_NS}/spreadsheetml/2006/main"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def _rels(*rels: tuple[str, str, str]) -> str:
    items = "".join(f'<Relationship Id="{i}" Type="{_DOC_REL}/{t}" Target="{target}"/>' for i, t, target in rels)
    return f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PKG_REL}">{items}</Relationships>'


def _package(path: Path, sheet_xml: str, sst: str, date1904: bool = False) -> Path:
    """A hand-written .xlsx, for XML shapes no Python writer produces."""
    overrides = [("/xl/workbook.xml", "sheet.main+xml"), ("/xl/worksheets/sheet1.xml", "worksheet+xml"),
                 ("/xl/sharedStrings.xml", "sharedStrings+xml"), ("/xl/styles.xml", "styles+xml")]
    ct = ('<?xml version="1.0" encoding="UTF-8"?>'
          f'<Types xmlns="{_NS}/package/2006/content-types">'
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
          '<Default Extension="xml" ContentType="application/xml"/>'
          + "".join(f'<Override PartName="{p}" ContentType="{_CT}.{t}"/>' for p, t in overrides) + "</Types>")
    wb = (f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_MAIN}" xmlns:r="{_DOC_REL}">'
          + ('<workbookPr date1904="1"/>' if date1904 else "")
          + '<sheets><sheet name="S &amp; T" sheetId="1" r:id="rId1"/></sheets></workbook>')
    styles = (f'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{_MAIN}">'
              '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd"/></numFmts>'
              '<fonts count="1"><font/></fonts><fills count="1"><fill/></fills><borders count="1"><border/></borders>'
              '<cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="164"><alignment wrapText="1"/></xf>'
              '<xf numFmtId="14"/></cellXfs></styleSheet>')
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", ct)
        z.writestr("_rels/.rels", _rels(("rId1", "officeDocument", "xl/workbook.xml")))
        z.writestr("xl/workbook.xml", wb)
        z.writestr("xl/_rels/workbook.xml.rels", _rels(("rId1", "worksheet", "worksheets/sheet1.xml"),
                                                       ("rId2", "sharedStrings", "sharedStrings.xml"),
                                                       ("rId3", "styles", "styles.xml")))
        z.writestr("xl/styles.xml", styles)
        z.writestr("xl/sharedStrings.xml", sst)
        z.writestr("xl/worksheets/sheet1.xml", f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{_MAIN}">'
                                               f"<sheetData>{sheet_xml}</sheetData></worksheet>")
    return path


@pytest.mark.parametrize("date1904", [False, True])
def test_unusual_xml_reads_like_python_calamine(tmp_path, date1904):
    sst = (f'<sst xmlns="{_MAIN}"><si><t>共享</t></si>'
           '<si><r><rPr><b/></rPr><t>富</t></r><r><t xml:space="preserve"> 文本</t></r></si>'
           '<si><t>漢字</t><rPh sb="0" eb="2"><t>カンジ</t></rPh><phoneticPr fontId="1"/></si><si><t/></si></sst>')
    sheet = ('<row r="2"><c t="s" r="B2"><v>0</v></c><c r="C2" s="1"><v>44000</v></c><c r="D2" s="2"><v>0.25</v></c>'
             '</row><row><c><v>1</v></c><c t="s"><v>1</v></c>'
             '<c r="E3" t="inlineStr"><is><r><t>行</t></r><r><t>内</t></r></is></c></row>'
             '<row r="5" spans="1:3"><c r="A5" t="s"><v>2</v></c><c r="B5" t="s"><v>3</v></c>'
             '<c r="C5" t="str"><f>A1&amp;"x"</f><v>a&amp;b</v></c><c r="D5" t="e"><f>1/0</f><v>#DIV/0!</v></c>'
             '<c r="E5" t="b"><v>1</v></c><c r="F5" t="d"><v>2022-01-02T03:04:05</v></c></row>'
             '<row r="7"><c r="AA7" s="0"/><c r="AB7"><v>-1.5E-3</v></c></row>')
    path = _package(tmp_path / "odd.xlsx", sheet, sst, date1904)
    got, want = _streamed(path, "S & T"), _calamine(path, "S & T")
    assert got == want and got[3][2] == "富 文本" and got[5][1] == "漢字"


def test_rows_without_numbers_keep_their_place_when_a_helper_scans(tmp_path):
    # rows and cells without "r" only say where they are by following the one before: the
    # helper gives such chunks back to the parent, which reads them in order
    rows = "".join(f'<row><c><v>{k}</v></c><c t="inlineStr"><is><t>第{k}行 text</t></is></c></row>'
                   if k % 5 else f'<row r="{k + 1}"><c r="B{k + 1}"><v>{k}</v></c></row>' for k in range(40000))
    path = _package(tmp_path / "no-r.xlsx", rows, f'<sst xmlns="{_MAIN}"/>')
    alone, helped = _streamed(path, "S & T"), _streamed(path, "S & T", jobs=2)
    assert helped == alone == _calamine(path, "S & T") and len(alone) == 40000


def _tables(m) -> dict:
    return {k: (t.sheet, t.columns, list(t.rows)) for k, t in m.tables.items()}


def test_master_streamed_equals_master_read_by_python_calamine():
    # the same master through the streaming reader and through python-calamine (as .xls/.ods are)
    for path in (MASTER, DEFECTS):
        streamed = read_master(path)
        book = master_mod._CalamineRows(path)
        via_calamine = master_mod._read(book, book.sheet_names, path)
        assert _tables(streamed) == _tables(via_calamine)
        assert streamed.settings == via_calamine.settings and streamed.formula_texts == via_calamine.formula_texts
        assert [f.message for f in check_master(streamed)] == [f.message for f in check_master(via_calamine)]


@pytest.fixture(scope="module")
def big_master(tmp_path_factory) -> Path:
    # 400 projects: the 指标 sheet is ~2 MB of XML, several chunks for the reader and its helper
    return make_master(400, tmp_path_factory.mktemp("big") / "master-400.xlsx")


def test_helper_process_reads_the_same_rows(big_master):
    with XlsxRows(big_master) as book:
        alone = list(book.rows("指标"))
        helped = list(book.rows("指标", jobs=2))
    assert len(alone) > 3000 and helped == alone
    a, b = read_master(big_master), read_master(big_master, jobs=2)
    assert _tables(a) == _tables(b) and a.formula_texts == b.formula_texts


def test_spilled_rows_and_index_match_the_rows_in_memory(tmp_path):
    spill = SpillFile()
    rows = SpilledRows(spill)
    data = [(r, f"P{r % 7}", "产出指标" if r % 3 else None, float(r) / 3, r % 2 == 0) for r in range(2, 5000)]
    for row in data:
        rows.append(row)
    spill.flush()
    assert len(rows) == len(data) and list(rows) == data and rows[1234] == data[1234]
    assert rows.take([0, 1, 2, 10, 11, 4000]) == [data[k] for k in (0, 1, 2, 10, 11, 4000)]
    from xltools.templating.spill import SpilledIndex
    index = SpilledIndex(rows, [row[1] for row in data])  # owners interleaved: never one run
    for code in {row[1] for row in data}:
        assert index.get(code) == [row for row in data if row[1] == code]
    assert "P9" not in index and index.get("P9", []) == []
    spill.close()


def test_findings_point_at_the_right_cell_when_the_table_does_not_start_at_a1(tmp_path):
    # headers in row 3, data from column B: every address is where the value is
    src = read_master(MASTER)
    path = tmp_path / "offset.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    for key, table in src.tables.items():
        ws = wb.add_worksheet(table.sheet)
        keys = [c.key for c in table.spec.columns if c.key in table.columns]
        ws.write_row(2, 1, [table.spec.column(k).header for k in keys])
        for r, row in enumerate(table.rows, start=3):
            for c, k in enumerate(keys, start=1):
                v = table.get(row, k)
                if v is not None:
                    ws.write(r, c, "是/否" if k == "target" and r == 3 else v)
    wb.close()
    m = read_master(path)
    it = m.table("indicators")
    assert it.columns["owner"] == 2 and it.rows[0][0] == 4
    result = build_all(path, tmp_path / "out", kinds=["project-target"])
    hit = next(f for f in result.errors if f.code == "target-placeholder")
    import openpyxl
    assert openpyxl.load_workbook(path)[hit.sheet][hit.cell].value == "是/否"


def _digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_big_master_builds_the_same_bytes_with_one_or_two_jobs(big_master, tmp_path):
    a = build_all(big_master, tmp_path / "a", kinds=["project-selfeval"], jobs=1, force=True)
    b = build_all(big_master, tmp_path / "b", kinds=["project-selfeval"], jobs=2, force=True)
    assert a.written and b.written and len(a.files) == 400
    assert _digests(tmp_path / "a") == _digests(tmp_path / "b")
    assert [(f.code, f.cell) for f in a.findings] == [(f.code, f.cell) for f in b.findings]


_PEAK = """
import json, resource, sys
from xltools.templating.master import read_master
read_master(sys.argv[1])
print(json.dumps(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
"""


def test_reading_memory_stays_flat_as_the_master_grows(tmp_path):
    # python-calamine held every cell of a sheet at once (+7 MB per 1000 projects); the stream
    # holds one chunk, and the 指标/资金 rows live in the spill file
    peaks = []
    for n in (200, 2000):
        path = make_master(n, tmp_path / f"m{n}.xlsx")
        out = subprocess.run([sys.executable, "-c", _PEAK, str(path)], capture_output=True, text=True, check=True,
                             cwd=ROOT)
        peaks.append(json.loads(out.stdout) / 1024)
    assert peaks[1] - peaks[0] < 6, peaks  # MB for 1800 more projects (13,500 more indicator rows)


def test_a_worker_failing_midway_leaves_nothing_half_written(big_master, tmp_path, monkeypatch):
    from xltools.templating import builder as builder_mod
    real = builder_mod.stamp
    calls = {"n": 0}

    def failing(*args, **kwargs):  # the workers fork after this is in place, so they call it
        calls["n"] += 1
        if calls["n"] == 30:
            raise OSError("disk full")
        return real(*args, **kwargs)
    monkeypatch.setattr(builder_mod, "stamp", failing)
    out = tmp_path / "out"
    with pytest.raises(OSError):
        build_all(big_master, out, kinds=["project-selfeval"], jobs=2, force=True)
    assert not out.exists() and not list(tmp_path.iterdir())
