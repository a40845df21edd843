"""Regenerate the user guide's pictures of the add-in (docs/img/addin-*.png).

    python docs/img/addin-pictures.py

Every number and message in the pictures is real output: the UDF sheet holds what the XLT_*
functions return (computed by xltools.excel.udfs, then written as values, since LibreOffice
cannot call xlwings), the marked sheet is what the 校验当前表 button writes (the ribbon's
command on the file adapter), and the ribbon picture is drawn from macros/customUI14.xml.
LibreOffice renders the workbooks; pdftoppm turns pages into PNGs; rsvg-convert (apt package
librsvg2-bin) draws the ribbon.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from xml.etree import ElementTree as ET

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import xlsxwriter  # noqa: E402

from xltools.commands.file_book import FileBook  # noqa: E402
from xltools.excel import udfs  # noqa: E402
from xltools.excel.customui import NS  # noqa: E402
from xltools.excel.ribbon import dispatch  # noqa: E402
from xltools.io.libreoffice import convert  # noqa: E402
from xltools.io.report_sheet import SEVERITY_RGB  # noqa: E402

OUT = Path(__file__).resolve().parent
DPI = "110"


def udf_workbook(path: Path) -> None:
    """One row per example: the formula as typed, its inputs, and what the function returned."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("函数示例")
    head = wb.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1, "font_name": "宋体", "font_size": 10,
                          "valign": "vcenter"})
    body = wb.add_format({"border": 1, "font_name": "宋体", "font_size": 10, "valign": "top", "text_wrap": True})
    code = wb.add_format({"border": 1, "font_name": "Consolas", "font_size": 9, "valign": "top", "text_wrap": True})
    pct = wb.add_format({"border": 1, "font_name": "宋体", "font_size": 10, "valign": "top", "num_format": "0.00%"})
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.set_column(0, 0, 44)
    ws.set_column(1, 1, 30)
    ws.set_column(2, 2, 46)
    examples = [
        ("=XLT_EXECRATE(74.52, 91.71)", "执行数 74.52，预算数 91.71", udfs.XLT_EXECRATE(74.52, 91.71), pct),
        ("=XLT_EXECRATE(100, 0)", "预算数为 0", udfs.XLT_EXECRATE(100.0, 0.0), body),
        ("=XLT_EXECSCORE(154.74, 310.2, 10)", "执行率 49.88%，分值 10", udfs.XLT_EXECSCORE(154.74, 310.2, 10.0), body),
        ("=XLT_EXECSCORE(120, 100, 10)", "超支：执行率按 100% 封顶", udfs.XLT_EXECSCORE(120.0, 100.0, 10.0), body),
        ('=XLT_NORMALIZE("≥95百分比。")', "", udfs.XLT_NORMALIZE("≥95百分比。"), body),
        ('=XLT_SCORE("≥95%", "90%", 10)', "正向指标未达标", udfs.XLT_SCORE("≥95%", "90%", 10.0), body),
        ('=XLT_SCORE("≤5", 8, 4)', "反向指标超标（比值法）", udfs.XLT_SCORE("≤5", 8.0, 4.0), body),
        ('=XLT_SCORE("≤5", 8, 4, "线性")', "反向指标超标（线性扣分）", udfs.XLT_SCORE("≤5", 8.0, 4.0, "线性"), body),
        ('=XLT_SCORE("是", "基本达到", 8)', "定性指标", udfs.XLT_SCORE("是", "基本达到", 8.0), body),
        ("=XLT_GRADE(93.86)", "总分 93.86", udfs.XLT_GRADE(93.86), body),
        ('=XLT_CHECKROW("产出指标","数量指标","发放准确率","7人","人")', "一行指标",
         udfs.XLT_CHECKROW("产出指标", "数量指标", "发放准确率", "7人", "人"), body),
        ('=XLT_CHECKROW("产出指标","数量指标","抽检批次","是/否")', "占位符未填写",
         udfs.XLT_CHECKROW("产出指标", "数量指标", "抽检批次", "是/否"), body),
    ]
    ws.write_row(0, 0, ["公式", "说明", "结果"], head)
    for r, (formula, note, result, fmt) in enumerate(examples, 1):
        ws.write_string(r, 0, formula, code)
        ws.write_string(r, 1, note, body)
        if isinstance(result, float):
            ws.write_number(r, 2, result, fmt)
        else:
            ws.write_string(r, 2, str(result), body)
        lines = max(1, str(result).count("\n") + 1, len(str(result)) // 22 + 1)
        ws.set_row(r, 15 * lines)
    spill = wb.add_worksheet("溢出示例")
    spill.set_landscape()
    spill.fit_to_pages(1, 0)
    spill.set_column(0, 0, 24)
    spill.set_column(1, 2, 14)
    spill.set_column(3, 3, 58)
    spill.set_column(4, 4, 22)
    form = [["一级指标", "二级指标", "三级指标", "指标值", "计量单位"],
            ["产出指标", "数量指标", "抽检批次", "是/否", "批次"],
            ["产出指标", "质量指标", "检查覆盖率", "≥95百分比", "%"],
            ["效益指标", "社会效益指标", "发放准确率", "7人", "人"]]
    for i, row in enumerate(form):  # the little form sits at A1:E4, so finding addresses are sheet addresses
        spill.write_row(i, 0, row, head if i == 0 else body)
    spill.merge_range(5, 0, 5, 4, "", code)
    spill.write_string(5, 0, "=XLT_VALIDATE(A1:E4)  写在 A7，结果向下、向右溢出：", code)
    for i, row in enumerate(udfs.XLT_VALIDATE(form)):
        spill.write_row(6 + i, 0, row, head if i == 0 else body)
        spill.set_row(6 + i, 15 * max(1, len(row[3]) // 30 + 1))
    top = 8 + len(udfs.XLT_VALIDATE(form))
    spill.merge_range(top, 0, top, 4, "", code)
    spill.write_string(top, 0, '=XLT_PARSE("不少于19.44万批次")  写在 A{}，向右溢出 5 格：'.format(top + 3), code)
    spill.write_row(top + 1, 0, ["类型", "方向", "数值", "单位", "规范写法"], head)
    spill.write_row(top + 2, 0, udfs.XLT_PARSE("不少于19.44万批次")[0], body)
    wb.close()


def marked_workbook(folder: Path) -> Path:
    """seed003 after the 校验当前表 button (the ribbon's command on the file adapter)."""
    src = folder / "韶关-自评表.xlsx"
    shutil.copy(ROOT / "samples" / "seed003-shaoguan-unit-selfeval.xlsx", src)
    book = FileBook(src)
    outcome = dispatch("validate_sheet", book)
    assert outcome.ok, outcome.message
    out = folder / "韶关-自评表-已校验.xlsx"
    book.save(out)
    return out


def ribbon_svg(path: Path) -> None:
    """A drawing of the 绩效工具 tab, laid out from the ribbon definition (not an Excel screenshot)."""
    root = ET.fromstring((ROOT / "macros" / "customUI14.xml").read_bytes())
    tab = root.find(f".//{{{NS}}}tab")
    groups = [(g.get("label"), [b.get("label") for b in g.findall(f"{{{NS}}}button")])
              for g in tab.findall(f"{{{NS}}}group")]
    width_per_button = 92
    total = sum(max(1, len(b)) * width_per_button + 16 for _, b in groups) + 20
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="150" '
             'font-family="Noto Sans CJK SC, sans-serif">',
             f'<rect x="0" y="0" width="{total}" height="150" fill="#f3f3f3"/>',
             '<rect x="10" y="4" width="90" height="26" fill="#ffffff" stroke="#c8c8c8"/>',
             f'<text x="55" y="22" font-size="14" text-anchor="middle" fill="#217346">{tab.get("label")}</text>',
             f'<rect x="0" y="30" width="{total}" height="120" fill="#ffffff" stroke="#c8c8c8"/>']
    x = 10
    icons = ["✔", "☰", "✖", "Σ", "▦", "↻", "?"]
    k = 0
    for label, buttons in groups:
        w = max(1, len(buttons)) * width_per_button
        for i, b in enumerate(buttons):
            cx = x + i * width_per_button + width_per_button / 2
            parts.append(f'<rect x="{cx - 18}" y="40" width="36" height="36" rx="4" fill="#e8f1ea" stroke="#217346"/>')
            parts.append(f'<text x="{cx}" y="66" font-size="20" text-anchor="middle" fill="#217346">{icons[k % 7]}</text>')
            parts.append(f'<text x="{cx}" y="96" font-size="12" text-anchor="middle">{b}</text>')
            k += 1
        parts.append(f'<text x="{x + w / 2}" y="138" font-size="11" text-anchor="middle" fill="#666">{label}</text>')
        parts.append(f'<line x1="{x + w + 8}" y1="38" x2="{x + w + 8}" y2="142" stroke="#d0d0d0"/>')
        x += w + 16
    parts.append("</svg>")
    path.write_text("\n".join(parts), encoding="utf-8")


def to_png(pdf: Path, name: str, page: int) -> None:
    stem = OUT / name
    subprocess.run(["pdftoppm", "-r", DPI, "-png", "-f", str(page), "-l", str(page), "-singlefile", str(pdf),
                    str(stem)], check=True)


def _pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def _marked_pixels(pdf: Path, page: int) -> int:
    """Pixels of a page in the error/warning highlight colours (a raw PPM read without Pillow)."""
    ppm = subprocess.run(["pdftoppm", "-r", "20", "-f", str(page), "-l", str(page), "-singlefile", str(pdf)],
                         capture_output=True, check=True).stdout
    fields = ppm.split(maxsplit=4)  # P6, width, height, maxval, pixels
    pixels = fields[4]
    colours = {bytes.fromhex(SEVERITY_RGB[s]) for s in SEVERITY_RGB}
    return sum(1 for i in range(0, len(pixels) - 2, 3) if pixels[i:i + 3] in colours)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        udf = tmp / "函数示例.xlsx"
        udf_workbook(udf)
        marked = marked_workbook(tmp)
        pdfs = convert([udf, marked], "pdf", tmp / "pdf")
        by_stem = {p.stem: p for p in pdfs}
        to_png(by_stem[udf.stem], "addin-udfs", 1)
        to_png(by_stem[udf.stem], "addin-spill", 2)
        # The marked sheet spans several pages, then come the 校验结果 pages: show the page of the
        # sheet with the most highlighted cells, and the first page of the report.
        plain = convert([ROOT / "samples" / "seed003-shaoguan-unit-selfeval.xlsx"], "pdf", tmp / "plain")[0]
        sheet_pages = _pages(plain)
        best = max(range(1, sheet_pages + 1), key=lambda p: _marked_pixels(by_stem[marked.stem], p))
        to_png(by_stem[marked.stem], "addin-marks", best)
        # The 校验结果 sheet prints two pages wide; for the picture, a copy fitted to one page width.
        import openpyxl
        wb = openpyxl.load_workbook(marked)
        report = wb["校验结果"]
        report.sheet_properties.pageSetUpPr.fitToPage = True
        report.page_setup.fitToWidth, report.page_setup.fitToHeight = 1, 0
        for ws in wb.worksheets:
            ws.sheet_state = "visible" if ws is report else "hidden"
        wb.active = wb.worksheets.index(report)
        fitted = tmp / "校验结果.xlsx"
        wb.save(fitted)
        to_png(convert([fitted], "pdf", tmp / "fitted")[0], "addin-report", 1)
        svg = tmp / "ribbon.svg"
        ribbon_svg(svg)
        subprocess.run(["rsvg-convert", "--zoom", "1.5", "-o", str(OUT / "addin-ribbon.png"), str(svg)], check=True)
    for p in sorted(OUT.glob("addin-*.png")):
        print(p.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
