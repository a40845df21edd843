"""The core issue's acceptance list, run the way a user runs it: the CLI on the bundled samples."""
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from xltools.core.numbers import excel_round
from xltools.io.libreoffice import recalc

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
SEED3 = SAMPLES / "seed003-shaoguan-unit-selfeval.xlsx"
SHEET3 = "部门整体支出绩效自评表"


@pytest.fixture(scope="module")
def report():
    """`xltools validate --format json samples/*.xlsx`, through the real console entry point."""
    files = sorted(str(p) for p in SAMPLES.glob("*.xlsx"))
    before = {f: hashlib.sha256(Path(f).read_bytes()).hexdigest() for f in files}
    proc = subprocess.run([sys.executable, "-m", "xltools.cli", "validate", "--format", "json", *files],
                          capture_output=True, text=True, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.returncode == 1, proc.stderr  # the seeds carry error findings
    assert "Traceback" not in proc.stderr
    after = {f: hashlib.sha256(Path(f).read_bytes()).hexdigest() for f in files}
    assert before == after  # validating never touches the inputs
    return json.loads(proc.stdout)


def findings(report, name, code=None):
    [f] = [f for f in report["files"] if f["path"].endswith(name)]
    out = [x for form in f["forms"] for x in form["findings"]]
    return [x for x in out if code is None or x["code"] == code]


def value_at(path, sheet, cell):
    import re
    m = re.fullmatch(r"([A-Z]+)(\d+)", cell)
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    return rows[int(m.group(2)) - 1][col - 1]


def test_placeholders_of_seed_002(report):
    got = findings(report, "seed002-shanhaiguan-targets.xlsx", "target-placeholder")
    assert len(got) == 28 and all("是/否" in x["message"] for x in got)


def test_budget_block_of_seed_003(report):
    rate = {x["cell"]: x for x in findings(report, "seed003-shaoguan-unit-selfeval.xlsx", "execution-rate-mismatch")}
    labels = {x["cell"]: value_at(SEED3, SHEET3, "B" + x["cell"][1:]) for x in rate.values()}
    by_label = {labels[c]: rate[c] for c in rate}
    assert by_label["其中：财政拨款"]["expected"] == "100.00%"
    assert by_label["其他资金"]["expected"] == "81.26%"
    [total] = findings(report, "seed003-shaoguan-unit-selfeval.xlsx", "total-mismatch")
    assert total["expected"] == "11,864.35" and "11,864.35" in total["message"]
    [score] = findings(report, "seed003-shaoguan-unit-selfeval.xlsx", "execution-score-mismatch")
    assert value_at(SEED3, SHEET3, score["cell"]) == 9
    assert score["expected"] == "9.99"


def test_unit_mismatch_on_a_rate_counted_in_people(report):
    got = findings(report, "seed002-shanhaiguan-targets.xlsx", "unit-mismatch")
    assert any("工资及保险发放准确率" in x["message"] and "人" in x["message"] for x in got)


def test_direction_conflicts_of_seed_003(report):
    got = findings(report, "seed003-shaoguan-unit-selfeval.xlsx", "direction-conflict")
    text = " ".join(x["message"] for x in got)
    for value in ("2次以上", "至少1个", "≥100%"):
        assert f"“{value}”" in text, value
    assert all(x["severity"] == "error" for x in got)


def test_nature_conflicts_of_seed_003(report):
    got = findings(report, "seed003-shaoguan-unit-selfeval.xlsx", "nature-conflict")
    text = " ".join(x["message"] for x in got)
    assert "100%（26家）" in text and "不低于3%" in text


def test_misaligned_rows_of_seed_000(report):
    got = findings(report, "seed000-dongguan-unit-target.xlsx", "misaligned-row")
    names = {value_at(SAMPLES / "seed000-dongguan-unit-target.xlsx", x["sheet"], x["cell"]) for x in got}
    assert {"质量指标", "时效指标", "成本指标", "经济效益指标", "服务对象满意度指标", "社会效益指标",
            "效益指标", "可持续影响指标"} <= names
    quality = [x for x in got if "质量指标" in x["message"]]
    assert quality and "全市34个镇街（园区）" in quality[0]["message"]


def test_clean_samples_give_no_error(report):
    for f in report["files"]:
        if Path(f["path"]).name.startswith("clean-"):
            assert f["error"] is None
            assert not [x for form in f["forms"] for x in form["findings"] if x["severity"] == "error"], f["path"]


def run_fill(tmp_path, *extra):
    out = tmp_path / ("filled" + "".join(extra).replace("-", "") + ".xlsx")
    proc = subprocess.run([sys.executable, "-m", "xltools.cli", "fill", "--overwrite", *extra, str(SEED3), "-o", str(out)],
                          capture_output=True, text=True, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.returncode == 0, proc.stderr
    return out


def expected_fill():
    """The seed-003 block recomputed here from its printed inputs, independently of xltools.scoring."""
    budget1, exec1, budget2, exec2 = 11789.83, 11789.83, 91.71, 74.52
    total_exec = excel_round(exec1 + exec2, 2)
    total_rate = total_exec / (budget1 + budget2)
    return {"H17": 1.0, "H18": exec2 / budget2, "G19": total_exec, "H19": total_rate,
            "J19": excel_round(min(total_rate, 1) * 10, 2)}


def test_fill_overwrite_writes_the_corrected_block(tmp_path):
    out = run_fill(tmp_path)
    want = expected_fill()
    for cell, value in want.items():
        assert value_at(out, SHEET3, cell) == pytest.approx(value, abs=1e-9), cell
    assert f"{value_at(out, SHEET3, 'H18') * 100:.2f}%" == "81.26%"
    assert f"{value_at(out, SHEET3, 'H19') * 100:.2f}%" == "99.86%"
    assert value_at(out, SHEET3, "G19") == 11864.35 and value_at(out, SHEET3, "J19") == 9.99


@pytest.mark.libreoffice
def test_fill_formulas_recalculate_to_the_cached_values_in_libreoffice(tmp_path):
    out = run_fill(tmp_path, "--formulas")
    cached = {c: value_at(out, SHEET3, c) for c in expected_fill()}
    [recalculated] = recalc([out], tmp_path / "lo")
    for cell, value in cached.items():
        lo = value_at(recalculated, SHEET3, cell)
        assert lo == pytest.approx(value, abs=0.005), (cell, lo, value)
    assert round(value_at(recalculated, SHEET3, "J19"), 2) == 9.99
