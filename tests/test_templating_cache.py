"""What the engine keeps between forms (formulas, names, workbook part, escaped texts) never changes a form."""
from __future__ import annotations

import copy
from pathlib import Path

import openpyxl
import pytest

from xltools.templating.checks import settings_of
from xltools.templating.compiler import compile_template
from xltools.templating.engine import FormData, StampOptions, stamp
from xltools.templating.forms import form_data, owners
from xltools.templating.master import read_master

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
MASTER = ROOT / "samples" / "master.xlsx"
KINDS = ("project-target", "unit-target", "project-selfeval", "unit-selfeval")


def _forms(kind: str) -> list[FormData]:
    """Every form of the sample master, plus variants: fewer or no indicators, other amounts."""
    m = read_master(MASTER)
    settings, _ = settings_of(m)
    out = [form_data(m, o, kind, settings) for o in owners(m, unit=kind.startswith("unit"))]
    first = out[0]
    for n in (0, 1):
        short = copy.deepcopy(first)
        short.items["ind"] = short.items["ind"][:n]
        short.target_kinds = (short.target_kinds or [])[:n]
        out.append(short)
    other = copy.deepcopy(first)
    for key in list(other.fields):
        if key.startswith("fund.") and isinstance(other.fields[key], float):
            other.fields[key] *= 3
    out.append(other)
    return out


@pytest.mark.parametrize("kind", KINDS)
def test_a_template_shared_by_many_forms_stamps_each_as_a_fresh_one_would(kind):
    shared = compile_template(TEMPLATES / f"{kind}.xlsx", kind=kind)
    opts = StampOptions(reverse_rule="linear")
    forms = _forms(kind)
    got = [stamp(shared, f, opts) for f in forms]
    assert len({len(f.items["ind"]) for f in forms}) >= 3  # several shapes share the template
    for data, blob in zip(forms, got):
        assert blob == stamp(compile_template(TEMPLATES / f"{kind}.xlsx", kind=kind), data, opts)


def test_values_written_into_formulas_are_not_kept_for_other_forms(tmp_path):
    # the designer deleted the 其他资金 全年预算数 cell: the total's formula holds that amount
    wb = openpyxl.load_workbook(TEMPLATES / "project-selfeval.xlsx")
    ws = wb.worksheets[0]
    cell = next(c for row in ws.iter_rows() for c in row if c.value == "{{ fund.other.budget }}")
    cell.value = None
    path = tmp_path / "no-other-budget.xlsx"
    wb.save(path)
    shared = compile_template(path, kind="project-selfeval")
    forms = _forms("project-selfeval")
    amounts = set()
    for k, data in enumerate(forms):
        data.fields["fund.other.budget"] = 7.0 + k
        amounts.add(data.fields["fund.other.budget"])
        assert stamp(shared, data) == stamp(compile_template(path, kind="project-selfeval"), data)
    assert len(amounts) == len(forms)
