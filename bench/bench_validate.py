"""Benchmark (not a test): validate 100,000 indicator rows, as 2,000 forms in a folder and as one sheet.

Prints wall times, the ratio to an openpyxl-based reader measured in the same run, and the
per-call costs an Excel UDF would pay (parse one target, check one row).

Each xltools run is repeated (``--repeat``, 3 by default) and reported as its best and median
time; the ratio is taken from the median. A probe of the machine's speed at the start and the
end (``sum(range(30_000_000))``, one core) says how fast the machine was running meanwhile: on
a shared virtual machine it drifts by half or more from one minute to the next.

    .venv/bin/python bench/bench_validate.py [--forms 2000] [--rows-per-form 50] [--jobs 2] [--repeat 3]

Targets on a 2-core machine: ≤ 3 s for each 100,000-row run including reading; ≤ 50 µs to parse
one target or to check one row.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import xlsxwriter

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from xltools.core.form import Cell, Form, FormKind, IndicatorRow  # noqa: E402
from xltools.core.notation import parse_value  # noqa: E402
from xltools.engine import validate_paths  # noqa: E402
from xltools.rules import check_form, clear_caches  # noqa: E402

HEADER = ["一级指标", "二级指标", "三级指标", "指标性质", "指标方向", "目标值", "计量单位", "分值", "得分", "偏差原因分析及改进措施"]
ROWS = [
    ("产出指标", "数量指标", "食品安全监督抽检批次", "定量", "大于或等于", "不少于4500批次", "批次", 2, 2, "无"),
    ("产出指标", "质量指标", "疾控中心检查覆盖率", "定量", "等于", "100%", "%", 2, 2, "无"),
    ("产出指标", "时效指标", "食品抽检年度任务完成及时率", "定量", "大于或等于", "≥95%", "%", 2, 2, "无"),
    ("产出指标", "成本指标", "市级食品安全监督抽检平均成本", "定量", "小于", "≤2300元/批次", "元/批次", 2, 2, "无"),
    ("效益指标", "社会效益指标", "投诉按时初查率", "定性", "等于", "是/否", "", 2.5, 2.5, "无"),
    ("满意度指标", "服务对象满意度指标", "服务对象总体满意度", "定量", "大于或等于", "80%", "%", 2, 2, "无"),
]


def write_form(ws, start: int, n: int, title: str) -> int:
    ws.write(start, 0, title)
    ws.write_row(start + 1, 0, HEADER)
    for i in range(n):
        row = list(ROWS[i % len(ROWS)])
        row[2] = f"{row[2]}{i // len(ROWS) + 1}"  # real forms don't repeat a 三级 name
        ws.write_row(start + 2 + i, 0, row)
    return start + 2 + n


def make_folder(folder: Path, forms: int, rows: int) -> list[Path]:
    paths = []
    for k in range(forms):
        p = folder / f"form{k:05d}.xlsx"
        wb = xlsxwriter.Workbook(str(p), {"in_memory": True})
        ws = wb.add_worksheet("自评表")
        write_form(ws, 0, rows, "部门整体支出绩效自评表")
        wb.close()
        paths.append(p)
    return paths


def make_one_sheet(path: Path, rows: int, inline_strings: bool = False) -> Path:
    # Excel writes every text to the shared-strings table; xlsxwriter's constant_memory mode
    # writes inline strings instead, which real forms never hold (--inline-strings measures them).
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": inline_strings})
    ws = wb.add_worksheet("自评表")
    write_form(ws, 0, rows, "部门整体支出绩效自评表")
    wb.close()
    return path


def openpyxl_read(paths: list[Path]) -> int:
    """The alternative: an openpyxl reader (normal load, which is what merged cells need)."""
    import openpyxl
    n = 0
    for p in paths:
        wb = openpyxl.load_workbook(p, data_only=True)
        for ws in wb.worksheets:
            for row in ws.iter_rows(values_only=True):
                n += 1
    return n


def timed(fn, *args):
    t = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t, out


def repeated(n: int, fn) -> tuple[list[float], object]:
    """Wall times of ``n`` runs of ``fn``, each with the checks' caches emptied first (every run
    as cold as the first), and the last run's result."""
    times = []
    out = None
    for _ in range(n):
        out = None  # the last run's report goes before the next run starts
        clear_caches()
        t, out = timed(fn)
        times.append(t)
    return times, out


def machine_probe() -> float:
    """Seconds one core takes for a fixed piece of pure Python: how fast the machine runs now."""
    t = time.perf_counter()
    sum(range(30_000_000))
    return time.perf_counter() - t


def per_call_costs() -> tuple[float, float]:
    # Distinct targets, caches cleared: the cost of a text met for the first time (a UDF's
    # recalculation of a new value, or a form whose targets all differ).
    templates = ["≥{n}%", "不少于{n}批次", "≤{n}元/批次", "100%（{n}家）", "至少{n}个以上", "{y}年12月底前",
                 "≥{n}万/年", "不少于{n}.44万批次", "省局平均水平{n}元/批次", "{n}%", "不低于{n}.5%", "大于等于{n}人次"]
    texts = [t.format(n=i, y=2000 + i) for i in range(1, 300) for t in templates]
    clear_caches()
    t = time.perf_counter()
    for s in texts:
        parse_value(s)
    parse_us = (time.perf_counter() - t) / len(texts) * 1e6
    cells = []
    for r, row in enumerate(ROWS * 500, 2):
        row = list(row)
        row[2] = f"{row[2]}{r}"
        names = ("level1", "level2", "level3", "nature", "direction", "target", "unit", "weight", "score", "reason")
        cells.append(IndicatorRow(r, {n: Cell(v, r, c) for c, (n, v) in enumerate(zip(names, row), 1)}))
    form = Form("S", FormKind.UNIT_SELFEVAL, 1, len(cells) + 1, indicators=cells,
                columns={n: i for i, n in enumerate(("level1", "level2", "level3", "nature", "direction", "target",
                                                     "unit", "weight", "score", "reason"), 1)})
    t = time.perf_counter()
    check_form(form)
    row_us = (time.perf_counter() - t) / len(cells) * 1e6
    return parse_us, row_us


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--forms", type=int, default=2000)
    ap.add_argument("--rows-per-form", type=int, default=50)
    ap.add_argument("--jobs", type=int, default=2,
                    help="cores to use: worker processes for the folder, the two-core check for the one sheet")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each xltools measurement (best and median shown)")
    ap.add_argument("--openpyxl-sample", type=int, default=200,
                    help="files the openpyxl reader reads (its time is scaled to all forms; it is slow)")
    ap.add_argument("--inline-strings", action="store_true",
                    help="write the one-sheet file with inline strings (xlsxwriter constant_memory) instead of "
                         "the shared strings Excel writes")
    args = ap.parse_args()
    total_rows = args.forms * args.rows_per_form
    with tempfile.TemporaryDirectory(prefix="xlt-bench-") as tmp:
        tmp = Path(tmp)
        (tmp / "forms").mkdir()
        print(f"generating {args.forms} forms × {args.rows_per_form} rows and one sheet of {total_rows} rows …")
        paths = make_folder(tmp / "forms", args.forms, args.rows_per_form)
        big = make_one_sheet(tmp / "one-sheet.xlsx", total_rows, args.inline_strings)

        probe_start = machine_probe()
        t_folder, report = repeated(args.repeat, lambda: validate_paths(paths, jobs=args.jobs))
        assert report.counts()["forms"] == args.forms, report.counts()
        t_sheet, report1 = repeated(args.repeat, lambda: validate_paths([big], jobs=args.jobs))
        assert len(report1.files[0].forms) == 1
        sample = paths[: args.openpyxl_sample]
        t_opx_sample, _ = timed(openpyxl_read, sample)
        t_opx_folder = t_opx_sample * len(paths) / len(sample)
        t_opx_sheet, _ = timed(openpyxl_read, [big])

    parse_us, row_us = per_call_costs()
    probe_end = machine_probe()
    print()
    print(f"{'run':<38}{'best s':>8}{'median s':>10}{'openpyxl s':>12}{'ratio':>8}{'target':>10}")
    for label, times, opx in ((f"{args.forms} forms, folder, --jobs {args.jobs}", t_folder, t_opx_folder),
                              (f"one sheet of {total_rows} rows", t_sheet, t_opx_sheet)):
        median = statistics.median(times)
        print(f"{label:<38}{min(times):>8.2f}{median:>10.2f}{opx:>12.2f}{opx / median:>7.1f}x{'≤ 3 s':>10}")
    print(f"(xltools: {args.repeat} runs each: " + "; ".join(" ".join(f"{t:.2f}" for t in ts) for ts in (t_folder, t_sheet))
          + f". openpyxl: one run, the folder time scaled from {len(sample)} files; it only reads, xltools reads and checks)")
    print(f"parse one target (uncached): {parse_us:.1f} µs (≤ 50)   check one row: {row_us:.1f} µs (≤ 50)")
    print(f"machine probe, sum(range(30_000_000)) on one core: {probe_start:.2f} s at the start, {probe_end:.2f} s at the end")


if __name__ == "__main__":
    main()
