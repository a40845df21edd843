"""Each ribbon button, run end to end on sample workbooks through the file adapter, gives exactly
what the command line gives for the same job."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from xltools.commands import COMMANDS
from xltools.commands.file_book import FileBook
from xltools.excel.customui import ribbon_buttons
from xltools.excel.ribbon import dispatch

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
UI = (ROOT / "macros" / "customUI14.xml").read_bytes()


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "xltools.cli", *args], capture_output=True, text=True, cwd=ROOT)


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def copy(name: str, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(SAMPLES / name, folder / name))


def finding_dicts(findings) -> list[dict]:
    return [f.to_dict() for f in findings]


def cli_findings(path: Path) -> list[dict]:
    run = cli("validate", "--format", "json", str(path))
    assert run.returncode in (0, 1), run.stderr
    return [f for form in json.loads(run.stdout)["files"][0]["forms"] for f in form["findings"]]


def test_every_button_runs_a_registered_command():
    for button in ribbon_buttons(UI):
        assert button.id in COMMANDS


def test_an_unknown_button_gives_a_message_not_an_exception(tmp_path):
    outcome = dispatch("no_such_button", FileBook(copy("clean-unit-target.xlsx", tmp_path)))
    assert not outcome.ok and "no_such_button" in outcome.message and "validate_book" in outcome.message


@pytest.mark.parametrize("name", ["seed003-shaoguan-unit-selfeval.xlsx", "seed002-shanhaiguan-targets.xlsx"])
def test_validate_book_equals_cli_validate_annotate(tmp_path, name):
    src = copy(name, tmp_path / "in")
    book = FileBook(src)
    outcome = dispatch("validate_book", book)
    assert outcome.ok, outcome.message
    assert finding_dicts(outcome.result.findings) == cli_findings(src)
    book.save(tmp_path / "ribbon.xlsx")
    run = cli("validate", "--annotate", str(tmp_path / "cli"), str(src))
    assert run.returncode in (0, 1), run.stderr
    assert parts(tmp_path / "ribbon.xlsx") == parts(tmp_path / "cli" / name)
    # The summary counts what the CLI's JSON counts.
    errors = sum(1 for f in cli_findings(src) if f["severity"] == "error")
    assert f"{errors} 个错误" in outcome.message


def test_validate_sheet_equals_the_cli_findings_of_that_sheet(tmp_path):
    src = copy("seed002-shanhaiguan-targets.xlsx", tmp_path)
    book = FileBook(src)
    sheet = book.active_sheet()
    outcome = dispatch("validate_sheet", book)
    assert outcome.ok, outcome.message
    mine = finding_dicts(outcome.result.findings)
    assert mine == [f for f in cli_findings(src) if f["sheet"] == sheet]
    assert {f["sheet"] for f in mine} <= {sheet}


def blanked_selfeval(folder: Path) -> Path:
    """clean-project-selfeval.xlsx with its 执行率, execution score and indicator 得分 cells emptied
    (found by the form locator), so that fill has something to write."""
    import openpyxl

    from xltools.core.locate import locate_forms
    from xltools.io.reader import read_workbook

    src = SAMPLES / "clean-project-selfeval.xlsx"
    wb = openpyxl.load_workbook(src)
    for grid in read_workbook(src).sheets:
        for form in locate_forms(grid):
            cells = [fr.cells.get(k) for fr in form.funds for k in ("rate", "score")]
            cells += [ind.cells.get("score") for ind in form.indicators]
            for c in cells:
                if c is not None and not c.is_blank:
                    wb[grid.sheet].cell(c.row, c.col).value = None
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / "blanked-selfeval.xlsx"
    wb.save(out)
    return out


def test_fill_equals_cli_fill(tmp_path):
    src = blanked_selfeval(tmp_path / "in")
    book = FileBook(src)
    outcome = dispatch("fill", book)
    assert outcome.ok, outcome.message
    book.save(tmp_path / "ribbon.xlsx")
    run = cli("fill", str(src), "-o", str(tmp_path / "cli.xlsx"))
    assert run.returncode == 0, run.stderr
    assert parts(tmp_path / "ribbon.xlsx") == parts(tmp_path / "cli.xlsx")
    lines = run.stdout.strip().splitlines()
    assert len(outcome.result.edits) == len(lines) > 0
    assert f"已写入 {len(lines)} 个单元格" in outcome.message


def test_clear_marks_undoes_what_validate_marked(tmp_path):
    src = copy("seed003-shaoguan-unit-selfeval.xlsx", tmp_path / "in")
    assert cli("validate", "--annotate", str(tmp_path / "marked"), str(src)).returncode in (0, 1)
    marked = tmp_path / "marked" / src.name
    book = FileBook(marked)
    outcome = dispatch("clear_marks", book)
    assert outcome.ok, outcome.message
    book.save(tmp_path / "cleared.xlsx")
    cleared, original = parts(tmp_path / "cleared.xlsx"), parts(src)
    assert "校验结果".encode() not in cleared["xl/workbook.xml"]
    for name, data in original.items():
        if name.startswith("xl/worksheets/sheet"):
            assert cleared[name] == data, name  # every cell's style and value as before


def test_build_templates_equals_cli_build(tmp_path):
    master = copy("master.xlsx", tmp_path / "ribbon")
    outcome = dispatch("build_templates", FileBook(master))
    assert outcome.ok, outcome.message
    made = tmp_path / "ribbon" / "master-生成表"
    run = cli("build", str(SAMPLES / "master.xlsx"), "-o", str(tmp_path / "cli"), "--quiet")
    assert run.returncode == 0, run.stderr
    ours = sorted(p.relative_to(made) for p in made.rglob("*.xlsx"))
    theirs = sorted(p.relative_to(tmp_path / "cli") for p in (tmp_path / "cli").rglob("*.xlsx"))
    assert ours == theirs and ours
    for rel in ours:
        assert parts(made / rel) == parts(tmp_path / "cli" / rel), rel


def test_rollover_equals_cli_rollover(tmp_path):
    run = cli("build", str(SAMPLES / "master.xlsx"), "-o", str(tmp_path / "forms"), "--quiet")
    assert run.returncode == 0, run.stderr
    target = next(p for p in sorted((tmp_path / "forms").rglob("*.xlsx")) if "目标" in p.name)
    book = FileBook(target)
    outcome = dispatch("rollover", book)
    assert outcome.ok, outcome.message
    ours = Path(outcome.result.data["output"])
    run = cli("rollover", str(target), "--to", "selfeval", "-o", str(tmp_path / "cli.xlsx"))
    assert run.returncode == 0, run.stderr
    assert parts(ours) == parts(tmp_path / "cli.xlsx")


def test_help_shows_every_button_and_the_code_count(tmp_path):
    book = FileBook(copy("clean-unit-target.xlsx", tmp_path))
    outcome = dispatch("help", book)
    assert outcome.ok and book.messages == [outcome.message]
    for button in ribbon_buttons(UI):
        if button.id != "help":
            assert button.label in outcome.message
    codes = json.loads(cli("codes", "--format", "json").stdout)
    assert f"共 {len(codes)} 个检查代码" in outcome.message
