"""Bad input gets a clear one-line error naming the file (and sheet and cell), loses nothing,
and never shows a traceback. The corpus is tests/data/bad/ (see its README)."""
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BAD = ROOT / "tests" / "data" / "bad"

UNREADABLE = {
    "random-bytes.xlsx": "不是 xlsx 工作簿",
    "truncated.xlsx": "损坏",
    "encrypted.xlsx": "加密",
    "csv-renamed.xlsx": "文本/CSV",
    "zip-bomb.xlsx": "zip 炸弹",
}


def run(*args, timeout=120):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "xltools.cli", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=timeout)
    return proc, time.perf_counter() - t


def sha(p):
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.mark.parametrize("name,says", sorted(UNREADABLE.items()))
def test_unreadable_files_exit_3_with_one_line_naming_the_file(name, says):
    path = BAD / name
    before = sha(path)
    proc, seconds = run("validate", "--format", "json", str(path))
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    [f] = json.loads(proc.stdout)["files"]
    assert f["forms"] == [] and f["error"].startswith(str(path))
    assert says in f["error"] and "\n" not in f["error"]
    assert sha(path) == before
    assert seconds < 30


@pytest.mark.parametrize("name", sorted(UNREADABLE))
def test_table_output_and_fill_say_the_same_without_traceback(name, tmp_path):
    path = BAD / name
    proc, _ = run("validate", str(path))
    assert proc.returncode == 3 and "Traceback" not in proc.stderr and name in proc.stdout
    proc, _ = run("fill", str(path), "-o", str(tmp_path / "out.xlsx"))
    assert proc.returncode == 3 and "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1 and name in proc.stderr
    assert not (tmp_path / "out.xlsx").exists()


@pytest.mark.parametrize("name", ["empty.xlsx", "no-form.xlsx"])
def test_workbooks_without_a_form_get_a_finding_not_an_error(name):
    proc, _ = run("validate", "--format", "json", str(BAD / name))
    assert proc.returncode == 0
    [f] = json.loads(proc.stdout)["files"]
    codes = [x["code"] for form in f["forms"] for x in form["findings"]]
    assert codes == ["no-form-found"]


def test_legacy_xls_is_read():
    proc, _ = run("validate", "--format", "json", str(BAD / "legacy.xls"))
    assert proc.returncode in (0, 1), proc.stderr
    [f] = json.loads(proc.stdout)["files"]
    assert f["error"] is None and len(f["forms"]) == 1


def test_legacy_xls_cannot_be_written_and_says_why(tmp_path):
    proc, _ = run("fill", str(BAD / "legacy.xls"), "-o", str(tmp_path / "o.xlsx"))
    assert proc.returncode == 3 and "Traceback" not in proc.stderr and "legacy.xls" in proc.stderr


def test_error_values_are_reported_at_their_cells_and_the_rest_is_checked():
    path = BAD / "error-values.xlsx"
    before = sha(path)
    proc, _ = run("validate", "--format", "json", str(path))
    assert proc.returncode == 1
    [f] = json.loads(proc.stdout)["files"]
    found = [x for form in f["forms"] for x in form["findings"]]
    errors = {x["cell"] for x in found if x["code"] == "cell-error"}
    assert {"H8", "I6", "H22"} <= errors
    for x in found:
        if x["cell"] in ("H8", "I6", "H22"):
            assert x["code"] == "cell-error", x  # one finding per error cell, no follow-on noise
    msg = next(x["message"] for x in found if x["cell"] == "H8")
    assert "#DIV/0!" in msg
    assert sha(path) == before


def test_200k_row_sheet_is_validated_within_limits():
    path = BAD / "rows-200k.xlsx"
    proc, seconds = run("validate", "--format", "json", str(path), timeout=300)
    assert proc.returncode in (0, 1), proc.stderr[-500:]
    report = json.loads(proc.stdout)
    assert report["summary"]["forms"] == 1
    assert seconds < 60, seconds
