"""A large form checked on two cores (rules.parallel) gives exactly the findings of a serial check."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from xltools.core.findings import Finding, Severity
from xltools.core.locate import locate_forms
from xltools.engine import validate_path
from xltools.io.reader import read_workbook
from xltools.rules import clear_caches, parallel, run_checks
from xltools.rules.context import Context
from xltools.settings import DEFAULT

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "samples").glob("*.xlsx")) + [ROOT / "tests" / "data" / "bad" / "error-values.xlsx"]

pytestmark = pytest.mark.skipif(not parallel.can_fork(), reason="the two-core check forks, which only Linux does")


def sample_forms():
    for path in SAMPLES:
        for grid in read_workbook(path).sheets:
            if any(form.indicators for form in locate_forms(grid)):  # a funds block alone has no rows to share
                yield f"{path.name}:{grid.sheet}", grid


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


def findings(grid, jobs: int, enabled=None) -> list[list[Finding]]:
    clear_caches()  # each run starts cold, so neither borrows what the other worked out
    return [run_checks(form, DEFAULT, enabled, jobs=jobs)[0] for form in locate_forms(grid)]


@pytest.mark.parametrize("name,grid", list(sample_forms()), ids=lambda x: x if isinstance(x, str) else "")
def test_two_cores_give_the_serial_findings(name, grid, forks):
    serial = findings(grid, jobs=1)
    assert not forks
    assert findings(grid, jobs=2) == serial
    assert forks, "the check did not fork"


def test_a_code_selection_is_honoured_across_the_fork(forks):
    path = ROOT / "samples" / "seed003-shaoguan-unit-selfeval.xlsx"
    for grid in read_workbook(path).sheets:
        wanted = {"misaligned-row", "unit-mismatch", "execution-rate-mismatch"}
        assert findings(grid, 2, wanted) == findings(grid, 1, wanted)


def test_the_child_really_runs_elsewhere(forks):
    grid = read_workbook(SAMPLES[0]).sheets[0]
    form = locate_forms(grid)[0]

    def where(name):
        return lambda form, ctx: [Finding("x", Severity.INFO, "", "A1", 1, f"{name}:{os.getpid()}")]

    out = parallel.check_split(form, Context(form, DEFAULT), [where("here")], [where("there")])
    there, here = (f.message.split(":") for f in out)
    assert there[0] == "there" and here[0] == "here"
    assert here[1] == str(os.getpid()) and there[1] != here[1]


def test_a_failing_child_is_made_up_for_here(forks, monkeypatch):
    grid = read_workbook(SAMPLES[0]).sheets[0]
    serial = findings(grid, 1)

    def broken(*args, **kwargs):
        raise RuntimeError("the child cannot send its findings")

    monkeypatch.setattr(parallel.pickle, "dumps", broken)  # raises only in the child, which sends
    assert findings(grid, 2) == serial
    assert forks


def test_small_forms_stay_in_one_process(monkeypatch):
    called = []
    monkeypatch.setattr(parallel, "check_split", lambda *a: called.append(1) or [])
    report = validate_path(SAMPLES[0], jobs=2)
    assert report.forms and not called  # the samples are far below MIN_ROWS


def _one_per_row(form, ctx):
    """A row-wise family: one finding per indicator row, saying which process made it."""
    return [Finding("x", Severity.INFO, form.sheet, f"A{ind.row}", ind.row, str(os.getpid())) for ind in form.indicators]


def _slow(form, ctx):
    import time
    time.sleep(0.3)  # this process is busy: the child takes the chunks
    return []


def _rows_checked(found):
    return sorted(f.row for f in found)


def test_rowwise_chunks_are_each_checked_once_and_shared(forks):
    grid = read_workbook(SAMPLES[0]).sheets[0]
    form = next(f for f in locate_forms(grid) if f.indicators)
    found = parallel.check_split(form, Context(form, DEFAULT), [_slow], [], [_one_per_row])
    assert _rows_checked(found) == sorted(ind.row for ind in form.indicators)
    assert {f.message for f in found} - {str(os.getpid())}, "the idle child took no chunk"


def test_chunks_the_failed_child_took_are_checked_here(forks, monkeypatch):
    grid = read_workbook(SAMPLES[0]).sheets[0]
    form = next(f for f in locate_forms(grid) if f.indicators)

    def broken(*args, **kwargs):
        raise RuntimeError("the child cannot send its findings")

    monkeypatch.setattr(parallel.pickle, "dumps", broken)
    found = parallel.check_split(form, Context(form, DEFAULT), [_slow], [], [_one_per_row])
    assert _rows_checked(found) == sorted(ind.row for ind in form.indicators)
    assert {f.message for f in found} == {str(os.getpid())}


@pytest.mark.parametrize("name,grid", list(sample_forms()), ids=lambda x: x if isinstance(x, str) else "")
def test_rowwise_families_give_their_findings_row_by_row(name, grid):
    """What ROWWISE_FAMILIES promises: the findings of every cut of the rows add up to the whole's."""
    from dataclasses import replace

    from xltools.rules import ROWWISE_FAMILIES
    for form in locate_forms(grid):
        rows = form.indicators
        for family in ROWWISE_FAMILIES:
            clear_caches()
            whole = family.check(form, Context(form, DEFAULT))
            clear_caches()
            ctx = Context(form, DEFAULT)
            cuts = [0, 1, len(rows) // 3, len(rows) // 2, len(rows)]
            parts = [f for a, b in zip(cuts, cuts[1:]) for f in family.check(replace(form, indicators=rows[a:b]), ctx)]
            assert sorted(parts, key=repr) == sorted(whole, key=repr)


def test_a_failure_here_leaves_no_child_behind(monkeypatch):
    monkeypatch.setattr(parallel, "MIN_ROWS", 1)
    grid = read_workbook(SAMPLES[0]).sheets[0]
    form = next(f for f in locate_forms(grid) if f.indicators)
    children = []
    real_fork = os.fork

    def recording_fork():
        pid = real_fork()
        if pid:
            children.append(pid)
        return pid

    monkeypatch.setattr(parallel.os, "fork", recording_fork)

    def many(form, ctx):  # more findings than a pipe holds, so the child blocks until they are read
        return [Finding("x", Severity.INFO, "S", "A1", 1, "m" * 100) for _ in range(5000)]

    def broken(form, ctx):
        raise RuntimeError("a bug in a family")

    with pytest.raises(RuntimeError, match="a bug in a family"):
        parallel.check_split(form, Context(form, DEFAULT), [broken], [many], [_one_per_row])
    assert len(children) == 1
    with pytest.raises(ChildProcessError):
        os.waitpid(children[0], os.WNOHANG)  # reaped already: not left blocked on its pipe
