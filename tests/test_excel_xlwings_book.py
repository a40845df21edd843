"""The live-workbook adapter's decisions — which cells, which colours, which note text, which
校验结果 rows — against what `xltools validate --annotate` writes into a file for the same findings.
(The calls that move them into Excel need Excel; docs/excel-checklist.md covers those.)"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from xltools.core.findings import Severity
from xltools.engine import validate_path
from xltools.excel.xlwings_book import (LIVE_RECORD_HEADER, group_marks, merged_note, parse_records, record_line,
                                        report_rows, split_ref, strip_mark, worst)
from xltools.io.reader import read_workbook
from xltools.io.report_sheet import REPORT_SHEET, SEVERITY_RGB
from xltools.io.writer import note_line as note_line

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
LINK = re.compile(r'^=HYPERLINK\("#(?P<target>.+)","(?P<text>[A-Z]+\d+)"\)$')


@pytest.fixture(scope="module", params=["seed003-shaoguan-unit-selfeval.xlsx", "seed002-shanhaiguan-targets.xlsx"])
def annotated(request, tmp_path_factory):
    src = SAMPLES / request.param
    out = tmp_path_factory.mktemp("annotated")
    run = subprocess.run([sys.executable, "-m", "xltools.cli", "validate", "--annotate", str(out), str(src)],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode in (0, 1), run.stderr
    findings = validate_path(src).findings
    grids = {g.sheet: g for g in read_workbook(src).sheets}
    return src, openpyxl.load_workbook(out / src.name), findings, grids


def anchor_in(grids):
    def anchor(sheet, row, col):
        for r1, c1, r2, c2 in grids[sheet].merges:
            if r1 <= row <= r2 and c1 <= col <= c2:
                return r1, c1
        return row, col
    return anchor


def test_report_rows_are_the_cli_report_sheet(annotated):
    _, wb, findings, grids = annotated
    rows = report_rows(findings, set(grids))
    sheet = wb[REPORT_SHEET]
    cli_rows = [list(r[:8]) for r in sheet.iter_rows(min_row=1, max_row=sheet.max_row, values_only=True)
                if any(v is not None for v in r[:8])]
    assert len(rows) == len(cli_rows) > 1
    assert rows[0] == cli_rows[0]
    for i, (ours, theirs) in enumerate(zip(rows[1:], cli_rows[1:]), 2):
        link = LINK.match(ours[2])
        assert link, ours[2]
        assert link.group("text") == theirs[2]
        assert link.group("target") == sheet.cell(i, 3).hyperlink.location
        assert ours[:2] + ours[3:] == [v if v is not None else "" for v in theirs[:2]] + \
            [theirs[3]] + [v if v is not None else "" for v in theirs[4:]]


def test_marked_cells_colours_and_notes_are_the_clis(annotated):
    _, wb, findings, grids = annotated
    groups = group_marks(findings, anchor_in(grids), set(grids))
    cli_notes = {(ws.title, c.row, c.column): c.comment.text for ws in wb.worksheets if ws.title != REPORT_SHEET
                 for row in ws.iter_rows() for c in row if c.comment}
    assert set(groups) == set(cli_notes)
    for (sheet, r, c), group in groups.items():
        assert merged_note(None, [note_line(f) for f in group]) == cli_notes[(sheet, r, c)]
        fill = wb[sheet].cell(r, c).fill.fgColor.rgb
        assert fill == "FF" + SEVERITY_RGB[worst(group)]


def test_notes_keep_the_users_text():
    lines = ["【错误】target-missing：指标值为空"]
    user = "请核对预算数\n（财务科）"
    note = merged_note(user, lines)
    assert note.startswith(user) and lines[0] in note
    assert strip_mark(note) == user
    assert strip_mark(merged_note(None, lines)) == ""
    assert merged_note(note, lines) == note  # marking twice does not stack xltools' text
    assert strip_mark("与 xltools 无关的批注") == "与 xltools 无关的批注"


def test_worst_severity_decides_the_colour():
    from xltools.core.findings import Finding
    w = Finding("unit-column-conflict", Severity.WARNING, "S", "E5", 5, "计量单位不一致")
    e = Finding("target-missing", Severity.ERROR, "S", "E5", 5, "指标值为空")
    assert worst([w, e]) is Severity.ERROR and worst([w]) is Severity.WARNING


def test_marks_record_round_trip_and_ignores_the_file_writers_record(annotated):
    column = [LIVE_RECORD_HEADER, record_line("表1", "E12", (255, 199, 206)), record_line("It's 表", "A1", None)]
    assert parse_records(column) == [{"sheet": "表1", "cell": "E12", "color": (255, 199, 206)},
                                     {"sheet": "It's 表", "cell": "A1", "color": None}]
    _, wb, _, _ = annotated
    cli_column = [r[0] for r in wb[REPORT_SHEET].iter_rows(min_col=10, max_col=10, values_only=True)]
    assert cli_column[0] and parse_records(cli_column) == []  # its records hold style ids, not colours


@pytest.mark.parametrize("ref,expected", [("E12", (12, 5)), ("AA3", (3, 27)), ("e12", None), ("12", None),
                                          ("E", None), ("", None), ("E12:F13", None)])
def test_split_ref(ref, expected):
    assert split_ref(ref) == expected


def test_report_text_that_looks_like_a_formula_stays_text():
    from xltools.excel.xlwings_book import as_cell_value
    link = '=HYPERLINK("#\'表\'!E12","E12")'
    assert as_cell_value(link, 3) == link               # the link column is meant as a formula
    assert as_cell_value("=0", 8) == "'=0"              # an expected value "=0" is text
    assert as_cell_value("-5%", 7) == "'-5%" and as_cell_value(17, 4) == 17 and as_cell_value("优", 8) == "优"
