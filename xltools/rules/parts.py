"""A form checked in parts: each family gathers over the rows of a part, then concludes once over
what every part gathered.

Most findings belong to one row, and each part of a form's rows gives its own. The form-level
checks (the evaluation-framework gate, missing categories, duplicated names, the weight sums, the
total score) need every row: a family with such checks (taxonomy, scores) has ``gather``, which
returns its row findings and a Tally of what the part's rows tell the form-level checks, and
``conclude``, which turns the tallies of all parts, merged in row order, into the form-level
findings. A serial check is the same with one part, the whole form; rules.parallel checks a large
form as two parts, one per process.
"""
from __future__ import annotations

from typing import Any, Sequence

from ..core.findings import Finding
from ..core.form import Form
from . import budget
from .context import Context

# Families that read only the form's preamble (the funds block, the spending plan), never its
# rows: they run once, on the whole form, in conclude.
WHOLE_FORM_FAMILIES = (budget,)

# What gather returns: for each family, in order, its row findings and its tally (or None).
Gathered = list[tuple[list[Finding], Any]]


def gather(families: Sequence, part: Form, ctx: Context) -> Gathered:
    """The row findings and tallies of ``families`` over ``part`` (``ctx`` is the part's Context)."""
    out: Gathered = []
    for family in families:
        if family in WHOLE_FORM_FAMILIES:
            out.append(([], None))
        elif hasattr(family, "gather"):
            out.append(family.gather(part, ctx))
        else:
            out.append((list(family.check(part, ctx)), None))
    return out


def conclude(families: Sequence, form: Form, ctx: Context, parts: Sequence[Gathered]) -> list[Finding]:
    """Every finding of ``form``: those of its ``parts`` (gathered in row order), then the
    form-level ones, from the parts' tallies merged in row order. Unsorted."""
    found = [finding for part in parts for findings, _ in part for finding in findings]
    for k, family in enumerate(families):
        if family in WHOLE_FORM_FAMILIES:
            found += family.check(form, ctx)
        elif hasattr(family, "conclude"):
            tally = None
            for part in parts:
                later = part[k][1]
                if later is not None:
                    tally = later if tally is None else tally.merge(later)
            found += family.conclude(form, ctx, tally)
    return found


def check(families: Sequence, form: Form, ctx: Context) -> list[Finding]:
    """Every finding of ``form``, checked as one part. Unsorted."""
    return conclude(families, form, ctx, [gather(families, form, ctx)])
