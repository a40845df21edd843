"""Benchmark (not a test): the check of one large form on two cores, against the ways it could be done.

On a 100,000-row form read and located once, each way of checking runs in turn, several rounds,
so that all see the same minutes of this machine (its speed drifts a lot):

- serial: every family in this process (``--jobs 1``);
- families: the families split between this process and a fork (layout and taxonomy there), the
  shifted rows worked out before the fork, which is how the check ran before the chunks;
- chunks: the same split, with the row-wise families (targets) cut into chunks of rows that
  whichever process is free takes, the shifted rows worked out on each side (what runs now).

Each round starts with cold caches and the rows' memos cleared. Prints best and median seconds
and each way's ratio to the serial check.

    .venv/bin/python bench/bench_split.py [--rows 100000] [--rounds 5]
"""
from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_validate import make_one_sheet  # noqa: E402

from xltools.core.form import _UNSET  # noqa: E402
from xltools.core.locate import locate_forms  # noqa: E402
from xltools.io.reader import read_workbook  # noqa: E402
from xltools.rules import budget, clear_caches, layout, parallel, scores, targets, taxonomy  # noqa: E402
from xltools.rules.context import Context  # noqa: E402
from xltools.rules.layout import misaligned_field  # noqa: E402
from xltools.settings import DEFAULT  # noqa: E402

FAMILIES = (layout, taxonomy, targets, budget, scores)


def serial(form) -> int:
    ctx = Context(form, DEFAULT)
    return sum(len(list(f.check(form, ctx))) for f in FAMILIES)


def families(form) -> int:
    ctx = Context(form, DEFAULT)
    parallel.warm(form, ctx)
    for ind in form.indicators:
        misaligned_field(ind, ctx.name_facts)
    return len(parallel.check_split(form, ctx, [targets.check, budget.check, scores.check],
                                    [layout.check, taxonomy.check]))


def chunks(form) -> int:
    ctx = Context(form, DEFAULT)
    return len(parallel.check_split(form, ctx, [budget.check, scores.check], [layout.check, taxonomy.check],
                                    [targets.check]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    if not parallel.can_fork():
        sys.exit("the two-core check forks, which only Linux does")
    with tempfile.TemporaryDirectory(prefix="xlt-bench-") as tmp:
        path = make_one_sheet(Path(tmp) / "one-sheet.xlsx", args.rows)
        gc.disable()
        form = locate_forms(read_workbook(path).sheets[0])[0]
    times: dict[str, list[float]] = {}
    counts: dict[str, int] = {}
    for _ in range(args.rounds):
        for way in (serial, families, chunks):
            clear_caches()
            for ind in form.indicators:
                ind._misaligned = _UNSET  # the shifted-row memo, so that each way works it out
            t = time.perf_counter()
            counts[way.__name__] = way(form)
            times.setdefault(way.__name__, []).append(time.perf_counter() - t)
    assert len(set(counts.values())) == 1, counts  # every way finds the same findings
    base = statistics.median(times["serial"])
    print(f"checking one form of {len(form.indicators)} rows ({counts['serial']} findings), {args.rounds} rounds")
    print(f"{'way':<10}{'best s':>8}{'median s':>10}{'vs serial':>11}")
    for name, ts in times.items():
        median = statistics.median(ts)
        print(f"{name:<10}{min(ts):>8.2f}{median:>10.2f}{base / median:>10.2f}x")


if __name__ == "__main__":
    main()
