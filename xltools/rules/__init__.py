"""Checks, grouped by family; each family module declares the codes it can emit.

``check_form`` runs every enabled family over one located form and returns its findings,
sorted by row. Rules yield findings and never raise on bad data.
"""
from __future__ import annotations

from typing import Iterable

from ..core.codes import REGISTRY
from ..core.findings import Finding
from ..core.form import Form
from ..settings import DEFAULT, Settings
from . import budget, layout, scores, targets, taxonomy
from .context import Context

FAMILIES = (layout, taxonomy, targets, budget, scores)


def check_form(form: Form, settings: Settings = DEFAULT, enabled: Iterable[str] | None = None) -> list[Finding]:
    """All findings for one form, restricted to ``enabled`` codes (all when None)."""
    ctx = Context(form, settings)
    wanted = set(REGISTRY) if enabled is None else set(enabled)
    found: list[Finding] = []
    for family in FAMILIES:
        if not wanted.intersection(family.CODES):
            continue
        for finding in family.check(form, ctx):
            if finding.code in wanted:
                found.append(finding)
    found.sort(key=lambda f: (f.row, f.cell, f.code))
    return found
