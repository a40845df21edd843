"""Checks, grouped by family; each family module declares the codes it can emit.

``check_form`` runs every enabled family over one located form and returns its findings,
sorted by row. Rules yield findings and never raise on bad data.
"""
from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterable

from ..core.codes import REGISTRY  # noqa: F401 - importers find the registry here too
from ..core.findings import Finding
from ..core.form import Form
from ..core.locate import Outline
from ..settings import DEFAULT, Settings
from . import budget, layout, names, parallel, parts, scores, targets, taxonomy
from .context import ALL_CODES, Context

FAMILIES = (layout, taxonomy, targets, budget, scores)


def check_form(form: Form, settings: Settings = DEFAULT, enabled: Iterable[str] | None = None) -> list[Finding]:
    """All findings for one form, restricted to ``enabled`` codes (all when None)."""
    return run_checks(form, settings, enabled)[0]


def run_checks(form: Form, settings: Settings = DEFAULT, enabled: Iterable[str] | None = None,
               jobs: int = 1) -> tuple[list[Finding], Context]:
    """``check_form``, also returning the Context, so a caller can reuse what it computed (the framework).

    Args:
        form: a located form.
        settings: the Settings in force.
        enabled: the codes to report; every registered code when None.
        jobs: processes the check may use; with 2 or more, a form of ``parallel.MIN_ROWS`` rows
            or more is checked on two cores (Linux only). The findings are the same either way.

    Returns:
        (findings sorted by row, cell and code; the Context the families shared).
    """
    wanted = ALL_CODES if enabled is None else frozenset(enabled)
    ctx = Context(form, settings, wanted)
    active = _active(wanted)
    with _collector_paused():
        if jobs > 1 and len(form.indicators) >= parallel.MIN_ROWS and parallel.can_fork():
            raw = parallel.check_in_halves(active, form, ctx)
        else:
            raw = parts.check(active, form, ctx)
    return _finish(raw, wanted), ctx


@dataclass
class Checked:
    """A form read and checked by ``read_and_check``.

    Attributes:
        form: the located form; without its rows when two processes read them in halves.
        findings: sorted by row, cell and code.
        framework: "2015" or "2021"; "unknown" for a form without indicator rows.
        halves: whether the rows were read (and checked) in halves, one per process.
    """

    form: Form
    findings: list[Finding]
    framework: str
    halves: bool = False


def read_and_check(outline: Outline, settings: Settings = DEFAULT, enabled: Iterable[str] | None = None,
                   jobs: int = 1) -> Checked:
    """Read the rows of a located form's table (``outline``) and check the form.

    The same findings as ``run_checks(outline.read(), ...)``; but with ``jobs`` > 1, a table of
    ``parallel.MIN_ROWS`` rows or more is read and checked in halves, one per process (Linux
    only), and the form returned holds no rows.
    """
    if jobs > 1 and outline.end - outline.first_row + 1 >= parallel.MIN_ROWS and parallel.can_fork():
        wanted = ALL_CODES if enabled is None else frozenset(enabled)
        with _collector_paused():
            done = parallel.read_and_check_in_halves(outline, _active(wanted), settings, wanted)
        if done is not None:
            form, raw, ctx = done
            return Checked(form, _finish(raw, wanted), ctx.framework, halves=True)
    form = outline.read()
    findings, ctx = run_checks(form, settings, enabled, jobs)
    return Checked(form, findings, ctx.framework if form.indicators else "unknown")


def _active(wanted: frozenset[str]) -> list:
    return [family for family in FAMILIES if not wanted.isdisjoint(family.CODES)]


@contextmanager
def _collector_paused():
    """The checks make only acyclic objects (findings, parsed values), yet allocating them can
    set off a full collection of the caller's whole heap in mid-check (1.7 s in the bench, after
    a 100,000-row form and an openpyxl workbook): the collector waits until the end."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _finish(raw: list[Finding], wanted: frozenset[str]) -> list[Finding]:
    """The findings of the codes asked for, sorted by row, cell and code."""
    found = [finding for finding in raw if finding.code in wanted]
    found.sort(key=_order)
    return found


def _order(f: Finding) -> tuple[int, str, str]:
    return f.row, f.cell, f.code


def clear_caches() -> None:
    """Forget every memoised answer of the checks (parsed notation, name facts, row verdicts).

    The caches only ever hold answers that depend on nothing but their key, so clearing them
    changes speed, never findings; tests use it to compare cold and warm runs.
    """
    from ..core import notation, scoring
    from ..core import taxonomy as core_taxonomy
    from . import row
    for module in (notation, scoring, core_taxonomy, names, layout, taxonomy, targets, scores, budget, row):
        for value in list(vars(module).values()):
            if callable(getattr(value, "cache_clear", None)):
                value.cache_clear()
    taxonomy._VERDICTS.clear()
    targets._VERDICTS.clear()
