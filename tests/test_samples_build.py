"""The bundled sample workbooks and the bad-input corpus: reproducible, readable, and as documented."""
from __future__ import annotations

import importlib.util
import io
import json
import struct
import sys
import zipfile
import zlib
from pathlib import Path

import openpyxl
from openpyxl.cell.cell import MergedCell
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from xltools.core.numbers import excel_round

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
BAD = ROOT / "tests" / "data" / "bad"
LAYOUT = json.loads((SAMPLES / "layout.json").read_text(encoding="utf-8"))
SAMPLE_FILES = sorted(m["file"] for m in LAYOUT["samples"])
CHEAP_BAD = ["random-bytes.xlsx", "truncated.xlsx", "encrypted.xlsx", "legacy.xls", "csv-renamed.xlsx",
             "empty.xlsx", "no-form.xlsx", "error-values.xlsx"]


def _script(name: str):
    path = ROOT / "scripts" / f"{name}.py"
    sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _same_writer() -> None:
    recorded = LAYOUT["generator"]["xlsxwriter"]
    if xlsxwriter.__version__ != recorded:
        pytest.skip(f"samples were built with XlsxWriter {recorded}, this is {xlsxwriter.__version__}")


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


# ----------------------------------------------------------------------------- samples


def test_every_data_file_has_its_committed_workbook():
    data = sorted(json.loads(p.read_text(encoding="utf-8"))["file"] for p in (SAMPLES / "data").glob("*.json"))
    assert data == SAMPLE_FILES
    assert all((SAMPLES / f).is_file() for f in SAMPLE_FILES)


def test_rebuild_is_byte_identical(tmp_path):
    _same_writer()
    assert _script("build_samples").main(["--out", str(tmp_path)]) == 0
    for name in SAMPLE_FILES + ["README.md", "layout.json"]:
        assert (tmp_path / name).read_bytes() == (SAMPLES / name).read_bytes(), name


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_sample_opens_with_openpyxl_and_calamine(name):
    path = SAMPLES / name
    assert path.stat().st_size < 100_000
    wb = openpyxl.load_workbook(path)
    cal = CalamineWorkbook.from_path(str(path))
    assert cal.sheet_names == wb.sheetnames
    entry = next(m for m in LAYOUT["samples"] if m["file"] == name)
    assert list(entry["sheets"]) == wb.sheetnames
    for sheet in wb.sheetnames:
        rows = cal.get_sheet_by_name(sheet).to_python()
        ws = wb[sheet]
        assert len(rows) == ws.max_row
        # calamine and openpyxl agree cell by cell on every non-formula value
        for r, row in enumerate(rows, start=1):
            for c, v in enumerate(row, start=1):
                ov = ws.cell(r, c).value
                if isinstance(ov, str) and ov.startswith("="):
                    continue
                assert _text(v) == _text(ov), (sheet, r, c)


def test_seed002_keeps_all_28_yes_no_placeholders():
    path = SAMPLES / "seed002-shanhaiguan-targets.xlsx"
    ws = openpyxl.load_workbook(path)["项目绩效目标表"]
    cells = [c.coordinate for row in ws.iter_rows() for c in row if c.value == "是/否"]
    assert len(cells) == 28
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("项目绩效目标表").to_python()
    assert sum(v == "是/否" for row in rows for v in row) == 28
    # and they are all in the 指标值 column of the layout
    forms = LAYOUT["samples"][[m["file"] for m in LAYOUT["samples"]].index(path.name)]["sheets"]["项目绩效目标表"]
    target_cols = {b["columns"]["target"] for k, b in forms.items() if k.endswith(".indicators")}
    assert {c.rstrip("0123456789") for c in cells} == target_cols


@pytest.mark.parametrize("entry", LAYOUT["samples"], ids=lambda m: m["file"])
def test_documented_addresses_hold_the_documented_values(entry):
    wb = openpyxl.load_workbook(SAMPLES / entry["file"])
    for d in entry["defects"]:
        sheets = [d["sheet"]] if isinstance(d["sheet"], str) else d["sheet"]
        found = set()
        for cell in d["cells"]:
            values = {_text(wb[s][cell].value) for s in sheets if wb[s][cell].value is not None or len(sheets) == 1}
            found |= values
        assert sorted(found)[:6] == d["values"], (d["code"], d["note"])
    for sheet, blocks in entry["sheets"].items():
        ws = wb[sheet]
        for name, b in blocks.items():
            if b["header_row"] and b["columns"]:
                for field, col in b["columns"].items():
                    cell = ws[f"{col}{b['header_row']}"]
                    if field.startswith("label") or isinstance(cell, MergedCell):
                        continue  # a row-label column, or a column under a header merged across it
                    assert cell.value not in (None, ""), (sheet, name, field)


def test_seed003_budget_block_keeps_its_numbers_and_formats():
    entry = next(m for m in LAYOUT["samples"] if m["file"].startswith("seed003"))
    fund = entry["sheets"]["部门整体支出绩效自评表"]["fund"]
    ws = openpyxl.load_workbook(SAMPLES / entry["file"]).active
    c = fund["columns"]
    fiscal, other, total = (fund["rows"][k] for k in ("其中：财政拨款", "其他资金", "合计"))
    assert ws[f"{c['annual_budget']}{fiscal}"].value == 11789.83
    assert ws[f"{c['annual_budget']}{fiscal}"].number_format == "#,##0.00"
    assert ws[f"{c['execution']}{other}"].value == 74.52
    assert [ws[f"{c['rate']}{r}"].value for r in (fiscal, other, total)] == [0, 0, 1]
    assert all(ws[f"{c['rate']}{r}"].number_format == "0.00%" for r in (fiscal, other, total))
    assert (ws[f"{c['weight']}{total}"].value, ws[f"{c['score']}{total}"].value) == (10, 9)
    assert ws[f"{c['weight']}{fiscal}"].value == "-"
    # the kept defect: 合计 execution is not the sum of its parts
    parts = ws[f"{c['execution']}{fiscal}"].value + ws[f"{c['execution']}{other}"].value
    assert abs(ws[f"{c['execution']}{total}"].value - parts) > 1


# ----------------------------------------------------------------------------- clean samples


def _block(file: str, sheet: str, name: str) -> dict:
    entry = next(m for m in LAYOUT["samples"] if m["file"] == file)
    return entry["sheets"][sheet][name]


def test_clean_project_selfeval_numbers_are_consistent():
    file, sheet = "clean-project-selfeval.xlsx", "项目支出绩效自评表"
    ws = openpyxl.load_workbook(SAMPLES / file, data_only=True)[sheet]
    fund, ind, tot = (_block(file, sheet, n) for n in ("fund", "indicators", "total"))
    c = fund["columns"]
    rows = list(fund["rows"].values())
    for r in rows:
        rate = ws[f"{c['rate']}{r}"].value
        assert rate == pytest.approx(ws[f"{c['execution']}{r}"].value / ws[f"{c['annual_budget']}{r}"].value)
    total, subs = rows[0], rows[1:]
    for field in ("initial_budget", "annual_budget", "execution"):
        assert ws[f"{c[field]}{total}"].value == pytest.approx(sum(ws[f"{c[field]}{r}"].value for r in subs))
    exec_w = ws[f"{c['weight']}{total}"].value
    exec_s = ws[f"{c['score']}{total}"].value
    assert exec_s == float(excel_round(min(ws[f"{c['rate']}{total}"].value, 1) * exec_w, 2))
    ic = ind["columns"]
    body = range(ind["first_row"], ind["last_row"] + 1)
    weights = [ws[f"{ic['weight']}{r}"].value for r in body]
    scores = [ws[f"{ic['score']}{r}"].value for r in body]
    assert exec_w + sum(weights) == 100 == ws[f"{tot['columns']['weight']}{tot['first_row']}"].value
    assert exec_s + sum(scores) == pytest.approx(ws[f"{tot['columns']['score']}{tot['first_row']}"].value)
    for r, w, s in zip(body, weights, scores, strict=True):
        assert 0 <= s <= w
        if s < w:
            assert ws[f"{ic['reason']}{r}"].value not in (None, "", "无")
    assert ws[f"{tot['columns']['grade']}{tot['last_row']}"].value == "优"


def test_clean_project_selfeval_has_the_extras():
    wb = openpyxl.load_workbook(SAMPLES / "clean-project-selfeval.xlsx")
    ws = wb.active
    extras = _block("clean-project-selfeval.xlsx", ws.title, "extras")
    assert set(extras["defined_names"]) <= set(wb.defined_names)
    assert [str(dv.sqref) for dv in ws.data_validations.dataValidation] == extras["validations"]
    assert [str(cf.sqref) for cf in ws.conditional_formatting] == [extras["conditional_format"]]
    assert ws[extras["comment"]].comment is not None
    assert len(ws._charts) == 1
    with zipfile.ZipFile(SAMPLES / "clean-project-selfeval.xlsx") as z:
        png = z.read("xl/media/image1.png")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (48, 48)


def test_clean_unit_selfeval_and_targets_are_consistent():
    file, sheet = "clean-unit-selfeval.xlsx", "部门整体支出绩效自评表"
    ws = openpyxl.load_workbook(SAMPLES / file)[sheet]
    fund, ind = _block(file, sheet, "fund"), _block(file, sheet, "indicators")
    c = fund["columns"]
    fiscal, other, total = fund["rows"].values()
    for field in ("initial_budget", "annual_budget", "execution"):
        parts = ws[f"{c[field]}{fiscal}"].value + ws[f"{c[field]}{other}"].value
        assert ws[f"{c[field]}{total}"].value == pytest.approx(parts)
    for r in (fiscal, other, total):
        execution, budget = ws[f"{c['execution']}{r}"].value, ws[f"{c['annual_budget']}{r}"].value
        assert ws[f"{c['rate']}{r}"].value == pytest.approx(execution / budget)
    assert ws[f"{c['score']}{total}"].value == float(excel_round(ws[f"{c['rate']}{total}"].value * 10, 2))
    ic = ind["columns"]
    weights = [ws[f"{ic['weight']}{r}"].value for r in range(ind["first_row"], ind["last_row"] + 1)]
    assert ws[f"{c['weight']}{total}"].value + sum(weights) == 100

    file, sheet = "clean-project-target.xlsx", "项目绩效目标表"
    ws = openpyxl.load_workbook(SAMPLES / file)[sheet]
    plan, budget = _block(file, sheet, "form1.plan"), _block(file, sheet, "form1.budget")
    quarters = [ws[f"{col}{plan['first_row']}"].value for col in plan["columns"].values()]
    assert quarters == sorted(quarters) and quarters[-1] == 1
    b = {k: ws[f"{col}{budget['first_row']}"].value for k, col in budget["columns"].items()}
    assert b["total"] == b["fiscal"] + b["other"]

    file, sheet = "clean-unit-target.xlsx", "部门整体绩效目标"
    ws = openpyxl.load_workbook(SAMPLES / file)[sheet]
    bud, tasks = _block(file, sheet, "budget"), _block(file, sheet, "tasks")
    amount = {ws[f"{bud['columns']['label_left']}{r}"].value: ws[f"{bud['columns']['amount_left']}{r}"].value
              for r in range(bud["first_row"], bud["last_row"] + 1)}
    amount |= {ws[f"{bud['columns']['label_right']}{r}"].value: ws[f"{bud['columns']['amount_right']}{r}"].value
               for r in range(bud["first_row"], bud["last_row"] + 1)}
    spend = amount["基本支出"] + amount["项目支出"]
    assert spend == amount["财政拨款"] + amount["其他资金"] == amount["市本级使用资金"] + amount["拟用于对下转移支付资金"]
    assert amount["财政专项资金"] + amount["其他事业发展性支出"] == amount["项目支出"]
    funds = [ws[f"{tasks['columns']['funds']}{r}"].value for r in range(tasks["first_row"], tasks["last_row"] + 1)]
    assert sum(funds) == amount["项目支出"]


# ----------------------------------------------------------------------------- bad inputs


def test_bad_corpus_rebuilds_byte_identically(tmp_path):
    _same_writer()
    pytest.importorskip("msoffcrypto")
    pytest.importorskip("xlwt")
    assert _script("build_bad_inputs").main(["--out", str(tmp_path), "--only", *CHEAP_BAD]) == 0
    for name in CHEAP_BAD:
        assert (tmp_path / name).read_bytes() == (BAD / name).read_bytes(), name


def test_not_a_workbook_files_are_not_zips():
    for name in ("random-bytes.xlsx", "truncated.xlsx", "csv-renamed.xlsx"):
        assert not zipfile.is_zipfile(BAD / name), name
    assert (BAD / "truncated.xlsx").read_bytes()[:4] == b"PK\x03\x04"
    assert (BAD / "csv-renamed.xlsx").read_text(encoding="utf-8-sig").startswith("一级指标,二级指标")


def test_encrypted_workbook_is_a_real_agile_encrypted_package():
    olefile = pytest.importorskip("olefile")
    ole = olefile.OleFileIO(str(BAD / "encrypted.xlsx"))
    assert ole.exists("EncryptionInfo") and ole.exists("EncryptedPackage")
    info = ole.openstream("EncryptionInfo").read()
    assert struct.unpack("<HH", info[:4]) == (4, 4)  # agile encryption
    msoffcrypto = pytest.importorskip("msoffcrypto")
    f = msoffcrypto.OfficeFile(open(BAD / "encrypted.xlsx", "rb"))
    out = io.BytesIO()
    f.load_key(password="xltools")
    f.decrypt(out)
    assert out.getvalue() == (SAMPLES / "clean-unit-target.xlsx").read_bytes()


def test_legacy_xls_is_biff8_and_readable():
    olefile = pytest.importorskip("olefile")
    stream = olefile.OleFileIO(str(BAD / "legacy.xls")).openstream("Workbook").read(8)
    rec, _, version = struct.unpack("<HHH", stream[:6])
    assert (rec, version) == (0x0809, 0x0600)  # BOF record of a BIFF8 workbook
    rows = CalamineWorkbook.from_path(str(BAD / "legacy.xls")).get_sheet_by_index(0).to_python()
    assert rows[1] == ["一级指标", "二级指标", "三级指标", "指标值"]


def test_empty_and_no_form_workbooks_are_valid():
    ws = openpyxl.load_workbook(BAD / "empty.xlsx").active
    assert ws.max_row == 1 and ws["A1"].value is None
    rows = CalamineWorkbook.from_path(str(BAD / "no-form.xlsx")).get_sheet_by_index(0).to_python()
    assert rows[0][:2] == ["日期", "品名"] and len(rows) == 6


def test_error_values_are_cached_errors_in_rate_and_score_cells():
    ws = openpyxl.load_workbook(BAD / "error-values.xlsx", data_only=True).active
    found = {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.data_type == "e"}
    assert found == {"H8": "#DIV/0!", "I6": "#REF!", "H22": "#REF!"}
    with zipfile.ZipFile(BAD / "error-values.xlsx") as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert '<c r="H8" s="' in xml and "<v>#DIV/0!</v>" in xml and 't="e"' in xml


def test_zip_bomb_is_small_but_inflates_past_a_gigabyte():
    path = BAD / "zip-bomb.xlsx"
    assert path.stat().st_size < 2 * 1024 * 1024
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
        assert info.file_size > 1 << 30
        with z.open(info) as f:
            head = f.read(4096)
    assert head.startswith(b"<?xml") and b"<sheetData>" in head
    # the deflate stream really expands: 64 KiB of it gives far more than 64 KiB
    with open(path, "rb") as fh:
        fh.seek(info.header_offset + 30 + len(info.filename.encode()) + len(info.extra))
        raw = fh.read(65536)
    assert len(zlib.decompressobj(-15).decompress(raw)) > 50 * 65536


def test_200k_row_sheet_is_small_and_complete():
    path = BAD / "rows-200k.xlsx"
    assert path.stat().st_size < 5 * 1024 * 1024
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert len(rows) == 200_002
    assert rows[1] == ["一级指标", "二级指标", "三级指标", "指标值"] and rows[-1][2] == "服务对象满意度"
