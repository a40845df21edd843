"""A large form read and checked on two cores (rules.parallel, rules.parts) gives exactly the
findings of a serial check, whatever its rows hold and wherever the halves meet."""
from __future__ import annotations

import os
import pickle
import random
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest

from xltools.core.findings import Finding, Severity
from xltools.core.grid import Grid
from xltools.core.locate import locate_forms, outline_forms
from xltools.engine import validate_grid, validate_path
from xltools.io.reader import read_workbook
from xltools.rules import FAMILIES, clear_caches, parallel, parts, read_and_check, run_checks
from xltools.rules.context import Context
from xltools.settings import DEFAULT, Settings

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "samples").glob("*.xlsx")) + [ROOT / "tests" / "data" / "bad" / "error-values.xlsx"]

pytestmark = pytest.mark.skipif(not parallel.can_fork(), reason="the two-core check forks, which only Linux does")

HEADER = ["一级指标", "二级指标", "三级指标", "实施周期指标值", "年度指标值", "实际完成值", "分值", "得分",
          "偏差原因分析及改进措施"]
# (一级, 二级) pairs of the 2021 framework, and an old-style 成本指标 under 产出指标 (mixed-framework);
# no 满意度指标 row anywhere (missing-category).
PAIRS = [("产出指标", "数量指标"), ("产出指标", "质量指标"), ("产出指标", "时效指标"), ("产出指标", "成本指标"),
         ("效益指标", "社会效益指标"), ("效益指标", "经济效益指标"), ("成本指标", "经济成本指标")]
TARGETS = ["≥95%", "100%", "≤3天", "是/否", "≥2次", "按时完成", "≥100人次"]


def large_form(seed: int, rows: int = 400, *, copies: bool = False) -> Grid:
    """A 项目支出绩效自评表 of ``rows`` indicator rows whose every form-level check has something to
    find: names repeated far apart (duplicate-indicator across the halves), shifted rows, an
    old-style 成本指标, no 满意度指标, wrong scores, weights that do not add up, a wrong total and
    grade at the bottom. 一级/二级 are merged over some groups and left blank (carried down) over
    others; spacer rows lie between groups. ``copies``: every 实施周期 value equals the annual one."""
    rnd = random.Random(seed)
    values: list[list[object]] = [["某某项目支出绩效自评表"], HEADER]
    merges: list[tuple[int, int, int, int]] = []
    names: list[str] = []
    while len(names) < rows:
        level1, level2 = rnd.choice(PAIRS)
        size = rnd.randint(1, 40)
        first = len(values) + 1  # the sheet row of the group's first line
        merged = rnd.random() < 0.5
        for k in range(size):
            i = len(names)
            if i >= 2 and rnd.random() < 0.03:
                name = names[rnd.randrange(i)]  # a name used before, maybe in the other half
            elif rnd.random() < 0.01:
                name = "质量指标"  # a category name in the 三级 column (misaligned-row)
            else:
                name = f"指标{seed}-{i}"
            names.append(name)
            target = rnd.choice(TARGETS)
            weight = rnd.choice([2, 5, 10])
            score = weight if rnd.random() < 0.9 else weight - rnd.choice([1, 3])
            values.append([level1 if k == 0 else "", level2 if k == 0 else "", name,
                           target if copies or rnd.random() < 0.5 else "≥90%", target,
                           rnd.choice(["100%", "完成", "96%", ""]), weight, score,
                           "" if rnd.random() < 0.7 else "无"])
        if merged and size > 1:
            merges += [(first, 1, first + size - 1, 1), (first, 2, first + size - 1, 2)]
        if rnd.random() < 0.2:
            values.append([])  # a spacer row
    values.append(["总分", "", "", "", "", "", 100, 77, ""])
    values.append(["评价等级", "优"])
    return Grid("自评表", values, merges)


GRIDS = [large_form(seed) for seed in range(6)] + [large_form(7, copies=True)]
FORM_LEVEL = {"duplicate-indicator", "missing-category", "mixed-framework", "weights-sum", "total-score-mismatch",
              "grade-mismatch", "misaligned-row", "duplicate-text"}


def sample_grids():
    for path in SAMPLES:
        for grid in read_workbook(path).sheets:
            if any(form.indicators for form in locate_forms(grid)):  # a funds block alone has no rows to share
                yield f"{path.name}:{grid.sheet}", grid


ALL_GRIDS = list(sample_grids()) + [(f"large-{k}", grid) for k, grid in enumerate(GRIDS)]


@pytest.fixture
def forks(monkeypatch):
    """Every form counts as large, and each fork is counted."""
    monkeypatch.setattr(parallel, "MIN_ROWS", 1)
    count = []
    real_fork = os.fork

    def counting_fork():
        count.append(1)
        return real_fork()

    monkeypatch.setattr(parallel.os, "fork", counting_fork)
    return count


def checked(grid, jobs: int, enabled=None, settings: Settings = DEFAULT):
    clear_caches()  # each run starts cold, so neither borrows what the other worked out
    return [read_and_check(outline, settings, enabled, jobs=jobs) for outline in outline_forms(grid)]


def test_the_large_forms_have_every_form_level_finding():
    codes = {f.code for grid in GRIDS for c in checked(grid, 1) for f in c.findings}
    assert FORM_LEVEL <= codes
    # A name repeated across the two halves is found, not only one repeated within a half: some
    # duplicate-indicator stands in the second half and names a row of the first ("另见第…行").
    spanning = 0
    for grid in GRIDS:
        [done] = checked(grid, 1)
        rows = [ind.row for ind in done.form.indicators]
        middle = rows[len(rows) // 2]
        for f in done.findings:
            if f.code == "duplicate-indicator" and f.row >= middle:
                others = f.message.split("另见第")[1].split("行")[0].rstrip("等").split("、")
                spanning += any(int(r) < middle for r in others)
    assert spanning


@pytest.mark.parametrize("name,grid", ALL_GRIDS, ids=[name for name, _ in ALL_GRIDS])
def test_halves_give_the_serial_findings(name, grid, forks):
    serial = checked(grid, 1)
    assert not forks
    halves = checked(grid, 2)
    assert [c.findings for c in halves] == [c.findings for c in serial]
    assert [c.framework for c in halves] == [c.framework for c in serial]
    assert forks, "nothing forked"
    if name.startswith("large"):
        assert all(c.halves for c in halves), "the rows were not read in halves"
        assert all(c.form.indicators == [] for c in halves)  # each half stayed in its process
        assert [(c.form.total_score, c.form.grade) for c in halves] == [(c.form.total_score, c.form.grade)
                                                                         for c in serial]


@pytest.mark.parametrize("name,grid", ALL_GRIDS, ids=[name for name, _ in ALL_GRIDS])
def test_a_read_form_checked_in_halves_gives_the_serial_findings(name, grid, forks):
    def findings(jobs):
        clear_caches()
        return [run_checks(form, DEFAULT, None, jobs=jobs)[0] for form in locate_forms(grid)]

    serial = findings(1)
    assert findings(2) == serial
    assert forks


def test_a_code_selection_and_a_fixed_framework_are_honoured_across_the_fork(forks):
    wanted = {"duplicate-indicator", "missing-category", "weights-split", "target-placeholder"}
    for grid in GRIDS[:3]:
        assert [c.findings for c in checked(grid, 2, wanted)] == [c.findings for c in checked(grid, 1, wanted)]
        old = Settings(framework="2015")
        assert [c.findings for c in checked(grid, 2, settings=old)] == [c.findings for c in checked(grid, 1, settings=old)]


@pytest.mark.parametrize("seed", range(len(GRIDS)))
def test_parts_add_up_to_the_whole_at_any_cut(seed):
    """What rules.parts promises: gathering over parts of the rows, cut anywhere, and concluding
    over their tallies (sent through pickle, as the child's are) gives the findings of one part."""
    [form] = locate_forms(GRIDS[seed])
    rows = form.indicators
    clear_caches()
    whole = sorted(parts.check(FAMILIES, form, Context(form, DEFAULT)), key=repr)
    rnd = random.Random(seed)
    for _ in range(4):
        cuts = sorted({0, len(rows), *rnd.sample(range(1, len(rows)), rnd.randint(1, 4))})
        clear_caches()
        ctx = Context(form, DEFAULT)
        gathered = []
        for a, b in zip(cuts, cuts[1:]):
            part = replace(form, indicators=rows[a:b])
            found = parts.gather(FAMILIES, part, ctx.part(part, rows[a - 1] if a else None))
            gathered.append(pickle.loads(pickle.dumps(found)))
        assert sorted(parts.conclude(FAMILIES, form, ctx, gathered), key=repr) == whole, cuts


def test_the_second_half_starts_reading_where_the_rows_read_alike(monkeypatch):
    """Where every row below the first leaves its 二级 blank, no row lets the second half start on
    its own: the table is read whole, with the same findings."""
    values = [HEADER] + [["产出指标", "数量指标" if i == 0 else "", f"指标{i}", "≥1次", "≥1次", "1次", 1, 1, ""]
                         for i in range(300)]
    grid = Grid("S", values)
    monkeypatch.setattr(parallel, "MIN_ROWS", 1)
    [outline] = outline_forms(grid)
    assert outline.fresh_start(150, 2) == 2  # only the first row names its 二级
    monkeypatch.setattr(parallel, "MAX_LEAD", 50)
    [halves] = checked(grid, 2)
    assert not halves.halves
    assert halves.findings == checked(grid, 1)[0].findings


def test_a_child_that_fails_before_the_exchange_leaves_it_all_here(forks, monkeypatch):
    parent = os.getpid()
    real_send = parallel.Channel.send

    def send(self, message):
        if os.getpid() != parent:
            raise RuntimeError("the child cannot send its summary")
        real_send(self, message)

    monkeypatch.setattr(parallel.Channel, "send", send)
    serial = checked(GRIDS[0], 1)
    [done] = checked(GRIDS[0], 2)
    assert forks and not done.halves
    assert done.findings == serial[0].findings


def test_a_child_that_fails_after_the_exchange_is_made_up_for_here(forks, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the child cannot send its findings")

    monkeypatch.setattr(parallel.pickle, "dumps", broken)  # raises only in the child, which sends its result
    serial = checked(GRIDS[1], 1)
    [done] = checked(GRIDS[1], 2)
    assert forks and done.halves
    assert done.findings == serial[0].findings


def test_a_failure_here_leaves_no_child_behind(monkeypatch):
    monkeypatch.setattr(parallel, "MIN_ROWS", 1)
    children = []
    real_fork = os.fork

    def recording_fork():
        pid = real_fork()
        if pid:
            children.append(pid)
        return pid

    monkeypatch.setattr(parallel.os, "fork", recording_fork)
    real_gather = parts.gather

    def gather(families, part, ctx):
        if os.getpid() == parent:
            raise RuntimeError("a bug in a family")
        return real_gather(families, part, ctx)

    parent = os.getpid()
    monkeypatch.setattr(parts, "gather", gather)
    [outline] = outline_forms(GRIDS[2])
    with pytest.raises(RuntimeError, match="a bug"):
        read_and_check(outline, jobs=2)
    assert children
    for pid in children:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reaped already: no zombie, no child left blocked


def test_the_second_half_really_runs_elsewhere(forks):
    def where(part, ctx):
        return [Finding("x", Severity.INFO, "", f"A{ind.row}", ind.row, str(os.getpid())) for ind in part.indicators]

    [form] = locate_forms(GRIDS[0])
    family = SimpleNamespace(CODES=("x",), check=where)
    found = parallel.check_in_halves([family], form, Context(form, DEFAULT))
    pids = {f.message for f in found}
    assert str(os.getpid()) in pids and len(pids) == 2
    assert sorted(f.row for f in found) == [ind.row for ind in form.indicators]  # each row once


def test_small_forms_stay_in_one_process(monkeypatch):
    forked = []
    monkeypatch.setattr(parallel.os, "fork", lambda: forked.append(1) or os.getpid())
    report = validate_path(SAMPLES[0], jobs=2)
    assert report.forms and not forked  # the samples are far below MIN_ROWS
    assert all(form.form is not None for form in report.forms if form.located)


def test_a_form_read_in_halves_is_reported_like_any_other(forks):
    reports = validate_grid(GRIDS[3], jobs=2)
    serial = validate_grid(GRIDS[3], jobs=1)
    assert [r.to_dict() for r in reports] == [r.to_dict() for r in serial]
    assert reports[0].form is None and serial[0].form is not None


def test_an_outline_reads_its_rows_once():
    [outline] = outline_forms(GRIDS[0])
    form = outline.read()
    rows = len(form.indicators)
    assert rows and outline.read() is form and len(form.indicators) == rows


def test_a_table_without_category_columns_is_read_in_halves_past_its_spacer_rows(forks):
    """No 一级/二级 columns: any row that reads as a row lets the second half start, and the
    spacer rows around the middle are passed over."""
    values = [["三级指标", "指标值"]]
    for i in range(300):
        values.append([f"指标{i % 250}", "是/否" if i % 7 == 0 else "≥1次"])
        if 140 <= i <= 160:
            values.append([])  # blank rows around the middle
    grid = Grid("S", values)
    [outline] = outline_forms(grid)
    middle = (outline.first_row + outline.end + 1) // 2
    lead = outline.fresh_start(middle - 1, outline.first_row)
    assert grid.values[middle - 2] == []  # the row above the middle is a spacer: passed over
    assert lead == middle - 2 and grid.values[lead - 1]
    [halves] = checked(grid, 2)
    assert halves.halves
    assert halves.findings == checked(grid, 1)[0].findings
    assert {f.code for f in halves.findings} >= {"target-placeholder", "duplicate-indicator"}
