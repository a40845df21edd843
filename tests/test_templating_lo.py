"""LibreOffice checks the generated forms: recalculated values equal the Python engine's.

These tests FAIL (never skip) when soffice is missing: CI installs LibreOffice.
One soffice process converts every file of a test (it costs ~1.5 s to start).
"""
from __future__ import annotations

import random
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest

from xltools.io.libreoffice import recalc
from xltools.templating.builder import build_all, load_templates
from xltools.templating.engine import FormData, StampOptions, stamp
from xltools.templating.forms import cell_actual

ROOT = Path(__file__).resolve().parent.parent
MASTER = ROOT / "samples" / "master.xlsx"
pytestmark = pytest.mark.libreoffice


def _formula_cells(path: Path) -> dict[str, list[str]]:
    """Sheet → addresses of every formula cell (read from the file's formulas)."""
    wb = openpyxl.load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        out[ws.title] = [c.coordinate for row in ws.iter_rows() for c in row
                         if isinstance(c.value, str) and c.value.startswith("=")]
    return out


def _same(a, b) -> bool:
    if a in (None, "") and b in (None, ""):
        return True
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return round(a, 2) == round(b, 2)
    return a == b


def _compare(generated: Path, recalculated: Path) -> list[str]:
    """Every formula cell: the cached value written by xltools vs the value LibreOffice computed."""
    cells = _formula_cells(generated)
    cached = openpyxl.load_workbook(generated, data_only=True)
    lo = openpyxl.load_workbook(recalculated, data_only=True)
    bad = []
    n = 0
    for sheet, addrs in cells.items():
        for a in addrs:
            n += 1
            x, y = cached[sheet][a].value, lo[sheet][a].value
            if not _same(x, y):
                bad.append(f"{generated.name}:{sheet}!{a} python={x!r} libreoffice={y!r}")
    assert n > 0, f"{generated} has no formulas"
    return bad


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, list[Path], list[Path]]:
    out = tmp_path_factory.mktemp("lo") / "out"
    result = build_all(MASTER, out)
    assert result.exit_code == 0, result.message
    files = sorted(out.rglob("*.xlsx"))
    flat = out.parent / "flat"
    flat.mkdir()
    copies = []
    for i, f in enumerate(files):
        dst = flat / f"form{i:03d}.xlsx"
        shutil.copy(f, dst)
        copies.append(dst)
    recalculated = recalc(copies, out.parent / "recalc")
    return out, copies, recalculated


def test_every_computed_cell_matches_libreoffice(built):
    _, copies, recalculated = built
    assert len(copies) == 28  # 9 projects + 5 units, × target and self-evaluation
    bad = []
    for g, r in zip(copies, recalculated):
        bad += _compare(g, r)
    assert not bad, "\n".join(bad[:30])


def test_recalculated_forms_pass_validate(built):
    from xltools.engine import validate_paths
    _, _, recalculated = built
    report = validate_paths(recalculated)
    errors = [(Path(f.path).name, x.code, x.cell, x.message) for f in report.files for form in f.forms
              for x in form.findings if x.severity.value == "error"]
    assert not [f.error for f in report.files if f.error]
    assert not errors, errors[:20]
    kinds = sorted({form.kind for f in report.files for form in f.forms if form.kind != "unknown"})
    assert kinds == ["project-selfeval", "project-target", "unit-selfeval", "unit-target"]


def test_validations_and_protection_survive_libreoffice(built):
    _, copies, recalculated = built
    for g, r in zip(copies[:6], recalculated[:6]):
        a, b = openpyxl.load_workbook(g).worksheets[0], openpyxl.load_workbook(r).worksheets[0]
        assert a.protection.sheet and b.protection.sheet
        lists_a = sorted(str(dv.formula1) for dv in a.data_validations.dataValidation if dv.type == "list")
        lists_b = sorted(str(dv.formula1) for dv in b.data_validations.dataValidation if dv.type == "list")
        assert lists_a and len(lists_b) == len(lists_a)
        assert any("INDIRECT" in x.upper() for x in lists_b)
        # input cells stay unlocked and computed cells locked after the round trip
        for ws in (a, b):
            locked = {c.coordinate: c.protection.locked for row in ws.iter_rows() for c in row}
            formulas = [c.coordinate for row in openpyxl.load_workbook(g).worksheets[0].iter_rows() for c in row
                        if isinstance(c.value, str) and c.value.startswith("=")]
            assert all(locked[x] for x in formulas)
            assert any(v is False for v in locked.values())


def _selfeval_data(actuals: list[object], weights: list[float], targets: list[str], directions: list[str],
                   natures: list[str], execution: float) -> FormData:
    from xltools.core.notation import ValueKind, parse_value
    from xltools.templating.formulas import direction_word
    inds = []
    for n, (t, a, w, d, nat) in enumerate(zip(targets, actuals, weights, directions, natures), start=1):
        p = parse_value(t)
        q = p.kind is ValueKind.QUANTITY and p.number is not None
        inds.append({"seq": n, "level1": ["产出指标", "效益指标", "满意度指标"][n % 3], "level2": "数量指标",
                     "level3": f"指标{n}", "target": t, "nature": nat, "direction": d, "weight": w,
                     "actual": a, "target_number": p.number if q else None, "target_unit": p.unit if q else None,
                     "target_sense": direction_word(p.direction) if q else None})
    fields = {"year": 2022, "project.name": "随机", "unit.name": "随机单位", "fund.fiscal.initial": 100.0,
              "fund.fiscal.budget": 120.0, "fund.fiscal.execution": execution, "fund.total.weight": 10}
    return FormData(fields, {"ind": inds}, target_kinds=[parse_value(t).kind for t in targets])


def test_scores_after_actuals_are_typed_in(tmp_path):
    """Type actuals into generated forms (openpyxl, as a person would in Excel), recalculate in
    LibreOffice, and compare every score with the engine's value for those actuals."""
    rng = random.Random(20221231)
    cts = load_templates(["project-selfeval", "unit-selfeval"])
    targets_pool = ["≥95%", "≤0.36%", "≥17辆", "不少于19.44万批次", "0次", "=5次", "≤2300元/批次", "100%",
                    "按要求支出", "是", "≥15亿元", "＜1个", "有效提高"]
    typed_pool = [96, 0.9, 80, 0.2, 3, 0, 1.2, 0.36, 180000, 250000, 14.42, "达成年度指标", "部分达成年度指标",
                  "完成", "否", "未达成", 2300, 2500, None]
    inputs, expected_forms = [], []
    for k in range(8):
        n = 9
        targets = [rng.choice(targets_pool) for _ in range(n)]
        natures = [rng.choice(["定量", "定性"]) for _ in range(n)]
        directions = [rng.choice(["大于或等于", "小于或等于", "等于", "大于", "小于"]) for _ in range(n)]
        weights = [rng.choice([5, 10, 12.5, 7.25]) for _ in range(n)]
        kind = ["project-selfeval", "unit-selfeval"][k % 2]
        ct = cts[kind]
        blank = _selfeval_data([None] * n, weights, targets, directions, natures, 0.0)
        src = tmp_path / f"blank{k}.xlsx"
        src.write_bytes(stamp(ct, blank, StampOptions(reverse_rule="ratio")))
        typed = [rng.choice(typed_pool) for _ in range(n)]
        execution = rng.choice([0.0, 60.0, 119.99, 130.0])
        # a person types the actuals and the execution into the generated file
        wb = openpyxl.load_workbook(src)
        ws = wb.worksheets[0]
        first = ct.blocks["ind"]
        col_actual = ct.column_of("ind.actual")
        for i, v in enumerate(typed):
            ws.cell(first + i, col_actual).value = v
        # no tasks: the task block keeps its one row, so the fund rows stay where the template has them
        ex_r, ex_c = ct.positions["fund.fiscal.execution"]
        ws.cell(ex_r, ex_c).value = execution
        typed_path = tmp_path / f"typed{k}.xlsx"
        wb.save(typed_path)
        inputs.append(typed_path)
        # what the engine says for the same inputs
        filled = _selfeval_data(typed, weights, targets, directions, natures, execution)
        exp = tmp_path / f"expected{k}.xlsx"
        exp.write_bytes(stamp(ct, filled))
        expected_forms.append(exp)
    recalculated = recalc(inputs, tmp_path / "recalc")
    bad = []
    for exp, got in zip(expected_forms, recalculated):
        e = openpyxl.load_workbook(exp, data_only=True).worksheets[0]
        g = openpyxl.load_workbook(got, data_only=True).worksheets[0]
        for a in _formula_cells(exp)[e.title]:
            if not _same(e[a].value, g[a].value):
                bad.append(f"{exp.name}!{a}: engine={e[a].value!r} libreoffice={g[a].value!r}")
    assert not bad, "\n".join(bad[:30])


def test_cell_actual_puts_percent_actuals_on_the_cell_scale():
    assert cell_actual("≥95%", "96%") == 96
    assert cell_actual("≤30%", "0.78%") == pytest.approx(0.0078)
    assert cell_actual("≥1亿元", "1.2亿元") == pytest.approx(1.2)
    assert cell_actual("有效提高", "达成年度指标") == "达成年度指标"


def test_each_kind_renders_to_pdf(built, tmp_path):
    from xltools.io.libreoffice import convert
    _, copies, _ = built
    pdfs = convert(copies[:2], "pdf", tmp_path / "pdf")
    for p in pdfs:
        assert p.read_bytes()[:5] == b"%PDF-"
    with zipfile.ZipFile(copies[0]) as z:
        assert "xl/worksheets/sheet1.xml" in z.namelist()
