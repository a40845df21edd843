"""The CLI contract: JSON report shape (checks.md), exit codes, code selection, no tracebacks."""
import hashlib
import json

import pytest
import xlsxwriter
from click.testing import CliRunner

from xltools.cli import main
from xltools.core.codes import REGISTRY


def make_form(path, target="是/否", level1="产出指标", rate_text=None):
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("项目表")
    ws.write_row(0, 0, ["1.车辆保险费绩效目标表"])
    ws.write_row(1, 0, ["项目编码", "13030322P00LDLE10006G", "项目名称", "车辆保险费"])
    ws.write_row(3, 0, ["一级指标", "二级指标", "三级指标", "绩效指标描述", "指标值", "指标值确定依据"])
    ws.write_row(4, 0, [level1, "数量指标", "管理车辆数（辆）", "单位管理车辆数目", "17辆", "年度工作计划"])
    ws.write_row(5, 0, ["", "质量指标", "公车保险缴纳率", "按时缴纳的比例", target, "年度工作计划"])
    ws.write_row(6, 0, ["效益指标", "社会效益指标", "公务出行保障率", "保障公务出行", "≥95%", "年度工作计划"])
    ws.write_row(7, 0, ["满意度指标", "服务对象满意度指标", "使用人员满意度", "满意度", "≥90%", "年度工作计划"])
    wb.close()
    return path


def digest(p):
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_json_report_has_the_contract_keys_and_points_at_the_cell(tmp_path):
    f = make_form(tmp_path / "a.xlsx")
    before = digest(f)
    r = CliRunner().invoke(main, ["validate", "--format", "json", str(f)])
    assert r.exit_code == 1, r.output
    report = json.loads(r.stdout)
    assert report["version"] == 1
    [file] = report["files"]
    assert file["path"] == str(f) and file["error"] is None
    [form] = file["forms"]
    assert form["sheet"] == "项目表" and form["kind"] == "project-target" and form["framework"] in ("2015", "2021")
    placeholder = [x for x in form["findings"] if x["code"] == "target-placeholder"]
    assert len(placeholder) == 1
    p = placeholder[0]
    assert (p["cell"], p["row"], p["severity"], p["sheet"]) == ("E6", 6, "error", "项目表")
    assert "是/否" in p["message"] and set(p) >= {"code", "severity", "sheet", "cell", "row", "message", "expected"}
    s = report["summary"]
    assert s["files"] == 1 and s["forms"] == 1 and s["errors"] >= 1
    assert set(s) >= {"files", "forms", "errors", "warnings", "infos"}
    assert digest(f) == before  # the input is never touched


def test_clean_form_exits_zero_and_select_ignore_filter_codes(tmp_path):
    f = make_form(tmp_path / "ok.xlsx", target="≥95%")
    r = CliRunner().invoke(main, ["validate", "--format", "json", str(f)])
    report = json.loads(r.stdout)
    assert report["summary"]["errors"] == 0, report
    assert r.exit_code == 0
    bad = make_form(tmp_path / "bad.xlsx")
    r = CliRunner().invoke(main, ["validate", "--format", "json", "--ignore", "target-placeholder", str(bad)])
    codes = {x["code"] for x in json.loads(r.stdout)["files"][0]["forms"][0]["findings"]}
    assert "target-placeholder" not in codes
    r = CliRunner().invoke(main, ["validate", "--format", "json", "--select", "targets", str(bad)])
    codes = {x["code"] for x in json.loads(r.stdout)["files"][0]["forms"][0]["findings"]}
    assert codes and all(REGISTRY[c].family == "targets" for c in codes)


def test_unknown_code_is_a_usage_error(tmp_path):
    f = make_form(tmp_path / "a.xlsx")
    r = CliRunner().invoke(main, ["validate", "--select", "no-such-code", str(f)])
    assert r.exit_code == 2
    assert "no-such-code" in r.output


@pytest.mark.parametrize("content", [b"", b"not a workbook at all", b"PK\x03\x04broken"])
def test_unreadable_file_exits_3_with_one_line_and_no_traceback(tmp_path, content):
    f = tmp_path / "broken.xlsx"
    f.write_bytes(content)
    r = CliRunner().invoke(main, ["validate", "--format", "json", str(f)])
    assert r.exit_code == 3
    report = json.loads(r.stdout)
    err = report["files"][0]["error"]
    assert "broken.xlsx" in err and "\n" not in err
    assert report["files"][0]["forms"] == []
    assert "Traceback" not in r.output
    assert f.read_bytes() == content


def test_table_output_and_progress_on_folders(tmp_path):
    make_form(tmp_path / "a.xlsx")
    make_form(tmp_path / "b.xlsx", target="≥95%")
    r = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert r.exit_code == 1
    assert "target-placeholder" in r.stdout and "E6" in r.stdout
    assert "校验中" in r.stderr  # the progress bar on a multi-file run
    assert "共 2 个文件" in r.stdout


def test_codes_prints_every_registered_code():
    r = CliRunner().invoke(main, ["codes"])
    assert r.exit_code == 0
    for code in REGISTRY:
        assert f"`{code}`" in r.stdout
    r = CliRunner().invoke(main, ["codes", "--format", "json"])
    assert {c["code"] for c in json.loads(r.stdout)} == set(REGISTRY)


def test_fill_needs_exactly_one_destination(tmp_path):
    f = make_form(tmp_path / "a.xlsx")
    assert CliRunner().invoke(main, ["fill", str(f)]).exit_code == 2
    assert CliRunner().invoke(main, ["fill", str(f), "-o", str(f)]).exit_code == 2


def test_annotate_refuses_the_input_folder(tmp_path):
    f = make_form(tmp_path / "a.xlsx")
    before = digest(f)
    r = CliRunner().invoke(main, ["validate", "--annotate", str(tmp_path), str(f)])
    assert r.exit_code == 2
    assert digest(f) == before
