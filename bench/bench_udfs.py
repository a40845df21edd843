"""Benchmark (not a test): the cost of each XLT_* worksheet function's Python body.

Excel pays this per formula cell on every recalculation, on top of xlwings' COM round trip
(which no Python change can remove), so each scalar body must stay ≤ 50 µs and XLT_VALIDATE
over a 60-row form ≤ 5 ms. Inputs are shaped as xlwings hands them over with the add-in's
options (every argument a 1×1 2-D list, floats, padded text) and are distinct per call, so
no cache flatters the numbers.

Each line also prints the ratio to a naive alternative measured in the same run, and for the
scalar functions how many of the same inputs the naive version gets wrong:
* XLT_EXECRATE: plain ``e / b``; XLT_EXECSCORE: ``round(min(e / b, 1) * w, 2)`` (Python's
  half-even round); XLT_GRADE: an if-chain on the raw float;
* XLT_PARSE / XLT_NORMALIZE: NFKC folding plus a few replacements; XLT_SCORE: B/A × w on the
  first number of each text;
* XLT_CHECKROW: a one-row form through every rule family (no row-level scoping);
* XLT_VALIDATE: the "thousands of formulas" route it replaces, XLT_CHECKROW once per row.

The "core" column is the xltools function each UDF wraps (parse_value, indicator_score,
check_form, validate_grid …) on the same inputs, so what is over budget can be attributed.

    python bench/bench_udfs.py [--calls 2000] [--repeat 3]
"""
from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from xltools.core.form import Cell, Form, FormKind, IndicatorRow  # noqa: E402
from xltools.excel import udfs  # noqa: E402
from xltools.rules import check_form  # noqa: E402

SCALAR_BUDGET_US = 50.0
VALIDATE_BUDGET_MS = 5.0
HEADER = ["一级指标", "二级指标", "三级指标", "指标性质", "指标方向", "目标值", "计量单位", "分值", "得分",
          "偏差原因分析及改进措施"]
ROWS = [
    ("产出指标", "数量指标", "食品安全监督抽检批次", "定量", "大于或等于", "不少于4500批次", "批次", 2.0, 2.0, "无"),
    ("产出指标", "质量指标", "检查覆盖率", "定量", "等于", "100%", "%", 2.0, 2.0, "无"),
    ("产出指标", "时效指标", "抽检任务完成及时率", "定量", "大于或等于", "≥95%", "%", 2.0, 2.0, "无"),
    ("产出指标", "成本指标", "抽检平均成本", "定量", "小于或等于", "≤2300元/批次", "元/批次", 2.0, 2.0, "无"),
    ("效益指标", "社会效益指标", "投诉按时初查率", "定量", "大于或等于", "≥90%", "%", 2.5, 2.5, "无"),
    ("满意度指标", "服务对象满意度指标", "服务对象总体满意度", "定量", "大于或等于", "≥80%", "%", 2.0, 2.0, "无"),
]


def form_values(n_rows: int, salt: int = 0) -> list[list[object]]:
    """A 部门整体支出绩效自评表 with ``n_rows`` indicator rows, as Excel hands a range over."""
    values: list[list[object]] = [["部门整体支出绩效自评表"] + [None] * (len(HEADER) - 1), list(HEADER)]
    for i in range(n_rows):
        row = list(ROWS[i % len(ROWS)])
        row[2] = f"{row[2]}{i // len(ROWS) + 1}-{salt}"
        values.append(row)
    return values


def per_call_us(fn, calls: list[tuple], repeat: int) -> float:
    """Median over ``repeat`` runs of the mean µs per call over ``calls``."""
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        for args in calls:
            fn(*args)
        runs.append((time.perf_counter() - t) / len(calls) * 1e6)
    return statistics.median(runs)


def clear_caches() -> None:
    """Forget every memoised parse and score, so each measurement sees its inputs for the first time."""
    from xltools import rules
    from xltools.core import notation, scoring
    for module in (notation, scoring, udfs):
        for name in dir(module):
            fn = getattr(module, name)
            if callable(getattr(fn, "cache_clear", None)):
                fn.cache_clear()
    rules.clear_caches()  # the rules' per-text verdicts too, so XLT_CHECKROW starts cold


def naive_row_check(level1, level2, level3, target, unit=None):
    """The answer of XLT_CHECKROW computed the unscoped way: every rule family on a one-row form."""
    fields = {"level1": level1, "level2": level2, "level3": level3, "target": target}
    if unit is not None:
        fields["unit"] = unit
    cells = {k: Cell(v, 2, c) for c, (k, v) in enumerate(fields.items(), 1)}
    form = Form("", FormKind.PROJECT_TARGET, 1, 2, header_row=1, columns={k: c.col for k, c in cells.items()},
                indicators=[IndicatorRow(2, cells)])
    return check_form(form)


NUMBER = re.compile(r"\d+(?:\.\d+)?")


def naive_normalize(text):
    return unicodedata.normalize("NFKC", text).replace("百分比", "%").replace(">=", "≥").strip().rstrip("。")


def naive_score(target, actual, weight):
    a, b = float(NUMBER.findall(target)[0]), float(NUMBER.findall(actual)[0])
    return round(min(b / a, 1.0) * weight, 2)


def naive_grade(total):
    return "优" if total >= 90 else "良" if total >= 80 else "中" if total >= 60 else "差"


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description="Cost of the XLT_* worksheet functions' Python bodies.")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--calls", type=int, default=2000)
    args = ap.parse_args(argv)
    n = args.calls

    def cell(v):  # what xlwings passes for one cell with ndim=2
        return [[v]]

    # Realistic inputs, with the awkward cases forms really contain mixed in: amounts whose score
    # lands on a half cent, totals a hair below a grade boundary, messy notation, reverse targets.
    money = [(round(100 + (i * 37) % 9000 / 7, 2), round(100 + (i * 53) % 9000 / 3, 2)) if i % 4
             else ((i % 1000 + 0.5) / 100, 10.0) for i in range(n)]
    messy = ["≥{i}百分比", " ≥{i}% ", "不少于{i}万批次。", "＞＝{i}％", "{i}%（26家）", "≥{i}.0%。", "大于等于{i}次",
             "≤{i}元/批次"]
    notations = [messy[i % len(messy)].format(i=i) for i in range(n)]
    notations2 = [messy[i % len(messy)].format(i=i + n) for i in range(n)]  # unseen by XLT_PARSE's run
    scores = [(f"{'≥' if i % 3 else '≤'}{90 + i % 10}.{i}%", f"{80 + i % 20}%", 10.0) for i in range(n)]
    totals = [(40 + (i * 7919) % 6000 / 100 if i % 5 else (60, 80, 90)[i % 3] - 1e-12,) for i in range(n)]
    cases = {
        # name: (function, inputs, naive alternative, how to compare the results)
        "XLT_EXECRATE": (udfs.XLT_EXECRATE, [(e, b) for e, b in money], lambda e, b: e / b, None),
        "XLT_EXECSCORE": (udfs.XLT_EXECSCORE, [(e, b, 10.0) for e, b in money],
                          lambda e, b, w: round(min(e / b, 1.0) * w, 2), None),
        "XLT_PARSE": (udfs.XLT_PARSE, [(t,) for t in notations], naive_normalize,
                      lambda ours, naive: ours[0][4] == naive),
        "XLT_NORMALIZE": (udfs.XLT_NORMALIZE, [(t,) for t in notations2], naive_normalize, None),
        "XLT_SCORE": (udfs.XLT_SCORE, scores, naive_score, None),
        "XLT_GRADE": (udfs.XLT_GRADE, totals, naive_grade, None),
        "XLT_CHECKROW": (udfs.XLT_CHECKROW, [("产出指标", "数量指标", f"检查次数{i}", f"≥{i}次", "次") for i in range(n)],
                         naive_row_check, lambda ours, naive: True),
    }
    from xltools.core import notation, scoring
    core = {
        "XLT_EXECRATE": scoring.execution_rate, "XLT_EXECSCORE": scoring.execution_score,
        "XLT_PARSE": notation.parse_value, "XLT_NORMALIZE": notation.normalise_text,
        "XLT_SCORE": scoring.indicator_score, "XLT_GRADE": scoring.grade,
        "XLT_CHECKROW": lambda *a: udfs._check_fields.__wrapped__(tuple(zip(
            ("level1", "level2", "level3", "target", "unit"), a))),
    }
    failed = False
    print(f"{'function':<15}{'µs/call':>9}{'core':>8}{'budget':>8}   naive alternative, measured now")
    for name, (fn, calls, naive, same) in cases.items():
        for c in calls[:20]:  # warm-up on other inputs: rules and tables load on first use, as in Excel
            fn(*(cell(f"{v}~" if isinstance(v, str) else v + 0.5) for v in c))
        excel_shaped = [tuple(cell(v) for v in c) for c in calls]
        ours, core_us = [], []
        for k in range(args.repeat):  # alternate the order: the first run of a pair is slower
            pair = [("ours", fn, excel_shaped), ("core", core[name], calls)]
            for label, f, inputs in (pair if k % 2 else pair[::-1]):
                clear_caches()
                (ours if label == "ours" else core_us).append(per_call_us(f, inputs, 1))
        ours_us, core_med = statistics.median(ours), statistics.median(core_us)
        naive_us = per_call_us(naive, calls, 1)
        same = same or (lambda a, b: a == b)
        wrong = sum(1 for c in calls[:500] if not same(fn(*c), naive(*c)))
        ok = ours_us <= SCALAR_BUDGET_US
        failed |= not ok
        verdict = "" if name == "XLT_CHECKROW" else f", wrong on {wrong} of {min(n, 500)} inputs"
        print(f"{name:<15}{ours_us:>9.1f}{core_med:>8.1f}{SCALAR_BUDGET_US:>8.0f}   naive {naive_us:.1f} µs "
              f"(the UDF costs {ours_us / naive_us:.1f}×){verdict}{'' if ok else '   OVER BUDGET'}")

    from xltools.core.grid import Grid
    from xltools.engine import validate_grid
    forms = [form_values(60, salt=k) for k in range(20)]
    udfs.XLT_VALIDATE(form_values(60, salt=-1))
    clear_caches()
    one = statistics.median(per_call_us(udfs.XLT_VALIDATE, [(f,)], 1) for f in forms[:10]) / 1000
    clear_caches()
    core_ms = statistics.median(per_call_us(validate_grid, [(Grid("", f),)], 1) for f in forms[10:]) / 1000
    rows = forms[0][2:]
    thousands = per_call_us(lambda r: udfs.XLT_CHECKROW(r[0], r[1], r[2], r[5], r[6], r[4], r[3]),
                            [(r,) for r in rows], 1) * len(rows) / 1000
    ok = one <= VALIDATE_BUDGET_MS
    failed |= not ok
    print(f"{'XLT_VALIDATE':<15}{one:>7.2f}ms{core_ms:>6.2f}ms{VALIDATE_BUDGET_MS:>6.0f}ms   60 × XLT_CHECKROW: "
          f"{thousands:.2f} ms ({thousands / one:.1f}× the one call, and without the form-level checks)"
          f"{'' if ok else '   OVER BUDGET'}")

    seed = ROOT / "samples" / "seed003-shaoguan-unit-selfeval.xlsx"
    if seed.exists():
        import openpyxl
        ws = openpyxl.load_workbook(seed, data_only=True).worksheets[0]
        values = [list(r) for r in ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=ws.max_column,
                                                values_only=True)]
        real = per_call_us(udfs.XLT_VALIDATE, [(values,)], args.repeat) / 1000
        print(f"{'  seed003':<15}{real:>7.2f}ms         the real 64-row 韶关 self-evaluation form (47 findings)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
