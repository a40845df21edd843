"""Benchmark (not a test): reading and checking one large form's rows on two cores, against one.

On a 100,000-row sheet read once, each way of reading its table's rows and checking the form
runs in turn, several rounds, alternating their order, so that all see the same minutes of this
machine (its speed drifts a lot):

- serial: one process reads every row, then checks them (``--jobs 1``);
- check in halves: one process reads every row, then it and a fork each check half of them
  (``run_checks(form, jobs=2)`` on a form already read);
- read in halves: it and a fork each read half of the rows and check them, what validate runs
  (``read_and_check(outline, jobs=2)``).

Each round starts with cold caches and the rows of the round before gone. Prints best and median
seconds and each way's speed against the serial way, and the CPU seconds each way spends (this
process's and its forks'): the difference is what the second core costs in work.

    .venv/bin/python bench/bench_split.py [--rows 100000] [--rounds 5]
"""
from __future__ import annotations

import argparse
import gc
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_validate import machine_probe, make_one_sheet  # noqa: E402

from xltools.core.grid import Grid  # noqa: E402
from xltools.core.locate import outline_forms  # noqa: E402
from xltools.io.reader import read_workbook  # noqa: E402
from xltools.rules import clear_caches, parallel, read_and_check, run_checks  # noqa: E402


def serial(grid: Grid) -> int:
    [outline] = outline_forms(grid)
    return len(run_checks(outline.read(), jobs=1)[0])


def check_in_halves(grid: Grid) -> int:
    [outline] = outline_forms(grid)
    return len(run_checks(outline.read(), jobs=2)[0])


def read_in_halves(grid: Grid) -> int:
    [outline] = outline_forms(grid)
    checked = read_and_check(outline, jobs=2)
    assert checked.halves, "the rows were not read in halves"
    return len(checked.findings)


def cpu_with_children() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    if not parallel.can_fork():
        sys.exit("the two-core ways fork, which only Linux does")
    with tempfile.TemporaryDirectory(prefix="xlt-bench-") as tmp:
        path = make_one_sheet(Path(tmp) / "one-sheet.xlsx", args.rows)
        gc.disable()  # as validation does (engine.gc_paused)
        grid = read_workbook(path).sheets[0]
    probe_start = machine_probe()
    ways = [serial, check_in_halves, read_in_halves]
    times: dict[str, list[float]] = {way.__name__: [] for way in ways}
    cpu: dict[str, list[float]] = {way.__name__: [] for way in ways}
    counts: dict[str, int] = {}
    for k in range(args.rounds):
        for way in ways if k % 2 == 0 else ways[::-1]:
            clear_caches()
            wall, work = time.perf_counter(), cpu_with_children()
            counts[way.__name__] = way(grid)
            times[way.__name__].append(time.perf_counter() - wall)
            cpu[way.__name__].append(cpu_with_children() - work)
            gc.collect()  # the rows of this way go before the next starts
    probe_end = machine_probe()
    assert len(set(counts.values())) == 1, counts  # every way finds the same findings
    base = statistics.median(times["serial"])
    print(f"reading and checking one form of {args.rows} rows ({counts['serial']} findings), {args.rounds} rounds")
    print(f"{'way':<17}{'best s':>8}{'median s':>10}{'vs serial':>11}{'CPU s':>8}")
    for name, ts in times.items():
        median = statistics.median(ts)
        print(f"{name:<17}{min(ts):>8.2f}{median:>10.2f}{base / median:>10.2f}x{statistics.median(cpu[name]):>8.2f}")
    print(f"machine probe, sum(range(30_000_000)) on one core: {probe_start:.2f} s at the start, {probe_end:.2f} s at the end")


if __name__ == "__main__":
    main()
