"""`import xltools` and the command line never import xlwings, pythoncom or win32com (a subprocess proves it)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = ("xlwings", "pythoncom", "win32com", "pywintypes")

PROBE = """
import json, sys
{body}
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {forbidden!r})))
"""


def loaded_after(body: str) -> list[str]:
    code = PROBE.format(body=body, forbidden=FORBIDDEN)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("body", [
    "import xltools",
    "import xltools.cli",
    "import xltools.excel",
    "import xltools.excel.cli",
    "import xltools.excel.addin, xltools.excel.install, xltools.excel.vba_project, xltools.excel.customui",
    "import xltools.commands",
    # Running commands, not just importing them: help of every group, and a real add-in build.
    "from click.testing import CliRunner\nfrom xltools.cli import main\n"
    "for args in (['--help'], ['addin', '--help'], ['codes']):\n"
    "    assert CliRunner().invoke(main, args).exit_code == 0, args",
    "import tempfile\nfrom click.testing import CliRunner\nfrom xltools.cli import main\n"
    "r = CliRunner().invoke(main, ['addin', 'build', '-o', tempfile.mkdtemp()])\nassert r.exit_code == 0, r.output",
])
def test_no_excel_bindings_are_imported(body):
    assert loaded_after(body) == []


def test_the_probe_does_see_xlwings_when_it_is_imported():
    # Without this the test above could pass by never noticing anything.
    assert "xlwings" in loaded_after("import xltools.excel.udfs")


def test_the_console_entry_point_stays_light():
    run = subprocess.run([sys.executable, "-X", "importtime", "-c", "import xltools.cli"], capture_output=True,
                         text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    imported = {line.split("|")[-1].strip().split(".")[0] for line in run.stderr.splitlines() if "|" in line}
    assert not imported & set(FORBIDDEN)


def test_what_the_add_in_loads_on_windows_imports_no_unix_only_module():
    # `resource` exists on Unix alone: the reader uses it only where it forks (Linux), to cap the
    # child that reads a legacy .xls; imported at the top, it would break the add-in on Windows.
    code = ("import sys\nimport xltools.excel.udfs, xltools.io.reader, xltools.io.writer, xltools.engine, "
            "xltools.commands\nprint('resource' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "False"
