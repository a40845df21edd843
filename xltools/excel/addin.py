"""The add-in package: ``xltools.xlam`` (and its ``.xlsm`` twin) assembled from ``macros/`` on any OS.

XlsxWriter writes the workbook and embeds the vbaProject.bin compiled by ``vba_project``;
the ribbon part and its relationship, which XlsxWriter cannot add, are then patched into the
zip, and the main part's content type is switched to the add-in type for the .xlam. Builds
are reproducible: the same ``macros/`` give byte-identical files.
"""
from __future__ import annotations

import io
import os
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .customui import PART_NAME, REL_TYPE, check_customui
from .vba_project import ModuleKind, VbaModule, build_vba_project
from .vbagen import (CLASS_BASE, WORKBOOK_BASE, WORKSHEET_BASE, installed_xlwings_version, stale_modules,
                     xlwings_version_of)

ADDIN_NAME = "xltools.xlam"
TWIN_NAME = "xltools.xlsm"
PROJECT_NAME = "xltools"
CT_ADDIN = "application/vnd.ms-excel.addin.macroEnabled.main+xml"
CT_XLSM = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
_FIXED_TIME = (2024, 1, 1, 0, 0, 0)
_MODULE_SUFFIXES = (".bas", ".cls")


class AddinBuildError(RuntimeError):
    """The add-in cannot be built as asked; the message says what to do."""


@dataclass
class AddinBuild:
    """What ``build_addin`` wrote."""

    xlam: Path
    xlsm: Path
    modules: list[str]
    xlwings_version: str
    warnings: list[str] = field(default_factory=list)


def default_macros_dir() -> Path:
    """Where the VBA and ribbon sources are: ``macros/`` of a source checkout, else package data."""
    here = Path(__file__).resolve()
    for candidate in (here.parents[2] / "macros", here.parents[1] / "data" / "macros"):
        if (candidate / "customUI14.xml").exists():
            return candidate
    raise AddinBuildError("找不到加载项源文件 macros/ (cannot find macros/ with customUI14.xml); "
                          "pass --macros DIR")


def load_modules(macros: Path) -> list[VbaModule]:
    """The VBA modules of ``macros``: document modules first, then standard, then class modules.

    A .cls file is a document module when its VB_Base is the workbook's or a worksheet's, and
    a class module otherwise. Files are read as bytes and decoded as cp1252, unchanged.
    """
    found: list[VbaModule] = []
    for path in sorted(macros.iterdir()):
        if path.suffix.lower() not in _MODULE_SUFFIXES:
            continue
        source = path.read_bytes().decode("cp1252")
        m = re.match(r'Attribute VB_Name = "(\w+)"', source)
        if not m:
            raise AddinBuildError(f"{path.name}: the first line must be Attribute VB_Name = \"...\"")
        if path.suffix.lower() == ".bas":
            kind = ModuleKind.STANDARD
        elif WORKBOOK_BASE in source or WORKSHEET_BASE in source:
            kind = ModuleKind.DOCUMENT
        elif CLASS_BASE in source:
            kind = ModuleKind.CLASS
        else:
            raise AddinBuildError(f"{path.name}: a .cls needs Attribute VB_Base (class or document module)")
        found.append(VbaModule(m.group(1), kind, source))
    order = {ModuleKind.DOCUMENT: 0, ModuleKind.STANDARD: 1, ModuleKind.CLASS: 2}
    # ThisWorkbook leads the document modules, as in every project Office writes.
    return sorted(found, key=lambda mod: (order[mod.kind], mod.name != "ThisWorkbook", mod.name.lower()))


def check_sources(macros: Path) -> tuple[list[VbaModule], bytes, list[str]]:
    """Load and check ``macros/``: generated modules current, xlwings versions equal, ribbon valid.

    Returns:
        (modules, customUI bytes, warnings).

    Raises:
        AddinBuildError: with the remedy, when the add-in would be broken.
    """
    modules = load_modules(macros)
    names = {m.name for m in modules}
    for needed in ("ThisWorkbook", "Sheet1", "xlwings", "XltUdfs", "XltRibbon"):
        if needed not in names:
            raise AddinBuildError(f"macros/ has no {needed} module")
    runtime = next(m for m in modules if m.name == "xlwings")
    built_with = xlwings_version_of(runtime.source)
    installed = installed_xlwings_version()
    if installed is None:
        raise AddinBuildError("没有安装 xlwings (xlwings is not installed): pip install xlwings")
    if built_with != installed:
        raise AddinBuildError(
            f"macros/xlwings.bas 来自 xlwings {built_with}，但本环境安装的是 {installed}；"
            f"请运行 python macros/generate.py 后重新构建 "
            f"(macros/xlwings.bas is from xlwings {built_with} but {installed} is installed; "
            "run python macros/generate.py, then build again)")
    stale = stale_modules(macros)
    if stale:
        raise AddinBuildError("生成的模块已过期 (generated modules are out of date): "
                              + ", ".join(stale) + "; run python macros/generate.py")
    ui = (macros / "customUI14.xml").read_bytes()
    from ..commands import COMMANDS
    schema = macros / "customUI14-subset.xsd"
    problems = check_customui(ui, [m.source for m in modules], COMMANDS, schema if schema.exists() else None)
    if problems:
        raise AddinBuildError("功能区定义有误 (the ribbon definition is invalid): " + "; ".join(problems))
    warnings = [] if schema.exists() else ["customUI14-subset.xsd missing: ribbon not schema-checked"]
    return modules, ui, warnings


def build_addin(out_dir: Path | str, macros: Path | str | None = None) -> AddinBuild:
    """Build ``xltools.xlam`` and its ``xltools.xlsm`` twin into ``out_dir``.

    Args:
        out_dir: the folder to write into (created when missing).
        macros: the sources folder; ``default_macros_dir()`` when None.

    Returns:
        The paths written and what went in.

    Raises:
        AddinBuildError: when the sources are inconsistent (see ``check_sources``).
    """
    macros_dir = Path(macros) if macros else default_macros_dir()
    modules, ui, warnings = check_sources(macros_dir)
    vba = build_vba_project(modules, name=PROJECT_NAME)
    version = xlwings_version_of(next(m.source for m in modules if m.name == "xlwings")) or ""
    workbook = _workbook_bytes(vba, version)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    xlam, xlsm = out / ADDIN_NAME, out / TWIN_NAME
    _write_atomic(xlam, package_with_ribbon(workbook, ui, CT_ADDIN))
    _write_atomic(xlsm, package_with_ribbon(workbook, ui, CT_XLSM))
    return AddinBuild(xlam, xlsm, [m.name for m in modules], version, warnings)


def _workbook_bytes(vba: bytes, xlwings_version: str) -> bytes:
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    wb.set_properties({"title": "xltools 绩效工具", "author": "xltools", "created": datetime(*_FIXED_TIME),
                       "comments": f"xlwings {xlwings_version}"})
    wb.set_vba_name("ThisWorkbook")
    ws = wb.add_worksheet("xltools")
    ws.set_vba_name("Sheet1")
    bold = wb.add_format({"bold": True})
    ws.set_column(0, 0, 28)
    ws.set_column(1, 1, 60)
    rows = [
        ("xltools 绩效工具加载项", ""),
        ("xlwings", xlwings_version),
        ("设置文件 (settings file)", r"%USERPROFILE%\.xltools\xltools.conf"),
        ("安装 (install)", "xltools addin install"),
        ("检查 (check)", "xltools addin status"),
    ]
    for r, (key, value) in enumerate(rows):
        ws.write_string(r, 0, key, bold if r == 0 else None)
        if value:
            ws.write_string(r, 1, value)
    wb.add_vba_project(io.BytesIO(vba), is_stream=True)
    wb.close()
    return buf.getvalue()


def package_with_ribbon(xlsx: bytes, custom_ui: bytes, main_content_type: str) -> bytes:
    """Add the ribbon part and its relationship to a workbook package; set the main content type.

    Every entry is rewritten with a fixed timestamp so that builds are reproducible.
    """
    with zipfile.ZipFile(io.BytesIO(xlsx)) as src:
        parts = {info.filename: src.read(info) for info in src.infolist()}
    types = parts["[Content_Types].xml"].decode("utf-8")
    types, n = re.subn(r'(PartName="/xl/workbook\.xml" ContentType=")[^"]+"', rf'\g<1>{main_content_type}"', types)
    if n != 1:
        raise AddinBuildError("unexpected [Content_Types].xml: no workbook override")
    parts["[Content_Types].xml"] = types.encode("utf-8")
    rels = parts["_rels/.rels"].decode("utf-8")
    used = {int(x) for x in re.findall(r'Id="rId(\d+)"', rels)}
    rid = f"rId{max(used, default=0) + 1}"
    rel = f'<Relationship Id="{rid}" Type="{REL_TYPE}" Target="{PART_NAME}"/>'
    rels = rels.replace("</Relationships>", rel + "</Relationships>")
    parts["_rels/.rels"] = rels.encode("utf-8")
    parts[PART_NAME] = custom_ui
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in parts.items():
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            dst.writestr(info, data)
    return out.getvalue()


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
