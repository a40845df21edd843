"""LibreOffice opens the add-in's .xlsm twin and lists its VBA modules, with their sources.

This is a real, independent reader of the vbaProject.bin (LibreOffice 7.4 will not open an
.xlam, so the twin carries the same package). It fails when LibreOffice or its Python bridge
is missing: CI must install ``libreoffice-calc python3-uno libreoffice-script-provider-python``.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from xltools.excel.addin import build_addin, load_modules

ROOT = Path(__file__).resolve().parent.parent
MACROS = ROOT / "macros"
PACKAGES = "apt-get install -y libreoffice-calc python3-uno libreoffice-script-provider-python"

LIST_MODULES = r'''
import json, os, shutil, subprocess, sys, tempfile, time
import uno
from com.sun.star.beans import PropertyValue

def prop(name, value):
    p = PropertyValue(); p.Name = name; p.Value = value; return p

path = os.path.abspath(sys.argv[1])
profile = tempfile.mkdtemp(prefix="xlt_lo_profile_")
pipe = "xlt_modules_%d" % os.getpid()
proc = subprocess.Popen(["soffice", "-env:UserInstallation=" + uno.systemPathToFileUrl(profile), "--headless",
                         "--invisible", "--norestore", "--nologo", "--nodefault", "--accept=pipe,name=%s;urp;" % pipe],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
desktop = None
try:
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(600):
        try:
            ctx = resolver.resolve("uno:pipe,name=%s;urp;StarOffice.ComponentContext" % pipe)
            break
        except Exception:
            time.sleep(0.1)
    else:
        sys.exit("soffice did not start")
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    # MacroExecutionMode 0 (NEVER_EXECUTE): list the code, run none of it.
    doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(path), "_blank", 0,
                                       (prop("Hidden", True), prop("MacroExecutionMode", 0)))
    if doc is None:
        sys.exit("LibreOffice could not open " + path)
    libs = doc.BasicLibraries
    out = {}
    for lib in libs.getElementNames():
        libs.loadLibrary(lib)
        container = libs.getByName(lib)
        out[lib] = {name: container.getByName(name) for name in container.getElementNames()}
    sheets = list(doc.Sheets.getElementNames())
    doc.close(True)
    print(json.dumps({"libraries": out, "sheets": sheets}))
finally:
    if desktop is not None:
        try:
            desktop.terminate()
        except Exception:
            pass
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
    shutil.rmtree(profile, ignore_errors=True)
'''


def python_with_uno() -> str:
    for candidate in ("/usr/bin/python3", "/usr/lib/libreoffice/program/python", shutil.which("python3") or ""):
        if candidate and Path(candidate).exists():
            probe = subprocess.run([candidate, "-c", "import uno"], capture_output=True)
            if probe.returncode == 0:
                return candidate
    pytest.fail(f"no Python with LibreOffice's uno module; install it: {PACKAGES}")


@pytest.fixture(scope="module")
def listing(tmp_path_factory):
    if shutil.which("soffice") is None:
        pytest.fail(f"LibreOffice (soffice) is not installed; install it: {PACKAGES}")
    built = build_addin(tmp_path_factory.mktemp("lo"), MACROS)
    script = tmp_path_factory.mktemp("lo_script") / "list_modules.py"
    script.write_text(LIST_MODULES, encoding="utf-8")
    run = subprocess.run([python_with_uno(), str(script), str(built.xlsm)], capture_output=True, text=True,
                         timeout=180)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])


LO_TYPES = {"standard": "VBAModule", "class": "VBAClassModule", "document": "VBADocumentModule"}


def test_libreoffice_lists_every_module(listing):
    modules = load_modules(MACROS)
    assert sorted(listing["libraries"]["xltools"]) == sorted(m.name for m in modules)
    assert listing["sheets"] == ["xltools"]


def test_libreoffice_reads_each_module_as_its_kind_with_its_code(listing):
    lib = listing["libraries"]["xltools"]
    for m in load_modules(MACROS):
        code = lib[m.name]
        assert code.startswith(f"Rem Attribute VBA_ModuleType={LO_TYPES[m.kind.value]}\n"), m.name
        # LibreOffice adds its own header lines, drops every Attribute line and uses LF line ends;
        # what remains must be the module's code exactly.
        lines = code.split("\n")
        while lines and lines[0].startswith(("Rem Attribute VBA_ModuleType", "Option VBASupport", "Option ClassModule")):
            lines.pop(0)
        body = [ln for ln in m.source.split("\r\n") if not ln.startswith("Attribute ")]
        assert "\n".join(lines).rstrip("\n") == "\n".join(body).rstrip("\n"), m.name
