"""Benchmark (not a test): writing an annotated copy of a large sheet, against openpyxl.

For sheets of growing size (the benchmark's form: one finding in six rows), each round writes
the annotated copy xltools makes (``save_copy``: a fill and a note on each cell with findings,
the 校验结果 sheet, everything else in the package kept byte for byte) and the copy a script
would make with openpyxl (load, fill and comment each cell, add a sheet listing the findings,
save; it drops images, charts and extensions, which is why xltools does not use it). Prints
the best time of each, the cost per finding, and the ratio. A cost per finding that stays flat
as the sheet grows is the point: it used to grow with the number of notes already written.

    .venv/bin/python bench/bench_annotate.py [--rows 2000,8000,32000] [--repeat 2]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_validate import machine_probe, make_one_sheet  # noqa: E402

from xltools.engine import validate_path  # noqa: E402
from xltools.io.writer import save_copy  # noqa: E402


def openpyxl_annotate(src: Path, dst: Path, findings) -> None:
    """The alternative: what an openpyxl script would do for the same marks."""
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    fill = {"error": PatternFill("solid", fgColor="FFFFC7CE"), "warning": PatternFill("solid", fgColor="FFFFEB9C"),
            "info": PatternFill("solid", fgColor="FFDDEBF7")}
    wb = openpyxl.load_workbook(src)
    report = wb.create_sheet("校验结果")
    report.append(["工作表", "单元格", "级别", "代码", "说明"])
    for f in findings:
        cell = wb[f.sheet][f.cell]
        cell.fill = fill[f.severity.value]
        cell.comment = Comment(f"xltools 校验：\n{f.message}", "xltools")
        report.append([f.sheet, f.cell, f.severity.value, f.code, f.message])
    wb.save(dst)


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", default="2000,8000,32000", help="sheet sizes, comma-separated")
    ap.add_argument("--repeat", type=int, default=2, help="runs of each (the best is shown)")
    args = ap.parse_args()
    sizes = [int(x) for x in args.rows.split(",")]
    print(f"machine probe, sum(range(30_000_000)) on one core: {machine_probe():.2f} s")
    print(f"{'rows':>8}{'findings':>10}{'xltools s':>11}{'ms/finding':>12}{'openpyxl s':>12}{'ms/finding':>12}{'ratio':>8}")
    with tempfile.TemporaryDirectory(prefix="xlt-annotate-") as tmp:
        tmp = Path(tmp)
        for rows in sizes:
            src = make_one_sheet(tmp / f"sheet{rows}.xlsx", rows)
            findings = validate_path(src).findings
            ours = best(lambda: save_copy(src, tmp / f"ours{rows}.xlsx", findings=findings), args.repeat)
            theirs = best(lambda: openpyxl_annotate(src, tmp / f"openpyxl{rows}.xlsx", findings), args.repeat)
            n = len(findings)
            print(f"{rows:>8}{n:>10}{ours:>11.2f}{ours / n * 1e3:>12.2f}{theirs:>12.2f}{theirs / n * 1e3:>12.2f}"
                  f"{theirs / ours:>7.1f}x")


if __name__ == "__main__":
    main()
