"""Checks, grouped by family; each family module declares the codes it can emit.

``check_form`` runs every enabled family over one located form and returns its findings,
sorted by row. Rules yield findings and never raise on bad data.
"""
from __future__ import annotations

import gc
from typing import Iterable

from ..core.codes import REGISTRY  # noqa: F401 - importers find the registry here too
from ..core.findings import Finding
from ..core.form import Form
from ..settings import DEFAULT, Settings
from . import budget, layout, names, parallel, scores, targets, taxonomy
from .context import ALL_CODES, Context

FAMILIES = (layout, taxonomy, targets, budget, scores)
# On a large form with jobs > 1, these families run in a forked child while the rest run here
# (rules.parallel); the families whose findings on a row depend on that row alone are shared
# out by chunks of rows, taken by whichever process is free.
FORKED_FAMILIES = (layout, taxonomy)
ROWWISE_FAMILIES = (targets,)


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
    # The checks make only acyclic objects (findings, parsed values), yet allocating them can
    # set off a full collection of the caller's whole heap in mid-check (1.7 s in the bench,
    # after a 100,000-row form and an openpyxl workbook): the collector waits until the end.
    collecting = gc.isenabled()
    gc.disable()
    try:
        active = [family for family in FAMILIES if not wanted.isdisjoint(family.CODES)]
        there, here, rowwise = _shares(active)
        if (jobs > 1 and len(form.indicators) >= parallel.MIN_ROWS and there and (here or rowwise)
                and parallel.can_fork()):
            raw = parallel.check_split(form, ctx, here, there, rowwise)
        else:
            raw = [finding for family in active for finding in family.check(form, ctx)]
        found = [finding for finding in raw if finding.code in wanted]
    finally:
        if collecting:
            gc.enable()
    found.sort(key=_order)
    return found, ctx


def _shares(active: list) -> tuple[list[parallel.Family], list[parallel.Family], list[parallel.Family]]:
    """The families' checks for a forked child, for this process, and for both, chunk by chunk of
    rows (rules.parallel)."""
    there, here, rowwise = [], [], []
    for family in active:
        if family in ROWWISE_FAMILIES:
            rowwise.append(family.check)
        else:
            (there if family in FORKED_FAMILIES else here).append(family.check)
    return there, here, rowwise


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
