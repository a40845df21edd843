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
from . import budget, layout, names, scores, targets, taxonomy
from .context import ALL_CODES, Context

FAMILIES = (layout, taxonomy, targets, budget, scores)


def check_form(form: Form, settings: Settings = DEFAULT, enabled: Iterable[str] | None = None) -> list[Finding]:
    """All findings for one form, restricted to ``enabled`` codes (all when None)."""
    return run_checks(form, settings, enabled)[0]


def run_checks(form: Form, settings: Settings = DEFAULT,
               enabled: Iterable[str] | None = None) -> tuple[list[Finding], Context]:
    """``check_form``, also returning the Context, so a caller can reuse what it computed (the framework).

    Args:
        form: a located form.
        settings: the Settings in force.
        enabled: the codes to report; every registered code when None.

    Returns:
        (findings sorted by row, cell and code; the Context the families shared).
    """
    wanted = ALL_CODES if enabled is None else frozenset(enabled)
    ctx = Context(form, settings, wanted)
    found: list[Finding] = []
    # The checks make only acyclic objects (findings, parsed values), yet allocating them can
    # set off a full collection of the caller's whole heap in mid-check (1.7 s in the bench,
    # after a 100,000-row form and an openpyxl workbook): the collector waits until the end.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for family in FAMILIES:
            if wanted.isdisjoint(family.CODES):
                continue
            for finding in family.check(form, ctx):
                if finding.code in wanted:
                    found.append(finding)
    finally:
        if collecting:
            gc.enable()
    found.sort(key=_order)
    return found, ctx


def _order(f: Finding) -> tuple[int, str, str]:
    return f.row, f.cell, f.code


def clear_caches() -> None:
    """Forget every memoised answer of the checks (parsed notation, name facts, row verdicts).

    The caches only ever hold answers that depend on nothing but their key, so clearing them
    changes speed, never findings; tests use it to compare cold and warm runs.
    """
    from ..core import notation, scoring
    from ..core import taxonomy as core_taxonomy
    for module in (notation, scoring, core_taxonomy, names, layout, taxonomy, targets, scores, budget):
        for value in list(vars(module).values()):
            if callable(getattr(value, "cache_clear", None)):
                value.cache_clear()
    taxonomy._VERDICTS.clear()
    targets._VERDICTS.clear()
