"""Installing, checking and removing the add-in for Windows and macOS layouts (in temp folders),
and what the commands say on Linux, where Excel does not run."""
from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from xltools.excel import install as inst
from xltools.excel.addin import build_addin, load_modules
from xltools.excel.cli import addin
from xltools.excel.udf_specs import UDF_MODULE
from xltools.excel.vba_project import VbaModule, build_vba_project
from xltools.excel.vbagen import installed_xlwings_version

ROOT = Path(__file__).resolve().parent.parent
MACROS = ROOT / "macros"


@pytest.fixture(scope="module")
def xlam(tmp_path_factory) -> Path:
    return build_addin(tmp_path_factory.mktemp("built"), MACROS).xlam


def windows(tmp: Path) -> inst.Target:
    profile = tmp / "Users" / "kuaiji"
    return inst.target_for("win32", home=profile, env={"USERPROFILE": str(profile),
                                                       "APPDATA": str(profile / "AppData" / "Roaming")})


def mac(tmp: Path) -> inst.Target:
    return inst.target_for("darwin", home=tmp / "Users" / "kuaiji", env={})


def failing(checks) -> list[inst.Check]:
    return [c for c in checks if not c.ok]


def test_windows_locations(tmp_path):
    t = windows(tmp_path)
    assert t.addin_path == tmp_path / "Users/kuaiji/AppData/Roaming/Microsoft/Excel/XLSTART/xltools.xlam"
    assert t.config_file == tmp_path / "Users/kuaiji/.xltools/xltools.conf"


def test_mac_locations(tmp_path):
    t = mac(tmp_path)
    assert "UBF8T346G9.Office" in str(t.startup_dir) and t.startup_dir.name == "Excel"
    assert t.config_file == tmp_path / "Users/kuaiji/Library/Containers/com.microsoft.Excel/Data/xltools.conf"


def test_linux_has_no_excel():
    with pytest.raises(inst.ExcelUnavailable, match="Excel is not available"):
        inst.target_for("linux")


def test_install_then_status_then_remove_on_windows(tmp_path, xlam):
    t = windows(tmp_path)
    done = inst.install(xlam, t, interpreter=sys.executable)
    assert t.addin_path.read_bytes() == xlam.read_bytes()
    cfg = inst.read_config(t.config_file)
    assert cfg["INTERPRETER_WIN"] == sys.executable
    assert cfg["UDF MODULES"] == UDF_MODULE
    assert Path(cfg["PYTHONPATH"]) == ROOT  # running from a checkout, not site-packages
    assert any("XLSTART" in line for line in done)

    checks = inst.status(t, interpreter=sys.executable)
    by_topic = {c.en.split(":")[0]: c for c in checks}
    assert by_topic["add-in installed"].ok
    assert by_topic["xlwings versions match"].ok and installed_xlwings_version() in by_topic["xlwings versions match"].en
    assert by_topic["the add-in's functions match this xltools"].ok
    assert by_topic["the add-in uses this Python"].ok
    # This Linux Python has neither pywin32 nor xlwings' Windows DLL: status must say so, with the fix.
    bad = {c.en.split(" ")[0]: c for c in failing(checks)}
    assert "pip install pywin32" in bad["pywin32"].fix
    dll = next(c for c in failing(checks) if "xlwings64-" in c.en)
    assert "pip install --force-reinstall xlwings==" in dll.fix
    assert len(failing(checks)) == 2

    inst.remove(t)
    assert not t.addin_path.exists() and not t.config_file.exists()
    assert "not installed" in inst.remove(t)[0]
    assert any("not installed" in c.en for c in failing(inst.status(t, interpreter=sys.executable)))


def test_install_on_mac_enables_run_python(tmp_path, xlam):
    t = mac(tmp_path)
    inst.install(xlam, t, interpreter=sys.executable)
    assert inst.read_config(t.config_file)["INTERPRETER_MAC"] == sys.executable
    script = t.applescript_dir / f"xlwings-{installed_xlwings_version()}.applescript"
    assert script.exists()
    assert failing(inst.status(t, interpreter=sys.executable)) == []
    script.unlink()
    assert [c.en for c in failing(inst.status(t, interpreter=sys.executable))] == [
        "RunPython is not enabled (buttons cannot call Python)"]


def test_install_keeps_the_users_own_settings(tmp_path, xlam):
    t = windows(tmp_path)
    inst.write_config(t.config_file, {"SHOW CONSOLE": "True", "INTERPRETER_WIN": "C:\\old\\python.exe"})
    inst.install(xlam, t, interpreter=sys.executable)
    cfg = inst.read_config(t.config_file)
    assert cfg["SHOW CONSOLE"] == "True" and cfg["INTERPRETER_WIN"] == sys.executable


def test_a_settings_file_that_cannot_be_written_is_an_install_error(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(inst.InstallError, match="settings file"):
        inst.write_config(blocker / "xlwings.conf", {"INTERPRETER_WIN": "python.exe"})
    assert blocker.read_text() == "x"


def test_install_writes_whole_files_in_place_of_the_old_ones(tmp_path, xlam):
    """The add-in and its settings replace what was there in one step (a temp file renamed), and
    nothing else is left in the startup folder."""
    t = windows(tmp_path)
    t.startup_dir.mkdir(parents=True)
    t.addin_path.write_bytes(b"old add-in")
    inst.install(xlam, t, interpreter=sys.executable)
    assert t.addin_path.read_bytes() == xlam.read_bytes()
    assert not [p for p in t.startup_dir.iterdir() if p.name.endswith(".tmp")]
    assert not [p for p in t.config_file.parent.iterdir() if p.name.endswith(".tmp")]


def _with_module_changed(xlam: Path, out: Path, module: str, old: str, new: str) -> Path:
    modules = [VbaModule(m.name, m.kind, m.source.replace(old, new) if m.name == module else m.source)
               for m in load_modules(MACROS)]
    vba = build_vba_project(modules, name="xltools")
    buf = io.BytesIO()
    with zipfile.ZipFile(xlam) as src, zipfile.ZipFile(buf, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, vba if info.filename == "xl/vbaProject.bin" else src.read(info))
    out.write_bytes(buf.getvalue())
    return out


def test_status_names_an_xlwings_version_mismatch(tmp_path, xlam):
    t = windows(tmp_path)
    old = _with_module_changed(xlam, tmp_path / "old.xlam", "xlwings",
                               f'XLWINGS_VERSION As String = "{installed_xlwings_version()}"',
                               'XLWINGS_VERSION As String = "0.30.0"')
    inst.install(old, t, interpreter=sys.executable)
    bad = failing(inst.status(t, interpreter=sys.executable))
    mismatch = [c for c in bad if "must match" in c.en]
    assert len(mismatch) == 1
    assert "0.30.0" in mismatch[0].zh and installed_xlwings_version() in mismatch[0].zh
    assert "pip install xlwings==0.30.0" in mismatch[0].fix


def test_status_names_an_out_of_date_add_in(tmp_path, xlam):
    t = windows(tmp_path)
    stale = _with_module_changed(xlam, tmp_path / "stale.xlam", "XltUdfs", "XLT_GRADE", "XLT_GRADE_OLD")
    inst.install(stale, t, interpreter=sys.executable)
    assert any("out of date" in c.en for c in failing(inst.status(t, interpreter=sys.executable)))


def test_status_flags_wrong_interpreter_and_risky_paths(tmp_path, xlam):
    t = windows(tmp_path)
    inst.install(xlam, t, interpreter=sys.executable)
    inst.write_config(t.config_file, {"INTERPRETER_WIN": str(tmp_path / "gone" / "python.exe")})
    assert any("does not exist" in c.en for c in failing(inst.status(t, interpreter=sys.executable)))

    odd = tmp_path / "OneDrive - 财政局" / "python.exe"
    odd.parent.mkdir()
    odd.write_text("")
    inst.write_config(t.config_file, {"INTERPRETER_WIN": str(odd)})
    texts = [c.en for c in failing(inst.status(t, interpreter=str(odd)))]
    assert any("inside OneDrive" in x for x in texts)
    assert any("non-ASCII" in x for x in texts)


def test_status_of_another_interpreter_tries_to_import_the_udfs(tmp_path, xlam):
    t = windows(tmp_path)
    inst.install(xlam, t, interpreter=sys.executable)
    checks = inst.status(t, interpreter=str(tmp_path / "elsewhere" / "python"))
    assert any("another Python" in c.en for c in failing(checks))
    # The configured interpreter (this one, with PYTHONPATH unset in the child) is asked directly.
    assert any(UDF_MODULE in c.en for c in checks)


def test_damaged_add_in_is_reported(tmp_path):
    t = windows(tmp_path)
    t.startup_dir.mkdir(parents=True)
    t.addin_path.write_bytes(b"not a zip")
    assert any("damaged" in c.en for c in failing(inst.status(t)))


@pytest.mark.skipif(sys.platform in inst.SUPPORTED, reason="on Windows/macOS the commands do run")
@pytest.mark.parametrize("command", ["install", "remove", "status"])
def test_cli_on_linux_says_excel_is_not_available(command):
    result = CliRunner().invoke(addin, [command])
    assert result.exit_code == 3
    assert "本机没有 Excel" in result.output and "Excel is not available" in result.output
    assert "xltools validate" in result.output


def test_cli_status_lists_problems_with_exit_1(tmp_path, xlam, monkeypatch):
    # The command's output for a Windows layout kept in a temp folder.
    from xltools.excel import cli
    t = windows(tmp_path)
    inst.install(xlam, t, interpreter=sys.executable)
    monkeypatch.setattr(cli, "_target", lambda startup_dir: t)
    result = CliRunner().invoke(addin, ["status"])
    assert result.exit_code == 1
    assert "✗" in result.output and "pip install pywin32" in result.output
    assert "✓ 加载项已安装" in result.output
