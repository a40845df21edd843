"""xltools.xlam built on Linux: package parts, the ribbon, and VBA that olevba reads byte for byte."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from posixpath import dirname, join, normpath

import pytest
from click.testing import CliRunner
from lxml import etree
from oletools.olevba import VBA_Parser

from xltools.commands import COMMANDS
from xltools.excel import ovba
from xltools.excel.addin import CT_ADDIN, CT_XLSM, AddinBuildError, build_addin, load_modules
from xltools.excel.cfb import read_compound_file
from xltools.excel.cli import addin
from xltools.excel.customui import NS, REL_TYPE, TAB_LABEL, check_customui, ribbon_buttons, vba_subs
from xltools.excel.udf_specs import SPECS
from xltools.excel.vbagen import installed_xlwings_version, stale_modules, xlwings_version_of

ROOT = Path(__file__).resolve().parent.parent
MACROS = ROOT / "macros"
SCHEMA = MACROS / "customUI14-subset.xsd"
CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_addin(tmp_path_factory.mktemp("addin"), MACROS)


def macro_files() -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in MACROS.iterdir() if p.suffix in (".bas", ".cls")}


# --- the VBA -----------------------------------------------------------------------------------

@pytest.mark.parametrize("which", ["xlam", "xlsm"])
def test_olevba_decodes_every_module_byte_identical_to_macros(built, which):
    parser = VBA_Parser(str(getattr(built, which)))
    decoded = {name: code.encode("cp1252") for (_, _, name, code) in parser.extract_all_macros()}
    assert decoded == macro_files()


def test_module_streams_are_source_only(built):
    with zipfile.ZipFile(built.xlam) as zf:
        streams = read_compound_file(zf.read("xl/vbaProject.bin"))
    assert streams["VBA/_VBA_PROJECT"] == bytes.fromhex("CC61FFFF000100")
    for name, source in macro_files().items():
        stream = streams["VBA/" + name.rsplit(".", 1)[0]]
        assert ovba.decompress(stream) == source  # no performance cache in front of the source
        assert all(ovba.chunk_flags(stream))      # text never needs a raw chunk


def test_generated_modules_are_current():
    assert stale_modules(MACROS) == []
    check = subprocess.run([sys.executable, str(MACROS / "generate.py"), "--check"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_add_in_carries_the_installed_xlwings_version(built):
    runtime = (MACROS / "xlwings.bas").read_bytes().decode("cp1252")
    assert xlwings_version_of(runtime) == installed_xlwings_version() == built.xlwings_version
    assert f'"xlwings64-{built.xlwings_version}.dll"' in runtime
    assert 'Public Const PROJECT_NAME As String = "xltools"' in runtime


def test_every_udf_has_its_vba_wrapper():
    source = (MACROS / "XltUdfs.bas").read_bytes().decode("ascii")
    for spec in SPECS:
        params = ", ".join(("Optional " if a.optional else "") + a.name for a in spec.args)
        assert f"Function {spec.name}({params})\r\n" in source
        assert f'XLPy.CallUDF("xltools.excel.udfs", "{spec.name}", Array(' in source
        assert f"'!{spec.name}\", Description:=d, Category:=\"xltools\"" in source


def test_vba_sources_are_ascii_with_crlf_line_ends():
    for name, data in macro_files().items():
        assert data.isascii() or name in ("xlwings.bas", "Dictionary.cls"), name
        assert b"\n" not in data.replace(b"\r\n", b""), name


def test_module_kinds_and_order():
    kinds = [(m.name, m.kind.value) for m in load_modules(MACROS)]
    assert kinds[:2] == [("ThisWorkbook", "document"), ("Sheet1", "document")]
    assert ("Dictionary", "class") in kinds and ("XltRibbon", "standard") in kinds


def test_a_stale_runtime_is_refused(tmp_path):
    copy = tmp_path / "macros"
    shutil.copytree(MACROS, copy)
    text = (copy / "xlwings.bas").read_bytes().decode("cp1252")
    (copy / "xlwings.bas").write_bytes(text.replace(f'"{installed_xlwings_version()}"', '"0.0.1"', 1).encode("cp1252"))
    with pytest.raises(AddinBuildError, match="0.0.1"):
        build_addin(tmp_path / "out", copy)


# --- the package -------------------------------------------------------------------------------

def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


@pytest.mark.parametrize("which,main_type", [("xlam", CT_ADDIN), ("xlsm", CT_XLSM)])
def test_content_types_and_relationships_are_consistent(built, which, main_type):
    p = parts(getattr(built, which))
    types = etree.fromstring(p["[Content_Types].xml"])
    overrides = {o.get("PartName"): o.get("ContentType") for o in types.iter(CT_NS + "Override")}
    defaults = {d.get("Extension"): d.get("ContentType") for d in types.iter(CT_NS + "Default")}
    assert overrides["/xl/workbook.xml"] == main_type
    vba_type = overrides.get("/xl/vbaProject.bin", defaults.get("bin"))
    assert vba_type == "application/vnd.ms-office.vbaProject"
    for part in overrides:
        assert part.lstrip("/") in p, part
    for name in p:  # every part has a content type
        assert "/" + name in overrides or name.rsplit(".", 1)[-1] in defaults, name
    for rels_name in [n for n in p if n.endswith(".rels")]:
        base = dirname(dirname(rels_name))
        for rel in etree.fromstring(p[rels_name]).iter(REL_NS + "Relationship"):
            if rel.get("TargetMode") == "External":
                continue
            target = normpath(join(base, rel.get("Target"))).lstrip("/")
            assert target in p, (rels_name, rel.get("Target"))
        ids = [r.get("Id") for r in etree.fromstring(p[rels_name]).iter(REL_NS + "Relationship")]
        assert len(ids) == len(set(ids)), rels_name


def test_ribbon_part_is_linked_from_the_package_root(built):
    p = parts(built.xlam)
    rels = etree.fromstring(p["_rels/.rels"])
    ui = [r for r in rels.iter(REL_NS + "Relationship") if r.get("Type") == REL_TYPE]
    assert [r.get("Target") for r in ui] == ["customUI/customUI14.xml"]
    assert p["customUI/customUI14.xml"] == (MACROS / "customUI14.xml").read_bytes()


def test_workbook_and_sheet_code_names_match_the_document_modules(built):
    p = parts(built.xlam)
    assert re.search(rb'<workbookPr[^>]*codeName="ThisWorkbook"', p["xl/workbook.xml"])
    assert re.search(rb'<sheetPr[^>]*codeName="Sheet1"', p["xl/worksheets/sheet1.xml"])


def test_builds_are_reproducible(built, tmp_path):
    again = build_addin(tmp_path, MACROS)
    assert again.xlam.read_bytes() == built.xlam.read_bytes()
    assert again.xlsm.read_bytes() == built.xlsm.read_bytes()


def test_cli_build(tmp_path):
    result = CliRunner().invoke(addin, ["build", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "xltools.xlam").exists() and (tmp_path / "xltools.xlsm").exists()
    assert str(tmp_path / "xltools.xlam") in result.output


def test_cli_build_reports_inconsistent_sources(tmp_path):
    copy = tmp_path / "macros"
    shutil.copytree(MACROS, copy)
    (copy / "XltRibbon.bas").write_bytes((copy / "XltRibbon.bas").read_bytes().replace(b"XltOnAction", b"XltOther"))
    result = CliRunner().invoke(addin, ["build", "-o", str(tmp_path / "out"), "--macros", str(copy)])
    assert result.exit_code == 3
    assert "XltOnAction has no Sub" in result.output


# --- the ribbon --------------------------------------------------------------------------------

UI = (MACROS / "customUI14.xml").read_bytes()


def vba_sources() -> list[str]:
    return [data.decode("cp1252") for data in macro_files().values()]


def test_ribbon_is_well_formed_and_schema_valid():
    schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
    doc = etree.fromstring(UI)
    assert doc.tag == f"{{{NS}}}customUI"
    assert schema.validate(doc), schema.error_log


def test_ribbon_has_the_tab_and_its_buttons():
    tabs = etree.fromstring(UI).findall(f".//{{{NS}}}tab")
    assert [t.get("label") for t in tabs] == [TAB_LABEL]
    labels = [b.label for b in ribbon_buttons(UI)]
    assert labels == ["校验当前表", "校验工作簿", "清除标记", "计算执行率与得分", "从母版生成模板", "年度结转", "帮助"]
    for b in ribbon_buttons(UI):
        assert b.id and b.label and b.on_action and b.image_mso


def test_every_on_action_has_its_sub_in_the_vba():
    subs = {}
    for src in vba_sources():
        subs.update(vba_subs(src))
    for b in ribbon_buttons(UI):
        assert b.on_action in subs, b.on_action
        scope, params = subs[b.on_action]
        assert scope == "Public" and re.fullmatch(r"\w+ As IRibbonControl", params)


def test_button_ids_and_commands_match_both_ways():
    ids = [b.id for b in ribbon_buttons(UI)]
    assert sorted(ids) == sorted(COMMANDS)
    assert len(ids) == len(set(ids))
    for b in ribbon_buttons(UI):
        assert b.label == COMMANDS[b.id].label_zh


def test_ribbon_checks_pass_on_the_real_sources():
    assert check_customui(UI, vba_sources(), COMMANDS, SCHEMA) == []


@pytest.mark.parametrize("mutate,expected", [
    (lambda x: x.replace(b"</customUI>", b""), "not well-formed"),
    (lambda x: x.replace(b'onAction="XltOnAction" screentip="\xe5\xb8\xae', b'onAction="Nowhere" screentip="\xe5\xb8\xae'),
     "onAction Nowhere has no Sub"),
    (lambda x: x.replace(b'id="rollover"', b'id="rollback"'), "'rollback' is not a registered command"),
    (lambda x: x.replace(b'id="rollover"', b'id="rollback"'), "command 'rollover' has no ribbon button"),
    (lambda x: x.replace(b'id="fill"', b'id="help"'), "used more than once"),
    (lambda x: x.replace('label="绩效工具"'.encode(), 'label="工具"'.encode()), "no tab labelled"),
    (lambda x: x.replace(b'size="large" imageMso="AutoSum"', b'size="huge" imageMso="AutoSum"'), "schema"),
    (lambda x: x.replace(b"2009/07/customui", b"2006/01/customui"), "expected customUI in namespace"),
])
def test_ribbon_checks_catch_mistakes(mutate, expected):
    problems = check_customui(mutate(UI), vba_sources(), COMMANDS, SCHEMA)
    assert any(expected in p for p in problems), problems


def test_a_private_or_misdeclared_callback_is_caught():
    sources = [s.replace("Public Sub XltOnAction(control As IRibbonControl)", "Private Sub XltOnAction(control As IRibbonControl)")
               for s in vba_sources()]
    assert any("Private" in p for p in check_customui(UI, sources, COMMANDS))
    sources = [s.replace("XltOnAction(control As IRibbonControl)", "XltOnAction()") for s in vba_sources()]
    assert any("must take (control As IRibbonControl)" in p for p in check_customui(UI, sources, COMMANDS))
