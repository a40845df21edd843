"""Benchmark (not a test): where the time of one 100,000-row sheet goes, and the floor of two cores.

Validating one large sheet runs stages one after the other: reading (python-calamine's Rust parse
on threads, and turning its cells into Python values), locating the form (a Cell per field of
every row), the 三级 names' facts, and the rule families. Each round here runs them in turn,
from cold caches, and times each one's wall and CPU seconds (CPU of every thread of this
process). Then the same file goes through ``validate_paths(..., jobs=2)``, which is what the CLI
runs, in the same round.

The sum of the stages' CPU seconds is the work; half of it is the fastest any split of that work
over this machine's two cores could finish (the floor). The ratio of the end-to-end wall time to
that floor says how much of the second core the pipeline uses; the floor itself says whether a
≤ 3 s target can be met by sharing the work better, or only by doing less of it.

(bench_split.py compares the ways of sharing the rows' reading and checking between two cores.)

    .venv/bin/python bench/bench_stages.py [--rows 100000] [--rounds 3]
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

from xltools.core.locate import locate_forms  # noqa: E402
from xltools.engine import validate_paths  # noqa: E402
from xltools.io.reader import read_workbook  # noqa: E402
from xltools.rules import FAMILIES, clear_caches  # noqa: E402
from xltools.rules.context import Context  # noqa: E402
from xltools.settings import DEFAULT  # noqa: E402


def cpu_with_children() -> float:
    """CPU seconds of this process (every thread) and of its reaped children (forks, workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


class Stopwatch:
    """Wall and CPU seconds of each stage, in the order they ran."""

    def __init__(self):
        self.stages: dict[str, tuple[float, float]] = {}

    def run(self, name: str, fn):
        wall, cpu = time.perf_counter(), time.process_time()
        out = fn()
        self.stages[name] = (time.perf_counter() - wall, time.process_time() - cpu)
        return out


def stages(path: Path) -> dict[str, tuple[float, float]]:
    """Each stage of one serial validation, from cold caches; its objects go when it returns."""
    clear_caches()
    watch = Stopwatch()
    gc.disable()  # as engine.gc_paused does for a whole validation
    try:
        data = watch.run("read", lambda: read_workbook(path))
        form = watch.run("locate", lambda: locate_forms(data.sheets[0])[0])
        ctx = Context(form, DEFAULT)
        names = [ind.cells["level3"].text for ind in form.indicators if "level3" in ind.cells]
        watch.run("names' facts", lambda: [ctx.name_facts(text) for text in names])
        watch.run("framework", lambda: ctx.framework)
        for family in FAMILIES:
            watch.run(family.__name__.rsplit(".", 1)[-1], lambda: list(family.check(form, ctx)))
    finally:
        gc.enable()
    return watch.stages


def one_round(path: Path) -> tuple[dict[str, tuple[float, float]], tuple[float, float]]:
    """The stages of one serial validation, then one end-to-end run with two cores."""
    timed = stages(path)
    gc.collect()
    clear_caches()
    wall, cpu = time.perf_counter(), cpu_with_children()
    report = validate_paths([path], jobs=2)
    end_to_end = (time.perf_counter() - wall, cpu_with_children() - cpu)
    if not report.files[0].forms or report.files[0].error:
        raise SystemExit(f"the sheet did not validate: {report.files[0].error}")
    return timed, end_to_end


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="xlt-stages-") as tmp:
        path = make_one_sheet(Path(tmp) / "one-sheet.xlsx", args.rows)
        probe_start = machine_probe()
        rounds = [one_round(path) for _ in range(args.rounds)]
        probe_end = machine_probe()

    def median(values) -> float:
        return statistics.median(values)

    names = list(rounds[0][0])
    print(f"one sheet of {args.rows} rows, {args.rounds} rounds (medians; CPU counts every thread)\n")
    print(f"{'stage':<16}{'wall s':>8}{'CPU s':>8}")
    for name in names:
        print(f"{name:<16}{median(r[0][name][0] for r in rounds):>8.2f}{median(r[0][name][1] for r in rounds):>8.2f}")
    serial_wall = median(sum(w for w, _ in r[0].values()) for r in rounds)
    work = median(sum(c for _, c in r[0].values()) for r in rounds)
    e2e_wall = median(r[1][0] for r in rounds)
    e2e_cpu = median(r[1][1] for r in rounds)
    floor = work / 2
    print(f"{'all stages':<16}{serial_wall:>8.2f}{work:>8.2f}")
    print()
    print(f"validate_paths(jobs=2), end to end: {e2e_wall:.2f} s wall, {e2e_cpu:.2f} s CPU "
          f"(runs: {' '.join(f'{r[1][0]:.2f}' for r in rounds)})")
    print(f"two-core floor (the stages' CPU / 2): {floor:.2f} s; end to end is {e2e_wall / floor:.2f}× the floor, "
          f"{serial_wall / e2e_wall:.2f}× faster than the stages one after the other")
    print(f"machine probe, sum(range(30_000_000)) on one core: {probe_start:.2f} s at the start, {probe_end:.2f} s at the end")


if __name__ == "__main__":
    main()
