"""Build the bad-input corpus in tests/data/bad/, deterministically (same bytes on every run).

Usage: ``python scripts/build_bad_inputs.py [--out DIR] [--only NAME ...]``.

Each file is something a reader must survive and describe (see tests/data/bad/README.md):
random bytes, a truncated zip, a real password-encrypted workbook, a legacy BIFF8 .xls, a CSV
renamed to .xlsx, an empty workbook, a sheet with no form, a zip bomb, a form holding cached
#DIV/0!/#REF! errors, and a 200,000-row indicator table.
"""
from __future__ import annotations

import argparse
import copy
import datetime as dt
import io
import json
import random
import re
import sys
import zipfile
from pathlib import Path
from typing import Callable, Iterator

import xlsxwriter

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
FIXED_TIME = dt.datetime(2024, 1, 1, 0, 0, 0)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
PASSWORD = "xltools"
BOMB_BYTES = 1_200 * (1 << 20)      # 1.17 GiB of sheet XML once inflated
BIG_ROWS = 200_000

INDICATORS = [
    ("产出指标", "数量指标", "食品安全监督抽检批次数", "≥1200批次"),
    ("产出指标", "质量指标", "抽检样品检验完成率", "≥98%"),
    ("效益指标", "社会效益指标", "不合格食品核查处置率", "100%"),
    ("满意度指标", "服务对象满意度指标", "服务对象满意度", "≥90%"),
]


def _workbook(setup: Callable[[xlsxwriter.Workbook], None]) -> bytes:
    """An xlsxwriter workbook built in memory with fixed document properties."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "default_format_properties": {"font_name": "宋体", "font_size": 10}})
    wb.set_properties({"author": "xltools bad-input corpus", "created": FIXED_TIME})
    setup(wb)
    wb.close()
    return buf.getvalue()


def _replace_sheet(skeleton: bytes, sheet_xml: Callable[[dict[str, int]], Iterator[bytes]]) -> bytes:
    """Copy ``skeleton`` but stream a new xl/worksheets/sheet1.xml into it.

    ``sheet_xml`` receives the skeleton's shared-string table (text → index), so the new sheet can
    reuse strings the skeleton wrote, and yields the part's bytes in chunks: a gigabyte-sized part
    is never held in memory.
    """
    src = zipfile.ZipFile(io.BytesIO(skeleton))
    sst = {}
    if "xl/sharedStrings.xml" in src.namelist():
        texts = re.findall(r"<si><t[^>]*>(.*?)</t></si>", src.read("xl/sharedStrings.xml").decode("utf-8"))
        sst = {t: i for i, t in enumerate(texts)}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            if info.filename == "xl/worksheets/sheet1.xml":
                with dst.open(zi, "w") as f:
                    for chunk in sheet_xml(sst):
                        f.write(chunk)
            else:
                dst.writestr(zi, src.read(info.filename))
    return out.getvalue()


SHEET_HEAD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
              b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">')
SHEET_TAIL = (b'<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
              b'</worksheet>')


def _row(r: int, sst: dict[str, int], values: tuple[str, ...]) -> str:
    cells = "".join(f'<c r="{chr(65 + c)}{r}" t="s"><v>{sst[v]}</v></c>' for c, v in enumerate(values))
    return f'<row r="{r}">{cells}</row>'


# ----------------------------------------------------------------------------- the corpus


def random_bytes() -> bytes:
    return random.Random(20240101).randbytes(4096)


def truncated() -> bytes:
    data = (SAMPLES / "clean-project-selfeval.xlsx").read_bytes()
    return data[: len(data) // 2]


def encrypted() -> bytes:
    """clean-unit-target.xlsx encrypted by msoffcrypto-tool (ECMA-376 agile, AES-256) with PASSWORD.

    The salts, the key and the CFB directory timestamps are normally random / the current time;
    they are pinned here so the file is reproducible. It is still a real, decryptable file.
    """
    import msoffcrypto.method.container.ecma376_encrypted as container
    import msoffcrypto.method.ecma376_agile as agile
    from msoffcrypto.format.ooxml import OOXMLFile

    rng = random.Random(7)

    class _FixedClock(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return FIXED_TIME

    saved = agile._random_buffer, container.datetime
    agile._random_buffer = lambda n: rng.randbytes(n)
    container.datetime = _FixedClock
    try:
        out = io.BytesIO()
        OOXMLFile(io.BytesIO((SAMPLES / "clean-unit-target.xlsx").read_bytes())).encrypt(PASSWORD, out)
        return out.getvalue()
    finally:
        agile._random_buffer, container.datetime = saved


def legacy_xls() -> bytes:
    """A real BIFF8 .xls (Excel 97–2003) holding a small 项目绩效目标表, written by xlwt."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sh = book.add_sheet("绩效目标表")
    sh.write_merge(0, 0, 0, 3, "食品安全监督抽检专项经费项目支出绩效目标表")
    for c, h in enumerate(("一级指标", "二级指标", "三级指标", "指标值")):
        sh.write(1, c, h)
    for r, row in enumerate(INDICATORS, start=2):
        for c, v in enumerate(row):
            sh.write(r, c, v)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def csv_renamed() -> bytes:
    lines = ["一级指标,二级指标,三级指标,指标值"] + [",".join(row) for row in INDICATORS]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def empty() -> bytes:
    return _workbook(lambda wb: wb.add_worksheet("Sheet1"))


def no_form() -> bytes:
    """A workbook whose only sheet is an unrelated table (an office-supplies register)."""
    def setup(wb: xlsxwriter.Workbook) -> None:
        ws = wb.add_worksheet("办公用品领用登记")
        ws.write_row(0, 0, ["日期", "品名", "规格", "数量", "领用人", "备注"])
        items = [("A4复印纸", "70g", 5, "张三"), ("中性笔", "0.5mm 黑", 20, "李四"), ("文件夹", "A4 蓝", 10, "王五"),
                 ("订书钉", "24/6", 3, "赵六"), ("硒鼓", "HP 88A", 1, "张三")]
        date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
        for r, (name, spec, n, who) in enumerate(items, start=1):
            ws.write_datetime(r, 0, dt.datetime(2024, 3, r), date_fmt)
            ws.write_row(r, 1, [name, spec, n, who, ""])
        ws.set_column(0, 5, 14)
    return _workbook(setup)


def zip_bomb() -> bytes:
    """A valid one-sheet xlsx whose sheet1.xml inflates to BOMB_BYTES (whitespace after </sheetData>)."""
    skeleton = _workbook(lambda wb: wb.add_worksheet("绩效目标表").write_row(0, 0, INDICATORS[0]))

    def sheet(sst: dict[str, int]) -> Iterator[bytes]:
        head = SHEET_HEAD + b"<sheetData>" + _row(1, sst, INDICATORS[0]).encode() + b"</sheetData>"
        yield head
        chunk = b" " * (1 << 20)
        left = BOMB_BYTES - len(head) - len(SHEET_TAIL)
        while left > 0:
            yield chunk[: min(left, len(chunk))]
            left -= len(chunk)
        yield SHEET_TAIL
    return _replace_sheet(skeleton, sheet)


def error_values() -> bytes:
    """clean-project-selfeval with cached #DIV/0! (上年结转资金 执行率, budget 0) and #REF! (执行率得分, 总分)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import build_samples

    data = json.loads((SAMPLES / "data" / "clean-project-selfeval.json").read_text(encoding="utf-8"))
    d = copy.deepcopy(data)
    d["file"] = "error-values.xlsx"
    d["defects"] = []
    total, fiscal, carried, other = d["fund_rows"]
    carried[1:4] = [0.0, 0.0, 0.0]                                    # no carried-over funds: B/A = 0/0
    carried[5] = {"f": "={execution}/{annual_budget}", "v": "#DIV/0!"}
    total[1:4] = [210.0, 190.0, 179.0]                                # totals still add up
    total[5] = {"f": "={execution}/{annual_budget}", "v": 179.0 / 190.0}
    total[6] = {"f": "=ROUND(MIN(#REF!,1)*{weight},2)", "v": "#REF!"}  # its 执行率 cell was deleted
    d["total_score"] = "#REF!"
    tmp = io.BytesIO()
    book = build_samples.Book(tmp, title="error values", subject=d["kind"])
    build_samples.LAYOUTS[d["layout"]](book, d)
    book.close()
    return tmp.getvalue()


def rows_200k() -> bytes:
    """An indicator table (title, header, then BIG_ROWS rows cycling four indicators); compresses well."""
    def setup(wb: xlsxwriter.Workbook) -> None:
        ws = wb.add_worksheet("绩效目标表")
        ws.write(0, 0, "项目支出绩效目标表")
        ws.write_row(1, 0, ["一级指标", "二级指标", "三级指标", "指标值"])
        for r, row in enumerate(INDICATORS, start=2):
            ws.write_row(r, 0, row)

    def sheet(sst: dict[str, int]) -> Iterator[bytes]:
        last = BIG_ROWS + 2
        yield SHEET_HEAD + f'<dimension ref="A1:D{last}"/><sheetData>'.encode()
        yield (_row(1, sst, ("项目支出绩效目标表",)) + _row(2, sst, ("一级指标", "二级指标", "三级指标", "指标值"))).encode()
        batch = []
        for i in range(BIG_ROWS):
            batch.append(_row(i + 3, sst, INDICATORS[i % 4]))
            if len(batch) == 5000:
                yield "".join(batch).encode()
                batch = []
        yield "".join(batch).encode() + b"</sheetData>" + SHEET_TAIL
    return _replace_sheet(_workbook(setup), sheet)


CORPUS: dict[str, Callable[[], bytes]] = {
    "random-bytes.xlsx": random_bytes,
    "truncated.xlsx": truncated,
    "encrypted.xlsx": encrypted,
    "legacy.xls": legacy_xls,
    "csv-renamed.xlsx": csv_renamed,
    "empty.xlsx": empty,
    "no-form.xlsx": no_form,
    "zip-bomb.xlsx": zip_bomb,
    "error-values.xlsx": error_values,
    "rows-200k.xlsx": rows_200k,
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "tests" / "data" / "bad")
    ap.add_argument("--only", nargs="*", choices=sorted(CORPUS), help="build only these files")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.only or CORPUS:
        data = CORPUS[name]()
        (args.out / name).write_bytes(data)
        print(f"{name}: {len(data)} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
