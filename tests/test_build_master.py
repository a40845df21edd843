"""`xltools build` on good and bad masters: findings not tracebacks, nothing half-written, same bytes."""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from xltools.templating import builder as builder_mod
from xltools.templating.builder import build_all
from xltools.templating.cli import build, rollover
from xltools.templating.master import read_master

ROOT = Path(__file__).resolve().parent.parent
MASTER = ROOT / "samples" / "master.xlsx"
DEFECTS = ROOT / "samples" / "master-with-defects.xlsx"


def _digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _edited(tmp_path: Path, edit) -> Path:
    wb = openpyxl.load_workbook(MASTER)
    edit(wb)
    out = tmp_path / "edited.xlsx"
    wb.save(out)
    return out


def _header_col(ws, header: str) -> int:
    return next(c.column for c in ws[1] if c.value == header)


def _nothing_written(tmp_path: Path, out: Path) -> None:
    assert not out.exists()
    assert not [p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.tmp-")]


def test_clean_master_builds_every_form_in_a_tidy_tree(tmp_path):
    out = tmp_path / "out"
    r = build_all(MASTER, out)
    assert r.exit_code == 0 and not r.errors, [f.message for f in r.errors]
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.xlsx"))
    assert len(files) == 28
    assert "414001 山海关区市场监督管理局本级/项目支出绩效目标表/13030322P00LDLE10006G 车辆保险费.xlsx" in files
    assert "141001 韶关市市场监督管理局/部门整体支出绩效自评表.xlsx" in files
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]


def test_same_master_same_bytes_with_any_number_of_jobs(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert build_all(MASTER, a, jobs=1).exit_code == 0
    assert build_all(MASTER, b, jobs=2).exit_code == 0
    assert _digests(a) == _digests(b)


def test_master_with_defects_is_refused_with_findings_and_nothing_written(tmp_path):
    out = tmp_path / "out"
    r = build_all(DEFECTS, out)
    codes = {f.code for f in r.errors}
    assert r.exit_code == 1 and not r.written
    assert {"target-placeholder", "direction-conflict", "unit-mismatch", "target-missing"} <= codes
    # every finding points at a master cell that holds what it complains about
    m = openpyxl.load_workbook(DEFECTS)
    f = next(x for x in r.errors if x.code == "target-placeholder")
    assert m[f.sheet][f.cell].value == "是/否"
    _nothing_written(tmp_path, out)
    forced = build_all(DEFECTS, out, force=True)
    assert forced.written and forced.exit_code == 1 and len(forced.files) == 28


def _drop_sheet(wb):
    del wb["指标"]


def _drop_column(wb):
    ws = wb["指标"]
    ws.cell(1, _header_col(ws, "年度指标值")).value = "备用"


def _duplicate_code(wb):
    ws = wb["项目"]
    ws.cell(3, 1).value = ws.cell(2, 1).value


def _project_without_indicators(wb):
    ws = wb["项目"]
    ws.append(["NEW-001", "414001", "没有指标的项目"])


def _slash_name(wb):
    wb["项目"].cell(2, 3).value = "车辆/保险费"


def _dotdot_name(wb):
    wb["项目"].cell(2, 3).value = "../车辆保险费"


def _colon_code(wb):
    wb["项目"].cell(2, 1).value = "C:13030322"


def _long_name(wb):
    wb["单位"].cell(2, 2).value = "很长的单位名称" * 43  # 301 characters


def _formula_text(wb):
    ws = wb["指标"]
    c = ws.cell(2, _header_col(ws, "年度指标值"))
    c.value = '=HYPERLINK("http://example.com","≥95%")'
    c.data_type = "s"  # typed as text, as a person pasting it would get


def _unknown_fund_source(wb):
    wb["资金"].cell(2, _header_col(wb["资金"], "资金来源")).value = "财政拔款"  # a typo (拨 → 拔)


@pytest.mark.parametrize("edit,code", [
    (_unknown_fund_source, "master-bad-value"),  # raised TypeError (a keyword clash) until fuzzing found it
    (_drop_sheet, "master-sheet-missing"),
    (_drop_column, "master-column-missing"),
    (_duplicate_code, "master-duplicate-code"),
    (_project_without_indicators, "master-no-indicators"),
    (_slash_name, "master-unsafe-name"),
    (_dotdot_name, "master-unsafe-name"),
    (_colon_code, "master-unsafe-name"),
    (_long_name, "master-unsafe-name"),
    (_formula_text, "master-formula-text"),
])
def test_bad_master_gives_findings_not_tracebacks_and_writes_nothing(tmp_path, edit, code):
    bad = _edited(tmp_path, edit)
    out = tmp_path / "out"
    result = CliRunner().invoke(build, [str(bad), "-o", str(out), "-q"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1, result.output
    assert code in result.output
    _nothing_written(tmp_path, out)


def test_forced_build_keeps_equals_text_as_text(tmp_path):
    bad = _edited(tmp_path, _formula_text)
    out = tmp_path / "out"
    r = build_all(bad, out, force=True, kinds=["project-target"])
    assert r.written
    first = sorted(out.rglob("*.xlsx"))
    values = []
    for p in first:
        ws = openpyxl.load_workbook(p).worksheets[0]
        values += [c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert values and all(c.data_type == "s" for c in values)


def test_unreadable_master_exits_3(tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_text("not a workbook")
    result = CliRunner().invoke(build, [str(bad), "-o", str(tmp_path / "out")])
    assert result.exit_code == 3 and "无法读取" in result.output


def test_usage_errors_exit_2(tmp_path):
    result = CliRunner().invoke(build, [str(MASTER)])
    assert result.exit_code == 2


def test_failure_midway_leaves_nothing_half_written(tmp_path, monkeypatch):
    out = tmp_path / "out"
    real = builder_mod.stamp
    calls = {"n": 0}

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 5:
            raise OSError("disk full")
        return real(*args, **kwargs)
    monkeypatch.setattr(builder_mod, "stamp", failing)
    with pytest.raises(OSError):
        build_all(MASTER, out)
    _nothing_written(tmp_path, out)


def test_rebuild_replaces_unit_folders_and_keeps_other_files(tmp_path):
    out = tmp_path / "out"
    build_all(MASTER, out, kinds=["unit-target"])
    (out / "说明.txt").write_text("keep me")
    stale = next(out.iterdir()) / "stale.xlsx"
    stale.write_bytes(b"x")
    r = build_all(MASTER, out, kinds=["unit-target"])
    assert r.exit_code == 0
    assert (out / "说明.txt").read_text() == "keep me" and not stale.exists()
    assert len(list(out.rglob("*.xlsx"))) == 5


def test_one_workbook_per_kind_with_a_sheet_per_form(tmp_path):
    out = tmp_path / "out"
    r = build_all(MASTER, out, one_workbook=True, kinds=["project-selfeval", "unit-target"])
    assert r.exit_code == 0
    names = sorted(p.name for p in out.glob("*.xlsx"))
    assert names == ["部门整体支出绩效目标表.xlsx", "项目支出绩效自评表.xlsx"]
    wb = openpyxl.load_workbook(out / "项目支出绩效自评表.xlsx")
    forms = [ws for ws in wb.worksheets if ws.sheet_state == "visible"]
    assert len(forms) == 9 and all(ws.protection.sheet for ws in forms)
    assert all(len(ws.title) <= 31 for ws in forms)
    assert len(wb.defined_names) >= 4  # the dropdown lists


def test_cli_prints_progress_and_summary(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(build, [str(MASTER), "-o", str(out), "--kind", "unit-target"])
    assert result.exit_code == 0
    assert "已生成 5 个文件" in result.output


def test_json_report(tmp_path):
    import json
    result = CliRunner().invoke(build, [str(DEFECTS), "-o", str(tmp_path / "o"), "--format", "json"])
    report = json.loads(result.output)
    assert result.exit_code == 1
    assert report["summary"]["errors"] == len([f for f in report["files"][0]["forms"][0]["findings"]
                                               if f["severity"] == "error"]) > 0
    assert report["build"]["written"] is False


def test_year_override_and_settings(tmp_path):
    out = tmp_path / "out"
    assert build_all(MASTER, out, year=2024, kinds=["unit-target"]).exit_code == 0
    ws = openpyxl.load_workbook(next(out.rglob("*.xlsx"))).worksheets[0]
    assert ws["A1"].value.startswith("2024年度")
    m = read_master(MASTER)
    assert m.settings["year"] == 2022


def test_rollover_target_to_selfeval_and_next_year(tmp_path):
    out = tmp_path / "out"
    build_all(MASTER, out, kinds=["project-target"])
    target = sorted(out.rglob("*.xlsx"))[0]
    # a maintainer edits the target form after it was built
    wb = openpyxl.load_workbook(target)
    ws = wb.worksheets[0]
    first = next(c.row for c in ws["C"] if c.value == "三级指标") + 1
    ws.cell(first, 7).value = "≥97%"
    wb.save(target)
    runner = CliRunner()
    r = runner.invoke(rollover, [str(target), "--to", "selfeval", "-o", str(tmp_path / "self.xlsx")])
    assert r.exit_code == 0, r.output
    s = openpyxl.load_workbook(tmp_path / "self.xlsx").worksheets[0]
    values = [c.value for row in s.iter_rows() for c in row]
    assert "2022年度项目支出绩效自评表" in values and "≥97%" in values
    header = next(c.row for c in s["C"] if c.value == "三级指标")
    assert s.cell(header + 1, 8).value is None  # 实际完成值 empty
    assert isinstance(s.cell(header + 1, 9).value, (int, float))  # weights carried or shared out
    r = runner.invoke(rollover, [str(target), "--to", "next-year", "-o", str(tmp_path / "next.xlsx")])
    assert r.exit_code == 0
    n = openpyxl.load_workbook(tmp_path / "next.xlsx").worksheets[0]
    assert n["A1"].value == "2023年度项目支出绩效目标表"
    r = runner.invoke(rollover, [str(MASTER), "--to", "selfeval"])
    assert r.exit_code == 3 and "xltools" in r.output
    # Written over its own input, a rollover would lose the form it came from: refused, input kept.
    before = target.read_bytes()
    r = runner.invoke(rollover, [str(target), "--to", "next-year", "-o", str(target)])
    assert r.exit_code == 3 and "输入" in r.output and "Traceback" not in r.output
    assert target.read_bytes() == before
    r = runner.invoke(rollover, [str(target), "--to", "next-year", "-o", str(tmp_path / "nowhere" / "x.xlsx")])
    assert r.exit_code == 3 and "无法写入" in r.output and "Traceback" not in r.output
    shutil.rmtree(out)
