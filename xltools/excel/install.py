"""Installing the add-in into Excel on Windows and macOS, and checking an installation.

``install`` copies ``xltools.xlam`` into Excel's startup folder and writes the settings file
the add-in's xlwings runtime reads (the interpreter of this environment, the UDF module).
``status`` answers the questions behind the usual xlwings failures — wrong interpreter, an
add-in built for another xlwings version, a missing xlwings DLL, OneDrive paths — in plain
Chinese and English. None of this imports xlwings, and nothing here needs Excel to run.
"""
from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..io.package import atomic_write
from .addin import ADDIN_NAME
from .udf_specs import UDF_MODULE
from .vba_project import read_vba_modules
from .vbagen import PROJECT_NAME, installed_xlwings_version, udf_module_source, xlwings_dir, xlwings_version_of

SUPPORTED = ("win32", "darwin")
NOT_AVAILABLE = (
    "本机没有 Excel（Linux），无法安装或检查加载项。请在 Windows 或 macOS 上运行本命令；"
    "在 Linux 上请直接使用命令行：xltools validate / fill / build。\n"
    "Excel is not available on this system (Linux), so the add-in cannot be installed or checked here. "
    "Run this command on Windows or macOS; on Linux use the command line: xltools validate / fill / build."
)


class ExcelUnavailable(RuntimeError):
    """Excel does not run on this platform."""


class InstallError(RuntimeError):
    """An installation step failed; the message says why and what to do (Chinese, then English)."""


@dataclass(frozen=True)
class Target:
    """Where the add-in and its settings go on one machine."""

    platform: str
    startup_dir: Path
    config_file: Path
    applescript_dir: Path | None = None

    @property
    def addin_path(self) -> Path:
        return self.startup_dir / ADDIN_NAME


@dataclass(frozen=True)
class Check:
    """One line of ``status``: what was checked, whether it is fine, and the fix."""

    ok: bool
    zh: str
    en: str
    fix: str = ""


def target_for(platform: str | None = None, home: Path | None = None, env: dict | None = None) -> Target:
    """Excel's add-in folder and the add-in's settings file for a platform.

    Args:
        platform: ``sys.platform`` value; "win32" or "darwin".
        home: the user's home folder (``Path.home()``).
        env: environment variables (``os.environ``); APPDATA and USERPROFILE on Windows.

    Raises:
        ExcelUnavailable: on any other platform.
    """
    platform = platform or sys.platform
    home = home or Path.home()
    env = os.environ if env is None else env
    if platform == "win32":
        profile = Path(env.get("USERPROFILE") or home)
        appdata = Path(env.get("APPDATA") or profile / "AppData" / "Roaming")
        # XLSTART opens every file in it at start-up; an .xlam there loads as an add-in.
        return Target(platform, appdata / "Microsoft" / "Excel" / "XLSTART",
                      profile / f".{PROJECT_NAME}" / f"{PROJECT_NAME}.conf")
    if platform == "darwin":
        group = home / "Library" / "Group Containers" / "UBF8T346G9.Office"
        startup = group / "User Content.localized" / "Startup.localized" / "Excel"
        plain = group / "User Content" / "Startup" / "Excel"
        if plain.exists() and not startup.exists():
            startup = plain
        # Excel is sandboxed: the add-in's "$HOME" is the container's Data folder.
        return Target(platform, startup,
                      home / "Library" / "Containers" / "com.microsoft.Excel" / "Data" / f"{PROJECT_NAME}.conf",
                      home / "Library" / "Application Scripts" / "com.microsoft.Excel")
    raise ExcelUnavailable(NOT_AVAILABLE)


def _config_encoding() -> str:
    # The add-in's VBA reads the file with Input #, i.e. in the ANSI code page (GBK on Chinese
    # Windows); "mbcs" is that code page, and exists only on Windows.
    return "mbcs" if sys.platform == "win32" else "utf-8"


def read_config(path: Path) -> dict[str, str]:
    """The "KEY","VALUE" lines of an xlwings-style settings file (empty when missing)."""
    if not path.exists():
        return {}
    out: dict[str, str] = {}
    for line in path.read_text(encoding=_config_encoding(), errors="replace").splitlines():
        parts = [p.strip().strip('"') for p in line.split('","')]
        if len(parts) == 2 and parts[0]:
            out[parts[0]] = parts[1]
    return out


def write_config(path: Path, values: dict[str, str]) -> None:
    """Merge ``values`` into the settings file, keeping keys the user added (SHOW CONSOLE …)."""
    merged = read_config(path)
    merged.update(values)
    text = "".join(f'"{k}","{v}"\r\n' for k, v in merged.items())
    try:
        data = text.encode(_config_encoding())
    except UnicodeEncodeError:
        raise InstallError(f"设置中有当前代码页无法表示的字符：{path}\n"
                           f"A setting has characters the ANSI code page cannot hold: {path}") from None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, data)
    except OSError as exc:
        raise InstallError(f"无法写入设置文件：{path}（{exc.strerror or exc}）\n"
                           f"Cannot write the settings file {path}: {exc.strerror or exc}") from None


def settings_for(target: Target, interpreter: str | None = None) -> dict[str, str]:
    """The settings the add-in needs: interpreter (or conda env), UDF module, PYTHONPATH if needed."""
    interpreter = interpreter or sys.executable
    values: dict[str, str] = {}
    conda = _conda_env(Path(interpreter))
    if target.platform == "win32" and conda:
        # xlwings activates conda envs itself; a bare interpreter path misses their DLL folders.
        values["CONDA PATH"], values["CONDA ENV"] = conda
    values["INTERPRETER_WIN" if target.platform == "win32" else "INTERPRETER_MAC"] = interpreter
    values["UDF MODULES"] = UDF_MODULE
    src = _source_checkout()
    if src is not None:
        values["PYTHONPATH"] = str(src)
    return values


def _conda_env(interpreter: Path) -> tuple[str, str] | None:
    prefix = interpreter.parent
    if not (prefix / "conda-meta").is_dir():
        return None
    if prefix.parent.name == "envs":
        return str(prefix.parent.parent), prefix.name
    return str(prefix), "base"


def _source_checkout() -> Path | None:
    """The folder to put on PYTHONPATH when xltools runs from a checkout, not from site-packages."""
    pkg = Path(__file__).resolve().parents[1]
    if "site-packages" in pkg.parts or "dist-packages" in pkg.parts:
        return None
    return pkg.parent


def install(addin: Path, target: Target, interpreter: str | None = None) -> list[str]:
    """Copy the add-in into Excel's startup folder and write its settings.

    Returns:
        One line per step done, Chinese then English.

    Raises:
        InstallError: when a file cannot be written (Excel still has the old add-in open, …).
    """
    if not addin.exists():
        raise InstallError(f"找不到加载项文件：{addin}\nAdd-in file not found: {addin}")
    done = []
    try:
        target.startup_dir.mkdir(parents=True, exist_ok=True)
        atomic_write(target.addin_path, addin.read_bytes())  # never a half-copied add-in for Excel to load
    except PermissionError:
        raise InstallError("无法写入加载项文件，请先退出 Excel 再安装。\n"
                           f"Cannot write {target.addin_path}: quit Excel, then install again.") from None
    except OSError as exc:
        raise InstallError(f"无法复制加载项：{exc}\nCannot copy the add-in: {exc}") from None
    done.append(f"已安装加载项 / add-in installed: {target.addin_path}")
    values = settings_for(target, interpreter)
    write_config(target.config_file, values)
    done.append(f"已写入设置 / settings written: {target.config_file}")
    if target.applescript_dir is not None:
        version = installed_xlwings_version()
        script = xlwings_dir() / f"xlwings-{version}.applescript"
        if script.exists():
            target.applescript_dir.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(script, target.applescript_dir / script.name)
            done.append(f"已启用 RunPython / RunPython enabled: {target.applescript_dir / script.name}")
    done.append("请重新启动 Excel。/ Restart Excel.")
    return done


def remove(target: Target) -> list[str]:
    """Delete the installed add-in and its settings file.

    Raises:
        InstallError: when Excel still holds the file open.
    """
    done = []
    for path, zh, en in ((target.addin_path, "已删除加载项", "add-in removed"),
                         (target.config_file, "已删除设置文件", "settings removed")):
        if not path.exists():
            continue
        try:
            path.unlink()
        except PermissionError:
            raise InstallError("无法删除，请先退出 Excel。\n"
                               f"Cannot delete {path}: quit Excel, then try again.") from None
        done.append(f"{zh} / {en}: {path}")
    if not done:
        done.append("加载项未安装，无需删除。/ The add-in is not installed; nothing to remove.")
    return done


def status(target: Target, interpreter: str | None = None) -> list[Check]:
    """Check an installation; each Check says what is wrong in plain words and how to fix it."""
    checks: list[Check] = []
    here = interpreter or sys.executable
    rebuild = "xltools addin install"
    if not target.addin_path.exists():
        checks.append(Check(False, f"未安装加载项（{target.addin_path} 不存在）",
                            f"the add-in is not installed ({target.addin_path} is missing)", rebuild))
        modules: dict[str, str] = {}
    else:
        checks.append(Check(True, f"加载项已安装：{target.addin_path}", f"add-in installed: {target.addin_path}"))
        modules = _addin_modules(target.addin_path, checks)
    installed = installed_xlwings_version()
    if modules:
        built = xlwings_version_of(modules.get("xlwings", ""))
        if installed is None:
            checks.append(Check(False, "没有安装 xlwings", "xlwings is not installed", "pip install xlwings"))
        elif built != installed:
            checks.append(Check(False, f"加载项内置的 xlwings 版本为 {built}，而 Python 中安装的是 {installed}，两者必须一致",
                                f"the add-in carries xlwings {built} but Python has xlwings {installed}; they must match",
                                f"pip install xlwings=={built}  或/or  python macros/generate.py && {rebuild}"))
        else:
            checks.append(Check(True, f"xlwings 版本一致：{installed}", f"xlwings versions match: {installed}"))
        if modules.get("XltUdfs", "") != udf_module_source():
            checks.append(Check(False, "加载项中的函数与当前 xltools 不一致（加载项已过期）",
                                "the add-in's functions differ from this xltools (the add-in is out of date)",
                                rebuild))
        else:
            checks.append(Check(True, "加载项中的函数与当前 xltools 一致", "the add-in's functions match this xltools"))
    checks += _config_checks(target, here)
    checks += _path_checks(target, here)
    if target.platform == "win32":
        checks += _windows_checks(here, installed)
    elif target.applescript_dir is not None and installed:
        script = target.applescript_dir / f"xlwings-{installed}.applescript"
        checks.append(Check(script.exists(),
                            "RunPython 已启用" if script.exists() else "RunPython 未启用（按钮无法调用 Python）",
                            "RunPython is enabled" if script.exists() else "RunPython is not enabled (buttons cannot call Python)",
                            "" if script.exists() else rebuild))
    return checks


def _addin_modules(path: Path, checks: list[Check]) -> dict[str, str]:
    try:
        with zipfile.ZipFile(path) as zf:
            return read_vba_modules(zf.read("xl/vbaProject.bin"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        checks.append(Check(False, f"加载项文件已损坏：{exc}", f"the add-in file is damaged: {exc}",
                            "xltools addin install"))
        return {}


def _config_checks(target: Target, here: str) -> list[Check]:
    cfg = read_config(target.config_file)
    if not cfg:
        return [Check(False, f"没有设置文件 {target.config_file}，加载项不知道使用哪个 Python",
                      f"no settings file {target.config_file}: the add-in does not know which Python to use",
                      "xltools addin install")]
    out = []
    key = "INTERPRETER_WIN" if target.platform == "win32" else "INTERPRETER_MAC"
    interp = cfg.get(key, "")
    if cfg.get("CONDA ENV") and not interp:
        out.append(Check(True, f"使用 conda 环境：{cfg['CONDA ENV']}", f"uses conda env: {cfg['CONDA ENV']}"))
    elif not interp:
        out.append(Check(False, f"设置文件中没有 {key}", f"the settings file has no {key}", "xltools addin install"))
    elif not Path(interp).exists():
        out.append(Check(False, f"设置的 Python 不存在：{interp}", f"the configured Python does not exist: {interp}",
                         "xltools addin install"))
    elif os.path.normcase(os.path.abspath(interp)) != os.path.normcase(os.path.abspath(here)):
        out.append(Check(False, f"加载项使用的 Python（{interp}）不是当前环境的 Python（{here}）",
                         f"the add-in uses another Python ({interp}) than this environment ({here})",
                         "在要使用的环境中运行 / run in the environment to use: xltools addin install"))
        out.append(_importable(interp))
    else:
        out.append(Check(True, f"加载项使用当前环境的 Python：{interp}", f"the add-in uses this Python: {interp}"))
        found = importlib.util.find_spec(UDF_MODULE) is not None
        out.append(Check(found, "能找到函数模块 " + UDF_MODULE if found else "找不到函数模块 " + UDF_MODULE,
                         ("found " if found else "cannot find ") + UDF_MODULE, "" if found else "pip install xltools"))
    modules = cfg.get("UDF MODULES", "")
    ok = UDF_MODULE in modules.split(";")
    out.append(Check(ok, f"UDF MODULES 设置{'正确' if ok else '缺少 ' + UDF_MODULE}",
                     f"UDF MODULES {'is set' if ok else 'lacks ' + UDF_MODULE}", "" if ok else "xltools addin install"))
    return out


def _importable(interp: str) -> Check:
    try:
        run = subprocess.run([interp, "-c", f"import {UDF_MODULE}"], capture_output=True, text=True, timeout=60)
        ok = run.returncode == 0
        why = (run.stderr.strip().splitlines() or [""])[-1]
    except (OSError, subprocess.TimeoutExpired) as exc:
        ok, why = False, str(exc)
    return Check(ok, f"该 Python {'能' if ok else '不能'}导入 {UDF_MODULE}{'' if ok else '：' + why}",
                 f"that Python {'can' if ok else 'cannot'} import {UDF_MODULE}{'' if ok else ': ' + why}",
                 "" if ok else f"{interp} -m pip install xltools")


def _path_checks(target: Target, here: str) -> list[Check]:
    out = []
    for label_zh, label_en, path in (("Python 路径", "the Python path", here),
                                     ("加载项路径", "the add-in path", str(target.addin_path))):
        if "onedrive" in path.lower():
            out.append(Check(False, f"{label_zh}在 OneDrive 同步文件夹中（{path}），同步时常导致加载失败",
                             f"{label_en} is inside OneDrive ({path}); syncing often breaks loading",
                             "把 Python 装到本地磁盘 / install Python on a local disk"))
        if not path.isascii():
            out.append(Check(False, f"{label_zh}含有中文或其他非英文字符（{path}），cmd.exe 可能无法启动 Python",
                             f"{label_en} contains non-ASCII characters ({path}); cmd.exe may fail to start Python",
                             "使用只含英文字符的路径 / use a path with ASCII characters only"))
    return out


def _windows_checks(here: str, installed: str | None) -> list[Check]:
    out = []
    try:
        importlib.metadata.version("pywin32")
        out.append(Check(True, "已安装 pywin32", "pywin32 is installed"))
    except importlib.metadata.PackageNotFoundError:
        out.append(Check(False, "没有安装 pywin32（会出现“Could not activate Python COM server”）",
                         "pywin32 is missing (causes \"Could not activate Python COM server\")", "pip install pywin32"))
    if installed:
        folder = Path(here).parent
        names = [f"xlwings64-{installed}.dll", f"xlwings32-{installed}.dll"]
        found = [folder / n for n in names] + [folder.parent / n for n in names]
        hit = next((p for p in found if p.exists()), None)
        out.append(Check(hit is not None,
                         f"找到 xlwings 组件 {hit}" if hit else f"找不到 xlwings 组件 {names[0]}（在 {folder} 或上一级）",
                         f"found {hit}" if hit else f"cannot find {names[0]} next to Python ({folder} or its parent)",
                         "" if hit else f"pip install --force-reinstall xlwings=={installed}"))
    return out
